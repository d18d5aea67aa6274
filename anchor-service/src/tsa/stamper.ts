// Trusted time for committed heads: every head the committer puts on chain is sent to each
// configured RFC 3161 TSA (client.ts), and the tokens are stored beside the head (store/keys.ts:
// `stampQueue`, `timestamps`) for bundles and GET /v1/timestamps. It runs beside intake, never in
// its path: a head is queued by one small write as soon as the committer has chosen it — its
// transaction is mined meanwhile, so a bundle waits for the later of the two, not their sum —
// stamped on this class's own timer, retried with back-off while a TSA is down, and the queue
// survives restarts. A TSA that stays down delays only the tokens (bundles carry none until it
// answers; trustedTime is indeterminate meanwhile), never a receipt or a commit.
//
// A token taken before the block is only as good as the gap between them: the verifier fails a
// block time more than TRUSTED_TIME_TOLERANCE_SECONDS after the TSA's. When a head's commit lands
// later than half that after its tokens (a chain that was down while the TSA answered), confirm()
// drops them and the head is stamped again.
import type { Logger } from "pino";
import type { TrustedTime } from "../../../common/formats/bundle/bundle.ts";
import {
  headTimestampMessage,
  TRUSTED_TIME_TOLERANCE_SECONDS,
} from "../../../common/formats/bundle/trusted-time.ts";
import type { TrustAnchors } from "../../../common/pki/trust-anchors.ts";
import { BoundedMap } from "../../../common/bounded-map.ts";
import type { AnchorDb, StoredTimestamps } from "../store/db.ts";
import { readSeq, seqKey } from "../store/keys.ts";
import { exchangeTimestamp, type TimestampExchange, type TimestampFetch } from "./client.ts";

type StoredToken = StoredTimestamps["tokens"][number];

export type StamperDeps = {
  db: AnchorDb;
  logId: string;
  /** The TSAs asked, each for every head. */
  tsaUrls: readonly string[];
  /** When set, a token is kept only if it verifies to these roots (a misconfigured TSA is noticed at once). */
  trustAnchors?: TrustAnchors;
  log: Logger;
  timeoutMs?: number;
  /** First retry delay; doubled per failure up to maxBackoffMs. */
  retryMs?: number;
  maxBackoffMs?: number;
  fetch?: TimestampFetch;
  /**
   * Asks one TSA and checks its token (to the trust anchors when configured); the service runs
   * it on a worker thread (exchange-worker.ts). Unset: exchangeTimestamp on this thread.
   */
  exchange?: TimestampExchange;
  /** After each token stored (metrics). */
  onToken?: (tsa: string, genTime: Date) => void;
  onFailure?: (tsa: string, error: unknown) => void;
};

/** The tree head to stamp. */
export type HeadToStamp = { treeSize: number; rootHash: string };

/** Heads whose tokens are kept in memory for bundles and leaf views (the most recently asked). */
const TOKENS_KEPT = 64;

/** A token this much older than its head's block is replaced (half the verifier's tolerance). */
export const RESTAMP_AFTER_SECONDS = TRUSTED_TIME_TOLERANCE_SECONDS / 2;

export class HeadStamper {
  readonly deps: StamperDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** Scheduling starts with start(); runOnce works before it (tests). */
  #started = false;
  #stopped = false;
  #failures = 0;
  /** A head was queued while a pass ran: that pass may not see it, so another follows. */
  #again = false;
  #lock: Promise<void> = Promise.resolve();
  /** Heads asked for at once by enqueue(), outside a pass (which leaves them alone meanwhile). */
  readonly #asking = new Map<number, Promise<void>>();
  /**
   * Recent heads' tokens as bundles carry them, each read once rather than on every bundle and leaf
   * view; a head's entry is dropped after every write of its tokens, so a read begun after a write
   * sees it (one begun during the write is dropped with it).
   */
  readonly #tokens = new BoundedMap<number, Promise<TrustedTime | undefined>>(TOKENS_KEPT, "recent-use");

  constructor(deps: StamperDeps) {
    this.deps = deps;
  }

