// How the node path packed its flows into transactions, and the pieces the ceilings need to read
// a flow's own call back out of a transaction that may be a batch (`execute(mode, calls)` from a
// member's delegated account) and to send the same flows pre-signed in batches of the same size.
// Pure: the callers decode transactions (common/chain/batch.ts callsOf) and read receipts.
import type { Call } from "../../common/chain/batch.ts";

/**
 * The one call among a transaction's calls that `matches` (a flow's own call: its function and
 * its key, a loan id or an on-chain serial). None or several is a bench bug or a node sending a
 * flow twice in one transaction: both are errors, never a guess.
 */
export function flowCall(calls: readonly Call[], matches: (call: Call) => boolean, what: string): Call {
  const found = calls.filter(matches);
  if (found.length !== 1)
    throw new Error(`${what}: ${found.length} matching calls among the transaction's ${calls.length}, not 1`);
  return found[0]!;
}

/** A flow as the node path sent it: its transaction, that transaction's call count and gas used. */
export type SentFlow = { txHash: string; calls: number; gasUsed: bigint };

/** How a phase's flows went on chain: transactions, flows and calls per transaction, gas per call. */
export type Packing = {
  transactions: number;
  /** The phase's flows / the distinct transactions that carried them. */
  flowsPerTransaction: number;
  /** All calls in those transactions (other work of the node's may share a batch) / transactions. */
  callsPerTransaction: number;
  /** Gas of those transactions / their calls. */
  gasPerCall: number;
};

export function packingOf(flows: readonly SentFlow[]): Packing {
  const txs = new Map<string, SentFlow>();
  for (const f of flows) txs.set(f.txHash.toLowerCase(), f);
  const transactions = txs.size;
  if (transactions === 0)
    return { transactions: 0, flowsPerTransaction: 0, callsPerTransaction: 0, gasPerCall: 0 };
  let calls = 0;
  let gas = 0n;
  for (const t of txs.values()) {
    calls += t.calls;
    gas += t.gasUsed;
  }
  return {
    transactions,
    flowsPerTransaction: flows.length / transactions,
    callsPerTransaction: calls / transactions,
    gasPerCall: Number(gas) / calls,
  };
}

/** The batch size that matches a node path's mean flows per transaction (at least 1). */
export function batchSizeOf(flowsPerTransaction: number): number {
  return Math.max(1, Math.round(flowsPerTransaction));
}

/**
 * `items` in batches of at most `size`, each batch of one sender only (`senderOf`), every sender's
 * items in their order: what one account can put into one transaction of its own.
 */
export function batchesOf<T>(items: readonly T[], size: number, senderOf: (item: T) => string): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size ${size}: a positive integer`);
  const open = new Map<string, T[]>();
  const out: T[][] = [];
  for (const item of items) {
    const sender = senderOf(item);
    let batch = open.get(sender);
    if (batch === undefined || batch.length === size) {
      batch = [];
      open.set(sender, batch);
      out.push(batch);
    }
    batch.push(item);
  }
  return out;
}
