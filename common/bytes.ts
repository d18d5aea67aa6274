// Byte helpers shared by the Merkle log and the evidence leaf codec. Hex is the wire format
// (JSON, ethers, Solidity `bytes32`), Uint8Array the working format.

const HEX_BODY = /^[0-9a-fA-F]*$/;

/**
 * The one hex table of the hot paths (records parsed from request bytes, receipts written into a
 * Buffer), where a string per value would cost more than the work: HEX_VALUE[c] is the value of
 * the hex digit with char code c (either case), 255 for any other c < 256; HEX_DIGITS[2b] and
 * HEX_DIGITS[2b + 1] are the char codes of byte b's two lowercase hex digits.
 */
export const HEX_VALUE = new Uint8Array(256).fill(255);
export const HEX_DIGITS = new Uint8Array(512);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}
for (let b = 0; b < 256; b++) {
  const digits = "0123456789abcdef";
  HEX_DIGITS[2 * b] = digits.charCodeAt(b >> 4);
  HEX_DIGITS[2 * b + 1] = digits.charCodeAt(b & 15);
}

/** Lowercase, "0x"-prefixed hex, the form ethers and block explorers print. */
export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/**
 * Parses hex with or without a "0x" prefix, either case. Strict, because Buffer.from(…, "hex")
 * silently stops at the first bad character and would turn a typo into a shorter value.
 */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== "string") throw new RangeError(`hex: expected a string, got ${typeof hex}`);
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0) {
    throw new RangeError(`hex: odd number of digits (${body.length}) in "${abbreviate(hex)}"`);
  }
  if (!HEX_BODY.test(body)) {
    throw new RangeError(`hex: non-hex character in "${abbreviate(hex)}"`);
  }
  // Copy out of Buffer's shared pool so callers own a plain, unshared Uint8Array.
  return new Uint8Array(Buffer.from(body, "hex"));
}

/** Plain equality; the values compared here are public hashes, so no constant-time need. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

function abbreviate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `value` (a safe non-negative integer) as `width` big-endian bytes: LevelDB keys sort numerically. */
export function uintBE(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** The inverse of uintBE: `width` big-endian bytes at `offset`. */
export function readUintBE(bytes: Uint8Array, width: number, offset = 0): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + bytes[offset + i]!;
  return v;
}
