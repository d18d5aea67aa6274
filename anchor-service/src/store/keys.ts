// Every sublevel of the anchor service's LevelDB, with its key and value layout. Numeric keys
// are big-endian and fixed width, so LevelDB's byte order is numeric order.
//
//   records   block = seq / 256 (6 bytes)  → the block's records, packed back to back (102 bytes each,
//                                            common/formats/leaf/packed.ts); every block but the last holds 256
//   leafIndex leafHash[0..8) (8 bytes)     → seq (6 bytes) per record with that prefix (almost
//                                            always one; collisions are resolved by recomputing
//                                            each candidate's leaf hash)
//   batches   first seq (6 bytes)          → one intake request's receipt batch (JSON: count,
//                                            receivedAt, batch root, service signature)
//   nodes     level (1) ‖ index (6)        → 32-byte hash of a complete subtree (MerkleStore)
//   heads     tree size (6 bytes)          → a committed tree head (JSON: root, every commit of it
//                                            on chain, whether the chain lost it)
//   digests   digest[0..8) ‖ seq (6)       → nothing: the records whose document digest starts so
//                                            (a prefix range; each candidate is confirmed against
//                                            its record's full digest)
//   nonces    signer (20) ‖ nonce (16)     → expiresAt, unix seconds (6 bytes); remembered until
//                                            it expires, so a signed request cannot be replayed
//   meta      utf8 name                    → JSON (chain identity, service key address)
//   stampQueue tree size (6 bytes)         → JSON { rootHash }: a committed head some configured TSA
//                                            has not stamped yet (tsa/stamper.ts works through it)
//   timestamps tree size (6 bytes)         → JSON { rootHash, tokens: [{ tsa, token (base64 DER),
//                                            genTime }] }: RFC 3161 tokens over that head; the queue
//                                            entry is deleted in the batch that completes them
//   checkpoints tree size (6 bytes)        → JSON { note, published }: the C2SP checkpoint of that head
//                                            with the witnesses' cosignatures it gathered (c2sp/)
//
// A record (its block) and its index entries, its request's batch, its nonce and the Merkle nodes it
// completes are written in one synced batch (group-batch.ts, the only place the intake's writes
// become keys and values): nothing is ever half-written.
import { readUintBE, uintBE } from "../../../common/bytes.ts";

export const SUBLEVELS = [
  "records",
  "leafIndex",
  "digests",
  "batches",
  "nodes",
  "heads",
  "nonces",
  "meta",
  "stampQueue",
  "timestamps",
  "checkpoints",
] as const;

export const SEQ_BYTES = 6;
export const INDEX_PREFIX_BYTES = 8;

export function seqKey(seq: number): Uint8Array {
  return uintBE(seq, SEQ_BYTES);
}

export function readSeq(bytes: Uint8Array, offset = 0): number {
  return readUintBE(bytes, SEQ_BYTES, offset);
}

export function indexKey(leafHash: Uint8Array): Uint8Array {
  return leafHash.slice(0, INDEX_PREFIX_BYTES);
}

/** A digests key: the document digest's first 8 bytes, then the record's sequence number. */
export function digestKey(digest: Uint8Array, seq: number): Uint8Array {
  const key = new Uint8Array(INDEX_PREFIX_BYTES + SEQ_BYTES);
  key.set(digest.subarray(0, INDEX_PREFIX_BYTES), 0);
  key.set(seqKey(seq), INDEX_PREFIX_BYTES);
  return key;
}
