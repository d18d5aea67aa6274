// The ledger digest: one SHA-256 over every loan and every fund flow, each reduced to the facts
// the chain itself states (ledger views and events), in a canonical order. Two nodes that indexed
// the same chain agree on it whatever else they keep, and anyone can compute it straight from the
// chain's events (scripts/demo/chain-digest.ts does) to check a node's index against the chain.
//
//   digest = SHA-256( for each loan by loanId:  "loan " ‖ canonicalJson(DigestLoan) ‖ "\n"
//                     for each flow by serial:   "flow " ‖ canonicalJson(DigestFlow) ‖ "\n" )
//
// Amounts are decimal strings of fen; ids and hashes lower-case hex; enums their names.
import { createHash } from "node:crypto";
import { canonicalJson, type FundFlow, type Loan, type LedgerModel } from "./model.ts";

export type DigestLoan = {
  loanId: string;
  branch: number;
  platform: number;
  borrowerKey: string;
  principalFen: string;
  aprBps: number;
  method: string;
  state: string;
  stage: string;
  startDay: number;
  /** The ledger's evidence chain over the contract leaf, consent leaf and every voucher. */
  evidenceChain: string;
  disbursedFen: string;
  principalRepaidFen: string;
  interestRepaidFen: string;
  penaltyRepaidFen: string;
  /** By member id: share, what it disbursed, principal and income it got back. */
  funders: Array<{
    memberId: number;
    shareBps: number;
    disbursedFen: string;
    principalRepaidFen: string;
    incomeFen: string;
  }>;
};

export type DigestFlow = {
  /** The on-chain serial (keccak256 of the human one). */
  serial: string;
  loanId: string;
  type: "disbursement" | "repayment";
  amountFen: string;
  voucher: string;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** Disbursement: the funder and the account hash; repayment: the split and its parts. */
  funder?: number;
  accountHash?: string;
  penaltyFen?: string;
  interestFen?: string;
  principalFen?: string;
  split?: Array<{ funder: number; principalFen: string; incomeFen: string }>;
};

export type LedgerDigest = { digest: string; loans: number; flows: number };

export function ledgerDigest(loans: readonly DigestLoan[], flows: readonly DigestFlow[]): LedgerDigest {
  const hash = createHash("sha256");
  for (const loan of [...loans].sort((a, b) => compare(a.loanId, b.loanId)))
    hash.update(`loan ${canonicalJson(loan)}\n`);
  for (const flow of [...flows].sort((a, b) => compare(a.serial, b.serial)))
    hash.update(`flow ${canonicalJson(flow)}\n`);
  return { digest: `0x${hash.digest("hex")}`, loans: loans.length, flows: flows.length };
}

export function digestLoanOf(loan: Loan): DigestLoan {
  return {
    ...pick(loan, [
      "loanId",
      "branch",
      "platform",
      "borrowerKey",
      "aprBps",
      "method",
      "state",
      "stage",
      "startDay",
    ]),
    evidenceChain: loan.evidence.chain,
    ...fenText(loan, [
      "principalFen",
      "disbursedFen",
      "principalRepaidFen",
      "interestRepaidFen",
      "penaltyRepaidFen",
    ]),
    funders: [...loan.funders]
      .sort((a, b) => a.memberId - b.memberId)
      .map((f) => ({
        ...pick(f, ["memberId", "shareBps"]),
        ...fenText(f, ["disbursedFen", "principalRepaidFen", "incomeFen"]),
      })),
  };
}

export function digestFlowOf(flow: FundFlow): DigestFlow {
  const base = {
    ...pick(flow, ["serial", "loanId", "type", "voucher", "blockNumber", "logIndex", "txHash"]),
    ...fenText(flow, ["amountFen"]),
  };
  if (flow.type === "disbursement") return { ...base, ...pick(flow, ["funder", "accountHash"]) };
  return {
    ...base,
    ...fenText(flow, ["penaltyFen", "interestFen", "principalFen"]),
    split: [...flow.split]
      .sort((a, b) => a.funder - b.funder)
      .map((s) => ({ funder: s.funder, ...fenText(s, ["principalFen", "incomeFen"]) })),
  };
}

function pick<T, K extends keyof T>(record: T, fields: readonly K[]): Pick<T, K> {
  return Object.fromEntries(fields.map((f) => [f, record[f]])) as Pick<T, K>;
}

/** The named amounts as decimal strings of fen, as the digest states every amount. */
function fenText<K extends string>(record: Record<K, bigint>, fields: readonly K[]): Record<K, string> {
  return Object.fromEntries(fields.map((f) => [f, record[f].toString()])) as Record<K, string>;
}

/** The digest of everything in a node's read model. */
export async function modelLedgerDigest(model: LedgerModel): Promise<LedgerDigest> {
  const loans: DigestLoan[] = [];
  for await (const loan of model.db.model.loans.values()) loans.push(digestLoanOf(loan as Loan));
  const flows: DigestFlow[] = [];
  for await (const flow of model.db.model.flows.values()) flows.push(digestFlowOf(flow as FundFlow));
  return ledgerDigest(loans, flows);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
