// Concurrency for the benchmarks' load: one helper for the loans bench and the soak driver.

/**
 * `work` over `items`, `limit` at a time, results in item order, stopping at the first failure: no
 * item starts after it, and the running ones see `signal` aborted and may stop at their next step.
 * Rejects with that first error once every running item has ended (nothing of the load outlives it).
 * `more`, asked before each item starts, ends the load early when it answers false (a time budget,
 * an operator's Ctrl-C): the running items finish and the result holds the items started, a prefix
 * of `items` in order.
 */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  more: () => boolean = () => true,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  const stop = new AbortController();
  let first: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < items.length && first === undefined && more()) {
      const i = next++;
      try {
        out[i] = await work(items[i]!, i, stop.signal);
      } catch (error) {
        if (first === undefined) {
          first = { error };
          stop.abort(new Error("stopped: another item of the load failed first"));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (first !== undefined) throw first.error;
  return next < items.length ? out.slice(0, next) : out;
}
