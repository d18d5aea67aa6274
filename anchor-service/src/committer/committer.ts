// Commits the log's heads to EvidenceLog: every interval, or sooner once enough leaves wait.
// Each head carries the RFC 9162 consistency proof from the previous one, which the contract
// checks. The committer also keeps the service honest about the chain it talks to: at start and
// after every RPC failure it checks the chain's identity and reconciles its heads with the
// chain's, marking heads the chain lost (a local chain restored from an older state) so they are
// committed again and never served as if they were on chain.
import type { Logger } from "pino";
import { toHex } from "../../../common/bytes.ts";
import type { ChainIdentity, EvidenceLogClient } from "../chain/evidence-log-client.ts";
import type { MerkleStore } from "../log/merkle-store.ts";
import type { AnchorDb, HeadCommit, StoredHead } from "../store/db.ts";
import { seqKey } from "../store/keys.ts";

export type CommitterDeps = {
  db: AnchorDb;
  merkle: MerkleStore;
  chain: EvidenceLogClient;
  log: Logger;
  intervalMs: number;
  /** Commit as soon as this many leaves wait, without waiting for the interval. */
  commitLeaves: number;
  now?: () => Date;
  /**
   * A head was chosen and its transaction is about to be sent: what only needs the log's own head
   * (its witnesses' cosignatures, its TSA tokens) starts here, while the transaction is mined,
   * rather than after it.
   */
  onHead?: (head: { treeSize: number; rootHash: string }) => void;
  /** Observations for metrics. */
  onCommit?: (head: StoredHead, latencyMs: number) => void;
  onRpcError?: (error: unknown) => void;
  /** After each successful sync with the chain (its identity fixes the signing domains). */
  onSynced?: (identity: ChainIdentity) => void;
};

export type ChainState =
  | { kind: "unknown" }
  | { kind: "ok"; identity: ChainIdentity; checkedAt: string }
  | { kind: "unavailable"; error: string; since: string }
  | { kind: "wrong-chain"; error: string };

// short enough that heads waiting through an outage are committed within seconds of recovery
const MAX_BACKOFF_MS = 4_000;
/** Chain reads in flight at once while a sync reads every head. */
export const HEAD_READS_AT_ONCE = 16;

/** read(0) … read(count − 1), at most HEAD_READS_AT_ONCE at a time, in index order; the first failure rejects. */
async function readEach<T>(count: number, read: (index: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await read(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_READS_AT_ONCE, count) }, worker));
  return out;
}

export class Committer {
  readonly deps: CommitterDeps;
  state: ChainState = { kind: "unknown" };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #needsSync = true;
  #failures = 0;
  #stopped = false;

  constructor(deps: CommitterDeps) {
    this.deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  /** Called by intake after each durable write. */
  nudge(): void {
    if (this.pendingLeaves() >= this.deps.commitLeaves && this.#running === undefined && this.#failures === 0)
      this.#schedule(0);
  }

  /** Leaves not yet in a committed head. */
  pendingLeaves(): number {
    return this.deps.merkle.size - this.#committedSize;
  }

  #committedSize = 0;

  /** Run one round now (tests and shutdown); resolves when done. */
  async runOnce(): Promise<void> {
    // a round in flight is the one asked for
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.runOnce().finally(() => {
        if (this.#failures > 0) {
          // back off while the endpoint is down: 1 s, 2 s, 4 s, 4 s …; intake keeps working
          this.#schedule(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 1)));
        } else {
          this.#schedule(this.pendingLeaves() >= this.deps.commitLeaves ? 0 : this.deps.intervalMs);
        }
      });
    }, delayMs);
    this.#timer.unref?.();
  }