  /** Starts working through the queue (the heads left from the last run first). */
  async start(): Promise<void> {
    this.#started = true;
    this.#stopped = false;
    await this.#queueLatestIfMissing();
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await Promise.all([this.#running, ...this.#asking.values()]);
  }

  /**
   * Called once the committer has chosen a head (its transaction is sent next): queued (one small
   * write) and, while no TSA is backing off, asked for at once — not after the write and a pass
   * over the queue, each behind intake's writes on a busy service. The queue entry stays until
   * the tokens are stored, for retries and restarts.
   */
  async enqueue(head: HeadToStamp): Promise<void> {
    if (this.deps.tsaUrls.length === 0) return;
    const stored = await this.deps.db.timestamps.get(seqKey(head.treeSize));
    if (stored !== undefined && this.#missing(stored).length === 0) return; // a recommit of a stamped head
    const queued = this.deps.db.stampQueue.put(seqKey(head.treeSize), { rootHash: head.rootHash });
    if (this.#started && !this.#stopped && this.#failures === 0 && !this.#asking.has(head.treeSize)) {
      this.#askNow(head, stored, queued);
      return queued;
    }
    await queued;
    this.#wake();
  }

  #askNow(head: HeadToStamp, stored: StoredTimestamps | undefined, queued: Promise<void>): void {
    const down = new Set<string>();
    const asked = this.#stamp(head, down, { stored, queued })
      .catch((err: unknown) => {
        down.add("(storage)"); // the pass retries it from the queue
        this.deps.log.warn(
          { err: String(err), treeSize: head.treeSize },
          "could not store the head's tokens",
        );
      })
      .finally(() => {
        this.#asking.delete(head.treeSize);
        if (down.size === 0) return;
        // a TSA failed: a pass asks again from the queue, backing off as it fails
        this.#failures++;
        if (this.#running !== undefined) this.#again = true;
        else this.#schedule(this.deps.retryMs ?? 1000);
      });
    this.#asking.set(head.treeSize, asked);
  }

  /**
   * Called once the head's first block is known (Unix seconds; the block its bundles name as the
   * anchor): tokens the TSA gave more than RESTAMP_AFTER_SECONDS before it are dropped and the
   * head stamped again, so that every stored token passes the verifier's block-time check.
   */
  async confirm(head: HeadToStamp, blockTimestamp: number): Promise<void> {
    if (this.deps.tsaUrls.length === 0) return;
    const key = seqKey(head.treeSize);
    const fresh = (t: { genTime: string }) =>
      Date.parse(t.genTime) / 1000 >= blockTimestamp - RESTAMP_AFTER_SECONDS;
    const dropped = await this.#exclusive(async () => {
      const stored = await this.deps.db.timestamps.get(key);
      if (stored === undefined || stored.tokens.every(fresh)) return 0;
      const kept = stored.tokens.filter(fresh);
      const batch = this.deps.db.root.batch();
      if (kept.length > 0) batch.put(key, { ...stored, tokens: kept }, { sublevel: this.deps.db.timestamps });
      else batch.del(key, { sublevel: this.deps.db.timestamps });
      batch.put(key, { rootHash: head.rootHash }, { sublevel: this.deps.db.stampQueue });
      try {
        await batch.write();
      } finally {
        this.#tokens.delete(head.treeSize);
      }
      return stored.tokens.length - kept.length;
    });
    if (dropped === 0) return;
    this.deps.log.info(
      { treeSize: head.treeSize, dropped, blockTimestamp },
      "the head's block came long after its time-stamp; stamping it again",
    );
    this.#wake();
  }

  #wake(): void {
    if (this.#failures > 0 || this.#stopped) return; // the back-off timer comes back to it
    if (this.#running !== undefined) this.#again = true;
    else this.#schedule(0);
  }

  /** The tokens stored for the head of `treeSize`, as a bundle carries them; undefined when none yet. */
  tokensFor(treeSize: number): Promise<TrustedTime | undefined> {
    let read = this.#tokens.get(treeSize);
    if (read === undefined) {
      read = this.#readTokens(treeSize);
      this.#tokens.set(treeSize, read);
      read.catch(() => this.#tokens.delete(treeSize)); // a failed read is not remembered
    }
    return read;
  }

  async #readTokens(treeSize: number): Promise<TrustedTime | undefined> {
    const stored = await this.deps.db.timestamps.get(seqKey(treeSize));
    if (stored === undefined || stored.tokens.length === 0) return undefined;
    return { tokens: stored.tokens.map(({ tsa, token }) => ({ tsa, token })) };
  }

  /** What is stored for the head of `treeSize` (the API's view), undefined when nothing. */
  async stored(treeSize: number): Promise<StoredTimestamps | undefined> {
    return this.deps.db.timestamps.get(seqKey(treeSize));
  }

  async isQueued(treeSize: number): Promise<boolean> {
    return (await this.deps.db.stampQueue.get(seqKey(treeSize))) !== undefined;
  }

  async queuedRoot(treeSize: number): Promise<string | undefined> {
    return (await this.deps.db.stampQueue.get(seqKey(treeSize)))?.rootHash;
  }

  /** Heads waiting for at least one TSA. */
  async backlog(): Promise<number> {
    let n = 0;
    for await (const _ of this.deps.db.stampQueue.keys()) n++;
    return n;
  }

  /** The heads being asked for now, then one pass over the queue (tests); resolves when done. */
  async runOnce(): Promise<void> {
    await Promise.all(this.#asking.values());
    return this.#runPass();
  }

  #runPass(): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(ms: number): void {
    if (!this.#started || this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#runPass().then(() => {
        const { retryMs = 1000, maxBackoffMs = 60_000 } = this.deps;
        if (this.#failures > 0) this.#schedule(Math.min(maxBackoffMs, retryMs * 2 ** (this.#failures - 1)));
        else if (this.#again) this.#schedule(0);
      });
    }, ms);
    this.#timer.unref();
  }

  /**
   * Oldest head first. A TSA that fails is not asked again in this pass (it is likely down), while
   * the others go on stamping; any failure backs the next pass off.
   */
  async #pass(): Promise<void> {
    this.#again = false;
    const down = new Set<string>();
    for await (const [key, { rootHash }] of this.deps.db.stampQueue.iterator()) {
      if (this.#stopped) return;
      if (this.#asking.has(readSeq(key))) continue; // enqueue() is asking for it now
      await this.#stamp({ treeSize: readSeq(key), rootHash }, down);
      if (down.size === this.deps.tsaUrls.length) break; // every TSA is down: nothing more to do now
    }
    this.#failures = down.size > 0 ? this.#failures + 1 : 0;
  }

  /**
   * Asks every TSA still missing for this head but those `down`, all at once; adds a TSA that
   * fails to `down`. From enqueue(): what was stored for the head, and its queue entry's write,
   * which lands before the tokens' (whose batch deletes it).
   */
  async #stamp(
    head: HeadToStamp,
    down: Set<string>,
    known?: { stored: StoredTimestamps | undefined; queued: Promise<void> },
  ): Promise<void> {
    const key = seqKey(head.treeSize);
    const before = known === undefined ? await this.deps.db.timestamps.get(key) : known.stored;
    const asking = this.#missing(before ?? { rootHash: head.rootHash, tokens: [] }).filter(
      (u) => !down.has(u),
    );
    const message = headTimestampMessage({ logId: this.deps.logId, ...head });
    const answers = await Promise.all(asking.map((tsa) => this.#token(tsa, message, head.treeSize)));
    answers.forEach((answer, i) => {
      if (answer === undefined) down.add(asking[i]!);
    });
    const got = answers.filter((a) => a !== undefined);
    await known?.queued;
    await this.#exclusive(async () => {
      // read again: confirm() may have dropped stale tokens meanwhile, which must not come back
      const stored = (await this.deps.db.timestamps.get(key)) ?? { rootHash: head.rootHash, tokens: [] };
      const have = new Set(stored.tokens.map((t) => t.tsa));
      stored.tokens.push(...got.filter((t) => !have.has(t.tsa)));
      const done = this.#missing(stored).length === 0;
      // the tokens and the queue entry change together: a crash between them re-asks, never loses
      const batch = this.deps.db.root.batch();
      if (stored.tokens.length > 0) batch.put(key, stored, { sublevel: this.deps.db.timestamps });
      if (done) batch.del(key, { sublevel: this.deps.db.stampQueue });
      try {
        await batch.write();
      } finally {
        this.#tokens.delete(head.treeSize);
      }
    });
  }

