// common/formats/bundle/trust-anchor.ts: the schema (every bad field named), the canonical form and
// fingerprint (what binds a verdict, and only that), loading from a file or a URL, and
// BUNDLE.md's trust-anchor example, which must stay what sampleTrustAnchor() builds.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  TRUST_ANCHOR_PATH,
  TrustAnchorError,
  canonicalTrustAnchor,
  loadTrustAnchor,
  parseTrustAnchor,
  trustAnchorFingerprint,
  trustAnchorJson,
} from "../../../../common/formats/bundle/trust-anchor.ts";
import { sampleTrustAnchor } from "../../../support/bundle.fixture.ts";
import { rejectedBy } from "../../../support/expect-error.ts";

const BUNDLE_MD = new URL("../../../../common/formats/bundle/BUNDLE.md", import.meta.url);

const refused = (promise: Promise<unknown>): Promise<TrustAnchorError> =>
  rejectedBy(promise, TrustAnchorError);

describe("trust anchor", function () {
  describe("schema", function () {
    it("accepts the example and refuses unknown fields, other formats, bad ids, hashes and addresses, naming each", function () {
      const good = sampleTrustAnchor();
      expect(parseTrustAnchor(JSON.parse(JSON.stringify(good)))).to.deep.equal(good);
      const { evidenceContracts: _, ...withoutPair } = good;
      expect(
        parseTrustAnchor(withoutPair),
        "the official pair is optional: the verifier reads it on chain",
      ).to.deep.equal(withoutPair);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...good, evidenceLog: good.consortiumRegistry }, "Unrecognized key"],
        [{ ...good, format: "jointledger.trust-anchor/2" }, "trustAnchor.format"],
        [{ ...good, chainId: "020251" }, "trustAnchor.chainId"],
        [{ ...good, chainId: 20251 }, "trustAnchor.chainId"],
        [{ ...good, genesisHash: "0x12" }, "trustAnchor.genesisHash"],
        [
          { ...good, consortiumRegistry: "0x9FE46736679d2d9a65f0992f2272de9f3c7fa6e0" },
          "trustAnchor.consortiumRegistry: bad EIP-55 checksum",
        ],
        [{ ...good, name: "" }, "trustAnchor.name"],
        [{ ...good, evidenceContracts: { evidenceLog: "0x1" } }, "trustAnchor.evidenceContracts.evidenceLog"],
      ];
      for (const [value, message] of cases) {
        let error: unknown;
        try {
          parseTrustAnchor(value);
        } catch (e) {
          error = e;
        }
        expect(error, message).to.be.instanceOf(TrustAnchorError);
        expect((error as TrustAnchorError).code).to.equal("TRUST_ANCHOR_INVALID");
        expect((error as Error).message).to.include(message);
      }
    });
  });

  describe("canonical form and fingerprint", function () {
    it("cover the format, chain id, genesis hash and registry only, in a fixed order and case", function () {
      const anchor = sampleTrustAnchor();
      expect(canonicalTrustAnchor(anchor)).to.equal(
        `{"chainId":"20251","consortiumRegistry":"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0","format":"jointledger.trust-anchor/1","genesisHash":"${anchor.genesisHash}"}`,
      );
      const fingerprint = trustAnchorFingerprint(anchor);
      expect(fingerprint).to.match(/^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
      // what does not bind a verdict does not change it
      const { evidenceContracts: _, ...withoutPair } = anchor;
      const renamed = {
        ...withoutPair,
        name: "another label",
        consortiumRegistry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        genesisHash: anchor.genesisHash.toUpperCase().replace("0X", "0x"),
      };
      expect(trustAnchorFingerprint(parseTrustAnchor(renamed))).to.equal(fingerprint);
      // what does, does
      for (const other of [
        { ...anchor, chainId: "20252" },
        { ...anchor, genesisHash: `0x${"00".repeat(32)}` },
        { ...anchor, consortiumRegistry: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512" },
      ]) {
        expect(trustAnchorFingerprint(other)).to.not.equal(fingerprint);
      }
    });

    it("BUNDLE.md shows the example trust anchor and its fingerprint as the code builds them", function () {
      const doc = readFileSync(BUNDLE_MD, "utf8");
      const section = doc.slice(doc.indexOf("## Trust anchor"));
      const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
      expect(json, "a json block in the Trust anchor section").to.be.a("string");
      expect(json).to.equal(trustAnchorJson(sampleTrustAnchor()));
      expect(section).to.include(`fingerprint ${trustAnchorFingerprint(sampleTrustAnchor())}`);
    });
  });

  describe("loading", function () {
    let dir: string;
    let server: Server;
    let base: string;
    const served = new Map<string, { status: number; body: string }>();

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), "jl-trust-"));
      server = createServer((req, res) => {
        const answer = served.get(req.url ?? "") ?? { status: 404, body: "not found" };
        res.statusCode = answer.status;
        res.end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async function () {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    it("reads a file and a URL to the same trust anchor", async function () {
      const text = trustAnchorJson(sampleTrustAnchor());
      writeFileSync(join(dir, "trust-anchor.json"), text);
      served.set(TRUST_ANCHOR_PATH, { status: 200, body: text });
      expect(await loadTrustAnchor(join(dir, "trust-anchor.json"))).to.deep.equal(sampleTrustAnchor());
      expect(await loadTrustAnchor(`${base}${TRUST_ANCHOR_PATH}`)).to.deep.equal(sampleTrustAnchor());
    });

    it("refuses a missing file, an HTTP error, a body that is not JSON or not a trust anchor, and an oversized one, with a code", async function () {
      expect((await refused(loadTrustAnchor(join(dir, "missing.json")))).code).to.equal(
        "TRUST_ANCHOR_UNREADABLE",
      );
      expect((await refused(loadTrustAnchor(`${base}/nothing-here`))).message).to.include("HTTP 404");
      served.set("/html", { status: 200, body: "<html>consortium</html>" });
      expect((await refused(loadTrustAnchor(`${base}/html`))).code).to.equal("TRUST_ANCHOR_NOT_JSON");
      served.set("/bundle", {
        status: 200,
        body: JSON.stringify({ format: "jointledger.evidence-bundle/1" }),
      });
      expect((await refused(loadTrustAnchor(`${base}/bundle`))).code).to.equal("TRUST_ANCHOR_INVALID");
      served.set("/big", { status: 200, body: `{"name":"${"x".repeat(70_000)}"}` });
      expect((await refused(loadTrustAnchor(`${base}/big`))).message).to.include("larger than");
      expect((await refused(loadTrustAnchor("http://127.0.0.1:9/trust-anchor.json"))).code).to.equal(
        "TRUST_ANCHOR_UNREADABLE",
      );
    });

    it("fetches over plain HTTP only from this machine: another host needs https", async function () {
      let fetched = 0;
      const fetchSpy = (async () => {
        fetched++;
        return new Response(JSON.stringify(sampleTrustAnchor()));
      }) as typeof fetch;
      for (const url of [
        "http://evidence.example.org/.well-known/jointledger-trust-anchor.json",
        "http://10.0.0.9:9545/x",
        "http://127.example.org/x",
      ]) {
        expect((await refused(loadTrustAnchor(url, { fetch: fetchSpy }))).code, url).to.equal(
          "TRUST_ANCHOR_INSECURE",
        );
      }
      expect(fetched, "nothing was fetched over plain HTTP from another host").to.equal(0);
      for (const url of [
        "https://evidence.example.org/.well-known/jointledger-trust-anchor.json",
        "http://localhost:9545/x",
        "http://127.0.0.1:9545/x",
        "http://[::1]:9545/x",
      ]) {
        expect(await loadTrustAnchor(url, { fetch: fetchSpy }), url).to.deep.equal(sampleTrustAnchor());
      }
      expect(fetched).to.equal(4);
    });
  });
});
