// Receipt watching: one poller serves every recorded transaction in flight. It follows the chain's
// head (eth_blockNumber every blockPollMs, one request for all of them) and makes a round when a
// new block arrives, when a transaction was just broadcast (a chain that mines at once has it
// already), and at least every pollingMs. A round reads the account's mined nonce
// (eth_getTransactionCount) and asks only the transactions below it for their receipts; it
// notices a transaction the node no longer knows, a timeout, and a gap below the lowest nonce
// awaited (repaired by the caller's onGap: rule 4 of README.md).
import type { JsonRpcApiProvider, TransactionReceipt } from "ethers";
import { RetryLater, Stopped } from "./rpc-errors.ts";

export type ReceiptWatcherOptions = {
  provider: JsonRpcApiProvider;
  /** The sender's account. */
  address: string;
  /** Blocks to wait after the one holding the transaction (default 0). */
  confirmations?: number | undefined;
  /** A round at least this often while transactions are awaited (default 250 ms). */
  pollingMs?: number | undefined;
  /** How often the chain's head is read while transactions are awaited; a new block starts a round at once (default 50 ms). */
  blockPollMs?: number | undefined;
  /** Give up waiting for a receipt after this long (default 120 s). */
  receiptTimeoutMs?: number | undefined;
  /** How long a transaction may be unknown to the node, or a gap stay open, before it is acted on (default 1 s). */
  unknownTxMs?: number | undefined;
  /** The sender's stop-aware sleep. */
  sleep: (ms: number) => Promise<void>;
  stopping: () => boolean;
  /** The account's mined-transaction count as just read (a lower one means lost blocks). */
  onCount: (count: number) => Promise<void>;
  /** A nonce below the lowest awaited one has stayed unawaited for unknownTxMs. */
  onGap: () => Promise<void>;
};

/** A recorded transaction waiting for its receipt. */
type Waiter = {
  txHash: string;
  nonce: number;
  deadline: number;
  /** Since when the node has not known it (neither mined nor pooled). */
  unknownSince?: number;
  /** Since when its nonce is used but no receipt for its hash is found. */
  minedSince?: number;
  resolve: (receipt: TransactionReceipt) => void;
  reject: (error: unknown) => void;
};

export class ReceiptWatcher {
  readonly #options: ReceiptWatcherOptions;
  readonly #waiters = new Set<Waiter>();
  #poller: Promise<void> | undefined;
  /** Since when the lowest awaited nonce has had an unawaited nonce below it. */
  #gapSince: number | undefined;
  /** The head the last round saw, and when that round was. */
  #head: number | undefined;
  #lastRound = 0;
  /** A transaction was added since the last round: the next one starts without waiting for a block. */
  #kicked = false;
  #wake: (() => void) | undefined;

  constructor(options: ReceiptWatcherOptions) {
    this.#options = options;
  }

  /** The receipt of a recorded transaction, then the configured confirmations. */
  waitMined(txHash: string, nonce: number): Promise<TransactionReceipt> {
    if (this.#options.stopping()) return Promise.reject(new Stopped());
    const timeoutMs = this.#options.receiptTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      this.#waiters.add({ txHash, nonce, deadline: Date.now() + timeoutMs, resolve, reject });
      // those broadcast together share the next round
      this.#kicked = true;
      this.#wake?.();
      if (this.#poller === undefined) this.#poller = this.#poll();
    });
  }

