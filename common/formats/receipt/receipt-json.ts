// The intake reply, `{"receipts":[…]}`, written straight into one Buffer: byte for byte what
// JSON.stringify gives for the Receipt objects of common/formats/receipt/receipts.ts, without building them.
// A 1,000-record reply is about 1.3 MB, nearly all of it proofs whose nodes are shared by many
// receipts, so each node's JSON text is made once and copied; the parts every receipt of a batch
// shares (log id, time, batch, service) are made once per batch.
//
// Every string in a receipt is hex, an ISO time or an address: nothing needs JSON escaping.
import type { Receipt, SignedReceiptBatch } from "./receipts.ts";
import { isoSeconds, receiptBatchPart, receiptsOf } from "./receipts.ts";
import { HEX_DIGITS } from "../../bytes.ts";
import { inclusionPath } from "../merkle/rfc9162.ts";
import type { BatchTree } from "./batch-tree.ts";

const ascii = (text: string): Buffer => Buffer.from(text, "latin1");
const LEAF_HASH = ascii('{"leafHash":"');
const SEQUENCE = ascii('","sequence":');
const OPEN = ascii('{"receipts":[');
const CLOSE = ascii("]}");
const COMMA = 44;
// "0x" + 64 hex digits, quoted
const QUOTED_HASH = 68;

/** Writes `0x` + the lowercase hex of bytes[from..from+32) at out[at..at+66). */
function writeHex32(bytes: Uint8Array, out: Uint8Array, at: number, from = 0): void {
  out[at] = 48;
  out[at + 1] = 120;
  let o = at + 2;
  for (let i = from; i < from + 32; i++) {
    const b = bytes[i]! << 1;
    out[o++] = HEX_DIGITS[b]!;
    out[o++] = HEX_DIGITS[b + 1]!;
  }
}

