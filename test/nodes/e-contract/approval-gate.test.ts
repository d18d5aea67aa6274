// Approval with a contract verifier (approval.ts `verifyContract`): a contract whose signatures do
// not hold is refused with the verifier's code before anything is anchored or stored, and the
// verifier sees exactly the bytes the approval would anchor.
import { expect } from "chai";
import { LoanApproval, type LoanApprovalDeps } from "../../../nodes/src/approval.ts";
import { EContractError } from "../../../nodes/src/errors.ts";

describe("approval: the signed contract is verified before it is anchored", () => {
  it("refuses an unverified contract with the verifier's code, writing nothing", async () => {
    const written: string[] = [];
    const seen: Uint8Array[] = [];
    const deps = {
      memberId: 2,
      applications: {
        get: async () => ({
          applicationId: "app_1",
          borrowerKey: `0x${"ab".repeat(32)}`,
          assignedBranch: 2,
          application: { applicationId: "A-1" },
        }),
      },
      // an approving credit decision, for nodes that require one before the contract is looked at
      decisionGate: async () => ({ consentLeafHash: `0x${"cd".repeat(32)}`, decisionId: "d-1" }),
      anchor: async () => {
        written.push("anchor");
        return [];
      },
      // approval reads the platform's member kind alongside its other checks
      members: { kindOf: async () => 3 },
      documents: { put: async () => void written.push("document") },
      outbox: { status: async () => undefined, enqueue: async () => void written.push("outbox") },
      verifyContract: async (pdf: Uint8Array) => {
        seen.push(pdf);
        throw new EContractError("NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL", "no branch's seal");
      },
    } as unknown as LoanApprovalDeps;
    const contract = Buffer.from("%PDF-1.7 borrower-signed only");
    try {
      await new LoanApproval(deps).approve({ userId: "approver-1", role: "approver" } as never, {
        applicationId: "app_1",
        contractBase64: contract.toString("base64"),
        platformShareBps: 0,
        startDate: "2026-01-15",
        consentLeafHash: `0x${"cd".repeat(32)}`,
      });
      expect.fail("approved a contract the verifier refused");
    } catch (e) {
      expect(e).to.be.instanceOf(EContractError);
      expect((e as EContractError).code).to.equal("NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL");
    }
    expect(Buffer.from(seen[0]!).equals(contract)).to.equal(true);
    expect(written).to.deep.equal([]);
  });
});
