// Security checks against a real anchor service (Anvil, real LevelDB, app.inject): forged
// receipts, forged or tampered evidence bundles, proofs for a head that is not on chain, and
// evidence anchored in a look-alike EvidenceLog outside the consortium are all refused — by
// common/formats/receipt/receipts.ts, by POST /v1/verify (online, bound to the service's trust anchor) and
// by verifyOffline.
// Replay of a signed submission and a submission signed by a suspended member are covered in
// test/anchor-service/api.test.ts ("ANCHOR_ERR_REPLAY …", "suspension"); see THREATS.md.
import { expect } from "chai";
import type { InjectOptions } from "fastify";
import { createHash, randomBytes } from "node:crypto";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain, signReceiptBatch, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import { fromHex, toHex } from "../../common/bytes.ts";
import type { EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { encodeLeaf, type EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import {
  TRUST_ANCHOR_PATH,
  parseTrustAnchor,
  readTrustAnchor,
  trustAnchorFingerprint,
} from "../../common/formats/bundle/trust-anchor.ts";
import {
  overall,
  verifyOffline,
  verifyOnline as verifyWithLibrary,
} from "../../common/formats/bundle/verify.ts";
import {
  hashLeaf,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../common/formats/merkle/rfc9162.ts";
import { createAnchorService } from "../../anchor-service/src/service.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { MEMBERS, recordFor } from "../support/consortium-chain.ts";
import { forgeUnionLookalike } from "../support/forgery.fixture.ts";

type Verdict = {
  overall: string;
  checks: Array<{ id: string; outcome: string; reason: string }>;
  trustAnchor: {
    chainId: string;
    genesisHash: string;
    consortiumRegistry: string;
    fingerprint: string;
    url: string;
  };
};

describe("security: forged receipts, forged bundles, heads not on chain (real anchor service)", function () {
  this.timeout(120_000);
  const suite = anchorServiceSuite({
    onDisk: "security-evidence-",
    config: { commitLeaves: 1_000_000 },
    settleFirstRound: true,
  });
  let receipts: Receipt[];
  let bundle: EvidenceBundle;
  const document = `loan contract ${randomBytes(8).toString("hex")}`;
  const documentDigest = `0x${createHash("sha256").update(document).digest("hex")}`;

  before(async function () {
    const reply = await suite.postLeaves(
      JSON.stringify({
        records: [recordFor(document), recordFor("another document"), recordFor("a third document")],
      }),
    );
    expect(reply.statusCode, reply.body).to.equal(200);
    receipts = (reply.json() as { receipts: Receipt[] }).receipts;
    await suite.service.committer.runOnce();
    bundle = parseBundle(
      (await suite.service.app.inject({ method: "GET", url: `/v1/bundles/${receipts[0]!.leafHash}` })).json(),
    );
  });

  const domain = () => receiptDomain(suite.chain.chainId, suite.chain.deployment.addresses.evidenceLog);
  const operator = async () =>
    ((await suite.service.app.inject({ method: "GET", url: "/v1/info" })).json() as { operator: string })
      .operator;
  const verifyOnline = async (b: unknown, digest = documentDigest): Promise<Verdict> => {
    const reply = await suite.service.app.inject({
      method: "POST",
      url: "/v1/verify",
      payload: { bundle: b, documentDigest: digest },
    });
    expect(reply.statusCode, reply.body).to.equal(200);
    return reply.json() as Verdict;
  };
  const outcome = (v: Verdict, id: string) => v.checks.find((c) => c.id === id)!.outcome;
  const edited = (edit: (b: EvidenceBundle) => void): EvidenceBundle => {
    const copy = structuredClone(bundle);
    edit(copy);
    return copy;
  };
  const otherHex = (hex: string) => `0x${hex.slice(2, 3) === "0" ? "1" : "0"}${hex.slice(3)}`;

  describe("receipts", function () {
    it("the genuine receipts verify against the operator the service names in /v1/info", async function () {
      const expected = await operator();
      for (const r of receipts) expect(verifyReceipt(domain(), r, expected)).to.deep.equal({ ok: true });
    });

    it("a receipt edited to claim another leaf, sequence, time or batch fails, and the service denies the claimed leaf", async function () {
      const expected = await operator();
      const forgedLeaf = `0x${createHash("sha256").update("a document never submitted").digest("hex")}`;
      const forgeries: Array<[string, Receipt]> = [
        ["leafHash", { ...receipts[0]!, leafHash: forgedLeaf }],
        ["sequence", { ...receipts[0]!, sequence: receipts[1]!.sequence }],
        ["receivedAt (earlier)", { ...receipts[0]!, receivedAt: "2020-01-01T00:00:00Z" }],
        ["maxMergeDelaySeconds", { ...receipts[0]!, maxMergeDelaySeconds: 1 }],
        [
          "batch root",
          { ...receipts[0]!, batch: { ...receipts[0]!.batch, root: otherHex(receipts[0]!.batch.root) } },
        ],
        ["proof spliced from another receipt", { ...receipts[0]!, proof: receipts[1]!.proof }],
        ["logId", { ...receipts[0]!, logId: otherHex(receipts[0]!.logId) }],
      ];
      for (const [what, forged] of forgeries) {
        const result = verifyReceipt(domain(), forged, expected);
        expect(result.ok, `forged ${what} verified`).to.equal(false);
      }
      const denied = await suite.service.app.inject({ method: "GET", url: `/v1/leaves/${forgedLeaf}` });
      expect(denied.statusCode).to.equal(404);
      expect((denied.json() as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_UNKNOWN_LEAF");
    });

    it("a receipt a member signs itself fails: RECEIPT_WRONG_SERVICE under its own address, a bad signature under the operator's", async function () {
      const expected = await operator();
      const fake = await signReceiptBatch(suite.chain.wallets.branchA, domain(), {
        logId: receipts[0]!.logId,
        firstSequence: 0,
        leafHashes: [fromHex(`0x${createHash("sha256").update("backdated").digest("hex")}`)],
        receivedAt: 1_600_000_000,
        maxMergeDelaySeconds: 60,
      });
      const own = verifyReceipt(domain(), fake.receipts[0], expected);
      expect(own.ok).to.equal(false);
      expect((own as { code: string }).code).to.equal("RECEIPT_WRONG_SERVICE");
      const impersonating = { ...fake.receipts[0]!, service: { address: expected } };
      const result = verifyReceipt(domain(), impersonating, expected);
      expect(result.ok).to.equal(false);
      expect((result as { code: string }).code).to.equal("RECEIPT_BAD_SIGNATURE");
    });
  });

  describe("bundles", function () {
    it("the genuine bundle passes online (POST /v1/verify) and is only short of the chain offline", async function () {
      expect((await verifyOnline(bundle)).overall).to.equal("pass");
      expect(overall(verifyOffline(bundle, { documentDigest }))).to.equal("indeterminate");
    });

    const tamperings: Array<[string, (b: EvidenceBundle) => void, string[]]> = [
      [
        "the record's digest (another document)",
        (b) => void (b.leaf.record.digest = otherHex(b.leaf.record.digest)),
        ["digest"],
      ],
      ["the record's submitter", (b) => void (b.leaf.record.submitter = MEMBERS.court), ["leafEncoding"]],
      [
        "the record's salt",
        (b) => void (b.leaf.record.salt = otherHex(b.leaf.record.salt)),
        ["leafEncoding"],
      ],
      ["the leaf hash", (b) => void (b.leaf.leafHash = otherHex(b.leaf.leafHash)), ["leafEncoding"]],
      [
        "an inclusion-proof element",
        (b) => void (b.inclusionProof[0] = otherHex(b.inclusionProof[0]!)),
        ["merklePath"],
      ],
      ["the leaf index", (b) => void (b.log.leafIndex = b.log.leafIndex + 1), ["merklePath"]],
      ["the head's root", (b) => void (b.head.rootHash = otherHex(b.head.rootHash)), ["merklePath"]],
    ];
    for (const [what, edit, offlineFails] of tamperings) {
      it(`tampering with ${what}: fails online and offline`, async function () {
        const forged = edited(edit);
        const online = await verifyOnline(forged);
        expect(online.overall, JSON.stringify(online.checks)).to.equal("fail");
        const offline = verifyOffline(forged, { documentDigest });
        expect(overall(offline)).to.equal("fail");
        for (const id of offlineFails) expect(offline.find((c) => c.id === id)!.outcome, id).to.equal("fail");
      });
    }

    it("claiming an earlier block time, another block or another chain: fails online, never passes offline", async function () {
      const forgeries = [
        edited((b) => {
          b.anchor.blockTimestamp -= 86_400;
          b.anchor.anchoredAt = new Date(b.anchor.blockTimestamp * 1000).toISOString().replace(".000Z", "Z");
        }),
        edited((b) => void (b.anchor.blockHash = otherHex(b.anchor.blockHash))),
        edited((b) => void (b.anchor.chainId = "1")),
        edited((b) => void (b.log.operatorMember = MEMBERS.branchA)),
      ];
      for (const forged of forgeries) {
        const reparsed = parseBundle(JSON.parse(JSON.stringify(forged)));
        expect((await verifyOnline(reparsed)).overall).to.equal("fail");
        expect(overall(verifyOffline(reparsed, { documentDigest }))).to.not.equal("pass");
      }
    });
  });

  describe("a look-alike EvidenceLog outside the consortium (trust anchor)", function () {
    it("the service publishes its trust anchor: this chain's id and genesis hash, its ConsortiumRegistry and the official pair", async function () {
      const reply = await suite.service.app.inject({ method: "GET", url: TRUST_ANCHOR_PATH });
      expect(reply.statusCode, reply.body).to.equal(200);
      const published = parseTrustAnchor(reply.json());
      const expected = await readTrustAnchor(suite.chain.anvil.provider, {
        consortiumRegistry: suite.chain.deployment.addresses.consortiumRegistry,
        name: published.name,
      });
      expect(published).to.deep.equal(expected);
      expect(published.evidenceContracts).to.deep.equal({
        evidenceLog: suite.chain.deployment.addresses.evidenceLog.toLowerCase(),
        evidenceRegistry: suite.chain.deployment.addresses.evidenceRegistry.toLowerCase(),
      });
      const verdict = await verifyOnline(bundle);
      expect(verdict.trustAnchor).to.deep.include({
        chainId: expected.chainId,
        genesisHash: expected.genesisHash,
        fingerprint: trustAnchorFingerprint(expected),
        url: TRUST_ANCHOR_PATH,
      });
    });

    it("forged evidence a non-member anchored in its own look-alike contracts (naming the real registry and member 1) fails POST /v1/verify and the library", async function () {
      const forged = await forgeUnionLookalike(suite.chain);
      const digest = `0x${createHash("sha256").update(forged.document).digest("hex")}`;
      const offline = verifyOffline(forged.bundle, { documentDigest: digest });
      expect(
        offline.slice(0, 3).map((c) => c.outcome),
        "the forgery is internally consistent",
      ).to.deep.equal(["pass", "pass", "pass"]);

      const verdict = await verifyOnline(forged.bundle, digest);
      expect(verdict.overall, JSON.stringify(verdict.checks)).to.equal("fail");
      expect(outcome(verdict, "headOnChain")).to.equal("fail");
      expect(verdict.checks.find((c) => c.id === "headOnChain")!.reason).to.include(
        `is not the consortium's official EvidenceLog ${suite.chain.deployment.addresses.evidenceLog.toLowerCase()}`,
      );
      for (const id of ["blockAndTime", "submitterMembership", "lifecycle"])
        expect(outcome(verdict, id), id).to.not.equal("pass");

      const trustAnchor = await readTrustAnchor(suite.chain.anvil.provider, {
        consortiumRegistry: suite.chain.deployment.addresses.consortiumRegistry,
        name: "court copy",
      });
      const library = await verifyWithLibrary(forged.bundle, {
        trustAnchor,
        providers: [suite.chain.anvil.provider],
        documentDigest: digest,
      });
      expect(overall(library)).to.equal("fail");
      const unanchored = await verifyWithLibrary(forged.bundle, {
        trustAnchor: null,
        providers: [suite.chain.anvil.provider],
        documentDigest: digest,
      });
      expect(overall(unanchored), "no trust anchor: never a pass").to.equal("indeterminate");
    });
  });

  describe("a service that has not reached its chain yet", function () {
    it("publishes no trust anchor and verifies nothing (503 ANCHOR_ERR_CHAIN_UNAVAILABLE), refusing a malformed bundle first (400)", async function () {
      const cut = await createAnchorService({
        config: suite.chain.config({ dataDir: "unused", rpcUrl: "http://127.0.0.1:9" }),
        inMemory: true,
        logger: false,
      });
      try {
        const refused = async (request: InjectOptions, status: number, code: string) => {
          const reply = await cut.app.inject(request);
          expect(reply.statusCode, reply.body).to.equal(status);
          expect((reply.json() as { error: { code: string } }).error.code).to.equal(code);
        };
        await refused({ method: "GET", url: TRUST_ANCHOR_PATH }, 503, "ANCHOR_ERR_CHAIN_UNAVAILABLE");
        const verify = (payload: object): InjectOptions => ({ method: "POST", url: "/v1/verify", payload });
        await refused(verify({ bundle, documentDigest }), 503, "ANCHOR_ERR_CHAIN_UNAVAILABLE");
        await refused(verify({ bundle: { ...bundle, format: "x" } }), 400, "ANCHOR_ERR_VALIDATION");
      } finally {
        await cut.close();
      }
    });
  });

  describe("a proof for a head that is not on chain", function () {
    /** A self-consistent tree of the genuine leaf and fabricated ones: its root was never committed. */
    function offChainBundle(extraLeaves: number): EvidenceBundle {
      const leafHash = fromHex(bundle.leaf.leafHash);
      const fabricated = Array.from({ length: extraLeaves }, () =>
        hashLeaf(
          encodeLeaf({
            ...(recordFor("fabricated") as object),
            version: 1,
            submitter: MEMBERS.branchA,
          } as EvidenceRecord),
        ),
      );
      const leaves = [leafHash, ...fabricated];
      const proof = inclusionProof(0, leaves.length, memoRangeHasher(leaves));
      return edited((b) => {
        b.log.leafIndex = 0;
        b.head.treeSize = leaves.length;
        b.head.rootHash = toHex(rootFromLeafHashes(leaves));
        b.inclusionProof = proof.map(toHex);
      });
    }

    it("offline its Merkle path checks out, yet it is indeterminate, never a pass; online headOnChain fails", async function () {
      for (const extra of [1, 3, 7]) {
        const forged = offChainBundle(extra);
        const offline = verifyOffline(forged, { documentDigest });
        expect(offline.find((c) => c.id === "merklePath")!.outcome).to.equal("pass");
        expect(overall(offline)).to.equal("indeterminate");
        const online = await verifyOnline(forged);
        expect(outcome(online, "headOnChain")).to.equal("fail");
        expect(online.overall).to.equal("fail");
      }
    });

    it("a head of the committed size with another root fails online", async function () {
      // the committed head has treeSize 3; a 3-leaf tree with one fabricated leaf has another root
      const forged = offChainBundle(2);
      expect(forged.head.treeSize).to.equal(bundle.head.treeSize);
      expect(forged.head.rootHash).to.not.equal(bundle.head.rootHash);
      const online = await verifyOnline(forged);
      expect(outcome(online, "headOnChain")).to.equal("fail");
      expect(online.overall).to.equal("fail");
    });

    it("the service itself serves no bundle for a leaf whose head is not on chain yet (ANCHOR_ERR_NOT_ANCHORED)", async function () {
      const reply = await suite.postLeaves(JSON.stringify({ records: [recordFor("pending document")] }));
      const [pending] = (reply.json() as { receipts: Receipt[] }).receipts;
      const refused = await suite.service.app.inject({
        method: "GET",
        url: `/v1/bundles/${pending!.leafHash}`,
      });
      expect(refused.statusCode).to.equal(409);
      expect((refused.json() as { error: { code: string } }).error.code).to.equal("ANCHOR_ERR_NOT_ANCHORED");
    });
  });
});
