// The sender names a revert by the custom error of whichever contract raised it: the ledger,
// DisputeResolution, the EvidenceRegistry, or the EvidenceLog the registry checks a proof with
// (a head the chain does not hold), and only what no contract declares is UnknownRevert.
import { expect } from "chai";
import { makeError } from "ethers";
import { EvidenceLog } from "../../../common/chain/generated/contracts.ts";
import { evidenceInterface, ledgerInterface } from "../../../nodes/src/outbox/entry.ts";
import { revertFailure } from "../../../nodes/src/outbox/rpc-errors.ts";

/** An error as ethers gives a reverted estimate or call: the revert data on it. */
const reverted = (data: string) =>
  makeError("execution reverted", "CALL_EXCEPTION", {
    action: "estimateGas",
    data,
    reason: null,
    transaction: { to: null, from: undefined, data: "0x" },
    invocation: null,
    revert: null,
  });

describe("outbox rpc-errors: reverts named by their contract", function () {
  it("names the ledger's, the registry's and the evidence log's custom errors, with their arguments", function () {
    const logId = `0x${"ab".repeat(32)}`;
    const leafHash = `0x${"cd".repeat(32)}`;
    expect(
      revertFailure(reverted(EvidenceLog.interface.encodeErrorResult("EvidenceLogUnknownHead", [logId, 7n]))),
    ).to.deep.equal({ code: "EvidenceLogUnknownHead", args: [logId, "7"] });
    expect(
      revertFailure(
        reverted(evidenceInterface.encodeErrorResult("EvidenceRegistryAlreadyRegistered", [leafHash])),
      ),
    ).to.deep.equal({ code: "EvidenceRegistryAlreadyRegistered", args: [leafHash] });
    expect(
      revertFailure(reverted(ledgerInterface.encodeErrorResult("LedgerUnknownLoan", [leafHash])))?.code,
    ).to.equal("LedgerUnknownLoan");
    expect(revertFailure(reverted("0x15a7a1b9"))).to.deep.equal({
      code: "UnknownRevert",
      args: ["0x15a7a1b9"],
    });
  });
});
