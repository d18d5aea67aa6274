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
import type { JsonRpcProvider } from "ethers";
import { dumpPausedState } from "../../../scripts/ops/local/chain.ts";

/** How long dumpStateConsistently keeps taking its dump again (a launcher dump takes well under a second). */
const DUMP_RETRY_MS = 60_000;

/**
 * The chain's state at its current head, written to `file` (the --state JSON format); returns that
 * head. On the local consortium the launcher dumps the chain every 5 s too
 * (scripts/ops/local/chain.ts startStateDumps), pausing and resuming mining itself: when its resume
 * lands during this dump a block is mined under it, dumpPausedState refuses that dump, and mining is
 * paused again and the dump taken again until one holds still, within DUMP_RETRY_MS.
 */
export async function dumpStateConsistently(provider: JsonRpcProvider, file: string): Promise<number> {
  const deadline = Date.now() + DUMP_RETRY_MS;
  try {
    for (;;) {
      await provider.send("evm_setAutomine", [false]);
      try {
        const { head, json } = await dumpPausedState(provider);
        await writeFile(file, json);
        return head;
      } catch (error) {
        const resumed = /was mined while mining was paused/.test((error as Error).message);
        if (!resumed || Date.now() > deadline) throw error;
      }
    }
  } finally {
    // transactions sent meanwhile waited in the pool; turning automine back on mines them
    await provider.send("evm_setAutomine", [true]);
  }
}

/**
 * Resolves once the wall clock has passed `blockTimestamp` (Unix seconds). Anvil mining many blocks
 * a second runs its clock ahead of the wall; a chain restarted then stamps its first blocks with
 * the wall's time, behind blocks it showed before, which no real chain does.
 */
export async function waitForWallClockPast(blockTimestamp: number, limitMs = 120_000): Promise<void> {
  const lead = (blockTimestamp + 1) * 1000 - Date.now();
  if (lead > limitMs) throw new Error(`the chain's clock is ${Math.round(lead / 1000)} s ahead of the wall`);
  if (lead > 0) await new Promise((resolve) => setTimeout(resolve, lead));
}
