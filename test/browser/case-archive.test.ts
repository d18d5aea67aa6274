// The court page's case archive screen in a real browser (Debian's Chromium, playwright-core)
// against a real Anvil chain: a loan registered on JointLoanLedger with its contract and consent
// leaves and disbursed with its voucher, every item anchored by a live anchor service under heads
// committed to EvidenceLog. The court's node serves the page (its config names the chain endpoint
// and the ledger); the clerk chooses the ZIP and the page verifies every item from the archive's
// bytes and then runs the chain side itself, over JSON-RPC to Anvil alone: each bundle against the
// EvidenceLog heads, the items together against the loan's evidenceChain. A genuine archive is
// verified item by item; one with the voucher taken out (its manifest entry too, so the archive
// is consistent in itself) is named missing by the chain check; one whose notice was altered is
// named altered; one with a notice pending anchoring is incomplete, the notice named. The court's node is on a development chain: the page says so. Screenshots in
// Chinese and English are written to test-artifacts/browser/.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Page } from "playwright-core";
import { buildPageModules } from "../../anchor-service/web/src/build.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { readTrustAnchor, type TrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { RepaymentMethod } from "../../common/lending/schedule.ts";
import { caseArchive, type Manifest } from "../../nodes/src/court-package/archive.ts";
import { readChainFacts } from "../../nodes/src/court-package/chain-facts.ts";
import {
  checkPackage,
  type EvidencePackage,
  type EvidenceRole,
} from "../../nodes/src/court-package/check.ts";
import { readStoredZip } from "../../nodes/src/court-package/verify-archive.ts";
import { zipStored } from "../../nodes/src/court-package/zip.ts";
import { consortiumView } from "../../nodes/src/member-names.ts";
import { ACCOUNT_OF, termsFor } from "../contracts/lending.fixture.ts";
import { BRANCH_A, PLATFORM, startLendingChain, type LendingChain } from "../nodes/indexer/lending-chain.ts";
import { submitOverHttp } from "../support/anchor-suite.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { clerkNodeApp } from "../support/node-app.ts";
import { sha256Hex } from "../support/bundle.fixture.ts";

const ARTIFACTS = join("test-artifacts", "browser");

/** The loan's application on the platform: the loan id derives from it. */
const APPLICATION = { applicationId: "PLT-CASE-2026-0042", originator: PLATFORM, recordId: "app-record-42" };
const APPLICATION_SERIAL = keccak256(toUtf8Bytes(APPLICATION.applicationId));
const LOAN = loanIdOf(PLATFORM, APPLICATION_SERIAL).toLowerCase();
const DISBURSEMENT_SERIAL = keccak256(toUtf8Bytes("DSB-2026-0042"));

type Spec = {
  role: EvidenceRole;
  label: string;
  original: string;
  kind: number;
  subject: "loan" | "borrower";
};

