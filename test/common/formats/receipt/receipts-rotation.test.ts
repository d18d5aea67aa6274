// Rotating the anchor's SM2 receipt key: the governed member directory names the current key with
// the time it came into force and each key rotated out with the period it was in force, and a
// receipt is judged by the key in force at its receivedAt. A receipt the old key signed before the
// rotation still verifies; one the old key signed dated after it fails RECEIPT_SM2_KEY_NOT_GOVERNED
// with the period; the new key's receipts pass after and fail before; a directory whose periods
// overlap or run backwards is refused. Times are relative to the clock (no fixed dates).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Wallet } from "ethers";
import { fromHex, toHex } from "../../../../common/bytes.ts";
import * as memberDirectory from "../../../../common/consortium/member-directory.ts";
import { sm2 } from "../../../../common/crypto/sm2.ts";
import * as receipts from "../../../../common/formats/receipt/receipts.ts";

const operator = new Wallet(`0x${"5b".repeat(32)}`);
const OLD_KEY = fromHex(`0x${"3d".repeat(32)}`);
const NEW_KEY = fromHex(`0x${"4e".repeat(32)}`);
const OLD_PUBLIC = toHex(sm2.publicKeyOf(OLD_KEY));
const NEW_PUBLIC = toHex(sm2.publicKeyOf(NEW_KEY));
const domain = receipts.receiptDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const UNION = 1;

const now = Math.floor(Date.now() / 1000);
const ROTATED_AT = now - 3_600;

/** The union's entry after the rotation: the new key from ROTATED_AT, the old one until then. */
const rotated = (
  entry: Partial<memberDirectory.MemberDirectory["members"][number]> = {},
): memberDirectory.MemberDirectory => ({
  version: 1,
  testData: true,
  members: [
    {
      memberId: UNION,
      nameZh: "示例省农村信用社联合社",
      nameEn: "Example Provincial Rural Credit Union",
      uscc: "93330000MA00000014",
      receiptSm2PublicKey: NEW_PUBLIC,
      receiptSm2KeyValidFrom: receipts.isoSeconds(ROTATED_AT),
      previousReceiptSm2Keys: [{ publicKey: OLD_PUBLIC, validUntil: receipts.isoSeconds(ROTATED_AT) }],
      ...entry,
    },
  ],
});

async function receiptAt(receivedAt: number, sm2PrivateKey: Uint8Array): Promise<receipts.Receipt> {
  const signed = await receipts.signReceiptBatch(operator, domain, {
    logId: `0x${"ac".repeat(32)}`,
    firstSequence: receivedAt,
    leafHashes: [new Uint8Array(createHash("sha256").update(`rotation ${receivedAt}`).digest())],
    receivedAt,
    maxMergeDelaySeconds: 60,
    sm2PrivateKey,
  });
  return signed.receipts[0]!;
}

describe("SM2 receipt key rotation through the governed member directory", function () {
  const directory = memberDirectory.MemberDirectorySchema.parse(
    JSON.parse(new TextDecoder().decode(memberDirectory.directoryBytes(rotated()))),
  );
  const keys = memberDirectory.receiptSm2KeysOf(directory, UNION);

  it("the directory gives every key with its period, the current one last", function () {
    expect(keys).to.deep.equal([
      { publicKey: OLD_PUBLIC, validUntil: ROTATED_AT },
      { publicKey: NEW_PUBLIC, validFrom: ROTATED_AT },
    ]);
    expect(memberDirectory.receiptSm2KeysOf(directory, 99)).to.deep.equal([]);
  });

  it("the old key's receipt dated before the rotation passes; dated at or after it, it fails with the period", async function () {
    const before = await receiptAt(ROTATED_AT - 60, OLD_KEY);
    expect(receipts.verifyGovernedReceipt(domain, before, operator.address, keys)).to.deep.equal({
      ok: true,
    });

    for (const at of [ROTATED_AT, ROTATED_AT + 600]) {
      const after = await receiptAt(at, OLD_KEY);
      const refused = receipts.verifyGovernedReceipt(domain, after, operator.address, keys);
      expect(refused.ok === false && refused.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");
      expect(refused.ok === false && refused.reason).to.equal(
        `SM2-signed by ${OLD_PUBLIC}, a governed SM2 receipt key in force from the start until ${receipts.isoSeconds(ROTATED_AT)}, not at the receipt's receivedAt ${receipts.isoSeconds(at)}`,
      );
    }
    // the current key alone, as a verifier that ignores the periods would hold it, refuses the old receipt
    const onlyCurrent = receipts.verifyGovernedReceipt(domain, before, operator.address, NEW_PUBLIC);
    expect(onlyCurrent.ok === false && onlyCurrent.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");
  });

  it("the new key's receipt passes from the rotation on and fails before it; a stripped one fails", async function () {
    const fresh = await receiptAt(ROTATED_AT + 60, NEW_KEY);
    expect(receipts.verifyGovernedReceipt(domain, fresh, operator.address, keys)).to.deep.equal({ ok: true });
    const early = receipts.verifyGovernedReceipt(
      domain,
      await receiptAt(ROTATED_AT - 60, NEW_KEY),
      operator.address,
      keys,
    );
    expect(early.ok === false && early.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");
    expect(early.ok === false && early.reason).to.contain(
      `in force from ${receipts.isoSeconds(ROTATED_AT)} until now`,
    );

    const { sm2: _dropped, ...unsigned } = fresh.batch;
    const stripped = receipts.verifyGovernedReceipt(
      domain,
      { ...fresh, batch: unsigned },
      operator.address,
      keys,
    );
    expect(stripped.ok === false && stripped.code).to.equal("RECEIPT_BAD_SIGNATURE");
  });

  it("refuses a directory whose key periods overlap, run backwards or lack the rotation time", function () {
    const problems = (entry: Partial<memberDirectory.MemberDirectory["members"][number]>) => {
      const parsed = memberDirectory.MemberDirectorySchema.safeParse(rotated(entry));
      return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
    };
    expect(problems({})).to.deep.equal([]);
    // the old key still in force after the new one came in: two keys at once
    expect(
      problems({
        previousReceiptSm2Keys: [{ publicKey: OLD_PUBLIC, validUntil: receipts.isoSeconds(ROTATED_AT + 1) }],
      }),
    ).to.have.length(1);
    // the current key without the time it came into force overlaps every key before it
    expect(problems({ receiptSm2KeyValidFrom: undefined })[0]).to.match(/overlap/);
    expect(
      problems({
        previousReceiptSm2Keys: [
          {
            publicKey: OLD_PUBLIC,
            validFrom: receipts.isoSeconds(ROTATED_AT - 10),
            validUntil: receipts.isoSeconds(ROTATED_AT - 20),
          },
        ],
      })[0],
    ).to.match(/ends \(validUntil\) at or before it begins/);
    expect(
      problems({ receiptSm2KeyValidFrom: receipts.isoSeconds(ROTATED_AT).replace("Z", ".5Z") }),
    ).to.deep.equal(["Invalid ISO datetime"]);
  });
});
