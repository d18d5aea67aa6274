// The overdue road from the nodes' side: a keeper round on request, the union assigning
// a court, the court fetching the case's documents from the members that hold them (signed
// node-to-node requests) and keeping its own encrypted copies, then accepting the case, recording
// a ruling (stored, anchored, its digest on chain) and closing it. Every chain write goes through
// the node's durable outbox; the stage checks read the chain, so a lagging index never blocks a
// step the contract would allow.
import { createHash, randomBytes } from "node:crypto";
import type {
  ConsortiumRegistry,
  DisputeResolution,
  JointLoanLedger,
} from "../../common/chain/generated/contracts.ts";
import {
  DISPUTE_STAGES,
  MemberKind as ChainMemberKind,
  MemberStatus,
} from "../../common/chain/generated/enums.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { isDocumentKind } from "./documents/policy.ts";
import { NodeError, nodeError } from "./errors.ts";
import type { Actor } from "./actor.ts";
import type { LedgerModel } from "./indexer/model.ts";
import type { Keeper } from "./keeper/keeper.ts";
import type { MediationService } from "./mediation/mediation.ts";
import type { NoticeService } from "./notices/notices.ts";
import type { PostLoanBatch } from "./post-loan/batch.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { awaitChainWrite, readLedgerLoan } from "./servicing.ts";
import type { PeerNodes } from "./peers.ts";
import type { SignedHeaders } from "./node-requests.ts";
import {
  checkPackage,
  type BundleVerifier,
  type ChainFacts,
  type EvidencePackage,
  type EvidenceRole,
  type PackageCheck,
} from "./court-package/check.ts";
import { caseArchive, NO_DIRECTORY } from "./court-package/archive.ts";
import type { MemberNames } from "./court-page/report.ts";
import { VERDICT_NAMES } from "./court-package/names.ts";
import {
  assembleEvidenceSet,
  chainLeaves,
  type EvidenceSetDeps,
  type LoanCreditRecords,
} from "./court-package/evidence-set.ts";
import { addWorkingDays } from "./court-package/working-days.ts";
import { dayToDate, shanghaiDay } from "../../common/lending/dates.ts";

export type MemberKind = "union" | "branch" | "platform" | "court";

export type CaseDeps = {
  memberId: number;
  memberKind: MemberKind;
  documents: DocumentStore;
  outbox: Outbox;
  model: LedgerModel;
  /** JointLoanLedger, read-only: the loan's stage. */
  ledger: JointLoanLedger;
  /** DisputeResolution, read-only: caseOf. */
  disputes: DisputeResolution;
  /** ConsortiumRegistry, read-only: is a member an active court. */
  registry: ConsortiumRegistry;
  anchor: AnchorEvidence;
  peers: PeerNodes;
  keeper: Keeper;
  /** Notices sent to borrowers, with their receipts (notices/). */
  notices?: NoticeService;
  /** The loan's mediation case (mediation/). */
  mediation?: MediationService;
  /** The nightly post-loan batch and its early-warning lists (post-loan/). */
  batch?: PostLoanBatch;
  /** Checks a node-to-node request is signed by an active court member's key (the court's package). */
  verifyCourtRequest?: (headers: SignedHeaders) => Promise<{ signer: string; memberId: number }>;
  /** The anchor service's bundle of a leaf (the court's package). */
  bundle?: (leafHash: string) => Promise<unknown>;
  /** This member's leaves carrying a document digest, from the anchor service (the court's package). */
  leavesOfDigest?: (digest: string) => Promise<string[]>;
  /** An original not filed under a loan (the consent letter) by SHA-256, read as this member. */
  documentByDigest?: (sha256: string) => Promise<Uint8Array | undefined>;
  /** The application, decision records and credit queries of a loan this node approved (the court's package). */
  creditRecords?: (loanId: string) => Promise<LoanCreditRecords | undefined>;
  /** At the union's node: its logs of the post-loan re-queries a branch asked through it (the court's package). */
  unionAsks?: EvidenceSetDeps["unionAsks"];
  /** The union's member id: its node holds the notices and mediation records its keeper made. */
  unionId?: () => Promise<number | undefined>;
  /**
   * The court's package checked against the chain: the loan's facts read from every configured
   * endpoint at one block (a disagreement is NODE_ERR_CHAIN_DISAGREEMENT), and every chain check of
   * each item's bundle (court-page/wiring.ts). Without it the check is offline: its chain checks
   * are not decided.
   */
  packageChain?: {
    facts: (loanId: string) => Promise<ChainFacts>;
    verify: BundleVerifier;
    /** Members' legal names and codes from the directory the chain governs (the archive's certificate). */
    names?: (memberIds: number[]) => Promise<MemberNames>;
  };
};

