// A Bloom filter over the leaf index's keys (the first 8 bytes of every stored leaf hash): the
// intake asks LevelDB whether a leaf is stored only when the filter says it may be. Almost every
// submitted record is new, and "definitely not stored" then costs no read — about 1,000 point
// lookups (and their key copies on the event loop) saved per 1,000-record request.
//
// It is memory only: built at start from the leaf index (one key scan), grown by the intake after
// each durable write. A leaf hash is SHA-256 output, so its bytes are already uniform: the bit
// positions come straight from the 8-byte key (double hashing), no extra hash. When more leaves
// are added than it was sized for, it stops answering (every lookup reads LevelDB again, as
// without it) until the next start sizes it anew.
import type { BytesSublevel } from "./db.ts";
import { INDEX_PREFIX_BYTES } from "./keys.ts";

/** Bits per leaf and probes: about a 1 % false-positive rate. */
const BITS_PER_LEAF = 10;
const PROBES = 7;
/** Room for this many leaves beyond those stored at start (at least). */
const HEADROOM = 4_000_000;

export class LeafFilter {
  readonly #bits: Uint32Array;
  readonly #mask: number;
  readonly #capacity: number;
  #count = 0;

  /** A filter with room for `capacity` leaves (rounded up to a power-of-two number of bits). */
  constructor(capacity: number) {
    let bits = 1 << 16;
    while (bits < capacity * BITS_PER_LEAF && bits < 2 ** 31) bits *= 2;
    this.#bits = new Uint32Array(bits / 32);
    this.#mask = bits - 1;
    this.#capacity = Math.floor(bits / BITS_PER_LEAF);
  }

  /** Builds a filter holding every key of the leaf index, with room to grow. */
  static async load(leafIndex: BytesSublevel): Promise<LeafFilter> {
    const keys: Uint8Array[] = [];
    for await (const key of leafIndex.keys()) keys.push(key);
    const filter = new LeafFilter(2 * keys.length + HEADROOM);
    for (const key of keys) filter.add(key);
    return filter;
  }

  /** Whether it still answers (it was not outgrown). */
  get usable(): boolean {
    return this.#count <= this.#capacity;
  }

  /** Adds a leaf hash (or its 8-byte index key). */
  add(leafHash: Uint8Array): void {
    const [h1, h2] = halves(leafHash);
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & this.#mask;
      this.#bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.#count++;
  }

  /** False: this leaf hash is certainly not stored. True: it may be (or the filter is outgrown). */
  mayHold(leafHash: Uint8Array): boolean {
    if (!this.usable) return true;
    const [h1, h2] = halves(leafHash);
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & this.#mask;
      if ((this.#bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

const scratch: [number, number] = [0, 0];

/** Two 32-bit numbers from the first 8 bytes (the index key); the second odd, so probes differ. */
function halves(h: Uint8Array): [number, number] {
  if (h.length < INDEX_PREFIX_BYTES)
    throw new RangeError(`a leaf hash or index key has at least ${INDEX_PREFIX_BYTES} bytes`);
  scratch[0] = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  scratch[1] = ((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]! | 1) >>> 0;
  return scratch;
}
