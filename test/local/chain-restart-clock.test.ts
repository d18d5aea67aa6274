// A restarted local chain mines nothing before its clock is restored (scripts/ops/local/chain.ts):
// Anvil's clock restarts just after the loaded chain's last block, which can be far behind the
// wall (or behind blocks a crash lost). A service's transaction that reaches the chain the moment
// it answers must wait in the pool and be stamped with the restored time, not the stale one; then
// mining resumes as configured (automine, or --block-time's interval).
import { expect } from "chai";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { JsonRpcProvider, Wallet } from "ethers";
import {
  ANVIL_DEV_KEY,
  LOCAL_CHAIN_ID,
  anvilMining,
  ANVIL_STATES_KEPT,
  localChainProcess,
  startStateDumps,
} from "../../scripts/ops/local/chain.ts";
import { LocalConsortiumError } from "../../scripts/ops/local/errors.ts";
import type { ServiceProcess } from "../../scripts/ops/local/service-process.ts";
import { anvilSuite, freePort, minedReceipt } from "../support/anvil.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("local chain: a restart mines nothing before the clock is restored", function () {
  this.timeout(120_000);
  let dir: string;
  let chain: ServiceProcess | undefined;
  let provider: JsonRpcProvider | undefined;

  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "jl-chain-clock-"));
    await mkdir(path.join(dir, "chain"));
  });
  afterEach(async function () {
    provider?.destroy();
    await chain?.stop();
    chain = provider = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** The launcher's chain process; `aheads` collects what each start's clock restore reported. */
  async function startChain(extraArgs: string[], aheads: number[]) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    chain = localChainProcess({
      repoRoot: REPO_ROOT,
      dataDir: dir,
      port,
      logFile: path.join(dir, "chain.log"),
      genesisTimestamp: Math.floor(Date.now() / 1000) - 7_200,
      extraArgs,
      onClockRestored: (ahead) => aheads.push(ahead),
    });
    await chain.start();
    provider = new JsonRpcProvider(url, LOCAL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    return { chain, provider, url };
  }

  /** Blocks stamped at `at` (seconds), then a clean stop: Anvil dumps them to the state file. */
  async function mineAtThenStop(chainProvider: JsonRpcProvider, at: number) {
    await chainProvider.send("evm_setIntervalMining", [0]);
    await chainProvider.send("evm_setAutomine", [false]);
    await chainProvider.send("evm_setTime", [at]);
    for (let i = 0; i < 3; i++) await chainProvider.send("evm_mine", []);
    const last = (await chainProvider.getBlock("latest"))!;
    chainProvider.destroy();
    provider = undefined;
    await chain!.stop();
    return last;
  }

  /**
   * Restarts `chain` with a signed transfer sent over and over from before the spawn until the
   * chain takes it, and the launcher's readiness held until it has: the transaction reaches the
   * chain before the launcher could restore anything.
   */
  async function restartRacing(url: string, nonce: number) {
    const signed = await new Wallet(ANVIL_DEV_KEY).signTransaction({
      type: 2,
      chainId: LOCAL_CHAIN_ID,
      nonce,
      to: new Wallet(ANVIL_DEV_KEY).address,
      value: 1n,
      gasLimit: 21_000n,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    let racing = true;
    const acceptedHash = (async (): Promise<string> => {
      while (racing) {
        const body = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [signed] }),
        })
          .then((r) => r.json() as Promise<{ result?: string; error?: { message: string } }>)
          .catch(() => undefined); // not listening yet
        if (body?.result !== undefined) return body.result;
        if (body?.error !== undefined)
          throw new Error(`the chain refused the transaction: ${body.error.message}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error("the chain never took the transaction");
    })();
    acceptedHash.catch(() => undefined); // awaited below
    const ready = chain!.spec.ready;
    chain!.spec.ready = async () => (await ready()) && (await acceptedHash) !== "";
    const startedAt = Math.floor(Date.now() / 1000);
    try {
      await chain!.start();
    } finally {
      racing = false;
      chain!.spec.ready = ready;
    }
    provider = new JsonRpcProvider(url, LOCAL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    const receipt = await minedReceipt(provider, await acceptedHash);
    const block = (await provider.getBlock(receipt.blockNumber))!;
    return { startedAt, block, provider };
  }

  it("automine: a transaction sent as the chain answers is stamped now, not just after the old blocks; automine resumes", async function () {
    const aheads: number[] = [];
    const first = await startChain([], aheads);
    const hourAgo = Math.floor(Date.now() / 1000) - 3_600;
    const last = await mineAtThenStop(first.provider, hourAgo);
    expect(last.timestamp).to.be.within(hourAgo, hourAgo + 3);

    const { startedAt, block, provider: after } = await restartRacing(first.url, 0);
    expect(block.number, "the held transaction is the first block after the loaded ones").to.equal(
      last.number + 1,
    );
    expect(block.timestamp, "stamped with the restored clock").to.be.at.least(startedAt);
    expect(aheads).to.deep.equal([0, 0]);

    // automine is back: a transaction is mined as it is sent
    const tx = await new Wallet(ANVIL_DEV_KEY, after).sendTransaction({
      to: block.miner,
      value: 1n,
      nonce: 1,
    });
    expect(await after.getTransactionReceipt(tx.hash), "mined on send").to.not.equal(null);
  });

  it(`keeps the state of its last ${ANVIL_STATES_KEPT} blocks only: an older block's state is gone`, async function () {
    const { provider: chainProvider } = await startChain([], []);
    const account = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    await chainProvider.send("anvil_mine", [`0x${(ANVIL_STATES_KEPT + 20).toString(16)}`]);
    const head = await chainProvider.getBlockNumber();
    expect(await chainProvider.getBalance(account, head - 10), "a recent block's state").to.be.a("bigint");
    const old = await chainProvider.getBalance(account, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(old, "block 1's state, pruned").to.be.instanceOf(Error);
  });

  it("--block-time: a chain whose last block is ahead continues after it, and interval mining resumes", async function () {
    const aheads: number[] = [];
    const first = await startChain(["--block-time", "1"], aheads);
    const later = Math.floor(Date.now() / 1000) + 600;
    const last = await mineAtThenStop(first.provider, later);

    const { block, provider: after } = await restartRacing(first.url, 0);
    expect(block.timestamp, "after the last block, which is ahead of the wall").to.be.greaterThan(
      last.timestamp,
    );
    expect(aheads).to.have.length(2);
    expect(aheads[1]).to.be.within(590, 603);

    // blocks keep coming on the interval with nothing sent
    const head = await after.getBlockNumber();
    while ((await after.getBlockNumber()) < head + 2) await new Promise((r) => setTimeout(r, 200));
    expect(await after.getBlockNumber()).to.be.at.least(head + 2);
  });
});

describe("local chain: Anvil's mining arguments", function () {
  this.timeout(60_000);

  it("reads every spelling Anvil accepts into one mode and keeps the other arguments in order", function () {
    const interval = { mining: { automine: false, intervalSeconds: 2 }, rest: ["--order", "fifo"] };
    for (const spelled of [
      ["-b", "2"],
      ["-b2"],
      ["-b=2"],
      ["--block-time", "2"],
      ["--block-time=2"],
      ["--blockTime", "2"],
      ["--blockTime=2"],
    ])
      expect(anvilMining(["--order", ...spelled, "fifo"]), spelled.join(" ")).to.deep.equal(interval);
    expect(anvilMining([])).to.deep.equal({ mining: { automine: true }, rest: [] });
    expect(anvilMining(["--no-mine", "--silent"])).to.deep.equal({
      mining: { automine: false },
      rest: ["--silent"],
    });
    expect(anvilMining(["--no-mining"]).mining).to.deep.equal({ automine: false });
    expect(anvilMining(["--mixed-mining", "-b", "3"]).mining).to.deep.equal({
      automine: true,
      intervalSeconds: 3,
    });
  });

  it("refuses a block time that is missing, not whole seconds, or beside --no-mining, with LOCAL_BAD_CONFIG", function () {
    for (const args of [
      ["-b"],
      ["-b", "--silent"],
      ["-b", "0.5"],
      ["--block-time=0"],
      ["-bx"],
      ["-b", "2", "--no-mining"],
    ]) {
      const error = (() => {
        try {
          anvilMining(args);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, args.join(" ")).to.be.instanceOf(LocalConsortiumError);
      expect((error as LocalConsortiumError).code).to.equal("LOCAL_BAD_CONFIG");
    }
  });

  describe("a dump resumes the chain's own mode", function () {
    const local = anvilSuite("jl-dump-mode-");

    it("leaves a chain that does not mine not mining, and turns interval mining back on", async function () {
      await mkdir(path.join(local.dir, "chain"), { recursive: true });
      const { provider } = local.anvil;
      await provider.send("evm_setAutomine", [false]);
      await provider.send("evm_mine", []); // a new head: the dump is taken
      const none = startStateDumps({
        provider,
        dataDir: local.dir,
        mining: { automine: false },
        intervalMs: 60_000,
      });
      expect(await none.dumpNow()).to.be.a("number");
      await none.stop();
      expect(await provider.send("anvil_getAutomine", [])).to.equal(false);

      await provider.send("evm_mine", []);
      const interval = startStateDumps({
        provider,
        dataDir: local.dir,
        mining: { automine: false, intervalSeconds: 1 },
        intervalMs: 60_000,
      });
      expect(await interval.dumpNow()).to.be.a("number");
      await interval.stop();
      expect(await provider.send("anvil_getAutomine", [])).to.equal(false);
      const head = await provider.getBlockNumber();
      while ((await provider.getBlockNumber()) < head + 2) await new Promise((r) => setTimeout(r, 200));
      await provider.send("evm_setIntervalMining", [0]);
      await provider.send("evm_setAutomine", [true]);
    });
  });
});
