// C2SP signed-note (c2sp.org/signed-note): text signed by one or more keys, key IDs, verifier
// keys (vkeys), and the signature types this system uses: Ed25519 (0x01) for the log, Ed25519
// cosignatures (0x04, cosignature.ts) for witnesses, and SM2-with-SM3 under the reserved
// type 0xff for logs that must sign with national cryptography.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
} from "node:crypto";
import { CodedError } from "../../errors.ts";
import { SM2_DEFAULT_USER_ID, SM2_PUBLIC_KEY_BYTES, sm2 } from "../../crypto/sm2.ts";

export type NoteErrorCode =
  "NOTE_MALFORMED" | "NOTE_UNVERIFIED" | "NOTE_BAD_SIGNATURE" | "VKEY_MALFORMED" | "VKEY_UNSUPPORTED";
export class NoteError extends CodedError<NoteErrorCode> {}

export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;
/**
 * SM2 over SM3 with the default GB/T 32918 user id, signed over the note text. signed-note
 * reserves 0xff for types it does not assign and recommends a longer identifier after it; the
 * newline ends the identifier, so the public key that follows it in a vkey is unambiguous.
 */
export const SIGNATURE_TYPE_SM2: Uint8Array = new Uint8Array([
  0xff,
  ...new TextEncoder().encode("sm2-sm3/gbt32918\n"),
]);

/** Verifiers must accept at least 16 signatures; more than this is refused as malformed. */
export const MAX_SIGNATURES = 64;

/** One signature line: `— <name> base64(keyId ‖ signature)`. */
export type NoteSignature = { name: string; keyId: number; signature: Uint8Array };
export type Note = { text: string; signatures: NoteSignature[] };

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: string, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: string): Uint8Array;
}

const EM_DASH = "\u2014";
const encoder = new TextEncoder();