/** The loan's case as the chain states it now. */
export type ChainCase = {
  loanId: string;
  stage: (typeof DISPUTE_STAGES)[number];
  caseId: string | null;
  court: number | null;
  triggeredAt: number | null;
  acceptedAt: number | null;
  closedAt: number | null;
  ruling: string | null;
};

type FetchedDocument = { documentId: string; kind: string; sha256: string; bytesBase64: string };

const ZERO32 = /^0x0{64}$/;

export class CaseOperations {
  readonly deps: CaseDeps;

  constructor(deps: CaseDeps) {
    this.deps = deps;
  }

  /** One keeper round now (escalations go through the outbox and are awaited). */
  async keeperRound(_actor: Actor) {
    return this.deps.keeper.runOnce();
  }

  async chainCase(loanId: string): Promise<ChainCase> {
    const id = loanId.toLowerCase();
    const loan = await readLedgerLoan(this.deps.ledger, id);
    const c = await this.deps.disputes.caseOf(id);
    const open = !ZERO32.test(c.caseId);
    const time = (t: bigint) => (t === 0n ? null : Number(t));
    return {
      loanId: id,
      stage: DISPUTE_STAGES[Number(loan.stage)] ?? "None",
      caseId: open ? c.caseId.toLowerCase() : null,
      court: open && c.court !== 0n ? Number(c.court) : null,
      triggeredAt: open ? time(c.triggeredAt) : null,
      acceptedAt: open ? time(c.acceptedAt) : null,
      closedAt: open ? time(c.closedAt) : null,
      ruling: open && !ZERO32.test(c.ruling) ? c.ruling.toLowerCase() : null,
    };
  }

  /** Every attempt to notify the loan's borrower, with the gateway's receipts and its evidence leaf. */
  async notices(_actor: Actor, loanId: string) {
    const notices = await this.#postLoan("notices").forLoan(loanId);
    return { loanId: loanId.toLowerCase(), notices: notices.map(({ original: _original, ...n }) => n) };
  }

  async mediationCase(_actor: Actor, loanId: string) {
    return this.#postLoan("mediation").require(loanId);
  }

  async mediationAgreement(_actor: Actor, loanId: string): Promise<Uint8Array> {
    return this.#postLoan("mediation").agreementDraft(loanId);
  }

  async refuseMediation(actor: Actor, loanId: string) {
    return this.#postLoan("mediation").refuse(loanId, actor.userId);
  }

