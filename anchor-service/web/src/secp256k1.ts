// tiny-secp256k1 in the browser bundle: its WebAssembly (libsecp256k1) is loaded from the file
// system under Node, which a page has not, so the page recovers signers with @noble/curves, the
// code ethers itself uses (the same keys, a few times slower). Verification only: nothing in the
// page signs, so signing refuses.
import { secp256k1 } from "@noble/curves/secp256k1";

/** The public key that signed `h` with the compact (r ‖ s) `signature` and `recoveryId`; throws on a signature that has none. */
export function recover(
  h: Uint8Array,
  signature: Uint8Array,
  recoveryId: number,
  compressed = false,
): Uint8Array | null {
  return secp256k1.Signature.fromCompact(signature)
    .addRecoveryBit(recoveryId)
    .recoverPublicKey(h)
    .toRawBytes(compressed);
}

export function signRecoverable(): never {
  throw new Error("the court page verifies; it does not sign");
}