/** Writes a non-negative safe integer in decimal; returns the new offset. */
function writeUint(value: number, out: Uint8Array, at: number): number {
  if (value < 10) {
    out[at] = 48 + value;
    return at + 1;
  }
  const text = String(value);
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** Where in a reply each node's quoted text was written (offset + 1; 0: not yet), by height and index; right-edge nodes by begin. */
type WrittenNodes = { complete: Float64Array[]; edge: Map<number, number> };

/** One signed receipt batch: the JSON of any of its receipts, and the receipt objects. */
export class BatchReceipts {
  readonly batch: SignedReceiptBatch;
  readonly tree: BatchTree;
  /** `","logId":…,"proof":[` — everything between a receipt's sequence and its proof. */
  readonly #middle: Buffer;
  /** `],"service":{"address":"…"}}` */
  readonly #tail: Buffer;
  readonly #depth: number;
  // the proof walk's nodes, top-down: height (-1 for a right-edge node) and index (or begin)
  readonly #pathBegin = new Int32Array(64);
  readonly #pathEnd = new Int32Array(64);
  #objects: Receipt[] | undefined;

  constructor(batch: SignedReceiptBatch, tree: BatchTree) {
    if (tree.count !== batch.count)
      throw new RangeError(`batch of ${batch.count} records, tree of ${tree.count} leaves`);
    this.batch = batch;
    this.tree = tree;
    const middle = JSON.stringify({
      logId: batch.logId,
      receivedAt: isoSeconds(batch.receivedAt),
      maxMergeDelaySeconds: batch.maxMergeDelaySeconds,
      batch: receiptBatchPart(batch),
    });
    this.#middle = ascii(`,${middle.slice(1, -1)},"proof":[`);
    this.#tail = ascii(`],${JSON.stringify({ service: { address: batch.service } }).slice(1)}`);
    let depth = 0;
    while (2 ** depth < batch.count) depth++;
    this.#depth = depth;
  }

  /** An upper bound of one receipt's JSON length. */
  get maxJsonBytes(): number {
    return (
      LEAF_HASH.length +
      66 +
      SEQUENCE.length +
      16 +
      this.#middle.length +
      this.#depth * (QUOTED_HASH + 1) +
      this.#tail.length
    );
  }

  /**
   * Writes receipt `index`'s JSON at out[at..]; returns the new offset. The proof's nodes are
   * inclusionProof's (inclusionPath, ../merkle/rfc9162.ts): found top-down, written bottom-up.
   *
   * Each node's `"0x…"` is written out once per reply; `seen` remembers where (offset + 1, by
   * height and index; right-edge nodes by begin), and later uses copy it within `out`. A leaf's
   * text is its receipt's quoted leafHash, so a sibling's proof reuses that too.
   */
  writeJson(index: number, out: Buffer, at: number, seen: WrittenNodes): number {
    let o = at;
    out.set(LEAF_HASH, o);
    o += LEAF_HASH.length;
    const leaves = seen.complete[0]!;
    if (leaves[index] === 0) {
      writeHex32(this.tree.levels[0]!, out, o, index * 32);
      leaves[index] = o; // the quoted text starts at the quote before: offset + 1 is o
    } else {
      out.copyWithin(o, leaves[index]!, leaves[index]! + 66);
    }
    o += 66;
    out.set(SEQUENCE, o);
    o += SEQUENCE.length;
    o = writeUint(this.batch.firstSequence + index, out, o);
    out.set(this.#middle, o);
    o += this.#middle.length;
    const count = this.batch.count;
    const begins = this.#pathBegin;
    const ends = this.#pathEnd;
    const n = inclusionPath(index, count, begins, ends);
    for (let p = n - 1; p >= 0; p--) {
      // a node ending at the batch's end is a right-edge node, known by where it begins; any
      // other is the complete subtree of height log2(width) at index begin / width
      const begin = begins[p]!;
      const width = ends[p]! - begin;
      const h = ends[p] === count ? -1 : 31 - Math.clz32(width);
      const i = h === -1 ? begin : begin / width;
      const written = h === -1 ? (seen.edge.get(i) ?? 0) : seen.complete[h]![i]!;
      if (written !== 0) {
        out.copyWithin(o, written - 1, written - 1 + QUOTED_HASH);
      } else {
        out[o] = 34;
        if (h === -1) writeHex32(this.tree.rightEdge(i), out, o + 1);
        else writeHex32(this.tree.levels[h]!, out, o + 1, i * 32);
        out[o + QUOTED_HASH - 1] = 34;
        if (h === -1) seen.edge.set(i, o + 1);
        else seen.complete[h]![i] = o + 1;
      }
      o += QUOTED_HASH;
      if (p > 0) out[o++] = COMMA;
    }
    out.set(this.#tail, o);
    return o + this.#tail.length;
  }

  /** A fresh record of which of this batch's nodes a reply has written, and where. */
  written(): WrittenNodes {
    return {
      complete: this.tree.levels.map((level) => new Float64Array(level.length / 32)),
      edge: new Map(),
    };
  }

  /** The Receipt objects (built once, on demand). */
  objects(): Receipt[] {
    this.#objects ??= receiptsOf(
      this.batch,
      Array.from({ length: this.batch.count }, (_, i) => this.tree.complete(0, i).slice()),
    );
    return this.#objects;
  }
}

/**
 * One request's receipts, in the order of its records: each is receipt `index` of a batch of
 * this group, or a receipt re-issued from storage.
 */
export class IssuedReceipts {
  readonly #sources: Array<BatchReceipts | Receipt>;
  readonly #indexes: Int32Array;

  constructor(count: number) {
    this.#sources = new Array<BatchReceipts | Receipt>(count);
    this.#indexes = new Int32Array(count);
  }

  get length(): number {
    return this.#sources.length;
  }

  set(position: number, source: BatchReceipts | Receipt, index = 0): void {
    this.#sources[position] = source;
    this.#indexes[position] = index;
  }

  /** The receipts as objects (ReceiptSchema). */
  list(): Receipt[] {
    return this.#sources.map((s, i) => (s instanceof BatchReceipts ? s.objects()[this.#indexes[i]!]! : s));
  }

  /** `{"receipts":[…]}` as UTF-8: equal to Buffer.from(JSON.stringify({ receipts: this.list() })). */
  json(): Buffer {
    const sources = this.#sources;
    const other = new Map<Receipt, Buffer>();
    let bound = OPEN.length + CLOSE.length + sources.length;
    for (const s of sources) {
      if (s instanceof BatchReceipts) {
        bound += s.maxJsonBytes;
      } else {
        let text = other.get(s);
        if (text === undefined) {
          text = Buffer.from(JSON.stringify(s), "utf8");
          other.set(s, text);
        }
        bound += text.length;
      }
    }
    const out = Buffer.allocUnsafe(bound);
    out.set(OPEN, 0);
    let o = OPEN.length;
    const written = new Map<BatchReceipts, WrittenNodes>();
    for (let i = 0; i < sources.length; i++) {
      if (i > 0) out[o++] = COMMA;
      const s = sources[i]!;
      if (s instanceof BatchReceipts) {
        let seen = written.get(s);
        if (seen === undefined) {
          seen = s.written();
          written.set(s, seen);
        }
        o = s.writeJson(this.#indexes[i]!, out, o, seen);
      } else {
        const text = other.get(s)!;
        out.set(text, o);
        o += text.length;
      }
    }
    out.set(CLOSE, o);
    return out.subarray(0, o + CLOSE.length);
  }
}
