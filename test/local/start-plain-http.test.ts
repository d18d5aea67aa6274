// `JL_TLS=off npm start` as its own process: every service answers over plain http, none over
// https, no local CA is made, and what it prints says so (no CA to trust, an http note instead) beside
// the court's verify command (the SM2 receipt key bound through the member directory) and the
// test-environment notice. Ctrl-C stops it cleanly.
import { expect } from "chai";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEST_ENVIRONMENT_NOTICE } from "../../nodes/src/court-page/report.ts";
import { NODE_NAMES, readManifest } from "../../scripts/ops/local/manifest.ts";
import { npmStart, type NpmStart } from "./npm-start.ts";

describe("npm start with JL_TLS=off: plain HTTP (its own process)", function () {
  this.timeout(600_000);
  let dataDir: string;
  let started: NpmStart | undefined;

  before(async function () {
    dataDir = await mkdtemp(path.join(tmpdir(), "jl-plain-http-"));
    started = await npmStart(dataDir, { JL_TLS: "off" });
  });

  after(async function () {
    await started?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the anchor service and the five nodes over http only, and prints that it does", async function () {
    const manifest = await readManifest(dataDir);
    expect(manifest.tls).to.equal(undefined);
    const urls = [manifest.anchor.url, ...NODE_NAMES.map((n) => manifest.nodes[n].url)];
    for (const url of urls) {
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status, url).to.equal(200);
      await ready.body?.cancel();
      const overHttps = await fetch(`${url.replace(/^http:/, "https:")}/readyz`).then(
        (r) => `answered ${r.status}`,
        (e: Error) => e.message,
      );
      expect(overHttps, `${url} over https`).to.not.match(/^answered/);
    }
    const branchA = manifest.nodes.branchA;
    const loans = await fetch(`${branchA.url}/v1/loans`, {
      headers: { authorization: `Bearer ${branchA.tokens.clerk}` },
    });
    expect(loans.status).to.equal(200);
    await loans.body?.cancel();
    const noCa = await stat(path.join(dataDir, "tls")).then(
      () => "made",
      () => "none",
    );
    expect(noCa, "a local CA under JL_TLS=off").to.equal("none");

    const printed = started!.printed;
    expect(printed).to.contain(
      `HTTP: JL_TLS=off, every service over plain http (${manifest.anchor.url}); nothing is encrypted`,
    );
    expect(printed).to.not.contain("--cacert");
    expect(printed).to.not.contain("NODE_EXTRA_CA_CERTS");
    expect(printed).to.not.contain("https://");
    expect(printed).to.contain(`--member-directory ${manifest.memberDirectory.file}`);
    expect(printed).to.not.contain("--receipt-sm2-key");
    expect(printed).to.contain(`${TEST_ENVIRONMENT_NOTICE}: chain id 31337 is a development chain`);
  });

  it("stops on Ctrl-C, keeping its data", async function () {
    const stopped = await started!.stop();
    started = undefined;
    expect(stopped.code, stopped.output).to.equal(0);
    expect(stopped.output).to.match(/stopped; everything is kept in /);
  });
});
