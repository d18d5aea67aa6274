// Agreed income split (联合贷: 收益根据事先约定或出资比例划分): a joint loan's interest and penalty
// may split between its two funders by shares they agree before any disbursement, instead of by
// funding share; principal always returns by funding share (JointLoanLedger.agreeIncomeSplit,
// incomeShare). The loan's branch proposes the split through its node; the platform's node
// signs it (EIP-712 IncomeSplit, common/lending/agreement.ts) when its income share is at least
// its funding share, or exactly the share its own admin accepted for the loan beforehand; the
// branch's node then sends agreeIncomeSplit through the outbox and waits for the chain. Every
// refusal the ledger would make is made first, with the ledger's values, before anything is
// written: not a funder, shares that do not name the two funders or do not sum to 10,000 bps,
// a loan with money out.
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { incomeSplitTypedData } from "../../common/lending/agreement.ts";
import type { RecordStore } from "./entrusted-payment.ts";
import { nodeError } from "./errors.ts";
import type { Loan } from "./indexer/model.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { OutboxArgs, OutboxFailure } from "./outbox/entry.ts";
import type { PeerNodes } from "./peers.ts";
import { awaitChainWrite, ledgerLoan, refusedAsDisbursed, requireUndisbursed } from "./servicing.ts";
import { Room } from "./room.ts";

const BPS = 10_000;

/** One funder's shares: of the principal (as registered) and of the income (as agreed, else the same). */
export type FunderShares = { memberId: number; fundingShareBps: number; incomeShareBps: number };
/** The split in force: `agreed` false means income splits by funding share. */
export type IncomeSplitView = { loanId: string; agreed: boolean; shares: FunderShares[] };
/** A platform admin's acceptance of a split for one loan (the split agreeIncomeSplit sends), kept until the branch asks. */
export type IncomeSplitAcceptance = Pick<
  OutboxArgs["agreeIncomeSplit"],
  "loanId" | "platformIncomeShareBps"
> & {
  acceptedBy: string;
  acceptedAt: string;
};

export type IncomeSplitDeps = {
  memberId: number;
  /** JointLoanLedger, read-only: the loan, its funders, the agreed income share. */
  ledger: Pick<JointLoanLedger, "loan" | "funders" | "incomeShare">;
  outbox: Outbox;
  peers: Pick<PeerNodes, "call" | "urlOf">;
  /** This node's chain key (the platform's node signs the split with it). */
  signer: TypedDataSigner;
  chainId: () => Promise<bigint>;
  ledgerAddress: string;
  /** A signed node-to-node request's caller, its nonce spent (NodeRequests.verify, node-requests.ts). */
  verifyBranchRequest: (request: unknown) => Promise<{ memberId: number }>;
  /** The platform admin's acceptances, by loan id. */
  acceptances: RecordStore<IncomeSplitAcceptance>;
  /** A fresh part of each write's serial (the chain's block number). */
  blockNumber: () => Promise<number>;
  chainWriteTimeoutMs?: number;
  now?: () => Date;
};

