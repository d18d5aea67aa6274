// The court's check of a loan's evidence package, on bundles built in memory over one log head:
// the complete package verifies and reproduces the loan's evidence chain; a withheld voucher, an
// altered original, an item of another loan and a voucher the chain never saw are each named; so are
// a withheld decision record or credit-query log, an application the loan id does not derive from,
// a decision of another application and a query log no decision was made on; a post-loan re-query's
// log the branch withholds is named through the union's log of the ask.
import { expect } from "chai";
import { checkPackage } from "../../../nodes/src/court-package/check.ts";
import { caseArchive } from "../../../nodes/src/court-package/archive.ts";
import {
  ArchiveFormatError,
  readStoredZip,
  verifyCaseArchive,
} from "../../../nodes/src/court-package/verify-archive.ts";
import { zipStored } from "../../../nodes/src/court-package/zip.ts";
import { assembleEvidenceSet, type EvidenceSetDeps } from "../../../nodes/src/court-package/evidence-set.ts";
import type { BundleVerifier } from "../../../nodes/src/court-package/check.ts";
import type { StoredNotice } from "../../../nodes/src/notices/notices.ts";
import { verifyOffline } from "../../../common/formats/bundle/verify.ts";
import { creditRecordsOf, unionPostLoanAsksOf } from "../../../nodes/src/court-package/credit-records.ts";
import type { StoredQueryLog } from "../../../nodes/src/bureau/consent.ts";
import type { StoredUnionQueryLog } from "../../../nodes/src/credit-service/union-credit.ts";
import type { DecisionRecord } from "../../../nodes/src/credit-decision/records.ts";
import { sha256Hex } from "../../support/bundle.fixture.ts";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { MemberNames } from "../../../nodes/src/court-page/report.ts";
import {
  APPLICATION,
  BORROWER,
  LOAN,
  QUERY_LEAF,
  CONSENT_LEAF,
  decisionDocument,
  byLabel,
  digestOf,
  facts,
  pkg,
  complete,
  completeWithRequery,
  all,
  originalOf,
} from "./package-fixture.ts";

