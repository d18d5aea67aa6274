// Answers about stored evidence: a leaf's status and proof, its self-contained evidence bundle,
// the heads, and consistency between two heads. A bundle is only built for a head the chain
// holds now (chain-now.ts: the latest block the endpoint reported in answer to a question asked
// after the request arrived, the head read in that block): the service never silently serves a
// proof whose head is not on the chain it talks to.
import { bytesEqual, fromHex, toHex } from "../../../common/bytes.ts";
import type { EvidenceBundle, Recommit } from "../../../common/formats/bundle/bundle.ts";
import { buildBundle, isoOfUnixSeconds, type TrustedTime } from "../../../common/formats/bundle/bundle.ts";
import type { EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import { encodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../../common/formats/merkle/rfc9162.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";
import { anchorError } from "../errors.ts";
import { ChainNow, type ChainBlock } from "./chain-now.ts";
import type { MerkleStore } from "../log/merkle-store.ts";
import type { AnchorDb, StoredHead } from "../store/db.ts";
import { SEQ_BYTES, indexKey, readSeq, seqKey } from "../store/keys.ts";
import type { HeadsCache } from "../store/heads-cache.ts";
import type { RecordStore } from "../store/records.ts";
import { unpackRecord } from "../../../common/formats/leaf/packed.ts";

export type QueryDeps = {
  db: AnchorDb;
  records: RecordStore;
  /** The heads in memory, if kept (otherwise they are read from LevelDB). */
  heads?: HeadsCache;
  merkle: MerkleStore;
  chain: EvidenceLogClient;
  addresses: { evidenceLog: string; evidenceRegistry: string; consortiumRegistry: string };
  logId: string;
  chainId: () => string | undefined;
  /** The RFC 3161 tokens stored for a head (tsa/stamper.ts); absent: bundles carry none. */
  timestamps?: (treeSize: number) => Promise<TrustedTime | undefined>;
  /** The latest witnessed C2SP checkpoint holding leaf `seq` and the leaf's proof into it (c2sp/); absent or undefined: none. */
  witnessed?: (seq: number) => Promise<{ checkpoint: string; inclusionProof: Uint8Array[] } | undefined>;
  /** The tree size of that checkpoint (what `witnessed` answers from), without the proof; absent or undefined: none. */
  witnessedSize?: () => number | undefined;
};

export type HeadView = {
  treeSize: number;
  rootHash: string;
  chainIndex: number;
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  anchoredAt: string;
  onChain: boolean;
  lost?: { detectedAt: string; reason: string };
  recommitted: boolean;
};

export type LeafView = {
  leafHash: string;
  sequence: number;
  status: "pending" | "anchored";
  record: EvidenceRecord;
  head?: HeadView;
  inclusionProof?: string[];
  /** Once anchored: whether its bundle carries a witnessed checkpoint and the TSAs' tokens now. */
  bundle?: { witnessed: boolean; trustedTime: boolean };
};

export class EvidenceQueries {
  readonly deps: QueryDeps;
  readonly #now: ChainNow;
  #operatorMember: number | undefined;

  constructor(deps: QueryDeps) {
    this.deps = deps;
    this.#now = new ChainNow(deps.chain);
  }

  /**
   * The stored record with this leaf hash, and the heads that contain it. The index entry and
   * the candidate record are read synchronously where the store supports it (otherwise one
   * getMany each); the heads after the (almost always single) candidate are read while it is
   * confirmed by recomputing its leaf hash. The record is not read a second time.
   */
  async #find(leafHashHex: string): Promise<{
    seq: number;
    record: EvidenceRecord;
    heads: Promise<{ live?: StoredHead; earliest?: StoredHead }>;
  }> {
    const hash = fromHex(leafHashHex);
    const unknown = () =>
      anchorError("ANCHOR_ERR_UNKNOWN_LEAF", `no evidence with leaf hash ${leafHashHex} in this log`);
    const { leafIndex, records } = this.deps.db;
    // getSync where the store has it: one small read from LevelDB's cache, without a round trip
    // through the thread pool (the tail of this path's latency)
    const sync =
      (leafIndex.supports as { getSync?: boolean }).getSync === true &&
      (records.supports as { getSync?: boolean }).getSync === true;
    const entry = sync ? leafIndex.getSync(indexKey(hash)) : (await leafIndex.getMany([indexKey(hash)]))[0];
    const candidates: number[] = [];
    if (entry !== undefined)
      for (let o = 0; o < entry.length; o += SEQ_BYTES) candidates.push(readSeq(entry, o));
    if (candidates.length === 0) throw unknown();
    const guess = candidates.length === 1 ? this.#headsFor(candidates[0]!) : undefined;
    guess?.catch(() => {}); // awaited below unless the candidate turns out not to match
    const values = await this.deps.records.packedMany(candidates); // records are stored in blocks (store/records.ts)
    for (let i = 0; i < candidates.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      const record = unpackRecord(value);
      if (!bytesEqual(hashLeaf(encodeLeaf(record)), hash)) continue;
      const seq = candidates[i]!;
      return { seq, record, heads: guess ?? this.#headsFor(seq) };
    }
    throw unknown();
  }

  /** The first live head containing leaf `seq`, and the earliest head (live or lost) that did. */
  async #headsFor(seq: number): Promise<{ live?: StoredHead; earliest?: StoredHead }> {
    const cached = this.deps.heads?.headsFor(seq); // in memory when loaded (store/heads-cache.ts)
    if (cached !== undefined) return cached;
    let earliest: StoredHead | undefined;
    for await (const head of this.deps.db.heads.values({ gte: seqKey(seq + 1) })) {
      earliest ??= head;
      if (head.lost === undefined) return { live: head, earliest };
    }
    return { earliest };
  }

  async leaf(leafHashHex: string): Promise<LeafView> {
    const { seq, record, heads } = await this.#find(leafHashHex);
    const { live } = await heads;
    const view: LeafView = { leafHash: leafHashHex.toLowerCase(), sequence: seq, status: "pending", record };
    if (live === undefined) return view;
    view.status = "anchored";
    view.head = headView(live);
    const stamped = this.deps.timestamps?.(live.treeSize);
    stamped?.catch(() => {}); // awaited below
    view.inclusionProof = (await this.deps.merkle.inclusionProof(seq, live.treeSize)).map(toHex);
    // what the bundle would carry now (a client polls this, then fetches the bundle once)
    view.bundle = {
      witnessed: seq < (this.deps.witnessedSize?.() ?? 0),
      trustedTime: (await stamped) !== undefined,
    };
    return view;
  }

  async bundle(leafHashHex: string): Promise<EvidenceBundle> {
    const { seq, record, heads } = await this.#find(leafHashHex);
    const { live, earliest } = await heads;
    if (live === undefined || earliest === undefined) {
      throw anchorError(
        "ANCHOR_ERR_NOT_ANCHORED",
        `evidence ${leafHashHex} is received but not yet anchored; retry after the next head`,
      );
    }
    const current = live.commits[live.commits.length - 1]!;
    // everything else the bundle carries is read meanwhile (proofs, receipt, tokens, checkpoint
    // from storage; the registry's status once the block is known): one wait for the slowest
    // instead of one after another, each behind intake's writes on a busy service
    const parts = Promise.all([
      this.#operator(),
      this.deps.merkle.inclusionProof(seq, live.treeSize),
      this.deps.records.receiptOf(seq),
      this.deps.records.submissionOf(seq),
      this.deps.timestamps?.(live.treeSize),
      this.deps.witnessed?.(seq),
    ]);
    parts.catch(() => {});
    // a bundle is only for a head the chain holds now: the latest block, the head and the
    // registry's status read in it
    let onChain: { treeSize: number; rootHash: string };
    let status: Promise<EvidenceBundle["status"]>;
    try {
      const block: ChainBlock = await this.#now.latest();
      status = this.#now.statusAt(leafHashHex, block);
      status.catch(() => {}); // awaited below, once the head is confirmed
      onChain = await this.#now.headAt(current.chainIndex, block);
    } catch (error) {
      throw anchorError(
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        `cannot confirm the head on chain: ${(error as Error).message}`,
      );
    }
    if (
      onChain.treeSize !== live.treeSize ||
      onChain.rootHash.toLowerCase() !== live.rootHash.toLowerCase()
    ) {
      throw anchorError(
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        "the chain no longer holds this evidence's head; it is being anchored again, retry shortly",
      );
    }
    const original = earliest.commits[0]!;
    const recommits: Recommit[] = [];
    if (earliest !== live) {
      recommits.push(
        recommitOf(
          current,
          `the chain lost head ${original.chainIndex} (size ${earliest.treeSize}) that first anchored this evidence; re-anchored in head ${current.chainIndex} (size ${live.treeSize})`,
        ),
      );
    } else {
      for (const c of live.commits.slice(1)) recommits.push(recommitOf(c, c.reason ?? "re-committed"));
    }
    const chainId = this.deps.chainId();
    if (chainId === undefined)
      throw anchorError("ANCHOR_ERR_CHAIN_UNAVAILABLE", "the chain's identity is not known yet");
    const [operatorMember, inclusionProof, receipt, submission, trustedTime, witnessed] = await parts;
    const registryStatus = await status.catch((error: unknown) => {
      throw anchorError(
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        `cannot read the evidence's status on chain: ${(error as Error).message}`,
      );
    });
    return buildBundle({
      record,
      log: { logId: this.deps.logId, operatorMember, leafIndex: seq },
      head: { treeSize: live.treeSize, rootHash: live.rootHash, headIndex: current.chainIndex },
      inclusionProof,
      anchor: { chainId, ...this.deps.addresses, ...pick(original) },
      recommits,
      status: registryStatus,
      receipt,
      submission,
      trustedTime,
      witnessed,
    });
  }

  async heads(limit: number, fromSize: number): Promise<HeadView[]> {
    const out: HeadView[] = [];
    for await (const head of this.deps.db.heads.values({ gte: seqKey(fromSize), limit }))
      out.push(headView(head));
    return out;
  }

  async consistency(
    from: number,
    to: number,
  ): Promise<{ from: number; to: number; fromRoot: string; toRoot: string; proof: string[] }> {
    const size = this.deps.merkle.size;
    if (!(from >= 0 && from <= to && to <= size && to >= 1)) {
      throw anchorError(
        "ANCHOR_ERR_BAD_RANGE",
        `need 0 ≤ from ≤ to ≤ ${size} and to ≥ 1, got from=${from} to=${to}`,
      );
    }
    return {
      from,
      to,
      fromRoot: from === 0 ? toHex(new Uint8Array(32)) : toHex(await this.deps.merkle.root(from)),
      toRoot: toHex(await this.deps.merkle.root(to)),
      proof: (await this.deps.merkle.consistencyProof(from, to)).map(toHex),
    };
  }

  async #operator(): Promise<number> {
    if (this.#operatorMember === undefined) {
      const info = await this.deps.chain.log.logInfo(this.deps.logId);
      this.#operatorMember = Number(info.memberId);
    }
    return this.#operatorMember;
  }
}

function pick(c: {
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
}) {
  return {
    transactionHash: c.transactionHash,
    blockNumber: c.blockNumber,
    blockHash: c.blockHash,
    blockTimestamp: c.blockTimestamp,
  };
}

function recommitOf(c: StoredHead["commits"][number], reason: string): Recommit {
  return { at: new Date(c.committedAt).toISOString(), reason, ...pick(c) };
}

function headView(head: StoredHead): HeadView {
  const c = head.commits[head.commits.length - 1]!;
  return {
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    chainIndex: c.chainIndex,
    transactionHash: c.transactionHash,
    blockNumber: c.blockNumber,
    blockHash: c.blockHash,
    blockTimestamp: c.blockTimestamp,
    anchoredAt: isoOfUnixSeconds(c.blockTimestamp),
    onChain: head.lost === undefined,
    ...(head.lost === undefined ? {} : { lost: head.lost }),
    recommitted: head.commits.length > 1,
  };
}