/** Standard base64 with padding, refusing anything Buffer would silently skip. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? new Uint8Array(bytes) : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** A key name: non-empty, no Unicode spaces, no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

/** key ID = SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4], big-endian. */
export function keyIdOf(name: string, type: number | Uint8Array, publicKey: Uint8Array): number {
  const typeBytes = typeof type === "number" ? new Uint8Array([type]) : type;
  const digest = createHash("sha256")
    .update(encoder.encode(`${name}\n`))
    .update(typeBytes)
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** Splits a signed note into its text and signature lines (signatures not checked). */
export function parseNote(note: string): Note {
  // eslint-disable-next-line no-control-regex -- the rule is exactly "no control characters but newline"
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    throw new NoteError("NOTE_MALFORMED", "a note holds no control characters but newline");
  if (!note.endsWith("\n")) throw new NoteError("NOTE_MALFORMED", "a note ends with a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("NOTE_MALFORMED", "no blank line between the text and its signatures");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES)
    throw new NoteError("NOTE_MALFORMED", `more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map(parseSignatureLine);
  return { text, signatures };
}

/** One `— name base64` line, without its newline. */
export function parseSignatureLine(line: string): NoteSignature {
  const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
  if (match === null)
    throw new NoteError("NOTE_MALFORMED", `not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
  const [, name, b64] = match;
  const bytes = decodeBase64(b64!);
  if (!isKeyName(name!) || bytes === undefined || bytes.length < 5) {
    throw new NoteError("NOTE_MALFORMED", `malformed signature line for ${JSON.stringify(name)}`);
  }
  return {
    name: name!,
    keyId: Buffer.from(bytes).readUInt32BE(0),
    signature: bytes.subarray(4),
  };
}

export function formatSignatureLine(sig: NoteSignature): string {
  const bytes = new Uint8Array(4 + sig.signature.length);
  Buffer.from(bytes.buffer).writeUInt32BE(sig.keyId >>> 0, 0);
  bytes.set(sig.signature, 4);
  return `${EM_DASH} ${sig.name} ${encodeBase64(bytes)}\n`;
}

export function formatNote(note: Note): string {
  if (!note.text.endsWith("\n")) throw new NoteError("NOTE_MALFORMED", "a note's text ends with a newline");
  if (note.signatures.length === 0)
    throw new NoteError("NOTE_MALFORMED", "a note carries at least one signature");
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join("")}`;
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return formatNote({
    text,
    signatures: signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(text) })),
  });
}

/**
 * signed-note's verification rules: signatures from unknown keys (name and ID not both
 * matching) are ignored; a known key's signature that fails rejects the whole note; at least
 * one known key must have signed. Returns the note and the verifiers whose signatures held.
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { note: Note; verified: { verifier: NoteVerifier; signature: NoteSignature }[] } {
  const parsed = parseNote(note);
  const verified: { verifier: NoteVerifier; signature: NoteSignature }[] = [];
  for (const signature of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === signature.name && v.keyId === signature.keyId);
    if (verifier === undefined) continue;
    if (!verifier.verify(parsed.text, signature.signature)) {
      throw new NoteError("NOTE_BAD_SIGNATURE", `the signature of ${signature.name} does not verify`);
    }
    if (!verified.some((v) => v.verifier === verifier)) verified.push({ verifier, signature });
  }
  if (verified.length === 0) throw new NoteError("NOTE_UNVERIFIED", "no signature from a known key");
  return { note: parsed, verified };
}

// ---- verifier keys -------------------------------------------------------------------------

export type Vkey = { name: string; keyId: number; type: Uint8Array; publicKey: Uint8Array };

/** `<name>+<hex key ID>+<base64(type ‖ public key)>`. */
export function parseVkey(vkey: string): Vkey {
  // the key's base64 may itself contain '+'; a name may not
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw new NoteError("VKEY_MALFORMED", "a vkey is name+keyid+key");
  const [name, idHex, b64] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  const material = decodeBase64(b64);
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex) || material === undefined || material.length < 2) {
    throw new NoteError("VKEY_MALFORMED", `malformed vkey for ${JSON.stringify(name)}`);
  }
  const typeLength = material[0] === 0xff ? reservedTypeLength(material) : 1;
  const type = material.subarray(0, typeLength);
  const publicKey = material.subarray(typeLength);
  const keyId = Number.parseInt(idHex, 16);
  if (keyIdOf(name, type, publicKey) !== keyId) {
    throw new NoteError("VKEY_MALFORMED", `the key ID of ${name} is not the hash of its key`);
  }
  return { name, keyId, type, publicKey };
}

export function formatVkey(name: string, type: number | Uint8Array, publicKey: Uint8Array): string {
  if (!isKeyName(name)) throw new NoteError("VKEY_MALFORMED", `not a key name: ${JSON.stringify(name)}`);
  const typeBytes = typeof type === "number" ? new Uint8Array([type]) : type;
  const id = keyIdOf(name, typeBytes, publicKey).toString(16).padStart(8, "0");
  return `${name}+${id}+${encodeBase64(new Uint8Array([...typeBytes, ...publicKey]))}`;
}

function reservedTypeLength(material: Uint8Array): number {
  const newline = material.indexOf(0x0a);
  if (newline < 0) throw new NoteError("VKEY_UNSUPPORTED", "a 0xff vkey's identifier ends with a newline");
  return newline + 1;
}

/** A log's signature verifier from its vkey: Ed25519 (0x01) or SM2 (0xff sm2-sm3/gbt32918). */
export function logVerifier(vkey: string | Vkey): NoteVerifier {
  const key = typeof vkey === "string" ? parseVkey(vkey) : vkey;
  if (isType(key.type, SIGNATURE_TYPE_ED25519)) {
    if (key.publicKey.length !== 32)
      throw new NoteError("VKEY_MALFORMED", "an Ed25519 vkey holds a 32-byte key");
    return ed25519Verifier(key.name, key.publicKey);
  }
  if (isType(key.type, SIGNATURE_TYPE_SM2)) return sm2Verifier(key.name, key.publicKey);
  throw new NoteError(
    "VKEY_UNSUPPORTED",
    `signature type 0x${key.type[0]!.toString(16)} is not a log key type here`,
  );
}

export function isType(type: Uint8Array, want: number | Uint8Array): boolean {
  const w = typeof want === "number" ? new Uint8Array([want]) : want;
  return type.length === w.length && type.every((b, i) => b === w[i]);
}

// ---- Ed25519 (type 0x01) -------------------------------------------------------------------

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function ed25519PublicKeyOf(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(ed25519PrivateKey(seed)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length));
}

export function ed25519PrivateKey(seed: Uint8Array) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new RangeError("an Ed25519 seed is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
      format: "der",
      type: "spki",
    });
    return edVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function ed25519Signer(name: string, seed: Uint8Array): NoteSigner & { vkey: string } {
  const key = ed25519PrivateKey(seed);
  const publicKey = ed25519PublicKeyOf(seed);
  return {
    name,
    keyId: keyIdOf(name, SIGNATURE_TYPE_ED25519, publicKey),
    vkey: formatVkey(name, SIGNATURE_TYPE_ED25519, publicKey),
    sign: (text) => new Uint8Array(edSign(null, encoder.encode(text), key)),
  };
}

export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: keyIdOf(name, SIGNATURE_TYPE_ED25519, publicKey),
    verify: (text, signature) => ed25519Verify(publicKey, encoder.encode(text), signature),
  };
}

// ---- SM2 (type 0xff "sm2-sm3/gbt32918\n") ---------------------------------------------------

export function sm2Signer(name: string, privateKey: Uint8Array): NoteSigner & { vkey: string } {
  const publicKey = sm2.publicKeyOf(privateKey);
  return {
    name,
    keyId: keyIdOf(name, SIGNATURE_TYPE_SM2, publicKey),
    vkey: formatVkey(name, SIGNATURE_TYPE_SM2, publicKey),
    sign: (text) => sm2.sign(privateKey, encoder.encode(text), { userId: SM2_DEFAULT_USER_ID }),
  };
}

export function sm2Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (publicKey.length !== SM2_PUBLIC_KEY_BYTES)
    throw new NoteError("VKEY_MALFORMED", "an SM2 vkey holds a 65-byte key");
  return {
    name,
    keyId: keyIdOf(name, SIGNATURE_TYPE_SM2, publicKey),
    verify: (text, signature) => sm2.verify(publicKey, encoder.encode(text), signature, SM2_DEFAULT_USER_ID),
  };
}
