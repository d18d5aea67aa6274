// The mediation routes at branch A's node over a real chain, for a loan the ledger has none of:
// the case is the loan's branch's, read from the ledger, whose LedgerUnknownLoan revert answered
// 500. Both the staff's read and the union keeper's signed step now answer 404
// NODE_ERR_UNKNOWN_LOAN, and nothing is opened.
import { expect } from "chai";
import { requestDomain, signRequest } from "../../../common/auth/request-signing.ts";
import { MEMBERS, walletOf } from "../../support/consortium-chain.ts";
import { bearerAs } from "../../support/institution-node.ts";
import { lendingSuite } from "../../support/lending-suite.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;

describe("node API: mediation routes for a loan the ledger does not hold", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-mediation-routes-", { branch: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);
  const unknownLoans = [`0x${"00".repeat(32)}`, `0x${"ab".repeat(32)}`];

  const caseOf = (loanId: string) =>
    suite.branch.app.inject({ method: "GET", url: `/v1/loans/${loanId}/mediation`, headers: as("admin") });

  it("GET /v1/loans/:loanId/mediation answers 404 NODE_ERR_UNKNOWN_LOAN (was 500)", async function () {
    for (const loanId of unknownLoans) {
      const reply = await caseOf(loanId);
      expect(reply.statusCode, reply.body).to.equal(404);
      expect(reply.json().error.code).to.equal("NODE_ERR_UNKNOWN_LOAN");
    }
  });

  it("the union's signed keeper step on it answers 404 NODE_ERR_UNKNOWN_LOAN for both steps and opens nothing", async function () {
    const domain = requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
    for (const loanId of unknownLoans)
      for (const step of ["open", "mayArbitrate"]) {
        const url = `/v1/loans/${loanId}/mediation/keeper-steps`;
        const body = JSON.stringify({ step });
        const headers = await signRequest(walletOf(suite.chain, "union"), domain, {
          method: "POST",
          path: url,
          body,
          target: MEMBERS.branchA,
        });
        const reply = await suite.branch.app.inject({
          method: "POST",
          url,
          headers: { ...headers, "content-type": "application/json" },
          payload: body,
        });
        expect(reply.statusCode, `${step} ${reply.body}`).to.equal(404);
        expect(reply.json().error.code).to.equal("NODE_ERR_UNKNOWN_LOAN");
        // no case was opened for it
        expect((await caseOf(loanId)).json().error.code).to.equal("NODE_ERR_UNKNOWN_LOAN");
      }
  });
});
