// The chain-rewind fault restarts Anvil from dumpStateConsistently's dump (test/support/faults/anvil-state.ts).
// Here, under continuous transactions from two accounts: every dump holds exactly the state of
// its blocks (each sender's nonce equals its transactions in the dump; no block past the head),
// the transactions sent while mining was paused are mined afterwards, and an Anvil started from
// a dump resumes at its head with its receipts.
import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { dumpStateConsistently } from "../support/faults/anvil-state.ts";
import { sleep } from "../support/faults/seeded.ts";
import { startAnvil, type AnvilNode } from "../support/anvil.ts";

type Dump = {
  best_block_number: number;
  accounts: Record<string, { nonce: number }>;
  blocks: Array<{ header: { number: string } }>;
  transactions: Array<{ info: { from: string; transaction_hash: string } }>;
};

describe("faults: consistent Anvil state dumps (chain-rewind harness)", function () {
  this.timeout(60_000);
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

  it("holds exactly its blocks' state while transactions keep coming, and a chain restarted from it resumes there", async function () {
    const senders: Wallet[] = [anvil.wallet(1), anvil.wallet(2)];
    let stop = false;
    const sent = [0, 0];
    const loops = senders.map(async (w, i) => {
      while (!stop) {
        const tx = await w.sendTransaction({ to: "0x000000000000000000000000000000000000dEaD", value: 1n });
        await tx.wait();
        sent[i]!++;
      }
    });
    const file = join(dir, "state.json");
    const problems: string[] = [];
    let dump: Dump | undefined;
    let head = 0;
    try {
      for (let d = 0; d < 6; d++) {
        await sleep(200);
        head = await dumpStateConsistently(anvil.provider, file);
        dump = JSON.parse(await readFile(file, "utf8")) as Dump;
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
      }
      const before = sent[0]! + sent[1]!;
      await sleep(300);
      expect(sent[0]! + sent[1]!, "transactions are mined again after the dumps").to.be.greaterThan(before);
    } finally {
      stop = true;
      await Promise.all(loops);
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
});