  async #round(): Promise<void> {
    try {
      if (this.#needsSync) await this.sync();
      if (this.state.kind !== "ok") return;
      await this.#commitIfNeeded();
      this.#failures = 0;
    } catch (error) {
      this.#failures++;
      this.#needsSync = true;
      const message = error instanceof Error ? error.message : String(error);
      if (this.state.kind !== "wrong-chain") {
        this.state = { kind: "unavailable", error: message, since: this.#now().toISOString() };
      }
      this.deps.onRpcError?.(error);
      this.deps.log.warn(
        { err: message, failures: this.#failures },
        "chain unavailable; heads will be committed when it is back",
      );
    }
  }

  /**
   * Check the chain's identity against the one recorded at first start, then reconcile heads:
   * mark heads the chain no longer has as lost, adopt heads this service committed but did not
   * record (a crash between sending and recording), and refuse a chain whose heads conflict.
   */
  async sync(): Promise<void> {
    const { db, chain, log } = this.deps;
    const identity = await chain.identity();
    const known = (await db.meta.get("chainIdentity")) as ChainIdentity | undefined;
    if (known === undefined) {
      await db.meta.put("chainIdentity", identity);
    } else if (
      known.chainId !== identity.chainId ||
      known.evidenceLogCodeHash !== identity.evidenceLogCodeHash
    ) {
      const error = `the RPC endpoint serves chain ${identity.chainId} with EvidenceLog code ${identity.evidenceLogCodeHash}, but this log was anchored on chain ${known.chainId} with code ${known.evidenceLogCodeHash}`;
      this.state = { kind: "wrong-chain", error };
      log.error({ known, identity }, "refusing to use a different chain");
      throw new Error(error);
    } else if (known.genesisHash !== identity.genesisHash) {
      log.warn({ known, identity }, "the chain was reset (new genesis): every head will be committed again");
      await db.meta.put("chainIdentity", identity);
    }

    const heads = await this.heads();
    const chainCount = await chain.headCount();
    // every head on chain, read HEAD_READS_AT_ONCE at a time: one by one, a restart after a long
    // run waited for a thousand round trips to the chain before it listened
    const chainHeads = await readEach(chainCount, (i) => chain.head(i));
    const onChain = new Map<number, string>();
    chainHeads.forEach((h, i) => onChain.set(i, `${h.treeSize}:${h.rootHash.toLowerCase()}`));
    const now = this.#now().toISOString();
    const ops: Array<{ type: "put"; key: Uint8Array; value: StoredHead }> = [];
    for (const head of heads) {
      const last = head.commits[head.commits.length - 1]!;
      const present = onChain.get(last.chainIndex) === `${head.treeSize}:${head.rootHash.toLowerCase()}`;
      if (present) {
        if (head.lost !== undefined) {
          delete head.lost;
          ops.push({ type: "put", key: seqKey(head.treeSize), value: head });
        }
      } else if (head.lost === undefined) {
        head.lost = {
          detectedAt: now,
          reason: `head ${last.chainIndex} (size ${head.treeSize}) is no longer on the chain`,
        };
        log.warn(
          { treeSize: head.treeSize, chainIndex: last.chainIndex },
          "the chain lost a head; it will be committed again",
        );
        ops.push({ type: "put", key: seqKey(head.treeSize), value: head });
      }
    }
    // heads on chain that this service does not know: its own, committed just before a crash
    const knownKeys = new Set(
      heads.flatMap((h) => (h.lost === undefined ? [`${h.commits[h.commits.length - 1]!.chainIndex}`] : [])),
    );
    for (let i = 0; i < chainCount; i++) {
      if (knownKeys.has(`${i}`)) continue;
      const h = chainHeads[i]!;
      if (h.treeSize > this.deps.merkle.size)
        throw this.#conflict(
          `chain head ${i} has size ${h.treeSize}, beyond this log's ${this.deps.merkle.size} leaves`,
        );
      const root = toHex(await this.deps.merkle.root(h.treeSize));
      if (root !== h.rootHash.toLowerCase())
        throw this.#conflict(
          `chain head ${i} (size ${h.treeSize}) has root ${h.rootHash}, this log has ${root}`,
        );
      const found = await chain.findCommit(i, Math.max(0, h.blockNumber - 1));
      const commit: HeadCommit =
        found === undefined
          ? {
              chainIndex: i,
              transactionHash: `0x${"00".repeat(32)}`,
              blockNumber: h.blockNumber,
              blockHash: `0x${"00".repeat(32)}`,
              blockTimestamp: h.timestamp,
              committedAt: now,
              reason: "adopted from the chain after a restart",
            }
          : { ...found, chainIndex: i, committedAt: now, reason: "adopted from the chain after a restart" };
      const existing = heads.find((x) => x.treeSize === h.treeSize);
      const value: StoredHead =
        existing === undefined
          ? { treeSize: h.treeSize, rootHash: root, commits: [commit] }
          : { ...existing, commits: [...existing.commits, commit] };
      delete value.lost;
      ops.push({ type: "put", key: seqKey(h.treeSize), value });
      log.info({ chainIndex: i, treeSize: h.treeSize }, "adopted a head found on chain");
    }
    if (ops.length > 0) await db.heads.batch(ops, { sync: db.durable });
    this.#committedSize = (await this.#liveTop())?.treeSize ?? 0;
    this.state = { kind: "ok", identity, checkedAt: now };
    this.#needsSync = false;
    this.deps.onSynced?.(identity);
  }

  #conflict(message: string): Error {
    this.state = { kind: "wrong-chain", error: message };
    this.deps.log.error(message);
    return new Error(message);
  }

  async #commitIfNeeded(): Promise<void> {
    const { merkle, chain, db } = this.deps;
    const size = merkle.size;
    const top = await this.#liveTop();
    const from = top?.treeSize ?? 0;
    const chainTop = await chain.latestHead();
    if (chainTop.treeSize !== from) {
      // someone (a restored chain, a crash) moved the chain since the last sync
      this.#needsSync = true;
      await this.sync();
      return this.#commitIfNeeded();
    }
    if (size <= from) return;
    const lost = (await this.heads()).filter((h) => h.lost !== undefined);
    const started = Date.now();
    const root = toHex(await merkle.root(size));
    const proof = from === 0 ? [] : (await merkle.consistencyProof(from, size)).map(toHex);
    this.deps.onHead?.({ treeSize: size, rootHash: root });
    const result = await chain.commitHead(size, root, proof);
    const now = this.#now().toISOString();
    const existing = lost.find((h) => h.treeSize === size);
    const commit: HeadCommit = { ...result, chainIndex: result.headIndex, committedAt: now };
    if (existing !== undefined || lost.length > 0)
      commit.reason = `re-anchored after the chain lost ${lost.length} head(s)`;
    const head: StoredHead =
      existing === undefined
        ? { treeSize: size, rootHash: root, commits: [commit] }
        : { treeSize: size, rootHash: root, commits: [...existing.commits, commit] };
    await db.heads.put(seqKey(size), head, { sync: db.durable });
    this.#committedSize = size;
    this.deps.onCommit?.(head, Date.now() - started);
    this.deps.log.info(
      { treeSize: size, chainIndex: result.headIndex, tx: result.transactionHash },
      "head committed",
    );
  }

  /** All heads this service committed, by size. */
  async heads(): Promise<StoredHead[]> {
    const out: StoredHead[] = [];
    for await (const value of this.deps.db.heads.values()) out.push(value);
    return out;
  }

  async #liveTop(): Promise<StoredHead | undefined> {
    for await (const value of this.deps.db.heads.values({ reverse: true }))
      if (value.lost === undefined) return value;
    return undefined;
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
