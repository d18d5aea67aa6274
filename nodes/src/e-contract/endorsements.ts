// The signed contract's standing on chain (合同上链背书): once the anchor service has committed a
// head holding the contract's leaf, the funding branch — the leaf's submitter — registers it in the
// EvidenceRegistry with its inclusion proof, and a joint loan's platform, the co-funder, endorses
// it there. The registry refuses a submitter endorsing its own evidence, so the branch's act is the
// registration (its lifecycle record), the platform's the endorsement. Both writes go through the
// node's outbox under serials derived from the leaf, so each happens once whatever restarts; the
// branch drives the road from a record kept per contract and moves it on in `step()`; the
// contracts a pass finds ready for their platform's endorsement go to it in one signed request.
import type { Sublevel } from "../../../common/level.ts";
import type { EvidenceRegistry } from "../../../common/chain/generated/contracts.ts";
import { EVIDENCE_STATES, EvidenceState } from "../../../common/chain/generated/enums.ts";
import { BRANCH, PLATFORM, type ConsortiumMembers } from "../members.ts";
import type { LedgerModel } from "../indexer/model.ts";
import type { NodeRequests, SignedHeaders, SignedNodeRequest } from "../node-requests.ts";
import { canonicalJson, type Outbox } from "../outbox/outbox.ts";
import { normalizeEntry, type OutboxEntry } from "../outbox/entry.ts";
import type { PeerNodes } from "../peers.ts";
import { EContractError, NodeError, nodeError } from "../errors.ts";
import { Room } from "../room.ts";

/**
 * Where one contract stands at its branch: `anchored` (waiting for a committed head), `registering`
 * (registerEvidence in the outbox), `endorsing` (registered; the platform asked), `done`, or
 * `failed` (the chain or the platform refused: `failure`).
 */
export type EndorsementState = "anchored" | "registering" | "endorsing" | "done" | "failed";

export type ContractEndorsement = {
  loanId: string;
  leafHash: string;
  /** The registerLoan's outbox serial: the platform is asked only once the loan is on chain. */
  loanSerial: string;
  /** The co-funding platform that endorses (0: the branch funds alone, registration is all). */
  platform: number;
  state: EndorsementState;
  failure?: { code: string; message: string };
  /** The last transient problem (no committed head yet, the platform's node unreachable). */
  lastError?: string;
  /** When the platform last accepted the request to endorse (its endorsement is then queued at its node). */
  askedAt?: string;
  createdAt: string;
  updatedAt: string;
};

/** What the chain says of a contract leaf: registered (by whom), its endorsers. */
export type EndorsementView = ContractEndorsement & {
  chain: { state: string; submitter: number; endorsers: number[] };
};

export type ContractEndorsementsDeps = {
  memberId: number;
  /** Sublevel contract-endorsements: leafHash → ContractEndorsement (keys.ts). */
  store: Sublevel<string, ContractEndorsement>;
  outbox: Pick<Outbox, "enqueue" | "status" | "requeue">;
  /** The anchor service's evidence bundle of a leaf (throws while its head is not committed). */
  bundle: (leafHash: string) => Promise<unknown>;
  /** The registry's word, for a view of a loan's contract and where the indexed ledger has not yet seen the evidence. */
  registry: Pick<EvidenceRegistry, "status" | "endorsers">;
  /**
   * The indexed ledger: a platform checks the loan it is asked to endorse the contract of, and the
   * evidence's state; a branch sees its platform's endorsement arrive (from EvidenceEndorsed).
   */
  model: Pick<LedgerModel, "loan" | "evidence">;
  members: Pick<ConsortiumMembers, "active">;
  requests: Pick<NodeRequests, "verify">;
  peers: Pick<PeerNodes, "call">;
  now?: () => Date;
};

/** The outbox serials: derived from the leaf, so a second request finds the first's entry. */
export const registerSerialOf = (leafHash: string) => `evidence-register:${leafHash.toLowerCase()}`;
export const endorseSerialOf = (leafHash: string) => `evidence-endorse:${leafHash.toLowerCase()}`;

/** The endorsements one signed request asks for at most. */
export const ENDORSEMENTS_PER_REQUEST = 64;
/**
 * Contracts a pass advances at once (each reads its bundle from the anchor service and may queue
 * its registration): a burst's registrations reach the outbox together and go out packed.
 */
