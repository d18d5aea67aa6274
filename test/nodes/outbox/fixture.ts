// A real ledger on Anvil for the outbox tests: the demo consortium (test/support) plus
// JointLoanLedger through deployLending, branch A (member 2, region 330102) with generous limits
// and branch B (member 3, region 330681) with a small daily disbursement limit, one whitelisted
// account hash each. Loan terms are built as contracts/test/utils/LendingFixture.sol builds
// them (equal principal, monthly installments 30 days apart) and start today, Asia/Shanghai, as
// the ledger's today() says: disbursement is only allowed on the start day.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Contract, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";
import { addMonths, dateToDay, dayToDate } from "../../../common/lending/dates.ts";
import type { Wallet } from "ethers";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import { deployLending } from "../../../scripts/ops/deploy/consortium.ts";
import {
  MEMBERS,
  startConsortiumChain,
  UNION_LOG,
  type ConsortiumChain,
} from "../../support/consortium-chain.ts";
import { chainPastNearMidnight } from "../../support/day-boundary.ts";
import { toHex } from "../../../common/bytes.ts";
import { DigestAlgorithm, EvidenceKind, encodeLeaf, leafHashOf } from "../../../common/formats/leaf/leaf.ts";
import {
  consistencyProof,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../common/formats/merkle/rfc9162.ts";
import { JOINT_LOAN_LEDGER_ABI } from "../../../common/chain/generated/abis.ts";
import { Outbox } from "../../../nodes/src/outbox/outbox.ts";
import { OutboxSender, type OutboxSenderOptions } from "../../../nodes/src/outbox/sender.ts";
import { loanIdOfEntry, type EnqueueInput } from "../../../nodes/src/outbox/entry.ts";

export const REGION = { [MEMBERS.branchA]: 330102, [MEMBERS.branchB]: 330681 } as Record<number, number>;
/** Each branch's own settlement account (salted hash), whitelisted for it: its disbursements leave it. */
export const ACCOUNT = {
  [MEMBERS.branchA]: keccak256(toUtf8Bytes("salted hash of branch A's settlement account")),
  [MEMBERS.branchB]: keccak256(toUtf8Bytes("salted hash of branch B's settlement account")),
} as Record<number, string>;
export const LIMITS = {
  [MEMBERS.branchA]: {
    singleLoanMax: 20_000_000n,
    dailyDisbursementLimit: 100_000_000n,
    outstandingLimit: 1_000_000_000n,
    netTier1Capital: 400_000_000n,
  },
  // 10,000 yuan a day: a 15,000-yuan loan cannot be disbursed
  [MEMBERS.branchB]: {
    singleLoanMax: 20_000_000n,
    dailyDisbursementLimit: 1_000_000n,
    outstandingLimit: 1_000_000_000n,
    netTier1Capital: 400_000_000n,
  },
};

export type LendingChain = {
  chain: ConsortiumChain;
  ledgerAddress: string;
  deployBlock: number;
  /** The ledger, read-only, on Anvil's provider. */
  ledger: Contract;
  /** The ledger as a member's wallet sees it (for flows sent outside the outbox). */
  ledgerAs(wallet: Wallet): Contract;
  /** Today's Asia/Shanghai day number as the ledger sees it. */
  today: number;
  stop(): Promise<void>;
};

export async function startLendingChain(options: { anvilArgs?: string[] } = {}): Promise<LendingChain> {
  const chain = await startConsortiumChain(options);
  const { deployer } = chain.wallets;
  // keep clear of midnight in Shanghai: every loan here is disbursed on its start day
  await chainPastNearMidnight(chain.anvil.provider);
  const lending = await deployLending(deployer, chain.deployment, chain.approvers, [
    { memberId: MEMBERS.branchA, limits: LIMITS[MEMBERS.branchA]!, whitelist: [ACCOUNT[MEMBERS.branchA]!] },
    { memberId: MEMBERS.branchB, limits: LIMITS[MEMBERS.branchB]!, whitelist: [ACCOUNT[MEMBERS.branchB]!] },
  ]);
  const ledgerAddress = lending.addresses.jointLoanLedger;
  const ledger = new Contract(
    ledgerAddress,
    JOINT_LOAN_LEDGER_ABI as unknown as string[],
    chain.anvil.provider,
  );
  const today = Number(await ledger.getFunction("today")());
  return {
    chain,
    ledgerAddress,
    deployBlock: lending.blockNumber,
    ledger,
    ledgerAs: (wallet) => ledger.connect(wallet) as Contract,
    today,
    stop: () => chain.stop(),
  };
}

/** A lending chain for a describe block: started before its tests and stopped after them; the object is filled once `before` has run. */
export function lendingChainSuite(options: { anvilArgs?: string[] } = {}): LendingChain {
  const lc = {} as LendingChain;
  before(async function () {
    Object.assign(lc, await startLendingChain(options));
  });
  after(async function () {
    await lc.stop?.();
  });
  return lc;
}

/**
 * Take the account's EIP-7702 delegation away (an earlier test may have delegated it): a type-4
 * transaction to itself authorizing the zero address, which clears the account's code.
 */
export async function undelegate(wallet: Wallet, chainId: bigint): Promise<void> {
  const nonce = await wallet.getNonce("pending");
  const authorization = await wallet.authorize({ address: ZeroAddress, chainId, nonce: nonce + 1 });
  await (
    await wallet.sendTransaction({ type: 4, to: wallet.address, authorizationList: [authorization] })
  ).wait();
}

export function privateKeyOf(wallet: Wallet): string {
  return (wallet as unknown as { privateKey: string }).privateKey;
}

/** A unique human serial: `${prefix}-<random>`. */
export function serial(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString("hex").toUpperCase()}`;
}

export function bytes32(label: string): string {
  return keccak256(toUtf8Bytes(label));
}

/**
 * A registerLoan request for an assisted loan of `branch` (the branch funds it all): `n`
 * monthly installments of equal principal, 18% APR, interest on the remaining principal.
 */
export function registerLoan(
  applicationSerial: string,
  startDay: number,
  options: { principal?: bigint; n?: number; branch?: number } = {},
): EnqueueInput {
  const principal = options.principal ?? 600_000n;
  const n = options.n ?? 3;
  const branch = options.branch ?? MEMBERS.branchA;
  const aprBps = 1800;
  let remaining = principal;
  const schedule = Array.from({ length: n }, (_, i) => {
    const part = i + 1 === n ? remaining : principal / BigInt(n);
    const interest = (remaining * BigInt(aprBps)) / 120_000n;
    remaining -= part;
    // monthly methods fall due on addMonths(start, k): the ledger counts installment k as month k
    return { dueDay: dateToDay(addMonths(dayToDate(startDay), i + 1)), principal: part, interest };
  });
  return {
    serial: applicationSerial,
    kind: "registerLoan",
    args: {
      terms: {
        originator: branch,
        borrowerKey: bytes32(`borrower of ${applicationSerial}`),
        borrowerRegion: REGION[branch]!,
        branch,
        platform: 0,
        funders: [{ memberId: branch, shareBps: 10_000 }],
        principal,
        aprBps,
        method: 0,
        startDay,
        schedule,
        contractLeaf: bytes32(`contract leaf of ${applicationSerial}`),
        consentLeaf: bytes32(`consent leaf of ${applicationSerial}`),
        receivingAccount: bytes32(`receiving account of ${applicationSerial}`),
      },
    },
  };
}

export function disburse(
  flowSerial: string,
  loanId: string,
  amount: bigint,
  branch: number = MEMBERS.branchA,
): EnqueueInput {
  return {
    serial: flowSerial,
    kind: "disburse",
    args: { loanId, amount, accountHash: ACCOUNT[branch]!, voucher: bytes32(`voucher of ${flowSerial}`) },
  };
}

export function repay(flowSerial: string, loanId: string, amount: bigint): EnqueueInput {
  return {
    serial: flowSerial,
    kind: "repay",
    args: { loanId, amount, voucher: bytes32(`voucher of ${flowSerial}`) },
  };
}

export type Store = { outbox: Outbox; root: MemoryLevel | Level; close(): Promise<void> };

/** An outbox over the "outbox" sublevel of a fresh in-memory level. */
export async function memoryOutbox(): Promise<Store> {
  const root = new MemoryLevel();
  await root.open();
  return {
    outbox: new Outbox(root.sublevel("outbox", { valueEncoding: "json" })),
    root,
    close: () => root.close(),
  };
}

/** A LevelDB directory that can be opened, closed and reopened (a node restart). */
export async function levelDir(): Promise<{ dir: string; open(): Promise<Store>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "outbox-"));
  return {
    dir,
    async open() {
      const root = new Level(dir);
      await root.open();
      return {
        outbox: new Outbox(root.sublevel("outbox", { valueEncoding: "json" })),
        root,
        close: () => root.close(),
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A sender for `wallet` on the lending chain, fast polling, short backoff. */
export function senderFor(
  lc: LendingChain,
  outbox: Outbox,
  wallet: Wallet,
  overrides: Partial<OutboxSenderOptions> = {},
): OutboxSender {
  return new OutboxSender({
    outbox,
    rpcUrl: lc.chain.anvil.url,
    chainId: lc.chain.chainId,
    privateKey: privateKeyOf(wallet),
    ledger: lc.ledgerAddress,
    fromBlock: lc.deployBlock,
    pollingMs: 50,
    retry: { initialMs: 50, maxMs: 400 },
    idleMs: 200,
    ...overrides,
  });
}

/** What an outbox suite's test shares with its hooks. */
export type OutboxSuite = {
  lc: LendingChain;
  /** The test's own outbox: a fresh in-memory one for each test, closed after it. */
  store: Store;
  /** A sender on the test's outbox (branch A's unless `wallet`), stopped after the test. */
  senderOn(overrides?: Partial<OutboxSenderOptions>, wallet?: Wallet): OutboxSender;
  /** Stop `running` after the test, before the outbox closes (the last registered first). */
  stopAfterTest<T extends { stop(): Promise<void> }>(running: T): T;
};

/**
 * For a describe block: the lending chain (lendingChainSuite), and for each test a fresh in-memory
 * outbox whose senders and other workers are stopped after the test, before the outbox closes.
 */
export function outboxSuite(options: { anvilArgs?: string[] } = {}): OutboxSuite {
  const lc = lendingChainSuite(options);
  const store = {} as Store;
  const running: Array<{ stop(): Promise<void> }> = [];
  beforeEach(async function () {
    Object.assign(store, await memoryOutbox());
  });
  afterEach(async function () {
    // stopping a sender a test stopped already is harmless
    for (const worker of running.splice(0).reverse()) await worker.stop();
    await store.close();
  });
  const stopAfterTest = <T extends { stop(): Promise<void> }>(worker: T): T => {
    running.push(worker);
    return worker;
  };
  return {
    lc,
    store,
    senderOn: (overrides = {}, wallet = lc.chain.wallets.branchA) =>
      stopAfterTest(senderFor(lc, store.outbox, wallet, overrides)),
    stopAfterTest,
  };
}

/** Until the outbox entry `serial` is in `state`, or fail after `ms`. */
export function untilState(outbox: Outbox, serial: string, state: string, ms = 10_000): Promise<void> {
  return until(async () => (await outbox.status(serial))?.state === state, ms, state);
}

/** Wait until `check` holds (polling), or fail after `ms`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  ms = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The sender as its own process (test/support/outbox-sender-process.ts) on a LevelDB directory,
 * branch A's key: `ready` once it drains, `exited` when it is gone (killed, as these tests do).
 */
export function startSenderProcess(
  lc: LendingChain,
  dir: string,
  env: Record<string, string> = {},
): { child: ChildProcess; ready: Promise<void>; firstSent: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, ["test/support/outbox-sender-process.ts"], {
    env: {
      ...process.env,
      OUTBOX_DIR: dir,
      OUTBOX_RPC: lc.chain.anvil.url,
      OUTBOX_CHAIN_ID: String(lc.chain.chainId),
      OUTBOX_KEY: privateKeyOf(lc.chain.wallets.branchA),
      OUTBOX_LEDGER: lc.ledgerAddress,
      OUTBOX_FROM_BLOCK: String(lc.deployBlock),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // resolves when the process first records a transaction as sent; never if it sends nothing
  let sent = (): void => undefined;
  const firstSent = new Promise<void>((resolve) => (sent = resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      if (String(d).includes("ready")) resolve();
      if (String(d).includes("sent")) sent();
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`sender process exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
  return { child, ready, firstSent, exited };
}

