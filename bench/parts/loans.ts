// Part 2: loan registrations, disbursements and repayments per second through the institution
// nodes' HTTP APIs into the chain, and the chain's own ceiling for the same calls.
//
// Node path: per operation, every POST is sent (BENCH_LOAN_IN_FLIGHT in flight, default 32) and
// the clock runs from the first send until the last of the phase's own transactions is mined (the
// sender accounts' nonces polled every 20 ms; every outbox entry must read "confirmed"). Ceiling: the nodes stopped, the nodes' own
// calldata from the chain (fresh serials and loan ids) is signed in advance with the same keys
// and gas limits and sent as raw transactions, as many in flight, until the last one is mined. A joint
// loan's terms change with the fresh serials, so the platform's agreement to them is signed again
// with the platform's key, as its node signs it. Then a repayment file of one row per loan goes
// through the branch's batch-file route, timed from the upload until every row is confirmed, and
// is set beside the repayment ceiling (printed in the log).
import { randomBytes } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { type JsonRpcProvider, Transaction, type TransactionResponse, type Wallet } from "ethers";
import { splitByShares } from "../../common/lending/allocation.ts";
import { type LoanTermsForAgreement, signLoanAgreement } from "../../common/lending/agreement.ts";
import { dayToDate, shanghaiDay } from "../../common/lending/dates.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { type Call, callsOf, delegateOf, encodeBatch } from "../../common/chain/batch.ts";
import { EvidenceLog, EvidenceRegistry } from "../../common/chain/generated/contracts.ts";
import { ledgerInterface, onChainSerial } from "../../nodes/src/outbox/entry.ts";
import { authorizationLetter, jiedaibaoApplication, newBorrower } from "../../nodes/client/borrowers.ts";
import type { OutboxEntryView } from "../../nodes/client/node-api.ts";
import { cpuSnapshot } from "../cpu.ts";
import { pool } from "../pool.ts";
import { batchSizeOf, batchesOf, type Packing, packingOf } from "../report/batching.ts";
import { latency } from "../report/stats.ts";
import type {
  BatchedCeilingPhase,
  CeilingPhase,
  LoanOp,
  LoanResult,
  NodePhase,
  PhaseRate,
  RepaymentFile,
} from "../report/types.ts";
import { type BenchNode, type LoanNetwork, startLoanNetwork } from "./loan-network.ts";
import { callsIn, ownCall, plainGasLimit } from "./flow-calls.ts";
import { NONCE_POLL_MS, NonceWatch } from "./nonce-watch.ts";
import { rpcPerFlow } from "./rpc-count.ts";

/** POSTs in flight per phase (BENCH_LOAN_IN_FLIGHT): the nodes' outboxes keep many transactions in flight. */
const IN_FLIGHT = Number(process.env.BENCH_LOAN_IN_FLIGHT ?? 32);
const PRINCIPAL_YUAN = 10_000;
const PLATFORM_SHARE_BPS = 3000;
const PHASE_TIMEOUT_MS = 15 * 60_000;
const IDLE_SAMPLE_MS = 3_000;
/** BENCH_RPC_COUNT=1: the log gives each service's chain calls per flow, by method (rpc-count.ts). */
const RPC_COUNT = process.env.BENCH_RPC_COUNT === "1";
/**
 * BENCH_CPU_PROF=dir: every service writes a V8 CPU profile into dir/<service>/ when stopped, and
 * dir/phases.json gives each timed phase's window on the same monotonic clock (µs), to cut the
 * profiles to it.
 */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;

type Log = (line: string) => void;

/** This process's CPU seconds spent in `cpuSeconds` itself (it scans /proc for each process). */
let readingSeconds = 0;
const ownSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * CPU seconds so far of each process of the network (with its descendants: Anvil's wrapper spawns
 * the binary), and of this one less what these readings cost it: a reading is taken before a phase
 * starts and after it ends, so its cost is not the phase's.
 */
function cpuSeconds(net: LoanNetwork): Record<string, number> {
  const start = ownSeconds();
  const of = (pid: number | undefined) => (pid === undefined ? 0 : (cpuSnapshot([pid])?.children ?? 0));
  const others = {
    anvil: of(net.chain.anvil.process.pid),
    anchor: of(net.anchor.pid),
    branch: of(net.branch.process.pid),
    platform: of(net.platform.process.pid),
    union: of(net.union.process.pid),
  };
  const end = ownSeconds();
  readingSeconds += end - start;
  return { ...others, bench: end - readingSeconds };
}

/** CPU milliseconds per flow (or per second: `flows` seconds) of each process between two readings, and their sum. */
function cpuPerFlow(
  before: Record<string, number>,
  after: Record<string, number>,
  flows: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(after)) out[name] = ((seconds - before[name]!) * 1000) / flows;
  out.total = Object.values(out).reduce((a, b) => a + b, 0);
  return out;
}

type NodeRequest = {
  node: BenchNode;
  role: "clerk" | "approver";
  path: string;
  body: unknown;
  serial: (reply: unknown) => string;
};

/**
 * One operation through the nodes. Returns the phase's figures and each request's reply, flow
 * serial and mined transaction (several flows may share one: a node's batch).
 */
