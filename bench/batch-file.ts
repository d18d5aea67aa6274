// A daily repayment file through one branch node, beside the chain's ceiling for the same rows:
// N repayment rows uploaded as one batch file (POST /v1/batch-files/repayment) and timed from
// the upload to the last row's confirmation; then the same N repay calls as raw transactions
// signed in advance by the same key, sent all at once and timed until the last is mined. In one
// process: Anvil with every contract, the anchor service and branch A's node (test/support).
//
//   npm run bench:batch                      # 10,000 rows
//   BENCH_BATCH_ROWS=200 npm run bench:batch # small profile
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Transaction } from "ethers";
import { createAnchorService } from "../anchor-service/src/service.ts";
import { ledgerInterface } from "../nodes/src/outbox/entry.ts";
import { createNodeService } from "../nodes/src/service.ts";
import { cpuSnapshot } from "./cpu.ts";
import { jiedaibaoPayload } from "../test/support/channel-fixtures.ts";
import { startConsortiumChain } from "../test/support/consortium-chain.ts";
import {
  approveAssistedLoan,
  bearerAs,
  branchNodeConfig,
  deployBranchALending,
  SETTLEMENT,
} from "../test/support/institution-node.ts";

const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 10_000);
const TIMEOUT_MS = Number(process.env.BENCH_BATCH_TIMEOUT_MS ?? 3_600_000);
const TOKENS = { clerk: "bench-clerk", approver: "bench-approver" } as const;
const as = bearerAs(TOKENS);
const log = (line: string) => console.log(`batch-file: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const load = () => os.loadavg()[0]!.toFixed(2);
log(`load average (1 min) ${load()} at the start, on ${os.cpus().length} cores`);
const chain = await startConsortiumChain();
/** CPU seconds so far: this process (the node and the anchor service run in it) and Anvil. */
const cpu = () => {
  const s = cpuSnapshot([chain.anvil.process.pid!]);
  return { here: s === undefined ? 0 : (s.self.user + s.self.system) / 1e6, anvil: s?.children ?? 0 };
};
/** CPU milliseconds per row since `from`. */
const cpuPerRow = (from: ReturnType<typeof cpu>) => {
  const now = cpu();
  return `${(((now.here - from.here) * 1000) / ROWS).toFixed(2)} ms in the node's process, ${(((now.anvil - from.anvil) * 1000) / ROWS).toFixed(2)} ms in Anvil`;
};
const dir = await mkdtemp(join(tmpdir(), "bench-batch-file-"));
const anchor = await createAnchorService({
  config: chain.config({ dataDir: join(dir, "anchor"), commitIntervalMs: 3_600_000 }),
  inMemory: true,
  logger: false,
});
let node: Awaited<ReturnType<typeof createNodeService>> | undefined;
try {
  const lending = await deployBranchALending(chain);
  await anchor.start();
  const anchorUrl = await anchor.app.listen({ host: "127.0.0.1", port: 0 });
  const config = await branchNodeConfig(chain, lending, { dir, anchorUrl, tokens: TOKENS });
  node = await createNodeService({ config, wallet: chain.wallets.branchA, inMemory: true, logger: false });
  await node.start();
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
  const finished = async (id: string) => {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const p = (await inject("GET", `/v1/batch-files/${id}`)).json<{
        done: boolean;
        counts: Record<string, number>;
      }>();
      if (p.done) return p;
      if (Date.now() > deadline) throw new Error(`batch ${id} not done: ${JSON.stringify(p.counts)}`);
      await sleep(50);
    }
  };

  // -- one active loan (not timed): approved, registered and disbursed through the node
  const payload = jiedaibaoPayload();
  payload.shenqingBianhao = `BENCH-BATCH-${randomBytes(4).toString("hex")}`;
  payload.daikuan.jine = "10000.00";
  payload.daikuan.feiyong = [];
  const { approved } = await approveAssistedLoan(node, chain, as, {
    payload,
    letter: `授权书 ${payload.shenqingBianhao}`,
    contract: `借款合同 ${payload.shenqingBianhao}`,
  });
  if (approved.statusCode !== 200) throw new Error(`approval: ${approved.body}`);
  const { loanId } = approved.json<{ loanId: string }>();
  const disbursed = (
    await inject(
      "POST",
      "/v1/batch-files/disbursement",
      `serial,loanId,amountFen,accountHash\nDSB-BENCH-1,${loanId},1000000,${SETTLEMENT}\n`,
      "text/csv",
    )
  ).json<{ id: string }>();
  await finished(disbursed.id);

  // -- the node path: N repayments of 1 fen in one file, upload to last confirmation
  const runId = randomBytes(3).toString("hex").toUpperCase();
  const rows = Array.from(
    { length: ROWS },
    (_, i) => `RPY-${runId}-${String(i).padStart(6, "0")},${loanId},1`,
  );
  const file = `serial,loanId,amountFen\n${rows.join("\n")}\n`;
  log(`${ROWS} repayment rows through branch A's node…`);
  const nodeCpu = cpu();
  const started = performance.now();
  const batch = (await inject("POST", "/v1/batch-files/repayment", file, "text/csv")).json<{ id: string }>();
  const done = await finished(batch.id);
  const nodeSeconds = (performance.now() - started) / 1000;
  log(`node path: CPU per row ${cpuPerRow(nodeCpu)}; load average (1 min) ${load()}`);
  if (done.counts.confirmed !== ROWS)
    throw new Error(`not every row confirmed: ${JSON.stringify(done.counts)}`);
  const result = (await inject("GET", `/v1/batch-files/${batch.id}/result`)).body;
  const firstTx = result.split("\n")[1]!.split(",")[3]!;

  // -- the ceiling: the same repay calls, pre-signed raw transactions of the same key (the node
  // closed first, so that nothing else spends its nonces)
  const provider = chain.anvil.provider;
  const template = (await provider.getTransaction(firstTx))!;
  await node.close();
  node = undefined;
  const wallet = chain.wallets.branchA;
  let nonce = await provider.getTransactionCount(wallet.address, "pending");
  const baseFee = (await provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
  const signed: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const args = [...ledgerInterface.decodeFunctionData("repay", template.data)];
    args[2] = `0x${randomBytes(32).toString("hex")}`; // a fresh on-chain serial
    const tx = Transaction.from({
      to: template.to,
      data: ledgerInterface.encodeFunctionData("repay", args),
      gasLimit: template.gasLimit,
      nonce: nonce++,
      chainId: chain.chainId,
      type: 2,
      maxFeePerGas: baseFee * 2n + (template.maxPriorityFeePerGas ?? 0n),
      maxPriorityFeePerGas: template.maxPriorityFeePerGas ?? 0n,
    });
    signed.push(await wallet.signTransaction(tx));
  }
  log(`the same ${ROWS} repay calls as pre-signed raw transactions…`);
  const ceilingCpu = cpu();
  const ceilingStarted = performance.now();
  const hashes: string[] = [];
  for (const raw of signed) hashes.push((await provider.send("eth_sendRawTransaction", [raw])) as string);
  const deadline = Date.now() + TIMEOUT_MS;
  let last = await provider.getTransactionReceipt(hashes.at(-1)!);
  while (last === null && Date.now() < deadline) {
    await sleep(20);
    last = await provider.getTransactionReceipt(hashes.at(-1)!);
  }
  const ceilingSeconds = (performance.now() - ceilingStarted) / 1000;
  log(`ceiling: CPU per row ${cpuPerRow(ceilingCpu)}; load average (1 min) ${load()}`);
  if (last?.status !== 1) throw new Error(`ceiling: the last transaction ${hashes.at(-1)} failed`);

  const nodeRate = ROWS / nodeSeconds;
  const ceilingRate = ROWS / ceilingSeconds;
  console.log(
    [
      "",
      `| ${ROWS} repayment rows | seconds | rows/s |`,
      "|---|---:|---:|",
      `| one batch file through branch A's node (upload → last confirmation) | ${nodeSeconds.toFixed(2)} | ${nodeRate.toFixed(1)} |`,
      `| pre-signed raw transactions (the ceiling) | ${ceilingSeconds.toFixed(2)} | ${ceilingRate.toFixed(1)} |`,
      `| ratio (node / ceiling) | | ${(nodeRate / ceilingRate).toFixed(3)} |`,
      "",
    ].join("\n"),
  );
} finally {
  await node?.close();
  await anchor.close();
  await chain.stop();
  await rm(dir, { recursive: true, force: true });
}
