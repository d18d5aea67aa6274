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
    loanId: loan.loanId,
    branch: loan.branch,
    platform: loan.platform,
    borrowerKey: loan.borrowerKey,
    principalFen: loan.principalFen.toString(),
    aprBps: loan.aprBps,
    method: loan.method,
    state: loan.state,
    stage: loan.stage,
    startDay: loan.startDay,
    evidenceChain: loan.evidence.chain,
    disbursedFen: loan.disbursedFen.toString(),
    principalRepaidFen: loan.principalRepaidFen.toString(),
    interestRepaidFen: loan.interestRepaidFen.toString(),
    penaltyRepaidFen: loan.penaltyRepaidFen.toString(),
    funders: [...loan.funders]
      .sort((a, b) => a.memberId - b.memberId)
      .map((f) => ({
        memberId: f.memberId,
        shareBps: f.shareBps,
        disbursedFen: f.disbursedFen.toString(),
        principalRepaidFen: f.principalRepaidFen.toString(),
        incomeFen: f.incomeFen.toString(),
      })),
  };
}

export function digestFlowOf(flow: FundFlow): DigestFlow {
  const base = {
    serial: flow.serial,
    loanId: flow.loanId,
    type: flow.type,
    amountFen: flow.amountFen.toString(),
    voucher: flow.voucher,
    blockNumber: flow.blockNumber,
    logIndex: flow.logIndex,
    txHash: flow.txHash,
  };
  if (flow.type === "disbursement") return { ...base, funder: flow.funder, accountHash: flow.accountHash };
  return {
    ...base,
    penaltyFen: flow.penaltyFen.toString(),
    interestFen: flow.interestFen.toString(),
    principalFen: flow.principalFen.toString(),
    split: [...flow.split]
      .sort((a, b) => a.funder - b.funder)
      .map((s) => ({
        funder: s.funder,
        principalFen: s.principalFen.toString(),
        incomeFen: s.incomeFen.toString(),
      })),
  };
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