const ADVANCED_TOGETHER = 32;

/** The registry's refusals of an endorsement of a leaf that is not (or not yet) active evidence. */
const ENDORSE_AGAIN = new Set(["EvidenceRegistryUnknownEvidence", "EvidenceRegistryNotActive"]);

/**
 * How long a registration refused for a head the chain does not hold waits before it is proved
 * and sent again when the anchor service still gives the same proof (a head it is to commit
 * again at the same size); a proof against another head goes at once.
 */
export const PROVE_AGAIN_MS = 30_000;

/**
 * How long a branch waits for an endorsement its platform accepted to reach the chain before
 * asking again (the platform's outbox sends it; asking every pass would only repeat the request).
 */
export const ENDORSEMENT_ASK_AGAIN_MS = 30_000;

/** One contract a branch asks its platform to endorse. */
export type EndorsementRequest = { loanId: string; leafHash: string };

type BundleParts = { encoded: string; logId: string; leafIndex: number; treeSize: number; proof: string[] };

/** The parts of an evidence bundle (common/formats/bundle/BUNDLE.md) the registry's register takes. */
function registrationOf(bundle: unknown): BundleParts {
  const b = bundle as {
    leaf?: { encoded?: unknown };
    log?: { logId?: unknown; leafIndex?: unknown };
    head?: { treeSize?: unknown };
    inclusionProof?: unknown;
  };
  const encoded = b.leaf?.encoded;
  const logId = b.log?.logId;
  const leafIndex = b.log?.leafIndex;
  const treeSize = b.head?.treeSize;
  const proof = b.inclusionProof;
  if (
    typeof encoded !== "string" ||
    typeof logId !== "string" ||
    typeof leafIndex !== "number" ||
    typeof treeSize !== "number" ||
    !Array.isArray(proof) ||
    !proof.every((p) => typeof p === "string")
  ) {
    throw new Error("the anchor service's bundle lacks the leaf, log position or inclusion proof");
  }
  return { encoded, logId, leafIndex, treeSize, proof };
}

/** A record the passes no longer move: done, or failed for good. */
const ended = (record: ContractEndorsement) => record.state === "done" || record.state === "failed";

/** The outbox entry registering `leafHash` about `loanId` with the proof in its evidence bundle. */
export function registrationEntry(loanId: string, leafHash: string, bundle: unknown) {
  const parts = registrationOf(bundle);
  return {
    serial: registerSerialOf(leafHash),
    kind: "registerEvidence" as const,
    args: {
      loanId,
      leaf: parts.encoded,
      logId: parts.logId,
      treeSize: parts.treeSize,
      leafIndex: parts.leafIndex,
      proof: parts.proof,
    },
  };
}

export class ContractEndorsements extends Room<ContractEndorsementsDeps> {
  #running: Promise<void> | undefined;
  /**
   * The records not yet done or failed, by leaf: read from the store by the first pass, then kept
   * by this room's own writes (it is the store's only writer), so a pass each second reads the open
   * contracts only, not every contract the branch ever registered.
   */
  #open: Map<string, ContractEndorsement> | undefined;

