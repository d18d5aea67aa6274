// C2SP tlog-cosignature v1 (c2sp.org/tlog-cosignature): a witness's timestamped Ed25519
// signature (signed-note type 0x04) over "cosignature/v1\ntime <t>\n" ‖ checkpoint text.
import { sign as edSign } from "node:crypto";
import {
  ed25519PrivateKey,
  ed25519PublicKeyOf,
  ed25519Verify,
  formatVkey,
  isType,
  keyIdOf,
  NoteError,
  parseVkey,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  type NoteSignature,
  type NoteVerifier,
  type Vkey,
} from "./note.ts";

export const COSIGNATURE_V1_BYTES = 8 + 64;
const encoder = new TextEncoder();

export function cosignedMessage(timestamp: number, checkpointText: string): Uint8Array {
  return encoder.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

/** The timestamp (POSIX seconds) of a cosignature/v1 signature's bytes (key ID removed). */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (signature.length !== COSIGNATURE_V1_BYTES) return undefined;
  const t = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
  return t > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(t);
}

export type Cosigner = {
  name: string;
  keyId: number;
  vkey: string;
  cosign(checkpointText: string, timestamp: number): NoteSignature;
};

export function cosigner(name: string, seed: Uint8Array): Cosigner {
  const key = ed25519PrivateKey(seed);
  const publicKey = ed25519PublicKeyOf(seed);
  const keyId = keyIdOf(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey);
  return {
    name,
    keyId,
    vkey: formatVkey(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey),
    cosign(checkpointText, timestamp) {
      if (!Number.isSafeInteger(timestamp) || timestamp <= 0)
        throw new RangeError("a cosignature's time is positive");
      const body = new Uint8Array(COSIGNATURE_V1_BYTES);
      Buffer.from(body.buffer).writeBigUInt64BE(BigInt(timestamp), 0);
      body.set(edSign(null, cosignedMessage(timestamp, checkpointText), key), 8);
      return { name, keyId, signature: body };
    },
  };
}

export type CosignatureVerifier = NoteVerifier & { publicKey: Uint8Array };

/** A witness's verifier from its vkey (type 0x04 only). */
export function cosignatureVerifier(vkey: string | Vkey): CosignatureVerifier {
  const key = typeof vkey === "string" ? parseVkey(vkey) : vkey;
  if (!isType(key.type, SIGNATURE_TYPE_COSIGNATURE_V1) || key.publicKey.length !== 32) {
    throw new NoteError("VKEY_UNSUPPORTED", `${key.name} is not an Ed25519 cosignature/v1 key`);
  }
  const { publicKey } = key;
  return {
    name: key.name,
    keyId: key.keyId,
    publicKey,
    verify(text, signature) {
      const timestamp = cosignatureTimestamp(signature);
      if (timestamp === undefined || timestamp === 0) return false;
      return ed25519Verify(publicKey, cosignedMessage(timestamp, text), signature.subarray(8));
    },
  };
}
