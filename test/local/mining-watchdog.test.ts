// The automine watchdog beside the launcher's state dumps (scripts/ops/local/mining-watchdog.ts,
// chain.ts startStateDumps). Anvil on automine has been seen leaving a ready transaction pending
// until another block came; that state is made here by turning automine off behind the launcher's
// back. The watchdog mines it; it mines nothing while the launcher holds mining paused (a dump in
// progress, or the dumps held as holdDumps and pauseMining do), nor for a nonce-gapped (queued)
// transaction, nor at all on interval mining.
import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Wallet } from "ethers";
import {
  AUTOMINE,
  startMining,
  startStateDumps,
  stateFile,
  stopMining,
  type StateDumps,
} from "../../scripts/ops/local/chain.ts";
import { MINING_WATCHDOG_INTERVAL_MS } from "../../scripts/ops/local/mining-watchdog.ts";
import { anvilSuite, minedReceipt } from "../support/anvil.ts";
import { type RpcProxy, rpcProxy } from "../support/rpc-proxy.ts";

/** No periodic dump during a test: only the watchdog's looks (or a dump the test asks for). */
const NO_PERIODIC_DUMP_MS = 3_600_000;
/** A receipt's generous bound: the watchdog mines at its second look, a second or two on. */
const RECEIPT_TIMEOUT_MS = 60_000;