describe("court page: the case archive verified in the browser against the chain", function () {
  this.timeout(240_000);
  let lc: LendingChain;
  let anchorService: AnchorService;
  let anchorUrl: string;
  let dataDir: string;
  let court: FastifyInstance;
  let courtUrl: string;
  let browser: Chromium;
  let trustAnchor: TrustAnchor;
  let pkg: EvidencePackage;
  let genuine: Uint8Array;
  let ledgerAddress: string;

  before(async function () {
    browser = await launchChromium({ locale: "zh-CN" });
    await mkdir(ARTIFACTS, { recursive: true });
    await buildPageModules();
    lc = await startLendingChain();
    const { chain } = lc;
    dataDir = await mkdtemp(join(tmpdir(), "case-archive-page-"));
    anchorService = await createAnchorService({
      config: chain.config({ dataDir, commitIntervalMs: 200 }),
      inMemory: true,
      logger: false,
    });
    await anchorService.start();
    anchorUrl = await anchorService.app.listen({ host: "127.0.0.1", port: 0 });
    ledgerAddress = (await lc.ledger.getAddress()).toLowerCase();

    const terms = termsFor({
      serial: APPLICATION_SERIAL,
      principalFen: 1_000_000n,
      aprBps: 1800,
      method: RepaymentMethod.EqualInstallment,
      startDate: dayToDate(await lc.today()),
      termMonths: 6,
      platformShareBps: 0,
      branch: BRANCH_A,
    });
    const subjects = { loan: LOAN, borrower: terms.borrowerKey.toLowerCase() };
    // the consent and the query are named by the decision record: their leaves first
    const first: Spec[] = [
      {
        role: "contract",
        label: "loan contract",
        original: "借款合同 LN-2026-0042 (PDF)",
        kind: EvidenceKind.Contract,
        subject: "loan",
      },
      {
        role: "consent",
        label: "credit-query consent",
        original: "征信查询授权书 CS-2026-0042 (PDF)",
        kind: EvidenceKind.Consent,
        subject: "borrower",
      },
      {
        role: "credit-query",
        label: "LOAN_APPROVAL query",
        original:
          '{"purpose":"LOAN_APPROVAL","reportDigest":"0x01","when":"2026-12-01T02:00:00.000Z","who":"approver"}',
        kind: EvidenceKind.CreditQuery,
        subject: "borrower",
      },
      {
        role: "voucher",
        label: DISBURSEMENT_SERIAL,
        original: "放款凭证 DSB-2026-0042: 10,000.00 CNY",
        kind: EvidenceKind.FundFlowVoucher,
        subject: "loan",
      },
      {
        role: "notice",
        label: "reminder-1 #1",
        original:
          '{"noticeId":"reminder-1","templateId":"overdue-reminder","channel":"sms","status":"delivered"}',
        kind: EvidenceKind.LifecycleNotice,
        subject: "loan",
      },
    ];
    const leavesOf = async (specs: Spec[]) => {
      const receipts = await submitOverHttp(
        anchorUrl,
        chain,
        specs.map((s) => ({
          kind: s.kind,
          digestAlgorithm: 1,
          digest: sha256Hex(s.original),
          salt: `0x${randomBytes(32).toString("hex")}`,
          subject: subjects[s.subject],
        })),
      );
      return receipts.map((r) => r.leafHash.toLowerCase());
    };
    const firstLeaves = await leavesOf(first);
    const decision: Spec = {
      role: "decision",
      label: "decision approve",
      original: JSON.stringify({
        applicationId: APPLICATION.recordId,
        consentLeafHash: firstLeaves[1],
        outcome: "approve",
        queryLeafHash: firstLeaves[2],
      }),
      kind: EvidenceKind.CreditDecision,
      subject: "borrower",
    };
    const specs = [...first, decision];
    const leaves = [...firstLeaves, ...(await leavesOf([decision]))];
    const bundles = await Promise.all(leaves.map(waitForBundle));

    // the loan on chain: its contract and consent leaves, then the disbursement's voucher
    const { loanId } = await lc.register({ ...terms, contractLeaf: leaves[0]!, consentLeaf: leaves[1]! });
    expect(loanId.toLowerCase()).to.equal(LOAN);
    await lc.send(
      lc.ledgerAs(BRANCH_A).getFunction("disburse")(
        LOAN,
        terms.principal,
        ACCOUNT_OF[BRANCH_A]!,
        DISBURSEMENT_SERIAL,
        sha256Hex(specs[3]!.original),
      ),
    );

    pkg = {
      loanId: LOAN,
      owner: BRANCH_A,
      application: APPLICATION,
      items: specs.map((s, i) => ({
        role: s.role,
        label: s.label,
        leafHash: leaves[i]!,
        originalBase64: Buffer.from(s.original).toString("base64"),
        bundle: bundles[i],
      })),
    };
    trustAnchor = await readTrustAnchor(chain.anvil.provider, {
      consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
      name: "court",
    });
    // the court's node's own check, from the chain's facts: the archive the clerk downloads
    const facts = await readChainFacts(chain.anvil.provider, ledgerAddress, LOAN);
    const check = await checkPackage(pkg, facts);
    expect(check.verdict).to.equal("verified");
    genuine = (await caseArchive(pkg, check, new Date())).zip;

    // the court's node serving the page: its chain endpoint, trust anchor and ledger; a development chain
    const { chainId } = await chain.anvil.provider.getNetwork();
    court = await clerkNodeApp(
      {},
      {
        courtPage: {
          chainEndpoints: [chain.anvil.url],
          trustAnchor: async () => trustAnchor,
          tsaTrustAnchors: null,
          loanLedger: ledgerAddress,
          publicUrl: () => courtUrl,
        },
        consortium: consortiumView({
          chainId,
          testChainIds: [Number(chainId)],
          directoryFile: undefined,
          provider: chain.anvil.provider,
          consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
        }),
      },
    );
    courtUrl = await court.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async function () {
    await browser?.close();
    await court?.close();
    await anchorService?.close();
    await lc?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function waitForBundle(leafHash: string): Promise<unknown> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await fetch(`${anchorUrl}/v1/bundles/${leafHash}`);
      if (r.status === 200) return r.json();
      if (Date.now() > deadline)
        throw new Error(`${leafHash} not anchored in time (last answer ${r.status})`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Opens the court's page, chooses `zip`, waits for the chain check; the origins asked meanwhile. */
  async function verifyInPage(page: Page, zip: Uint8Array): Promise<Set<string>> {
    await page.goto(`${courtUrl}/verify`);
    await page.locator("#case-archive").waitFor({ state: "visible" });
    const origins = new Set<string>();
    page.on("request", (request) => origins.add(new URL(request.url()).origin));
    await page.setInputFiles("#archive", {
      name: "case-archive.zip",
      mimeType: "application/zip",
      buffer: Buffer.from(zip),
    });
    await page.locator("#archive-chain-verdict").waitFor({ timeout: 60_000 });
    return origins;
  }

  const rows = (page: Page) =>
    page.$$eval("#archive-items tbody tr", (trs) =>
      trs.map((tr) => ({
        label: tr.getAttribute("data-label"),
        ok: tr.getAttribute("data-ok"),
        chain: tr.getAttribute("data-chain"),
        details: tr.lastElementChild?.textContent ?? "",
      })),
    );

  it("a genuine archive: every item verified by the browser against the chain, the evidence chain reproduced", async function () {
    const page = await browser.context.newPage();
    const origins = await verifyInPage(page, genuine);
    // the court's node and its chain endpoint; never the anchor service
    const anvil = new URL(lc.chain.anvil.url).origin;
    expect([...origins].sort()).to.deep.equal([new URL(courtUrl).origin, anvil].sort());
    expect(await page.getAttribute("#archive-verdict", "data-ok")).to.equal("true");
    expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal("verified");
    expect(await page.getAttribute("#archive-evidence-chain", "data-matches")).to.equal("true");
    const shown = await rows(page);
    expect(shown.map((r) => r.label)).to.deep.equal(pkg.items.map((i) => i.label));
    expect(shown.every((r) => r.ok === "true" && r.chain === "verified")).to.equal(true);
    // each row says what passed against the chain, in the page's language
    expect(shown[0]!.details).to.include("日志状态已记录在联盟链上");
    // a development chain: the page and the archive screen say so
    expect(await page.isVisible("#test-env")).to.equal(true);
    expect(await page.textContent("#test-env")).to.include("测试环境");
    expect(await page.textContent("#archive-test-env")).to.include("测试环境");
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-zh.png"), fullPage: true });
    await page.click('button[data-lang="en"]');
    await page.locator("#archive-chain-verdict", { hasText: "Verified against the chain" }).waitFor();
    expect(await page.textContent("#archive-test-env")).to.include("TEST ENVIRONMENT");
    expect((await rows(page))[0]!.details).to.include("The log's state is recorded on the consortium chain");
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-en.png"), fullPage: true });
    await page.close();
  });

  it("an archive with a notice pending anchoring: named pending, the verdict incomplete, not verified", async function () {
    const since = new Date().toISOString();
    const pending = {
      role: "notice" as const,
      label: "reminder-2 #1",
      leafHash: sha256Hex("reminder-2"),
      since,
    };
    const withPending = { ...pkg, pending: [pending] };
    const facts = await readChainFacts(lc.chain.anvil.provider, ledgerAddress, LOAN);
    const { zip } = await caseArchive(withPending, await checkPackage(withPending, facts), new Date());
    const page = await browser.context.newPage();
    await verifyInPage(page, zip);
    expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal("incomplete");
    expect(
      await page.$$eval("#archive-pending li", (lis) => lis.map((li) => li.dataset.label)),
    ).to.deep.equal(["reminder-2 #1"]);
    expect(await page.textContent("#archive-pending")).to.include(since);
    // every item it holds is verified; the set is not complete
    expect((await rows(page)).every((r) => r.chain === "verified")).to.equal(true);
    await page.close();
  });

  /** The genuine archive with its manifest and files edited by `edit`: a forger keeps it consistent in itself. */
  function forgedArchive(edit: (manifest: Manifest, files: Map<string, Uint8Array>) => void): Uint8Array {
    const files = new Map(readStoredZip(genuine));
    const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json"))) as Manifest;
    edit(manifest, files);
    files.set("manifest.json", Buffer.from(JSON.stringify(manifest)));
    return zipStored(
      [...files].map(([name, bytes]) => ({ name, bytes })),
      new Date(),
    );
  }

  it("an archive with the voucher taken out: consistent in itself, named missing by the chain check", async function () {
    const edited = forgedArchive((manifest, files) => {
      const voucher = manifest.items.find((i) => i.role === "voucher")!;
      manifest.items = manifest.items.filter((i) => i !== voucher);
      files.delete(voucher.original);
      files.delete(voucher.bundle);
    });
    const page = await browser.context.newPage();
    await verifyInPage(page, edited);
    // on this computer alone nothing is wrong with the items it holds
    expect(await page.getAttribute("#archive-verdict", "data-ok")).to.equal("true");
    expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal("not-verified");
    expect(await page.getAttribute("#archive-evidence-chain", "data-matches")).to.equal("false");
    expect(
      await page.$$eval("#archive-missing li", (lis) => lis.map((li) => [li.dataset.role, li.dataset.label])),
    ).to.deep.equal([["voucher", DISBURSEMENT_SERIAL]]);
    await page.click('button[data-lang="zh"]');
    await page.locator("#archive-chain-verdict", { hasText: "链上核验未通过" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-voucher-removed-zh.png"), fullPage: true });
    await page.close();
  });

  it("an archive whose notice was altered: the item named altered against the chain", async function () {
    const edited = forgedArchive((manifest, files) => {
      const notice = manifest.items.find((i) => i.role === "notice")!;
      const forged = Buffer.from(
        '{"noticeId":"reminder-1","templateId":"overdue-reminder","channel":"app","status":"delivered"}',
      );
      // the forger rewrites the manifest's SHA-256 too: only the anchored digest tells
      notice.sha256 = sha256Hex(forged);
      files.set(notice.original, forged);
    });
    const page = await browser.context.newPage();
    await verifyInPage(page, edited);
    expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal("not-verified");
    const byLabel = new Map((await rows(page)).map((r) => [r.label, r]));
    expect(byLabel.get("reminder-1 #1")).to.deep.include({ ok: "false", chain: "altered" });
    expect(byLabel.get("loan contract")).to.deep.include({ ok: "true", chain: "verified" });
    // the evidence chain itself is whole: the notice is not on it
    expect(await page.getAttribute("#archive-evidence-chain", "data-matches")).to.equal("true");
    await page.close();
  });
});
