// A joint loan's platform agreements in batches (nodes/src/approval.ts): a branch's approvals that
// wait for the same platform share one signed request (POST /v1/loan-agreements/batch). The
// platform checks every loan of it before signing any: one bad loan refuses the request as a
// whole with that loan's stable code, its index and application named, and records nothing; the
// branch then asks for the other loans alone, so one bad loan fails only its own approval.
import { expect } from "chai";
import { recoverAddress } from "ethers";
import { requestDomain, signRequest } from "../../../common/auth/request-signing.ts";
import { loanAgreementDigest } from "../../../common/lending/agreement.ts";
import { loanIdOf } from "../../../common/lending/ids.ts";
import type { AgreementRequest } from "../../../nodes/src/approval.ts";
import { nodeError } from "../../../nodes/src/errors.ts";
import { termsFromJson } from "../../../nodes/src/loan-agreement.ts";
import { MEMBERS } from "../../support/consortium-chain.ts";
import { approvableJointApplication, bearerAs, chainToday } from "../../support/institution-node.ts";
import { lendingSuite } from "../../support/lending-suite.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;

type Call = { ids: string[]; refused?: { code: string; details: unknown } };

describe("joint loans: the platform's agreements asked in batches", function () {
  this.timeout(180_000);
  const suite = lendingSuite("agreement-batch-", { joint: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);
  /** The platform's application id → its id at the branch. */
  const atBranch = new Map<string, string>();
  /** The agreement requests the platform's node served, and each loan's request body as the branch sent it. */
  const calls: Call[] = [];
  const asked = new Map<string, AgreementRequest>();

  async function submit(applicationId: string) {
    const { atBranch: id } = await approvableJointApplication(
      suite.platform,
      suite.branch,
      as,
      applicationId,
    );
    atBranch.set(applicationId, id);
  }

  async function approve(applicationId: string) {
    return suite.branch.app.inject({
      method: "POST",
      url: "/v1/loans",
      headers: as("approver"),
      payload: {
        applicationId: atBranch.get(applicationId),
        contractBase64: Buffer.from(`联合贷合同 ${applicationId}`).toString("base64"),
        platformShareBps: 3000,
        startDate: await chainToday(suite.chain),
      },
    });
  }

  /** A request for `agreements` signed by branch A's operations key to the platform's batch route. */
  async function askBatch(agreements: AgreementRequest[]) {
    const domain = requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
    const path = "/v1/loan-agreements/batch";
    const text = JSON.stringify({ agreements });
    const headers = {
      "content-type": "application/json",
      ...(await signRequest(suite.chain.wallets.branchA, domain, {
        method: "POST",
        path,
        body: text,
        target: MEMBERS.platform,
      })),
    };
    return suite.platform.app.inject({ method: "POST", url: path, headers, payload: text });
  }

  const loanIdOfRequest = (r: AgreementRequest) => {
    const terms = termsFromJson(r.terms);
    return loanIdOf(terms.originator, terms.applicationSerial);
  };

  before(async function () {
    for (const id of ["JDB-BATCH-1", "JDB-BATCH-2", "JDB-BATCH-3", "JDB-BATCH-LOST", "JDB-BATCH-5"])
      await submit(id);
    // the platform's node, watched: each request's loans and its refusal; the first two held a
    // while, so the approvals arriving meanwhile queue at the branch and go in one request
    const approval = suite.platform.ops.approval;
    const agree = approval.agreeToLoans.bind(approval);
    approval.agreeToLoans = async (request, body) => {
      const call: Call = { ids: body.agreements.map((a) => a.applicationId) };
      calls.push(call);
      for (const a of body.agreements) asked.set(a.applicationId, a);
      if (calls.length <= 2) await new Promise((r) => setTimeout(r, 2_000));
      try {
        return await agree(request, body);
      } catch (error) {
        const coded = error as { code: string; details?: unknown };
        call.refused = { code: coded.code, details: coded.details };
        throw error;
      }
    };
    // the platform lost one application: it cannot agree to that loan
    const applications = approval.deps.applications;
    const getSubmitted = applications.getSubmitted.bind(applications);
    applications.getSubmitted = async (id) => {
      if (id === "JDB-BATCH-LOST")
        throw nodeError("NODE_ERR_UNKNOWN_APPLICATION", `no application ${id} submitted here`);
      return getSubmitted(id);
    };
  });

  it("approvals waiting for the platform share a request; one refused loan in it fails only its own approval", async function () {
    const first = ["JDB-BATCH-1", "JDB-BATCH-2", "JDB-BATCH-3"].map((id) => approve(id));
    // the lost one is asked last, while the first requests are held: it queues with the others
    await new Promise((r) => setTimeout(r, 500));
    const [lost, ...approved] = await Promise.all([approve("JDB-BATCH-LOST"), ...first]);
    for (const reply of approved) expect(reply.statusCode, reply.body).to.equal(200);
    expect(lost.statusCode, lost.body).to.equal(502);
    const error = (lost.json() as { error: { code: string; details: { code: string } } }).error;
    expect([error.code, error.details.code]).to.deep.equal([
      "NODE_ERR_PEER_REFUSED",
      "NODE_ERR_UNKNOWN_APPLICATION",
    ]);
    // fewer requests than loans: one carried several, the lost one among them, refused as a whole
    const shared = calls.find((c) => c.ids.length > 1);
    expect(shared, JSON.stringify(calls)).to.not.equal(undefined);
    expect(shared!.ids).to.include("JDB-BATCH-LOST");
    expect(shared!.refused?.code).to.equal("NODE_ERR_UNKNOWN_APPLICATION");
    expect(shared!.refused?.details).to.deep.include({
      index: shared!.ids.indexOf("JDB-BATCH-LOST"),
      applicationId: "JDB-BATCH-LOST",
    });
    // each loan of the refused request asked again alone; every good one agreed to
    for (const id of shared!.ids)
      expect(
        calls.some((c) => c.ids.length === 1 && c.ids[0] === id),
        `${id} asked alone`,
      ).to.equal(true);
    const lostLoan = loanIdOfRequest(asked.get("JDB-BATCH-LOST")!);
    expect(await suite.platform.ops.approval.deps.receiving!.get(lostLoan)).to.equal(undefined);
  });

  it("a batch with one loan not as its application is refused as a whole, naming it, and records nothing; as built, each loan is signed", async function () {
    // JDB-BATCH-5's exact terms as the branch builds them, from an approval the platform refuses
    const approval = suite.platform.ops.approval;
    const agree = approval.agreeToLoans;
    approval.agreeToLoans = async (_request, body) => {
      for (const a of body.agreements) asked.set(a.applicationId, a);
      throw nodeError("NODE_ERR_PEER_UNAVAILABLE", "the platform's node is away");
    };
    const away = await approve("JDB-BATCH-5");
    approval.agreeToLoans = agree;
    // the platform's node away: the branch's node says so as its own 503, to be asked again
    expect(away.statusCode, away.body).to.equal(503);
    expect(away.json()).to.have.nested.property("error.code", "NODE_ERR_PEER_UNAVAILABLE");
    const fifth = asked.get("JDB-BATCH-5")!;
    const second = asked.get("JDB-BATCH-2")!;
    const fifthLoan = loanIdOfRequest(fifth);
    expect(await approval.deps.receiving!.get(fifthLoan)).to.equal(undefined);

    // a lower fee on the second loan: the request refused, the first loan not signed nor recorded
    const lowered = { ...second, terms: { ...second.terms, fees: [] } };
    const refused = await askBatch([fifth, lowered]);
    expect(refused.statusCode, refused.body).to.equal(409);
    const error = (refused.json() as { error: { code: string; details: unknown } }).error;
    expect(error.code).to.equal("NODE_ERR_AGREEMENT_REFUSED");
    expect(error.details).to.deep.include({ index: 1, applicationId: "JDB-BATCH-2" });
    expect(await approval.deps.receiving!.get(fifthLoan)).to.equal(undefined);

    // as built: one signature per loan, in order, each the platform's over that loan's terms
    const agreed = await askBatch([fifth, second]);
    expect(agreed.statusCode, agreed.body).to.equal(200);
    const { platformAgreements } = agreed.json() as { platformAgreements: string[] };
    expect(platformAgreements).to.have.length(2);
    const ledger = suite.lending.addresses.jointLoanLedger;
    for (const [i, request] of [fifth, second].entries()) {
      const digest = loanAgreementDigest(suite.chain.chainId, ledger, termsFromJson(request.terms));
      expect(recoverAddress(digest, platformAgreements[i]!)).to.equal(suite.chain.wallets.platform.address);
    }
    expect(await approval.deps.receiving!.get(fifthLoan)).to.not.equal(undefined);
  });
});
