// One-at-a-time sections: the outbox's writes, and the sender's nonce assignment, signing and
// gap repair, each run strictly after the one before (a failed one does not block the next).
export class Lock {
  #tail: Promise<void> = Promise.resolve();

  /** Run `fn` once every section queued before it has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once the sections queued so far have finished (failed ones included). */
  idle(): Promise<void> {
    return this.#tail;
  }
}
