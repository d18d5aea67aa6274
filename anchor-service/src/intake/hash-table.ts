// A set of byte strings of one fixed length (leaf hashes, or their 8-byte index prefixes) for one
// intake group, numbering each distinct one in order of first sight. SHA-256 output is uniform, so
// its first four bytes are the slot; open addressing over an Int32Array, keys compared in place:
// no hex strings, no Map, nothing allocated per key.
export class HashTable {
  readonly #length: number;
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** The distinct keys, in order of first sight (views the caller passed in). */
  readonly keys: Uint8Array[] = [];

  /** A table for keys of `length` bytes (at least 4), with room for `expected` distinct ones. */
  constructor(length: number, expected: number) {
    if (length < 4) throw new RangeError("keys of at least 4 bytes");
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.#length = length;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** The number of `key` (its first `length` bytes), or -1 if it is not in the table. */
  find(key: Uint8Array): number {
    return this.#slots[this.#slotOf(key)]! - 1;
  }

  /** The number of `key` (its first `length` bytes): new keys get the next number. */
  intern(key: Uint8Array): number {
    if (this.keys.length * 2 >= this.#slots.length)
      throw new RangeError("hash table full: sized for fewer keys");
    const slot = this.#slotOf(key);
    const held = this.#slots[slot]!;
    if (held !== 0) return held - 1;
    this.keys.push(key);
    this.#slots[slot] = this.keys.length;
    return this.keys.length - 1;
  }

  /** The slot holding `key`, or the empty slot it would take. */
  #slotOf(key: Uint8Array): number {
    const n = this.#length;
    let slot = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) & this.#mask;
    for (;;) {
      const held = this.#slots[slot]!;
      if (held === 0) return slot;
      const other = this.keys[held - 1]!;
      let same = true;
      for (let k = 0; k < n; k++) {
        if (other[k] !== key[k]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }
}
