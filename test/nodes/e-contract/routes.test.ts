// The e-contract routes (nodes/src/http/routes/e-contracts.ts) on an app built without listening:
// a draft from a stored application carries its terms and the all-in cost; a contract signed by
// the borrower and sealed by the branch verifies with both signers named; an unsigned one, one
// from an untrusted CA and a tampered one are refused with their codes; a court clerk's token is
// refused before anything runs.
import { expect } from "chai";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { dayToDate, shanghaiDay } from "../../../common/lending/dates.ts";
import { parseYuan } from "../../../common/lending/money.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import { DEMO_POLICY, createDemoCa } from "../../../common/pki/demo-ca.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import type { StoredApplication } from "../../../nodes/src/applications.ts";
import { LoanContracts } from "../../../nodes/src/e-contract/contracts.ts";
import { signPdf } from "../../../nodes/src/e-contract/sign.ts";
import { percentOf } from "../../../nodes/src/e-contract/terms.ts";
import { buildNodeApp } from "../../../nodes/src/http/app.ts";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";

const BRANCH = 2;
const PLATFORM = 4;

function storedApplication(): StoredApplication {
  return {
    applicationId: "app_0123456789abcdef01234567",
    borrowerKey: `0x${"ab".repeat(32)}`,
    assignedBranch: BRANCH,
    channel: "jiedaibao",
    createdAt: new Date().toISOString(),
    application: {
      channel: "jiedaibao",
      applicationId: "JDB-1",
      platformMemberId: PLATFORM,
      borrower: {
        name: "李四",
        idType: "RESIDENT_ID",
        idNumber: "11010519491231002X",
        phone: "13800138000",
        regionCode: 330106,
        bankAccount: "6222020200112233",
      },
      loan: {
        principalFen: parseYuan("30000"),
        termMonths: 6,
        aprBps: 1500,
        method: RepaymentMethod.EqualInstallment,
        purpose: "经营周转",
        fees: [{ name: "服务费", amountFen: parseYuan("30"), due: "monthly" }],
      },
      consent: { signedAt: new Date().toISOString(), documentDigest: `0x${"cd".repeat(32)}` },
      receivedAt: new Date().toISOString(),
    },
  };
}

describe("node HTTP: e-contract routes", function () {
  this.timeout(60_000);

  async function setup() {
    const ca = await createDemoCa();
    const contracts = new LoanContracts({
      memberId: BRANCH,
      applications: { get: async () => storedApplication() },
      partyOf: async (id) =>
        id === BRANCH
          ? { name: "西湖农商银行", identifier: "91330100MA27XXXX1A" }
          : { name: "联合金融科技", identifier: "91330100MA27YYYY2B" },
      disputeResolution: { kind: "court", body: "杭州市西湖区人民法院" },
      penaltyAprBps: async () => 600,
      place: "杭州",
      anchors: trustAnchorsFromPem([ca.certificatePem]),
      roles: { borrower: [DEMO_POLICY.borrowerSignature], branchSeal: [DEMO_POLICY.branchSeal] },
    });
    const app = await buildNodeApp({
      logger: false,
      memberId: BRANCH,
      users: [
        { user: "clerk", role: "clerk", tokenSha256: tokenSha256("clerk-token") },
        { user: "court", role: "court-clerk", tokenSha256: tokenSha256("court-token") },
      ],
      ops: {} as never,
      cases: {} as never,
      eContracts: contracts,
      ready: () => ({ ready: true, detail: {} }),
    });
    return { ca, app };
  }

  it("drafts a contract from the application and verifies the signed one; refuses unsigned, untrusted and tampered ones", async () => {
    const { ca, app } = await setup();
    const startDate = dayToDate(shanghaiDay(Math.floor(Date.now() / 1000)));
    const auth = { authorization: "Bearer clerk-token" };
    const draft = await app.inject({
      method: "POST",
      url: "/v1/applications/app_0123456789abcdef01234567/contract-draft",
      headers: auth,
      payload: { startDate, platformShareBps: 3000 },
    });
    expect(draft.statusCode, draft.body).to.equal(200);
    const d = draft.json<{
      contractPdfBase64: string;
      keyFactsPdfBase64: string;
      allInAprBps: number;
      contractDigest: string;
    }>();
    expect(d.allInAprBps).to.be.greaterThan(1500);
    const pdf = Buffer.from(d.contractPdfBase64, "base64");
    const task = getDocument({ data: new Uint8Array(pdf) });
    const doc = await task.promise;
    const first = (await (await doc.getPage(1)).getTextContent()).items
      .map((i) => ("str" in i ? i.str : ""))
      .join("")
      .replace(/\s+/g, "");
    await task.destroy();
    expect(first)
      .to.contain(`综合年化成本：${percentOf(d.allInAprBps)}`)
      .and.contain("李四")
      .and.contain("西湖农商银行")
      .and.contain("联合金融科技")
      .and.contain("************2233");

    const borrower = await ca.issueBorrowerCertificate("李四");
    const seal = await ca.issueBranchSeal("西湖农商银行");
    const signed = await signPdf(
      await signPdf(pdf, borrower, { name: "Li Si", reason: "Borrower", location: "Hangzhou" }),
      seal,
      { name: "Branch", reason: "Seal", location: "Hangzhou" },
    );
    const ok = await app.inject({
      method: "POST",
      url: "/v1/contract-verifications",
      headers: auth,
      payload: { contractBase64: Buffer.from(signed).toString("base64") },
    });
    expect(ok.statusCode, ok.body).to.equal(200);
    const v = ok.json<{ signatures: Array<{ subject: string; role: string }> }>();
    expect(v.signatures.map((s) => s.role)).to.deep.equal(["borrower", "branchSeal"]);
    expect(v.signatures[0]!.subject).to.contain("李四");

    const code = async (bytes: Uint8Array) => {
      const r = await app.inject({
        method: "POST",
        url: "/v1/contract-verifications",
        headers: auth,
        payload: { contractBase64: Buffer.from(bytes).toString("base64") },
      });
      expect(r.statusCode).to.equal(422);
      return r.json<{ error: { code: string } }>().error.code;
    };
    expect(await code(pdf)).to.equal("NODE_ERR_CONTRACT_UNSIGNED");
    const other = await createDemoCa({ name: "Other Root 演示用" });
    const foreign = await signPdf(
      await signPdf(pdf, await other.issueBorrowerCertificate("李四"), {
        name: "x",
        reason: "x",
        location: "x",
      }),
      await other.issueBranchSeal("西湖农商银行"),
      { name: "x", reason: "x", location: "x" },
    );
    expect(await code(foreign)).to.equal("NODE_ERR_CONTRACT_UNTRUSTED_CA");
    const tampered = new Uint8Array(signed);
    const at = Buffer.from(signed).indexOf("/MediaBox");
    tampered[at + 2] = tampered[at + 2]! ^ 0x01;
    expect(await code(tampered)).to.equal("NODE_ERR_CONTRACT_DIGEST_MISMATCH");

    const court = await app.inject({
      method: "POST",
      url: "/v1/contract-verifications",
      headers: { authorization: "Bearer court-token" },
      payload: { contractBase64: "AA==" },
    });
    expect(court.statusCode).to.equal(403);
    await app.close();
  });
});
