// A consistent Anvil state dump, for the chain-rewind fault (test/faults/consortium.test.ts):
// the chain is restarted from it, losing the blocks mined after it.
//
// Anvil's own dumps are not atomic. A block mined while one is being written can leave that
// block's state changes in the dump without the block, its transactions, receipts and logs:
// under continuous transactions 4 of 22 periodic --state dumps and 1 of 55 anvil_dumpState
// answers held an account nonce one ahead of its transactions in the dump (0 of 53 with mining
// paused). A chain restarted from such a dump holds the effect of a transaction it has no record
// of — a repayment's serial used on the ledger, but no RepaymentReceived event and no receipt —
// which no real chain can do; a node's outbox then rightly reports its own flow as "used on chain
// by another flow" (LedgerDuplicateSerial), and the fault test failed on that in the full run.
// So mining is paused while the dump is taken.
import { writeFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import type { JsonRpcProvider } from "ethers";
import { sleep } from "./seeded.ts";

/** The chain's state at its current head, written to `file` (the --state JSON format); returns that head. */
export async function dumpStateConsistently(provider: JsonRpcProvider, file: string): Promise<number> {
  await provider.send("evm_setAutomine", [false]);
  try {
    // a block being mined as mining stopped finishes first: wait until the head holds still
    let head = await provider.getBlockNumber();
    for (;;) {
      await sleep(50);
      const again = await provider.getBlockNumber();
      if (again === head) break;
      head = again;
    }
    const dump = (await provider.send("anvil_dumpState", [])) as string; // gzipped JSON, as hex
    const after = await provider.getBlockNumber();
    if (after !== head) throw new Error(`block ${after} was mined while mining was paused (head ${head})`);
    await writeFile(file, gunzipSync(Buffer.from(dump.slice(2), "hex")));
    return head;
  } finally {
    // transactions sent meanwhile waited in the pool; turning automine back on mines them
    await provider.send("evm_setAutomine", [true]);
  }
}
