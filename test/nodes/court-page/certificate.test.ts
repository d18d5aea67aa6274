// The signed verification certificate and its JSON report on a development chain and on any
// other: a development chain's (its id among the node's test chain ids, the rule GET
// /v1/environment states) carries the bilingual test-environment mark in the report and on the
// page, the other carries none; both stay one A4 page, signed with the seal, as pdfsig checks it,
// and read back by pdfjs-dist. Artifacts: test-artifacts/court-page/certificate-{test,production}.{pdf,png}.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { CHECK_IDS } from "../../../common/formats/bundle/verify.ts";
import { createDemoCa } from "../../../common/pki/demo-ca.ts";
import { certificatePdf } from "../../../nodes/src/court-page/certificate.ts";
import {
  REPORT_FORMAT,
  TEST_ENVIRONMENT_NOTICE,
  testEnvironmentOf,
  type VerificationReport,
} from "../../../nodes/src/court-page/report.ts";
import { signPdf, type SigningIdentity } from "../../../nodes/src/e-contract/sign.ts";

const ARTIFACTS = join("test-artifacts", "court-page");
const hex = (byte: string, bytes = 32) => `0x${byte.repeat(bytes)}`;

/** The submitter's and the verifying court's entries, as a governed directory lists them (fictional codes). */
const NAMED: VerificationReport["members"] = {
  source: "governed-directory",
  names: [
    {
      memberId: 2,
      nameZh: "杭州上城农村商业银行股份有限公司",
      nameEn: "Shangcheng Rural Bank",
      uscc: "91330102MA0000002F",
    },
    { memberId: 5, nameZh: "杭州互联网法院", nameEn: "Hangzhou Internet Court", uscc: "11330100MB00000056" },
  ],
};

/** A report as full as one gets: every check, three cosignatures, two TSA roots, the members named. */
function report(
  chainId: string,
  testChainIds: readonly number[],
  members: VerificationReport["members"] = NAMED,
): VerificationReport {
  const at = new Date().toISOString();
  return {
    format: REPORT_FORMAT,
    reportId: "JLR-20260101-0123456789",
    validationTime: at,
    verifier: {
      memberId: 5,
      node: "https://court.node.example:9604",
      seal: "CN=杭州互联网法院（演示） 核验专用章 (Demo), O=JointLedger Demo CA, C=CN",
    },
    policy: {
      trustAnchor: {
        name: "court copy",
        chainId,
        genesisHash: hex("ab"),
        consortiumRegistry: hex("cd", 20),
        fingerprint: "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      },
      chainEndpoints: ["https://rpc.court.node.example:8545"],
      minConfirmations: 0,
      membershipRule: "the submitter was an active consortium member at the anchoring block",
      witnessQuorum: { threshold: 2, of: ["court", "union"] },
      tsaRoots: [
        "CN=JointLedger Demo TSA Root (Demo), O=JointLedger Demo CA, C=CN",
        "CN=Another TSA Root, C=CN",
      ],
    },
    evidence: {
      leafHash: hex("11"),
      leafIndex: 1234,
      documentDigest: hex("22"),
      digestAlgorithm: "SHA-256",
      recordedDigest: hex("22"),
      submitter: 2,
      chainId,
      genesisHash: hex("ab"),
      consortiumRegistry: hex("cd", 20),
      evidenceLog: hex("ef", 20),
      evidenceRegistry: hex("12", 20),
      blockNumber: 987_654,
      blockHash: hex("33"),
      blockTime: at,
      transactionHash: hex("44"),
      rootHash: hex("55"),
      treeSize: 1_000_000,
      tsaTime: at,
      tsa: "CN=JointLedger Demo TSA 时间戳服务 (Demo), O=JointLedger Demo CA, C=CN",
    },
    witnesses: [
      {
        name: "log",
        policyName: "jointledger.local/evidence",
        role: "log",
        keyId: "a1b2c3d4",
        status: "verified",
      },
      {
        name: "court",
        policyName: "court",
        role: "witness",
        keyId: "b1b2c3d4",
        status: "verified",
        timestamp: 1_767_000_000,
      },
      {
        name: "union",
        policyName: "union",
        role: "witness",
        keyId: "c1b2c3d4",
        status: "verified",
        timestamp: 1_767_000_000,
      },
    ] as VerificationReport["witnesses"],
    members,
    simpleReport: { indication: "TOTAL_PASSED" },
    detailedReport: {
      checks: [...CHECK_IDS, "witnesses" as const].map((id) => ({
        id,
        indication: "PASSED" as const,
        reason: "ok",
      })),
    },
    testEnvironment: testEnvironmentOf(chainId, testChainIds),
  };
}

/** The text pdfjs-dist reads from each page, whitespace dropped; every line must sit within the page's margins. */
async function pdfPages(pdf: Uint8Array): Promise<string[]> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false });
  const doc = await task.promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    const items = content.items.flatMap((i) => ("str" in i && i.str.trim() !== "" ? [i] : []));
    // the page never grows: a line past the bottom margin would be cut off, not moved to a page 2
    const lowest = Math.min(...items.map((i) => i.transform[5] as number));
    expect(lowest, "the lowest line's baseline, in points from the bottom").to.be.at.least(24);
    pages.push(
      items
        .map((i) => i.str)
        .join("")
        .replace(/\s+/g, ""),
    );
  }
  await task.destroy();
  return pages;
}