  async acceptMediation(actor: Actor, loanId: string, signedAgreementBase64: string) {
    return this.#postLoan("mediation").accept(
      loanId,
      Buffer.from(signedAgreementBase64, "base64"),
      actor.userId,
    );
  }

  /**
   * The owning node answers the assigned court's signed request with the loan's evidence set:
   * every original with its bundle (court-package/evidence-set.ts).
   */
  async evidenceSet(headers: SignedHeaders, loanId: string): Promise<EvidencePackage> {
    const { verifyCourtRequest: verify, bundle, leavesOfDigest } = this.deps;
    if (verify === undefined || bundle === undefined || leavesOfDigest === undefined)
      throw nodeError("NODE_ERR_NOT_FOUND", "this node serves no evidence sets");
    const { signer, memberId } = await verify(headers);
    const actor = { userId: signer, role: "court-clerk" as const, memberId };
    return assembleEvidenceSet(
      {
        memberId: this.deps.memberId,
        model: this.deps.model,
        // the store's court export: the policy decides (the case assigned to that court) and logs it
        loanDocuments: (id) => this.deps.documents.exportCaseDocuments({ loanId: id }, actor),
        ...(this.deps.documentByDigest === undefined ? {} : { documentByDigest: this.deps.documentByDigest }),
        ...(this.deps.notices === undefined ? {} : { notices: this.deps.notices }),
        ...(this.deps.mediation === undefined ? {} : { mediation: this.deps.mediation }),
        ...(this.deps.creditRecords === undefined ? {} : { credit: this.deps.creditRecords }),
        ...(this.deps.unionAsks === undefined ? {} : { unionAsks: this.deps.unionAsks }),
        bundle,
        leavesOfDigest,
      },
      loanId,
    );
  }

  /**
   * The assigned court fetches the loan's complete evidence set from its branch's node and checks
   * it against the chain: each item against its bundle, together against the loan's
   * evidenceChain on chain, every item missing, altered or extra named.
   */
  async courtPackage(
    _actor: Actor,
    loanId: string,
  ): Promise<PackageCheck & { from: number; verdictSummary: string }> {
    const { check, from } = await this.#fetchAndCheck(loanId);
    // the verdict in words, Chinese first, for the console (as each item's summary)
    return { ...check, from, verdictSummary: VERDICT_NAMES[check.verdict] };
  }

  /**
   * The same fetch and check, as one case archive: originals, bundles, the manifest and the
   * bilingual certificate (court-package/archive.ts).
   */
  async courtArchive(_actor: Actor, loanId: string): Promise<Uint8Array> {
    const { pkg, check } = await this.#fetchAndCheck(loanId);
    const ids = [pkg.owner, ...(pkg.application === undefined ? [] : [pkg.application.originator])];
    const names = this.deps.packageChain?.names;
    return (await caseArchive(pkg, check, new Date(), names === undefined ? NO_DIRECTORY : await names(ids)))
      .zip;
  }

  async #fetchAndCheck(loanId: string) {
    const c = await this.#requireAssigned(loanId, ["Arbitration", "Accepted", "Ruled", "Closed"]);
    const loan = await this.deps.model.loan(c.loanId);
    const leaves = await chainLeaves(this.deps.model, c.loanId);
    if (loan === undefined || leaves === undefined)
      throw nodeError("NODE_ERR_UNKNOWN_LOAN", `no loan ${c.loanId} in this node's index (yet)`);
    const fetchSet = (member: number) =>
      this.deps.peers.call<EvidencePackage>(member, "GET", `/v1/cases/${c.loanId}/evidence-set`);
    const pkg = await fetchSet(loan.branch);
    // the union's keeper sends the reminders and runs the mediation, and the union's credit service
    // logs each post-loan re-query the branch asks through it: those records are at its node
    const union = await this.deps.unionId?.();
    if (union !== undefined && union !== loan.branch) {
      // the chain does not commit to these: a union node that cannot answer leaves the branch's set to be checked
      const held = await fetchSet(union).catch(() => undefined);
      const fromUnion = new Set<EvidenceRole>(["notice", "mediation", "credit-query"]);
      pkg.items.push(...(held?.items ?? []).filter((i) => fromUnion.has(i.role)));
      // its records not anchored yet are named as pending, as the branch's are
      const pending = [...(pkg.pending ?? []), ...(held?.pending ?? []).filter((i) => fromUnion.has(i.role))];
      if (pending.length > 0) pkg.pending = pending;
    }
    const chain = this.deps.packageChain;
    const facts: ChainFacts =
      chain === undefined
        ? {
            loanId: c.loanId,
            borrowerKey: loan.borrowerKey,
            branch: loan.branch,
            evidenceChain: await this.deps.ledger.evidenceChain(c.loanId),
            contractLeaf: loan.evidence.contractLeaf,
            consentLeaf: loan.evidence.consentLeaf,
            vouchers: leaves
              .filter((l) => l.role === "voucher")
              .map((l) => ({ serial: l.label, digest: l.chainValue })),
          }
        : await chain.facts(c.loanId).catch((error: unknown) => {
            // endpoints that disagree are a finding about the chain, not an outage: passed on as named
            if (error instanceof NodeError && error.code === "NODE_ERR_CHAIN_DISAGREEMENT") throw error;
            throw nodeError(
              "NODE_ERR_CHAIN_UNAVAILABLE",
              `the loan's facts could not be read from this node's chain: ${error instanceof Error ? error.message : String(error)}`,
            );
          });
    const check = await checkPackage(pkg, facts, chain?.verify);
    return { pkg, check, from: loan.branch };
  }

  /** Runs (or resumes) the post-loan batch for `runId` (default: today's Shanghai date). */
  async postLoanRun(_actor: Actor, runId: string) {
    return this.#postLoan("batch").run(runId);
  }

  async earlyWarnings(_actor: Actor, runId: string) {
    return { runId, warnings: await this.#postLoan("batch").warnings(runId) };
  }

  async earlyWarningsCsv(_actor: Actor, runId: string) {
    return this.#postLoan("batch").csv(runId);
  }

  #postLoan<K extends "notices" | "mediation" | "batch">(room: K): NonNullable<CaseDeps[K]> {
    const r = this.deps[room];
    if (r === undefined) throw nodeError("NODE_ERR_NOT_FOUND", `this node runs no ${room} room`);
    return r;
  }

  /** The case on chain, with the stage history from this node's index. */
  async caseView(_actor: Actor, loanId: string) {
    const onChain = await this.chainCase(loanId);
    const history = await this.deps.model.stageHistory(onChain.loanId);
    return {
      ...onChain,
      deadlines: caseDeadlines(await this.deps.model.caseOf(onChain.loanId)),
      history: history.map((h) => ({
        stage: h.stage,
        previous: h.previous,
        at: h.timestamp,
        blockNumber: h.blockNumber,
      })),
    };
  }

  /** The union assigns an active court member to a loan in arbitration. */
  async assignCourt(actor: Actor, loanId: string, court: number) {
    this.#requireKind("union", "assign courts");
    const c = await this.#requireStage(loanId, ["Arbitration"]);
    const [kind, status] = await this.deps.registry.profileOf(court);
    if (Number(kind) !== ChainMemberKind.Court || Number(status) !== MemberStatus.Active)
      throw nodeError("NODE_ERR_WRONG_MEMBER_KIND", `member ${court} is not an active court`);
    const entry = await this.deps.outbox.enqueue({
      serial: `court:${c.caseId}:${court}`,
      kind: "assignCourt",
      args: { loanId: c.loanId, court },
    });
    return { loanId: c.loanId, caseId: c.caseId, court, assignedBy: actor.userId, outbox: entry };
  }

  /** The assigned court accepts the case. */
  async acceptCase(_actor: Actor, loanId: string) {
    return this.#caseStep(loanId, ["Arbitration", "Accepted"], "acceptCase", "accept");
  }

  /**
   * The assigned court records its ruling: the document is stored encrypted and anchored as
   * ruling evidence, and its SHA-256 goes on chain as the case's ruling digest.
   */
  async recordRuling(actor: Actor, loanId: string, rulingBase64: string) {
    const c = await this.#requireAssigned(loanId, ["Accepted", "Ruled"]);
    const bytes = Buffer.from(rulingBase64, "base64");
    if (bytes.length === 0)
      throw nodeError("NODE_ERR_VALIDATION", "rulingBase64 must hold the ruling document's bytes");
    const ruling = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    const serial = `ruling:${c.caseId}`;
    // one ruling per case: the same document again is the same request, another one a conflict
    const existing = await this.deps.outbox.status(serial);
    if (existing !== undefined && (existing.args as { ruling: string }).ruling !== ruling) {
      throw nodeError(
        "NODE_ERR_CASE_STAGE",
        `case ${c.caseId} already has another ruling (${(existing.args as { ruling: string }).ruling})`,
      );
    }
    if (existing !== undefined) return { loanId: c.loanId, caseId: c.caseId, ruling, outbox: existing };
    if (c.stage !== "Accepted")
      throw nodeError(
        "NODE_ERR_CASE_STAGE",
        `loan ${c.loanId} is at stage ${c.stage}; a ruling needs an accepted case`,
      );
    const document = await this.deps.documents.put({
      kind: "ruling",
      bytes,
      loanId: c.loanId,
      caseId: c.caseId!,
      owner: this.deps.memberId,
      meta: { recordedBy: actor.userId },
    });
    const [receipt] = await this.deps.anchor([
      {
        kind: EvidenceKind.Ruling,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: ruling,
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: c.loanId,
      },
    ]);
    const entry = await this.deps.outbox.enqueue({
      serial,
      kind: "recordRuling",
      args: { loanId: c.loanId, ruling },
    });
    return {
      loanId: c.loanId,
      caseId: c.caseId,
      ruling,
      documentId: document.documentId,
      leafHash: receipt!.leafHash,
      outbox: entry,
    };
  }

  /** The assigned court closes a ruled case. */
  async closeCase(_actor: Actor, loanId: string) {
    return this.#caseStep(loanId, ["Ruled", "Closed"], "closeCase", "close");
  }

  /** A court's step that takes only the loan: queued once per case (`<prefix>:<caseId>`) at one of `stages`. */
  async #caseStep(
    loanId: string,
    stages: ChainCase["stage"][],
    kind: "acceptCase" | "closeCase",
    prefix: string,
  ) {
    const c = await this.#requireAssigned(loanId, stages);
    const entry = await this.deps.outbox.enqueue({
      serial: `${prefix}:${c.caseId}`,
      kind,
      args: { loanId: c.loanId },
    });
    return { loanId: c.loanId, caseId: c.caseId, outbox: entry };
  }

  /**
   * The assigned court fetches the case's documents from the loan's branch and funders (each a
   * signed request to that member's node), checks every document against its SHA-256 and stores
   * its own encrypted copy. Documents it already holds (same kind and digest) are not stored twice.
   */
  async fetchCaseDocuments(actor: Actor, loanId: string) {
    const c = await this.#requireAssigned(loanId, ["Arbitration", "Accepted", "Ruled", "Closed"]);
    const loan = await this.deps.model.loan(c.loanId);
    if (loan === undefined)
      throw nodeError("NODE_ERR_UNKNOWN_LOAN", `no loan ${c.loanId} in this node's index (yet)`);
    const held = new Set(
      (await this.deps.documents.listByLoan(c.loanId, actor)).map((d) => `${d.kind}:${d.sha256}`),
    );
    const members = [...new Set([loan.branch, ...loan.funders.map((f) => f.memberId)])].filter(
      (m) => m !== this.deps.memberId,
    );
    const stored: Array<{ documentId: string; kind: string; sha256: string; from: number }> = [];
    const sources: Array<{ member: number; documents: number } | { member: number; error: string }> = [];
    for (const member of members) {
      let reply: { documents: FetchedDocument[] };
      try {
        reply = await this.deps.peers.call<{ documents: FetchedDocument[] }>(
          member,
          "GET",
          `/v1/cases/${c.loanId}/documents`,
        );
      } catch (error) {
        sources.push({ member, error: (error as { code?: string }).code ?? "NODE_ERR_PEER_UNAVAILABLE" });
        continue;
      }
      let count = 0;
      for (const d of reply.documents ?? []) {
        const bytes = Buffer.from(d.bytesBase64, "base64");
        const sha256 = `0x${createHash("sha256").update(bytes).digest("hex")}`;
        // a document that does not match its digest, or of a kind this node does not know, is not kept
        if (sha256 !== d.sha256?.toLowerCase() || !isDocumentKind(d.kind)) continue;
        count++;
        if (held.has(`${d.kind}:${sha256}`)) continue;
        const put = await this.deps.documents.put({
          kind: d.kind,
          bytes,
          loanId: c.loanId,
          caseId: c.caseId!,
          owner: this.deps.memberId,
          meta: { sourceMember: member, fetchedBy: actor.userId },
        });
        held.add(`${d.kind}:${sha256}`);
        stored.push({ documentId: put.documentId, kind: d.kind, sha256, from: member });
      }
      sources.push({ member, documents: count });
    }
    if (members.length > 0 && sources.every((s) => "error" in s)) {
      const unreachable = sources.every((s) => "error" in s && s.error === "NODE_ERR_PEER_UNAVAILABLE");
      throw nodeError(
        unreachable ? "NODE_ERR_PEER_UNAVAILABLE" : "NODE_ERR_PEER_REFUSED",
        `no member holding loan ${c.loanId}'s documents gave them (${unreachable ? "unreachable" : "refused"})`,
        sources,
      );
    }
    return { loanId: c.loanId, caseId: c.caseId, stored, sources };
  }

  #requireKind(kind: MemberKind, what: string): void {
    if (this.deps.memberKind !== kind)
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `only a ${kind} member's node may ${what}; this node is member ${this.deps.memberId} (${this.deps.memberKind})`,
      );
  }

  async #requireStage(loanId: string, stages: ChainCase["stage"][]): Promise<ChainCase> {
    const c = await this.chainCase(loanId);
    if (!stages.includes(c.stage) || c.caseId === null)
      throw nodeError(
        "NODE_ERR_CASE_STAGE",
        `loan ${c.loanId} is at stage ${c.stage}; this needs ${stages.join(" or ")}`,
      );
    return c;
  }

  /** This node is the court the loan's case is assigned to, and the case is at one of `stages`. */
  async #requireAssigned(loanId: string, stages: ChainCase["stage"][]): Promise<ChainCase> {
    this.#requireKind("court", "act on an arbitration case");
    const c = await this.chainCase(loanId);
    if (c.court !== this.deps.memberId)
      throw nodeError(
        "NODE_ERR_CASE_NOT_ASSIGNED",
        `loan ${c.loanId}'s case is not assigned to member ${this.deps.memberId} (court: ${c.court ?? "none"})`,
      );
    if (!stages.includes(c.stage))
      throw nodeError(
        "NODE_ERR_CASE_STAGE",
        `loan ${c.loanId} is at stage ${c.stage}; this needs ${stages.join(" or ")}`,
      );
    return c;
  }
}

