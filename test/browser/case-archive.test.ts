// The court page's case archive screen in a real browser (Debian's Chromium, playwright-core)
// against a real Anvil chain: a loan registered on JointLoanLedger with its contract and consent
// leaves and disbursed with its voucher, every item anchored by a live anchor service under heads
// committed to EvidenceLog. The court's node serves the page (its config names the chain endpoint
// and the ledger); the clerk chooses the ZIP and the page verifies every item from the archive's
// bytes and then runs the chain side itself, over JSON-RPC to Anvil alone: each bundle against the
// EvidenceLog heads, the items together against the loan's evidenceChain. A genuine archive is
// verified item by item; one with the voucher taken out (its manifest entry too, so the archive
// is consistent in itself) is named missing by the chain check; one whose notice was altered is
// named altered; one with a notice pending anchoring is incomplete, the notice named; items whose
// receipt is SM2-signed under a key the governed directory does not bind say so in the page's
// language, like the document check, and their reasons' 130-digit SM2 keys keep the item table
// within its column. The court's node is on a development chain: the page says so. Screenshots in
// Chinese and English are written to test-artifacts/browser/.
import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Page } from "playwright-core";
import { buildPageModules } from "../../anchor-service/web/src/build.ts";
import { caseArchive, type Manifest } from "../../nodes/src/court-package/archive.ts";
import { LOG_WINDOW_BLOCKS, readChainFacts } from "../../nodes/src/court-package/chain-facts.ts";
import { checkPackage, type EvidencePackage } from "../../nodes/src/court-package/check.ts";
import { readStoredZip } from "../../nodes/src/court-package/verify-archive.ts";
import { zipStored } from "../../nodes/src/court-package/zip.ts";
import { consortiumView } from "../../nodes/src/member-names.ts";
import type { LendingChain } from "../nodes/indexer/lending-chain.ts";
import type { CasePackageChain } from "../nodes/post-loan/court-package-chain.ts";
import {
  DISBURSEMENT_SERIAL,
  LOAN,
  directoryOf,
  governDirectory,
  governOtherReceiptKey,
  hidingVouchers,
  startCasePackageChain,
} from "../nodes/post-loan/court-package-chain.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { clerkNodeApp } from "../support/node-app.ts";
import { sha256Hex } from "../support/bundle.fixture.ts";

const ARTIFACTS = join("test-artifacts", "browser");

