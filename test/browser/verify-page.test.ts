// The court verification page in a real browser: Debian's Chromium (playwright-core) against the
// anchor service listening on a port, over a real Anvil chain with the consortium's contracts.
// A genuine document (dropped onto the page) passes every check; a modified one fails the digest;
// a revoked one shows as revoked; evidence a non-member anchored in a look-alike contract fails
// against the service's trust anchor, which the result and the certificate name; a verification
// link (the certificate's QR target) opens the verification directly, in the browser's language.
// Screenshots and the certificate PDF are written to test-artifacts/browser/.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import QRCode from "qrcode";
import { submitOverHttp } from "../support/anchor-suite.ts";
import type { EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import {
  readTrustAnchor,
  trustAnchorFingerprint,
  type TrustAnchor,
} from "../../common/formats/bundle/trust-anchor.ts";
// the page shows the library's checks in the library's order (pinned in common/formats/bundle/verify-offline.test.ts)
import { CHECK_IDS } from "../../common/formats/bundle/verify.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { freePort } from "../support/anvil.ts";
import {
  MEMBERS,
  recordFor,
  startConsortiumChain,
  type ConsortiumChain,
} from "../support/consortium-chain.ts";
import { forgeUnionLookalike } from "../support/forgery.fixture.ts";
import { createDemoCa } from "../../common/pki/demo-ca.ts";
import { createDemoTsa, serveDemoTsa } from "../../common/pki/demo-tsa.ts";
import { startWitnessPair, type WitnessPair } from "../support/witnesses.ts";
import { clerkNodeApp } from "../support/node-app.ts";
import { trustAnchorsFromPem } from "../../common/pki/trust-anchors.ts";
import type { FastifyInstance } from "fastify";
import { execFileSync } from "node:child_process";
import { MemoryLevel } from "memory-level";
import {
  REPORT_MAX_BODY_BYTES,
  VerificationReports,
  type ReportStore,
} from "../../nodes/src/court-page/reports.ts";
import type { VerificationReport } from "../../nodes/src/court-page/report.ts";
import { cosigner } from "../../common/formats/checkpoint/cosignature.ts";
import { kOfNPolicy, parsePolicy } from "../../common/formats/checkpoint/policy.ts";
import { directoryBytes, memberDirectoryCall } from "../../common/consortium/member-directory.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { DEMO_MEMBERS, demoMemberDirectory } from "../../scripts/ops/local/deployment.ts";
import { buildPageModules } from "../../anchor-service/web/src/build.ts";

const ARTIFACTS = join("test-artifacts", "browser");

// court documents are files; these stand in for PDFs (no personal data)
const GENUINE = Buffer.from(
  "Joint loan contract LN-2026-0042\nLender: Shangcheng Rural Bank (member 2)\nPrincipal: 200,000.00 CNY; term 12 months; APR 7.20%\n",
);
const MODIFIED = Buffer.from(GENUINE.toString().replace("200,000.00", "280,000.00"));
const REVOKED = Buffer.from(
  "Borrower consent CS-2026-0042, withdrawn by the bank after a data-entry error\n",
);
const HELD = Buffer.from(
  "Fund-flow voucher FV-2026-0042, frozen by the court for case (2026) Zhe 0192 Min Chu 42\n",
);

/** "YYYY-MM-DD HH:MM:SS" of Unix seconds shifted by `hours` (Beijing is UTC+8, no DST). */
function wallClock(seconds: number, hours: number): string {
  return new Date((seconds + hours * 3600) * 1000).toISOString().slice(0, 19).replace("T", " ");
}

describe("court verification page in Chromium (anchor service on a port, Anvil)", function () {
  this.timeout(180_000);
  let chain: ConsortiumChain;
  let service: AnchorService;
  let dataDir: string;
  let baseUrl: string;
  let browser: Chromium;
  const leaves: { genuine?: string; revoked?: string; held?: string } = {};
  const bundles: { genuine?: EvidenceBundle } = {};
  let anchor: TrustAnchor;
  let tsa: Awaited<ReturnType<typeof serveDemoTsa>> | undefined;
  let witnesses: WitnessPair | undefined;
  // the court's own node, serving the page with its chain checks run in the browser against anvil
  let courtNode: FastifyInstance | undefined;
  let unsealedNode: FastifyInstance | undefined;
  // the court's node with its certificates limited to 2 per address per hour, and their store
  let limitedNode: FastifyInstance | undefined;
  let limitedStore: ReportStore;
  let courtUrl: string;
  // the court's node holding the member directory governance set: it names members by their legal names
  let namedNode: FastifyInstance | undefined;
  let namedUrl: string;
  // the court's node given an edited directory file (a member renamed), one governance never set
  let renamedNode: FastifyInstance | undefined;
  let renamedUrl: string;

  before(async function () {
    // fails (not skips) with install instructions when /usr/bin/chromium is missing
    browser = await launchChromium({ locale: "en-US" });
    await buildPageModules();
    await mkdir(ARTIFACTS, { recursive: true });
    chain = await startConsortiumChain();
    dataDir = await mkdtemp(join(tmpdir(), "verify-page-"));
    // a port known before the service is built: its QR code and links name the listen address
    const port = await freePort();
    // a demo TSA stamps every head; the service trusts its root, so trustedTime is checked
    const tsaCa = await createDemoCa();
    tsa = await serveDemoTsa(await createDemoTsa(tsaCa));
    const tsaRoot = `${dataDir}-tsa-root.pem`;
    await writeFile(tsaRoot, tsaCa.certificatePem);
    // the court's and the union's witnesses cosign every checkpoint (2 of 2)
    witnesses = await startWitnessPair();
    await writeFile(`${dataDir}-policy.txt`, witnesses.policyText);
    service = await createAnchorService({
      config: chain.config({
        dataDir,
        host: "127.0.0.1",
        port,
        tsaUrls: [tsa.url],
        tsaTrustAnchorFiles: [tsaRoot],
        checkpointOrigin: witnesses.checkpointOrigin,
        checkpointKey: witnesses.checkpointKey,
        witnessUrls: witnesses.witnessUrls,
        witnessPolicyFile: `${dataDir}-policy.txt`,
      }),
      logger: false,
    });
    await service.start();
    baseUrl = await service.app.listen({ host: "127.0.0.1", port });
    // what a court keeps: read here from the chain, independently of the service
    anchor = await readTrustAnchor(chain.anvil.provider, {
      consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
      name: "court copy",
    });

    // the court's node: the same page, its chain endpoint the court's choice (here the chain's own
    // RPC); it signs certificates with the court's seal, issued by the demo CA as npm start's is
    const courtPort = await freePort();
    const courtPublicUrl = `http://127.0.0.1:${courtPort}`;
    const seal = await (await createDemoCa()).issueVerificationSeal("杭州互联网法院（演示）");
    const reportStore = () =>
      new MemoryLevel<string, unknown>({ valueEncoding: "json" }).sublevel("verification-reports", {
        valueEncoding: "json",
      }) as unknown as ReportStore;
    const courtReports = (
      sealed: boolean,
      store = reportStore(),
      limit?: { perAddress: number; windowMs: number },
    ) =>
      new VerificationReports({
        store,
        ...(limit === undefined ? {} : { limit }),
        memberId: MEMBERS.court,
        chain: { provider: chain.anvil.provider, endpointName: chain.anvil.url },
        trust: {
          anchor: async () => anchor,
          tsa: trustAnchorsFromPem([tsaCa.certificatePem]),
          witnessPolicy: parsePolicy(witnesses!.policyText),
        },
        seal: sealed ? { certificatePem: seal.certificatePem, privateKey: seal.privateKey } : undefined,
        publicUrl: () => courtPublicUrl,
      });
    const courtPage = {
      chainEndpoints: [chain.anvil.url],
      trustAnchor: async () => anchor,
      tsaTrustAnchors: trustAnchorsFromPem([tsaCa.certificatePem]),
      publicUrl: () => courtPublicUrl,
      reports: true,
    };
    courtNode = await clerkNodeApp({}, { courtPage, verificationReports: courtReports(true) });
    unsealedNode = await clerkNodeApp({}, { courtPage, verificationReports: courtReports(false) });
    limitedStore = reportStore();
    limitedNode = await clerkNodeApp(
      {},
      {
        courtPage,
        verificationReports: courtReports(true, limitedStore, { perAddress: 2, windowMs: 3_600_000 }),
      },
    );
    courtUrl = await courtNode.listen({ host: "127.0.0.1", port: courtPort });

    // the founders' directory (no SM2 receipt key: this log signs EIP-712 receipts only), governed on chain
    const founders = demoMemberDirectory(`0x04${"00".repeat(64)}`);
    const directory = directoryBytes({
      ...founders,
      members: founders.members.map(({ receiptSm2PublicKey: _key, ...entry }) => entry),
    });
    await govern(chain.deployment.governor, chain.approvers, [
      memberDirectoryCall(chain.deployment.addresses.consortiumRegistry, directory),
    ]);
    const namedReports = new VerificationReports({
      store: reportStore(),
      memberId: MEMBERS.court,
      chain: { provider: chain.anvil.provider, endpointName: chain.anvil.url },
      trust: {
        anchor: async () => anchor,
        tsa: trustAnchorsFromPem([tsaCa.certificatePem]),
        witnessPolicy: parsePolicy(witnesses.policyText),
        memberDirectory: directory,
      },
      seal: { certificatePem: seal.certificatePem, privateKey: seal.privateKey },
      publicUrl: () => namedUrl,
    });
    namedNode = await clerkNodeApp(
      {},
      {
        courtPage: {
          ...courtPage,
          memberDirectory: new TextDecoder().decode(directory),
          publicUrl: () => namedUrl,
        },
        verificationReports: namedReports,
      },
    );
    namedUrl = await namedNode.listen({ host: "127.0.0.1", port: 0 });
    const edited = directoryBytes({
      ...founders,
      members: founders.members.map(({ receiptSm2PublicKey: _key, ...entry }) =>
        entry.memberId === MEMBERS.branchA
          ? { ...entry, nameZh: "杭州某某银行股份有限公司", nameEn: "Some Other Bank" }
          : entry,
      ),
    });
    renamedNode = await clerkNodeApp(
      {},
      {
        courtPage: { ...courtPage, memberDirectory: new TextDecoder().decode(edited) },
        verificationReports: new VerificationReports({
          store: reportStore(),
          memberId: MEMBERS.court,
          chain: { provider: chain.anvil.provider, endpointName: chain.anvil.url },
          trust: { anchor: async () => anchor, tsa: null, witnessPolicy: undefined, memberDirectory: edited },
          seal: { certificatePem: seal.certificatePem, privateKey: seal.privateKey },
          publicUrl: () => renamedUrl,
        }),
      },
    );
    renamedUrl = await renamedNode.listen({ host: "127.0.0.1", port: 0 });

    // branch A anchors three documents
    const receipts = await submitOverHttp(baseUrl, chain, [
      recordFor(GENUINE, 1),
      recordFor(REVOKED, 2),
      recordFor(HELD, 4),
    ]);
    [leaves.genuine, leaves.revoked, leaves.held] = receipts.map((r) => r.leafHash);
    const anchored: EvidenceBundle[] = [];
    for (const leaf of receipts.map((r) => r.leafHash)) anchored.push(await waitForBundle(leaf));
    bundles.genuine = anchored[0];

    // the lifecycle registry: register all three; branch B endorses the genuine one, branch A
    // (the submitter) revokes the second, the court puts the third under legal hold
    const registry = chain.deployment.evidenceRegistry;
    for (const bundle of anchored) {
      const tx = await registry.connect(chain.wallets.branchA).getFunction("register")(
        bundle.leaf.encoded,
        bundle.log.logId,
        bundle.head.treeSize,
        bundle.log.leafIndex,
        bundle.inclusionProof,
      );
      await tx.wait();
    }
    await (await registry.connect(chain.wallets.branchB).getFunction("endorse")(leaves.genuine)).wait();
    await (await registry.connect(chain.wallets.branchA).getFunction("revoke")(leaves.revoked, 1)).wait();
    await (await registry.connect(chain.wallets.court).getFunction("placeLegalHold")(leaves.held, 7)).wait();
  });

  after(async function () {
    await browser?.close();
    await courtNode?.close();
    await unsealedNode?.close();
    await limitedNode?.close();
    await namedNode?.close();
    await renamedNode?.close();
    await service?.close();
    await tsa?.close();
    await witnesses?.close();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    if (dataDir !== undefined) await rm(`${dataDir}-tsa-root.pem`, { force: true });
    if (dataDir !== undefined) await rm(`${dataDir}-policy.txt`, { force: true });
  });

  async function waitForBundle(leafHash: string): Promise<EvidenceBundle> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await fetch(`${baseUrl}/v1/bundles/${leafHash}`);
      // anchored, its head stamped by the TSA, and a checkpoint holding it cosigned by both witnesses
      if (r.status === 200) {
        const bundle = (await r.json()) as EvidenceBundle;
        if (bundle.trustedTime !== undefined && bundle.witnessed !== undefined) return bundle;
      }
      if (Date.now() > deadline)
        throw new Error(`${leafHash} not anchored in time (last answer ${r.status})`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** A new page on the service; every request it makes is recorded. */
  async function openPage(
    path = "/verify",
    base = baseUrl,
  ): Promise<{ page: Page; requests: Array<{ url: string; body: Buffer | null }> }> {
    const page = await browser.context.newPage();
    // each test starts from the browser's language, not from a choice an earlier test stored
    await page.addInitScript(() =>
      (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear(),
    );
    const requests: Array<{ url: string; body: Buffer | null }> = [];
    page.on("request", (r) => requests.push({ url: r.url(), body: r.postDataBuffer() }));
    await page.goto(`${base}${path}`);
    return { page, requests };
  }

  /** Drops files on a zone the way a clerk's drag and drop does (a DataTransfer with Files). */
  async function drop(
    page: Page,
    selector: string,
    files: Array<{ name: string; type: string; bytes: Buffer }>,
  ): Promise<void> {
    // runs in the page (this project compiles without the DOM library, hence the globalThis lookups)
    const dataTransfer = await page.evaluateHandle(
      (list) => {
        const dom = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } };
          File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
        };
        const transfer = new dom.DataTransfer();
        for (const f of list)
          transfer.items.add(
            new dom.File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }),
          );
        return transfer;
      },
      files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString("base64") })),
    );
    await page.dispatchEvent(selector, "drop", { dataTransfer });
  }

  /** Drops a PDF and its evidence bundle together (the bundle recognised by its format), then verifies. */
  async function verifyWithBundle(
    page: Page,
    name: string,
    document: Buffer,
    bundle: unknown,
  ): Promise<void> {
    await drop(page, "#drop-document", [
      { name, type: "application/pdf", bytes: document },
      { name: `${name}.evidence.json`, type: "application/json", bytes: Buffer.from(JSON.stringify(bundle)) },
    ]);
    await page.click("#verify");
    await finished(page);
  }

  async function finished(page: Page, phase: "done" | "error" = "done"): Promise<void> {
    await page.waitForSelector(`body[data-phase="done"], body[data-phase="error"]`);
    const actual = await page.getAttribute("body", "data-phase");
    expect(actual, (await page.textContent("#message")) ?? "").to.equal(phase);
  }

  const outcomes = (page: Page) =>
    page.$$eval("#result tr[data-check]", (rows) =>
      rows.map((r) => [r.getAttribute("data-check"), r.getAttribute("data-outcome")]),
    );
  const text = async (page: Page, selector: string) =>
    ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();
  /** Drops the PDF `name` with `bytes` on the page's document field and verifies it, until the page shows `phase`. */
  async function verifyPdf(
    page: Page,
    name: string,
    bytes: Buffer,
    phase: "done" | "error" = "done",
  ): Promise<void> {
    await page.setInputFiles("#document", { name, mimeType: "application/pdf", buffer: bytes });
    await page.click("#verify");
    await finished(page, phase);
  }
  /** The whole page into test-artifacts/browser/`name`. */
  /** A PDF's first page as a PNG artifact, to look at. */
  const pictureOf = (file: string, name: string) =>
    execFileSync("pdftoppm", ["-png", "-r", "110", "-singlefile", file, join(ARTIFACTS, name)]);
  const screenshot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  /** The page as printed: the width of an A4 page at 96 dpi, so the screenshot looks like the paper. */
  async function printedOnA4(page: Page): Promise<void> {
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.emulateMedia({ media: "print" });
  }
  /** Until the certificate's QR code image has loaded. */
  async function certificateQrLoaded(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const img = (
        globalThis as unknown as {
          document: { getElementById(id: string): { complete: boolean; naturalWidth: number } | null };
        }
      ).document.getElementById("cert-qr");
      return img !== null && img.complete && img.naturalWidth > 0;
    });
  }

  it("serves the page, its assets and the QR code from the service only, under a strict CSP; member and lifecycle reads", async function () {
    const page = await fetch(`${baseUrl}/verify`);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.match(/^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp)
      .to.contain("default-src 'none'")
      .and.contain("connect-src 'self'")
      .and.contain("script-src 'self'");
    const html = await page.text();
    expect(html, "no external resources").not.to.match(/(src|href)="(https?:)?\/\//);
    expect((await fetch(`${baseUrl}/verify/app.js`)).headers.get("content-type")).to.match(
      /^text\/javascript/,
    );
    const missing = await fetch(`${baseUrl}/verify/nothing.js`);
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_NOT_FOUND",
    );

    // the QR code encodes the link back to this verification
    const qr = await fetch(`${baseUrl}/verify/qr.svg?leaf=${leaves.genuine}`);
    expect(qr.headers.get("content-type")).to.match(/^image\/svg\+xml/);
    const expected = await QRCode.toString(`${baseUrl}/verify?leaf=${leaves.genuine}`, {
      type: "svg",
      errorCorrectionLevel: "M",
      margin: 2,
    });
    expect(await qr.text()).to.equal(expected);
    const badQr = await fetch(`${baseUrl}/verify/qr.svg?leaf=0x1234`);
    expect(badQr.status).to.equal(400);
    expect(((await badQr.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_VALIDATION",
    );

    const member = (await (await fetch(`${baseUrl}/v1/members/${MEMBERS.branchA}`)).json()) as {
      name: string;
      kind: string;
      status: string;
    };
    expect(member).to.deep.include({ name: "Shangcheng Rural Bank", kind: "branch", status: "active" });
    const unknown = await fetch(`${baseUrl}/v1/members/77`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_NOT_FOUND",
    );
    expect((await fetch(`${baseUrl}/v1/members/0`)).status).to.equal(400);

    const lifecycle = (await (await fetch(`${baseUrl}/v1/lifecycle/${leaves.revoked}`)).json()) as {
      state: string;
      records: Array<{ action: string; byMember: number }>;
    };
    expect(lifecycle.state).to.equal("Revoked");
    expect(lifecycle.records.map((r) => [r.action, r.byMember])).to.deep.equal([
      ["registered", MEMBERS.branchA],
      ["revoked", MEMBERS.branchA],
    ]);
    const endorsed = (await (await fetch(`${baseUrl}/v1/lifecycle/${leaves.genuine}`)).json()) as {
      state: string;
      endorsers: number[];
    };
    expect(endorsed).to.deep.include({ state: "Active", endorsers: [MEMBERS.branchB] });
    expect((await fetch(`${baseUrl}/v1/lifecycle/0xzz`)).status).to.equal(400);
  });

  it("genuine document, dropped without its bundle: found by digest, every check passes; switchable to Chinese; nothing uploaded", async function () {
    const { page, requests } = await openPage();
    expect(await page.getAttribute("html", "lang"), "English from the browser's language").to.equal("en");
    await drop(page, "#drop-document", [
      { name: "loan-contract-LN-2026-0042.pdf", type: "application/pdf", bytes: GENUINE },
    ]);
    expect(await text(page, "#document-chosen")).to.contain("loan-contract-LN-2026-0042.pdf");
    await page.click("#verify");
    await finished(page);

    expect(await outcomes(page)).to.deep.equal(CHECK_IDS.map((id) => [id, "pass"]));
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("pass");
    const time = bundles.genuine!.anchor.blockTimestamp;
    expect(await text(page, "#fact-anchored"))
      .to.contain(`${wallClock(time, 8)} Beijing time (UTC+8)`)
      .and.contain(`${wallClock(time, 0)} UTC`);
    expect(await text(page, "#fact-submitter"))
      .to.contain("Shangcheng Rural Bank")
      .and.contain("member no. 2");
    expect(await text(page, "#fact-endorsements")).to.contain("Zhuji Rural Bank");
    expect(await page.getAttribute("#fact-status", "data-state")).to.equal("Active");
    expect(await text(page, "#fact-kind dd")).to.equal("Loan contract");
    expect(await text(page, "#fact-trust-anchor dd"))
      .to.contain(`chain ${anchor.chainId}`)
      .and.contain(anchor.consortiumRegistry)
      .and.contain(`fingerprint ${trustAnchorFingerprint(anchor)}`);
    expect(page.url(), "the address bar holds the QR link").to.equal(
      `${baseUrl}/verify?leaf=${leaves.genuine}`,
    );

    // the Merkle path, recomputed in the browser, for experts
    await page.click("#merkle summary");
    expect(await page.getAttribute("#merkle-result", "data-matches")).to.equal("true");
    expect(await page.$$eval("#merkle .merkle-steps tbody tr", (rows) => rows.length)).to.equal(
      bundles.genuine!.inclusionProof.length,
    );
    // the evidence time is the TSA's, the block time beside it
    expect(await text(page, "#fact-trusted-time"))
      .to.contain("Evidence time (trusted timestamp)")
      .and.contain("Demo TSA");
    expect(await text(page, "#fact-anchored dt")).to.equal("Block time (the consortium chain's clock)");
    await screenshot(page, "genuine-en.png");

    await page.click('button[data-lang="zh"]');
    expect(await page.getAttribute("html", "lang")).to.equal("zh-CN");
    expect(await text(page, "#verdict .verdict-title")).to.equal("核验通过");
    expect(await text(page, "#fact-anchored")).to.contain(`${wallClock(time, 8)} 北京时间（UTC+8）`);
    expect(await text(page, 'tr[data-check="digest"] .badge')).to.contain("通过");
    expect(await text(page, "#fact-trusted-time dt")).to.equal("存证时间（可信时间戳）");
    expect(await text(page, 'tr[data-check="trustedTime"] th')).to.equal("独立的时间戳服务机构确认了时间");
    await screenshot(page, "genuine-zh.png");
    // both languages have every label, and none was left with an unfilled {placeholder}
    const labels = await page.evaluate(async () => {
      const module: string = "/verify/i18n.js";
      const { missingKeys } = await import(module);
      return missingKeys() as string[];
    });
    expect(labels).to.deep.equal([]);
    for (const lang of ["zh", "en"]) {
      await page.click(`button[data-lang="${lang}"]`);
      expect(await text(page, "body"), lang).not.to.match(/\{\w+\}/);
    }

    // only this service was asked, and the document itself never left the browser
    const origin = new URL(baseUrl).origin;
    expect(requests.filter((r) => new URL(r.url).origin !== origin).map((r) => r.url)).to.deep.equal([]);
    const sent = requests.filter((r) => r.body !== null);
    expect(sent.length, "the verification request").to.be.greaterThan(0);
    for (const r of sent)
      expect(r.body!.includes(GENUINE.subarray(0, 24)), `${r.url} carried the document`).to.equal(false);
    await page.close();
  });

  it("shows the checkpoint's witnesses, each verified against the court's policy file, in both languages; the verdict states the policy", async function () {
    const { page } = await openPage();
    await page.setInputFiles("#policy", {
      name: "court-witness-policy.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(witnesses!.policyText),
    });
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", GENUINE);
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("pass");
    expect(await page.getAttribute("#witnesses", "data-outcome")).to.equal("pass");
    const rows = await page.$$eval("#witnesses tbody tr", (trs) =>
      trs.map((tr) => [
        tr.getAttribute("data-witness"),
        tr.getAttribute("data-role"),
        tr.getAttribute("data-status"),
      ]),
    );
    expect(rows).to.deep.equal([
      [witnesses!.checkpointOrigin, "log", "verified"],
      ["court", "witness", "verified"],
      ["union", "witness", "verified"],
    ]);
    // each witness's key id as the policy's vkey states it, and the time it cosigned
    const policy = parsePolicy(witnesses!.policyText);
    const courtKeyId = policy.witnesses.get("court")!.verifier.keyId.toString(16).padStart(8, "0");
    expect(await text(page, '#witnesses tr[data-witness="court"]'))
      .to.contain(courtKeyId)
      .and.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Beijing time/);
    expect(await text(page, "#verdict .verdict-witnesses")).to.contain(
      "the court's witness policy is met (required: 2 of court, union)",
    );
    await screenshot(page, "witnesses-en.png");
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#witnesses h2")).to.equal("见证人会签");
    expect(await text(page, '#witnesses tr[data-witness="union"] .witness-status')).to.equal(
      "✓ 已按策略核验",
    );
    expect(await text(page, "#verdict .verdict-witnesses")).to.contain(
      "符合法院见证策略（court、union 中至少 2 个会签）",
    );
    await screenshot(page, "witnesses-zh.png");
    await page.click('button[data-lang="en"]');

    // a policy naming another key for the union: its cosignature is not the union's, the quorum fails
    const other = kOfNPolicy(
      policy.logs[0]!.vkey,
      [
        { name: "court", vkey: policy.witnesses.get("court")!.vkey },
        { name: "union", vkey: cosigner("union.test/witness", new Uint8Array(32).fill(0x7e)).vkey },
      ],
      2,
    );
    await page.click("#again");
    await page.setInputFiles("#policy", {
      name: "other-policy.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(other),
    });
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", GENUINE);
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await page.getAttribute("#witnesses", "data-outcome")).to.equal("fail");
    expect(await page.getAttribute('#witnesses tr[data-witness="court"]', "data-status")).to.equal(
      "verified",
    );
    expect(
      await page.getAttribute('#witnesses tr[data-witness="union.test/witness"]', "data-status"),
    ).to.equal("unknown");
    expect(await text(page, "#verdict .verdict-witnesses")).to.contain("is not met");

    // without a policy file: shown, not verified, and the verdict says so
    await page.click("#again");
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", GENUINE);
    expect(await page.getAttribute("#witnesses", "data-outcome")).to.equal("unchecked");
    expect(
      await page.getAttribute('#witnesses tr[data-witness="court.test/witness"]', "data-status"),
    ).to.equal("unchecked");
    expect(await text(page, "#verdict .verdict-witnesses")).to.contain("no witness policy file was given");
    await page.close();
  });

  it("the court's node serves the page too; each page's CSP lets it connect to its origin and exactly the configured chain endpoints", async function () {
    const connectSrc = (csp: string) =>
      csp
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .find((d) => d[0] === "connect-src")!
        .slice(1);
    const court = await fetch(`${courtUrl}/verify`);
    expect(court.status).to.equal(200);
    expect(connectSrc(court.headers.get("content-security-policy") ?? "")).to.deep.equal([
      "'self'",
      chain.anvil.url,
    ]);
    const settings = (await (await fetch(`${courtUrl}/verify/config.json`)).json()) as {
      chainEndpoints: string[];
      trustAnchor: TrustAnchor;
      tsaRoots: string[];
    };
    expect(settings.chainEndpoints).to.deep.equal([chain.anvil.url]);
    expect(settings.trustAnchor).to.deep.equal(anchor);
    expect(settings.tsaRoots).to.have.length(1);
    // the same built files as the anchor service's page
    for (const file of ["app.js", "verifier.js", "witnesses.js"]) {
      const [fromNode, fromService] = await Promise.all(
        [courtUrl, baseUrl].map(async (b) =>
          Buffer.from(await (await fetch(`${b}/verify/${file}`)).arrayBuffer()),
        ),
      );
      expect(fromNode!.equals(fromService!), file).to.equal(true);
    }
    const missing = await fetch(`${courtUrl}/verify/nothing.js`);
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).to.equal("NODE_ERR_NOT_FOUND");
    // the anchor service names no endpoint: its page may connect to its own origin only
    const service = await fetch(`${baseUrl}/verify`);
    expect(connectSrc(service.headers.get("content-security-policy") ?? "")).to.deep.equal(["'self'"]);
  });

  it("on the court's node the page runs every chain check itself against the court's endpoint: a genuine bundle passes, a forged one is flagged", async function () {
    const { page, requests } = await openPage("/verify", courtUrl);
    await verifyWithBundle(page, "loan-contract-LN-2026-0042.pdf", GENUINE, bundles.genuine);
    expect(await outcomes(page)).to.deep.equal(CHECK_IDS.map((id) => [id, "pass"]));
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("pass");
    expect(await text(page, "#fact-checked-by dd")).to.equal(
      `this browser, asking ${chain.anvil.url} itself`,
    );
    // names from the court's chain endpoint (no anchor service to ask), the lifecycle in its check
    // no member directory configured: the registry's name, said not to be the governed legal name
    expect(await text(page, "#fact-submitter"))
      .to.contain("Shangcheng Rural Bank (registry name, not the directory's legal name;")
      .and.contain("member no. 2");
    expect(await text(page, "#fact-status dd")).to.contain("The evidence has not been withdrawn");
    expect(await text(page, "#fact-trust-anchor dd")).to.contain(trustAnchorFingerprint(anchor));
    expect(await text(page, "#fact-trusted-time dt")).to.equal("Evidence time (trusted timestamp)");
    // the chain was asked by the browser, over JSON-RPC; the log operator's service not at all
    const rpc = requests.filter((r) => r.url.startsWith(chain.anvil.url) && r.body !== null);
    const methods = new Set(rpc.map((r) => (JSON.parse(r.body!.toString()) as { method: string }).method));
    for (const method of ["eth_chainId", "eth_getBlockByNumber", "eth_call", "eth_getTransactionReceipt"])
      expect(methods.has(method), method).to.equal(true);
    expect(requests.filter((r) => r.url.startsWith(baseUrl)).map((r) => r.url)).to.deep.equal([]);
    for (const r of requests.filter((q) => q.body !== null))
      expect(r.body!.includes(GENUINE.subarray(0, 24)), `${r.url} carried the document`).to.equal(false);
    await screenshot(page, "court-node-genuine-en.png");
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#fact-checked-by dd")).to.equal(`本浏览器，直接向 ${chain.anvil.url} 查询`);
    await screenshot(page, "court-node-genuine-zh.png");
    await page.click('button[data-lang="en"]');

    // a bundle whose block hash was rewritten: every offline check holds, the chain refutes it
    const rewritten = structuredClone(bundles.genuine!);
    rewritten.anchor.blockHash = `0x${"ab".repeat(32)}`;
    await page.click("#again");
    await verifyWithBundle(page, "loan-contract-LN-2026-0042.pdf", GENUINE, rewritten);
    const rows = Object.fromEntries(await outcomes(page));
    expect([rows.digest, rows.leafEncoding, rows.merklePath]).to.deep.equal(["pass", "pass", "pass"]);
    expect(rows.blockAndTime).to.equal("fail");
    expect(await text(page, 'tr[data-check="blockAndTime"] .technical')).to.contain(
      `on the chain, the bundle says 0x${"ab".repeat(32)}`,
    );
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");

    // evidence a non-member anchored in a look-alike contract: not the court's trust anchor's log
    const forged = await forgeUnionLookalike(
      chain,
      Buffer.from(
        `Joint loan contract LN-2026-0778 ${randomBytes(4).toString("hex")} (made up by a non-member)\n`,
      ),
    );
    await page.click("#again");
    await verifyWithBundle(page, "loan-contract-LN-2026-0778.pdf", forged.document, forged.bundle);
    expect(Object.fromEntries(await outcomes(page)).headOnChain).to.equal("fail");
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await text(page, 'tr[data-check="headOnChain"] .technical')).to.contain(
      `is not the consortium's official EvidenceLog ${chain.deployment.addresses.evidenceLog.toLowerCase()}`,
    );
    await screenshot(page, "court-node-forged-en.png");

    // the node keeps no evidence log: a document alone cannot be looked up there, and the page says so
    await page.click("#again");
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", GENUINE, "error");
    expect(await text(page, "#message")).to.contain("add the evidence bundle");
    await page.close();
  });

  it("a node holding the governed member directory names the submitter by its legal name in the page's language with its credit code, on the page and its signed certificate", async function () {
    const { page } = await openPage("/verify", namedUrl);
    await verifyWithBundle(page, "loan-contract-LN-2026-0042.pdf", GENUINE, bundles.genuine);
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("pass");
    expect(await text(page, "#fact-submitter dd")).to.equal(
      "Shangcheng Rural Bank (unified social credit code 91330102MA0000002F; member bank, member no. 2)",
    );
    await screenshot(page, "named-submitter-en.png");
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#fact-submitter dd")).to.equal(
      "杭州上城农村商业银行股份有限公司（统一社会信用代码 91330102MA0000002F；成员银行，成员编号 2）",
    );
    await screenshot(page, "named-submitter-zh.png");
    await page.click('button[data-lang="en"]');
    await page.click("#signed-certificate");
    await page.waitForSelector("#signed[data-report]");
    const reportId = (await page.getAttribute("#signed", "data-report"))!;
    await page.close();

    const report = (await (
      await fetch(`${namedUrl}/verify/reports/${reportId}`)
    ).json()) as VerificationReport;
    // the submitter and the verifying court, as the governed founders' directory lists them
    const legal = (node: "branchA" | "court") => {
      const { memberId, name, nameZh, uscc } = DEMO_MEMBERS[node];
      return { memberId, nameZh, nameEn: name, uscc };
    };
    expect(report.members).to.deep.equal({
      source: "governed-directory",
      names: [legal("branchA"), legal("court")],
    });
    const file = join(ARTIFACTS, "named-certificate.pdf");
    await writeFile(
      file,
      Buffer.from(
        await (await fetch(`${namedUrl}/verify/reports/${reportId}/certificate.pdf`)).arrayBuffer(),
      ),
    );
    pictureOf(file, "named-certificate");
    const pdfText = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" }).replace(
      /\s+/g,
      "",
    );
    expect(pdfText)
      .to.contain(
        "杭州上城农村商业银行股份有限公司ShangchengRuralBank·统一社会信用代码USCC91330102MA0000002F",
      )
      .and.contain("杭州互联网法院HangzhouInternetCourt·统一社会信用代码USCC11330100MB00000056");
  });

  it("a directory file governance did not set renames nobody: the page shows the registry's name, marked, and the report names members by number", async function () {
    const { page } = await openPage("/verify", renamedUrl);
    await verifyWithBundle(page, "loan-contract-LN-2026-0042.pdf", GENUINE, bundles.genuine);
    expect(await text(page, "#fact-submitter dd")).to.equal(
      "Shangcheng Rural Bank (registry name, not the directory's legal name; member bank, member no. 2)",
    );
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#fact-submitter dd")).to.equal(
      "Shangcheng Rural Bank（登记名，非名录；成员银行，成员编号 2）",
    );
    await screenshot(page, "renamed-directory-zh.png");
    expect(await text(page, "body"))
      .to.not.contain("某某银行")
      .and.not.contain("Some Other Bank");
    await page.close();
    const created = await renamedNode!.inject({
      method: "POST",
      url: "/verify/reports",
      payload: { bundle: bundles.genuine },
    });
    expect(created.statusCode).to.equal(201);
    const { report } = created.json() as { report: VerificationReport };
    expect(report.members.source).to.equal("none");
    expect(report.members.names).to.deep.equal([]);
    expect(report.members.source === "none" && report.members.reason).to.contain("is not the governed");
  });

  it("the court's node signs a one-page certificate (PAdES, its seal) that stands alone, with a JSON report looked up by its id", async function () {
    const { page } = await openPage("/verify", courtUrl);
    await page.setInputFiles("#policy", {
      name: "court-witness-policy.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(witnesses!.policyText),
    });
    await verifyWithBundle(page, "loan-contract-LN-2026-0042.pdf", GENUINE, bundles.genuine);
    await page.click("#signed-certificate");
    await page.waitForSelector("#signed[data-report]");
    const reportId = (await page.getAttribute("#signed", "data-report"))!;
    expect(reportId).to.match(/^JLR-\d{8}-[0-9A-F]{10}$/);
    await screenshot(page, "court-node-signed-en.png");
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#signed")).to.contain(`报告 ${reportId}`);
    await screenshot(page, "court-node-signed-zh.png");
    await page.close();

    // the report: each check with its indication and sub-indication, the facts and the policy applied
    const report = (await (
      await fetch(`${courtUrl}/verify/reports/${reportId}`)
    ).json()) as VerificationReport;
    expect(report.simpleReport).to.deep.equal({ indication: "TOTAL_PASSED" });
    expect(report.detailedReport.checks.map((c) => [c.id, c.indication])).to.deep.equal([
      ...CHECK_IDS.map((id) => [id, "PASSED"]),
      ["witnesses", "PASSED"],
    ]);
    const genuine = bundles.genuine!;
    expect(report.evidence).to.deep.include({
      leafHash: genuine.leaf.leafHash.toLowerCase(),
      documentDigest: genuine.leaf.record.digest.toLowerCase(),
      chainId: anchor.chainId,
      genesisHash: anchor.genesisHash,
      evidenceLog: chain.deployment.addresses.evidenceLog.toLowerCase(),
      blockNumber: genuine.anchor.blockNumber,
      transactionHash: genuine.anchor.transactionHash.toLowerCase(),
      rootHash: genuine.head.rootHash.toLowerCase(),
      treeSize: genuine.head.treeSize,
    });
    expect(report.evidence.tsaTime).to.be.a("string");
    expect(report.witnesses.map((w) => [w.policyName, w.status])).to.deep.equal([
      [witnesses!.checkpointOrigin, "verified"],
      ["court", "verified"],
      ["union", "verified"],
    ]);
    expect(report.policy.witnessQuorum).to.deep.equal({ threshold: 2, of: ["court", "union"] });
    expect(report.policy.trustAnchor.fingerprint).to.equal(trustAnchorFingerprint(anchor));
    expect(report.verifier.seal).to.contain("杭州互联网法院");

    // the certificate: one A4 page, signed by the node's seal, as poppler checks it
    const pdf = Buffer.from(
      await (await fetch(`${courtUrl}/verify/reports/${reportId}/certificate.pdf`)).arrayBuffer(),
    );
    const file = join(ARTIFACTS, "signed-certificate.pdf");
    await writeFile(file, pdf);
    const pdfsig = execFileSync("pdfsig", [file], { encoding: "utf8" });
    expect(pdfsig).to.contain("Signature is Valid").and.contain("杭州互联网法院");
    expect(pdfsig).to.contain("Total document signed");
    pictureOf(file, "signed-certificate");
    const info = execFileSync("pdfinfo", [file], { encoding: "utf8" });
    expect(info)
      .to.match(/^Pages:\s+1$/m)
      .and.match(/Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/);

    // looked up by its id only; without a seal the node refuses and keeps nothing
    const unknown = await fetch(`${courtUrl}/verify/reports/JLR-20260101-0123456789`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal("NODE_ERR_NOT_FOUND");
    const refused = await unsealedNode!.inject({
      method: "POST",
      url: "/verify/reports",
      payload: { bundle: genuine },
    });
    expect(refused.statusCode).to.equal(409);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_NO_SEAL");
    const bad = await courtNode!.inject({
      method: "POST",
      url: "/verify/reports",
      payload: { bundle: { format: "x" } },
    });
    expect(bad.statusCode).to.equal(400);
    expect((bad.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_VALIDATION");
  });

  it("asking for certificates is bounded: past its limit an address gets 429 NODE_ERR_REPORT_RATE_LIMITED with Retry-After, and an oversized body 413; neither keeps anything", async function () {
    const ask = (payload: string) =>
      limitedNode!.inject({
        method: "POST",
        url: "/verify/reports",
        headers: { "content-type": "application/json" },
        payload,
        remoteAddress: "192.0.2.7",
      });
    const genuine = JSON.stringify({ bundle: bundles.genuine });
    const stored = async () => (await limitedStore.keys().all()).length;
    // every ask counts, a refused one too: it cost the node a verification
    const bad = await ask(JSON.stringify({ bundle: { format: "x" } }));
    expect(bad.statusCode).to.equal(400);
    expect((await ask(genuine)).statusCode).to.equal(201);
    expect(await stored()).to.equal(1);
    const limited = await ask(genuine);
    expect(limited.statusCode).to.equal(429);
    expect((limited.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_REPORT_RATE_LIMITED",
    );
    expect(Number(limited.headers["retry-after"])).to.be.within(1, 3600);
    expect(await stored(), "the refused ask kept nothing").to.equal(1);
    // another address is not held back by this one's asks
    const other = await limitedNode!.inject({
      method: "POST",
      url: "/verify/reports",
      headers: { "content-type": "application/json" },
      payload: genuine,
      remoteAddress: "192.0.2.8",
    });
    expect(other.statusCode).to.equal(201);
    expect(await stored()).to.equal(2);

    const tooLarge = await limitedNode!.inject({
      method: "POST",
      url: "/verify/reports",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ bundle: bundles.genuine, padding: "x".repeat(REPORT_MAX_BODY_BYTES) }),
    });
    expect(tooLarge.statusCode).to.equal(413);
    expect((tooLarge.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_BODY_TOO_LARGE");
    expect(await stored()).to.equal(2);
  });

  it("prints a certificate: report id, QR code back to the verification, what it proves and what it does not", async function () {
    const { page } = await openPage();
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", GENUINE);
    await printedOnA4(page);
    expect(await page.isVisible("#certificate")).to.equal(true);
    expect(await page.isVisible("#verify"), "the form is not printed").to.equal(false);
    await certificateQrLoaded(page);
    const report = await text(page, "#cert-report dd");
    expect(report).to.match(/^JLV-\d{8}-[0-9A-F]{10}$/);
    expect(await page.getAttribute("#cert-qr", "src")).to.equal(`/verify/qr.svg?leaf=${leaves.genuine}`);
    expect(await text(page, "#certificate figcaption")).to.contain(
      `${baseUrl}/verify?leaf=${leaves.genuine}`,
    );
    expect(await text(page, "#certificate .statement-proves")).to.contain("existed, unchanged byte for byte");
    expect(await text(page, "#certificate .statement-not")).to.contain(
      "does not prove that the content of the document is true",
    );
    expect(await page.getAttribute("#cert-verdict", "data-verdict")).to.equal("pass");
    expect(await text(page, "#cert-trust-anchor dd"), "the certificate names its trust anchor")
      .to.contain(`chain ${anchor.chainId}`)
      .and.contain(anchor.consortiumRegistry)
      .and.contain(trustAnchorFingerprint(anchor));
    await screenshot(page, "certificate-en.png");

    await page.emulateMedia({ media: "screen" });
    await page.click('button[data-lang="zh"]');
    await page.emulateMedia({ media: "print" });
    expect(await text(page, "#certificate h1")).to.equal("电子证据核验证明");
    expect(await text(page, "#cert-report dd"), "the report id does not change with the language").to.equal(
      report,
    );
    await screenshot(page, "certificate-zh.png");
    // as the browser's print dialog does: the page size and margins of the print stylesheet
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    await writeFile(join(ARTIFACTS, "certificate-zh.pdf"), pdf);
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    expect(
      pdf.toString("latin1").match(/\/Type\s*\/Page\b/g)?.length,
      "the certificate fits one A4 page",
    ).to.equal(1);
    await page.emulateMedia({ media: "screen" });
    await page.click('button[data-lang="en"]');
    await page.close();
  });

  it("modified document: with the genuine bundle the digest check fails; without it, no evidence is found", async function () {
    const { page } = await openPage();
    const bundleFile = Buffer.from(JSON.stringify(bundles.genuine));
    // the document and its bundle dropped together: the bundle is recognised by its format
    await drop(page, "#drop-document", [
      { name: "loan-contract-LN-2026-0042.pdf", type: "application/pdf", bytes: MODIFIED },
      { name: "loan-contract-LN-2026-0042.pdf.evidence.json", type: "application/json", bytes: bundleFile },
    ]);
    expect(await text(page, "#bundle-chosen")).to.contain(".evidence.json");
    await page.click("#verify");
    await finished(page);
    const rows = Object.fromEntries(await outcomes(page));
    expect(rows.digest).to.equal("fail");
    for (const id of CHECK_IDS.slice(1)) expect(rows[id], id).to.equal("pass");
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await text(page, 'tr[data-check="digest"] .plain')).to.contain(
      "differs from the one the evidence was made for",
    );
    expect(await page.getAttribute("#fact-digest", "data-matches")).to.equal("false");
    expect(await text(page, "#verdict .verdict-text")).to.contain("not the one the evidence was made for");
    expect(await text(page, "#result .statement-proves"), "a failed verification proves nothing").to.contain(
      "must not be relied on",
    );
    await screenshot(page, "modified-en.png");

    await page.click("#again");
    await verifyPdf(page, "loan-contract-LN-2026-0042.pdf", MODIFIED, "error");
    expect(await text(page, "#message")).to.contain("No evidence record for this document was found");
    expect(await page.isHidden("#result")).to.equal(true);
    await screenshot(page, "modified-not-found-en.png");
    await page.close();
  });

  it("revoked document: the lifecycle check fails and the status says revoked, by whom", async function () {
    const { page } = await openPage();
    await verifyPdf(page, "consent-CS-2026-0042.pdf", REVOKED);
    const rows = Object.fromEntries(await outcomes(page));
    expect(rows.lifecycle).to.equal("fail");
    expect(rows.digest).to.equal("pass");
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await page.getAttribute("#fact-status", "data-state")).to.equal("Revoked");
    expect(await text(page, "#fact-status dd")).to.match(
      /^Revoked on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Beijing time\) by Shangcheng Rural Bank \(registry name, not the directory's legal name; member bank, member no\. 2\)$/,
    );
    expect(await text(page, "#verdict .verdict-text")).to.contain("the evidence was withdrawn. Revoked on");
    expect(await text(page, 'tr[data-check="lifecycle"] .plain')).to.contain(
      "revoked by its submitter or by a court",
    );
    await screenshot(page, "revoked-en.png");

    // its certificate records the failure and claims nothing for the document
    await printedOnA4(page);
    expect(await page.getAttribute("#cert-verdict", "data-verdict")).to.equal("fail");
    expect(await text(page, "#certificate .statement-proves")).to.contain("Nothing about the document");
    await certificateQrLoaded(page);
    await screenshot(page, "certificate-revoked-en.png");
    await page.close();
  });

  it("forged evidence in a look-alike contract outside the consortium: every hash holds, yet it is not the official log — red, and the certificate claims nothing", async function () {
    const forged = await forgeUnionLookalike(
      chain,
      Buffer.from(
        "Joint loan contract LN-2026-0777\nLender: Shangcheng Rural Bank (member 2)\nPrincipal: 900,000.00 CNY (made up by a non-member)\n",
      ),
    );
    const { page } = await openPage();
    await verifyWithBundle(page, "loan-contract-LN-2026-0777.pdf", forged.document, forged.bundle);
    const rows = Object.fromEntries(await outcomes(page));
    expect(
      [rows.digest, rows.leafEncoding, rows.merklePath],
      "the forgery is internally consistent",
    ).to.deep.equal(["pass", "pass", "pass"]);
    expect(rows.headOnChain).to.equal("fail");
    for (const id of ["blockAndTime", "submitterMembership", "lifecycle"])
      expect(rows[id], id).to.not.equal("pass");
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await text(page, 'tr[data-check="headOnChain"] .plain')).to.contain("look-alike contract");
    expect(await text(page, 'tr[data-check="headOnChain"] .technical')).to.contain(
      `is not the consortium's official EvidenceLog ${chain.deployment.addresses.evidenceLog.toLowerCase()}`,
    );
    expect(
      await text(page, "#fact-status dd"),
      "no lifecycle or names from the service's registry",
    ).to.contain("another evidence log");
    expect(await text(page, "#fact-trust-anchor dd")).to.contain(trustAnchorFingerprint(anchor));
    expect(await text(page, "#result .statement-proves")).to.contain("must not be relied on");
    await screenshot(page, "forged-lookalike-en.png");

    await printedOnA4(page);
    expect(await page.getAttribute("#cert-verdict", "data-verdict")).to.equal("fail");
    expect(await text(page, "#certificate .statement-proves")).to.contain("Nothing about the document");
    expect(await text(page, "#cert-trust-anchor dd"))
      .to.contain(anchor.consortiumRegistry)
      .and.contain(trustAnchorFingerprint(anchor));
    await certificateQrLoaded(page);
    await screenshot(page, "certificate-forged-lookalike-en.png");
    await page.close();
  });

  it("a verification link (the QR target) opens the verification at once, in the browser's language (Chinese); adding the document completes it", async function () {
    const zh = await launchChromium({ locale: "zh-CN" });
    try {
      const page = await zh.context.newPage();
      await page.goto(`${baseUrl}/verify?leaf=${leaves.held}`);
      await finished(page);
      expect(await page.getAttribute("html", "lang")).to.equal("zh-CN");
      expect(await page.getAttribute("#verdict", "data-verdict"), "no document compared yet").to.equal(
        "nodocument",
      );
      expect(Object.fromEntries(await outcomes(page)).digest).to.equal("indeterminate");
      expect(await text(page, "#fact-hold"))
        .to.contain("是")
        .and.contain("Hangzhou Internet Court");
      expect(await text(page, "#leaf-notice")).to.contain("请选择文件");
      await screenshot(page, "link-legal-hold-zh.png");

      await verifyPdf(page, "voucher-FV-2026-0042.pdf", HELD);
      expect(await outcomes(page)).to.deep.equal(CHECK_IDS.map((id) => [id, "pass"]));
      expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("pass");
      expect(await text(page, 'tr[data-check="lifecycle"] .technical')).to.contain("under legal hold");

      const bad = await zh.context.newPage();
      await bad.goto(`${baseUrl}/verify?leaf=0x12`);
      await finished(bad, "error");
      expect(await text(bad, "#message")).to.contain("叶哈希无效");
    } finally {
      await zh.close();
    }
  });

  it("hashes the same without Web Crypto (plain-HTTP LAN pages): the built-in SHA-256 agrees with crypto.subtle", async function () {
    const { page } = await openPage();
    const random = randomBytes(200_003).toString("base64");
    const agree = await page.evaluate(async (base64) => {
      const module: string = "/verify/sha256.js";
      const { sha256Portable, toHex } = await import(module);
      const inputs = [
        new Uint8Array(0),
        new TextEncoder().encode("abc"),
        Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)),
      ];
      for (let n = 50; n < 70; n++) inputs.push(new Uint8Array(n).fill(n));
      const results = [];
      for (const bytes of inputs)
        results.push([
          toHex(sha256Portable(bytes)),
          toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))),
        ]);
      return results;
    }, random);
    expect(agree[1]![0]).to.equal("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (const [portable, webCrypto] of agree) expect(portable).to.equal(webCrypto);
    await page.close();
  });

  it("a chain whose clock was moved seven weeks ahead: trustedTime fails, saying the block time is after the TSA's, in both languages", async function () {
    // last in this file: the chain's clock stays moved. The demo once did this to the persistent
    // local chain, and a document anchored that day was certified as anchored seven weeks later.
    await chain.anvil.provider.send("evm_increaseTime", [7 * 7 * 86_400]);
    await chain.anvil.provider.send("evm_mine", []);
    const document = Buffer.from(`Repayment voucher RV-2026-0042 ${randomBytes(4).toString("hex")}\n`);
    await waitForBundle((await submitOverHttp(baseUrl, chain, [recordFor(document, 4)]))[0]!.leafHash);

    const { page } = await openPage();
    await verifyPdf(page, "repayment-voucher.pdf", document);
    expect(await page.getAttribute("#verdict", "data-verdict")).to.equal("fail");
    expect(await page.getAttribute('tr[data-check="trustedTime"]', "data-outcome")).to.equal("fail");
    expect(await text(page, 'tr[data-check="trustedTime"]')).to.match(
      /after the time .* the TSA .* attests for this tree head/,
    );
    expect(await text(page, "#verdict .verdict-text")).to.contain("cannot be relied on");
    expect(await page.$("#fact-trusted-time"), "no TSA-attested time is stated").to.equal(null);
    await screenshot(page, "clock-ahead-en.png");
    await page.click('button[data-lang="zh"]');
    expect(await text(page, "#verdict .verdict-text")).to.contain("存证时间不可采信");
    await screenshot(page, "clock-ahead-zh.png");
  });
});
