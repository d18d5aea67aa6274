// The document-digest index: which records carry a given document digest. A court's verification
// page has only the document (hashed in the browser), not the salt or leaf hash, so this is how it
// finds the evidence. Keys are digest[0..8) ‖ seq with no value (keys.ts), written by the intake
// in the same synced batch as the record; a lookup reads the prefix range and confirms each
// candidate against its record's full digest.
import { bytesEqual } from "../../../common/bytes.ts";
import { encodeLeaf } from "../../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../../common/formats/merkle/rfc9162.ts";
import type { AnchorDb } from "./db.ts";
import { INDEX_PREFIX_BYTES, SEQ_BYTES, digestKey, readSeq, seqKey } from "./keys.ts";
import type { RecordStore } from "./records.ts";
import { BLOCK_RECORDS } from "./records.ts";
import { RECORD_BYTES, unpackRecord } from "../../../common/formats/leaf/packed.ts";

/** At most this many leaves are listed for one digest (oldest first). */
export const MAX_DIGEST_LEAVES = 1000;

export type DigestLeaf = {
  seq: number;
  leafHash: Uint8Array;
  submitter: number;
  /** Unix seconds, from the record's receipt batch. */
  receivedAt: number;
  /** Whether a head the chain holds (not lost) contains the leaf. */
  anchored: boolean;
};

const META_KEY = "digestIndex";

export class DigestIndex {
  readonly db: AnchorDb;
  readonly records: RecordStore;

  constructor(db: AnchorDb, records: RecordStore) {
    this.db = db;
    this.records = records;
  }

  /** The records whose document digest is `digest` (32 bytes), by sequence number. */
  async leaves(digest: Uint8Array): Promise<DigestLeaf[]> {
    const seqs: number[] = [];
    const prefix = digest.subarray(0, INDEX_PREFIX_BYTES);
    const range = { gte: digestKey(prefix, 0), lte: digestKey(prefix, 2 ** (8 * SEQ_BYTES) - 1) };
    for await (const key of this.db.digests.keys(range)) seqs.push(readSeq(key, INDEX_PREFIX_BYTES));
    if (seqs.length === 0) return [];
    const values = await this.records.packedMany(seqs);
    const out: DigestLeaf[] = [];
    for (let i = 0; i < seqs.length && out.length < MAX_DIGEST_LEAVES; i++) {
      const value = values[i];
      if (value === undefined || !bytesEqual(value.subarray(2, 34), digest)) continue; // a prefix collision
      const record = unpackRecord(value);
      const seq = seqs[i]!;
      const batch = await this.records.batchOf(seq);
      if (batch === undefined) throw new Error(`record ${seq} has no receipt batch`);
      out.push({
        seq,
        leafHash: hashLeaf(encodeLeaf(record)),
        submitter: record.submitter,
        receivedAt: batch.batch.receivedAt,
        anchored: await this.#anchored(seq),
      });
    }
    return out;
  }

  /** Whether some head the chain holds (not lost) contains leaf `seq`. */
  async #anchored(seq: number): Promise<boolean> {
    for await (const head of this.db.heads.values({ gte: seqKey(seq + 1) }))
      if (head.lost === undefined) return true;
    return false;
  }

  /**
   * Indexes records written before this index existed (once; marked in meta). Idempotent, so a
   * crash part way just runs it again at the next start.
   */
  async backfill(): Promise<number> {
    if ((await this.db.meta.get(META_KEY)) !== undefined) return 0;
    let done = 0;
    let batch = this.db.digests.batch();
    for await (const [key, block] of this.db.records.iterator()) {
      const first = readSeq(key) * BLOCK_RECORDS;
      for (let at = 0; at < block.length; at += RECORD_BYTES) {
        batch.put(digestKey(block.subarray(at + 2, at + 34), first + at / RECORD_BYTES), new Uint8Array(0));
        if (++done % 10_000 === 0) {
          await batch.write();
          batch = this.db.digests.batch();
        }
      }
    }
    await batch.write({ sync: this.db.durable });
    await this.db.meta.put(META_KEY, { version: 1 }, { sync: this.db.durable });
    return done;
  }
}
