// The court page's case archive screen in a real browser (Debian's Chromium, playwright-core): the
// clerk chooses the ZIP the court's node exported and every item is verified in the page, from the
// archive's bytes alone — no request leaves for any service while it runs. A complete archive
// verifies item by item; one whose original was altered inside it, whose bundle was taken out or
// into which a file was slipped shows each of those. The page is served by its own route on a bare
// server (no anchor service, no chain): nothing the verification needs comes from one.
import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Page } from "playwright-core";
import { buildPageModules } from "../../anchor-service/web/src/build.ts";
import { registerCourtPage } from "../../anchor-service/web/src/serve.ts";
import { caseArchive } from "../../nodes/src/court-package/archive.ts";
import { checkPackage } from "../../nodes/src/court-package/check.ts";
import { readStoredZip } from "../../nodes/src/court-package/verify-archive.ts";
import { zipStored } from "../../nodes/src/court-package/zip.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { complete, facts, pkg } from "../nodes/post-loan/package-fixture.ts";

const ARTIFACTS = join("test-artifacts", "browser");
const AT = new Date(1_767_225_600_000);

describe("court page: the case archive verified in the browser, offline", function () {
  this.timeout(120_000);
  let server: FastifyInstance;
  let url: string;
  let browser: Chromium;

  before(async function () {
    browser = await launchChromium({ locale: "zh-CN" });
    await mkdir(ARTIFACTS, { recursive: true });
    await buildPageModules();
    server = Fastify();
    server.setValidatorCompiler(validatorCompiler);
    server.setSerializerCompiler(serializerCompiler);
    registerCourtPage(server, {
      chainEndpoints: [],
      trustAnchor: () => Promise.resolve(null),
      tsaTrustAnchors: null,
      publicUrl: () => url,
      notFound: (message) => Object.assign(new Error(message), { statusCode: 404 }),
    });
    url = await server.listen({ host: "127.0.0.1", port: 0 });
  });
  after(async function () {
    await browser?.close();
    await server?.close();
  });

  /** Opens the page, chooses `zip` as the archive, and returns the requests made meanwhile. */
  async function verifyInPage(page: Page, zip: Uint8Array): Promise<string[]> {
    await page.goto(`${url}/verify`);
    await page.locator("#case-archive").waitFor({ state: "visible" });
    const requests: string[] = [];
    page.on("request", (request) => requests.push(new URL(request.url()).pathname));
    await page.setInputFiles("#archive", {
      name: "case-archive.zip",
      mimeType: "application/zip",
      buffer: Buffer.from(zip),
    });
    await page.locator("#archive-verdict").waitFor();
    return requests;
  }

  const rows = (page: Page) =>
    page.$$eval("#archive-items tbody tr", (trs) =>
      trs.map((tr) => ({
        label: tr.getAttribute("data-label"),
        ok: tr.getAttribute("data-ok"),
        details: tr.lastElementChild?.textContent ?? "",
      })),
    );

  it("a complete archive: every item verified on the clerk's computer, nothing sent", async function () {
    const full = pkg(complete);
    const { zip } = await caseArchive(full, await checkPackage(full, facts), AT);
    const page = await browser.context.newPage();
    const requests = await verifyInPage(page, zip);
    // the verifier module, from the page's own origin, and nothing else
    expect(requests.filter((p) => p !== "/verify/case-archive-verifier.js")).to.deep.equal([]);
    expect(await page.getAttribute("#archive-verdict", "data-ok")).to.equal("true");
    expect(await page.textContent("#archive-verdict")).to.include(`All ${complete.length} items verified`);
    const shown = await rows(page);
    expect(shown.map((r) => r.label)).to.deep.equal(complete);
    expect(shown.every((r) => r.ok === "true")).to.equal(true);
    await page.screenshot({ path: join(ARTIFACTS, "case-archive.png"), fullPage: true });
    await page.close();
  });

  it("an altered original, a bundle taken out and a file slipped in are each shown", async function () {
    const full = pkg(complete);
    const { zip, manifest } = await caseArchive(full, await checkPackage(full, facts), AT);
    const reminder = manifest.items.find((i) => i.label === "reminder")!;
    const consent = manifest.items.find((i) => i.label === "consent")!;
    const edited = [...readStoredZip(zip)]
      .map(([name, bytes]) => ({ name, bytes }))
      .filter((e) => e.name !== consent.bundle)
      .map((e) =>
        e.name === reminder.original ? { ...e, bytes: Buffer.from('{"noticeId":"REMINDER"}') } : e,
      );
    edited.push({ name: "originals/99-voucher.bin", bytes: Buffer.from("a voucher nobody listed") });
    const page = await browser.context.newPage();
    const requests = await verifyInPage(page, zipStored(edited, AT));
    expect(requests.filter((p) => p !== "/verify/case-archive-verifier.js")).to.deep.equal([]);
    expect(await page.getAttribute("#archive-verdict", "data-ok")).to.equal("false");
    expect(await page.textContent("#archive-verdict")).to.include(
      `2 of ${complete.length} items NOT verified`,
    );
    const byLabel = new Map((await rows(page)).map((r) => [r.label, r]));
    expect(byLabel.get("reminder")).to.deep.include({ ok: "false" });
    expect(byLabel.get("reminder")!.details).to.include("digest:");
    expect(byLabel.get("consent")!.details).to.include(`${consent.bundle} is not in the archive`);
    expect(byLabel.get("loan contract")).to.deep.include({ ok: "true" });
    expect(await page.textContent("#archive-report")).to.include("originals/99-voucher.bin");
    await page.screenshot({ path: join(ARTIFACTS, "case-archive-altered.png"), fullPage: true });
    // a file that is no archive is refused with its reason
    await page.setInputFiles("#archive", {
      name: "x.zip",
      mimeType: "application/zip",
      buffer: Buffer.from("no zip"),
    });
    await page.locator("#archive-message", { hasText: "Not a case archive" }).waitFor();
    await page.close();
  });
});