  /** End every wait in progress with Stopped. */
  stop(): void {
    for (const waiter of [...this.#waiters]) {
      this.#waiters.delete(waiter);
      waiter.reject(new Stopped());
    }
  }

  /** Resolves once the poller has finished its round. */
  async idle(): Promise<void> {
    await this.#poller;
  }

  async #poll(): Promise<void> {
    const { provider, pollingMs = 250, blockPollMs = 50 } = this.#options;
    while (this.#waiters.size > 0 && !this.#options.stopping()) {
      try {
        const kicked = this.#kicked;
        this.#kicked = false;
        const head = Number(await provider.send("eth_blockNumber", []));
        const full = Date.now() - this.#lastRound >= pollingMs;
        if (kicked || head !== this.#head || full) {
          this.#head = head;
          if (full) this.#lastRound = Date.now();
          await this.#pollOnce(full);
        }
      } catch {
        // the endpoint is down: each waiter's deadline ends its wait, and its entry backs off
      }
      if (this.#waiters.size > 0 && !this.#kicked) await this.#nap(Math.min(blockPollMs, pollingMs));
    }
    // no await between the check above and this: a waiter added later starts a new poller
    this.#poller = undefined;
  }

  /** The sender's sleep, ended early by a transaction added meanwhile. */
  async #nap(ms: number): Promise<void> {
    const kicked = new Promise<void>((resolve) => (this.#wake = resolve));
    await Promise.race([this.#options.sleep(ms), kicked]);
    this.#wake = undefined;
  }

  /**
   * One look at the chain for every waiter. Mined (nonce below the account's count): its receipt,
   * or — none for its hash — the nonce went to another transaction and the entry looks again.
   * Not mined: a timeout, or, for the lowest nonce in flight, a transaction the node no longer
   * knows at all (dropped from its pool, or mined in blocks the chain lost) — the entry looks
   * again at once and re-broadcasts the same bytes. A nonce below the lowest awaited one that
   * nothing awaits is a gap: onGap repairs it. Those last two looks are taken in the rounds
   * every pollingMs only (`full`), not in each block's: they act after unknownTxMs anyway.
   */
  async #pollOnce(full: boolean): Promise<void> {
    const { provider } = this.#options;
    const latest = await provider.getTransactionCount(this.#options.address, "latest");
    await this.#options.onCount(latest);
    const now = Date.now();
    const unknownMs = this.#options.unknownTxMs ?? 1_000;
    const mined = [...this.#waiters].filter((w) => w.nonce < latest);
    const receipts = await Promise.all(mined.map((w) => provider.getTransactionReceipt(w.txHash)));
    mined.forEach((w, i) => {
      const receipt = receipts[i]!;
      if (receipt === null) {
        // give a node that is still indexing the block a moment
        w.minedSince ??= now;
        if (now - w.minedSince < unknownMs) return;
        this.#retry(w, `nonce ${w.nonce} of ${w.txHash} was used by another transaction`);
        return;
      }
      if (!this.#waiters.delete(w)) return;
      this.confirmations(receipt).then(w.resolve, w.reject);
    });
    let head: Waiter | undefined;
    for (const w of [...this.#waiters]) {
      if (now > w.deadline) {
        this.#retry(
          w,
          `transaction ${w.txHash} not mined within ${this.#options.receiptTimeoutMs ?? 120_000} ms; it will be re-broadcast`,
        );
      } else if (w.nonce >= latest && (head === undefined || w.nonce < head.nonce)) {
        head = w;
      }
    }
    if (!full) return;
    if (head === undefined || head.nonce < latest) {
      this.#gapSince = undefined;
      return;
    }
    if (head.nonce === latest) {
      this.#gapSince = undefined;
      if ((await provider.getTransaction(head.txHash)) !== null) {
        head.unknownSince = undefined;
        return;
      }
      head.unknownSince ??= now;
      if (now - head.unknownSince >= unknownMs) {
        this.#retry(
          head,
          `transaction ${head.txHash} is unknown to the node (dropped from its pool, or its block was lost); it will be re-broadcast`,
        );
      }
      return;
    }
    this.#gapSince ??= now;
    if (now - this.#gapSince >= unknownMs) {
      this.#gapSince = undefined;
      await this.#options.onGap();
    }
  }

  /** End a wait (unless it has ended already) with a RetryLater: its entry looks at the chain again. */
  #retry(waiter: Waiter, message: string): void {
    if (this.#waiters.delete(waiter)) waiter.reject(new RetryLater(message));
  }

  /** Wait until the receipt's block has the configured confirmations, following a re-mined transaction. */
  async confirmations(receipt: TransactionReceipt): Promise<TransactionReceipt> {
    const { provider, confirmations = 0, pollingMs = 250 } = this.#options;
    if (confirmations === 0) return receipt;
    let current = receipt;
    for (;;) {
      if (this.#options.stopping()) throw new Stopped();
      if ((await provider.getBlockNumber()) >= current.blockNumber + confirmations) {
        // the block may have been replaced meanwhile: ask again
        const again = await provider.getTransactionReceipt(current.hash);
        if (again === null)
          throw new RetryLater(`transaction ${current.hash} left the chain while waiting for confirmations`);
        if (again.blockNumber === current.blockNumber) return again;
        current = again;
        continue;
      }
      await new Promise((r) => setTimeout(r, pollingMs));
    }
  }
}
