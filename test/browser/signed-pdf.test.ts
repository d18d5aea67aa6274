// The court verification page shows a signed PDF's signers beside the evidence checks, in
// Debian's Chromium against the anchor service over Anvil: a loan contract generated and signed
// by a borrower and sealed by a branch (demo CA), anchored, is verified — evidence checks pass and
// the signatures section names both signers (certificate subjects) and their chains to the demo
// root the clerk gives; without a root it lists who the signatures claim, unverified; under another
// CA's root and after a one-byte change it says the signatures do not verify. The document never
// leaves the browser. Screenshots in test-artifacts/browser/ (signed-contract-zh.png, …).
import { expect } from "chai";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { submitOverHttp } from "../support/anchor-suite.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { buildPageModules } from "../../anchor-service/web/src/build.ts";
import { createDemoCa, type DemoCa } from "../../common/pki/demo-ca.ts";
import { generateContract } from "../../nodes/src/e-contract/generate.ts";
import { signPdf } from "../../nodes/src/e-contract/sign.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { freePort } from "../support/anvil.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";
import { jointLoanTerms } from "../nodes/e-contract/fixtures.ts";

const ARTIFACTS = join("test-artifacts", "browser");

/** A contract of `terms` signed by borrower 张三 and sealed by the branch, both under `ca`. */
async function signedContract(ca: DemoCa): Promise<Buffer> {
  const { contractPdf } = await generateContract(jointLoanTerms());
  const borrower = await ca.issueBorrowerCertificate("张三");
  const seal = await ca.issueBranchSeal("杭州西湖农村商业银行");
  const signed = await signPdf(contractPdf, borrower, {
    name: "张三",
    reason: "借款人签署",
    location: "浙江省杭州市",
  });
  return Buffer.from(
    await signPdf(signed, seal, {
      name: "杭州西湖农村商业银行",
      reason: "贷款人签章",
      location: "浙江省杭州市",
    }),
  );
}

describe("court verification page in Chromium: a signed PDF's signers beside the evidence checks", function () {
  this.timeout(180_000);
  let chain: ConsortiumChain;
  let service: AnchorService;
  let dataDir: string;
  let baseUrl: string;
  let browser: Chromium;
  let ca: DemoCa;
  let otherCa: DemoCa;
  let contract: Buffer;

  before(async function () {
    // the page's signature module is build output: written here as npm ci and npm start write it
    await buildPageModules();
    browser = await launchChromium({ locale: "zh-CN" });
    await mkdir(ARTIFACTS, { recursive: true });
    chain = await startConsortiumChain();
    dataDir = await mkdtemp(join(tmpdir(), "verify-signed-pdf-"));
    const port = await freePort();
    service = await createAnchorService({
      config: chain.config({ dataDir, host: "127.0.0.1", port, commitIntervalMs: 200 }),
      logger: false,
    });
    await service.start();
    baseUrl = await service.app.listen({ host: "127.0.0.1", port });
    ca = await createDemoCa();
    otherCa = await createDemoCa({ name: "Another Demo Root CA 演示用" });
    contract = await signedContract(ca);
    // branch A anchors the signed contract
    const [receipt] = await submitOverHttp(baseUrl, chain, [recordFor(contract, 1)]);
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${baseUrl}/v1/bundles/${receipt!.leafHash}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error("the contract was not anchored in time");
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async function () {
    await browser?.close();
    await service?.close();
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** Opens the page, gives it `pdf` and the `roots`, verifies, and waits until the page is done or failed. */
  async function verify(pdf: Buffer, roots: DemoCa[]) {
    const page = await browser.context.newPage();
    // each test starts from the browser's language (zh-CN), not from a choice an earlier test stored
    await page.addInitScript(() =>
      (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear(),
    );
    const requests: Array<Buffer | null> = [];
    page.on("request", (r) => requests.push(r.postDataBuffer()));
    await page.goto(`${baseUrl}/verify`);
    await page.setInputFiles("#document", { name: "借款合同.pdf", mimeType: "application/pdf", buffer: pdf });
    if (roots.length > 0)
      await page.setInputFiles(
        "#roots",
        roots.map((r, i) => ({
          name: `root-${i + 1}.pem`,
          mimeType: "application/x-pem-file",
          buffer: Buffer.from(r.certificatePem),
        })),
      );
    await page.click("#verify");
    await page.waitForSelector(`body[data-phase="done"], body[data-phase="error"]`);
    // the document itself is never sent: no request carries its bytes
    const head = pdf.subarray(0, 64);
    expect(requests.filter((b) => b !== null && b.includes(head))).to.deep.equal([]);
    return page;
  }

  const text = async (page: Page, selector: string) =>
    ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();

  it("a signed, anchored contract: the evidence checks pass and both signers are named, their chains to the demo root (中文)", async function () {
    const page = await verify(contract, [ca]);
    expect(await page.getAttribute("body", "data-phase")).to.equal("done");
    expect(await page.getAttribute("#result tr[data-check='digest']", "data-outcome")).to.equal("pass");
    expect(await page.getAttribute("#signatures", "data-outcome")).to.equal("pass");
    const shown = await text(page, "#signatures");
    expect(shown).to.contain("电子签名").and.contain("此 PDF 带有 2 个电子签名").and.contain("签名有效");
    expect(shown).to.contain("CN=张三 (Demo)").and.contain("借款人签名");
    expect(shown).to.contain("CN=杭州西湖农村商业银行 电子签章 (Demo)").and.contain("贷款机构电子签章");
    expect(shown).to.contain("JointLedger Demo Root CA 演示用");
    await page.locator("#signatures").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "signed-contract-zh.png"), fullPage: true });
    // and in English
    await page.click("[data-lang='en']");
    expect(await text(page, "#signatures"))
      .to.contain("Electronic signatures")
      .and.contain("Signatures valid");
    await page.screenshot({ path: join(ARTIFACTS, "signed-contract-en.png"), fullPage: true });
    await page.close();
  });

  it("without a trust root: the signers the signatures claim, marked unverified", async function () {
    const page = await verify(contract, []);
    expect(await page.getAttribute("#signatures", "data-outcome")).to.equal("unchecked");
    const shown = await text(page, "#signatures");
    expect(shown).to.contain("未核验证书链").and.contain("CN=张三 (Demo)").and.contain("（自述，未核验）");
    await page.close();
  });

  it("under another CA's root, and after a one-byte change: the signatures do not verify", async function () {
    const untrusted = await verify(contract, [otherCa]);
    expect(await untrusted.getAttribute("#signatures", "data-outcome")).to.equal("fail");
    expect(await text(untrusted, "#signatures")).to.contain("NODE_ERR_CONTRACT_UNTRUSTED_CA");
    await untrusted.close();

    const changed = Buffer.from(contract);
    // one byte of the first page's content, inside what both signatures cover
    const at = changed.indexOf("stream") + 20;
    changed[at] = changed[at]! ^ 0x01;
    const page = await verify(changed, [ca]);
    expect(await page.getAttribute("#signatures", "data-outcome")).to.equal("fail");
    expect(await text(page, "#signatures")).to.contain("NODE_ERR_CONTRACT_DIGEST_MISMATCH");
    await page.screenshot({ path: join(ARTIFACTS, "signed-contract-changed-zh.png"), fullPage: true });
    await page.close();
  });
});
