// Encryption at rest: AES-256-GCM with a random 96-bit IV per message, and one data key per
// purpose derived from the node's master key with HKDF-SHA256. The master key lives in a file
// readable by the node's user only; it is never stored in LevelDB, never logged, never sent.
//
//   sealed = version (1 byte, 0x01) ‖ IV (12 bytes) ‖ ciphertext (|plaintext| bytes) ‖ tag (16)
//   GCM additional data = version ‖ aad
//
// The aad binds a blob to its place (a document id): a blob copied under another id does not
// open. The version byte is authenticated too, so it cannot be flipped to a future format.
// Random IVs: NIST SP 800-38D caps one key at 2^32 messages; a node stores far fewer documents.
//
// The 国密 option (seal(…, "sm4")), for institutions bound to national cryptography: SM4-CTR and
// HMAC-SM3, encrypt-then-MAC, both keys derived from the same data key (common/crypto/sm4.ts):
//
//   sealed = version (0x02) ‖ counter (16) ‖ ciphertext ‖ HMAC-SM3(version ‖ |aad| (8) ‖ aad ‖ counter ‖ ciphertext) (32)
//
// open() reads the version byte, so a store holds both kinds and every blob opens whichever is sealing now.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { open as openFile } from "node:fs/promises";
import { sm3Tag, sm4Ctr, sm4EtmKeys, tagsEqual } from "../../../common/crypto/sm4.ts";
import { PrivacyError } from "../errors.ts";

export const SEAL_VERSION = 1;
export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes a sealed blob adds to its plaintext. */
export const SEAL_OVERHEAD = 1 + IV_BYTES + TAG_BYTES;
export const SM4_SEAL_VERSION = 2;
/** Bytes an SM4 sealed blob adds: version, 16-byte counter, 32-byte HMAC-SM3 tag. */
export const SM4_SEAL_OVERHEAD = 1 + 16 + 32;
/** The store's cipher: AES-256-GCM, or SM4-CTR + HMAC-SM3 (国密). */
export type SealCipher = "aes-256-gcm" | "sm4";

// HKDF salt: fixed and public (RFC 5869 §3.1 allows it); it separates this scheme's keys from
// any other use of the same master key.
const HKDF_SALT = new TextEncoder().encode("JointLedger/node/v1");
const PURPOSE = /^[a-z][a-z0-9-]{0,63}$/;
const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

export type Aad = Uint8Array | string;

/** A fresh random 32-byte key. */
export function generateKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/**
 * The data key for one purpose ("documents", "applications", …): HKDF-SHA256 with
 * ikm = master key, salt = "JointLedger/node/v1", info = purpose, 32 bytes. Different purposes
 * give independent keys, so a leak of one data key exposes one kind of data.
 */
export function deriveKey(master: Uint8Array, purpose: string): Uint8Array {
  checkKey(master, "master key");
  if (typeof purpose !== "string" || !PURPOSE.test(purpose)) {
    throw new PrivacyError(
      "NODE_ERR_BAD_KEY",
      "a key purpose is 1–64 characters of a-z, 0-9 and -, starting with a letter",
    );
  }
  return new Uint8Array(hkdfSync("sha256", master, HKDF_SALT, new TextEncoder().encode(purpose), KEY_BYTES));
}

/** Encrypts and authenticates `plaintext` under `key`, bound to `aad`. */
export function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Aad,
  algorithm: SealCipher = "aes-256-gcm",
): Uint8Array {
  checkKey(key, "data key");
  if (algorithm === "sm4") return sealSm4(key, plaintext, aad);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const out = new Uint8Array(SEAL_OVERHEAD + body.length);
  out[0] = SEAL_VERSION;
  out.set(iv, 1);
  out.set(body, 1 + IV_BYTES);
  out.set(cipher.getAuthTag(), 1 + IV_BYTES + body.length);
  return out;
}

/**
 * The plaintext of a sealed blob. Any change to any byte, a truncation, another key or another
 * aad throws NODE_ERR_DECRYPT, and no plaintext is returned.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Aad): Uint8Array {
  checkKey(key, "data key");
  if (sealed instanceof Uint8Array && sealed[0] === SM4_SEAL_VERSION) return openSm4(key, sealed, aad);
  if (!(sealed instanceof Uint8Array) || sealed.length < SEAL_OVERHEAD) {
    throw new PrivacyError("NODE_ERR_DECRYPT", `a sealed blob is at least ${SEAL_OVERHEAD} bytes`);
  }
  if (sealed[0] !== SEAL_VERSION)
    throw new PrivacyError("NODE_ERR_DECRYPT", `unknown sealed-blob version ${sealed[0]}`);
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const body = sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(aad));
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    throw new PrivacyError(
      "NODE_ERR_DECRYPT",
      "the sealed blob does not authenticate (tampered, truncated, or another key or aad)",
    );
  }
}

/**
 * Reads the node's master key: 64 hex digits (optionally 0x-prefixed, surrounding whitespace
 * ignored) or exactly 32 raw bytes. Refuses a file that group or others may read or write
 * (mode must be 0600 or 0400; checked on the open descriptor, so the file cannot be swapped
 * between the check and the read). POSIX only: on Windows the mode bits mean nothing and the
 * check is skipped; protect the file with an ACL there.
 */
