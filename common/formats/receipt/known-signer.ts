// "Is this the signature of address A?" for a signer seen before, without recovering its key
// again. A member's node checks the anchor service's batch signature on every submission; ethers'
// recoverAddress recomputes the signer's public key each time (a square root and two scalar
// multiplications on a fresh point, about four times a signature's cost). Once a key has been
// recovered for A, the next signature is checked against that key, whose multiplication table is
// built once: R = s⁻¹(h·G + r·P) must be the point the signature names (x = r, y of its parity),
// which holds exactly when recovery from (r, s, v) gives P. Anything the fast check does not
// accept goes through recovery as before, so the answer is always recoverAddress's.
import { invert, mod } from "@noble/curves/abstract/modular.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { SigningKey, computeAddress, type Signature } from "ethers";
import { BoundedMap } from "../../bounded-map.ts";

type Point = typeof secp256k1.ProjectivePoint.BASE;

const N = secp256k1.CURVE.n;
const G = secp256k1.ProjectivePoint.BASE;
/**
 * Signers' public keys by checksummed address, each with its multiplication table (about 250 kB):
 * a node checks one anchor service's signatures, a verifier a few.
 */
const KEYS = new BoundedMap<string, Point>(8, "recent-use");

/**
 * Whether `sig` over `digest` (0x hex, 32 bytes) recovers to `address` (checksummed): the same
 * answer as `recoverAddress(digest, sig) === address`, for a signature parseSignature accepted.
 */
export function signedBy(digest: string, sig: Signature, address: string): boolean {
  const known = KEYS.get(address);
  if (known !== undefined && matchesKey(known, digest, sig)) return true;
  let publicKey: string;
  try {
    publicKey = SigningKey.recoverPublicKey(digest, sig);
  } catch {
    return false;
  }
  if (computeAddress(publicKey) !== address) return false;
  if (known === undefined) {
    const point = secp256k1.ProjectivePoint.fromHex(publicKey.slice(2));
    point._setWindowSize(8); // the table later multiplications use
    KEYS.set(address, point);
  }
  return true;
}

/** R = s⁻¹(h·G + r·P) is the signature's own R (x = r, y's parity v): recovery from it gives P. */
function matchesKey(key: Point, digest: string, sig: Signature): boolean {
  const r = BigInt(sig.r);
  const s = BigInt(sig.s);
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const sInverse = invert(s, N);
  const point = G.multiply(mod(BigInt(digest) * sInverse, N)).add(key.multiply(mod(r * sInverse, N)));
  if (point.equals(secp256k1.ProjectivePoint.ZERO)) return false;
  const { x, y } = point.toAffine();
  return x === r && Number(y & 1n) === sig.yParity;
}

/** Forget every known key (tests: the first check of a signer then recovers it again). */
export function forgetKnownSigners(): void {
  KEYS.clear();
}

/** Whether a key is known for `address` (tests). */
export function knowsSigner(address: string): boolean {
  return KEYS.has(address);
}