describe("court-page/certificate: the test-environment mark of a development chain; members by legal name", function () {
  this.timeout(120_000);
  let seal: SigningIdentity;

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    const issued = await (await createDemoCa()).issueVerificationSeal("杭州互联网法院（演示）");
    seal = { certificatePem: issued.certificatePem, privateKey: issued.privateKey };
  });

  /** The certificate of `r`, signed as the node signs it, saved and rendered as `name`; its pages' text. */
  async function signedCertificate(r: VerificationReport, name: string): Promise<string[]> {
    const unsigned = await certificatePdf(r, `${r.verifier.node}/verify/reports/${r.reportId}`);
    const signed = await signPdf(unsigned, seal, {
      name: r.verifier.seal!,
      reason: "电子证据核验证明 evidence verification certificate",
      location: r.verifier.node,
      signingTime: new Date(r.validationTime),
    });
    const file = join(ARTIFACTS, `${name}.pdf`);
    await writeFile(file, signed);
    const pdfsig = execFileSync("pdfsig", [file], { encoding: "utf8" });
    expect(pdfsig).to.contain("Signature is Valid").and.contain("Total document signed");
    expect(execFileSync("pdfinfo", [file], { encoding: "utf8" }))
      .to.match(/^Pages:\s+1$/m)
      .and.match(/Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/);
    execFileSync("pdftoppm", ["-png", "-r", "80", "-singlefile", file, join(ARTIFACTS, name)]);
    return pdfPages(signed);
  }

  it("the JSON report of a development chain is marked by the node's test chain ids, others are not", function () {
    expect(testEnvironmentOf("31337", [31337])).to.deep.equal({
      chainId: "31337",
      notice: TEST_ENVIRONMENT_NOTICE,
    });
    expect(testEnvironmentOf("1337", [31337, 1337])).to.deep.equal({
      chainId: "1337",
      notice: TEST_ENVIRONMENT_NOTICE,
    });
    expect(testEnvironmentOf("20260", [31337])).to.equal(null);
    expect(testEnvironmentOf("31337", [])).to.equal(null);
    const json = JSON.parse(JSON.stringify(report("31337", [31337]))) as VerificationReport;
    expect(json.testEnvironment?.notice).to.equal("测试环境 — 非正式证据 / Test environment — not evidence");
  });

  it("a development chain's signed certificate says test environment, not evidence, on its one A4 page", async function () {
    const [page, ...more] = await signedCertificate(report("31337", [31337]), "certificate-test");
    expect(more).to.deep.equal([]);
    expect(page)
      .to.contain("测试环境—非正式证据/Testenvironment—notevidence")
      .and.contain("开发链（链ID31337）：本证明仅供测试，不得作为证据使用。")
      .and.contain("核验通过Verified·测试环境testenvironment")
      .and.contain("developmentchain:nothingisfinal");
  });

  it("another chain's certificate carries no such mark and states its finality as the node's configuration", async function () {
    const [page, ...more] = await signedCertificate(report("20260", [31337]), "certificate-production");
    expect(more).to.deep.equal([]);
    expect(page).to.contain("核验通过Verified").and.contain("0requiredbytheverifyingnode'sconfiguration");
    expect(page).to.not.contain("测试环境").and.not.contain("Testenvironment").and.not.contain("TEST");
  });

  it("names the submitter and the verifying node by their legal names in both languages with their credit codes", async function () {
    const [page] = await signedCertificate(report("31337", [31337]), "certificate-named");
    expect(page)
      .to.contain(
        "提交机构Submitter杭州上城农村商业银行股份有限公司ShangchengRuralBank·统一社会信用代码USCC91330102MA0000002F(成员member2)",
      )
      .and.contain("杭州互联网法院HangzhouInternetCourt·统一社会信用代码USCC11330100MB00000056(成员member5)");
    expect(page).to.not.contain("member2,").and.not.contain("notfromthegovernedmemberdirectory");
  });

  it("without a governed directory it names members by id and says the names are not from the directory", async function () {
    const none = { source: "none" as const, reason: "this node has no member directory", names: [] as [] };
    const [page] = await signedCertificate(report("31337", [31337], none), "certificate-unnamed");
    expect(page)
      .to.contain(
        "提交机构Submitter成员2（未取自受治理的成员名录）memberno.2(notfromthegovernedmemberdirectory)",
      )
      .and.not.contain("杭州上城");
  });
});
