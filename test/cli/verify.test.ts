// scripts/cli/verify.ts: argument parsing, rendering, file hashing and the offline run end to end
// (exit codes 1, 2, 3). The online run is covered by test/contracts/bundle-online.test.ts.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash, getHashes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DigestAlgorithm } from "../../common/formats/leaf/leaf.ts";
import { CHECK_IDS, overall, verifyOffline, type CheckResult } from "../../common/formats/bundle/verify.ts";
import {
  EXIT_CODES,
  digestFile,
  endpointName,
  main,
  parseArgs,
  renderJson,
  renderTable,
  requiredChecks,
} from "../../scripts/cli/verify.ts";
import { trustAnchorFingerprint, trustAnchorJson } from "../../common/formats/bundle/trust-anchor.ts";
import { DOCUMENT, DOCUMENT_DIGEST, sampleBundle, sampleTrustAnchor } from "../support/bundle.fixture.ts";

const SAMPLE_TRUST_ANCHOR_SUMMARY = {
  name: "JointLedger consortium",
  chainId: "20251",
  genesisHash: sampleTrustAnchor().genesisHash,
  consortiumRegistry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
};

const CLI = new URL("../../scripts/cli/verify.ts", import.meta.url).pathname;

function sink(): { write(text: string): boolean; text: () => string } {
  let text = "";
  return { write: (t: string) => ((text += t), true), text: () => text };
}

