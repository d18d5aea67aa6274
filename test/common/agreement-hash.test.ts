// A joint loan's terms hash (common/lending/agreement.ts loanTermsHash) is encoded directly into
// one buffer rather than through ethers' ABI coder (most of a platform's work per agreement). It
// must be the very hash the ledger's LoanTermsVerifier computes, so it is held to the reference:
// ethers' abi.encode of the compiled LoanTermsVerifier.agreementDigest's own parameter type, on
// fixed and random terms, at the edges of every field; it refuses what ethers refuses; the
// agreement's digest and signature are the EIP-712 ones (ethers' TypedDataEncoder) over it.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { AbiCoder, TypedDataEncoder, Wallet, keccak256 } from "ethers";
import { LoanTermsVerifier } from "../../common/chain/generated/contracts.ts";
import {
  loanAgreementDigest,
  loanAgreementTypedData,
  loanTermsHash,
  signLoanAgreement,
  type LoanTermsForAgreement,
} from "../../common/lending/agreement.ts";

/** The reference: ethers' ABI coder over the LoanTerms type the compiled verifier takes. */
const TERMS_TYPE = LoanTermsVerifier.interface.getFunction("agreementDigest")!.inputs[0]!;
const referenceTermsHash = (terms: LoanTermsForAgreement): string =>
  keccak256(AbiCoder.defaultAbiCoder().encode([TERMS_TYPE], [terms]));

/** The reference agreement digest: EIP-712 through ethers over the reference terms hash. */
function referenceDigest(chainId: bigint, ledger: string, terms: LoanTermsForAgreement): string {
  const { domain, types, value } = loanAgreementTypedData(chainId, ledger, terms);
  return TypedDataEncoder.hash(domain, types, { ...value, termsHash: referenceTermsHash(terms) });
}

const LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
/** A whole number in 0..2^bits-1, the edges often. */
function uint(bits: number): bigint {
  const max = (1n << BigInt(bits)) - 1n;
  const pick = randomBytes(1)[0]! % 4;
  if (pick === 0) return 0n;
  if (pick === 1) return max;
  return BigInt(`0x${randomBytes(8).toString("hex")}`) & max;
}
const count = (max: number) => randomBytes(1)[0]! % (max + 1);

function randomTerms(): LoanTermsForAgreement {
  return {
    originator: Number(uint(32)),
    applicationSerial: hex32(),
    borrowerKey: hex32().toUpperCase().replace("0X", "0x"),
    borrowerRegion: Number(uint(32)),
    branch: Number(uint(32)),
    platform: Number(uint(32)),
    funders: Array.from({ length: 1 + count(1) }, () => ({
      memberId: Number(uint(32)),
      shareBps: Number(uint(16)),
    })),
    principal: uint(64),
    aprBps: Number(uint(16)),
    method: Number(uint(8)),
    startDay: Number(uint(16)),
    schedule: Array.from({ length: 1 + count(59) }, () => ({
      dueDay: Number(uint(16)),
      principal: uint(32),
      interest: String(uint(32)),
    })),
    fees: Array.from({ length: count(120) }, () => ({ installment: Number(uint(8)), amount: uint(32) })),
    contractLeaf: hex32(),
    consentLeaf: hex32(),
    receivingAccount: hex32(),
  };
}

const FIXED: LoanTermsForAgreement = {
  originator: 4,
  applicationSerial: `0x${"11".repeat(32)}`,
  borrowerKey: `0x${"22".repeat(32)}`,
  borrowerRegion: 110105,
  branch: 2,
  platform: 4,
  funders: [
    { memberId: 2, shareBps: 7000 },
    { memberId: 4, shareBps: 3000 },
  ],
  principal: 1_000_000n,
  aprBps: 1500,
  method: 1,
  startDay: 20_500,
  schedule: Array.from({ length: 12 }, (_, i) => ({
    dueDay: 20_530 + 30 * i,
    principal: 80_000n,
    interest: "1200",
  })),
  fees: [
    { installment: 0, amount: 100n },
    { installment: 3, amount: "200" },
  ],
  contractLeaf: `0x${"33".repeat(32)}`,
  consentLeaf: `0x${"44".repeat(32)}`,
  receivingAccount: `0x${"55".repeat(32)}`,
};

describe("loan agreement: the terms hash encoded directly is ethers' abi.encode of the verifier's LoanTerms", function () {
  it("fixed terms, a single funder, no fees", function () {
    expect(loanTermsHash(FIXED)).to.equal(referenceTermsHash(FIXED));
    const alone = { ...FIXED, funders: [{ memberId: 2, shareBps: 10_000 }], platform: 0, fees: [] };
    expect(loanTermsHash(alone)).to.equal(referenceTermsHash(alone));
  });

  it("100 random terms, every field at its edges often", function () {
    for (let i = 0; i < 100; i++) {
      const terms = randomTerms();
      expect(
        loanTermsHash(terms),
        JSON.stringify(terms, (_k, v: unknown) => String(v)),
      ).to.equal(referenceTermsHash(terms));
    }
  });

  it("a value out of its field's range, or a short hash, is refused as ethers refuses it", function () {
    const bad: Array<[string, LoanTermsForAgreement]> = [
      ["originator", { ...FIXED, originator: 2 ** 32 }],
      ["principal", { ...FIXED, principal: 1n << 64n }],
      ["aprBps", { ...FIXED, aprBps: -1 }],
      ["method", { ...FIXED, method: 256 }],
      ["schedule.principal", { ...FIXED, schedule: [{ dueDay: 1, principal: 1n << 32n, interest: 0n }] }],
      ["fees.amount", { ...FIXED, fees: [{ installment: 0, amount: "4294967296" }] }],
      ["funders.shareBps", { ...FIXED, funders: [{ memberId: 2, shareBps: 65_536 }] }],
      ["contractLeaf", { ...FIXED, contractLeaf: `0x${"33".repeat(31)}` }],
    ];
    for (const [field, terms] of bad) {
      expect(() => referenceTermsHash(terms), `ethers, ${field}`).to.throw();
      expect(() => loanTermsHash(terms), field).to.throw(RangeError);
    }
  });

  it("the agreement's digest and signature are EIP-712 over the reference terms hash", async function () {
    const platform = new Wallet(hex32());
    for (const terms of [FIXED, randomTerms()]) {
      const digest = referenceDigest(31337n, LEDGER, terms);
      expect(loanAgreementDigest(31337n, LEDGER, terms)).to.equal(digest);
      expect(await signLoanAgreement(platform, 31337n, LEDGER, terms)).to.equal(
        platform.signingKey.sign(digest).serialized,
      );
    }
  });
});
