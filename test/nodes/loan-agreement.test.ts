// A joint loan through the nodes: the platform submits the application through its own node; the
// branch's node, approving it with a platform share, asks the platform's node to agree; the
// platform's node signs only the loan of an application it submitted, exactly as built from it;
// the loan registers on chain with that agreement (without it the ledger refuses a joint loan).
import { expect } from "chai";
import { Contract, getBytes } from "ethers";
import { JOINT_LOAN_LEDGER_ABI } from "../../common/chain/generated/abis.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approvableJointApplication, bearerAs, chainToday } from "../support/institution-node.ts";
import { receivingAccountOf } from "../../nodes/src/approval.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;
/** The borrower's bank account in jiedaibaoPayload(). */
const BORROWER_BANK_ACCOUNT = "6222021001123456789";

describe("joint loan: the platform's node agrees, the loan registers with its agreement", function () {
  this.timeout(120_000);
  const suite = lendingSuite("node-agreement-", { joint: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);

  const submitAndConsent = (applicationId: string) =>
    approvableJointApplication(suite.platform, suite.branch, as, applicationId);

  it("approves a 70/30 joint loan: the outbox entry carries the platform's signature and the loan registers with both funders", async function () {
    const { atBranch, consentLeafHash } = await submitAndConsent("JDB-JOINT-AGREED");
    const approved = await suite.branch.app.inject({
      method: "POST",
      url: "/v1/loans",
      headers: as("approver"),
      payload: {
        applicationId: atBranch,
        contractBase64: Buffer.from("联合贷合同").toString("base64"),
        consentLeafHash,
        platformShareBps: 3000,
        startDate: await chainToday(suite.chain),
      },
    });
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId, outbox } = approved.json() as {
      loanId: string;
      outbox: { args: { platformAgreement: string } };
    };
    expect(outbox.args.platformAgreement).to.match(/^0x[0-9a-f]{130}$/);
    const ledger = new Contract(
      suite.lending.addresses.jointLoanLedger,
      JOINT_LOAN_LEDGER_ABI,
      suite.chain.anvil.provider,
    );
    for (let i = 0; i < 100; i++) {
      const status = (
        await suite.branch.app.inject({
          method: "GET",
          url: "/v1/outbox/JDB-JOINT-AGREED",
          headers: as("approver"),
        })
      ).json() as { state: string; failure?: unknown };
      if (status.state === "failed")
        expect.fail(`the chain refused the joint loan: ${JSON.stringify(status.failure)}`);
      if (status.state === "confirmed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const loan = await ledger.getFunction("loan")(loanId);
    expect([Number(loan.platform), Number(loan.funderCount), Number(loan.state)]).to.deep.equal([
      MEMBERS.platform,
      2,
      1,
    ]);
  });

  it("the platform's node refuses terms that are not its application's loan, an application it did not submit, and a signer that is no branch", async function () {
    const { signRequest, requestDomain } = await import("../../common/auth/request-signing.ts");
    const { termsToJson } = await import("../../nodes/src/loan-agreement.ts");
    const { atBranch } = await submitAndConsent("JDB-JOINT-REFUSED");
    const stored = (
      await suite.branch.app.inject({
        method: "GET",
        url: `/v1/applications/${atBranch}`,
        headers: as("approver"),
      })
    ).json() as { borrowerKey: string };
    const { generateSchedule } = await import("../../common/lending/schedule.ts");
    const { dateToDay } = await import("../../common/lending/dates.ts");
    const { keccak256, toUtf8Bytes } = await import("ethers");
    const startDate = await chainToday(suite.chain);
    const schedule = generateSchedule({
      principalFen: 5_000_000n,
      aprBps: 1825,
      method: 0,
      startDate,
      termMonths: 12,
    });
    const terms = {
      originator: MEMBERS.platform,
      applicationSerial: keccak256(toUtf8Bytes("JDB-JOINT-REFUSED")),
      borrowerKey: stored.borrowerKey,
      borrowerRegion: 110105,
      branch: MEMBERS.branchA,
      platform: MEMBERS.platform,
      funders: [
        { memberId: MEMBERS.branchA, shareBps: 7000 },
        { memberId: MEMBERS.platform, shareBps: 3000 },
      ],
      principal: 5_000_000n,
      aprBps: 1825,
      method: 0,
      startDay: dateToDay(startDate),
      schedule: schedule.map((i) => ({
        dueDay: i.dueDay,
        principal: i.principalFen,
        interest: i.interestFen,
      })),
      fees: [{ installment: 1, amount: 30_050n }],
      contractLeaf: `0x${"11".repeat(32)}`,
      consentLeaf: `0x${"22".repeat(32)}`,
      // the borrower's own account from the application, salted as every member salts it
      receivingAccount: receivingAccountOf(
        getBytes(suite.baseConfig.consortiumKey),
        keccak256(toUtf8Bytes("JDB-JOINT-REFUSED")),
        BORROWER_BANK_ACCOUNT,
      ),
    };
    const domain = requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
    const ask = async (wallet: typeof suite.chain.wallets.branchA, body: unknown) => {
      const text = JSON.stringify(body);
      const path = "/v1/loan-agreements";
      const headers = {
        "content-type": "application/json",
        ...(await signRequest(wallet, domain, {
          method: "POST",
          path,
          body: text,
          target: MEMBERS.platform,
        })),
      };
      return suite.platform.app.inject({ method: "POST", url: path, headers, payload: text });
    };
    const code = (reply: { json: () => unknown }) =>
      (reply.json() as { error?: { code: string } }).error?.code;
    // as built from the application: agreed
    const agreed = await ask(suite.chain.wallets.branchA, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson(terms),
    });
    expect(agreed.statusCode, agreed.body).to.equal(200);
    // the branch lowers the fee, raises the principal, or drops the platform's application id
    const fee = await ask(suite.chain.wallets.branchA, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson({ ...terms, fees: [] }),
    });
    expect([fee.statusCode, code(fee)]).to.deep.equal([409, "NODE_ERR_AGREEMENT_REFUSED"]);
    // the branch names another account (the platform's settlement account, say) to be paid into
    const elsewhere = await ask(suite.chain.wallets.branchA, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson({ ...terms, receivingAccount: `0x${"33".repeat(32)}` }),
    });
    expect([elsewhere.statusCode, code(elsewhere)]).to.deep.equal([409, "NODE_ERR_AGREEMENT_REFUSED"]);
    const bigger = await ask(suite.chain.wallets.branchA, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson({ ...terms, principal: 6_000_000n }),
    });
    expect([bigger.statusCode, code(bigger)]).to.deep.equal([409, "NODE_ERR_AGREEMENT_REFUSED"]);
    const unknown = await ask(suite.chain.wallets.branchA, {
      applicationId: "JDB-NEVER-SUBMITTED",
      terms: termsToJson({ ...terms, applicationSerial: keccak256(toUtf8Bytes("JDB-NEVER-SUBMITTED")) }),
    });
    expect([unknown.statusCode, code(unknown)]).to.deep.equal([404, "NODE_ERR_UNKNOWN_APPLICATION"]);
    // branch B is a branch, but the application went to branch A
    const other = await ask(suite.chain.wallets.branchB, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson(terms),
    });
    expect([other.statusCode, code(other)]).to.deep.equal([409, "NODE_ERR_AGREEMENT_REFUSED"]);
    // the union is no branch
    const byUnion = await ask(suite.chain.wallets.unionOps, {
      applicationId: "JDB-JOINT-REFUSED",
      terms: termsToJson(terms),
    });
    expect([byUnion.statusCode, code(byUnion)]).to.deep.equal([403, "NODE_ERR_ROLE"]);
  });
});