describe("court package: each item against its bundle, together against the loan's evidence chain", function () {
  /** The complete package with the original of `label` replaced by `text`, checked. */
  const checkWithOriginal = (label: string, text: string) =>
    checkPackage(
      pkg(complete, (i) =>
        i.label === label ? { ...i, originalBase64: Buffer.from(text).toString("base64") } : i,
      ),
      facts,
    );

  it("the fixture's consent leaf is the one its decision names", function () {
    expect(byLabel("consent").leafHash).to.equal(CONSENT_LEAF);
    expect(byLabel("query").leafHash).to.equal(QUERY_LEAF);
  });

  it("the complete package verifies and reproduces the evidence chain on chain", async function () {
    const check = await checkPackage(pkg(complete), facts);
    expect(check.items.map((i) => i.outcome)).to.deep.equal(Array(complete.length).fill("verified"));
    expect(check.application).to.include({ recordId: APPLICATION.recordId, matches: true });
    expect(check.missing).to.deep.equal([]);
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check).to.deep.include({ ok: true, verdict: "verified", pending: [] });
  });

  it("a withheld voucher is named as missing and the chain is not reproduced", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "REP-1")), facts);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([{ role: "voucher", label: "REP-1", chainValue: digestOf("REP-1") }]);
    expect(check.evidenceChain).to.include({ reproduced: null, matches: false });
  });

  it("an altered original is named as altered (and so missing from the chain)", async function () {
    const check = await checkWithOriginal("DSB-1", "disbursement voucher, edited");
    expect(check.items.find((i) => i.label === "DSB-1")!.outcome).to.equal("altered");
    expect(check.missing.map((m) => m.label)).to.deep.equal(["DSB-1"]);
    expect(check.ok).to.equal(false);
  });

  it("an altered notice fails the package though the chain is reproduced", async function () {
    const check = await checkWithOriginal("reminder", "{}");
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.items.find((i) => i.label === "reminder")!.outcome).to.equal("altered");
    expect(check.ok).to.equal(false);
  });

  it("an item of another loan and a voucher the chain never recorded are each named", async function () {
    const check = await checkPackage(pkg([...complete, "REP-9", "REP-X"]), facts);
    expect(check.items.find((i) => i.label === "REP-9")!.outcome).to.equal("wrong-loan");
    expect(check.items.find((i) => i.label === "REP-X")!.outcome).to.equal("unexpected");
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.ok).to.equal(false);
  });

  it("a bundle for another leaf, or no bundle, is a bad bundle", async function () {
    const check = await checkPackage(
      pkg(complete, (i) =>
        i.label === "consent"
          ? { ...i, bundle: byLabel("DSB-1").bundle }
          : i.label === "REP-1"
            ? { ...i, bundle: {} }
            : i,
      ),
      facts,
    );
    expect(check.items.find((i) => i.label === "consent")!.outcome).to.equal("bad-bundle");
    expect(check.items.find((i) => i.label === "REP-1")!.outcome).to.equal("bad-bundle");
    expect(check.missing.map((m) => m.label)).to.deep.equal(["credit-query consent", "REP-1"]);
  });

  it("a withheld decision record is named, and so is the query it was made on", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "decision")), facts);
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([
      {
        role: "decision",
        label: `the credit decision approving application ${APPLICATION.recordId}`,
        chainValue: CONSENT_LEAF,
      },
    ]);
    // with no decision naming it, the query log is one the loan's records never read
    expect(check.items.find((i) => i.label === "query")!.outcome).to.equal("unexpected");
  });

  it("a withheld credit-query log is named by its leaf", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "query")), facts);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([
      { role: "credit-query", label: "the credit query a decision was made on", chainValue: QUERY_LEAF },
    ]);
  });

  it("a post-loan re-query's log verifies; the branch withholding it is named by the union's log of the ask", async function () {
    const full = await checkPackage(pkg(completeWithRequery), facts);
    expect(full.items.map((i) => i.outcome)).to.deep.equal(
      Array(completeWithRequery.length).fill("verified"),
    );
    expect(full.ok).to.equal(true);
    const withheld = await checkPackage(
      pkg(completeWithRequery.filter((l) => l !== "post-loan query")),
      facts,
    );
    expect(withheld.evidenceChain.matches).to.equal(true);
    expect(withheld.ok).to.equal(false);
    expect(withheld.missing).to.deep.equal([
      {
        role: "credit-query",
        label: "the branch's log of its post-loan re-query (report 0x02) the union logged",
        chainValue: byLabel("union log of the post-loan query").leafHash,
      },
    ]);
  });

  it("a union log of another member's ask is named as unexpected", async function () {
    const check = await checkPackage(
      pkg([...completeWithRequery, "union log of another member's ask"]),
      facts,
    );
    expect(check.items.find((i) => i.label === "union log of another member's ask")!.outcome).to.equal(
      "unexpected",
    );
    expect(check.missing).to.deep.equal([]);
    expect(check.ok).to.equal(false);
  });

  it("an altered decision record is named as altered and the approving decision as missing", async function () {
    const check = await checkWithOriginal("decision", decisionDocument("app-record-9"));
    expect(check.items.find((i) => i.label === "decision")!.outcome).to.equal("altered");
    expect(check.missing.map((m) => m.role)).to.deep.equal(["decision"]);
    expect(check.ok).to.equal(false);
  });

  it("a decision of another application and a query no decision read are each named", async function () {
    const check = await checkPackage(
      pkg([...complete, "decision of another application", "query no decision read"]),
      facts,
    );
    expect(check.items.find((i) => i.label === "decision of another application")!.outcome).to.equal(
      "wrong-loan",
    );
    expect(check.items.find((i) => i.label === "query no decision read")!.outcome).to.equal("unexpected");
    expect(check.missing).to.deep.equal([]);
    expect(check.ok).to.equal(false);
  });

  it("an application the loan id is not derived from, or none, is named as missing", async function () {
    for (const application of [{ ...APPLICATION, originator: 8 }, undefined]) {
      const { application: _drop, ...rest } = pkg(complete);
      const check = await checkPackage(application === undefined ? rest : { ...rest, application }, facts);
      expect(check.ok).to.equal(false);
      expect(check.missing.map((m) => [m.role, m.chainValue])).to.deep.include(["application", LOAN]);
      // the decision cannot be tied to an application the loan does not come from
      expect(check.missing.map((m) => m.role)).to.include("decision");
    }
  });

  it("exports one case archive: originals, bundles, a manifest with every result, a bilingual certificate", async function () {
    const withheld = pkg(complete.filter((l) => l !== "REP-1"));
    const check = await checkPackage(withheld, facts);
    const { zip, manifest } = await caseArchive(withheld, check, new Date(1_767_225_600_000));
    expect(manifest.loanId).to.equal(LOAN);
    const files = new Map([...readStoredZip(zip)].map(([name, bytes]) => [name, Buffer.from(bytes)]));
    expect([...files.keys()].slice(0, 2)).to.deep.equal(["manifest.json", "certificate.pdf"]);
    const read = JSON.parse(files.get("manifest.json")!.toString("utf8")) as typeof manifest;
    expect(read.ok).to.equal(false);
    expect(read.missing.map((m) => m.label)).to.deep.equal(["REP-1"]);
    expect(read.items).to.have.length(complete.length - 1);
    for (const item of read.items) {
      expect(item.outcome).to.equal("verified");
      expect(sha256Hex(files.get(item.original)!)).to.equal(item.sha256);
      expect(JSON.parse(files.get(item.bundle)!.toString("utf8")).leaf.leafHash).to.equal(item.leafHash);
    }
    expect(files.get("certificate.pdf")!.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
  });

  it("the archive's certificate names both members by legal name and code from the governed directory, else by marked id", async function () {
    const full = pkg(complete);
    const check = await checkPackage(full, facts);
    const governed: MemberNames = {
      source: "governed-directory",
      // the supplying branch (member 2) and the loan's originator
      names: (
        [
          [2, "杭州上城农村商业银行股份有限公司", "Shangcheng Rural Bank", "91330102MA0000002F"],
          [APPLICATION.originator, "杭州助贷平台有限公司", "Hangzhou Lending Platform", "91330100MA0000007X"],
        ] as const
      ).map(([memberId, nameZh, nameEn, uscc]) => ({ memberId, nameZh, nameEn, uscc })),
    };
    /** The text of the certificate's first page (the members are named there), whitespace dropped. */
    const certificate = async (members?: MemberNames) => {
      const { zip } = await caseArchive(full, check, new Date(1_767_225_600_000), members);
      const task = getDocument({
        data: new Uint8Array(readStoredZip(zip).get("certificate.pdf")!),
        useSystemFonts: false,
      });
      const doc = await task.promise;
      const texts: string[] = [];
      for (const i of (await (await doc.getPage(1)).getTextContent()).items)
        if ("str" in i) texts.push(i.str);
      await task.destroy();
      return { text: texts.join("").replace(/\s+/g, "") };
    };
    const squeeze = (s: string) => s.replace(/\s+/g, "");

    const named = await certificate(governed);
    expect(named.text).to.include(
      squeeze(
        "提供方 From member: 杭州上城农村商业银行股份有限公司 Shangcheng Rural Bank · 统一社会信用代码 USCC 91330102MA0000002F (成员 member 2)",
      ),
    );
    expect(named.text).to.include(
      squeeze(
        `(发起方 originator 杭州助贷平台有限公司 Hangzhou Lending Platform · 统一社会信用代码 USCC 91330100MA0000007X (成员 member ${APPLICATION.originator}))`,
      ),
    );
    expect(named.text).not.to.include(squeeze("未取自受治理的成员名录"));

    for (const unnamed of [
      await certificate(),
      await certificate({ source: "none", reason: "the chain refutes the file", names: [] }),
    ]) {
      expect(unnamed.text).to.include(
        squeeze(
          "提供方 From member: 成员 2（未取自受治理的成员名录）member no. 2 (not from the governed member directory)",
        ),
      );
      expect(unnamed.text).to.include(
        squeeze(`(发起方 originator 成员 ${APPLICATION.originator}（未取自受治理的成员名录）`),
      );
      expect(unnamed.text).not.to.include("91330102MA0000002F");
    }
  });

  it("the case archive verifies from its own bytes: every item against its bundle, offline", async function () {
    const full = pkg(complete);
    const { zip } = await caseArchive(full, await checkPackage(full, facts), new Date(1_767_225_600_000));
    const report = verifyCaseArchive(zip);
    expect(report).to.deep.include({ loanId: LOAN, ok: true, unlisted: [] });
    expect(report.items.map((i) => i.label)).to.deep.equal(complete);
    for (const item of report.items) {
      expect(item).to.deep.include({ ok: true, problems: [] });
      expect(item.checks.filter((c) => c.outcome === "pass").map((c) => c.id)).to.include.members([
        "digest",
        "leafEncoding",
        "merklePath",
      ]);
    }
    // what the court's node found missing against the chain stays in the report
    const withheld = pkg(complete.filter((l) => l !== "REP-1"));
    const partial = await caseArchive(
      withheld,
      await checkPackage(withheld, facts),
      new Date(1_767_225_600_000),
    );
    const short = verifyCaseArchive(partial.zip);
    expect(short.ok).to.equal(false);
    expect(short.items.every((i) => i.ok)).to.equal(true);
    expect(short.recorded.missing.map((m) => m.label)).to.deep.equal(["REP-1"]);
  });

  it("an original altered inside the archive, a file taken out or one slipped in are each named", async function () {
    const full = pkg(complete);
    const { zip, manifest } = await caseArchive(
      full,
      await checkPackage(full, facts),
      new Date(1_767_225_600_000),
    );
    const entries = [...readStoredZip(zip)].map(([name, bytes]) => ({ name, bytes }));
    const reminder = manifest.items.find((i) => i.label === "reminder")!;
    const contract = manifest.items.find((i) => i.label === "loan contract")!;
    const edited = entries
      .filter((e) => e.name !== contract.bundle)
      .map((e) =>
        e.name === reminder.original ? { ...e, bytes: Buffer.from('{"noticeId":"REMINDER"}') } : e,
      );
    edited.push({ name: "originals/99-voucher.bin", bytes: Buffer.from("a voucher nobody listed") });
    const report = verifyCaseArchive(zipStored(edited, new Date(1_767_225_600_000)));
    expect(report.ok).to.equal(false);
    const of = (label: string) => report.items.find((i) => i.label === label)!;
    expect(of("reminder").ok).to.equal(false);
    expect(of("reminder").checks.find((c) => c.id === "digest")!.outcome).to.equal("fail");
    expect(of("reminder").problems[0]).to.deep.include({ code: "sha256-mismatch", file: reminder.original });
    expect(of("reminder").problems[0]!.reason).to.include("SHA-256 is not the manifest's");
    expect(of("loan contract")).to.deep.include({
      ok: false,
      problems: [
        { code: "missing-file", file: contract.bundle, reason: `${contract.bundle} is not in the archive` },
      ],
    });
    expect(report.items.filter((i) => i.ok)).to.have.length(complete.length - 2);
    expect(report.unlisted).to.deep.equal(["originals/99-voucher.bin"]);
    expect(() => verifyCaseArchive(Buffer.from("not a zip")))
      .to.throw(ArchiveFormatError)
      .with.property("code", "not-zip");
  });
});