/**
 * The last restart, run to the end in this process (to watch it finish): branch A's sender on the
 * outbox in `dir` drains it, after the node's start-up recheck when `recheck`.
 */
export async function drainInProcess(
  lc: LendingChain,
  dir: { open(): Promise<Store> },
  options: { recheck?: boolean; overrides?: Partial<OutboxSenderOptions> } = {},
): Promise<void> {
  const store = await dir.open();
  const sender = senderFor(lc, store.outbox, lc.chain.wallets.branchA, options.overrides);
  try {
    if (options.recheck === true) await sender.recheck();
    await sender.drain();
  } finally {
    await sender.stop();
    await store.close();
  }
}

export type Flow = { serial: string; kind: string; loanId: string };

/**
 * Every flow confirmed in the outbox at `dir`, and each on chain exactly once: a registration's
 * loan exists, a disbursement's or repayment's event once under its serial.
 */
export async function expectEachFlowOnce(
  lc: LendingChain,
  dir: { open(): Promise<Store> },
  flows: readonly Flow[],
): Promise<void> {
  const store = await dir.open();
  const entries = await store.outbox.list();
  await store.close();
  expect(entries.map((e) => e.state)).to.deep.equal(flows.map(() => "confirmed"));
  for (const flow of flows) {
    if (flow.kind === "registerLoan") {
      // loan() reverts for a loan the ledger does not know
      await lc.ledger.getFunction("loan")(flow.loanId);
      continue;
    }
    const event =
      flow.kind === "disburse"
        ? lc.ledger.filters.FundsDisbursed!(flow.loanId)
        : lc.ledger.filters.RepaymentReceived!(flow.loanId);
    const logs = await lc.ledger.queryFilter(event, lc.deployBlock);
    const mine = logs.filter(
      (l) => "args" in l && String(l.args.serial) === keccak256(toUtf8Bytes(flow.serial)),
    );
    expect(mine, flow.serial).to.have.length(1);
  }
}

