// Merkle–Damgård padding as SHA-256 (FIPS 180-4 §5.1.1) and SM3 (GB/T 32905 §5.2) both define it:
// the message, one 1 bit (0x80), zeros up to 56 mod 64 bytes, then its length in bits as a
// 64-bit big-endian number. The result is a whole number of 64-byte blocks.

/** The padded message and a DataView over it (for the compression functions' big-endian words). */
export function padMessage(bytes) {
  const bitLength = bytes.length * 8;
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  return { padded, view };
}
