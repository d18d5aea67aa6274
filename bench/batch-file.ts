// A daily repayment file through one branch node, beside the chain's ceiling for the same rows:
// N repayment rows uploaded as one batch file (POST /v1/batch-files/repayment) and timed from
// the upload to the last row's confirmation; then the same N repay calls as raw transactions
// signed in advance by the same key, sent with the same bounded window of transactions in flight
// the node's outbox keeps (never thousands at once: Anvil's pool then stalls) and timed until the
// last is mined. In one process: Anvil with every contract, the anchor service and branch A's
// node (test/support).
//
// Two shapes of file (BENCH_BATCH_SHAPE): `loans` (default, the issue's figure) is a real day's
// file, one installment of each of N loans — the loans are set up untimed, as copies of one loan
// approved through the node, registered and disbursed by pre-signed transactions; `one-loan` is
// N repayments of a single loan (its rows pipelined one behind the other); `both` runs the two.
//
// The node's outbox may send several rows in one transaction (a batch from its delegated account
// to itself): the ceiling stays one row per pre-signed transaction, the rows' own calls read back
// out of the node's transactions; beside it, for context, the same rows pre-signed in batches of
// the node's mean rows per transaction. The log and the table give rows per transaction and gas
// per row both ways.
//
// Both halves run on the same chain in the same mining mode (BENCH_BATCH_BLOCK_TIME): by default
// a block every 2 s (Anvil's interval mining, switched on after the untimed set-up), the QBFT-like
// case, where a block holds every transaction ready; `0` keeps Anvil's automine, one transaction
// a block, each block costing Anvil time that grows with its state (it hashes the whole state
// trie and keeps a copy of the state per block; the log measures an empty block before and after
// the set-up). On timed blocks both halves are bounded by their window: the ceiling mines at most
// WINDOW rows a block, and so does the node (its outbox keeps WINDOW rows in work).
//
// Progress is logged every 10 s; the table, with the settings, the load average and Anvil's cost
// per block, is also written to BENCH_BATCH_REPORT (bench/batch-report.md).
//
//   npm run bench:batch                                        # 10,000 rows, one per loan, 2 s blocks
//   BENCH_BATCH_ROWS=200 npm run bench:batch                   # small profile
//   BENCH_BATCH_BLOCK_TIME=0 npm run bench:batch               # automine: one transaction a block
//   BENCH_BATCH_SHAPE=both BENCH_BATCH_ROWS=2000 npm run bench:batch
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gunzipSync } from "node:zlib";
import { Transaction, type TransactionResponse, type Wallet } from "ethers";
import { createAnchorService } from "../anchor-service/src/service.ts";
import { delegateOf, encodeBatch } from "../common/chain/batch.ts";
import { ledgerInterface, loanIdOfEntry, onChainSerial } from "../nodes/src/outbox/entry.ts";
import { loanIdOf } from "../common/lending/ids.ts";
import { createNodeService } from "../nodes/src/service.ts";
import { cpuSnapshot } from "./cpu.ts";
import { int } from "./env.ts";
import { callsIn, ownCall, plainGasLimit } from "./parts/flow-calls.ts";
import { batchSizeOf, batchesOf, type Packing, packingOf } from "./report/batching.ts";
import { jiedaibaoPayload } from "../test/support/channel-fixtures.ts";
import { MEMBERS, startConsortiumChain } from "../test/support/consortium-chain.ts";
import {
  approveAssistedLoan,
  BRANCH_A_LIMITS,
  BRANCH_A_REGION,
  bearerAs,
  branchNodeConfig,
  SETTLEMENT,
} from "../test/support/institution-node.ts";
import { deployLending, govern } from "../scripts/ops/deploy/consortium.ts";

const ROWS = int("BENCH_BATCH_ROWS", 10_000);
const SHAPE = process.env.BENCH_BATCH_SHAPE ?? "loans";
if (!["loans", "one-loan", "both"].includes(SHAPE))
  throw new Error(`BENCH_BATCH_SHAPE is loans, one-loan or both, not ${SHAPE}`);