async function nodePhase(
  op: LoanOp,
  net: LoanNetwork,
  requests: NodeRequest[],
  log: Log,
): Promise<{ phase: NodePhase; replies: unknown[]; serials: string[]; txs: TransactionResponse[] }> {
  const provider = net.chain.anvil.provider;
  const watch = new NonceWatch(net.chain.anvil.url);
  const senders = [...new Set(requests.map((r) => r.node.wallet.address))];
  await watch.start(senders);
  const before = new Map(senders.map((a) => [a, watch.count(a)]));
  const sentAt: number[] = [];
  const accepted: number[] = [];
  const cpuBefore = cpuSeconds(net);
  const rpcBefore = net.rpcCounts?.();
  const startedMicros = process.hrtime.bigint() / 1000n;
  const started = performance.now();
  let done = 0;
  const progress = setInterval(() => {
    const mined = senders.reduce((sum, a) => sum + watch.count(a) - before.get(a)!, 0);
    log(`loans: ${op}s through the nodes: ${done}/${requests.length} accepted, ${mined} mined`);
  }, 5_000);
  let replies: unknown[];
  // every entry confirmed by its node, and its transaction among those mined while watching (the
  // node's key also sends other transactions meanwhile, e.g. contract evidence: the phase ends
  // when its own last transaction is mined, not after a count of the account's transactions)
  const hashes: string[] = [];
  const serials: string[] = [];
  try {
    replies = await pool(requests, IN_FLIGHT, async (r, i) => {
      sentAt[i] = performance.now();
      const reply = await r.node.api.post<unknown>(r.path, r.role, r.body);
      accepted[i] = performance.now() - sentAt[i]!;
      done++;
      return reply;
    });
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      const serial = r.serial(replies[i]);
      serials.push(serial);
      const entry: OutboxEntryView = await r.node.api.confirmed(serial, PHASE_TIMEOUT_MS);
      hashes.push(entry.txHash!);
    }
    // the watch sees each confirmed transaction's nonce within one more poll
    await new Promise((r) => setTimeout(r, 5 * NONCE_POLL_MS));
  } finally {
    clearInterval(progress);
    watch.stop();
  }
  const cpuMsPerFlow = cpuPerFlow(cpuBefore, cpuSeconds(net), requests.length);
  // the transactions are read once the phase's CPU is taken: bookkeeping, not the phase's work
  const byHash = new Map<string, TransactionResponse>();
  for (const hash of new Set(hashes)) {
    const tx = await provider.getTransaction(hash);
    if (tx === null) throw new Error(`${op}: transaction ${hash} not found`);
    byHash.set(hash, tx);
  }
  const txs = hashes.map((h) => byHash.get(h)!);
  const onChain: number[] = [];
  for (const [i, tx] of txs.entries()) {
    const mined = watch.minedAt.get(`${tx.from}:${tx.nonce}`);
    if (mined === undefined)
      throw new Error(`${op} ${tx.hash}: its transaction (nonce ${tx.nonce}) was not mined during the phase`);
    onChain.push(mined - sentAt[i]!);
  }
  const end = Math.max(...txs.map((tx) => watch.minedAt.get(`${tx.from}:${tx.nonce}`)!));
  if (CPU_PROF_DIR !== undefined)
    await appendFile(
      path.join(CPU_PROF_DIR, "phases.jsonl"),
      `${JSON.stringify({ op, fromMicros: String(startedMicros), toMicros: String(process.hrtime.bigint() / 1000n) })}\n`,
    );
  const rpcAfter = net.rpcCounts?.();
  if (rpcBefore !== undefined && rpcAfter !== undefined)
    for (const [name, counts] of Object.entries(rpcAfter))
      log(
        `loans: ${op}s, ${name}'s chain calls per flow: ${rpcPerFlow(
          rpcBefore[name as keyof typeof rpcBefore],
          counts,
          requests.length,
        )
          .map(([method, n]) => `${method} ${n.toFixed(2)}`)
          .join(", ")}`,
      );
  const phase: NodePhase = {
    ...phaseRate(op, requests.length, started, end),
    cpuMsPerFlow,
    acceptMs: latency(accepted),
    onChainMs: latency(onChain),
    flowsPerBlockPerNode: flowsPerBlock(txs),
    packing: await packing(provider, txs),
  };
  const perBlock = phase.flowsPerBlockPerNode!;
  log(
    `loans: ${requests.length} ${op}s through the nodes in ${phase.seconds.toFixed(1)} s = ${phase.perSecond.toFixed(2)}/s (POST → mined p50 ${phase.onChainMs.p50.toFixed(0)} ms, p99 ${phase.onChainMs.p99.toFixed(0)} ms; flows per block per node: mean ${perBlock.mean.toFixed(1)}, max ${perBlock.max}; ${packingText(phase.packing!)})`,
  );
  log(
    `loans: ${op}s, CPU ms per flow: ${Object.entries(cpuMsPerFlow)
      .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
      .join(
        ", ",
      )} (${os.cpus().length} cores: at most ${((os.cpus().length * 1000) / cpuMsPerFlow.total!).toFixed(0)}/s)`,
  );
  return { phase, replies, serials, txs };
}