describe("verify CLI", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "jl-verify-"));
    writeFileSync(join(dir, "contract.pdf"), DOCUMENT);
    writeFileSync(join(dir, "other.pdf"), "another document");
    writeFileSync(join(dir, "bundle.json"), JSON.stringify(sampleBundle(), null, 2));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("parseArgs", function () {
    it("takes the file, the bundle and defaults", function () {
      expect(parseArgs(["doc.pdf", "b.json"])).to.deep.equal({
        file: "doc.pdf",
        bundle: "b.json",
        rpc: [],
        trust: undefined,
        tsaTrust: [],
        json: false,
        minConfirmations: 0,
        help: false,
      });
    });

    it("takes several --rpc, --trust, --json and --min-confirmations in any order", function () {
      const args = parseArgs([
        "--rpc",
        "http://a:8545",
        "doc.pdf",
        "--json",
        "b.json",
        "--rpc=https://b.example/rpc",
        "--min-confirmations",
        "12",
        "--trust",
        "court/trust-anchor.json",
      ]);
      expect(args).to.deep.equal({
        file: "doc.pdf",
        bundle: "b.json",
        rpc: ["http://a:8545", "https://b.example/rpc"],
        trust: "court/trust-anchor.json",
        tsaTrust: [],
        json: true,
        minConfirmations: 12,
        help: false,
      });
    });

    it("refuses missing or extra positionals, unknown options, bad numbers and URLs", function () {
      expect(() => parseArgs(["doc.pdf"])).to.throw(/expected <file> and <bundle.json>/);
      expect(() => parseArgs(["a", "b", "c"])).to.throw(/got 3/);
      expect(() => parseArgs(["a", "b", "--verbose"])).to.throw(/verbose/);
      expect(() => parseArgs(["a", "b", "--min-confirmations", "-1"])).to.throw();
      expect(() => parseArgs(["a", "b", "--min-confirmations", "two"])).to.throw(/whole number/);
      expect(() => parseArgs(["a", "b", "--rpc", "localhost:8545"])).to.throw(/http/);
      expect(() => parseArgs(["a", "b", "--rpc", "ws://node:8546"])).to.throw(/http\(s\)/);
      expect(() => parseArgs(["a", "b", "--rpc"])).to.throw();
      expect(() => parseArgs(["a", "b", "--trust"])).to.throw();
      expect(() => parseArgs(["a", "b", "--trust", " "])).to.throw(
        /--trust needs a file or an http\(s\) URL/,
      );
    });

    it("accepts --help alone, and the help documents every option and the exit codes", async function () {
      expect(parseArgs(["--help"]).help).to.equal(true);
      const out = sink();
      expect(await main(["--help"], out, sink())).to.equal(EXIT_CODES.pass);
      for (const option of ["--trust FILE|URL", "--rpc URL", "--json", "--min-confirmations N", "--help"])
        expect(out.text(), option).to.include(option);
      expect(out.text())
        .to.include("without it they are indeterminate, never pass")
        .and.include("Exit codes: 0 pass, 1 fail, 2 bad input, 3 indeterminate");
    });
  });

  describe("rendering", function () {
    const results = verifyOffline(sampleBundle(), { documentDigest: DOCUMENT_DIGEST });

    it("prints one aligned row per check and the overall outcome", function () {
      const table = renderTable(results, "indeterminate");
      const lines = table.trimEnd().split("\n");
      expect(lines[0]).to.match(/^check\s+outcome\s+reason$/);
      expect(lines[1]).to.match(/^-+\s+-+\s+-+$/);
      const rows = lines.slice(2, 2 + results.length);
      expect(rows.map((l) => l.split(/\s+/)[0])).to.deep.equal(results.map((r) => r.id));
      // The outcome column starts at the same place on every row.
      const column = new Set(rows.map((l, i) => l.indexOf(` ${results[i]!.outcome} `)));
      expect(column.size).to.equal(1);
      expect(lines.at(-1)).to.equal("overall: INDETERMINATE");
    });

    it("prints JSON with the overall outcome, the trust anchor and every check", function () {
      const parsed = JSON.parse(renderJson(results, "pass", sampleBundle())) as {
        overall: string;
        leafHash: string;
        trustAnchor: unknown;
        checks: CheckResult[];
      };
      expect(parsed.overall).to.equal("pass");
      expect(parsed.leafHash).to.equal(sampleBundle().leaf.leafHash);
      expect(parsed.trustAnchor).to.equal(null);
      expect(parsed.checks).to.deep.equal(results);
      const anchored = JSON.parse(renderJson(results, "pass", sampleBundle(), sampleTrustAnchor())) as {
        trustAnchor: Record<string, string>;
      };
      expect(anchored.trustAnchor).to.deep.equal({
        ...SAMPLE_TRUST_ANCHOR_SUMMARY,
        fingerprint: trustAnchorFingerprint(sampleTrustAnchor()),
      });
    });

    it("names the trust anchor above the table (fingerprint), or says online checks had none", function () {
      const anchor = sampleTrustAnchor();
      expect(renderTable(results, "indeterminate", anchor).split("\n")[0]).to.equal(
        `trust anchor: ${anchor.name}, chain ${anchor.chainId}, ConsortiumRegistry ${anchor.consortiumRegistry}, fingerprint ${trustAnchorFingerprint(anchor)}`,
      );
      expect(renderTable(results, "indeterminate", undefined, true).split("\n")[0]).to.equal(
        "trust anchor: none (--trust not given): the chain cannot be checked, so the result cannot pass",
      );
      expect(
        renderTable(results, "indeterminate").split("\n")[0],
        "offline without one: the table only",
      ).to.match(/^check\s+outcome\s+reason$/);
    });

    it("keeps credentials in an endpoint URL out of the report", function () {
      expect(endpointName("https://user:secret@rpc.example:8545/path")).to.equal(
        "https://rpc.example:8545/path",
      );
      expect(endpointName("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
    });
  });

  describe("digestFile", function () {
    it("streams SHA-256", async function () {
      expect(await digestFile(join(dir, "contract.pdf"), DigestAlgorithm.Sha256)).to.equal(DOCUMENT_DIGEST);
      const big = join(dir, "big.bin");
      const content = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
      writeFileSync(big, content);
      expect(await digestFile(big, DigestAlgorithm.Sha256)).to.equal(
        `0x${createHash("sha256").update(content).digest("hex")}`,
      );
    });

    it("computes SM3 with Node's OpenSSL (GB/T 32905 example 1), when it has it", async function () {
      const abc = join(dir, "abc.txt");
      writeFileSync(abc, "abc");
      const digest = await digestFile(abc, DigestAlgorithm.Sm3);
      if (getHashes().includes("sm3")) {
        expect(digest).to.equal("0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
      } else {
        expect(digest).to.equal(undefined);
      }
    });
  });

  describe("main, offline", function () {
    it("marks evidence on a development chain (31337) as a test environment, in the table and the JSON; other chains not", async function () {
      const development = { ...sampleBundle(), anchor: { ...sampleBundle().anchor, chainId: "31337" } };
      writeFileSync(join(dir, "dev-bundle.json"), JSON.stringify(development, null, 2));
      const text = sink();
      await main([join(dir, "contract.pdf"), join(dir, "dev-bundle.json")], text, sink());
      expect(text.text().split("\n")[0]).to.equal(
        "测试环境 — 非正式证据 / Test environment — not evidence: chain 31337 is a development chain, whose finality is only its own node's word; nothing verified here is evidence",
      );
      const json = sink();
      await main([join(dir, "contract.pdf"), join(dir, "dev-bundle.json"), "--json"], json, sink());
      expect((JSON.parse(json.text()) as { testEnvironment: unknown }).testEnvironment).to.deep.equal({
        chainId: "31337",
        notice: "测试环境 — 非正式证据 / Test environment — not evidence",
      });
      const other = sink();
      await main([join(dir, "contract.pdf"), join(dir, "bundle.json"), "--json"], other, sink());
      expect((JSON.parse(other.text()) as { testEnvironment: unknown }).testEnvironment).to.equal(null);
      const otherText = sink();
      await main([join(dir, "contract.pdf"), join(dir, "bundle.json")], otherText, sink());
      expect(otherText.text()).to.not.contain("测试环境");
    });

    it("with --trust FILE prints the trust anchor's fingerprint above the checks; a bad trust anchor is bad input (exit 2)", async function () {
      writeFileSync(join(dir, "trust-anchor.json"), trustAnchorJson(sampleTrustAnchor()));
      const out = sink();
      expect(
        await main(
          [join(dir, "contract.pdf"), join(dir, "bundle.json"), "--trust", join(dir, "trust-anchor.json")],
          out,
          sink(),
        ),
      ).to.equal(EXIT_CODES.indeterminate);
      expect(out.text().split("\n")[0]).to.include(
        `fingerprint ${trustAnchorFingerprint(sampleTrustAnchor())}`,
      );
      writeFileSync(
        join(dir, "not-an-anchor.json"),
        JSON.stringify({ ...sampleTrustAnchor(), chainId: "0" }),
      );
      const err = sink();
      expect(
        await main(
          [join(dir, "contract.pdf"), join(dir, "bundle.json"), "--trust", join(dir, "not-an-anchor.json")],
          sink(),
          err,
        ),
      ).to.equal(EXIT_CODES.badInput);
      expect(err.text()).to.include("trustAnchor.chainId");
    });

    it("is indeterminate (exit 3) for the right document: the chain was not asked", async function () {
      const out = sink();
      const code = await main([join(dir, "contract.pdf"), join(dir, "bundle.json")], out, sink());
      expect(code).to.equal(EXIT_CODES.indeterminate);
      expect(out.text())
        .to.match(/^digest\s+pass/m)
        .and.match(/^merklePath\s+pass/m)
        .and.include("overall: INDETERMINATE");
    });

    it("fails (exit 1) for another document", async function () {
      const out = sink();
      expect(await main([join(dir, "other.pdf"), join(dir, "bundle.json"), "--json"], out, sink())).to.equal(
        EXIT_CODES.fail,
      );
      const report = JSON.parse(out.text()) as { overall: string; checks: CheckResult[] };
      expect(report.overall).to.equal("fail");
      expect(report.checks[0]).to.include({ id: "digest", outcome: "fail" });
    });

    it("checks an SM3 leaf's digest with Node's SM3, or reports it indeterminate without one", async function () {
      const sm3 = getHashes().includes("sm3")
        ? `0x${createHash("sm3").update(DOCUMENT).digest("hex")}`
        : `0x${"5a".repeat(32)}`;
      writeFileSync(
        join(dir, "sm3.json"),
        JSON.stringify(sampleBundle({ digest: sm3, digestAlgorithm: DigestAlgorithm.Sm3 })),
      );
      const out = sink();
      const code = await main([join(dir, "contract.pdf"), join(dir, "sm3.json"), "--json"], out, sink());
      const digest = (JSON.parse(out.text()) as { checks: CheckResult[] }).checks[0]!;
      if (getHashes().includes("sm3")) {
        expect(digest.outcome).to.equal("pass");
        expect(digest.reason).to.include("SM3");
      } else {
        expect(digest).to.deep.equal({
          id: "digest",
          outcome: "indeterminate",
          reason: "SM3 not supported by this verifier",
        });
      }
      expect(code).to.equal(EXIT_CODES.indeterminate);
    });

    it("needs the digest (and online the block time) to pass, unlike overall's default", function () {
      const results = CHECK_IDS.map(
        (id) => ({ id, outcome: id === "digest" ? "indeterminate" : "pass", reason: "" }) as CheckResult,
      );
      expect(overall(results)).to.equal("pass");
      expect(overall(results, requiredChecks(false))).to.equal("indeterminate");
      const timeUnknown = results.map(
        (r) => ({ ...r, outcome: r.id === "blockAndTime" ? "indeterminate" : "pass" }) as CheckResult,
      );
      expect(overall(timeUnknown, requiredChecks(false))).to.equal("pass");
      expect(overall(timeUnknown, requiredChecks(true))).to.equal("indeterminate");
    });

    it("exits 2 naming the field of an invalid bundle, or a missing file", async function () {
      const bundle = JSON.parse(JSON.stringify(sampleBundle())) as { anchor: Record<string, unknown> };
      bundle.anchor.blockHash = "0x1234";
      writeFileSync(join(dir, "bad.json"), JSON.stringify(bundle));
      const err = sink();
      expect(await main([join(dir, "contract.pdf"), join(dir, "bad.json")], sink(), err)).to.equal(
        EXIT_CODES.badInput,
      );
      expect(err.text()).to.include("bundle.anchor.blockHash: must be 0x followed by 64 hex digits");
      expect(await main([join(dir, "missing.pdf"), join(dir, "bundle.json")], sink(), sink())).to.equal(
        EXIT_CODES.badInput,
      );
      expect(await main([join(dir, "contract.pdf")], sink(), sink())).to.equal(EXIT_CODES.badInput);
    });

    it("runs as a script with the documented exit code", async function () {
      this.timeout(20_000);
      const run = promisify(execFile);
      const { stdout } = await run(process.execPath, [CLI, "--help"]);
      expect(stdout).to.include("usage:");
      let code = 0;
      try {
        await run(process.execPath, [CLI, join(dir, "contract.pdf"), join(dir, "bundle.json")]);
      } catch (e) {
        code = (e as { code: number }).code;
      }
      expect(code).to.equal(EXIT_CODES.indeterminate);
    });
  });
});
