// signEip1559 (common/chain/transaction.ts) against ethers' own signing: the same raw bytes and
// hash as wallet.signTransaction over seeded random type-2 calls and the RLP edge cases (zero,
// 2^256-1, data at the short/long string boundary, a 26 kB batch), the sender recovered from the
// bytes, and ethers' refusals kept.
import { expect } from "chai";
import { Transaction, Wallet, getAddress, keccak256 } from "ethers";
import { signEip1559, type Eip1559Call } from "../../../common/chain/transaction.ts";
import { seeded, type Seeded } from "../../support/faults/seeded.ts";

const SEED = Number(process.env.TX_SEED ?? 20_261_207);
const MAX_UINT256 = (1n << 256n) - 1n;

function hex(random: Seeded, bytes: number): string {
  let out = "0x";
  for (let i = 0; i < bytes; i++) out += random.int(0, 255).toString(16).padStart(2, "0");
  return out;
}

/** A random unsigned integer of up to `maxBytes` bytes, often with its top byte small or zero. */
function uint(random: Seeded, maxBytes: number): bigint {
  const bytes = random.int(0, maxBytes);
  return bytes === 0 ? 0n : BigInt(hex(random, bytes));
}

function randomCall(random: Seeded): Eip1559Call {
  const dataBytes = [0, 1, 2, 31, 32, 33, 54, 55, 56, 57, 255, 256, 1_000][random.int(0, 12)]!;
  const lower = hex(random, 20);
  const to = [lower, getAddress(lower)][random.int(0, 1)]!;
  const maxFeePerGas = uint(random, 32);
  return {
    chainId: uint(random, 8) || 1n,
    nonce: Number(uint(random, 6)),
    maxFeePerGas,
    maxPriorityFeePerGas: maxFeePerGas === 0n ? 0n : uint(random, 32) % (maxFeePerGas + 1n),
    gasLimit: uint(random, 32),
    to,
    value: uint(random, 32),
    data: hex(random, dataBytes),
  };
}

async function expectSameAsEthers(wallet: Wallet, call: Eip1559Call, label: string): Promise<void> {
  const reference = await wallet.signTransaction({ ...call, value: call.value ?? 0n, type: 2 });
  const ours = signEip1559(wallet.signingKey, call);
  expect(ours.rawTx, label).to.equal(reference);
  expect(ours.txHash, label).to.equal(keccak256(reference));
  const parsed = Transaction.from(ours.rawTx);
  expect(parsed.hash, label).to.equal(ours.txHash);
  expect(parsed.from, label).to.equal(wallet.address);
}

describe("common/chain/transaction: signEip1559, ethers' bytes without ethers' layers", function () {
  const random = seeded(SEED);
  const wallet = new Wallet(hex(random, 32));
  const base: Eip1559Call = {
    chainId: 31_337n,
    nonce: 5,
    maxFeePerGas: 2_000_000_000n,
    maxPriorityFeePerGas: 1n,
    gasLimit: 300_000n,
    to: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    data: "0x",
  };

  it(`signs random type-2 calls as ethers does (seed ${SEED}, TX_SEED to change)`, async function () {
    for (let i = 0; i < 300; i++) {
      const signer = i % 10 === 0 ? new Wallet(hex(random, 32)) : wallet;
      const call = randomCall(random);
      await expectSameAsEthers(signer, call, `call ${i}: ${JSON.stringify(call, (_, v) => String(v))}`);
    }
  });

  it("signs the edge values as ethers does", async function () {
    const cases: Array<[string, Partial<Eip1559Call>]> = [
      ["nonce 0, value 0, zero fees", { nonce: 0, value: 0n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }],
      ["no value given", { value: undefined }],
      [
        "fees and value of 2^256-1",
        { maxFeePerGas: MAX_UINT256, maxPriorityFeePerGas: MAX_UINT256, value: MAX_UINT256 },
      ],
      ["gas limit 2^256-1", { gasLimit: MAX_UINT256 }],
      [
        "number fields at 127 and 128 (a byte's own encoding, then a header)",
        { nonce: 127, gasLimit: 128n, chainId: 127 },
      ],
      ["chain id as a number", { chainId: 1 }],
      ["data of one byte below 0x80", { data: "0x7f" }],
      ["data of one zero byte", { data: "0x00" }],
      ["data of one byte at 0x80", { data: "0x80" }],
      ["data of 55 bytes (the longest short string)", { data: hex(random, 55) }],
      ["data of 56 bytes (the shortest long string)", { data: hex(random, 56) }],
      ["data of 256 bytes (a two-byte length)", { data: hex(random, 256) }],
      ["data of 26 kB (a batch; a long list)", { data: hex(random, 26_000) }],
      ["data of 70 kB (a three-byte length)", { data: hex(random, 70_000) }],
      ["data in upper-case hex", { data: `0x${hex(random, 40).slice(2).toUpperCase()}` }],
      ["a checksummed mixed-case address", { to: getAddress("0xd8da6bf26964af9d7eed9e03e53415d37aa96045") }],
      ["an upper-case address", { to: "0xD8DA6BF26964AF9D7EED9E03E53415D37AA96045" }],
    ];
    for (const [label, change] of cases) await expectSameAsEthers(wallet, { ...base, ...change }, label);
  });

  it("refuses with TX_FIELD_INVALID what ethers refuses", async function () {
    const cases: Array<[string, Partial<Eip1559Call>, string]> = [
      ["a fee past 256 bits", { maxFeePerGas: MAX_UINT256 + 1n }, "maxFeePerGas"],
      ["a tip above the fee cap", { maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }, "maxPriorityFeePerGas"],
      ["a negative value", { value: -1n }, "value"],
      ["a fractional nonce", { nonce: 1.5 }, "nonce"],
      ["data without 0x", { data: "abcd" }, "data"],
      ["data of an odd number of digits", { data: "0xabc" }, "data"],
      ["data with a non-hex pair inside", { data: "0xab zz cd".replaceAll(" ", "") }, "data"],
      ["data of one non-hex byte", { data: "0x7g" }, "data"],
      ["an address with a wrong checksum", { to: "0xD8dA6BF26964aF9D7eEd9e03E53415D37aA96045" }, "to"],
      ["an address too short", { to: "0x1234" }, "to"],
    ];
    for (const [label, change, field] of cases) {
      const call = { ...base, ...change };
      let ours: unknown;
      try {
        signEip1559(wallet.signingKey, call);
      } catch (e) {
        ours = e;
      }
      expect(ours, label).to.be.instanceOf(Error);
      expect(ours, label).to.include({ code: "TX_FIELD_INVALID", field });
      let theirs: unknown;
      try {
        await wallet.signTransaction({ ...call, type: 2 });
      } catch (e) {
        theirs = e;
      }
      expect(theirs, `${label}: ethers refuses it too`).to.be.instanceOf(Error);
    }
  });
});