/** How `txs` (one per flow, a batch repeated for each of its flows) packed the flows; gas from their receipts. */
async function packing(provider: JsonRpcProvider, txs: readonly TransactionResponse[]): Promise<Packing> {
  const gasUsed = new Map<string, bigint>();
  for (const tx of txs)
    if (!gasUsed.has(tx.hash)) {
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt === null) throw new Error(`transaction ${tx.hash}: no receipt`);
      gasUsed.set(tx.hash, receipt.gasUsed);
    }
  return packingOf(
    txs.map((tx) => ({ txHash: tx.hash, calls: callsIn(tx).length, gasUsed: gasUsed.get(tx.hash)! })),
  );
}

const packingText = (p: Packing) =>
  `${p.flowsPerTransaction.toFixed(2)} flows per transaction in ${p.transactions} transactions of ${p.callsPerTransaction.toFixed(2)} calls, gas per call ${p.gasPerCall.toFixed(0)}`;

/** Each node's transactions grouped by the block that holds them: mean and largest count per (block, node). */
function flowsPerBlock(txs: readonly TransactionResponse[]): { mean: number; max: number } {
  const counts = new Map<string, number>();
  for (const tx of txs) {
    const key = `${tx.blockNumber}:${tx.from.toLowerCase()}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const values = [...counts.values()];
  return values.length === 0
    ? { mean: 0, max: 0 }
    : { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}

/** Progress of a batch file, as GET /v1/batch-files/:batchId answers it. */
type FileProgress = { id: string; done: boolean; counts: Record<string, number> };

/**
 * A repayment file of `rows` (serial, loan id; 1 yuan each) uploaded at `node`, timed until every
 * row is confirmed; then, untimed, how its rows went into transactions (from the file's result).
 */
async function repaymentFilePhase(
  node: BenchNode,
  provider: JsonRpcProvider,
  rows: ReadonlyArray<[string, string]>,
  log: Log,
): Promise<RepaymentFile> {
  const text = `serial,loanId,amountFen\n${rows.map(([serial, loanId]) => `${serial},${loanId},100`).join("\n")}\n`;
  const started = performance.now();
  const { id } = await node.api.postCsv<FileProgress>("/v1/batch-files/repayment", "clerk", text);
  let progress: FileProgress;
  for (;;) {
    progress = await node.api.get<FileProgress>(`/v1/batch-files/${id}`);
    if (progress.done) break;
    if (performance.now() - started > PHASE_TIMEOUT_MS)
      throw new Error(
        `repayment file ${id} not done within ${PHASE_TIMEOUT_MS} ms: ${JSON.stringify(progress.counts)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  if (progress.counts.confirmed !== rows.length)
    throw new Error(`repayment file ${id}: ${JSON.stringify(progress.counts)}, not ${rows.length} confirmed`);
  const seconds = (performance.now() - started) / 1000;
  const perSecond = rows.length / seconds;
  const result = await node.api.get<string>(`/v1/batch-files/${id}/result`);
  const hashes = result
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",")[3]!);
  const txs = new Map<string, TransactionResponse>();
  for (const hash of new Set(hashes)) {
    const tx = await provider.getTransaction(hash);
    if (tx === null) throw new Error(`repayment file ${id}: transaction ${hash} not found`);
    txs.set(hash, tx);
  }
  const filePacking = await packing(
    provider,
    hashes.map((h) => txs.get(h)!),
  );
  log(
    `loans: a repayment file of ${rows.length} rows (one per loan) through the branch in ${seconds.toFixed(1)} s = ${perSecond.toFixed(2)}/s (upload → every row confirmed; ${packingText(filePacking)})`,
  );
  return { rows: rows.length, seconds, perSecond, packing: filePacking };
}

/** The same calls pre-signed in batches of `size` (each sender's `execute` to itself), sent and timed as ceilingPhase does. */
async function batchedCeiling(
  op: LoanOp,
  net: LoanNetwork,
  calls: RawCall[],
  size: number,
  log: Log,
): Promise<BatchedCeilingPhase> {
  const batches = batchesOf(calls, size, (c) => c.wallet.address).map((b): RawCall => ({
    wallet: b[0]!.wallet,
    to: b[0]!.wallet.address,
    data: encodeBatch(b),
    gasLimit: undefined,
    template: b[0]!.template,
  }));
  const phase = await ceilingPhase(op, net, batches, log, {
    count: calls.length,
    flows: calls.length,
    what: `transactions of up to ${size} ${op}s, pre-signed`,
  });
  return { ...phase, batchSize: size };
}

/**
 * A call to sign and send as a raw transaction. `level`: calls are sent level by level, each
 * level once the one before is mined (a contract's evidence registration needs the anchor's head,
 * an endorsement the registration); nonces are given in that order. Default: all at once.
 */
type RawCall = {
  wallet: Wallet;
  to: string;
  data: string;
  /** The node's own limit; undefined: estimated when signed, with the outbox's margin (level 0 only). */
  gasLimit: bigint | undefined;
  template: TransactionResponse;
  level?: number;
};

/** The outbox's default gas margin over an estimate (OutboxSender gasMarginPercent). */
const GAS_MARGIN_PERCENT = 125n;

/** `count` operations from `started` to `end` (performance.now() ms). */
function phaseRate(op: LoanOp, count: number, started: number, end: number): PhaseRate {
  const seconds = (end - started) / 1000;
  return { op, count, seconds, perSecond: count / seconds };
}