describe("local chain: the automine watchdog", function () {
  this.timeout(120_000);
  const local = anvilSuite("mining-watchdog-");
  let proxy: RpcProxy | undefined;
  let dumps: StateDumps | undefined;

  before(async function () {
    await mkdir(path.dirname(stateFile(local.dir)), { recursive: true });
  });
  afterEach(async function () {
    await dumps?.stop();
    proxy?.close();
    dumps = proxy = undefined;
    await startMining(local.anvil.provider, AUTOMINE);
  });

  /** The launcher's dumps on automine, through a proxy that records what they send. */
  async function startDumps(log?: (line: string) => void, mining = AUTOMINE) {
    proxy = await rpcProxy(local.anvil.url);
    dumps = startStateDumps({
      provider: proxy.provider,
      dataDir: local.dir,
      intervalMs: NO_PERIODIC_DUMP_MS,
      mining,
      ...(log === undefined ? {} : { log }),
    });
    return { proxy, dumps };
  }

  /** Waits until the watchdog has looked at the pool `n` more times (a generous bound: it looks every second). */
  async function looks(through: RpcProxy, n: number) {
    const seen = () => through.methods.filter((m) => m === "txpool_status").length;
    const target = seen() + n;
    const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
    while (seen() < target) {
      if (Date.now() > deadline) throw new Error(`the watchdog looked ${seen() - target + n} of ${n} times`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Long enough for several of the watchdog's looks, had it been looking. */
  const severalLooks = () => new Promise((r) => setTimeout(r, 3 * MINING_WATCHDOG_INTERVAL_MS + 500));

  const transfer = (wallet: Wallet, nonce?: number) =>
    wallet.sendTransaction({ to: wallet.address, value: 1n, gasLimit: 21_000n, nonce });

  it("mines a ready transaction automine left pending, and says so", async function () {
    const lines: string[] = [];
    await startDumps((line) => lines.push(line));
    await local.anvil.provider.send("evm_setAutomine", [false]); // behind the launcher's back
    const tx = await transfer(local.anvil.wallet(3));
    const receipt = await minedReceipt(local.anvil.provider, tx.hash, RECEIPT_TIMEOUT_MS);
    expect(receipt.status).to.equal(1);
    expect(lines).to.have.lengthOf(1);
    expect(lines[0]).to.match(/^chain: 1 ready transaction\(s\) left pending .*: mined \(evm_mine\)$/);
  });

  it("mines nothing while a dump has mining paused", async function () {
    let reached: () => void = () => undefined;
    let release: () => void = () => undefined;
    const dumpHeld = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    proxy = await rpcProxy(local.anvil.url, async (method) => {
      if (method !== "anvil_dumpState") return;
      reached();
      await released;
    });
    dumps = startStateDumps({
      provider: proxy.provider,
      dataDir: local.dir,
      intervalMs: NO_PERIODIC_DUMP_MS,
    });
    await looks(proxy, 1);
    const dumped = dumps.dumpNow();
    await dumpHeld; // mining stopped by the dump, which waits on the proxy
    const tx = await transfer(local.anvil.wallet(4));
    const mark = proxy.methods.length;
    await severalLooks();
    expect(await local.anvil.provider.getTransactionReceipt(tx.hash), "not mined during the dump").to.equal(
      null,
    );
    expect(proxy.methods.slice(mark), "no look while the dump runs").to.deep.equal([]);
    release();
    expect(await dumped, "the dump's head").to.be.a("number");
    // the dump resumed automine, which mined it
    expect((await minedReceipt(local.anvil.provider, tx.hash, RECEIPT_TIMEOUT_MS)).status).to.equal(1);
  });

  it("mines nothing while the dumps are held with mining paused, and again once they resume", async function () {
    const first = await startDumps();
    await looks(first.proxy, 1);
    // as holdDumps and pauseMining: the dumps stopped, then mining
    await first.dumps.stop();
    await stopMining(local.anvil.provider);
    const wallet = local.anvil.wallet(5);
    const paused = await transfer(wallet);
    const mark = first.proxy.methods.length;
    await severalLooks();
    expect(await local.anvil.provider.getTransactionReceipt(paused.hash), "held still").to.equal(null);
    expect(first.proxy.methods.slice(mark), "nothing sent once the dumps stopped").to.deep.equal([]);
    first.proxy.close();
    // pauseMining's resume: the chain's mode (automine mines what waited), then the dumps
    await startMining(local.anvil.provider, AUTOMINE);
    expect((await minedReceipt(local.anvil.provider, paused.hash, RECEIPT_TIMEOUT_MS)).status).to.equal(1);
    await startDumps();
    await local.anvil.provider.send("evm_setAutomine", [false]);
    const stuck = await transfer(wallet);
    expect((await minedReceipt(local.anvil.provider, stuck.hash, RECEIPT_TIMEOUT_MS)).status).to.equal(1);
  });

  it("leaves a nonce-gapped (queued) transaction alone: no empty blocks", async function () {
    const { proxy: through } = await startDumps();
    const provider = local.anvil.provider;
    await provider.send("evm_setAutomine", [false]);
    const gapped = local.anvil.wallet(6);
    const nonce = await provider.getTransactionCount(gapped.address, "latest");
    const queued = await transfer(gapped, nonce + 1);
    const head = await provider.getBlockNumber();
    await looks(through, 3);
    expect(through.methods, "never mined").to.not.include("evm_mine");
    expect(await provider.getBlockNumber(), "no empty block").to.equal(head);
    expect(await provider.send("txpool_status", [])).to.deep.equal({ pending: "0x0", queued: "0x1" });
    // a ready one beside it is mined, alone
    const ready = await transfer(local.anvil.wallet(7));
    const receipt = await minedReceipt(provider, ready.hash, RECEIPT_TIMEOUT_MS);
    expect((await provider.getBlock(receipt.blockNumber))!.transactions).to.deep.equal([ready.hash]);
    expect(await provider.getTransactionReceipt(queued.hash), "still queued").to.equal(null);
    // the gap filled: both mined (automine back on)
    await startMining(provider, AUTOMINE);
    await transfer(gapped, nonce);
    expect((await minedReceipt(provider, queued.hash, RECEIPT_TIMEOUT_MS)).status).to.equal(1);
  });

  it("does not look at all on interval mining (the interval mines what is pending)", async function () {
    const { proxy: through } = await startDumps(undefined, { automine: false, intervalSeconds: 3600 });
    await severalLooks();
    expect(through.methods).to.not.include("txpool_status");
  });
});