/**
 * The 7-working-day targets for a case (seed: acceptance within 7 working days of assignment,
 * the ruling within 7 of acceptance), on the working-day calendar; null where a date it needs is
 * missing or its year has no calendar file yet (the reason says which).
 */
export function caseDeadlines(
  c: { assignedAt: number | null; acceptedAt: number | null; ruledAt: number | null } | undefined,
) {
  const dateOf = (t: number) => dayToDate(shanghaiDay(t));
  const target = (from: number | null, done: number | null) => {
    if (from === null) return null;
    try {
      const by = addWorkingDays(dateOf(from), 7);
      return { by, met: done === null ? null : dateOf(done) <= by };
    } catch (error) {
      return { by: null, met: null, reason: (error as Error).message };
    }
  };
  return {
    acceptance: target(c?.assignedAt ?? null, c?.acceptedAt ?? null),
    ruling: target(c?.acceptedAt ?? null, c?.ruledAt ?? null),
  };
}

/** The keeper's `expire` port in a node: expireLoan through the outbox, awaited (one entry per loan). */
export function outboxExpirer(outbox: Outbox, timeoutMs = 60_000) {
  return async (loanId: string): Promise<void> => {
    await awaitChainWrite(
      outbox,
      { serial: `expire:${loanId.toLowerCase()}`, kind: "expireLoan", args: { loanId } },
      { what: `expiring loan ${loanId}`, timeoutMs },
    );
  };
}

/**
 * The keeper's escalate port in a node: an outbox entry per (loan, target stage, last stage
 * change), awaited until the chain has it. A refusal or a write that does not settle in time is
 * an error of the round (the entry stays in the outbox and completes on its own).
 */
export function outboxEscalator(outbox: Outbox, ledger: JointLoanLedger, timeoutMs = 60_000) {
  return async (loanId: string, stage: number): Promise<void> => {
    const { stageChangedAt } = await ledger.loan(loanId);
    await awaitChainWrite(
      outbox,
      {
        serial: `escalate:${loanId.toLowerCase()}:${stage}:${stageChangedAt}`,
        kind: "escalate",
        args: { loanId, stage },
      },
      { what: `escalating loan ${loanId}`, timeoutMs },
    );
  };
}