/** The same calls as raw transactions signed in advance, sent IN_FLIGHT at a time, timed until the last is mined. */
async function ceilingPhase(
  op: LoanOp,
  net: LoanNetwork,
  calls: RawCall[],
  log: Log,
  opts: {
    /** What the rate counts (default: each call): the all-transactions phase counts loans. */
    count?: number;
    /** The flows the transactions carry (default: one each); gas is given per flow. */
    flows?: number;
    what?: string;
  } = {},
): Promise<CeilingPhase> {
  const count = opts.count ?? calls.length;
  const flows = opts.flows ?? calls.length;
  const what = opts.what ?? `${op}s from pre-signed transactions`;
  const provider = net.chain.anvil.provider;
  const nonces = new Map<string, number>();
  for (const c of calls)
    if (!nonces.has(c.wallet.address))
      nonces.set(c.wallet.address, await provider.getTransactionCount(c.wallet.address, "pending"));
  log(`loans: chain ceiling, signing ${calls.length} ${op} transactions in advance…`);
  const block = await provider.getBlock("latest");
  const baseFee = block?.baseFeePerGas ?? 0n;
  const levels = [...new Set(calls.map((c) => c.level ?? 0))].sort((a, b) => a - b);
  const waves: Array<{ signed: Array<{ raw: string; hash: string }>; targets: Map<string, number> }> = [];
  for (const level of levels) {
    const signed: Array<{ raw: string; hash: string }> = [];
    for (const c of calls.filter((x) => (x.level ?? 0) === level)) {
      const nonce = nonces.get(c.wallet.address)!;
      nonces.set(c.wallet.address, nonce + 1);
      const t = c.template;
      // a node's batch may be a type-4 transaction (its delegation): fees as type 2
      const fees =
        t.type !== 0 && t.type !== 1
          ? {
              type: 2,
              maxFeePerGas: [t.maxFeePerGas ?? 0n, baseFee * 2n].reduce((a, b) => (a > b ? a : b)),
              maxPriorityFeePerGas: t.maxPriorityFeePerGas ?? 0n,
            }
          : { type: 0, gasPrice: [t.gasPrice, baseFee * 2n].reduce((a, b) => (a > b ? a : b)) };
      const gasLimit =
        c.gasLimit ??
        ((await provider.estimateGas({ from: c.wallet.address, to: c.to, data: c.data })) *
          GAS_MARGIN_PERCENT) /
          100n;
      const tx = Transaction.from({
        to: c.to,
        data: c.data,
        gasLimit,
        nonce,
        chainId: net.chain.chainId,
        ...fees,
      });
      const raw = await c.wallet.signTransaction(tx);
      signed.push({ raw, hash: Transaction.from(raw).hash! });
    }
    waves.push({ signed, targets: new Map([...nonces]) });
  }
  const signed = waves.flatMap((w) => w.signed);
  const watch = new NonceWatch(net.chain.anvil.url);
  await watch.start([...nonces.keys()]);
  const cpuBefore = cpuSeconds(net);
  const started = performance.now();
  let end = started;
  try {
    for (const wave of waves) {
      await pool(wave.signed, IN_FLIGHT, async (s) => {
        await provider.send("eth_sendRawTransaction", [s.raw]);
      });
      end = await watch.until(wave.targets, PHASE_TIMEOUT_MS, async () =>
        [...wave.targets].map(([a, n]) => `${a} at ${watch.count(a)}/${n}`).join(", "),
      );
    }
  } finally {
    watch.stop();
  }
  const cpu = cpuPerFlow(cpuBefore, cpuSeconds(net), calls.length);
  let gas = 0n;
  for (const s of signed) {
    const receipt = await provider.getTransactionReceipt(s.hash);
    if (receipt === null || receipt.status !== 1)
      throw new Error(`ceiling ${op}: transaction ${s.hash} ${receipt === null ? "not mined" : "reverted"}`);
    gas += receipt.gasUsed;
  }
  const phase: CeilingPhase = {
    ...phaseRate(op, count, started, end),
    gasPerCall: Number(gas) / flows,
  };
  log(
    `loans: chain ceiling, ${calls.length} ${what} in ${phase.seconds.toFixed(2)} s = ${phase.perSecond.toFixed(1)}/s (CPU ms per transaction: anvil ${cpu.anvil!.toFixed(2)}, bench ${cpu.bench!.toFixed(2)}; gas per flow ${phase.gasPerCall.toFixed(0)})`,
  );
  return phase;
}

