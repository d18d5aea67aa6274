// Borrower keys and account hashes (nodes/src/privacy/borrower-key.ts): ID normalization and
// the GB 11643 check character, HMAC vectors computed independently (Python's hmac, pinned
// below, and node:crypto directly), stability and separation per consortium key.
import { expect } from "chai";
import { createHmac, randomBytes } from "node:crypto";
import {
  ID_TYPES,
  accountHashOf,
  borrowerKeyOf,
  normalizeAccount,
  normalizeIdNumber,
  residentIdCheckChar,
  type IdType,
} from "../../../nodes/src/privacy/borrower-key.ts";
import { PrivacyError, type PrivacyErrorCode } from "../../../nodes/src/errors.ts";
import { codeThrown } from "../../support/expect-error.ts";

const KEY = new Uint8Array(Array.from({ length: 32 }, (_, i) => i)); // 00 01 … 1f

const codeOf = (fn: () => unknown): PrivacyErrorCode | undefined => codeThrown(fn, PrivacyError);

/** The check character from the standard's definition (weights 2^(18-i) mod 11), not the module's table. */
function referenceCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return "10X98765432"[sum % 11]!;
}

describe("nodes/privacy borrower-key", () => {
  describe("normalizeIdNumber: resident-id", () => {
    const valid: [string, string][] = [
      ["11010519491231002X", "11010519491231002X"], // GB 11643 sample
      ["440524188001010014", "440524188001010014"], // GB 11643 sample
      ["11010519491231002x", "11010519491231002X"], // lower-case x
      ["  110101199003071233\n", "110101199003071233"], // surrounding whitespace
      ["110101 19900307 1233", "110101199003071233"], // grouped as printed
      ["１１０１０１１９９００３０７１２３３", "110101199003071233"], // full-width digits (IME)
      ["310115200002294567", "310115200002294567"], // 29 February of a leap year
      ["32010619850715088X", "32010619850715088X"],
    ];
    for (const [raw, expected] of valid) {
      it(`accepts ${JSON.stringify(raw)}`, () => {
        expect(normalizeIdNumber("resident-id", raw)).to.equal(expected);
      });
    }

    const invalid: [string, string][] = [
      ["110101199003071234", "wrong check digit (…1233 is right)"],
      ["11010519491231002Y", "check character neither digit nor X"],
      ["110105194912310021", "X replaced by a digit"],
      ["110101199003171233", "one digit of the date changed (check no longer matches)"],
      ["11010119900307123", "17 characters"],
      ["1101011990030712333", "19 characters"],
      ["110101900307123", "15-digit first-generation number"],
      ["310115190002294560", "29 February 1900 (not a leap year)"],
      ["110101199013071230", "month 13"],
      ["110101179912311234", "year before 1800"],
      ["", "empty"],
      ["ABCDEFGHIJKLMNOPQR", "letters"],
    ];
    for (const [raw, why] of invalid) {
      it(`refuses ${JSON.stringify(raw)} (${why}) with NODE_ERR_BAD_ID_NUMBER`, () => {
        expect(codeOf(() => normalizeIdNumber("resident-id", raw))).to.equal("NODE_ERR_BAD_ID_NUMBER");
      });
    }

    it("the check character matches the standard's definition for 2,000 random bodies", () => {
      for (let n = 0; n < 2000; n++) {
        const body = Array.from(randomBytes(17), (b) => String(b % 10)).join("");
        expect(residentIdCheckChar(body)).to.equal(referenceCheck(body));
      }
    });

    it("every single-digit change of a valid number is refused (the check digit catches it)", () => {
      const id = "440524188001010014";
      for (let i = 0; i < 18; i++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === id[i]) continue;
          const changed = id.slice(0, i) + d + id.slice(i + 1);
          // a change inside the date can also make the date impossible: refused either way
          expect(
            codeOf(() => normalizeIdNumber("resident-id", changed)),
            changed,
          ).to.equal("NODE_ERR_BAD_ID_NUMBER");
        }
      }
    });
  });

  describe("normalizeIdNumber: other types", () => {
    it("trims, removes inner whitespace and upper-cases", () => {
      expect(normalizeIdNumber("passport", "  e1234 5678 ")).to.equal("E12345678");
      expect(normalizeIdNumber("hk-macau-permit", "h12345678")).to.equal("H12345678");
      expect(normalizeIdNumber("unified-social-credit-code", "91350100m000100y43")).to.equal(
        "91350100M000100Y43",
      );
      expect(normalizeIdNumber("passport", "Ｅ１２３４５６７８")).to.equal("E12345678");
    });

    it("refuses empty, over-long and non-ASCII numbers", () => {
      expect(codeOf(() => normalizeIdNumber("passport", "   "))).to.equal("NODE_ERR_BAD_ID_NUMBER");
      expect(codeOf(() => normalizeIdNumber("passport", "A".repeat(65)))).to.equal("NODE_ERR_BAD_ID_NUMBER");
      expect(codeOf(() => normalizeIdNumber("passport", "护照123"))).to.equal("NODE_ERR_BAD_ID_NUMBER");
    });

    it("refuses an unknown idType with NODE_ERR_UNKNOWN_ID_TYPE", () => {
      expect(codeOf(() => normalizeIdNumber("driving-licence" as IdType, "123"))).to.equal(
        "NODE_ERR_UNKNOWN_ID_TYPE",
      );
      expect(codeOf(() => borrowerKeyOf(KEY, "Resident-ID" as IdType, "11010519491231002X"))).to.equal(
        "NODE_ERR_UNKNOWN_ID_TYPE",
      );
    });
  });

  describe("borrowerKeyOf", () => {
    it("matches pinned vectors (computed with Python's hmac)", () => {
      expect(borrowerKeyOf(KEY, "resident-id", "11010519491231002X")).to.equal(
        "0x1455849fad4c24e515048363bdf5b44bd2ec699a7a56164457c68a46ce667fe6",
      );
      expect(borrowerKeyOf(KEY, "passport", "E12345678")).to.equal(
        "0x482e1ec51a987daaed281610bd87ab85175661905898ee0510926ea0e0d5e0dc",
      );
    });

    it("is HMAC-SHA256(key, idType ':' normalized) and the same for every spelling of one number", () => {
      const expected = `0x${createHmac("sha256", KEY).update("resident-id:11010519491231002X").digest("hex")}`;
      for (const raw of [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
      ]) {
        expect(borrowerKeyOf(KEY, "resident-id", raw)).to.equal(expected);
      }
    });

    it("differs per consortium key, per idType and per number", () => {
      const other = new Uint8Array(KEY);
      other[31]! ^= 1;
      const a = borrowerKeyOf(KEY, "passport", "E12345678");
      expect(borrowerKeyOf(other, "passport", "E12345678")).to.not.equal(a);
      expect(borrowerKeyOf(KEY, "hk-macau-permit", "E12345678")).to.not.equal(a);
      expect(borrowerKeyOf(KEY, "passport", "E12345679")).to.not.equal(a);
      const keys = new Set(
        ID_TYPES.map((t) => borrowerKeyOf(KEY, t, t === "resident-id" ? "11010519491231002X" : "X1")),
      );
      expect(keys.size).to.equal(ID_TYPES.length);
    });

    it("is 0x and 64 lower-case hex digits", () => {
      expect(borrowerKeyOf(randomBytes(32), "passport", "G1")).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("refuses a consortium key that is not 32 bytes", () => {
      expect(codeOf(() => borrowerKeyOf(new Uint8Array(31), "passport", "G1"))).to.equal("NODE_ERR_BAD_KEY");
      expect(
        codeOf(() => borrowerKeyOf("00".repeat(32) as unknown as Uint8Array, "passport", "G1")),
      ).to.equal("NODE_ERR_BAD_KEY");
    });

    it("refuses an invalid number rather than hashing it", () => {
      expect(codeOf(() => borrowerKeyOf(KEY, "resident-id", "110101199003071234"))).to.equal(
        "NODE_ERR_BAD_ID_NUMBER",
      );
    });
  });

  describe("accountHashOf", () => {
    const SALT = new Uint8Array(16).fill(0xab);

    it("matches a pinned vector: SHA-256(salt ‖ digits)", () => {
      expect(accountHashOf(SALT, "6222021234567890123")).to.equal(
        "0xa887d1db54e23aba70c12aa205e3f08bfd23c4e5de797113a493bb78f0c7a14d",
      );
    });

    it("hashes only the digits: spaces, hyphens and full-width digits give the same hash", () => {
      const h = accountHashOf(SALT, "6222021234567890123");
      for (const raw of [
        "6222 0212 3456 7890 123",
        "6222-0212-3456-7890-123",
        " ６２２２０２１２３４５６７８９０１２３ ",
      ]) {
        expect(accountHashOf(SALT, raw)).to.equal(h);
      }
      expect(normalizeAccount("6222 0212 3456 7890 123")).to.equal("6222021234567890123");
    });

    it("differs per salt", () => {
      const other = new Uint8Array(16).fill(0xac);
      expect(accountHashOf(other, "6222021234567890123")).to.not.equal(
        accountHashOf(SALT, "6222021234567890123"),
      );
    });

    it("refuses letters, too few or too many digits, and a short salt", () => {
      expect(codeOf(() => accountHashOf(SALT, "6222O21234567890123"))).to.equal("NODE_ERR_BAD_ACCOUNT"); // letter O
      expect(codeOf(() => accountHashOf(SALT, "1234567"))).to.equal("NODE_ERR_BAD_ACCOUNT");
      expect(codeOf(() => accountHashOf(SALT, "1".repeat(33)))).to.equal("NODE_ERR_BAD_ACCOUNT");
      expect(codeOf(() => accountHashOf(new Uint8Array(15), "6222021234567890123"))).to.equal(
        "NODE_ERR_BAD_KEY",
      );
    });
  });
});
