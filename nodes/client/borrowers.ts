// Synthetic borrowers for the demo, the benchmark and the tests (never real people): a resident ID of the given region with a
// valid GB 11643 check digit, a mobile number, a Luhn-valid bank card, a common name; fresh for
// every run, so repeated runs on one chain never hit one borrower's consortium-wide limit. Each
// platform's application in its own channel format is in applications.ts (re-exported here).
import { createHash, randomInt } from "node:crypto";
import { residentIdCheckDigit } from "../src/channels/identity.ts";
import { luhnValid } from "../src/privacy/mask.ts";
import type { Borrower } from "./applications.ts";

export type { Borrower } from "./applications.ts";
export { huinongApplication, jiedaibaoApplication, rongyitongApplication } from "./applications.ts";

const SURNAMES = [
  "王",
  "李",
  "张",
  "刘",
  "陈",
  "杨",
  "赵",
  "黄",
  "周",
  "吴",
  "徐",
  "孙",
  "胡",
  "朱",
  "高",
  "林",
];
const GIVEN = [
  "建华",
  "秀英",
  "志强",
  "海燕",
  "国平",
  "丽娟",
  "春梅",
  "文彬",
  "晓东",
  "玉兰",
  "德明",
  "桂芳",
];

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join("");

export function newBorrower(regionCode: number): Borrower {
  const birth = new Date(Date.UTC(1965 + randomInt(30), randomInt(12), 1 + randomInt(28)));
  const first17 = `${regionCode}${birth.toISOString().slice(0, 10).replaceAll("-", "")}${digits(3)}`;
  const card = `622202${digits(12)}`;
  return {
    name: `${SURNAMES[randomInt(SURNAMES.length)]}${GIVEN[randomInt(GIVEN.length)]}`,
    idNumber: `${first17}${residentIdCheckDigit(first17)}`,
    phone: `13${randomInt(10)}${digits(8)}`,
    bankAccount: `${card}${luhnCheckDigit(card)}`,
    regionCode,
  };
}

/** The digits and name of a borrower that must never show up on chain or in a log. */
export function personalData(b: Borrower): string[] {
  return [b.name, b.idNumber, b.phone, b.bankAccount];
}

/** The masked account a core-banking export shows. */
export function maskedAccount(b: Borrower): string {
  return `**** **** **** ${b.bankAccount.slice(-4)}`;
}

/** The digit that makes `payload` and it pass the Luhn check (a bank card's last digit). */
export function luhnCheckDigit(payload: string): string {
  return [..."0123456789"].find((digit) => luhnValid(payload + digit))!;
}

/** The borrower's signed authorization letter (授权书): stand-in bytes and their SHA-256. */
export function authorizationLetter(b: Borrower, applicationId: string): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(
    `征信查询授权书 / credit-query authorization\napplication ${applicationId}\nsigned by the borrower (demo document)\n`,
    "utf8",
  );
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * POST /v1/consents for the borrower's signed `letter`: signed at `signedAt`, valid for a year,
 * for `scope` (LOAN_APPROVAL, and POST_LOAN_MANAGEMENT for servicing).
 */
export function consentRequest(
  applicationId: string,
  letter: { bytes: Buffer },
  signedAt: Date,
  scope: readonly string[],
) {
  const validUntil = new Date(signedAt.getTime() + 365 * 86_400_000);
  return {
    applicationId,
    letterBase64: letter.bytes.toString("base64"),
    signedAt: signedAt.toISOString(),
    validUntil: validUntil.toISOString(),
    scope: [...scope],
  };
}
