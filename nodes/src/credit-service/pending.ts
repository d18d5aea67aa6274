// Credit-query records whose anchoring failed are anchored later. A query log is stored before it
// is anchored (the report was served, so the query must not go unlogged); when the anchor service
// is away, or the node stops in between, the record stays pending. This pass anchors what is
// pending — the branch's own query logs (bureau/consent.ts anchorPendingQueryLogs) and, on the
// union's node, its log of every branch's ask (union-credit.ts anchorPendingLogs) — at start and
// then every interval, so an outage delays the evidence but loses none of it.

export type PendingPass = () => Promise<number>;

export class PendingCreditAnchoring {
  readonly #passes: readonly PendingPass[];
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  /** `passes` each anchor one store's pending records and answer how many; `onError` hears a pass that failed (retried next time). */
  constructor(passes: readonly PendingPass[], onError: (error: unknown) => void) {
    this.#passes = passes;
    this.#onError = onError;
  }

  /** Every pass once (a failing one does not stop the others); how many records were anchored. */
  runOnce(): Promise<number> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<number> {
    let anchored = 0;
    for (const pass of this.#passes) {
      try {
        anchored += await pass();
      } catch (error) {
        this.#onError(error);
      }
    }
    return anchored;
  }

  /** A pass now (what a stopped node left pending), then every `intervalMs`. */
  start(intervalMs: number): void {
    void this.runOnce();
    this.#timer ??= setInterval(() => void this.runOnce(), intervalMs);
    this.#timer.unref();
  }

  /** No more passes; resolves once the pass in progress has ended. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
