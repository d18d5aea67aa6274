// SM4 (GB/T 32907-2016), the national block cipher, from Node's OpenSSL. OpenSSL 3 ships no
// SM4-GCM, so authenticated encryption is SM4-CTR then HMAC-SM3 over everything before the tag
// (encrypt-then-MAC, keys independent): the construction GM/T 0024's SSL VPN suites use.
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual } from "node:crypto";
import { hmacSm3, SM3_LENGTH } from "./sm3.ts";

export const SM4_KEY_BYTES = 16;
export const SM4_BLOCK_BYTES = 16;

/** SM4 of one 16-byte block (the standard's own example is one block, so its vector runs here). */
export function sm4EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkLength("SM4 key", key, SM4_KEY_BYTES);
  checkLength("SM4 block", block, SM4_BLOCK_BYTES);
  const cipher = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}

export function sm4DecryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkLength("SM4 key", key, SM4_KEY_BYTES);
  checkLength("SM4 block", block, SM4_BLOCK_BYTES);
  const decipher = createDecipheriv("sm4-ecb", key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([decipher.update(block), decipher.final()]));
}

/** SM4-CTR keystream XOR; the same call encrypts and decrypts. iv: the 16-byte initial counter. */
export function sm4Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength("SM4 key", key, SM4_KEY_BYTES);
  checkLength("SM4-CTR counter", iv, SM4_BLOCK_BYTES);
  const cipher = createCipheriv("sm4-ctr", key, iv);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

/** The two keys of SM4-CTR + HMAC-SM3 from one 32-byte data key (HKDF-SM3, distinct labels). */
export function sm4EtmKeys(dataKey: Uint8Array): { encKey: Uint8Array; macKey: Uint8Array } {
  checkLength("data key", dataKey, 32);
  const derive = (label: string, length: number) =>
    new Uint8Array(hkdfSync("sm3", dataKey, new Uint8Array(0), new TextEncoder().encode(label), length));
  return { encKey: derive("sm4-ctr", SM4_KEY_BYTES), macKey: derive("hmac-sm3", SM3_LENGTH) };
}

/** HMAC-SM3 tag over the parts, in order. */
export function sm3Tag(macKey: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmacSm3(macKey, Buffer.concat(parts));
}

/** Constant-time tag comparison. */
export function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkLength(what: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new RangeError(`${what} must be ${length} bytes`);
  }
}
