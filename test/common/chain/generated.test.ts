// The generated chain layer (common/chain/generated) is what regenerating it from today's build
// artifacts and Solidity sources writes, file for file: a contract change without
// `npm run chain:types` fails here. TypeChain's types (build output, not committed) are what the
// committed ABIs give. And the generated handles decode real calls and reverts.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GENERATED_DIR,
  TYPINGS_FOLDER,
  generateToMemory,
  readTree,
  typingsToMemory,
} from "../../../common/chain/generate.ts";
import { CONTRACTS, DisputeResolution, JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { LOAN_STATES, LoanState, MEMBER_KINDS, MemberKind } from "../../../common/chain/generated/enums.ts";
import { decodeRevertData, toJson } from "../../../common/chain/revert.ts";

describe("common/chain: the generated chain layer", function () {
  this.timeout(60_000);

  it("is what `npm run chain:types` generates from the current build (run it after a contract change)", async function () {
    const [committed, fresh] = await Promise.all([readTree(GENERATED_DIR), generateToMemory()]);
    expect([...committed.keys()].sort(), "generated files").to.deep.equal([...fresh.keys()].sort());
    for (const [path, text] of fresh)
      expect(committed.get(path) === text, `${path} is stale: run npm run chain:types`).to.equal(true);
  });

  it("commits abis.ts, contracts.ts, creation-code.ts and enums.ts; TypeChain's types on disk are what the committed ABIs give", async function () {
    const [committed, onDisk, fresh] = await Promise.all([
      readTree(GENERATED_DIR),
      readTree(join(GENERATED_DIR, TYPINGS_FOLDER)),
      typingsToMemory(),
    ]);
    expect([...committed.keys()].sort()).to.deep.equal([
      "abis.ts",
      "contracts.ts",
      "creation-code.ts",
      "enums.ts",
    ]);
    expect([...onDisk.keys()].sort(), "TypeChain files").to.deep.equal([...fresh.keys()].sort());
    for (const [path, text] of fresh)
      expect(onDisk.get(path) === text, `typechain/${path} is stale: run npm run postinstall`).to.equal(true);
  });

  it("covers every deployable contract's ABI exactly as compiled", async function () {
    for (const contract of Object.values(CONTRACTS)) {
      const artifact = JSON.parse(
        await readFile(`artifacts/${contract.source}/${contract.name}.json`, "utf8"),
      ) as { abi: unknown };
      expect(contract.abi, contract.name).to.deep.equal(artifact.abi);
    }
  });

  it("numbers the enums as Solidity does", function () {
    expect(LOAN_STATES[LoanState.Cancelled]).to.equal("Cancelled");
    expect(LoanState).to.deep.equal({ None: 0, Registered: 1, Active: 2, Settled: 3, Cancelled: 4 });
    expect(MEMBER_KINDS[MemberKind.Court]).to.equal("Court");
    expect(Object.isFrozen(MemberKind)).to.equal(true);
  });

  it("decodes a custom error to its name and arguments, from any contract's interface", function () {
    const loanId = `0x${"ab".repeat(32)}`;
    const data = JointLoanLedger.interface.encodeErrorResult("LedgerWrongState", [loanId, 3]);
    expect(decodeRevertData(data)).to.deep.equal({
      name: "LedgerWrongState",
      args: [loanId, "3"],
      signature: "LedgerWrongState(bytes32,uint8)",
    });
    // a ledger error met through DisputeResolution decodes with the ledger's interface in the list
    expect(decodeRevertData(data, [DisputeResolution.interface])).to.equal(undefined);
    expect(decodeRevertData(data, [DisputeResolution.interface, JointLoanLedger.interface])?.name).to.equal(
      "LedgerWrongState",
    );
    expect(decodeRevertData("0xdeadbeef")).to.equal(undefined);
    expect(toJson([1n, ["x", true]])).to.deep.equal(["1", ["x", true]]);
  });
});
