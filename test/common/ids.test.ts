// The ids the contracts derive (common/lending/ids.ts: loanIdOf, caseIdOf, evidenceChainStart,
// extendEvidenceChain) are written straight into a buffer, not through ethers' ABI coder. Each
// must be keccak256 of exactly ethers' abi.encode of the same values — on random values, at the
// edges of every integer field, hex in either case — and refuse what ethers refuses.
import { expect } from "chai";
import { randomBytes, randomInt } from "node:crypto";
import { AbiCoder, keccak256 } from "ethers";
import { caseIdOf, evidenceChainStart, extendEvidenceChain, loanIdOf } from "../../common/lending/ids.ts";

const abi = AbiCoder.defaultAbiCoder();
const ref = (types: string[], values: unknown[]) => keccak256(abi.encode(types, values));
const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
/** Mixed case: the same 32 bytes ethers reads. */
const shout = (hex: string) => `0x${hex.slice(2).toUpperCase()}`;

describe("common/lending/ids: the contracts' ids without ethers' ABI coder", () => {
  it("loanIdOf is keccak256(abi.encode(tag, uint32, bytes32)) for random and edge values", () => {
    const originators = [
      0,
      1,
      4,
      0xffff,
      0xffffffff,
      ...Array.from({ length: 50 }, () => randomInt(0, 2 ** 32)),
    ];
    for (const originator of originators) {
      const serial = hex32();
      const expected = ref(["string", "uint32", "bytes32"], ["JointLedger.loan.v1", originator, serial]);
      expect(loanIdOf(originator, serial)).to.equal(expected);
      expect(loanIdOf(originator, shout(serial))).to.equal(expected);
    }
  });

  it("caseIdOf is keccak256(abi.encode(tag, bytes32, uint256)), numbers and bigints up to 2^256 − 1", () => {
    const times: Array<number | bigint> = [
      0,
      1,
      1_780_000_000,
      Number.MAX_SAFE_INTEGER,
      2n ** 64n - 1n,
      2n ** 64n,
      2n ** 200n + 12345n,
      2n ** 256n - 1n,
      ...Array.from({ length: 30 }, () => BigInt(`0x${randomBytes(randomInt(1, 33)).toString("hex")}`)),
    ];
    for (const at of times) {
      const loanId = hex32();
      expect(caseIdOf(loanId, at)).to.equal(
        ref(["string", "bytes32", "uint256"], ["JointLedger.case.v1", loanId, at]),
      );
    }
  });

  it("evidenceChainStart and extendEvidenceChain are the ledger's evidence chain hashes", () => {
    for (let i = 0; i < 50; i++) {
      const [a, b] = [hex32(), hex32()];
      expect(evidenceChainStart(a, shout(b))).to.equal(
        ref(["string", "bytes32", "bytes32"], ["JointLedger.evidence.v1", a, b]),
      );
      expect(extendEvidenceChain(shout(a), b)).to.equal(ref(["bytes32", "bytes32"], [a, b]));
    }
  });

  it("reads the integer spellings ethers reads: decimal and 0x text, bigints", () => {
    const serial = hex32();
    const expected = loanIdOf(4, serial);
    for (const spelling of [4n, "4", "0x04"] as unknown as number[])
      expect(loanIdOf(spelling, serial)).to.equal(expected);
  });

  it("refuses what ethers' coder refuses: out of range, fractional, not 32 bytes of hex", () => {
    const serial = hex32();
    const bad: Array<[() => unknown, () => unknown]> = [
      [() => loanIdOf(2 ** 32, serial), () => abi.encode(["uint32"], [2 ** 32])],
      [() => loanIdOf(-1, serial), () => abi.encode(["uint32"], [-1])],
      [() => loanIdOf(1.5, serial), () => abi.encode(["uint32"], [1.5])],
      [() => loanIdOf(1, serial.slice(0, 64)), () => abi.encode(["bytes32"], [serial.slice(0, 64)])],
      [() => loanIdOf(1, `${serial}00`), () => abi.encode(["bytes32"], [`${serial}00`])],
      [() => loanIdOf(1, `0x${"zz".repeat(32)}`), () => abi.encode(["bytes32"], [`0x${"zz".repeat(32)}`])],
      [() => caseIdOf(serial, 2n ** 256n), () => abi.encode(["uint256"], [2n ** 256n])],
      [() => extendEvidenceChain(serial, "0x1234"), () => abi.encode(["bytes32"], ["0x1234"])],
    ];
    for (const [ours, ethers] of bad) {
      expect(ethers).to.throw();
      expect(ours).to.throw(RangeError);
    }
  });
});
