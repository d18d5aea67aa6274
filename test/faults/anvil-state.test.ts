// The chain-rewind fault restarts Anvil from dumpStateConsistently's dump (test/support/faults/anvil-state.ts).
// Here, under continuous transactions from two accounts: every dump holds exactly the state of
// its blocks (each sender's nonce equals its transactions in the dump; no block past the head),
// the transactions sent while mining was paused are mined afterwards, and an Anvil started from
// a dump resumes at its head with its receipts. The local launcher's own periodic dumps, which
// pause and resume mining themselves, may run at the same time (as on the consortium the
// chain-rewind fault runs on): a dump they disturb is taken again, never returned.
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { startStateDumps } from "../../scripts/ops/local/chain.ts";
import { dumpStateConsistently } from "../support/faults/anvil-state.ts";
import { sleep, until } from "../support/faults/seeded.ts";
import { minedReceipt, startAnvil, type AnvilNode } from "../support/anvil.ts";

type Dump = {
  best_block_number: number;
  accounts: Record<string, { nonce: number }>;
  blocks: Array<{ header: { number: string } }>;
  transactions: Array<{ info: { from: string; transaction_hash: string } }>;
};

describe("faults: consistent Anvil state dumps (chain-rewind harness)", function () {
  this.timeout(120_000);
  let anvil: AnvilNode;
  let restarted: AnvilNode | undefined;
  let dir: string;

  before(async function () {
    anvil = await startAnvil();
    dir = await mkdtemp(join(tmpdir(), "anvil-state-"));
  });

  after(async function () {
    await restarted?.stop();
    await anvil?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Two accounts sending transfers back to back until stop(); `sent` counts the mined ones. */
  function transfers(senders: Wallet[]): { sent: number[]; stop(): Promise<void> } {
    let stopped = false;
    const sent = senders.map(() => 0);
    const loops = senders.map(async (w, i) => {
      while (!stopped) {
        const tx = await w.sendTransaction({ to: "0x000000000000000000000000000000000000dEaD", value: 1n });
        // asked until mined: tx.wait() can miss a transaction mined as its block watch starts
        // (then it waits for ethers' next 4-s poll)
        await minedReceipt(anvil.provider, tx.hash);
        sent[i]!++;
      }
    });
    return {
      sent,
      async stop() {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  /** What is wrong with dump `d` (taken at `head`): a block past the head, or a nonce ahead of its transactions. */
  function dumpProblems(d: number, dump: Dump, head: number, senders: Wallet[]): string[] {
    const problems: string[] = [];
    const lastBlock = Math.max(...dump.blocks.map((b) => Number(b.header.number)));
    if (dump.best_block_number !== head || lastBlock !== head)
      problems.push(`dump ${d}: head ${head}, best ${dump.best_block_number}, last block ${lastBlock}`);
    for (const w of senders) {
      const address = w.address.toLowerCase();
      const nonce = Number(
        Object.entries(dump.accounts).find(([a]) => a.toLowerCase() === address)?.[1].nonce ?? 0,
      );
      const txs = dump.transactions.filter((t) => t.info.from.toLowerCase() === address).length;
      if (nonce !== txs) problems.push(`dump ${d}: ${address} nonce ${nonce}, ${txs} transactions`);
    }
    return problems;
  }

  it("holds exactly its blocks' state while transactions keep coming, and a chain restarted from it resumes there", async function () {
    const senders: Wallet[] = [anvil.wallet(1), anvil.wallet(2)];
    const load = transfers(senders);
    const file = join(dir, "state.json");
    const problems: string[] = [];
    let dump: Dump | undefined;
    let head = 0;
    try {
      for (let d = 0; d < 6; d++) {
        await sleep(200);
        head = await dumpStateConsistently(anvil.provider, file);
        dump = JSON.parse(await readFile(file, "utf8")) as Dump;
        problems.push(...dumpProblems(d, dump, head, senders));
      }
      const before = load.sent[0]! + load.sent[1]!;
      await until(
        async () => load.sent[0]! + load.sent[1]! > before,
        "transactions are mined again after the dumps",
        30_000,
      );
    } finally {
      await load.stop();
    }
    expect(problems).to.deep.equal([]);
    expect(head, "the load mined blocks").to.be.greaterThan(10);

    restarted = await startAnvil({ args: ["--state", file] });
    expect(await restarted.provider.getBlockNumber()).to.equal(head);
    const last = dump!.transactions.findLast(
      (t) => t.info.from.toLowerCase() === senders[0]!.address.toLowerCase(),
    )!;
    expect((await restarted.provider.getTransactionReceipt(last.info.transaction_hash))?.status).to.equal(1);
    const txs = dump!.transactions.filter(
      (t) => t.info.from.toLowerCase() === senders[0]!.address.toLowerCase(),
    ).length;
    expect(await restarted.provider.getTransactionCount(senders[0]!.address)).to.equal(txs);
  });

  it("takes its dump again when the launcher's own dump resumes mining during it", async function () {
    const senders: Wallet[] = [anvil.wallet(3), anvil.wallet(4)];
    const load = transfers(senders);
    // the launcher's dumps, as the local consortium runs them, here back to back
    const launcherDir = await mkdtemp(join(dir, "launcher-"));
    await mkdir(join(launcherDir, "chain"));
    const launcher = startStateDumps({
      provider: anvil.provider,
      dataDir: launcherDir,
      intervalMs: 20,
      spacing: 1,
    });
    const file = join(dir, "beside-launcher.json");
    const problems: string[] = [];
    try {
      for (let d = 0; d < 10; d++) {
        const head = await dumpStateConsistently(anvil.provider, file);
        problems.push(...dumpProblems(d, JSON.parse(await readFile(file, "utf8")) as Dump, head, senders));
      }
    } finally {
      await launcher.stop();
      await load.stop();
    }
    expect(problems).to.deep.equal([]);
  });
});
