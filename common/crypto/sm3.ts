// SM3 (GB/T 32905-2016), the national hash: Node's OpenSSL provides it, so nothing here is
// hand-written. The evidence leaf labels a document digest as SM3 (digestAlgorithm 2); the CLI,
// the page's verifier and the bundle verifier compute it with these functions.
import { createHash, createHmac } from "node:crypto";

export const SM3_LENGTH = 32;

/** SM3(data), 32 bytes. */
export function sm3(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sm3").update(data).digest());
}

/** HMAC-SM3 (RFC 2104 over SM3, GB/T 15852.2), 32 bytes. */
export function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sm3", key).update(data).digest());
}

/** An incremental SM3 for documents read in chunks (the CLI hashes files as streams). */
export function sm3Stream(): { update(chunk: Uint8Array): void; digest(): Uint8Array } {
  const h = createHash("sm3");
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => new Uint8Array(h.digest()),
  };
}