describe("court page: the case archive verified in the browser against the chain", function () {
  this.timeout(240_000);
  let fixture: CasePackageChain;
  let lc: LendingChain;
  let ledgerAddress: string;
  let courtUrl: string;
  let browser: Chromium;
  let pkg: EvidencePackage;
  let genuine: Uint8Array;

  before(async function () {
    browser = await launchChromium({ locale: "zh-CN" });
    await mkdir(ARTIFACTS, { recursive: true });
    await buildPageModules();
    fixture = await startCasePackageChain();
    ({ lc, ledgerAddress, pkg } = fixture);
    const { chain } = lc;
    // the court's node's own check, from the chain's facts: the archive the clerk downloads
    const facts = await readChainFacts(chain.anvil.provider, ledgerAddress, LOAN);
    const check = await checkPackage(pkg, facts);
    expect(check.verdict).to.equal("verified");
    genuine = (await caseArchive(pkg, check, new Date())).zip;

    ({ url: courtUrl } = await courtNode([chain.anvil.url]));
  });

  const courtApps: FastifyInstance[] = [];
  /** The court's node serving the page: its chain endpoints (the first its default choice), trust anchor, ledger and deployment block; a development chain. */
  async function courtNode(chainEndpoints: string[], memberDirectory?: Uint8Array) {
    const { chain } = lc;
    const { chainId } = await chain.anvil.provider.getNetwork();
    let url = "";
    const app = await clerkNodeApp(
      {},
      {
        courtPage: {
          chainEndpoints,
          trustAnchor: async () => fixture.trustAnchor,
          tsaTrustAnchors: null,
          loanLedger: ledgerAddress,
          deployBlock: fixture.deployBlock,
          ...(memberDirectory === undefined
            ? {}
            : { memberDirectory: new TextDecoder().decode(memberDirectory) }),
          publicUrl: () => url,
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
    courtApps.push(app);
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    return { app, url };
  }

  after(async function () {
    await browser?.close();
    for (const app of courtApps) await app.close();
    await fixture?.stop();
  });

  /** Opens the court's page, chooses `zip`, waits for the chain check; the origins asked meanwhile. */
  async function verifyInPage(page: Page, zip: Uint8Array, at = courtUrl): Promise<Set<string>> {
    await page.goto(`${at}/verify`);
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
    const logRanges: Array<{ fromBlock: string; toBlock: string }> = [];
    page.on("request", (request) => {
      const call = request.postDataJSON() as { method?: string; params?: unknown[] } | null;
      if (call?.method === "eth_getLogs")
        logRanges.push(call.params![0] as { fromBlock: string; toBlock: string });
    });
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
    // the loan's logs are looked for from the contracts' deployment block on, not from block 0
    expect(logRanges.length).to.be.greaterThan(0);
    expect(Math.min(...logRanges.map((r) => Number(r.fromBlock)))).to.equal(fixture.deployBlock);
    expect(logRanges.every((r) => Number(r.toBlock) - Number(r.fromBlock) < LOG_WINDOW_BLOCKS)).to.equal(
      true,
    );
    // each row says what passed against the chain, in the page's language
    expect(shown[0]!.details).to.include("日志状态已记录在联盟链上");
    // no member directory on this node: the members by the registry's name, marked as not the legal name
    const loanLine = (await page.textContent(".archive-loan")) ?? "";
    expect(loanLine).to.include("登记名，非名录").and.not.include("提供方 成员");
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

  it("an archive whose notice was altered and whose consent the manifest misstates: each named, the local failures' reasons in the page's language", async function () {
    let consentLabel = "";
    const edited = forgedArchive((manifest, files) => {
      const notice = manifest.items.find((i) => i.role === "notice")!;
      const forged = Buffer.from(
        '{"noticeId":"reminder-1","templateId":"overdue-reminder","channel":"app","status":"delivered"}',
      );
      // the forger rewrites the manifest's SHA-256 too: only the anchored digest tells
      notice.sha256 = sha256Hex(forged);
      files.set(notice.original, forged);
      // the consent's file untouched, the manifest's word on it wrong: only this computer's check tells
      const consent = manifest.items.find((i) => i.role === "consent")!;
      consent.sha256 = sha256Hex("another consent");
      consentLabel = consent.label;
    });
    const page = await browser.context.newPage();
    await verifyInPage(page, edited);
    expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal("not-verified");
    let byLabel = new Map((await rows(page)).map((r) => [r.label, r]));
    expect(byLabel.get("reminder-1 #1")).to.deep.include({ ok: "false", chain: "altered" });
    expect(byLabel.get(consentLabel)).to.deep.include({ ok: "false", chain: "verified" });
    expect(byLabel.get("loan contract")).to.deep.include({ ok: "true", chain: "verified" });
    // the evidence chain itself is whole: the notice is not on it
    expect(await page.getAttribute("#archive-evidence-chain", "data-matches")).to.equal("true");

    // Chinese first, the English technical reason after it, for what failed on this computer and
    // for why the item is not the anchored original
    await page.click('button[data-lang="zh"]');
    await page.locator("#archive-chain-verdict", { hasText: "链上核验未通过" }).waitFor();
    byLabel = new Map((await rows(page)).map((r) => [r.label, r]));
    const notice = byLabel.get("reminder-1 #1")!.details;
    const digestZh = "文件未被改动 — 您提供的文件与存证文件不一致";
    const alteredZh =
      "原件与其存证叶子中锚定的摘要不一致：原件已被改动或替换（技术细节：the original does not hash";
    expect(notice).to.include(digestZh).and.include(alteredZh).and.not.include("digest: ");
    expect(notice.indexOf(digestZh)).to.be.below(notice.indexOf("技术细节"));
    const consent = byLabel.get(consentLabel)!.details;
    expect(consent).to.match(
      /^\S+ 的 SHA-256 与清单所列不一致：文件已被改动或替换（技术细节：\S+'s SHA-256 is not the manifest's 0x/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-altered-zh.png"), fullPage: true });

    await page.click('button[data-lang="en"]');
    await page.locator("#archive-chain-verdict", { hasText: "NOT verified against the chain" }).waitFor();
    byLabel = new Map((await rows(page)).map((r) => [r.label, r]));
    expect(byLabel.get("reminder-1 #1")!.details)
      .to.include("The document is unchanged — The document you provided")
      .and.include("The original does not match the digest anchored in its leaf")
      .and.not.include("文件");
    expect(byLabel.get(consentLabel)!.details).to.include(
      "is not the file the manifest lists: its SHA-256 differs",
    );
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-altered-en.png"), fullPage: true });
    await page.close();
  });

  it("a file that is no case archive: why, in the page's language", async function () {
    const page = await browser.context.newPage();
    await page.goto(`${courtUrl}/verify`);
    await page.locator("#case-archive").waitFor({ state: "visible" });
    await page.click('button[data-lang="zh"]');
    await page.setInputFiles("#archive", {
      name: "case-archive.zip",
      mimeType: "application/zip",
      buffer: Buffer.from("not a zip"),
    });
    const message = page.locator("#archive-message", { hasText: "不是案件证据包" });
    await message.waitFor();
    expect(await message.textContent()).to.equal(
      "不是案件证据包：不是 ZIP 文件（技术细节：not a ZIP archive）",
    );
    await page.click('button[data-lang="en"]');
    expect(await page.textContent("#archive-message")).to.equal(
      "Not a case archive: Not a ZIP file (Technical detail: not a ZIP archive)",
    );
    await page.close();
  });

  it("two endpoints configured: the court chooses one, the other cross-checks; an endpoint hiding the voucher is a named disagreement, not a pass", async function () {
    const liar = await hidingVouchers(lc.chain.anvil.url);
    try {
      const { url } = await courtNode([lc.chain.anvil.url, liar.url]);
      const page = await browser.context.newPage();
      await page.goto(`${url}/verify`);
      // both endpoints offered, the configuration's first chosen
      await page.locator("#chain-endpoint").waitFor();
      expect(await page.$$eval("#chain-endpoint option", (os) => os.map((o) => o.textContent))).to.deep.equal(
        [lc.chain.anvil.url, liar.url],
      );
      expect(await page.inputValue("#chain-endpoint")).to.equal(lc.chain.anvil.url);
      await verifyInPage(page, genuine, url);
      const verdict = page.locator("#archive-chain-verdict");
      expect(await verdict.getAttribute("data-verdict")).to.equal("endpoints-disagree");
      expect(await verdict.getAttribute("data-field")).to.equal("vouchers");
      const text = (await verdict.textContent()) ?? "";
      expect(text).to.include("链节点答复不一致").and.include(liar.url);
      // the liar was asked: it cross-checked the chosen endpoint
      expect(liar.calls.some((c) => c.method === "eth_getLogs")).to.equal(true);
      await page.screenshot({
        path: join(ARTIFACTS, "case-archive-endpoints-disagree-zh.png"),
        fullPage: true,
      });

      // the court chooses the other endpoint: its answers first, the first now cross-checks — still no pass
      await page.selectOption("#chain-endpoint", liar.url);
      await verifyInPage(page, genuine, url);
      expect(await page.getAttribute("#archive-chain-verdict", "data-verdict")).to.equal(
        "endpoints-disagree",
      );
      expect(await page.textContent("#archive-chain-verdict")).to.include(
        `${liar.url} 与 ${lc.chain.anvil.url}`,
      );
      await page.click('button[data-lang="en"]');
      await page.locator("#archive-chain-verdict", { hasText: "The chain endpoints disagree" }).waitFor();
      await page.screenshot({
        path: join(ARTIFACTS, "case-archive-endpoints-disagree-en.png"),
        fullPage: true,
      });
      await page.close();
    } finally {
      await liar.close();
    }
  });

  it("a receipt SM2-signed under a key the governed member directory does not name: blockAndTime fails on the page, saying why in both languages", async function () {
    // governance binds another SM2 key to the union, the log's operator
    const other = await governOtherReceiptKey(fixture);
    const { url } = await courtNode([lc.chain.anvil.url], other);
    const contract = pkg.items.find((i) => i.role === "contract")!;
    const page = await browser.context.newPage();
    await page.goto(`${url}/verify`);
    await page.click('button[data-lang="zh"]');
    await page.setInputFiles("#document", {
      name: "contract.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from(contract.originalBase64!, "base64"),
    });
    await page.setInputFiles("#bundle", {
      name: "contract.evidence.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(contract.bundle)),
    });
    await page.click("#verify");
    await page.waitForSelector(`body[data-phase="done"], body[data-phase="error"]`);
    const row = page.locator('#result tr[data-check="blockAndTime"]');
    expect(await row.getAttribute("data-outcome")).to.equal("fail");
    expect(await row.textContent())
      .to.include("接收回执的 SM2 签名密钥不是")
      .and.include("RECEIPT_SM2_KEY_NOT_GOVERNED");
    await page.screenshot({ path: join(ARTIFACTS, "verify-sm2-not-governed-zh.png"), fullPage: true });
    await page.click('button[data-lang="en"]');
    expect(await row.textContent()).to.include(
      "SM2-signed under a key the consortium's governed member directory does not name",
    );
    await page.screenshot({ path: join(ARTIFACTS, "verify-sm2-not-governed-en.png"), fullPage: true });

    // the case archive screen: every item's reason names the SM2 keys (130 hex digits each), and
    // the item table still fits its column, the long keys wrapped
    await page.click('button[data-lang="zh"]');
    await verifyInPage(page, genuine, url);
    const shown = await rows(page);
    expect(shown.every((r) => r.chain === "original-verified")).to.equal(true);
    expect(shown[0]!.details).to.match(/0x04[0-9a-f]{128}/);
    // each item says why in the page's language, the same sentence as the document check, before
    // the English technical reason
    const zhReason = "接收回执的 SM2 签名密钥不是联盟受治理的成员名录为日志运营方登记的密钥";
    const enReason = "SM2-signed under a key the consortium's governed member directory does not name";
    for (const { details } of shown) {
      expect(details).to.include(`存证时间由链本身记录 — ${zhReason}`).and.not.include(enReason);
      expect(details.indexOf(zhReason)).to.be.below(details.indexOf("RECEIPT_SM2_KEY_NOT_GOVERNED"));
    }
    const fits = () =>
      page.$eval("#archive-items", (table) => {
        const column = table.parentElement!.getBoundingClientRect();
        const cells = [...table.querySelectorAll("td, th")];
        const root = table.ownerDocument.documentElement;
        return {
          table: table.getBoundingClientRect().right <= column.right + 0.5,
          cells: cells
            .filter((c) => c.scrollWidth > c.clientWidth + 1)
            .map((c) => c.textContent?.slice(0, 40)),
          page: root.scrollWidth <= root.clientWidth,
        };
      });
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-sm2-not-governed-zh.png"), fullPage: true });
    expect(await fits()).to.deep.equal({ table: true, cells: [], page: true });
    await page.click('button[data-lang="en"]');
    await page.locator("#archive-chain-verdict", { hasText: "chain" }).waitFor();
    for (const { details } of await rows(page))
      expect(details)
        .to.include(`The anchoring time is the chain's own — The intake receipt is ${enReason}`)
        .and.not.include(zhReason);
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-sm2-not-governed-en.png"), fullPage: true });
    expect(await fits()).to.deep.equal({ table: true, cells: [], page: true });
    await page.close();
  });

  it("a governed directory naming the loan's branch: the archive screen names it by legal name and credit code in the page's language, a member it does not name by the registry's name, marked", async function () {
    const directory = directoryOf(undefined);
    directory.members.push({
      memberId: pkg.owner,
      uscc: "91330102MA0000002F",
      nameZh: "案卷测试农村商业银行股份有限公司",
      nameEn: "Case Package Test Rural Bank",
    });
    const bytes = await governDirectory(fixture, directory);
    const { url } = await courtNode([lc.chain.anvil.url], bytes);
    const page = await browser.context.newPage();
    await page.goto(`${url}/verify`);
    await page.click('button[data-lang="zh"]');
    await verifyInPage(page, genuine, url);
    const owner = page.locator(".archive-loan").first();
    await owner.filter({ hasText: "统一社会信用代码" }).waitFor();
    expect(await owner.textContent())
      .to.include("提供方 案卷测试农村商业银行股份有限公司（统一社会信用代码 91330102MA0000002F")
      .and.not.include("Case Package Test Rural Bank");
    // the platform is not in this directory: the registry's name, marked as such
    expect(await page.locator(".archive-loan").nth(1).textContent()).to.include("登记名，非名录");
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-named-zh.png"), fullPage: true });
    await page.click('button[data-lang="en"]');
    await owner.filter({ hasText: "unified social credit code 91330102MA0000002F" }).waitFor();
    expect(await owner.textContent()).to.include("from Case Package Test Rural Bank");
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-named-en.png"), fullPage: true });
    await page.close();
  });
});
