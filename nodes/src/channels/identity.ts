// Identity documents, phones, accounts and region codes: the normalization every channel shares,
// so the same person arrives in the same canonical form whichever platform sent them.
import { dateToDay } from "../../../common/lending/dates.ts";

export const ID_TYPES = ["RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT"] as const;
export type IdType = (typeof ID_TYPES)[number];

// GB 11643-1999 check digit: weights 2^(17-i) mod 11, the sum mod 11 indexes this string.
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const RESIDENT_ID_CHECK = "10X98765432";

// GB/T 2260 province-level codes of the mainland: the only regions a branch lends in.
const MAINLAND_PROVINCES: ReadonlySet<number> = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65,
]);
// First two digits of an 18-digit number: the mainland provinces, plus 71 (Taiwan, old IDs),
// 81/82/83 (residence permits of Hong Kong, Macao and Taiwan residents, same format).
const ID_PREFIXES: ReadonlySet<number> = new Set([...MAINLAND_PROVINCES, 71, 81, 82, 83]);

/** The GB 11643 check character ("0"–"9" or "X") of the first 17 digits of a resident ID. */
export function residentIdCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError("residentIdCheckDigit needs exactly 17 digits");
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * RESIDENT_ID_WEIGHTS[i]!;
  return RESIDENT_ID_CHECK[sum % 11]!;
}

/** Upper-case with every space, tab and hyphen removed: the form an ID number is stored in. */
export function compactIdNumber(raw: string): string {
  return raw.replace(/[\s-]/g, "").toUpperCase();
}

/**
 * Why `idNumber` (already compacted) is not a valid number of `idType`, or undefined if it is.
 * The reason never repeats the number (it goes into error messages and logs).
 */
export function idNumberProblem(idType: IdType, idNumber: string): string | undefined {
  switch (idType) {
    case "RESIDENT_ID": {
      if (!/^\d{17}[\dX]$/.test(idNumber)) return "a resident ID is 17 digits and a check digit (0-9 or X)";
      if (!ID_PREFIXES.has(Number(idNumber.slice(0, 2))))
        return "a resident ID starts with a GB/T 2260 province code";
      const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
      try {
        dateToDay(birth);
      } catch {
        return "the birth date in the resident ID (digits 7-14) is not a real date";
      }
      if (residentIdCheckDigit(idNumber.slice(0, 17)) !== idNumber[17]) {
        return "the check digit does not match (GB 11643)";
      }
      return undefined;
    }
    case "PASSPORT":
      return /^[A-Z0-9]{5,17}$/.test(idNumber) ? undefined : "a passport number is 5-17 letters and digits";
    case "HK_MACAO_PERMIT":
      // 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) and 8 or 10 digits.
      return /^[HM](\d{8}|\d{10})$/.test(idNumber)
        ? undefined
        : "a Hong Kong/Macao permit is H or M and 8 or 10 digits";
    case "TAIWAN_PERMIT":
      // 台湾居民来往大陆通行证: 8 digits (10 on older permits).
      return /^(\d{8}|\d{10})$/.test(idNumber) ? undefined : "a Taiwan permit number is 8 or 10 digits";
  }
}

/** A six-digit GB/T 2260 code of a mainland region (the borrower's branch region). */
export function isMainlandRegionCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    code >= 110000 &&
    code <= 659999 &&
    MAINLAND_PROVINCES.has(Math.floor(code / 10000))
  );
}

/**
 * The region a resident ID was issued in (its first six digits), or undefined when the number
 * does not name a mainland region (residence permits of HK/Macao/Taiwan residents: 81/82/83).
 */
export function regionOfResidentId(idNumber: string): number | undefined {
  const code = Number(idNumber.slice(0, 6));
  return isMainlandRegionCode(code) ? code : undefined;
}

/**
 * An 11-digit mainland mobile number with spaces, hyphens, parentheses and a +86/0086/86 prefix
 * removed, or undefined if what is left is not one.
 */
export function normalizeMobile(raw: string): string | undefined {
  let digits = raw.replace(/[\s()-]/g, "");
  if (digits.startsWith("+86")) digits = digits.slice(3);
  else if (digits.startsWith("0086")) digits = digits.slice(4);
  else if (digits.startsWith("86") && digits.length === 13) digits = digits.slice(2);
  return /^1[3-9]\d{9}$/.test(digits) ? digits : undefined;
}

/** A bank account or card number with spaces and hyphens removed: 8–32 digits, or undefined. */
export function normalizeAccount(raw: string): string | undefined {
  const digits = raw.replace(/[\s-]/g, "");
  return /^\d{8,32}$/.test(digits) ? digits : undefined;
}