describe("court package: records pending anchoring, and one status per item", function () {
  const SENT_AT = 1_767_225_000;
  /** The branch's and the union's records as one owning node holds them; `anchored`: leaves with a bundle now. */
  const owningNode = (anchored: (leafHash: string) => boolean): EvidenceSetDeps => ({
    memberId: 2,
    model: {
      loan: () =>
        Promise.resolve({
          loanId: LOAN,
          borrowerKey: BORROWER,
          branch: 2,
          evidence: { contractLeaf: facts.contractLeaf, consentLeaf: facts.consentLeaf },
        }),
      flowsByLoan: () =>
        Promise.resolve(
          ["DSB-1", "REP-1"].map((serial, n) => ({
            serial,
            voucher: digestOf(serial),
            blockNumber: 10 + n,
            logIndex: 0,
          })),
        ),
    } as unknown as EvidenceSetDeps["model"],
    loanDocuments: () =>
      Promise.resolve(
        ["loan contract", "DSB-1", "REP-1"].map((label) => ({
          sha256: digestOf(label),
          bytes: Buffer.from(originalOf(label)),
        })),
      ),
    documentByDigest: (sha256) =>
      Promise.resolve(sha256 === digestOf("consent") ? Buffer.from(originalOf("consent")) : undefined),
    leavesOfDigest: (digest) =>
      Promise.resolve(
        ["DSB-1", "REP-1"].filter((l) => digestOf(l) === digest).map((l) => byLabel(l).leafHash),
      ),
    notices: {
      forLoan: () =>
        Promise.resolve([
          {
            noticeId: "reminder",
            attempt: 1,
            original: originalOf("reminder"),
            leafHash: byLabel("reminder").leafHash,
            receipts: [{ messageId: "m1", channel: "sms", status: "delivered", at: SENT_AT }],
          },
        ] as unknown as StoredNotice[]),
    },
    credit: () =>
      Promise.resolve({
        application: APPLICATION,
        decisions: [
          { leafHash: byLabel("decision").leafHash, document: originalOf("decision"), label: "decision" },
        ],
        queries: [{ leafHash: byLabel("query").leafHash, document: originalOf("query"), label: "query" }],
      }),
    bundle: (leafHash) => {
      const item = all.find((i) => i.leafHash === leafHash);
      if (item === undefined || !anchored(leafHash))
        return Promise.reject(
          Object.assign(new Error(`${leafHash} is not anchored yet`), { code: "ANCHOR_CLIENT_NOT_ANCHORED" }),
        );
      return Promise.resolve(item.bundle);
    },
  });

  it("a notice not yet anchored is named as pending, and the verdict is incomplete until it is in", async function () {
    const reminder = byLabel("reminder").leafHash;
    const early = await assembleEvidenceSet(
      owningNode((leaf) => leaf !== reminder),
      LOAN,
    );
    expect(early.items.map((i) => i.role)).to.not.include("notice");
    const pending = { role: "notice", label: "reminder #1", leafHash: reminder };
    expect(early.pending).to.deep.equal([{ ...pending, since: new Date(SENT_AT * 1000).toISOString() }]);
    const check = await checkPackage(early, facts);
    // named pending: not verified, not missing (withheld), and the package not complete
    expect(check.verdict).to.equal("incomplete");
    expect(check.ok).to.equal(false);
    expect(check.pending).to.deep.equal(early.pending);
    expect(check.missing).to.deep.equal([]);
    expect(check.items.map((i) => i.outcome)).to.deep.equal(Array(check.items.length).fill("verified"));
    const archived = await caseArchive(early, check, new Date(1_767_225_600_000));
    expect(archived.manifest).to.deep.include({ verdict: "incomplete", pending: check.pending });
    const read = verifyCaseArchive(archived.zip);
    expect(read.ok).to.equal(false);
    expect(read.recorded).to.deep.include({ verdict: "incomplete", pending: check.pending });

    // once its head is committed, the same package check passes
    const later = await assembleEvidenceSet(
      owningNode(() => true),
      LOAN,
    );
    expect(later.pending).to.equal(undefined);
    const passed = await checkPackage(later, facts);
    expect(passed).to.deep.include({ verdict: "verified", ok: true, pending: [], missing: [] });
    expect(passed.items.find((i) => i.role === "notice")).to.include({
      label: "reminder #1",
      outcome: "verified",
    });
  });

  it("a voucher pending anchoring is named pending, not withheld", async function () {
    const rep = byLabel("REP-1").leafHash;
    const pkgNow = await assembleEvidenceSet(
      owningNode((leaf) => leaf !== rep),
      LOAN,
    );
    expect(pkgNow.pending).to.deep.equal([{ role: "voucher", label: "REP-1", leafHash: rep, since: null }]);
    const check = await checkPackage(pkgNow, facts);
    expect(check).to.deep.include({ verdict: "incomplete", ok: false, missing: [] });
    expect(check.evidenceChain.matches).to.equal(false);
  });

  it("an item whose anchoring time fails is original-verified, never verified beside the failure", async function () {
    const TIME_FAILURE =
      "the block time 2027-01-22T00:00:00Z is 47 days after the intake receipt's 2026-12-06T00:00:00Z";
    const timeMoved: BundleVerifier = (bundle, documentDigest) =>
      Promise.resolve(
        verifyOffline(bundle, { documentDigest }).map((c) =>
          c.id === "blockAndTime" && bundle.leaf.leafHash === byLabel("REP-1").leafHash
            ? { ...c, outcome: "fail" as const, reason: TIME_FAILURE }
            : c,
        ),
      );
    const full = pkg(complete);
    const check = await checkPackage(full, facts, timeMoved);
    const rep = check.items.find((i) => i.label === "REP-1")!;
    expect(rep.outcome).to.equal("original-verified");
    expect(rep.failed).to.deep.equal([{ id: "blockAndTime", reason: TIME_FAILURE }]);
    expect(rep.passed).to.include.members(["digest", "leafEncoding", "merklePath"]);
    expect(rep.passed).to.not.include("blockAndTime");
    // in words, Chinese first: the status and exactly which check failed
    expect(rep.summary).to.match(
      /^原件一致，部分检查未通过 original matches, some checks failed; 通过 passed: 摘要 digest/,
    );
    expect(rep.summary).to.include("未通过 failed: 区块与时间 block and time");
    expect(rep.reason)
      .to.include("not every check passed")
      .and.include(`failed: blockAndTime (${TIME_FAILURE})`);
    // every other item: verified, and its reason names no failure
    for (const item of check.items.filter((i) => i.label !== "REP-1")) {
      expect(item.outcome).to.equal("verified");
      expect(item.failed).to.deep.equal([]);
      expect(item.reason).to.not.include("failed");
      expect(item.summary)
        .to.match(/^核验通过 verified; /)
        .and.not.include("未通过");
    }
    // the original still counts for the evidence chain: complete, with the exception named
    expect(check).to.deep.include({ verdict: "verified-with-exceptions", ok: true });
    const { manifest } = await caseArchive(full, check, new Date(1_767_225_600_000));
    expect(manifest.items.find((i) => i.label === "REP-1")).to.deep.include({
      outcome: "original-verified",
      failed: rep.failed,
      passed: rep.passed,
    });
    expect(manifest.verdict).to.equal("verified-with-exceptions");
  });
});

