// Each node-path flow's own ledger call, read back from the transaction that carried it: a plain
// transaction's one call, or the flow's call among a node's batch (`execute` from its delegated
// account to itself). The ceilings send these calls again with fresh serials.
import { type Call, callsOf } from "../../common/chain/batch.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { ledgerInterface } from "../../nodes/src/outbox/entry.ts";
import { flowCall } from "../report/batching.ts";

type TxLike = { hash: string; from: string; to: string | null; data: string; gasLimit: bigint };

/** The key a flow's own ledger call carries: a registration's loan id, a flow's on-chain serial. */
export function flowKeyOf(fn: FlowFunction, data: string): string {
  const args = ledgerInterface.decodeFunctionData(fn, data);
  if (fn === "registerLoan") {
    const terms = args[0] as { originator: bigint; applicationSerial: string };
    return loanIdOf(Number(terms.originator), terms.applicationSerial).toLowerCase();
  }
  return String(args[fn === "disburse" ? 3 : 2]).toLowerCase();
}

export type FlowFunction = "registerLoan" | "disburse" | "repay";

/** A transaction's calls, decoded once: a batch's flows are looked up in it once per flow. */
const decoded = new WeakMap<TxLike, Call[]>();
export function callsIn(tx: TxLike): Call[] {
  let calls = decoded.get(tx);
  if (calls === undefined) {
    calls = callsOf(tx);
    decoded.set(tx, calls);
  }
  return calls;
}

/** The ledger's `fn` calls of a transaction, each with its key (`flowKeyOf`), decoded once per transaction. */
const keyed = new WeakMap<TxLike, Map<FlowFunction, Map<Call, string>>>();
function keysIn(ledger: string, fn: FlowFunction, tx: TxLike): Map<Call, string> {
  let byFn = keyed.get(tx);
  if (byFn === undefined) keyed.set(tx, (byFn = new Map()));
  let keys = byFn.get(fn);
  if (keys === undefined) {
    const selector = ledgerInterface.getFunction(fn)!.selector;
    keys = new Map(
      callsIn(tx)
        .filter((c) => c.to.toLowerCase() === ledger.toLowerCase() && c.data.startsWith(selector))
        .map((c) => [c, flowKeyOf(fn, c.data)]),
    );
    byFn.set(fn, keys);
  }
  return keys;
}

/**
 * A flow's own ledger call in the transaction that carried it — the one call of a plain
 * transaction, or the flow's call among a batch's — found by its key (`flowKeyOf`).
 */
export function ownCall(ledger: string, fn: FlowFunction, tx: TxLike, key: string): Call {
  const keys = keysIn(ledger, fn, tx);
  return flowCall(
    callsIn(tx),
    (c) => keys.get(c) === key.toLowerCase(),
    `${fn} ${key} in transaction ${tx.hash}`,
  );
}

/**
 * The gas limit the node set for `tx`'s one call, or undefined when the call went in a batch (the
 * batch's limit covers several calls): the ceiling then estimates the call on its own, with the
 * outbox's margin.
 */
export const plainGasLimit = (tx: TxLike): bigint | undefined =>
  tx.to !== null && tx.to.toLowerCase() === tx.from.toLowerCase() ? undefined : tx.gasLimit;