  /** One TSA's token over `message`, or undefined when it failed (logged, counted). */
  async #token(tsa: string, message: Uint8Array, treeSize: number): Promise<StoredToken | undefined> {
    try {
      const { token, genTime } = await this.#exchange(tsa, message);
      this.deps.onToken?.(tsa, genTime);
      return { tsa, token: Buffer.from(token).toString("base64"), genTime: genTime.toISOString() };
    } catch (error) {
      this.deps.log.warn(
        { tsa, treeSize, err: error instanceof Error ? error.message : String(error) },
        "time-stamp request failed; retrying later (intake and commits continue)",
      );
      this.deps.onFailure?.(tsa, error);
      return undefined;
    }
  }

  /** The deps' exchange (a worker thread in the service), else the request and its check on this thread. */
  readonly #exchange: TimestampExchange = (tsa, message) =>
    this.deps.exchange === undefined
      ? exchangeTimestamp(tsa, message, {
          timeoutMs: this.deps.timeoutMs ?? 10_000,
          ...(this.deps.trustAnchors === undefined ? {} : { trustAnchors: this.deps.trustAnchors }),
          ...(this.deps.fetch === undefined ? {} : { fetch: this.deps.fetch }),
        })
      : this.deps.exchange(tsa, message);

  /** Read-modify-writes of one head's tokens, one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #missing(stored: StoredTimestamps): string[] {
    const have = new Set(stored.tokens.map((t) => t.tsa));
    return this.deps.tsaUrls.filter((u) => !have.has(u));
  }

  /** A head committed just before a crash (queued in memory only) or before TSAs were configured. */
  async #queueLatestIfMissing(): Promise<void> {
    if (this.deps.tsaUrls.length === 0) return;
    for await (const head of this.deps.db.heads.values({ reverse: true, limit: 1 })) {
      await this.enqueue({ treeSize: head.treeSize, rootHash: head.rootHash });
    }
  }
}
