// The launcher's chain dumps (scripts/ops/local/chain.ts startStateDumps) under continuous
// transactions: each dump, loaded into a fresh Anvil, holds every state change with its block
// (the account's nonce equals its transactions in the dumped blocks); a reader polling the file
// meanwhile always finds a whole dump (written beside, fsynced, renamed); mining resumes after
// each dump (every transaction sent is mined); the state file holds no state per past block.
import { expect } from "chai";
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  DUMP_SPACING,
  dumpPausedState,
  startMining,
  startStateDumps,
  stateFile,
  stopMining,
} from "../../scripts/ops/local/chain.ts";
import { anvilSuite, startAnvil } from "../support/anvil.ts";
import { rpcProxy } from "../support/rpc-proxy.ts";

describe("local chain: consistent, atomic state dumps", function () {
  this.timeout(120_000);
  const local = anvilSuite("state-dumps-");

  before(async function () {
    await mkdir(path.dirname(stateFile(local.dir)), { recursive: true });
  });

  it("dumps at block boundaries, whole, while transactions keep coming", async function () {
    const wallet = local.anvil.wallet(1);
    const file = stateFile(local.dir);
    const dumps = startStateDumps({ provider: local.anvil.provider, dataDir: local.dir, intervalMs: 60_000 });
    let sending = true;
    let sent = 0;
    const sender = (async () => {
      let nonce = await local.anvil.provider.getTransactionCount(wallet.address, "latest");
      while (sending) {
        await wallet.sendTransaction({ to: wallet.address, value: 1n, nonce: nonce++ });
        sent++;
      }
    })();
    let reads = 0;
    let torn = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, "utf8").catch(() => undefined);
        if (text !== undefined) {
          reads++;
          try {
            JSON.parse(text);
          } catch {
            torn++;
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const copies: Array<{ head: number; json: string }> = [];
    try {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 300));
        const head = await dumps.dumpNow();
        expect(head, "the head moved: a dump").to.be.a("number");
        copies.push({ head: head!, json: await readFile(file, "utf8") });
      }
    } finally {
      sending = false;
      await sender;
      reading = false;
      await reader;
      await dumps.stop();
    }
    expect(reads).to.be.greaterThan(0);
    expect(torn, "a reader never finds a partial dump").to.equal(0);
    expect(
      (await readdir(path.dirname(file))).filter((f) => f.includes(".tmp")),
      "no temporary left",
    ).to.deep.equal([]);
    // mining resumed after every dump: all that was sent is mined
    expect(await local.anvil.provider.getTransactionCount(wallet.address, "latest")).to.equal(
      await local.anvil.provider.getTransactionCount(wallet.address, "pending"),
    );
    expect(sent).to.be.greaterThan(0);

    for (const copy of copies) {
      const restored = await startAnvil({ args: ["--load-state", await writeCopy(copy.json)] });
      try {
        const head = await restored.provider.getBlockNumber();
        expect(head, "the dump's head").to.equal(copy.head);
        let mined = 0;
        for (let n = 1; n <= head; n++) {
          const block = await restored.provider.getBlock(n, true);
          mined += block!.prefetchedTransactions.filter((t) => t.from === wallet.address).length;
        }
        // every state change with its block: the nonce is what the blocks' transactions made it
        // (development account 1 sends nothing else on this fresh chain)
        expect(await restored.provider.getTransactionCount(wallet.address, "latest")).to.equal(mined);
      } finally {
        await restored.stop();
      }
    }
    // the latest state only: no per-block history in the file
    const last = JSON.parse(copies[copies.length - 1]!.json) as { historical_states?: unknown };
    expect(last.historical_states ?? null).to.equal(null);
    expect((await stat(file)).size).to.be.greaterThan(0);
  });

  it("spaces the dumps out once each takes long: the next no sooner than DUMP_SPACING times its time", async function () {
    // Anvil writing a large state: every anvil_dumpState held 400 ms on its way to the chain
    const starts: number[] = [];
    const slow = await rpcProxy(local.anvil.url, async (method) => {
      if (method !== "anvil_dumpState") return;
      starts.push(performance.now());
      await new Promise((resolve) => setTimeout(resolve, 400));
    });
    const dumps = startStateDumps({ provider: slow.provider, dataDir: local.dir, intervalMs: 50 });
    // a new block before every tick, so no dump is skipped for an unchanged head
    let mining = true;
    const miner = (async () => {
      while (mining) {
        await local.anvil.provider.send("evm_mine", []);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    mining = false;
    await miner;
    await dumps.stop();
    slow.close();
    // every 50 ms they would queue up back to back: four or more in 1.6 s; spaced, the second is
    // due 2 s after the first began
    expect(starts).to.have.length(1);
    expect(DUMP_SPACING * 400).to.be.greaterThan(1_600);
    expect((await stat(stateFile(local.dir))).size).to.be.greaterThan(0);
  });

  it("takes the dump again when a block was mined under it after mining stopped, and holds that block", async function () {
    const anvil = local.anvil;
    // a proxy to the chain that, at the first dump, has a block mined first: as Anvil finishing,
    // after the head held still, a block of transactions it took before mining stopped
    let dumps = 0;
    const proxy = await rpcProxy(anvil.url, async (method) => {
      if (method === "anvil_dumpState" && dumps++ === 0) await anvil.provider.send("evm_mine", []);
    });
    const through = proxy.provider;
    await stopMining(anvil.provider);
    try {
      const before = await anvil.provider.getBlockNumber();
      const { head, json } = await dumpPausedState(through);
      expect(dumps, "the voided dump and the one kept").to.equal(2);
      expect(head).to.equal(before + 1);
      const restored = await startAnvil({ args: ["--load-state", await writeCopy(json.toString("utf8"))] });
      try {
        expect(await restored.provider.getBlockNumber()).to.equal(head);
      } finally {
        await restored.stop();
      }
    } finally {
      proxy.close();
      await startMining(anvil.provider, { automine: true });
    }
  });

  async function writeCopy(json: string): Promise<string> {
    const f = path.join(local.dir, `copy-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(f, json);
    return f;
  }
});
