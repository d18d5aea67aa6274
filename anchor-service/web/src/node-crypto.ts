// node:crypto in the browser bundle: the few calls the verifier makes, over maintained
// browser-safe code — SHA-256 from ethers, SM3 from the page's own sm3.js, Ed25519 verification
// from @noble/curves, random bytes from crypto.getRandomValues. Verification only: nothing in the
// page signs, so the signing calls refuse.
import { ed25519 } from "@noble/curves/ed25519";
import { getBytes, sha256 } from "ethers";
// @ts-expect-error -- the page's plain-JavaScript SM3 (GB/T 32905), tested against OpenSSL's
import { sm3 } from "../sm3.js";

type Input = Uint8Array | string;
const bytesOf = (data: Input): Uint8Array =>
  typeof data === "string" ? new TextEncoder().encode(data) : data;

function digestOf(algorithm: string, data: Uint8Array): Uint8Array {
  const name = algorithm.toLowerCase();
  if (name === "sha256") return getBytes(sha256(data));
  if (name === "sm3") return (sm3 as (bytes: Uint8Array) => Uint8Array)(data);
  throw new Error(`no ${algorithm} in the browser bundle`);
}

function encode(bytes: Uint8Array, encoding?: string): Uint8Array | string {
  if (encoding === "hex") return Buffer.from(bytes).toString("hex");
  if (encoding === "binary" || encoding === "latin1") return Buffer.from(bytes).toString("latin1");
  return Buffer.from(bytes);
}

/** node:crypto's one-shot hash(algorithm, data, encoding). */
export function hash(algorithm: string, data: Input, encoding?: string): Uint8Array | string {
  return encode(digestOf(algorithm, bytesOf(data)), encoding);
}

/** node:crypto's createHash, buffering its updates. */
export function createHash(algorithm: string) {
  const parts: Uint8Array[] = [];
  const hasher = {
    update(data: Input) {
      parts.push(bytesOf(data));
      return hasher;
    },
    digest(encoding?: string) {
      return encode(digestOf(algorithm, Buffer.concat(parts)), encoding);
    },
  };
  return hasher;
}

export function randomBytes(size: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(size)));
}

const ED25519_SPKI_PREFIX = "302a300506032b6570032100";

/** An Ed25519 public key in SPKI DER, the only kind the verifier makes. */
export function createPublicKey(input: { key: Uint8Array; format: "der"; type: "spki" }) {
  const hex = Buffer.from(input.key).toString("hex");
  if (!hex.startsWith(ED25519_SPKI_PREFIX) || hex.length !== ED25519_SPKI_PREFIX.length + 64)
    throw new Error("only Ed25519 public keys in the browser bundle");
  return { ed25519: Buffer.from(hex.slice(ED25519_SPKI_PREFIX.length), "hex") };
}

/** node:crypto's verify(null, message, key, signature) for Ed25519. */
export function verify(
  _algorithm: null,
  message: Uint8Array,
  key: { ed25519: Uint8Array },
  signature: Uint8Array,
): boolean {
  return ed25519.verify(signature, message, key.ed25519);
}

const noSigning = (): never => {
  throw new Error("the verification page verifies only: no signing in the browser bundle");
};
export const sign = noSigning;
export const createPrivateKey = noSigning;
export const createHmac = noSigning;