export class IncomeSplitOperations extends Room<IncomeSplitDeps> {
  /** The split as the ledger states it now. */
  async view(loanId: string): Promise<IncomeSplitView> {
    const id = loanId.toLowerCase();
    await ledgerLoan(this.deps.ledger, id);
    return splitView(id, await this.#funders(id), await this.#incomeShare(id));
  }

  /** The loan's output: its funders from the index, the agreed share from the chain (null while the chain cannot be read). */
  async loanDetail(
    loan: Pick<Loan, "loanId" | "funders">,
  ): Promise<{ incomeSplit: Omit<IncomeSplitView, "loanId"> | null }> {
    try {
      const { agreed, shares } = splitView(loan.loanId, loan.funders, await this.#incomeShare(loan.loanId));
      return { incomeSplit: { agreed, shares } };
    } catch {
      return { incomeSplit: null };
    }
  }

  /**
   * Agree a split for a joint loan, by funder: at the loan's branch's node the platform's node is
   * asked to sign it and agreeIncomeSplit goes through the outbox (awaited); at the platform's
   * node the platform's admin accepts it in advance (nothing goes on chain from here).
   */
  async agree(
    actorId: string,
    loanId: string,
    shares: ReadonlyArray<{ memberId: number; incomeShareBps: number }>,
  ) {
    const id = loanId.toLowerCase();
    const loan = await ledgerLoan(this.deps.ledger, id);
    const funders = await this.#funders(id);
    if (!funders.some((f) => f.memberId === this.deps.memberId)) {
      throw nodeError(
        "NODE_ERR_NOT_FUNDER",
        `member ${this.deps.memberId} is not a funder of loan ${id}: only its funders agree how its income splits`,
        { funders: funders.map((f) => f.memberId) },
      );
    }
    const platformIncomeShareBps = checkShares(id, funders, loan.platform, shares);
    requireUndisbursed(id, loan, SPLIT_NEEDS_UNDISBURSED);
    if (this.deps.memberId !== loan.branch) {
      // the platform's admin accepts the split; its node signs it when the branch's node asks
      const acceptance = {
        loanId: id,
        platformIncomeShareBps,
        acceptedBy: actorId,
        acceptedAt: (this.deps.now?.() ?? new Date()).toISOString(),
      };
      await this.deps.acceptances.put(id, acceptance);
      return { loanId: id, platformIncomeShareBps, accepted: acceptance, incomeSplit: await this.view(id) };
    }
    if (this.deps.peers.urlOf(loan.platform) === undefined) {
      throw nodeError(
        "NODE_ERR_NO_PLATFORM_NODE",
        `an income split needs platform ${loan.platform}'s signature from its node, which this node's directory (NODE_DIRECTORY) does not list`,
      );
    }
    const reply = await this.deps.peers.call<{ platformSignature?: unknown }>(
      loan.platform,
      "POST",
      "/v1/income-split-agreements",
      { loanId: id, platformIncomeShareBps },
    );
    const platformSignature = reply?.platformSignature;
    if (typeof platformSignature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(platformSignature)) {
      throw nodeError(
        "NODE_ERR_PEER_REFUSED",
        `member ${loan.platform}'s node answered without an income-split signature`,
        { member: loan.platform, status: 200, code: null },
      );
    }
    const serial = `split:${id}:${platformIncomeShareBps}:${await this.deps.blockNumber()}`;
    const entry = await awaitChainWrite(
      this.deps.outbox,
      { serial, kind: "agreeIncomeSplit", args: { loanId: id, platformIncomeShareBps, platformSignature } },
      {
        what: `the income split of loan ${id}`,
        ...(this.deps.chainWriteTimeoutMs === undefined ? {} : { timeoutMs: this.deps.chainWriteTimeoutMs }),
        refusal: (failure) => refusalOf(id, failure),
      },
    );
    return { loanId: id, platformIncomeShareBps, serial, outbox: entry, incomeSplit: await this.view(id) };
  }

  /**
   * The loan's branch's node asks this platform's node to sign a split (signed with the branch's
   * chain key): signed only for a joint loan this platform co-funds, of that branch, with no
   * money out yet, and an income share for the platform of at least its funding share or the
   * share this platform's admin accepted for the loan.
   */
  async sign(request: unknown, body: { loanId: string; platformIncomeShareBps: number }) {
    const id = body.loanId.toLowerCase();
    const bps = body.platformIncomeShareBps;
    const loan = await ledgerLoan(this.deps.ledger, id);
    if (loan.platform !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_NOT_FUNDER",
        `loan ${id} is co-funded by platform ${loan.platform}, not this node's member ${this.deps.memberId}`,
        { platform: loan.platform },
      );
    }
    const funders = await this.#funders(id);
    const mine = funders.find((f) => f.memberId === this.deps.memberId);
    if (funders.length !== 2 || mine === undefined || !(bps >= 0 && bps <= BPS)) {
      throw nodeError(
        "NODE_ERR_BAD_INCOME_SPLIT",
        `loan ${id} takes no income split of ${bps} bps for its platform`,
        { loanId: id, platformIncomeShareBps: bps },
      );
    }
    requireUndisbursed(id, loan, SPLIT_NEEDS_UNDISBURSED);
    const { memberId: branch } = await this.deps.verifyBranchRequest(request);
    if (branch !== loan.branch)
      throw nodeError(
        "NODE_ERR_AGREEMENT_REFUSED",
        `loan ${id} is branch ${loan.branch}'s; member ${branch} does not agree its income split`,
      );
    const accepted = await this.deps.acceptances.get(id);
    if (bps < mine.shareBps && accepted?.platformIncomeShareBps !== bps) {
      throw nodeError(
        "NODE_ERR_AGREEMENT_REFUSED",
        `platform ${this.deps.memberId} does not agree to ${bps} bps of loan ${id}'s income, below its ${mine.shareBps} bps funding share, unless its admin accepted exactly that (PUT /v1/loans/${id}/income-split at this node)`,
        {
          platformIncomeShareBps: bps,
          fundingShareBps: mine.shareBps,
          acceptedBps: accepted?.platformIncomeShareBps ?? null,
        },
      );
    }
    const { domain, types, value } = incomeSplitTypedData(
      await this.deps.chainId(),
      this.deps.ledgerAddress,
      id,
      bps,
    );
    return { platformSignature: await this.deps.signer.signTypedData(domain, types, value) };
  }

  async #funders(loanId: string): Promise<Array<{ memberId: number; shareBps: number }>> {
    const funders = await this.#read("funders", loanId, () => this.deps.ledger.funders(loanId));
    return funders.map((f) => ({ memberId: Number(f.memberId), shareBps: Number(f.shareBps) }));
  }

