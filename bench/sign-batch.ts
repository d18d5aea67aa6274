// The outbox's per-transaction CPU on a batch of registrations (7 calls, ~26 kB of calldata):
// encodeBatch (common/chain/batch.ts) against ethers' AbiCoder, and signEip1559
// (common/chain/transaction.ts) against wallet.signTransaction + keccak256, in one process,
// interleaved rounds, µs per operation as the median of the rounds (the minimum beside it).
// The data is random bytes of a registration's size: both encoders' costs depend on sizes only.
//
//   node bench/sign-batch.ts
//   BENCH_ROUNDS=20 BENCH_OPS=100 node bench/sign-batch.ts
import { randomBytes } from "node:crypto";
import { AbiCoder, Wallet, keccak256 } from "ethers";
import { BATCH_MODE, encodeBatch, type Call } from "../common/chain/batch.ts";
import { BatchExecutor } from "../common/chain/generated/contracts.ts";
import { signEip1559, type Eip1559Call } from "../common/chain/transaction.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const OPS = Number(process.env.BENCH_OPS ?? 50);
const CALLS = 7;
const CALL_BYTES = 3_716;

const calls: Call[] = Array.from({ length: CALLS }, () => ({
  to: `0x${randomBytes(20).toString("hex")}`,
  data: `0x${randomBytes(CALL_BYTES).toString("hex")}`,
}));
const wallet = new Wallet(`0x${randomBytes(32).toString("hex")}`);
const tx: Eip1559Call = {
  chainId: 31_337n,
  nonce: 1_234,
  maxFeePerGas: 2_000_000_000n,
  maxPriorityFeePerGas: 1n,
  gasLimit: 3_000_000n,
  to: wallet.address,
  data: encodeBatch(calls),
};

/** How the encoding and the signing went before: ethers' generic layers. */
const ethers = {
  encode(): string {
    const executionData = AbiCoder.defaultAbiCoder().encode(
      ["tuple(address,uint256,bytes)[]"],
      [calls.map((c) => [c.to, 0n, c.data])],
    );
    return BatchExecutor.interface.encodeFunctionData("execute", [BATCH_MODE, executionData]);
  },
  async sign(): Promise<string> {
    const rawTx = await wallet.signTransaction({ ...tx, value: 0n, type: 2 });
    return keccak256(rawTx);
  },
};
const direct = {
  encode: (): string => encodeBatch(calls),
  sign: async (): Promise<string> => signEip1559(wallet.signingKey, tx).txHash,
};

if (ethers.encode() !== direct.encode() || (await ethers.sign()) !== (await direct.sign()))
  throw new Error("the two paths disagree: nothing to compare");

async function perOp(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1_000 / OPS;
}

const samples: Record<string, number[]> = {};
const cases: Array<[string, () => unknown]> = [
  ["encodeBatch, ethers", ethers.encode],
  ["encodeBatch, direct", direct.encode],
  ["sign, ethers", ethers.sign],
  ["sign, direct", direct.sign],
];
for (const [, fn] of cases) await perOp(fn); // warm-up
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of cases) (samples[name] ??= []).push(await perOp(fn));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [load1] = (await import("node:os")).loadavg();
console.log(
  `${CALLS} calls of ${CALL_BYTES} bytes, ${(tx.data.length - 2) / 2} bytes of calldata; ` +
    `${ROUNDS} rounds of ${OPS}; load average ${load1!.toFixed(2)}`,
);
for (const [name] of cases) {
  const xs = samples[name]!;
  console.log(
    `${name.padEnd(22)} ${median(xs).toFixed(0).padStart(6)} µs/op (min ${Math.min(...xs).toFixed(0)})`,
  );
}
for (const what of ["encodeBatch", "sign"])
  console.log(
    `${what}: ${(median(samples[`${what}, ethers`]!) / median(samples[`${what}, direct`]!)).toFixed(1)}× faster`,
  );