/**
 * `loans` loans of branch A, each registered, disbursed and repaid (`repayments` times, 1 by
 * default): the flows in the order enqueued.
 */
export async function enqueueLoanFlows(
  outbox: Outbox,
  loans: number,
  today: number,
  repayments = 1,
): Promise<Flow[]> {
  const flows: Flow[] = [];
  for (let i = 0; i < loans; i++) {
    const app = await outbox.enqueue(registerLoan(serial("APP"), today));
    const loanId = loanIdOfEntry(app);
    const dis = await outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
    const reps = [];
    for (let k = 0; k < repayments; k++)
      reps.push(await outbox.enqueue(repay(serial("REP"), loanId, 1_000n + BigInt(i * repayments + k))));
    for (const e of [app, dis, ...reps]) flows.push({ serial: e.serial, kind: e.kind, loanId });
  }
  return flows;
}

/** A leaf anchored in the union's log under a committed head: what registerEvidence sends for it. */
export type AnchoredLeaf = {
  leaf: string;
  leafHash: string;
  logId: string;
  treeSize: number;
  leafIndex: number;
  proof: string[];
};

/** Each chain's log as this process appended it: the leaf hashes, in order. */
const logLeaves = new WeakMap<LendingChain, Uint8Array[]>();

/**
 * `count` fresh evidence leaves of `submitter` (random digests and subjects) appended to the union's
 * log and committed in one head by its operator, consistent with the chain's latest head (heads a
 * rewind took are forgotten here too), each with its inclusion proof against that head.
 */