  async #incomeShare(loanId: string): Promise<number | undefined> {
    const [agreed, bps] = await this.#read("incomeShare", loanId, () => this.deps.ledger.incomeShare(loanId));
    return agreed ? Number(bps) : undefined;
  }

  async #read<T>(what: string, loanId: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read ${what} of loan ${loanId} from the ledger: ${(error as Error).message}`,
      );
    }
  }
}

/** The funders' shares with the agreed platform income share (funder 1 of a joint loan is its platform). */
export function splitView(
  loanId: string,
  funders: ReadonlyArray<{ memberId: number; shareBps: number }>,
  platformIncomeShareBps: number | undefined,
): IncomeSplitView {
  const agreed = platformIncomeShareBps !== undefined && funders.length === 2;
  return {
    loanId,
    agreed,
    shares: funders.map((f, i) => ({
      memberId: f.memberId,
      fundingShareBps: f.shareBps,
      incomeShareBps: !agreed ? f.shareBps : i === 1 ? platformIncomeShareBps : BPS - platformIncomeShareBps,
    })),
  };
}

/**
 * The platform's income share of a proposed split, or NODE_ERR_BAD_INCOME_SPLIT (the ledger's
 * LedgerBadIncomeSplit values, with the sum and the funders): a joint loan's two funders, each
 * named once, shares summing to 10,000 bps.
 */
export function checkShares(
  loanId: string,
  funders: ReadonlyArray<{ memberId: number; shareBps: number }>,
  platform: number,
  shares: ReadonlyArray<{ memberId: number; incomeShareBps: number }>,
): number {
  const sumBps = shares.reduce((sum, s) => sum + s.incomeShareBps, 0);
  const platformIncomeShareBps = shares.find((s) => s.memberId === platform)?.incomeShareBps ?? null;
  const named = new Set(shares.map((s) => s.memberId));
  const exact =
    funders.length === 2 &&
    shares.length === 2 &&
    named.size === 2 &&
    funders.every((f) => named.has(f.memberId));
  if (!exact || sumBps !== BPS || platformIncomeShareBps === null) {
    const why =
      funders.length !== 2
        ? "only a joint loan's two funders split its income"
        : !exact
          ? `name each of the loan's funders (${funders.map((f) => f.memberId).join(", ")}) once`
          : `the shares sum to ${sumBps} bps, not 10,000`;
    throw nodeError("NODE_ERR_BAD_INCOME_SPLIT", `no income split for loan ${loanId}: ${why}`, {
      loanId,
      platformIncomeShareBps,
      sumBps,
      funders: funders.map((f) => f.memberId),
    });
  }
  return platformIncomeShareBps;
}

/** The ledger takes a split only before any disbursement (LedgerPartlyDisbursed, LedgerWrongState). */
const SPLIT_NEEDS_UNDISBURSED = {
  disbursed: "its income split was fixed when the money went out",
  onlyRegistered: "takes an income split",
};

/** A chain refusal of agreeIncomeSplit as the node's code, with the ledger's values (else the generic refusal). */
function refusalOf(loanId: string, failure: OutboxFailure) {
  // the ledger's arguments as the outbox keeps them: integers as decimal strings
  const args = failure.args.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v)));
  if (refusedAsDisbursed(failure)) {
    return nodeError(
      "NODE_ERR_LOAN_DISBURSED",
      `loan ${loanId} was disbursed before its income split reached the chain (${failure.code})`,
      failure,
    );
  }
  if (failure.code === "LedgerBadIncomeSplit") {
    return nodeError("NODE_ERR_BAD_INCOME_SPLIT", `the ledger refused the income split of loan ${loanId}`, {
      loanId: args[0],
      platformIncomeShareBps: Number(args[1]),
    });
  }
  return undefined;
}