  #now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Whether the platform accepted to endorse `record` less than ENDORSEMENT_ASK_AGAIN_MS ago. */
  #askedLately(record: ContractEndorsement): boolean {
    if (record.askedAt === undefined) return false;
    const now = (this.deps.now?.() ?? new Date()).getTime();
    return now - Date.parse(record.askedAt) < ENDORSEMENT_ASK_AGAIN_MS;
  }

  /** The branch anchored a loan's signed contract: its registration (and endorsement) is due. */
  async contractAnchored(input: {
    loanId: string;
    leafHash: string;
    loanSerial: string;
    platform: number;
  }): Promise<void> {
    const leafHash = input.leafHash.toLowerCase();
    if ((await this.deps.store.get(leafHash)) !== undefined) return;
    const at = this.#now();
    const record: ContractEndorsement = {
      loanId: input.loanId.toLowerCase(),
      leafHash,
      loanSerial: input.loanSerial,
      platform: input.platform,
      state: "anchored",
      createdAt: at,
      updatedAt: at,
    };
    await this.deps.store.put(leafHash, record);
    this.#open?.set(leafHash, record);
  }

  #timer: NodeJS.Timeout | undefined;

  /** A pass every `intervalMs` until stop(); a pass that cannot run at all (storage closed) goes to `onError`. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.#timer ??= setInterval(() => void this.step().catch(onError), intervalMs);
    this.#timer.unref();
  }

  /** No more passes; resolves once the pass in progress (if any) has ended. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over every contract not yet done; concurrent callers share the pass in progress. */
  step(): Promise<void> {
    this.#running ??= this.#step().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #step(): Promise<void> {
    if (this.#open === undefined) {
      // in place before the scan: a contract recorded while it runs (after the iterator's snapshot) is kept
      const open = (this.#open = new Map<string, ContractEndorsement>());
      try {
        for await (const record of this.deps.store.values())
          if (!ended(record) && !open.has(record.leafHash)) open.set(record.leafHash, record);
      } catch (error) {
        this.#open = undefined;
        throw error;
      }
    }
    const open = [...this.#open.values()];
    // the contracts ready for their platform's endorsement, by platform: asked together below
    const ready = new Map<number, ContractEndorsement[]>();
    const one = async (record: ContractEndorsement) => {
      try {
        const asking = await this.#advance(record);
        if (asking !== undefined) ready.set(asking.platform, [...(ready.get(asking.platform) ?? []), asking]);
      } catch (error) {
        // transient: no committed head yet, the platform's node away; the next pass tries again
        await this.#save(record, { lastError: error instanceof Error ? error.message : String(error) });
      }
    };
    // side by side, so their outbox entries are queued together and the sender packs them into
    // one transaction, rather than one transaction each as they trickle in
    // every advance settles before the pass ends (or fails on the first error, a store write's):
    // none may go on writing after the pass, or after stop() waited for it
    for (let at = 0; at < open.length; at += ADVANCED_TOGETHER) {
      const settled = await Promise.allSettled(open.slice(at, at + ADVANCED_TOGETHER).map(one));
      const failed = settled.find((r) => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    }
    for (const [platform, records] of ready)
      for (let at = 0; at < records.length; at += ENDORSEMENTS_PER_REQUEST)
        await this.#ask(platform, records.slice(at, at + ENDORSEMENTS_PER_REQUEST));
  }

  /**
   * Asks `platform` to endorse `records` in one request. A refusal of several may be one
   * contract's doing: each is then asked alone, so only its own record fails.
   */
  async #ask(platform: number, records: readonly ContractEndorsement[]): Promise<void> {
    try {
      await this.deps.peers.call(platform, "POST", "/v1/contract-endorsements/batch", {
        endorsements: records.map((r) => ({ loanId: r.loanId, leafHash: r.leafHash })),
      });
      // queued at the platform's node: the passes now wait for it on chain
      const at = this.#now();
      for (const record of records) await this.#save(record, { askedAt: at });
    } catch (error) {
      const status = (error as { details?: { status?: unknown } }).details?.status;
      if (records.length > 1 && typeof status === "number" && status >= 400 && status < 500) {
        for (const record of records) await this.#ask(platform, [record]);
        return;
      }
      const details = (error as { details?: { code?: unknown } }).details;
      for (const record of records)
        // a refusal for a reason that does not pass (another loan, not a funder) is final
        await this.#save(
          record,
          records.length === 1 && details?.code === "NODE_ERR_ENDORSEMENT_REFUSED"
            ? {
                state: "failed",
                failure: { code: "NODE_ERR_ENDORSEMENT_REFUSED", message: (error as Error).message },
              }
            : { lastError: (error as Error).message },
        );
    }
  }

  /** Moves `record` on as far as it goes now; answers it as saved when its platform is to be asked to endorse it. */
  async #advance(record: ContractEndorsement): Promise<ContractEndorsement | undefined> {
    if (record.state === "anchored") {
      await this.deps.outbox.enqueue(
        registrationEntry(record.loanId, record.leafHash, await this.deps.bundle(record.leafHash)),
      );
      record = await this.#save(record, { state: "registering" });
    }
    if (record.state === "registering") {
      const entry = await this.deps.outbox.status(registerSerialOf(record.leafHash));
      if (entry?.state === "failed" && entry.failure?.code === "EvidenceLogUnknownHead")
        return this.#proveAgain(record, entry).then(() => undefined);
      if (entry?.state === "failed") return this.#fail(record, entry).then(() => undefined);
      if (entry?.state !== "confirmed") return undefined;
      record = await this.#save(record, { state: record.platform === 0 ? "done" : "endorsing" });
    }
    if (record.state !== "endorsing") return undefined;
    // the indexed registry, not a chain read per open contract each pass: an endorsement is one
    // event the indexer applies as soon as its block comes
    const endorsers = (await this.deps.model.evidence(record.leafHash))?.endorsers ?? [];
    if (endorsers.includes(record.platform)) {
      await this.#save(record, { state: "done" });
      return undefined;
    }
    // accepted by the platform lately: its endorsement is on its way through the platform's outbox
    if (this.#askedLately(record)) return undefined;
    // the platform checks the loan on the ledger: ask once the registration of the loan is in
    return (await this.deps.outbox.status(record.loanSerial))?.state === "confirmed" ? record : undefined;
  }

  /**
   * The registration's proof named a head the chain does not hold (blocks lost after the head was
   * committed): the leaf is still in the log, so it is proved again from the anchor service's
   * bundle and its entry queued again under the same serial, with the new proof.
   */
  async #proveAgain(record: ContractEndorsement, entry: OutboxEntry): Promise<void> {
    const fresh = registrationEntry(record.loanId, record.leafHash, await this.deps.bundle(record.leafHash));
    const now = (this.deps.now?.() ?? new Date()).getTime();
    const sameProof = canonicalJson(normalizeEntry(fresh).args) === canonicalJson(entry.args);
    if (sameProof && now - Date.parse(entry.updatedAt) < PROVE_AGAIN_MS) {
      await this.#save(record, {
        lastError: `the head of ${fresh.args.treeSize} leaves its proof names is not on chain; waiting for the anchor service to commit it again`,
      });
      return;
    }
    await this.deps.outbox.requeue(
      entry.serial,
      `proved again against the head of ${fresh.args.treeSize} leaves: the chain did not hold the head of ${(entry.args as { treeSize: number }).treeSize}`,
      fresh,
    );
  }

  async #fail(record: ContractEndorsement, entry: OutboxEntry): Promise<void> {
    await this.#save(record, {
      state: "failed",
      failure: { code: entry.failure?.code ?? "failed", message: entry.failure?.message ?? "" },
    });
  }

  async #save(
    record: ContractEndorsement,
    patch: Partial<ContractEndorsement>,
  ): Promise<ContractEndorsement> {
    const next: ContractEndorsement = { ...record, ...patch, updatedAt: this.#now() };
    if (patch.state !== undefined) delete next.lastError;
    await this.deps.store.put(record.leafHash, next);
    if (ended(next)) this.#open?.delete(next.leafHash);
    else this.#open?.set(next.leafHash, next);
    return next;
  }

  /** A loan's contract endorsement as this branch recorded it, and the registry's word on it. */
  async ofLoan(loanId: string): Promise<EndorsementView> {
    const id = loanId.toLowerCase();
    for await (const record of this.deps.store.values()) {
      if (record.loanId === id) return { ...record, chain: await this.#chainView(record.leafHash) };
    }
    throw nodeError("NODE_ERR_NOT_FOUND", `this node recorded no signed contract of loan ${loanId}`);
  }

  async #chainView(leafHash: string): Promise<EndorsementView["chain"]> {
    const [status, endorsers] = await Promise.all([
      this.deps.registry.status(leafHash),
      this.deps.registry.endorsers(leafHash),
    ]);
    return {
      state: EVIDENCE_STATES[Number(status.state)] ?? String(status.state),
      submitter: Number(status.submitter),
      endorsers: endorsers.map(Number),
    };
  }

  /**
   * A branch's node asks this platform's node to endorse a joint loan's contract: endorsed only
   * for the contract leaf the ledger registered with a loan of that branch this platform co-funds
   * (the leaf its signed agreement named), once the branch has registered it as its evidence.
   */
  async endorse(
    request: SignedNodeRequest | SignedHeaders,
    body: EndorsementRequest,
  ): Promise<{ serial: string; state: string }> {
    const [queued] = (await this.endorseAll(request, { endorsements: [body] })).endorsements;
    return queued!;
  }

  /**
   * As endorse, for several contracts in one signed request: every one is checked before any is
   * queued, and one refused refuses the request as a whole with its code, naming its index and
   * loan (the branch then asks for the others alone); nothing is queued then.
   */
  async endorseAll(
    request: SignedNodeRequest | SignedHeaders,
    body: { endorsements: readonly EndorsementRequest[] },
  ): Promise<{ endorsements: Array<{ serial: string; state: string }> }> {
    if ((await this.deps.members.active()).kindOf.get(this.deps.memberId) !== PLATFORM) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `only a co-funding platform's node endorses contracts; this node is member ${this.deps.memberId}`,
      );
    }
    const { memberId: branch } = await this.deps.requests.verify(request, BRANCH);
    for (const [index, item] of body.endorsements.entries()) {
      try {
        await this.#checkEndorsement(item, branch);
      } catch (error) {
        if (body.endorsements.length === 1) throw error;
        const at = `endorsement ${index} (loan ${item.loanId}) of ${body.endorsements.length}`;
        if (error instanceof EContractError)
          throw new EContractError(error.code, `${at}: ${error.message}`, { index, ...item });
        if (error instanceof NodeError)
          throw nodeError(error.code, `${at}: ${error.message}`, {
            index,
            ...item,
            refusal: error.details ?? null,
          });
        throw error;
      }
    }
    // queued together: the sender packs them into one transaction
    const endorsements = await Promise.all(
      body.endorsements.map(async (item) => {
        const leafHash = item.leafHash.toLowerCase();
        let entry = await this.deps.outbox.enqueue({
          serial: endorseSerialOf(leafHash),
          kind: "endorseEvidence",
          args: { loanId: item.loanId, leafHash, memberId: this.deps.memberId },
        });
        // refused earlier because the leaf was not active evidence then (a chain that lost the
        // branch's registration and got it again): checked above that it is now, so sent again
        if (entry.state === "failed" && ENDORSE_AGAIN.has(entry.failure?.code ?? ""))
          entry = await this.deps.outbox.requeue(
            entry.serial,
            "asked again by the branch once the leaf is its active evidence",
          );
        return { serial: entry.serial, state: entry.state };
      }),
    );
    return { endorsements };
  }

  /** Refuses (writing nothing) a contract this platform is not to endorse for `branch`. */
  async #checkEndorsement(body: EndorsementRequest, branch: number): Promise<void> {
    const leafHash = body.leafHash.toLowerCase();
    const loan = await this.deps.model.loan(body.loanId);
    if (loan === undefined)
      throw nodeError("NODE_ERR_UNKNOWN_LOAN", `loan ${body.loanId} is not on the ledger (as indexed here)`);
    const refuse = (why: string): never => {
      throw new EContractError("NODE_ERR_ENDORSEMENT_REFUSED", `not endorsing ${leafHash}: ${why}`, {
        loanId: body.loanId,
        leafHash,
      });
    };
    if (loan.branch !== branch) refuse(`loan ${body.loanId} is branch ${loan.branch}'s, not ${branch}'s`);
    if (loan.platform !== this.deps.memberId || !loan.funders.some((f) => f.memberId === this.deps.memberId))
      refuse(`this platform does not co-fund loan ${body.loanId}`);
    if (loan.evidence.contractLeaf.toLowerCase() !== leafHash)
      refuse(`the ledger registered loan ${body.loanId} with contract ${loan.evidence.contractLeaf}`);
    // the indexed registry answers when it holds the leaf as the branch's active evidence; anything
    // else (its block not indexed yet, revoked) is the registry's own word to give
    const indexed = await this.deps.model.evidence(leafHash);
    if (indexed?.state === "Active" && indexed.submitter === branch) return;
    const status = await this.deps.registry.status(leafHash);
    if (Number(status.state) !== Number(EvidenceState.Active) || Number(status.submitter) !== branch)
      refuse(`branch ${branch} has not registered it as active evidence`);
  }
}
