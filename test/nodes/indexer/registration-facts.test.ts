// The indexer reads a registered loan's funders and start day by eth_call and decodes the two
// views' results itself (nodes/src/indexer/registration-facts.ts). Held to ethers' decoding of
// the compiled ABI on random results, with every field at its edges, and refusing results that
// are not the views' (empty, cut short, not whole words) as ethers does.
import { expect } from "chai";
import { randomBytes, randomInt } from "node:crypto";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { decodeFunders, decodeStartDay } from "../../../nodes/src/indexer/registration-facts.ts";

const LEDGER = JointLoanLedger.interface;
const LOAN_FIELDS = LEDGER.getFunction("loan")!.outputs[0]!.components!;

/** A random value of a static ABI type (uintN, enums as uint8, bytes32). */
function randomOf(type: string): bigint | string {
  if (type === "bytes32") return `0x${randomBytes(32).toString("hex")}`;
  const bits = Number(type.replace("uint", ""));
  const edge = randomInt(0, 3);
  return edge === 0
    ? 0n
    : edge === 1
      ? (1n << BigInt(bits)) - 1n
      : BigInt(`0x${randomBytes(bits / 8).toString("hex")}`);
}

describe("indexer/registration-facts: the ledger's funders and loan views decoded without ethers", () => {
  it("decodes funders() as ethers does, for 0 to 8 funders with fields at their edges", () => {
    for (let n = 0; n <= 8; n++)
      for (let round = 0; round < 10; round++) {
        const funders = Array.from({ length: n }, () => ({
          memberId: randomOf("uint32"),
          shareBps: randomOf("uint16"),
        }));
        const data = LEDGER.encodeFunctionResult("funders", [funders]);
        const [reference] = LEDGER.decodeFunctionResult("funders", data) as unknown as [
          Array<{ memberId: bigint; shareBps: bigint }>,
        ];
        expect(decodeFunders(data)).to.deep.equal(
          reference.map((f) => ({ memberId: Number(f.memberId), shareBps: Number(f.shareBps) })),
        );
      }
  });

  it("decodes loan()'s startDay as ethers does, every other field random", () => {
    for (let round = 0; round < 100; round++) {
      const loan = Object.fromEntries(LOAN_FIELDS.map((f) => [f.name, randomOf(f.type)]));
      const data = LEDGER.encodeFunctionResult("loan", [loan]);
      const [reference] = LEDGER.decodeFunctionResult("loan", data) as unknown as [{ startDay: bigint }];
      expect(decodeStartDay(data)).to.equal(Number(reference.startDay));
    }
  });

  it("refuses what is not the views' result, as ethers refuses it", () => {
    const funders = LEDGER.encodeFunctionResult("funders", [
      [
        { memberId: 2, shareBps: 7000 },
        { memberId: 4, shareBps: 3000 },
      ],
    ]);
    const loan = LEDGER.encodeFunctionResult("loan", [
      Object.fromEntries(
        LOAN_FIELDS.map((f) => [f.name, f.type === "bytes32" ? `0x${"11".repeat(32)}` : 1n]),
      ),
    ]);
    const bad: Array<["funders" | "loan", string]> = [
      ["funders", "0x"],
      ["funders", funders.slice(0, -64)],
      ["funders", `${funders}00`],
      ["loan", "0x"],
      ["loan", loan.slice(0, -64)],
      ["loan", `${loan.slice(0, -2)}zz`],
    ];
    for (const [view, data] of bad) {
      const ethers =
        view === "funders"
          ? () => LEDGER.decodeFunctionResult("funders", data)
          : () => LEDGER.decodeFunctionResult("loan", data);
      expect(ethers, `ethers: ${view} ${data.length}`).to.throw();
      expect(
        () => (view === "funders" ? decodeFunders(data) : decodeStartDay(data)),
        `${view} ${data.length}`,
      ).to.throw();
    }
  });

  it("refuses an offset or a length above its low bytes, and a length the result cannot hold, as ethers does", () => {
    const word = (n: bigint) => n.toString(16).padStart(64, "0");
    const words = (...ns: bigint[]) => `0x${ns.map(word).join("")}`;
    const high = 1n << 255n;
    const bad = [
      words(32n, high + 2n, 2n, 7000n, 4n, 3000n), // a length masked to 6 bytes would read 2
      words(32n, (1n << 48n) + 1n, 2n, 7000n),
      words(high + 32n, 1n, 2n, 7000n), // an offset masked to 6 bytes would read 32
      words((1n << 48n) + 32n, 1n, 2n, 7000n),
      words(32n, 1n << 40n, 2n, 7000n),
      words(32n, 1n, 2n),
    ];
    for (const data of bad) {
      // ethers defers some decoding errors until the value is read
      const ethers = () =>
        (LEDGER.decodeFunctionResult("funders", data)[0] as Array<{ memberId: bigint }>).map(
          (f) => f.memberId,
        );
      expect(ethers, `ethers: ${data}`).to.throw();
      expect(() => decodeFunders(data), data).to.throw(/too large|do not fit|ends before/);
    }
  });
});
