// The automine watchdog: Anvil on automine has been seen holding a ready transaction in its pool
// (nonce equal to the sender's count, fees far above the base fee) until something else mined a
// block. On the local chain nothing else may come: a node's outbox waits for that transaction's
// receipt. So, beside the state dumps (chain.ts startStateDumps, which runs its looks between
// dumps and stops them with the dumps), the launcher looks at the pool every second; ready
// transactions there at two looks in a row with the head unchanged are mined with evm_mine.
// Only Anvil's "pending" count (ready) is looked at, never "queued" (a nonce gap): evm_mine would
// not mine a queued transaction, only an empty block, and a gap that is never filled would make
// one every other second, each moving the head and so starting a dump.
import type { JsonRpcProvider } from "ethers";

/** Milliseconds between the watchdog's looks at the pool. */
export const MINING_WATCHDOG_INTERVAL_MS = 1000;

export type MiningWatchdog = {
  /** One look at the pool; evm_mine when ready transactions sat through the last look too. The count mined for, if it mined. */
  look(): Promise<number | undefined>;
};

export function miningWatchdog(provider: JsonRpcProvider, log?: (line: string) => void): MiningWatchdog {
  // the head at the previous look, if that look found ready transactions
  let suspectHead: number | undefined;
  return {
    async look() {
      // idle, this is the one call a look makes
      const { pending } = (await provider.send("txpool_status", [])) as { pending: string | number };
      const ready = Number(BigInt(pending));
      if (ready === 0) {
        suspectHead = undefined;
        return undefined;
      }
      const head = await provider.getBlockNumber();
      if (suspectHead !== head) {
        suspectHead = head; // a block since (or the first look finding them): automine is working
        return undefined;
      }
      suspectHead = undefined;
      await provider.send("evm_mine", []);
      log?.(
        `chain: ${ready} ready transaction(s) left pending by Anvil's automine since block ${head}: mined (evm_mine)`,
      );
      return ready;
    },
  };
}
