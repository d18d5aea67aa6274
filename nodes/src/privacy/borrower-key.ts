// Pseudonymous on-chain references to people and accounts. Every member must derive the same
// value from the same person, so the normalization and the message layout below are part of the
// consortium's format (README.md): change them only with a new key version.
//
//   borrowerKey = HMAC-SHA256(consortium key, utf8(idType ‖ ":" ‖ normalized ID number))
//   accountHash = SHA-256(salt ‖ utf8(account digits))
//
// HMAC with a consortium-held key, not a plain hash: ID numbers have ~40 bits of entropy
// (region, birth date, sequence) and a plain hash on chain would be reversed by enumeration.
import { createHash, createHmac } from "node:crypto";
import { toHex } from "../../../common/bytes.ts";
import { PrivacyError } from "../errors.ts";

/**
 * Identity document types, as they enter the HMAC message. resident-id is the 18-character
 * number of GB 11643 (居民身份证, also the residence permits of Hong Kong, Macau and Taiwan
 * residents, 居住证, which use the same format); the others are taken as printed.
 */
export const ID_TYPES = [
  "resident-id",
  "passport",
  "hk-macau-permit",
  "taiwan-permit",
  "foreign-permanent-residence",
  "unified-social-credit-code",
] as const;

export type IdType = (typeof ID_TYPES)[number];

export const CONSORTIUM_KEY_BYTES = 32;
export const MIN_ACCOUNT_SALT_BYTES = 16;

// GB 11643-1999 §8.2: weight of position i (1-based from the left) is 2^(18-i) mod 11, and the
// check character is CHECK_CHARS[Σ aᵢ·wᵢ mod 11].
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = "10X98765432";

export function isIdType(value: unknown): value is IdType {
  return typeof value === "string" && (ID_TYPES as readonly string[]).includes(value);
}

/** The GB 11643 check character of the first 17 digits. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17))
    throw new PrivacyError("NODE_ERR_BAD_ID_NUMBER", "a resident ID number starts with 17 digits");
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/**
 * The one form of an ID number that every member hashes. All types: Unicode NFKC (full-width
 * digits and letters from Chinese input methods become ASCII), every whitespace removed,
 * upper case. resident-id: then exactly 17 digits and a check character (digit or X) that
 * matches GB 11643, with a real birth date (YYYYMMDD at positions 7–14; year ≥ 1800, since
 * the standard's own sample 440524188001010014 is born in 1880); the first-generation 15-digit
 * numbers (invalid since 2013) are refused. Other types: 1–64 printable ASCII characters.
 */
export function normalizeIdNumber(idType: IdType, raw: string): string {
  if (!isIdType(idType))
    throw new PrivacyError("NODE_ERR_UNKNOWN_ID_TYPE", `idType must be one of ${ID_TYPES.join(", ")}`);
  if (typeof raw !== "string")
    throw new PrivacyError("NODE_ERR_BAD_ID_NUMBER", "the ID number must be a string");
  const id = raw.normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  if (idType !== "resident-id") {
    if (!/^[\x21-\x7E]{1,64}$/.test(id)) {
      throw new PrivacyError(
        "NODE_ERR_BAD_ID_NUMBER",
        `a ${idType} number is 1 to 64 printable ASCII characters`,
      );
    }
    return id;
  }
  if (/^\d{15}$/.test(id)) {
    throw new PrivacyError(
      "NODE_ERR_BAD_ID_NUMBER",
      "15-digit first-generation resident ID numbers are no longer valid; give the 18-character number",
    );
  }
  if (!/^\d{17}[\dX]$/.test(id)) {
    throw new PrivacyError(
      "NODE_ERR_BAD_ID_NUMBER",
      "a resident ID number is 17 digits followed by a digit or X",
    );
  }
  if (!isCalendarDate(id.slice(6, 14))) {
    throw new PrivacyError(
      "NODE_ERR_BAD_ID_NUMBER",
      "the birth date (characters 7–14, YYYYMMDD) of the resident ID number is not a real date",
    );
  }
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]) {
    throw new PrivacyError(
      "NODE_ERR_BAD_ID_NUMBER",
      "the resident ID number's check character (GB 11643) does not match; look for a mistyped digit",
    );
  }
  return id;
}

/** 0x-prefixed 32-byte HMAC-SHA256(consortiumKey, idType ":" normalized ID number). */
export function borrowerKeyOf(consortiumKey: Uint8Array, idType: IdType, idNumber: string): string {
  if (!(consortiumKey instanceof Uint8Array) || consortiumKey.length !== CONSORTIUM_KEY_BYTES) {
    throw new PrivacyError("NODE_ERR_BAD_KEY", `the consortium key must be ${CONSORTIUM_KEY_BYTES} bytes`);
  }
  const normalized = normalizeIdNumber(idType, idNumber);
  return toHex(createHmac("sha256", consortiumKey).update(`${idType}:${normalized}`, "utf8").digest());
}

/**
 * A bank account's digits: NFKC, then spaces and hyphens removed; anything else that is not a
 * digit is refused rather than dropped (two different typos must not hash alike). 8–32 digits.
 */
export function normalizeAccount(account: string): string {
  if (typeof account !== "string")
    throw new PrivacyError("NODE_ERR_BAD_ACCOUNT", "the account number must be a string");
  const digits = account.normalize("NFKC").replace(/[\s-]+/g, "");
  if (!/^\d{8,32}$/.test(digits)) {
    throw new PrivacyError(
      "NODE_ERR_BAD_ACCOUNT",
      "an account number is 8 to 32 digits (spaces and hyphens allowed between them)",
    );
  }
  return digits;
}

/** 0x-prefixed SHA-256(salt ‖ account digits): the whitelist entry of a receiving account. */
export function accountHashOf(salt: Uint8Array, account: string): string {
  if (!(salt instanceof Uint8Array) || salt.length < MIN_ACCOUNT_SALT_BYTES) {
    throw new PrivacyError(
      "NODE_ERR_BAD_KEY",
      `the account salt must be at least ${MIN_ACCOUNT_SALT_BYTES} bytes`,
    );
  }
  return toHex(createHash("sha256").update(salt).update(normalizeAccount(account), "utf8").digest());
}

function isCalendarDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  // day 0 of the next month is the last day of this one (UTC, so no time-zone shift)
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