export async function loadMasterKey(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await openFile(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new PrivacyError(
        "NODE_ERR_KEY_FILE_MISSING",
        `no master key file at ${path}; create one (see nodes/src/privacy/README.md)`,
      );
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PrivacyError("NODE_ERR_BAD_KEY", `${path} is not a regular file`);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      throw new PrivacyError(
        "NODE_ERR_KEY_FILE_PERMISSIONS",
        `${path} has mode ${(info.mode & 0o777).toString(8).padStart(3, "0")}; run chmod 600 on it (no group or other access)`,
      );
    }
    const content = await handle.readFile();
    const text = content.toString("latin1").trim();
    if (HEX_KEY.test(text)) return new Uint8Array(Buffer.from(text.replace(/^0x/, ""), "hex"));
    if (content.length === KEY_BYTES) return new Uint8Array(content);
    throw new PrivacyError("NODE_ERR_BAD_KEY", `${path} must hold 64 hex digits or 32 raw bytes`);
  } finally {
    await handle.close();
  }
}

/**
 * Creates a master key file (mode 0600, 64 hex digits and a newline, fsynced) and returns the
 * key. Never overwrites: a lost key makes every sealed blob unreadable, so an existing file is
 * an error (NODE_ERR_KEY_FILE_EXISTS), not something to replace.
 */
export async function createMasterKeyFile(path: string): Promise<Uint8Array> {
  const key = generateKey();
  let handle;
  try {
    handle = await openFile(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new PrivacyError(
        "NODE_ERR_KEY_FILE_EXISTS",
        `${path} already exists; a master key is never overwritten`,
      );
    }
    throw error;
  }
  try {
    await handle.writeFile(`${Buffer.from(key).toString("hex")}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}

function sealSm4(key: Uint8Array, plaintext: Uint8Array, aad: Aad): Uint8Array {
  const { encKey, macKey } = sm4EtmKeys(key);
  const counter = new Uint8Array(randomBytes(16));
  const body = sm4Ctr(encKey, counter, plaintext);
  const out = new Uint8Array(SM4_SEAL_OVERHEAD + body.length);
  out[0] = SM4_SEAL_VERSION;
  out.set(counter, 1);
  out.set(body, 17);
  out.set(sm4Mac(macKey, counter, body, aad), 17 + body.length);
  return out;
}

function openSm4(key: Uint8Array, sealed: Uint8Array, aad: Aad): Uint8Array {
  if (sealed.length < SM4_SEAL_OVERHEAD) {
    throw new PrivacyError("NODE_ERR_DECRYPT", `an SM4 sealed blob is at least ${SM4_SEAL_OVERHEAD} bytes`);
  }
  const { encKey, macKey } = sm4EtmKeys(key);
  const counter = sealed.subarray(1, 17);
  const body = sealed.subarray(17, sealed.length - 32);
  // the tag is checked before a byte is decrypted (encrypt-then-MAC)
  if (!tagsEqual(sm4Mac(macKey, counter, body, aad), sealed.subarray(sealed.length - 32))) {
    throw new PrivacyError(
      "NODE_ERR_DECRYPT",
      "the sealed blob does not authenticate (tampered, truncated, or another key or aad)",
    );
  }
  return sm4Ctr(encKey, counter, body);
}

/** HMAC-SM3 over version ‖ |aad| (8 bytes) ‖ aad ‖ counter ‖ ciphertext: the length keeps aad and counter apart. */
function sm4Mac(macKey: Uint8Array, counter: Uint8Array, body: Uint8Array, aad: Aad): Uint8Array {
  const aadBytes = typeof aad === "string" ? new TextEncoder().encode(aad) : aad;
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(aadBytes.length));
  return sm3Tag(macKey, new Uint8Array([SM4_SEAL_VERSION]), length, aadBytes, counter, body);
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new PrivacyError("NODE_ERR_BAD_KEY", `the ${what} must be ${KEY_BYTES} bytes`);
  }
}

function additionalData(aad: Aad): Uint8Array {
  const bytes = typeof aad === "string" ? new TextEncoder().encode(aad) : aad;
  if (!(bytes instanceof Uint8Array)) throw new TypeError("aad must be bytes or a string");
  const out = new Uint8Array(1 + bytes.length);
  out[0] = SEAL_VERSION;
  out.set(bytes, 1);
  return out;
}