/** Waits (2 minutes at most) until `loans` evidence registrations and endorsements are on chain since `fromBlock`. */
async function evidenceSettled(net: LoanNetwork, fromBlock: number, loans: number, log: Log): Promise<void> {
  const provider = net.chain.anvil.provider;
  const events = EvidenceRegistry.interface;
  const topics = [
    events.getEvent("EvidenceRegistered")!.topicHash,
    events.getEvent("EvidenceEndorsed")!.topicHash,
  ];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const logs = await provider.getLogs({
      address: net.chain.deployment.addresses.evidenceRegistry,
      fromBlock,
      toBlock: "latest",
      topics: [topics],
    });
    const [registered, endorsed] = topics.map((t) => logs.filter((l) => l.topics[0] === t).length);
    if (registered! >= loans && endorsed! >= loans) return;
    if (Date.now() > deadline) {
      log(
        `loans: after 2 minutes, ${registered} evidence registrations and ${endorsed} endorsements of ${loans} loans on chain; the all-transactions ceiling replays those`,
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Context for the registration ceiling: the chain's ceiling for every transaction the node path's
 * joint registrations made — registerLoan, the contract's evidence registration (the branch's
 * EvidenceRegistry.register, with the anchor's commitHead transactions its proofs need) and the
 * platform's endorsement — replayed from the node path's own calldata on the chain as it was
 * before the registrations (evm_revert), signed in advance with the same keys, and sent in three
 * waves (loans and heads, registrations, endorsements), each once the one before is mined.
 * Per second: loans. Reverting drops everything after the snapshot, so this runs last.
 */
async function allTransactionsCeiling(
  net: LoanNetwork,
  before: { snapshot: string; firstBlock: number },
  lastBlock: number,
  loans: number,
  log: Log,
): Promise<CeilingPhase & { transactionsPerLoan: Record<string, number> }> {
  const provider = net.chain.anvil.provider;
  const { evidenceLog, evidenceRegistry } = net.chain.deployment.addresses;
  const wallets = new Map(
    [net.branch.wallet, net.platform.wallet, net.union.wallet, net.chain.wallets.anchor].map((w) => [
      w.address.toLowerCase(),
      w,
    ]),
  );
  const registerLoan = ledgerInterface.getFunction("registerLoan")!.selector;
  // each call on its own, whether its transaction was plain or a node's batch
  const found: Array<{
    kind: string;
    tx: TransactionResponse;
    call: Call;
    level: number;
    treeSize?: bigint;
  }> = [];
  for (let n = before.firstBlock; n <= lastBlock; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? [])
      for (const call of callsOf(tx)) {
        const to = call.to.toLowerCase();
        if (to === net.ledger.toLowerCase() && call.data.startsWith(registerLoan))
          found.push({ kind: "registerLoan", tx, call, level: 0 });
        else if (to === evidenceLog.toLowerCase()) {
          const parsed = EvidenceLog.interface.parseTransaction({ data: call.data });
          if (parsed?.name === "commitHead")
            found.push({
              kind: "commitHead",
              tx,
              call,
              level: 0,
              treeSize: BigInt(parsed.args[1] as bigint),
            });
        } else if (to === evidenceRegistry.toLowerCase()) {
          const parsed = EvidenceRegistry.interface.parseTransaction({ data: call.data });
          if (parsed?.name === "register")
            found.push({ kind: "register", tx, call, level: 1, treeSize: BigInt(parsed.args[2] as bigint) });
          else if (parsed?.name === "endorse") found.push({ kind: "endorse", tx, call, level: 2 });
        }
      }
  }
  // the heads the registrations' proofs need, not those anchoring later vouchers only
  const needed = found.reduce((m, f) => (f.kind === "register" && f.treeSize! > m ? f.treeSize! : m), 0n);
  const firstAfter = found.find((f) => f.kind === "commitHead" && f.treeSize! >= needed)?.treeSize ?? 0n;
  const used = found.filter((f) => f.kind !== "commitHead" || f.treeSize! <= firstAfter);
  const transactionsPerLoan: Record<string, number> = {};
  for (const f of used) transactionsPerLoan[f.kind] = (transactionsPerLoan[f.kind] ?? 0) + 1 / loans;
  // the node path packs calls of several kinds in one batch: the transactions that carried each kind
  const carried = (fs: typeof used) => new Set(fs.map((f) => f.tx.hash)).size / loans;
  const carriedText = [...new Set(used.map((f) => f.kind))]
    .map((kind) => `${kind} ${carried(used.filter((f) => f.kind === kind)).toFixed(2)}`)
    .join(", ");
  log(
    `loans: the node path's transactions per loan carrying each kind: ${carriedText}; all together ${carried(used).toFixed(2)}`,
  );
  if (!(await provider.send("evm_revert", [before.snapshot])))
    throw new Error("the chain could not return to its state before the registrations");
  const calls = used.map((f): RawCall => {
    const wallet = wallets.get(f.tx.from.toLowerCase());
    if (wallet === undefined)
      throw new Error(`${f.kind} ${f.tx.hash} was sent by ${f.tx.from}, no known key`);
    // a batched call's own limit is unknown and a later level cannot be estimated before the one
    // before it is mined: its batch's limit, which covered it and more, bounds it
    return {
      wallet,
      to: f.call.to,
      data: f.call.data,
      gasLimit: f.tx.gasLimit,
      template: f.tx,
      level: f.level,
    };
  });
  const phase = await ceilingPhase("registration", net, calls, log, { count: loans });
  log(
    `loans: chain ceiling for ALL the transactions of a joint registration (per loan: ${Object.entries(
      transactionsPerLoan,
    )
      .map(([kind, n]) => `${kind} ${n.toFixed(2)}`)
      .join(", ")}) = ${phase.perSecond.toFixed(1)} loans/s (context, not the issue's ratio)`,
  );
  return { ...phase, transactionsPerLoan };
}

const randomHex32 = () => `0x${randomBytes(32).toString("hex")}`;

/**
 * `blockTimeSeconds`: the timed phases run on a chain that mines on that interval (Anvil's
 * --block-time, switched on after the untimed preparation), the QBFT-like case; the ceiling is
 * then not measured (it is the block's gas limit over the interval).
 */
export async function runLoans(opts: {
  loans: number;
  ceilingLoans: number;
  log: Log;
  blockTimeSeconds?: number;
}): Promise<LoanResult> {
  const { log } = opts;
  const K = opts.loans;
  log(
    `loans: starting Anvil, the contracts, the anchor service, the union's, branch A's and the platform's nodes…`,
  );
  if (CPU_PROF_DIR !== undefined) await mkdir(CPU_PROF_DIR, { recursive: true });
  const net = await startLoanNetwork(log, {
    rpcCount: RPC_COUNT,
    ...(CPU_PROF_DIR === undefined ? {} : { cpuProfileDir: CPU_PROF_DIR }),
  });
  try {
    const { branch, platform } = net;
    const provider = net.chain.anvil.provider;
    const runId = randomBytes(4).toString("hex").toUpperCase();

    // -- preparation (not timed): the platform's applications, submitted on its own node to the
    // union's, which forwards them to branch A; consents stored and anchored at branch A
    const prepStarted = performance.now();
    log(
      `loans: preparing ${K} platform applications (platform → union → branch A) and anchored consents at branch A (not timed)…`,
    );
    const prepared = await pool(
      Array.from({ length: K }, (_, i) => i),
      4,
      async (i) => {
        const borrower = newBorrower(net.regionCode);
        const channelId = `BENCH-${runId}-${String(i).padStart(5, "0")}`;
        const letter = authorizationLetter(borrower, channelId);
        const signedAt = new Date(Date.now() - 10 * 60_000);
        const payload = jiedaibaoApplication(borrower, {
          applicationId: channelId,
          principalYuan: `${PRINCIPAL_YUAN}.00`,
          termMonths: 12,
          annualPercent: "14.4",
          signedAt,
          letterSha256: letter.sha256,
        });
        const app = await platform.api.post<{
          assignedBranch: number;
          forwardedTo?: { member: number; applicationId?: string };
        }>("/v1/applications/jiedaibao", "clerk", payload);
        const applicationId = app.forwardedTo?.applicationId;
        if (app.assignedBranch !== branch.memberId || applicationId === undefined)
          throw new Error(
            `application ${channelId} was routed to member ${app.assignedBranch} (forwarded: ${JSON.stringify(app.forwardedTo)}), not to branch A's node`,
          );
        const consent = await branch.api.post<{ consent: { leafHash: string } }>("/v1/consents", "clerk", {
          applicationId,
          letterBase64: letter.bytes.toString("base64"),
          signedAt: signedAt.toISOString(),
          validUntil: new Date(signedAt.getTime() + 365 * 86_400_000).toISOString(),
          scope: ["LOAN_APPROVAL"],
        });
        // the credit query and decision approval needs (a referral answered by the approver)
        await branch.api.post("/v1/credit-queries", "approver", { applicationId, purpose: "LOAN_APPROVAL" });
        const decided = await branch.api.post<{ record: { outcome: string; reasons: string[] } }>(
          "/v1/decisions",
          "approver",
          { applicationId, monthlyIncomeFen: "1000000000" },
        );
        if (decided.record.outcome === "decline")
          throw new Error(
            `the credit decision declined ${applicationId}: ${decided.record.reasons.join(", ")}`,
          );
        if (decided.record.outcome === "refer")
          await branch.api.post(`/v1/decisions/queue/${applicationId}`, "approver", { outcome: "approve" });
        return { applicationId, consentLeaf: consent.consent.leafHash };
      },
    );
    const prepareSeconds = (performance.now() - prepStarted) / 1000;
    // what the processes cost doing nothing (pollers, timers): a phase's CPU per flow includes
    // this much per second of the phase
    const idleBefore = cpuSeconds(net);
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const idle = cpuPerFlow(idleBefore, cpuSeconds(net), IDLE_SAMPLE_MS / 1000);
    log(
      `loans: idle, CPU ms per second: ${Object.entries(idle)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
        .join(", ")}`,
    );
    const today = dayToDate(shanghaiDay((await provider.getBlock("latest"))!.timestamp));
    if (opts.blockTimeSeconds !== undefined) {
      await provider.send("evm_setAutomine", [false]);
      await provider.send("evm_setIntervalMining", [opts.blockTimeSeconds]);
      log(`loans: the chain mines a block every ${opts.blockTimeSeconds} s from here`);
    }

    // the chain before the registrations: the all-transactions ceiling replays them from here
    const beforeRegistrations =
      opts.blockTimeSeconds === undefined
        ? {
            snapshot: (await provider.send("evm_snapshot", [])) as string,
            firstBlock: (await provider.getBlockNumber()) + 1,
          }
        : undefined;

    // -- registrations
    type Approved = {
      loanId: string;
      serial: string;
      schedule: Array<{ principalFen: string; totalFen: string }>;
    };
    const registration = await nodePhase(
      "registration",
      net,
      prepared.map((p) => ({
        node: branch,
        role: "approver" as const,
        path: "/v1/loans",
        body: {
          applicationId: p.applicationId,
          contractBase64: Buffer.from(`loan contract ${p.applicationId} (benchmark document)`).toString(
            "base64",
          ),
          consentLeafHash: p.consentLeaf,
          platformShareBps: PLATFORM_SHARE_BPS,
          startDate: today,
        },
        serial: (reply: unknown) => (reply as Approved).serial,
      })),
      log,
    );
    const approved = registration.replies as Approved[];

    // -- disbursements: each funder its exact share, from its own node
    const funders = [
      [branch, "B"],
      [platform, "P"],
    ] as const;
    const shares = approved.map(
      (a) =>
        splitByShares(
          a.schedule.reduce((s, i) => s + BigInt(i.principalFen), 0n),
          [10_000 - PLATFORM_SHARE_BPS, PLATFORM_SHARE_BPS],
        ) as [bigint, bigint],
    );
    const flow = (
      node: BenchNode,
      kind: "disbursements" | "repayments",
      loanId: string,
      serial: string,
      amount: bigint,
      accountHash?: string,
    ): NodeRequest => ({
      node,
      role: "clerk",
      path: `/v1/loans/${loanId}/${kind}`,
      body: { serial, amountFen: amount.toString(), ...(accountHash === undefined ? {} : { accountHash }) },
      serial: () => serial,
    });
    const disbursement = await nodePhase(
      "disbursement",
      net,
      approved.flatMap((a, i) =>
        funders.map(([node, tag], k) =>
          flow(
            node,
            "disbursements",
            a.loanId,
            `DSB-${runId}-${tag}${i}`,
            shares[i]![k]!,
            node.settlementAccount,
          ),
        ),
      ),
      log,
    );

    // -- repayments: the first installment of each loan, at the servicing branch
    const repayment = await nodePhase(
      "repayment",
      net,
      approved.map((a, i) =>
        flow(branch, "repayments", a.loanId, `RPY-${runId}-${i}`, BigInt(a.schedule[0]!.totalFen)),
      ),
      log,
    );

    // -- a day's repayment file at the servicing branch: one row per loan (a second, small
    // repayment), timed from the upload until every row is confirmed
    const file = await repaymentFilePhase(
      branch,
      provider,
      approved.map((a, i): [string, string] => [`RPF-${runId}-${i}`, a.loanId]),
      log,
    );

    // the registrations' trailing evidence work (the contract's registration, the platform's
    // endorsement) finishes before the nodes stop, so the all-transactions ceiling replays all of it
    if (beforeRegistrations !== undefined) await evidenceSettled(net, beforeRegistrations.firstBlock, K, log);
    const lastBlock = await provider.getBlockNumber();
    const node = [registration.phase, disbursement.phase, repayment.phase];
    if (opts.blockTimeSeconds !== undefined)
      return {
        loans: K,
        ceilingLoans: 0,
        principalFen: PRINCIPAL_YUAN * 100,
        node,
        ceiling: [],
        repaymentFile: file,
        prepareSeconds,
        blockTimeSeconds: opts.blockTimeSeconds,
      };

    // -- the chain's ceiling for the same calls
    log("loans: stopping the nodes and the anchor service; the chain alone from here");
    await net.stopServices();
    // each node-path flow's own call, read back from the transaction that carried it (a plain
    // transaction, or one of a node's batches)
    const registerFlows = registration.txs.map((tx, i) => ({
      tx,
      call: ownCall(net.ledger, "registerLoan", tx, approved[i]!.loanId),
    }));
    const disburseFlows = disbursement.txs.map((tx, i) => ({
      tx,
      call: ownCall(net.ledger, "disburse", tx, onChainSerial(disbursement.serials[i]!)),
    }));
    const repayFlows = repayment.txs.map((tx, i) => ({
      tx,
      call: ownCall(net.ledger, "repay", tx, onChainSerial(repayment.serials[i]!)),
    }));
    const fields = ledgerInterface.getFunction("registerLoan")!.inputs[0]!.components!.map((c) => c.name);
    const at = (name: string) => {
      const i = fields.indexOf(name);
      if (i < 0) throw new Error(`registerLoan's terms have no field ${name}`);
      return i;
    };
    // at least `ceilingLoans` loans, cycling through the nodes' calls: a few dozen transactions
    // are over in milliseconds, too short to time
    const copies = Math.max(K, opts.ceilingLoans);
    const origin = Array.from({ length: copies }, (_, j) => j % K); // ceiling loan j copies the node path's loan origin[j]
    /** A fresh set of `copies` loans: their registrations (fresh serials, borrowers, agreements) and ids. */
    const freshLoans = async (): Promise<{ calls: RawCall[]; loanIds: string[] }> => {
      const calls: RawCall[] = [];
      const loanIds: string[] = [];
      for (const i of origin) {
        const { tx, call } = registerFlows[i]!;
        const [decoded, agreement] = ledgerInterface.decodeFunctionData("registerLoan", call.data);
        const terms = [...decoded] as unknown[];
        const applicationSerial = randomHex32();
        const fresh = [...terms];
        fresh[at("applicationSerial")] = applicationSerial;
        fresh[at("borrowerKey")] = randomHex32(); // a fresh borrower: each loan counts against its borrower's limit
        loanIds.push(loanIdOf(Number(terms[at("originator")]), applicationSerial));
        const joint = agreement !== "0x";
        const freshAgreement = joint
          ? await signLoanAgreement(
              platform.wallet,
              net.chain.chainId,
              net.ledger,
              Object.fromEntries(fields.map((name, k) => [name, fresh[k]])) as LoanTermsForAgreement,
            )
          : "0x";
        calls.push({
          wallet: branch.wallet,
          to: net.ledger,
          data: ledgerInterface.encodeFunctionData("registerLoan", [fresh, freshAgreement]),
          gasLimit: plainGasLimit(tx),
          template: tx,
        });
      }
      return { calls, loanIds };
    };
    const loanIndex = new Map(approved.map((a, i) => [a.loanId.toLowerCase(), i]));
    const wallets = new Map([branch.wallet, platform.wallet].map((w) => [w.address.toLowerCase(), w]));
    /** The node path's flow redone for ceiling loan j (a copy of the same node-path loan, id `loanId`). */
    const remap = (
      flow: { tx: TransactionResponse; call: Call },
      fn: "disburse" | "repay",
      j: number,
      loanId: string,
    ): RawCall => {
      const args = [...ledgerInterface.decodeFunctionData(fn, flow.call.data)];
      const i = loanIndex.get(String(args[0]).toLowerCase());
      if (i === undefined || origin[j] !== i)
        throw new Error(`${fn} transaction ${flow.tx.hash} is not for the loan ceiling loan ${j} copies`);
      args[0] = loanId;
      args[fn === "disburse" ? 3 : 2] = randomHex32(); // a fresh on-chain serial
      const wallet = wallets.get(flow.tx.from.toLowerCase());
      if (wallet === undefined)
        throw new Error(`${fn} ${flow.tx.hash} was sent by ${flow.tx.from}, no known key`);
      return {
        wallet,
        to: net.ledger,
        data: ledgerInterface.encodeFunctionData(fn, args),
        gasLimit: plainGasLimit(flow.tx),
        template: flow.tx,
      };
    };
    // the node path's flows in request order: disbursements 2i (branch) and 2i+1 (platform), repayment i, for loan i
    const disbursementsOf = (loanIds: string[]) =>
      origin.flatMap((i, j) =>
        [disburseFlows[2 * i]!, disburseFlows[2 * i + 1]!].map((f) => remap(f, "disburse", j, loanIds[j]!)),
      );
    const repaymentsOf = (loanIds: string[]) =>
      origin.map((i, j) => remap(repayFlows[i]!, "repay", j, loanIds[j]!));

    // the issue's ceiling: one flow per transaction
    const ceiling: CeilingPhase[] = [];
    const single = await freshLoans();
    ceiling.push(await ceilingPhase("registration", net, single.calls, log));
    ceiling.push(await ceilingPhase("disbursement", net, disbursementsOf(single.loanIds), log));
    ceiling.push(await ceilingPhase("repayment", net, repaymentsOf(single.loanIds), log));

    // context: the same flows in batches of the size the node path used, on fresh loans
    const ceilingBatched: BatchedCeilingPhase[] = [];
    const sizes = new Map(node.map((n) => [n.op, batchSizeOf(n.packing?.flowsPerTransaction ?? 1)]));
    const delegated = await Promise.all(
      [branch.wallet, platform.wallet].map(
        async (w) => (await delegateOf(provider, w.address)) !== undefined,
      ),
    );
    if ([...sizes.values()].some((k) => k > 1) && delegated.every(Boolean)) {
      const batched = await freshLoans();
      const run = async (op: LoanOp, calls: RawCall[]) =>
        ceilingBatched.push(await batchedCeiling(op, net, calls, sizes.get(op)!, log));
      await run("registration", batched.calls);
      await run("disbursement", disbursementsOf(batched.loanIds));
      await run("repayment", repaymentsOf(batched.loanIds));
    } else
      log(
        `loans: no batched ceiling (the node path's flows per transaction round to ${[...sizes.values()].join(", ")}; its accounts ${delegated.every(Boolean) ? "are" : "are not all"} delegated to the batch executor)`,
      );

    const registrationAllTx =
      beforeRegistrations === undefined
        ? undefined
        : await allTransactionsCeiling(net, beforeRegistrations, lastBlock, K, log);
    for (const c of ceiling) {
      const n = node.find((p) => p.op === c.op)!;
      const b = ceilingBatched.find((p) => p.op === c.op);
      log(
        `loans: ${c.op}s, node path / chain ceiling = ${n.perSecond.toFixed(1)} / ${c.perSecond.toFixed(1)} per second = ${(n.perSecond / c.perSecond).toFixed(2)}× (node path ${n.packing!.flowsPerTransaction.toFixed(2)} flows per transaction, gas per call ${n.packing!.gasPerCall.toFixed(0)}; ceiling gas per call ${c.gasPerCall.toFixed(0)}${b === undefined ? "" : `; batched ceiling, ${b.batchSize} a transaction: ${b.perSecond.toFixed(1)} per second, gas per flow ${b.gasPerCall.toFixed(0)}, node path / batched ceiling ${(n.perSecond / b.perSecond).toFixed(2)}×`})`,
      );
    }
    const repayCeiling = ceiling.find((c) => c.op === "repayment")!.perSecond;
    log(
      `loans: repayment file, node path / chain ceiling = ${file.perSecond.toFixed(1)} / ${repayCeiling.toFixed(1)} per second = ${(file.perSecond / repayCeiling).toFixed(2)}× (${file.packing === undefined ? "" : packingText(file.packing)})`,
    );
    return {
      loans: K,
      ceilingLoans: copies,
      principalFen: PRINCIPAL_YUAN * 100,
      node,
      ceiling,
      ...(ceilingBatched.length === 0 ? {} : { ceilingBatched }),
      repaymentFile: file,
      ...(registrationAllTx === undefined ? {} : { registrationAllTx }),
      prepareSeconds,
    };
  } finally {
    await net.stop();
  }
}
