// What `npm run bench` measures, as the report formats it (bench/report/markdown.ts) and writes
// to bench/report.json. Times in milliseconds unless a name says otherwise.
import type { AnchorFigures, AnchorRow } from "./anchor-table.ts";
import type { Packing } from "./batching.ts";
import type { Latency } from "./stats.ts";

/** A part of the report: measured, failed (the error is printed in its place), or skipped. */
export type Section<T> =
  { status: "ok"; value: T } | { status: "failed"; error: string } | { status: "skipped"; reason: string };

export type Meta = {
  startedAt: string;
  totalSeconds: number;
  quick: boolean;
  machine: string;
  commit: string;
  /** 1-minute load averages at start and end: a busy (shared) machine lowers every throughput. */
  loadStart: number;
  loadEnd: number;
  cores: number;
};

/** Part 1: bench/anchor.ts, run as a child process, its table read back. */
export type AnchorResult = {
  title: string;
  settings: string[];
  rows: AnchorRow[];
  figures: AnchorFigures;
  seconds: number;
  env: Record<string, string>;
};

export type LoanOp = "registration" | "disbursement" | "repayment";

/** How many of one operation ran in how long. */
export type PhaseRate = { op: LoanOp; count: number; seconds: number; perSecond: number };

/** One operation through the institution nodes' HTTP APIs, until every flow is mined. */
export type NodePhase = PhaseRate & {
  /** POST accepted (voucher/contract anchored, entry in the outbox). */
  acceptMs: Latency;
  /** POST sent → its transaction mined (observed by polling the sender's nonce every 20 ms). */
  onChainMs: Latency;
  /** The phase's transactions per (block, sending node): how many flows a node gets into one block. */
  flowsPerBlockPerNode?: { mean: number; max: number };
  /** CPU milliseconds per flow of each process (anvil, anchor, branch, platform, union, bench) and their total, while the phase ran. */
  cpuMsPerFlow?: Record<string, number>;
  /** How the nodes packed the phase's flows into transactions (a node's batch carries several). */
  packing?: Packing;
};

/** The same contract calls from pre-signed raw transactions, sent straight to the chain. `gasPerCall`: per flow. */
export type CeilingPhase = PhaseRate & { gasPerCall: number };

/** The same flows pre-signed `batchSize` to a transaction (a member's batch to itself): context beside the ceiling. */
export type BatchedCeilingPhase = CeilingPhase & { batchSize: number };

/** A day's repayment file at the branch, one row per loan, upload → every row confirmed. */
export type RepaymentFile = { rows: number; seconds: number; perSecond: number; packing?: Packing };

export type LoanResult = {
  loans: number;
  /** Loans in the ceiling run: the node path's calls cycled through with fresh serials and ids. */
  ceilingLoans: number;
  principalFen: number;
  node: NodePhase[];
  /** The ceiling: the same flows, one per pre-signed transaction. */
  ceiling: CeilingPhase[];
  /** The same flows pre-signed in batches of the node path's mean flows per transaction (absent when it did not batch). */
  ceilingBatched?: BatchedCeilingPhase[];
  repaymentFile?: RepaymentFile;
  /**
   * Context beside the registration ceiling: every transaction the joint registrations made
   * (registerLoan, the contract's evidence registration with the heads it needs, the platform's
   * endorsement) replayed as pre-signed transactions; per second counts loans.
   */
  registrationAllTx?: CeilingPhase & { transactionsPerLoan: Record<string, number> };
  /** Preparation outside the timing: applications, consents (anchored). */
  prepareSeconds: number;
  /** Set when the timed phases ran on a fixed block time (no ceiling then). */
  blockTimeSeconds?: number;
};

export type GasRow = {
  group: "commitHead" | "ledger";
  name: string;
  gas: number;
  budget: number | undefined;
};
export type GasResult = { solc: string; optimizerRuns: number; rows: GasRow[] };

/** Part 4 (and 3): one fresh anchor service filled to `leaves` over HTTP. */
export type ScalingRun = {
  leaves: number;
  /** The first records, sent one request at a time before the clock started (in the log, not in the rate). */
  warmupRecords: number;
  seconds: number;
  perSecond: number;
  /** [log size, records/s over the preceding window] */
  rateOverSize: Array<[number, number]>;
  anchoredMs: Latency;
  bytesBeforeCompaction: number;
  bytesAfterCompaction: number;
  heads: number;
  lookupMs: Latency;
  verifyMs: Latency;
  /** Lookups whose inclusion proof verified against their head; bundles that verified offline. */
  lookupsVerified: number;
  bundlesVerified: number;
};

export type ScalingResult = { mode: "http"; concurrency: number; perRequest: number; runs: ScalingRun[] };

export type ChartRef = { title: string; file: string };

export type BenchResults = {
  meta: Meta;
  anchor: Section<AnchorResult>;
  loans: Section<LoanResult>;
  /** The loan part again on a chain with a fixed block time (BENCH_BLOCK_TIME, part loans-blocktime). */
  loansBlockTime?: Section<LoanResult>;
  gas: Section<GasResult>;
  scaling: Section<ScalingResult>;
  charts: ChartRef[];
};
