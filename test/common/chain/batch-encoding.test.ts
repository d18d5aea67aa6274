// encodeBatch (common/chain/batch.ts) writes execute(mode, calls)'s ABI encoding itself: the same
// bytes as ethers' AbiCoder (kept here as the reference) over seeded random call lists, callsOf
// reading them back, and the same refusals.
import { expect } from "chai";
import { AbiCoder, getAddress } from "ethers";
import { BATCH_MODE, callsOf, encodeBatch, type Call } from "../../../common/chain/batch.ts";
import { BatchExecutor } from "../../../common/chain/generated/contracts.ts";
import { seeded, type Seeded } from "../../support/faults/seeded.ts";

const SEED = Number(process.env.BATCH_SEED ?? 20_261_207);

/** The encoding as ethers gives it. */
function reference(calls: ReadonlyArray<Call>): string {
  const executionData = AbiCoder.defaultAbiCoder().encode(
    ["tuple(address,uint256,bytes)[]"],
    [calls.map((c) => [c.to, 0n, c.data])],
  );
  return BatchExecutor.interface.encodeFunctionData("execute", [BATCH_MODE, executionData]);
}

function hex(random: Seeded, bytes: number): string {
  let out = "0x";
  for (let i = 0; i < bytes; i++) out += random.int(0, 255).toString(16).padStart(2, "0");
  return out;
}

function randomCalls(random: Seeded, count: number, dataBytes: () => number): Call[] {
  return Array.from({ length: count }, () => {
    const to = hex(random, 20);
    return { to: random.int(0, 1) === 0 ? to : getAddress(to), data: hex(random, dataBytes()) };
  });
}

describe("common/chain/batch: encodeBatch, AbiCoder's bytes written directly", function () {
  const random = seeded(SEED);
  const member = "0x3000000000000000000000000000000000000003";

  function expectAsEthers(calls: Call[], label: string): void {
    const data = encodeBatch(calls);
    expect(data, label).to.equal(reference(calls));
    expect(callsOf({ from: member, to: member, data }), `${label}: read back`).to.deep.equal(
      calls.map((c) => ({ to: getAddress(c.to), data: c.data.toLowerCase() })),
    );
  }

  it(`encodes random call lists as ethers does (seed ${SEED}, BATCH_SEED to change)`, function () {
    for (let i = 0; i < 200; i++) {
      const calls = randomCalls(random, random.int(0, 16), () => random.int(0, 300));
      expectAsEthers(calls, `list ${i}`);
    }
  });

  it("encodes the edge shapes as ethers does", function () {
    const cases: Array<[string, Call[]]> = [
      ["no call", []],
      ["one call", randomCalls(random, 1, () => 68)],
      ["one call without data", randomCalls(random, 1, () => 0)],
      ["16 calls", randomCalls(random, 16, () => 100)],
      ["16 calls without data", randomCalls(random, 16, () => 0)],
      [
        "data of 1, 31, 32, 33 and 63 bytes",
        [1, 31, 32, 33, 63].map((n) => randomCalls(random, 1, () => n)[0]!),
      ],
      // a batch of registrations as the nodes send it: ~7 calls, ~26 kB in all
      ["26 kB in 7 calls", randomCalls(random, 7, () => 3_716)],
      ["upper-case hex data", [{ to: member, data: `0x${hex(random, 45).slice(2).toUpperCase()}` }]],
    ];
    for (const [label, calls] of cases) expectAsEthers(calls, label);
  });

  it("refuses what ethers refuses: data not 0x-hex of whole bytes, a bad address", function () {
    const target = "0x1000000000000000000000000000000000000001";
    for (const data of ["abcd", "0xabc", "0xabzzcd", "0x7g"]) {
      const calls = [
        { to: target, data: "0x12" },
        { to: target, data },
      ];
      expect(() => reference(calls), `${data}: ethers`).to.throw();
      expect(() => encodeBatch(calls), data)
        .to.throw()
        .with.property("code", "BATCH_CALL_INVALID");
    }
    for (const to of ["0x1234", "0xD8dA6BF26964aF9D7eEd9e03E53415D37aA96045"]) {
      const calls = [{ to, data: "0x" }];
      expect(() => reference(calls), `${to}: ethers`).to.throw();
      expect(() => encodeBatch(calls), to).to.throw();
    }
  });
});