const SHAPES = (SHAPE === "both" ? ["loans", "one-loan"] : [SHAPE]) as Array<"loans" | "one-loan">;
/** Pre-signed transactions in flight at once: the node's outbox default (OutboxSender maxInFlight). */
const WINDOW = int("BENCH_BATCH_WINDOW", 128);
const TIMEOUT_MS = int("BENCH_BATCH_TIMEOUT_MS", 3_600_000);
/** Seconds between blocks in the timed halves (Anvil's interval mining); 0: automine. */
const BLOCK_TIME = process.env.BENCH_BATCH_BLOCK_TIME === "0" ? 0 : int("BENCH_BATCH_BLOCK_TIME", 2);
const REPORT = process.env.BENCH_BATCH_REPORT || "bench/batch-report.md";
/** How often the log says how far a timed half is. */
const PROGRESS_MS = 10_000;
/** Untimed set-up: loans registered and disbursed this many to a transaction when the key can batch. */
const SETUP_BATCH = 25;
/**
 * Pre-signed fee cap over the base fee at signing: full blocks raise the base fee 12.5 % each, and
 * on timed blocks the batched ceiling fills some 25 in a row; a cap of twice the base fee (the
 * outbox's, which signs as it goes) would strand its transactions after six.
 */
const FEE_HEADROOM = 100n;
/** The outbox's default gas margin over an estimate (OutboxSender gasMarginPercent). */
const GAS_MARGIN_PERCENT = 125n;
const TOKENS = { clerk: "bench-clerk", approver: "bench-approver" } as const;
const as = bearerAs(TOKENS);
const log = (line: string) => console.log(`batch-file: ${line}`);
/** What the report file says besides the table: settings, load, Anvil's cost per block. */
const notes: string[] = [];
const note = (line: string) => {
  log(line);
  notes.push(line);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomHex32 = () => `0x${randomBytes(32).toString("hex")}`;

const load = () => os.loadavg()[0]!.toFixed(2);
const mining =
  BLOCK_TIME === 0
    ? "automine (one transaction a block)"
    : `a block every ${BLOCK_TIME} s (Anvil's interval mining) in the timed halves`;
note(
  `load average (1 min) ${load()} at the start, on ${os.cpus().length} cores; ${ROWS} rows, shape ${SHAPE}, window ${WINDOW}, ${mining}`,
);
const chain = await startConsortiumChain();
const provider = chain.anvil.provider;
/** CPU seconds so far: this process (the node and the anchor service run in it) and Anvil. */
const cpu = () => {
  const s = cpuSnapshot([chain.anvil.process.pid!]);
  return { here: s === undefined ? 0 : (s.self.user + s.self.system) / 1e6, anvil: s?.children ?? 0 };
};
type Cpu = ReturnType<typeof cpu>;
/** CPU milliseconds per row since `from`, in this process (node and anchor service) and in Anvil. */
const cpuPerRow = (from: Cpu) => {
  const now = cpu();
  return { node: ((now.here - from.here) * 1000) / ROWS, anvil: ((now.anvil - from.anvil) * 1000) / ROWS };
};
/** `here`: what this process ran in that half (the node and the anchor service, or the bench sending). */
const cpuText = (c: { node: number; anvil: number }, here: string) =>
  `${c.node.toFixed(2)} ms in ${here}, ${c.anvil.toFixed(2)} ms in Anvil`;

/**
 * Pre-signed transactions of one key, consecutive nonces, sent so that at most `window` are
 * sent and not yet mined; resolves once the last is mined. Thousands handed to Anvil at once
 * stall it (its pool holds them all and mines none for minutes), and the node never does that
 * either: its outbox keeps at most maxInFlight in flight.
 */
async function sendWindowed(wallet: Wallet, raws: readonly string[], what: string): Promise<void> {
  const start = await provider.getTransactionCount(wallet.address, "latest");
  const started = Date.now();
  const deadline = started + TIMEOUT_MS;
  let said = started;
  let sent = 0;
  let mined = 0;
  while (mined < raws.length) {
    const batch: Promise<unknown>[] = [];
    while (sent < raws.length && sent - mined < WINDOW)
      batch.push(provider.send("eth_sendRawTransaction", [raws[sent++]]));
    await Promise.all(batch);
    const count = (await provider.getTransactionCount(wallet.address, "latest")) - start;
    if (count === mined) {
      if (Date.now() > deadline)
        throw new Error(`${what}: ${mined} of ${raws.length} mined after ${TIMEOUT_MS} ms`);
      // on timed blocks nothing is mined for seconds: a finer poll would only load Anvil
      await sleep(BLOCK_TIME === 0 ? 5 : 20);
    }
    mined = count;
    if (Date.now() - said >= PROGRESS_MS) {
      said = Date.now();
      log(`  ${what}: ${progressText(mined, raws.length, "mined", said - started)}`);
    }
  }
}

/** `done` of `total` `what` after `ms`, with the rate so far and the load average. */
const progressText = (done: number, total: number, what: string, ms: number) =>
  `${done}/${total} ${what} (${(ms / 1000).toFixed(0)} s, ${((done * 1000) / ms).toFixed(1)}/s; load average ${load()})`;

/**
 * Untimed setup: pre-signed transactions mined many to a block (automine off, 500 sent, then
 * `evm_mine` until they are in). Anvil's automine mines one transaction a block, which for
 * 20,000 setup transactions on a loaded machine takes longer than the file itself.
 */
async function mineInBlocks(wallet: Wallet, raws: readonly string[], what: string): Promise<void> {
  const start = await provider.getTransactionCount(wallet.address, "latest");
  const started = performance.now();
  let said = started;
  // full blocks raise the base fee 12.5 % each: past the fee cap the transactions were signed
  // with, the pool drops them; the set-up keeps the base fee where it was when they were signed
  const baseFee = (await provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
  await provider.send("evm_setAutomine", [false]);
  try {
    for (let i = 0; i < raws.length; i += 500) {
      const chunk = raws.slice(i, i + 500);
      await Promise.all(chunk.map((raw) => provider.send("eth_sendRawTransaction", [raw])));
      const target = start + i + chunk.length;
      for (;;) {
        const mined = await provider.getTransactionCount(wallet.address, "latest");
        if (mined >= target) break;
        const pool = await provider.send("txpool_status", []);
        if (Number(pool.pending) + Number(pool.queued) === 0)
          throw new Error(`${what}: ${mined - start} of ${raws.length} mined and none left in the pool`);
        await provider.send("anvil_setNextBlockBaseFeePerGas", [`0x${baseFee.toString(16)}`]);
        await provider.send("evm_mine", []);
        if (performance.now() - said > 10_000) {
          said = performance.now();
          log(
            `  ${what}: ${mined - start}/${raws.length} transactions mined (${((said - started) / 1000).toFixed(0)} s)`,
          );
        }
      }
    }
  } finally {
    await provider.send("evm_setAutomine", [true]);
  }
  log(
    `  ${what}: ${raws.length} transactions mined in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  // a batch reverts whole: every transaction must have succeeded (the last alone says little then)
  for (const raw of raws.length > 2_000 ? [raws.at(-1)!] : raws) {
    const receipt = await provider.getTransactionReceipt(Transaction.from(raw).hash!);
    if (receipt?.status !== 1) throw new Error(`${what}: set-up transaction ${receipt?.hash} failed`);
  }
}

/**
 * What an empty block costs Anvil now (`evm_mine`, mean of a few) and how many storage slots its
 * state holds (`anvil_dumpState`): each block Anvil mines, however small, costs it time that
 * grows with the state, which on automine is the time of every transaction.
 */
async function blockCost(): Promise<{ emptyBlockMs: number; slots: number; accounts: number }> {
  const count = 5;
  const started = performance.now();
  for (let i = 0; i < count; i++) await provider.send("evm_mine", []);
  const emptyBlockMs = (performance.now() - started) / count;
  const dump = Buffer.from(String(await provider.send("anvil_dumpState", [])).slice(2), "hex");
  const state = JSON.parse((dump[0] === 0x1f && dump[1] === 0x8b ? gunzipSync(dump) : dump).toString()) as {
    accounts: Record<string, { storage?: Record<string, string> }>;
  };
  const accounts = Object.values(state.accounts);
  const slots = accounts.reduce((n, a) => n + Object.keys(a.storage ?? {}).length, 0);
  return { emptyBlockMs, slots, accounts: accounts.length };
}
const blockCostText = (c: Awaited<ReturnType<typeof blockCost>>) =>
  `an empty block costs Anvil ${c.emptyBlockMs.toFixed(1)} ms (state: ${c.accounts} accounts, ${c.slots} storage slots)`;

/**
 * The blocks after `after` up to the head that hold any of `txs` (hash → rows it carries): how
 * many, and rows per block, mean and most; and the blocks mined in all since `after`.
 */
async function rowsPerBlock(
  txs: ReadonlyMap<string, number>,
  after: number,
): Promise<{ blocks: number; mined: number; mean: number; max: number }> {
  const head = await provider.getBlockNumber();
  const counts: number[] = [];
  for (let n = after + 1; n <= head; n += 16) {
    const numbers = Array.from({ length: Math.min(16, head - n + 1) }, (_, i) => n + i);
    const blocks = await Promise.all(
      numbers.map(
        (b) =>
          provider.send("eth_getBlockByNumber", [`0x${b.toString(16)}`, false]) as Promise<{
            transactions: string[];
          }>,
      ),
    );
    for (const block of blocks) {
      const rows = block.transactions.reduce((sum, h) => sum + (txs.get(h.toLowerCase()) ?? 0), 0);
      if (rows > 0) counts.push(rows);
    }
  }
  const rows = counts.reduce((a, b) => a + b, 0);
  return {
    blocks: counts.length,
    mined: head - after,
    mean: counts.length === 0 ? 0 : rows / counts.length,
    max: Math.max(0, ...counts),
  };
}
const blocksText = (b: Awaited<ReturnType<typeof rowsPerBlock>>) =>
  `${b.mean.toFixed(1)} rows per block (most ${b.max}; ${b.blocks} blocks with rows of ${b.mined} mined)`;

/** A call to sign: its target, calldata and gas limit; fees as the node's transaction `template` paid them. */
type ToSign = { to: string; data: string; gasLimit: bigint; template: TransactionResponse };

/** `calls` signed in advance by `wallet` with consecutive nonces from its next one. */
async function preSign(wallet: Wallet, calls: readonly ToSign[], what: string): Promise<string[]> {
  let nonce = await provider.getTransactionCount(wallet.address, "pending");
  const baseFee = (await provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
  const signed: string[] = [];
  const started = performance.now();
  for (const { to, data, gasLimit, template } of calls) {
    if (signed.length > 0 && signed.length % 2_000 === 0)
      log(
        `  ${what}: ${signed.length}/${calls.length} signed (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    const tx = Transaction.from({
      to,
      data,
      gasLimit,
      nonce: nonce++,
      chainId: chain.chainId,
      type: 2,
      maxFeePerGas: baseFee * FEE_HEADROOM + (template.maxPriorityFeePerGas ?? 0n),
      maxPriorityFeePerGas: template.maxPriorityFeePerGas ?? 0n,
    });
    signed.push(await wallet.signTransaction(tx));
  }
  return signed;
}

/** The gas limit the outbox would give `call` on its own: its estimate with the outbox's margin. */
async function estimated(wallet: Wallet, call: { to: string; data: string }): Promise<bigint> {
  return ((await provider.estimateGas({ from: wallet.address, ...call })) * GAS_MARGIN_PERCENT) / 100n;
}

/**
 * `calls` (each its own gas limit) as transactions of `wallet`: one each, or, `size` > 1, batches
 * of that many to itself (`execute`), each batch's limit the first full batch's estimate with the
 * margin (the calls are copies of one call: the batches cost alike).
 */
async function asTransactions(wallet: Wallet, calls: readonly ToSign[], size: number): Promise<ToSign[]> {
  if (size === 1) return [...calls];
  const batches = batchesOf(calls, size, () => wallet.address);
  const first = { to: wallet.address, data: encodeBatch(batches[0]!) };
  const gasLimit = await estimated(wallet, first);
  return batches.map((b) => ({
    to: wallet.address,
    data: encodeBatch(b),
    gasLimit,
    template: b[0]!.template,
  }));
}

/** The run's table, with its settings and notes, into REPORT. */
async function writeReport(table: readonly string[]): Promise<void> {
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const bound =
    BLOCK_TIME === 0
      ? []
      : [
          "",
          `On ${BLOCK_TIME} s blocks ${WINDOW} rows in flight bound both halves to ${WINDOW} rows a block, ${(WINDOW / BLOCK_TIME).toFixed(0)} rows/s: the ceiling keeps ${WINDOW} transactions of one row in flight, the node's outbox ${WINDOW} rows in work.`,
        ];
  const text = [
    "# A repayment file through one branch node, beside the chain's ceiling",
    "",
    `\`npm run bench:batch\` (\`bench/batch-file.ts\`), ${new Date().toISOString()}, commit ${commit}: ${ROWS} rows, shape \`${SHAPE}\`, ${WINDOW} in flight, ${mining}.`,
    "",
    ...notes.map((n) => `- ${n}`),
    ...table,
    ...bound,
    "",
  ];
  await writeFile(REPORT, text.join("\n"));
  log(`report written to ${REPORT}`);
}

const packingText = (p: Packing) =>
  `${p.flowsPerTransaction.toFixed(2)} rows per transaction (${p.transactions} transactions), gas per call ${p.gasPerCall.toFixed(0)}`;

const dir = await mkdtemp(join(tmpdir(), "bench-batch-file-"));
const anchor = await createAnchorService({
  config: chain.config({ dataDir: join(dir, "anchor"), commitIntervalMs: 3_600_000 }),
  inMemory: true,
  logger: false,
});
let node: Awaited<ReturnType<typeof createNodeService>> | undefined;
try {
  // branch A's test limits, but a day's disbursements and an outstanding book wide enough for a
  // file of ROWS loans of the ledger's smallest principal (3,000 yuan) besides the one-loan file's
  const book = BigInt(ROWS + 10) * 1_000_000n;
  const limits = { ...BRANCH_A_LIMITS, dailyDisbursementLimit: book, outstandingLimit: book };
  const lending = await deployLending(chain.wallets.deployer, chain.deployment, chain.approvers, [
    { memberId: MEMBERS.branchA, limits, whitelist: [SETTLEMENT] },
  ]);
  const { registry, governor, addresses } = chain.deployment;
  await govern(governor, chain.approvers, [
    {
      target: addresses.consortiumRegistry,
      data: registry.interface.encodeFunctionData("setRegion", [MEMBERS.branchA, BRANCH_A_REGION]),
    },
  ]);
  const bare = await blockCost();
  note(`with the contracts alone, ${blockCostText(bare)}`);
  await anchor.start();
  const anchorUrl = await anchor.app.listen({ host: "127.0.0.1", port: 0 });
  const config = await branchNodeConfig(chain, lending, { dir, anchorUrl, tokens: TOKENS });
  node = await createNodeService({ config, wallet: chain.wallets.branchA, inMemory: true, logger: false });
  await node.start();
  const wallet = chain.wallets.branchA;
  const inject = async (method: "GET" | "POST", url: string, payload?: string, type?: string) => {
    const res = await node!.app.inject({
      method,
      url,
      headers: { ...as("clerk"), ...(type === undefined ? {} : { "content-type": type }) },
      ...(payload === undefined ? {} : { payload }),
    });
    if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  };
  /** The batch's progress once every row is final; `progress` names it in a line every PROGRESS_MS. */
  const finished = async (id: string, progress?: string) => {
    const started = Date.now();
    const deadline = started + TIMEOUT_MS;
    let said = started;
    for (;;) {
      const p = (await inject("GET", `/v1/batch-files/${id}`)).json<{
        done: boolean;
        rows: number;
        taken: number;
        counts: Record<string, number>;
      }>();
      if (p.done) return p;
      if (Date.now() > deadline) throw new Error(`batch ${id} not done: ${JSON.stringify(p.counts)}`);
      if (progress !== undefined && Date.now() - said >= PROGRESS_MS) {
        said = Date.now();
        const confirmed = p.counts.confirmed ?? 0;
        log(
          `  ${progress}: ${p.taken} rows taken, ${p.counts.pending ?? 0} pending, ${progressText(confirmed, p.rows, "confirmed", said - started)}`,
        );
      }
      await sleep(50);
    }
  };
  /** A loan of `yuan` approved through the node and disbursed by a one-row file: its id and both transactions. */
  const activeLoan = async (yuan: string) => {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = `BENCH-BATCH-${randomBytes(4).toString("hex")}`;
    payload.daikuan.jine = yuan;
    payload.daikuan.feiyong = [];
    const { approved } = await approveAssistedLoan(node!, chain, as, {
      payload,
      letter: `授权书 ${payload.shenqingBianhao}`,
      contract: `借款合同 ${payload.shenqingBianhao}`,
    });
    if (approved.statusCode !== 200) throw new Error(`approval: ${approved.body}`);
    const { loanId } = approved.json<{ loanId: string }>();
    const fen = String(Math.round(Number(yuan) * 100));
    const disbursed = (
      await inject(
        "POST",
        "/v1/batch-files/disbursement",
        `serial,loanId,amountFen,accountHash\nDSB-${payload.shenqingBianhao},${loanId},${fen},${SETTLEMENT}\n`,
        "text/csv",
      )
    ).json<{ id: string }>();
    await finished(disbursed.id);
    const result = (await inject("GET", `/v1/batch-files/${disbursed.id}/result`)).body;
    const [, , outcome, txHash] = result.split("\n")[1]!.split(",");
    if (outcome !== "confirmed") throw new Error(`disbursing loan ${loanId}: ${result}`);
    const disburseTx = (await provider.getTransaction(txHash!))!;
    const registration = (await node!.outbox.list()).find(
      (e) =>
        e.kind === "registerLoan" && e.state === "confirmed" && loanIdOfEntry(e) === loanId.toLowerCase(),
    );
    const registerTx = (await provider.getTransaction(registration!.txHash!))!;
    // each flow's own call, whether its transaction was plain or one of the node's batches
    const ledger = lending.addresses.jointLoanLedger;
    return {
      loanId,
      disburse: {
        tx: disburseTx,
        call: ownCall(ledger, "disburse", disburseTx, onChainSerial(`DSB-${payload.shenqingBianhao}`)),
      },
      register: { tx: registerTx, call: ownCall(ledger, "registerLoan", registerTx, loanId) },
    };
  };

  /** `count` more active loans, copies of `loan` (fresh application serial and borrower), set up untimed. */
  const copiesOf = async (loan: Awaited<ReturnType<typeof activeLoan>>, count: number): Promise<string[]> => {
    const fields = ledgerInterface.getFunction("registerLoan")!.inputs[0]!.components!.map((c) => c.name);
    const at = (name: string) => fields.indexOf(name);
    const [terms] = ledgerInterface.decodeFunctionData("registerLoan", loan.register.call.data);
    const disburseArgs = ledgerInterface.decodeFunctionData("disburse", loan.disburse.call.data);
    const ids: string[] = [];
    const registrations: Array<{ data: string }> = [];
    const disbursements: Array<{ data: string }> = [];
    for (let j = 0; j < count; j++) {
      if (j > 0 && j % 2_000 === 0) log(`  ${j}/${count} loans' calls encoded`);
      const fresh = [...(terms as unknown[])];
      fresh[at("applicationSerial")] = randomHex32();
      fresh[at("borrowerKey")] = randomHex32(); // each loan counts against its own borrower's limit
      const loanId = loanIdOf(Number(fresh[at("originator")]), String(fresh[at("applicationSerial")]));
      ids.push(loanId);
      registrations.push({ data: ledgerInterface.encodeFunctionData("registerLoan", [fresh, "0x"]) });
      const args = [...disburseArgs];
      args[0] = loanId;
      args[3] = randomHex32();
      disbursements.push({ data: ledgerInterface.encodeFunctionData("disburse", args) });
    }
    // untimed: a key that can batch registers and disburses SETUP_BATCH loans a transaction
    const size = (await delegateOf(provider, wallet.address)) === undefined ? 1 : SETUP_BATCH;
    log(
      `setting up ${count} loans (untimed): pre-signed registrations, then disbursements, ${size} a transaction, many to a block…`,
    );
    const ledger = lending.addresses.jointLoanLedger;
    const setUp = async (
      calls: Array<{ data: string }>,
      flow: { tx: TransactionResponse; call: { data: string } },
      what: string,
    ) => {
      // every copy costs what the first does: one estimate for all
      const gasLimit =
        plainGasLimit(flow.tx) ?? (await estimated(wallet, { to: ledger, data: calls[0]!.data }));
      const txs = await asTransactions(
        wallet,
        calls.map((c) => ({ to: ledger, data: c.data, gasLimit, template: flow.tx })),
        size,
      );
      await mineInBlocks(wallet, await preSign(wallet, txs, what), what);
    };
    await setUp(registrations, loan.register, "registrations");
    await setUp(disbursements, loan.disburse, "disbursements");
    return ids;
  };

  /** The file's rows and, after its node run, the repay calls the ceiling sends again (fresh serials). */
  const files: Array<{
    shape: string;
    loans: string[];
    node?: {
      seconds: number;
      /** The upload's own answer (every row checked, the file stored). */
      postSeconds: number;
      cpu: ReturnType<typeof cpuPerRow>;
      packing: Packing;
      blocks: Awaited<ReturnType<typeof rowsPerBlock>>;
    };
    /** The first row's transaction and its own repay call: what the ceilings copy. */
    first?: { tx: TransactionResponse; call: { to: string; data: string } };
  }> = [];
  for (const shape of SHAPES) {
    if (shape === "one-loan") {
      files.push({ shape, loans: Array<string>(ROWS).fill((await activeLoan("10000.00")).loanId) });
    } else {
      // ROWS loans of the smallest principal the ledger takes
      const first = await activeLoan("3000.00");
      files.push({ shape, loans: [first.loanId, ...(await copiesOf(first, ROWS - 1))] });
    }
  }

  const loaded = await blockCost();
  note(`with ${files.reduce((n, f) => n + new Set(f.loans).size, 0)} loans set up, ${blockCostText(loaded)}`);
  if (BLOCK_TIME > 0) {
    await provider.send("evm_setAutomine", [false]);
    await provider.send("evm_setIntervalMining", [BLOCK_TIME]);
    log(`the chain mines a block every ${BLOCK_TIME} s from here`);
  }

  // -- the node path: each file of 1-fen repayments, upload to last confirmation
  for (const file of files) {
    const runId = randomBytes(3).toString("hex").toUpperCase();
    const rows = file.loans.map((loanId, i) => `RPY-${runId}-${String(i).padStart(6, "0")},${loanId},1`);
    const text = `serial,loanId,amountFen\n${rows.join("\n")}\n`;
    log(`${ROWS} repayment rows (${file.shape}) through branch A's node…`);
    const head = await provider.getBlockNumber();
    const before = cpu();
    const started = performance.now();
    const batch = (await inject("POST", "/v1/batch-files/repayment", text, "text/csv")).json<{
      id: string;
    }>();
    const postSeconds = (performance.now() - started) / 1000;
    const done = await finished(batch.id, `node path (${file.shape})`);
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = cpuPerRow(before);
    note(
      `node path (${file.shape}): POST answered in ${postSeconds.toFixed(2)} s, last row confirmed ${seconds.toFixed(1)} s after the POST; CPU per row ${cpuText(nodeCpu, "the node's process")}; load average (1 min) ${load()}`,
    );
    if (done.counts.confirmed !== ROWS)
      throw new Error(`not every row confirmed: ${JSON.stringify(done.counts)}`);
    // how the rows went into transactions: from the file's result, once the clock has stopped
    const lines = (await inject("GET", `/v1/batch-files/${batch.id}/result`)).body
      .trim()
      .split("\n")
      .slice(1);
    const hashes = lines.map((line) => line.split(",")[3]!);
    const txs = new Map<string, TransactionResponse>();
    const gasUsed = new Map<string, bigint>();
    for (const hash of new Set(hashes)) {
      txs.set(hash, (await provider.getTransaction(hash))!);
      gasUsed.set(hash, (await provider.getTransactionReceipt(hash))!.gasUsed);
    }
    const packing = packingOf(
      hashes.map((h) => ({ txHash: h, calls: callsIn(txs.get(h)!).length, gasUsed: gasUsed.get(h)! })),
    );
    const rowsOfTx = new Map<string, number>();
    for (const h of hashes) rowsOfTx.set(h.toLowerCase(), (rowsOfTx.get(h.toLowerCase()) ?? 0) + 1);
    const blocks = await rowsPerBlock(rowsOfTx, head);
    file.node = { seconds, postSeconds, cpu: nodeCpu, packing, blocks };
    const firstTx = txs.get(hashes[0]!)!;
    const firstSerial = lines[0]!.split(",")[1]!;
    file.first = {
      tx: firstTx,
      call: ownCall(lending.addresses.jointLoanLedger, "repay", firstTx, onChainSerial(firstSerial)),
    };
    note(`node path (${file.shape}): ${packingText(packing)}; ${blocksText(blocks)}`);
  }

  // -- the ceiling: the same repay calls, pre-signed raw transactions of the same key (the node
  // closed first, so that nothing else spends its nonces), WINDOW in flight
  await node.close();
  node = undefined;
  const table = [
    "",
    `| ${ROWS} repayment rows, ${WINDOW} in flight, ${BLOCK_TIME === 0 ? "automine" : `${BLOCK_TIME} s blocks`} | seconds | rows/s | node / this | rows per transaction | rows per block (mean, most) | gas per row | node CPU ms/row (node process, Anvil) | ceiling CPU ms/row (bench, Anvil) |`,
    "|---|---:|---:|---:|---:|---:|---:|---|---|",
  ];
  const delegated = (await delegateOf(provider, wallet.address)) !== undefined;
  for (const file of files) {
    const { tx, call } = file.first!;
    const nodeRate = ROWS / file.node!.seconds;
    const name = file.shape === "loans" ? "one row per loan" : "one loan";
    const c = file.node!.cpu;
    const p = file.node!.packing;
    const b = file.node!.blocks;
    table.push(
      `| ${name}: batch file through branch A's node (upload → last confirmation) | ${file.node!.seconds.toFixed(1)} | ${nodeRate.toFixed(1)} | | ${p.flowsPerTransaction.toFixed(2)} | ${b.mean.toFixed(1)}, ${b.max} | ${p.gasPerCall.toFixed(0)} (per call) | ${c.node.toFixed(2)}, ${c.anvil.toFixed(2)} | |`,
    );
    // the issue's ceiling, one row per transaction; then, for context, batches of the node's size
    const size = batchSizeOf(p.flowsPerTransaction);
    const ceilings = [1, ...(size > 1 && delegated ? [size] : [])];
    if (size > 1 && !delegated)
      log(`no batched ceiling: branch A's key is not delegated to the batch executor`);
    for (const perTx of ceilings) {
      const repays = file.loans.map((loanId) => {
        const args = [...ledgerInterface.decodeFunctionData("repay", call.data)];
        args[0] = loanId;
        args[2] = randomHex32(); // a fresh on-chain serial
        return { to: call.to, data: ledgerInterface.encodeFunctionData("repay", args) };
      });
      const gasLimit = plainGasLimit(tx) ?? (await estimated(wallet, repays[0]!));
      const what =
        perTx === 1 ? "pre-signed raw transactions (the ceiling)" : `pre-signed, ${perTx} rows a transaction`;
      const calls = await asTransactions(
        wallet,
        repays.map((r) => ({ ...r, gasLimit, template: tx })),
        perTx,
      );
      const signed = await preSign(wallet, calls, "ceiling");
      log(`the same ${ROWS} repay calls (${file.shape}) ${what}, ${WINDOW} transactions in flight…`);
      const head = await provider.getBlockNumber();
      const before = cpu();
      const started = performance.now();
      await sendWindowed(wallet, signed, "ceiling");
      const seconds = (performance.now() - started) / 1000;
      const ceilingCpu = cpuPerRow(before);
      // one sender's batches are consecutive runs of its rows: all full but the last
      const rowsOfTx = new Map(
        signed.map((raw, i) => [
          Transaction.from(raw).hash!.toLowerCase(),
          Math.min(perTx, ROWS - i * perTx),
        ]),
      );
      const blocks = await rowsPerBlock(rowsOfTx, head);
      note(
        `ceiling (${file.shape}, ${perTx} a transaction): ${seconds.toFixed(1)} s, CPU per row ${cpuText(ceilingCpu, "the bench's process")}; ${blocksText(blocks)}; load average (1 min) ${load()}`,
      );
      let gas = 0n;
      // each batch's receipt (a batch reverts whole); of single transactions, the last
      for (const raw of perTx === 1 ? [signed.at(-1)!] : signed) {
        const receipt = await provider.getTransactionReceipt(Transaction.from(raw).hash!);
        if (receipt?.status !== 1) throw new Error(`ceiling: transaction ${receipt?.hash} failed`);
        gas += receipt.gasUsed;
      }
      const gasPerRow = perTx === 1 ? Number(gas) : Number(gas) / ROWS;
      const ceilingRate = ROWS / seconds;
      table.push(
        `| ${name}: ${what} | ${seconds.toFixed(1)} | ${ceilingRate.toFixed(1)} | ${(nodeRate / ceilingRate).toFixed(3)} | ${perTx} | ${blocks.mean.toFixed(1)}, ${blocks.max} | ${gasPerRow.toFixed(0)} | | ${ceilingCpu.node.toFixed(2)}, ${ceilingCpu.anvil.toFixed(2)} |`,
      );
    }
  }
  console.log([...table, ""].join("\n"));
  await writeReport(table);
} finally {
  await node?.close();
  await anchor.close();
  await chain.stop();
  await rm(dir, { recursive: true, force: true });
}
