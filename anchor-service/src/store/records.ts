// Evidence records by sequence number, their lookup by leaf hash, and the intake batches that
// hold their receipts' signatures. The leaf hash is never stored per record: it is recomputed
// from the record (224-byte encoding, one SHA-256), which keeps the log near 200 bytes a leaf.
import type { EvidenceRecord } from "../../../common/evidence/leaf.ts";
import { encodeLeaf } from "../../../common/evidence/leaf.ts";
import { hashLeaf } from "../../../common/merkle/rfc9162.ts";
import type { AnchorDb, StoredBatch } from "./db.ts";
import { SEQ_BYTES, indexKey, readSeq, seqKey } from "./keys.ts";

/** kind (1) ‖ digestAlgorithm (1) ‖ digest (32) ‖ salt (32) ‖ submitter (4, BE) ‖ subject (32). */
export const RECORD_BYTES = 102;

export function packRecord(record: EvidenceRecord): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  out[0] = record.kind;
  out[1] = record.digestAlgorithm;
  out.set(Buffer.from(record.digest.slice(2), "hex"), 2);
  out.set(Buffer.from(record.salt.slice(2), "hex"), 34);
  new DataView(out.buffer).setUint32(66, record.submitter);
  out.set(Buffer.from(record.subject.slice(2), "hex"), 70);
  return out;
}

export function unpackRecord(bytes: Uint8Array): EvidenceRecord {
  const hex = (from: number, to: number) => `0x${Buffer.from(bytes.subarray(from, to)).toString("hex")}`;
  return {
    version: 1,
    kind: bytes[0] as EvidenceRecord["kind"],
    digestAlgorithm: bytes[1] as EvidenceRecord["digestAlgorithm"],
    digest: hex(2, 34),
    salt: hex(34, 66),
    submitter: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(66),
    subject: hex(70, 102),
  };
}

export type StoredRecord = { seq: number; record: EvidenceRecord; leafHash: Uint8Array };

type Put = { type: "put"; key: Uint8Array; value: Uint8Array; sublevel: AnchorDb["records"] };

export class RecordStore {
  readonly db: AnchorDb;

  constructor(db: AnchorDb) {
    this.db = db;
  }

  /** Number of durable records: the last sequence number + 1. */
  async count(): Promise<number> {
    for await (const key of this.db.records.keys({ reverse: true, limit: 1 })) return readSeq(key) + 1;
    return 0;
  }

  async get(seq: number): Promise<StoredRecord | undefined> {
    const value = await this.db.records.get(seqKey(seq));
    if (value === undefined) return undefined;
    const record = unpackRecord(value);
    return { seq, record, leafHash: hashLeaf(encodeLeaf(record)) };
  }

  /** Leaf hashes of records [from, to), in order (the MerkleStore's LeafSource). */
  async leafHashes(from: number, to: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    if (to <= from) return out;
    if (to - from <= 64) {
      // short ranges (proofs' low levels): getMany is about twice as fast as an iterator here
      const values = await this.db.records.getMany(Array.from({ length: to - from }, (_, i) => seqKey(from + i)));
      for (const value of values) if (value !== undefined) out.push(hashLeaf(encodeLeaf(unpackRecord(value))));
    } else {
      for await (const value of this.db.records.values({ gte: seqKey(from), lt: seqKey(to) })) {
        out.push(hashLeaf(encodeLeaf(unpackRecord(value))));
      }
    }
    if (out.length !== to - from) throw new Error(`records ${from}..${to} are not all stored (found ${out.length})`);
    return out;
  }

  /**
   * Sequence numbers of the given leaf hashes where stored (undefined where not): one getMany for
   * the index, one for the candidate records, each candidate confirmed by recomputing its hash.
   */
  async lookup(leafHashes: readonly Uint8Array[]): Promise<(number | undefined)[]> {
    const entries = await this.db.leafIndex.getMany(leafHashes.map(indexKey));
    const candidates: number[] = [];
    for (const entry of entries) if (entry !== undefined) for (let o = 0; o < entry.length; o += SEQ_BYTES) candidates.push(readSeq(entry, o));
    if (candidates.length === 0) return leafHashes.map(() => undefined);
    const values = await this.db.records.getMany(candidates.map(seqKey));
    const bySeqHash = new Map<string, number>();
    values.forEach((value, i) => {
      if (value !== undefined) bySeqHash.set(Buffer.from(hashLeaf(encodeLeaf(unpackRecord(value)))).toString("hex"), candidates[i]!);
    });
    return leafHashes.map((h) => bySeqHash.get(Buffer.from(h).toString("hex")));
  }

  /** The existing index entry for a leaf hash's prefix (to append to on a prefix collision). */
  async indexEntries(leafHashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.db.leafIndex.getMany(leafHashes.map(indexKey));
  }

  /** Batch ops writing one record and its index entry (`existing`: the prefix's current entry). */
  recordOps(seq: number, record: EvidenceRecord, leafHash: Uint8Array, existing: Uint8Array | undefined): Put[] {
    const key = seqKey(seq);
    const entry = existing === undefined ? key : Buffer.concat([existing, key]);
    return [
      { type: "put", sublevel: this.db.records, key, value: packRecord(record) },
      { type: "put", sublevel: this.db.leafIndex, key: indexKey(leafHash), value: entry },
    ];
  }

  /** The intake batch (request) that holds record `seq`'s receipt. */
  async batchOf(seq: number): Promise<{ firstSequence: number; batch: StoredBatch } | undefined> {
    for await (const [key, batch] of this.db.batches.iterator({ lte: seqKey(seq), reverse: true, limit: 1 })) {
      const firstSequence = readSeq(key);
      if (seq < firstSequence + batch.count) return { firstSequence, batch };
    }
    return undefined;
  }
}