export async function anchorLeaves(
  lc: LendingChain,
  submitter: number,
  count: number,
): Promise<AnchoredLeaf[]> {
  const log = lc.chain.deployment.evidenceLog.connect(lc.chain.wallets.anchor) as Contract;
  const heads = Number(await log.getFunction("headCount")(UNION_LOG));
  const size = heads === 0 ? 0 : Number((await log.getFunction("head")(UNION_LOG, heads - 1)).treeSize);
  const known = logLeaves.get(lc) ?? [];
  if (known.length < size)
    throw new Error(`the union's log holds ${size} leaves, ${known.length} of them known here`);
  const records = Array.from({ length: count }, () => ({
    version: 1 as const,
    kind: EvidenceKind.Contract,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: toHex(randomBytes(32)),
    salt: toHex(randomBytes(32)),
    submitter,
    subject: toHex(randomBytes(32)),
  }));
  const hashes = [...known.slice(0, size), ...records.map(leafHashOf)];
  logLeaves.set(lc, hashes);
  const hasher = memoRangeHasher(hashes);
  const root = toHex(rootFromLeafHashes(hashes));
  const consistency = consistencyProof(size, hashes.length, hasher).map(toHex);
  await (await log.getFunction("commitHead")(UNION_LOG, hashes.length, root, consistency)).wait();
  return records.map((record, i) => ({
    leaf: toHex(encodeLeaf(record)),
    leafHash: toHex(hashes[size + i]!),
    logId: UNION_LOG,
    treeSize: hashes.length,
    leafIndex: size + i,
    proof: inclusionProof(size + i, hashes.length, hasher).map(toHex),
  }));
}

/** A registerEvidence request for an anchored leaf about `loanId`. */
export function registerEvidence(flowSerial: string, loanId: string, anchored: AnchoredLeaf): EnqueueInput {
  const { leaf, logId, treeSize, leafIndex, proof } = anchored;
  return {
    serial: flowSerial,
    kind: "registerEvidence",
    args: { loanId, leaf, logId, treeSize, leafIndex, proof },
  };
}

/** An endorseEvidence request: `memberId` endorses the registered leaf `leafHash` about `loanId`. */
export function endorseEvidence(
  flowSerial: string,
  loanId: string,
  leafHash: string,
  memberId: number,
): EnqueueInput {
  return { serial: flowSerial, kind: "endorseEvidence", args: { loanId, leafHash, memberId } };
}