describe("court package: the credit records each node hands over", function () {
  const anchor = (leafHash: string) => ({ leafHash, sequence: 1, anchoredAt: "2026-02-01T00:00:00.000Z" });
  const branchLog = (leaf: string, purpose: "LOAN_APPROVAL" | "POST_LOAN_MANAGEMENT") =>
    ({
      document: `{"purpose":"${purpose}"}`,
      digest: "0x",
      salt: "0x",
      anchor: anchor(leaf),
      borrowerKey: BORROWER,
      entry: { who: "u", when: "2026-02-01T00:00:00.000Z", purpose, reportDigest: "0x02" },
      consentLeafHash: CONSENT_LEAF,
    }) satisfies StoredQueryLog;

  it("the branch's set carries the query its decision read and every post-loan re-query, no other", async function () {
    const records = creditRecordsOf({
      applicationOfLoan: () => Promise.resolve(APPLICATION.recordId),
      application: () => Promise.resolve({ ...APPLICATION, borrowerKey: BORROWER }),
      decisions: () =>
        Promise.resolve([
          {
            queryLeafHash: "0xa1",
            anchor: anchor("0xd1"),
            document: "{}",
            outcome: "approve",
            decisionId: "d1",
          },
        ] as unknown as DecisionRecord[]),
      queryLogs: () =>
        Promise.resolve([
          branchLog("0xa1", "LOAN_APPROVAL"),
          branchLog("0xa2", "LOAN_APPROVAL"),
          branchLog("0xa3", "POST_LOAN_MANAGEMENT"),
        ]),
    });
    const held = await records(LOAN);
    expect(held!.queries.map((q) => q.leafHash)).to.deep.equal(["0xa1", "0xa3"]);
  });

  it("the union's set carries its logs of the loan's branch's post-loan asks only", async function () {
    const unionLog = (leaf: string, asker: number, purpose: "LOAN_APPROVAL" | "POST_LOAN_MANAGEMENT") =>
      ({
        document: "{}",
        digest: "0x",
        salt: "0x",
        anchor: anchor(leaf),
        borrowerKey: BORROWER,
        entry: {
          asker,
          who: "u",
          when: "2026-02-01T00:00:00.000Z",
          purpose,
          reportDigest: "0x02",
          channel: "primary",
          cached: false,
          consentLeafHash: CONSENT_LEAF,
        },
      }) satisfies StoredUnionQueryLog;
    const asks = unionPostLoanAsksOf(() =>
      Promise.resolve([
        unionLog("0xb1", 2, "POST_LOAN_MANAGEMENT"),
        unionLog("0xb2", 2, "LOAN_APPROVAL"),
        unionLog("0xb3", 3, "POST_LOAN_MANAGEMENT"),
      ]),
    );
    expect((await asks(BORROWER, 2)).map((a) => a.leafHash)).to.deep.equal(["0xb1"]);
  });
});
