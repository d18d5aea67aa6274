// The anchor service's HTTP API through app.inject() (no socket) over one Anvil consortium chain:
// every route, every error code a request can trigger (status and `error.code`, never message
// text), and for each rejected request that nothing was written — the log did not grow, no
// receipt batch was stored, the nonce was not consumed (the same signed request succeeds later
// where that makes sense).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Wallet } from "ethers";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import type { SignOptions } from "../../common/auth/request-signing.ts";
import { AUTH_HEADERS, requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { fromHex } from "../../common/bytes.ts";
import type { EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { EvidenceKind, encodeLeaf } from "../../common/formats/leaf/leaf.ts";
import { CHECK_IDS, verifyOffline } from "../../common/formats/bundle/verify.ts";
import { hashLeaf, verifyConsistency, verifyInclusion } from "../../common/formats/merkle/rfc9162.ts";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { logIdOf } from "../../scripts/ops/deploy/consortium.ts";
import { anchorServiceSuite, systemNow } from "../support/anchor-suite.ts";
import { MEMBERS, recordFor } from "../support/consortium-chain.ts";

/** The log of the second, unstarted instance ("limits and lifecycle"). */
const SECOND_LOG = logIdOf("api-test.second");

type Reply = LightMyRequestResponse;
type SubmittedRecord = ReturnType<typeof recordFor> & Record<string, unknown>;
type Head = { treeSize: number; rootHash: string; chainIndex: number; onChain: boolean };
type LeafView = {
  leafHash: string;
  sequence: number;
  status: string;
  record: Record<string, unknown>;
  head?: Head;
  inclusionProof?: string[];
};
type Snapshot = { size: number; records: number; batches: number; nonces: number };

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const JSON_TYPE = { "content-type": "application/json" };

describe("anchor service HTTP API (app.inject, one Anvil chain)", function () {
  this.timeout(120_000);
  // heads are committed only when a test calls committer.runOnce()
  const suite = anchorServiceSuite({ config: { commitLeaves: 1_000_000 }, settleFirstRound: true });
  let branchA: Wallet;
  let branchB: Wallet;
  let court: Wallet;
  let outsider: Wallet;
  before(() => ({ branchA, branchB, court, outsider } = suite.chain.wallets));

  // -------------------------------------------------------------------------------------------
  // helpers

  const signDomain = () =>
    requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
  const receiptDom = () => receiptDomain(suite.chain.chainId, suite.chain.deployment.addresses.evidenceLog);

  /** Auth headers for `body`, signed by `signer` for POST `path` (default /v1/leaves). */
  async function sign(
    signer: Wallet,
    body: string | Uint8Array,
    options: SignOptions & { path?: string; logId?: string } = {},
  ): Promise<Record<string, string>> {
    const { path = "/v1/leaves", logId, ...rest } = options;
    const submission =
      path === "/v1/leaves"
        ? await suite.chain.submission(
            signer,
            typeof body === "string" ? body : Buffer.from(body).toString("utf8"),
            logId === undefined ? {} : { logId },
          )
        : {};
    return {
      ...(await signRequest(signer, signDomain(), { method: "POST", path, body }, rest)),
      ...submission,
    };
  }

  function post(
    body: string | Buffer,
    headers: Record<string, string>,
    url = "/v1/leaves",
    app = suite.service.app,
  ): Promise<Reply> {
    return app.inject({ method: "POST", url, payload: body, headers: { ...JSON_TYPE, ...headers } });
  }

  const get = (url: string, app = suite.service.app): Promise<Reply> => app.inject({ method: "GET", url });

  /** A signed submission of `records` (any shape) by `signer` (to the second instance's log when sent there). */
  async function submit(signer: Wallet, records: unknown[], app = suite.service.app): Promise<Reply> {
    const body = JSON.stringify({ records });
    return post(
      body,
      await sign(signer, body, app === suite.service.app ? {} : { logId: SECOND_LOG }),
      "/v1/leaves",
      app,
    );
  }

  async function submitOk(signer: Wallet, records: unknown[]): Promise<Receipt[]> {
    const reply = await submit(signer, records);
    expect(reply.statusCode, reply.body.slice(0, 500)).to.equal(200);
    return (reply.json() as { receipts: Receipt[] }).receipts;
  }

  function expectError(
    reply: Reply,
    status: number,
    code: keyof typeof ANCHOR_ERRORS,
  ): { code: string; message: string; details?: unknown } {
    expect(reply.statusCode, reply.body.slice(0, 500)).to.equal(status);
    expect(ANCHOR_ERRORS[code]).to.equal(status);
    const body = reply.json() as { error: { code: string; message: string; details?: unknown } };
    expect(body.error.code, reply.body.slice(0, 500)).to.equal(code);
    expect(body.error.message).to.be.a("string").and.not.equal("");
    return body.error;
  }

  const record = (document: string): SubmittedRecord => recordFor(`${document} ${hex32()}`);
  const records = (n: number, prefix: string): SubmittedRecord[] =>
    Array.from({ length: n }, (_, i) => record(`${prefix} ${i}`));

  async function countKeys(sublevel: { keys(): AsyncIterable<unknown> }): Promise<number> {
    let n = 0;
    for await (const _ of sublevel.keys()) n++;
    return n;
  }

  async function snapshot(s: AnchorService = suite.service): Promise<Snapshot> {
    return {
      size: s.merkle.size,
      records: await s.records.count(),
      batches: await countKeys(s.db.batches),
      nonces: await countKeys(s.db.nonces),
    };
  }

  /** `send`'s request is refused with `status` and `code`, and nothing is written; the state it left, unchanged. */
  async function refusedUnwritten(
    send: () => Promise<Reply>,
    status: number,
    code: keyof typeof ANCHOR_ERRORS,
    s: AnchorService = suite.service,
  ): Promise<Snapshot> {
    const before = await snapshot(s);
    expectError(await send(), status, code);
    await expectNothingWritten(before, s);
    return before;
  }

  /** Asserts that nothing was written since `before`. */
  async function expectNothingWritten(before: Snapshot, s: AnchorService = suite.service): Promise<void> {
    expect(await snapshot(s)).to.deep.equal(before);
  }

  const leafHashOf = (r: SubmittedRecord, submitter: number) =>
    `0x${Buffer.from(hashLeaf(encodeLeaf({ version: 1, kind: r.kind, digestAlgorithm: r.digestAlgorithm, digest: r.digest.toLowerCase(), salt: r.salt.toLowerCase(), submitter, subject: r.subject.toLowerCase() } as never))).toString("hex")}`;

  /**
   * Every receipt verifies. Receipts of one batch share one signature, so the signature (an
   * ecrecover, ~2 ms) is checked in full on a sample, and every receipt's own part — its
   * inclusion proof to the signed batch root and its batch fields — on all of them.
   */
  function expectReceiptsVerify(receipts: Receipt[]): void {
    const domain = receiptDom();
    const operator = suite.service.chain.operator;
    const sample = new Set([
      0,
      receipts.length - 1,
      ...Array.from({ length: 20 }, (_, k) => Math.floor((k * receipts.length) / 20)),
    ]);
    for (const [i, receipt] of receipts.entries()) {
      if (sample.has(i)) {
        const verified = verifyReceipt(domain, receipt, operator);
        if (!verified.ok) expect.fail(`receipt ${i} does not verify: ${JSON.stringify(verified)}`);
        continue;
      }
      const signed = receipts[0]!.batch;
      if (
        JSON.stringify(receipt.batch) !== JSON.stringify(signed) ||
        receipt.service.address !== receipts[0]!.service.address
      ) {
        expect.fail(`receipt ${i} is not from the same signed batch`);
      }
      const ok = verifyInclusion(
        receipt.sequence - signed.firstSequence,
        signed.count,
        fromHex(receipt.leafHash),
        receipt.proof.map(fromHex),
        fromHex(signed.root),
      );
      if (!ok) expect.fail(`receipt ${i}: its proof does not reach the signed batch root`);
    }
  }

  // -------------------------------------------------------------------------------------------

  describe("POST /v1/leaves: accepted submissions", function () {
    it("accepts one record and replies with a receipt that verifies against the service's key", async function () {
      expect(suite.service.chain.operator).to.equal(suite.chain.wallets.anchor.address);
      const before = await snapshot();
      const rec = record("one record");
      const receipts = await submitOk(branchA, [rec]);
      expect(receipts).to.have.length(1);
      expectReceiptsVerify(receipts);
      expect(receipts[0]!.leafHash).to.equal(leafHashOf(rec, MEMBERS.branchA));
      expect(receipts[0]!.sequence).to.equal(before.size);
      expect(receipts[0]!.batch.count).to.equal(1);
      expect(suite.service.merkle.size).to.equal(before.size + 1);
      const after = await snapshot();
      expect(after.nonces).to.equal(before.nonces + 1);
      expect(after.batches).to.equal(before.batches + 1);
    });

    it("accepts 10,000 records in one request: 10,000 receipts with contiguous sequences, each verifying", async function () {
      const before = await snapshot();
      const recs = records(10_000, "bulk");
      const receipts = await submitOk(court, recs);
      expect(receipts).to.have.length(10_000);
      expect(suite.service.merkle.size).to.equal(before.size + 10_000);
      receipts.forEach((r, i) => {
        if (r.sequence !== before.size + i)
          expect.fail(`receipt ${i} has sequence ${r.sequence}, expected ${before.size + i}`);
      });
      for (const i of [0, 1, 4_999, 9_999])
        expect(receipts[i]!.leafHash).to.equal(leafHashOf(recs[i]!, MEMBERS.court));
      expect(new Set(receipts.map((r) => r.leafHash)).size).to.equal(10_000);
      expectReceiptsVerify(receipts);
    });

    it("returns the original receipt, deep-equal, for a record submitted again, and adds no leaf", async function () {
      const rec = record("idempotent");
      const [original] = await submitOk(branchA, [rec]);
      const before = await snapshot();
      const [again] = await submitOk(branchA, [rec]);
      expect(again).to.deep.equal(original);
      // the same record spelled in upper-case hex, and with the submitter stated explicitly, is the same leaf
      const upper = {
        ...rec,
        digest: `0x${rec.digest.slice(2).toUpperCase()}`,
        salt: `0x${rec.salt.slice(2).toUpperCase()}`,
        submitter: MEMBERS.branchA,
      };
      const [spelled] = await submitOk(branchA, [upper]);
      expect(spelled).to.deep.equal(original);
      const after = await snapshot();
      expect(after.size).to.equal(before.size);
      expect(after.records).to.equal(before.records);
      expect(after.batches).to.equal(before.batches); // no receipt batch for a request with no new record
      expect(after.nonces).to.equal(before.nonces + 2); // but each request's nonce is spent
    });

    it("gives the same receipt twice for the same record twice within one request, with one new leaf", async function () {
      const rec = record("twice in one request");
      const old = record("already stored");
      const [oldReceipt] = await submitOk(branchA, [old]);
      const before = await snapshot();
      const receipts = await submitOk(branchA, [rec, old, rec]);
      expect(receipts).to.have.length(3);
      expect(receipts[0]).to.deep.equal(receipts[2]);
      expect(receipts[1]).to.deep.equal(oldReceipt);
      expect(receipts[0]!.batch.count).to.equal(1);
      expect(suite.service.merkle.size).to.equal(before.size + 1);
      expectReceiptsVerify(receipts);
    });

    it("takes 20 concurrent requests of 50 records: all succeed, sequences unique and contiguous, log grows by 1,000", async function () {
      const before = await snapshot();
      const batches = Array.from({ length: 20 }, (_, i) => records(50, `concurrent ${i}`));
      const bodies = batches.map((recs) => JSON.stringify({ records: recs }));
      const headers = await Promise.all(bodies.map((body) => sign(branchA, body)));
      const replies = await Promise.all(bodies.map((body, i) => post(body, headers[i]!)));
      const all: Receipt[] = [];
      for (const [i, reply] of replies.entries()) {
        expect(reply.statusCode, reply.body.slice(0, 300)).to.equal(200);
        const { receipts } = reply.json() as { receipts: Receipt[] };
        expect(receipts).to.have.length(50);
        // a request's new records are contiguous among themselves
        receipts.forEach((r, j) => expect(r.sequence).to.equal(receipts[0]!.sequence + j));
        expect(receipts[7]!.leafHash).to.equal(leafHashOf(batches[i]![7]!, MEMBERS.branchA));
        all.push(...receipts);
      }
      const sequences = all.map((r) => r.sequence).sort((a, b) => a - b);
      expect(new Set(sequences).size).to.equal(1_000);
      expect(sequences[0]).to.equal(before.size);
      expect(sequences[999]).to.equal(before.size + 999);
      expect(suite.service.merkle.size).to.equal(before.size + 1_000);
      expect(await suite.service.records.count()).to.equal(before.size + 1_000);
      expectReceiptsVerify(replies.map((reply) => (reply.json() as { receipts: Receipt[] }).receipts[49]!));
    });

    it("gives concurrent requests carrying the same new record one leaf and the same receipt", async function () {
      const shared = record("shared across concurrent requests");
      const before = await snapshot();
      const replies = await Promise.all(Array.from({ length: 5 }, () => submit(branchA, [shared])));
      const receipts = replies.map((reply) => {
        expect(reply.statusCode).to.equal(200);
        return (reply.json() as { receipts: Receipt[] }).receipts[0]!;
      });
      for (const r of receipts) expect(r).to.deep.equal(receipts[0]);
      expect(suite.service.merkle.size).to.equal(before.size + 1);
    });
  });

  describe("POST /v1/leaves: malformed requests", function () {
    it("ANCHOR_ERR_BAD_JSON for a malformed body signed correctly over its bytes", async function () {
      const before = await snapshot();
      for (const body of [
        '{"records": [',
        "{records: []}",
        '{"records": []}}',
        "nul",
        '{"records":[{"kind":1,}]}',
      ]) {
        expectError(await post(body, await sign(branchA, body)), 400, "ANCHOR_ERR_BAD_JSON");
      }
      await expectNothingWritten(before);
    });

    /** The first record's field `name` replaced by what `value` makes of the record, the issue at its path. */
    const recordField = (
      what: string,
      name: keyof SubmittedRecord,
      value: (r: SubmittedRecord) => unknown,
    ): [string, (r: SubmittedRecord) => unknown, string] => [
      what,
      (r) => ({ records: [{ ...r, [name]: value(r) }] }),
      `body.records.0.${name}`,
    ];
    // [what, body, the path details.issues must name (undefined: an issue at the body's root)]
    const validation: Array<[string, (r: SubmittedRecord) => unknown, string | undefined]> = [
      recordField("digest of 31 bytes", "digest", () => `0x${"ab".repeat(31)}`),
      recordField("digest of 33 bytes", "digest", () => `0x${"ab".repeat(33)}`),
      recordField("digest without 0x", "digest", (r) => r.digest.slice(2)),
      recordField("salt of 31 bytes", "salt", () => `0x${"cd".repeat(31)}`),
      recordField("subject without 0x", "subject", (r) => r.subject.slice(2)),
      ["an unknown top-level field", (r) => ({ records: [r], priority: "high" }), undefined],
      ["an unknown field in a record", (r) => ({ records: [r, { ...r, note: "x" }] }), "body.records.1"],
      // the first number past the last defined kind
      recordField("unknown kind", "kind", () => Math.max(...Object.values(EvidenceKind)) + 1),
      recordField("kind 0", "kind", () => 0),
      recordField("unknown digestAlgorithm 3", "digestAlgorithm", () => 3),
      recordField("version 2", "version", () => 2),
      recordField("submitter 0", "submitter", () => 0),
      ["an empty records array", () => ({ records: [] }), "body.records"],
      ["missing records", () => ({}), "body.records"],
      ["records not an array", (r) => ({ records: r }), "body.records"],
      ["a body that is an array", (r) => [r], undefined],
    ];
    for (const [what, make, path] of validation) {
      it(`ANCHOR_ERR_VALIDATION for ${what}${path === undefined ? "" : `, naming ${path}`}`, async function () {
        const before = await snapshot();
        const body = JSON.stringify(make(record(what)));
        const error = expectError(await post(body, await sign(branchA, body)), 400, "ANCHOR_ERR_VALIDATION");
        const issues = (error.details as { issues: Array<{ path: string; message: string }> }).issues;
        expect(issues.length).to.be.greaterThan(0);
        if (path !== undefined) expect(issues.map((i) => i.path)).to.include(path);
        await expectNothingWritten(before);
      });
    }

    it("ANCHOR_ERR_VALIDATION for an empty JSON body", async function () {
      const before = await snapshot();
      const reply = await post("", await sign(branchA, ""));
      expect(reply.statusCode).to.equal(400);
      expect(["ANCHOR_ERR_VALIDATION", "ANCHOR_ERR_BAD_JSON"]).to.include(
        (reply.json() as { error: { code: string } }).error.code,
      );
      await expectNothingWritten(before);
    });

    it("ANCHOR_ERR_TOO_MANY_RECORDS for 10,001 records", async function () {
      const before = await snapshot();
      const body = JSON.stringify({ records: records(10_001, "too many") });
      expectError(await post(body, await sign(branchA, body)), 413, "ANCHOR_ERR_TOO_MANY_RECORDS");
      await expectNothingWritten(before);
    });

    it("ANCHOR_ERR_UNSUPPORTED_MEDIA for a body that is not application/json", async function () {
      const before = await snapshot();
      const body = JSON.stringify({ records: [record("plain text")] });
      const headers = await sign(branchA, body);
      for (const type of [
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
        "application/jsonx",
      ]) {
        expectError(
          await post(body, { ...headers, "content-type": type }),
          415,
          "ANCHOR_ERR_UNSUPPORTED_MEDIA",
        );
      }
      expectError(
        await suite.service.app.inject({ method: "POST", url: "/v1/leaves", payload: body, headers }),
        415,
        "ANCHOR_ERR_UNSUPPORTED_MEDIA",
      );
      await expectNothingWritten(before);
      // the nonce was not spent: the same signed request, as JSON, is accepted
      expect((await post(body, headers)).statusCode).to.equal(200);
    });
  });

  describe("POST /v1/leaves: authentication and authorisation", function () {
    it("ANCHOR_ERR_AUTH_MISSING without auth headers, or with any one of them missing or empty", async function () {
      const body = JSON.stringify({ records: [record("unsigned")] });
      const headers = await sign(branchA, body);
      const before = await snapshot();
      expectError(await post(body, {}), 401, "ANCHOR_ERR_AUTH_MISSING");
      for (const name of AUTH_HEADERS) {
        const { [name]: _dropped, ...rest } = headers;
        expectError(await post(body, rest), 401, "ANCHOR_ERR_AUTH_MISSING");
        expectError(await post(body, { ...rest, [name]: "" }), 401, "ANCHOR_ERR_AUTH_MISSING");
      }
      await expectNothingWritten(before);
      expect((await post(body, headers)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_AUTH_INVALID for a corrupted signature; the intact request still succeeds", async function () {
      const body = JSON.stringify({ records: [record("bad signature")] });
      const headers = await sign(branchA, body);
      const sig = headers["x-jl-signature"]!;
      const flipped = `${sig.slice(0, 10)}${sig[10] === "0" ? "1" : "0"}${sig.slice(11)}`;
      await refusedUnwritten(
        () => post(body, { ...headers, "x-jl-signature": flipped }),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      expect((await post(body, headers)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_AUTH_INVALID for a body altered after signing; the original still succeeds", async function () {
      const body = JSON.stringify({ records: [record("signed body")] });
      const headers = await sign(branchA, body);
      const before = await snapshot();
      const altered = JSON.stringify({ records: [record("swapped body")] });
      expectError(await post(altered, headers), 401, "ANCHOR_ERR_AUTH_INVALID");
      // the same JSON value with different bytes is a different body too
      expectError(await post(`${body} `, headers), 401, "ANCHOR_ERR_AUTH_INVALID");
      expectError(
        await post(JSON.stringify(JSON.parse(body), null, 2), headers),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      await expectNothingWritten(before);
      expect((await post(body, headers)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_AUTH_INVALID for a request signed for another route or method", async function () {
      const body = JSON.stringify({ records: [record("other route")] });
      const before = await snapshot();
      expectError(
        await post(body, await sign(branchA, body, { path: "/v1/verify" })),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      expectError(
        await post(body, await sign(branchA, body, { path: "/v1/leaves/" })),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      const asPut = await signRequest(branchA, signDomain(), { method: "PUT", path: "/v1/leaves", body });
      expectError(await post(body, asPut), 401, "ANCHOR_ERR_AUTH_INVALID");
      // signed for another consortium (another registry address) or another chain
      const elsewhere = await signRequest(
        branchA,
        requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.evidenceLog),
        { method: "POST", path: "/v1/leaves", body },
      );
      expectError(await post(body, elsewhere), 401, "ANCHOR_ERR_AUTH_INVALID");
      const otherChain = await signRequest(
        branchA,
        requestDomain(suite.chain.chainId + 1n, suite.chain.deployment.addresses.consortiumRegistry),
        { method: "POST", path: "/v1/leaves", body },
      );
      expectError(await post(body, otherChain), 401, "ANCHOR_ERR_AUTH_INVALID");
      await expectNothingWritten(before);
    });

    it("ANCHOR_ERR_AUTH_INVALID for malformed auth headers", async function () {
      const body = JSON.stringify({ records: [record("malformed headers")] });
      const headers = await sign(branchA, body);
      const sig = headers["x-jl-signature"]!;
      const before = await snapshot();
      const bad: Array<[string, string]> = [
        ["x-jl-signer", "0x1234"],
        ["x-jl-signer", branchA.address.slice(2)],
        ["x-jl-signer", flipCase(branchA.address)], // not a valid EIP-55 checksum
        ["x-jl-nonce", "abc"],
        ["x-jl-nonce", `0${headers["x-jl-nonce"]}`],
        ["x-jl-nonce", "-1"],
        ["x-jl-nonce", (1n << 128n).toString()],
        ["x-jl-expires-at", "soon"],
        ["x-jl-expires-at", "1e12"],
        ["x-jl-expires-at", "99999999999999999"],
        ["x-jl-signature", "0x1234"],
        ["x-jl-signature", `${sig.slice(0, 130)}00`], // v = 0
        ["x-jl-signature", highS(sig)], // the other valid signature of the same message (EIP-2 refuses it)
        ["x-jl-signature", headers["x-jl-signature"]!.slice(2)],
      ];
      for (const [name, value] of bad) {
        const reply = await post(body, { ...headers, [name]: value });
        expectError(reply, 401, "ANCHOR_ERR_AUTH_INVALID");
      }
      await expectNothingWritten(before);
      expect((await post(body, headers)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_AUTH_INVALID for a signature by another key than the named signer, and for a lifetime beyond the limit", async function () {
      const body = JSON.stringify({ records: [record("another key")] });
      const byB = await sign(branchB, body);
      const before = await snapshot();
      expectError(
        await post(body, { ...byB, "x-jl-signer": branchA.address }),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      expectError(
        await post(body, await sign(branchA, body, { ttlSeconds: 3_600 })),
        401,
        "ANCHOR_ERR_AUTH_INVALID",
      );
      await expectNothingWritten(before);
    });

    it("ANCHOR_ERR_AUTH_EXPIRED once the service's clock passes expiresAt (inclusive bound); the nonce is not spent", async function () {
      const t = systemNow();
      const body = JSON.stringify({ records: [record("expiring")] });
      const headers = await sign(branchA, body, { now: t, expiresAt: t + 30 });
      const before = await snapshot();
      try {
        suite.frozenNow = t + 31;
        expectError(await post(body, headers), 401, "ANCHOR_ERR_AUTH_EXPIRED");
        suite.frozenNow = t + 10_000;
        expectError(await post(body, headers), 401, "ANCHOR_ERR_AUTH_EXPIRED");
        await expectNothingWritten(before);
        suite.frozenNow = t + 30; // valid up to and including second expiresAt
        expect((await post(body, headers)).statusCode).to.equal(200);
      } finally {
        suite.frozenNow = undefined;
      }
    });

    it("ANCHOR_ERR_REPLAY for the same signed request twice", async function () {
      const body = JSON.stringify({ records: [record("replayed")] });
      const headers = await sign(branchA, body);
      expect((await post(body, headers)).statusCode).to.equal(200);
      await refusedUnwritten(() => post(body, headers), 409, "ANCHOR_ERR_REPLAY");
      // a nonce is the signer's: the same nonce from another member is a different request
      const byB = await sign(branchB, body, { nonce: BigInt(headers["x-jl-nonce"]!) });
      expect((await post(body, byB)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_REPLAY for one of two identical signed requests sent concurrently: exactly one succeeds", async function () {
      const recs = records(20, "concurrent replay");
      const body = JSON.stringify({ records: recs });
      const headers = await sign(branchA, body);
      const before = await snapshot();
      const replies = await Promise.all([post(body, headers), post(body, headers)]);
      const statuses = replies.map((r) => r.statusCode).sort();
      expect(statuses).to.deep.equal([200, 409]);
      expectError(
        replies.find((r) => r.statusCode === 409)!,
        409,
        "ANCHOR_ERR_REPLAY",
      );
      const after = await snapshot();
      expect(after.size).to.equal(before.size + 20);
      expect(after.nonces).to.equal(before.nonces + 1);
      expect(after.batches).to.equal(before.batches + 1);
    });

    it("ANCHOR_ERR_NOT_MEMBER for an account of no member", async function () {
      await refusedUnwritten(() => submit(outsider, [record("outsider")]), 403, "ANCHOR_ERR_NOT_MEMBER");
    });

    it("ANCHOR_ERR_NOT_OPERATIONS_KEY for a member's log-operator or governance key (one role per key)", async function () {
      const before = await snapshot();
      // the union's anchor key and its governance key are the union's, but neither submits evidence
      for (const key of [suite.chain.wallets.anchor, suite.chain.governors.union]) {
        const error = expectError(
          await submit(key, [record(`by ${key.address}`)]),
          403,
          "ANCHOR_ERR_NOT_OPERATIONS_KEY",
        );
        expect(error.message).to.include(`member ${MEMBERS.union}'s`);
      }
      await expectNothingWritten(before);
      await submitOk(suite.chain.wallets.unionOps, [record("the union's operations key")]);
    });

    it("ANCHOR_ERR_SUBMITTER_MISMATCH for a record naming another member as submitter", async function () {
      const before = await snapshot();
      const good = record("own");
      const reply = await submit(branchA, [good, { ...record("not mine"), submitter: MEMBERS.branchB }]);
      expectError(reply, 403, "ANCHOR_ERR_SUBMITTER_MISMATCH");
      await expectNothingWritten(before);
      // stating one's own member id is fine
      const [receipt] = await submitOk(branchA, [{ ...good, submitter: MEMBERS.branchA }]);
      expect(receipt!.leafHash).to.equal(leafHashOf(good, MEMBERS.branchA));
    });

    it("ANCHOR_ERR_SUBMISSION_SIGNATURE without the submitter's signature over its records, or with another key's or over other records; nothing stored", async function () {
      const before = await snapshot();
      const body = JSON.stringify({ records: [record("signed by whom")] });
      const request = await signRequest(branchA, signDomain(), { method: "POST", path: "/v1/leaves", body });
      const other = JSON.stringify({ records: [record("another record")] });
      const cases: Array<[string, Record<string, string>]> = [
        ["missing", {}],
        [
          "the log operator's",
          await suite.chain.submission(suite.chain.wallets.anchor, body, { memberId: MEMBERS.branchA }),
        ],
        [
          "branch B's",
          await suite.chain.submission(suite.chain.wallets.branchB, body, { memberId: MEMBERS.branchA }),
        ],
        ["over other records", await suite.chain.submission(branchA, other)],
        ["as another member", await suite.chain.submission(branchA, body, { memberId: MEMBERS.branchB })],
        ["malformed", { "x-jl-submission-signature": "0x1234" }],
      ];
      for (const [what, submission] of cases) {
        const reply = await post(body, { ...request, ...submission });
        expect(expectError(reply, 401, "ANCHOR_ERR_SUBMISSION_SIGNATURE").message, what).to.include(
          "x-jl-submission-signature",
        );
        await expectNothingWritten(before);
      }
      // the nonce was not spent: the same request with the signer's own submission signature is taken
      expect(
        (await post(body, { ...request, ...(await suite.chain.submission(branchA, body)) })).statusCode,
      ).to.equal(200);
    });
  });

  describe("limits and lifecycle (a second, unstarted instance on another log)", function () {
    let second: AnchorService;
    const MAX_BODY = 2_048;

    before(async function () {
      second = await createAnchorService({
        config: suite.chain.config({
          dataDir: "unused",
          logId: SECOND_LOG,
          maxBodyBytes: MAX_BODY,
          maxRecordsPerRequest: 3,
        }),
        inMemory: true,
        logger: false,
      });
    });

    after(async function () {
      await second?.close();
    });

    it("answers /readyz 503 and submissions ANCHOR_ERR_CHAIN_UNAVAILABLE until it has reached the chain", async function () {
      const ready = await get("/readyz", second.app);
      expect(ready.statusCode).to.equal(503);
      expect((ready.json() as { ready: boolean }).ready).to.equal(false);
      const body = JSON.stringify({ records: [record("before sync")] });
      const headers = await sign(branchA, body, { logId: SECOND_LOG });
      await refusedUnwritten(
        () => post(body, headers, "/v1/leaves", second.app),
        503,
        "ANCHOR_ERR_CHAIN_UNAVAILABLE",
        second,
      );
      await second.committer.sync();
      expect((await get("/readyz", second.app)).statusCode).to.equal(200);
      expect((await post(body, headers, "/v1/leaves", second.app)).statusCode).to.equal(200);
    });

    it("ANCHOR_ERR_BODY_TOO_LARGE above maxBodyBytes", async function () {
      const body = JSON.stringify({ records: records(10, "large") });
      expect(Buffer.byteLength(body)).to.be.greaterThan(MAX_BODY);
      await refusedUnwritten(
        async () => post(body, await sign(branchA, body, { logId: SECOND_LOG }), "/v1/leaves", second.app),
        413,
        "ANCHOR_ERR_BODY_TOO_LARGE",
        second,
      );
    });

    it("ANCHOR_ERR_TOO_MANY_RECORDS above a lowered maxRecordsPerRequest; at the limit is fine", async function () {
      const four = JSON.stringify({ records: records(4, "four") });
      expect(Buffer.byteLength(four)).to.be.lessThan(MAX_BODY);
      const before = await refusedUnwritten(
        async () => post(four, await sign(branchA, four, { logId: SECOND_LOG }), "/v1/leaves", second.app),
        413,
        "ANCHOR_ERR_TOO_MANY_RECORDS",
        second,
      );
      const three = await submit(branchA, records(3, "three"), second.app);
      expect(three.statusCode).to.equal(200);
      expect(second.merkle.size).to.equal(before.size + 3);
    });

    it("ANCHOR_ERR_SHUTTING_DOWN once intake is closed", async function () {
      await second.intake.close();
      await refusedUnwritten(
        () => submit(branchA, [record("too late")], second.app),
        503,
        "ANCHOR_ERR_SHUTTING_DOWN",
        second,
      );
    });
  });

  describe("reading evidence: leaves, bundles, heads, consistency, verification", function () {
    let rec: SubmittedRecord;
    let receipt: Receipt;
    let bundle: EvidenceBundle;
    let firstHead: Head;

    it("GET /v1/leaves/:leafHash: pending before a commit", async function () {
      rec = record("read me");
      [receipt] = (await submitOk(branchA, [rec])) as [Receipt];
      const reply = await get(`/v1/leaves/${receipt.leafHash}`);
      expect(reply.statusCode).to.equal(200);
      const view = reply.json() as LeafView;
      expect(view.status).to.equal("pending");
      expect(view.sequence).to.equal(receipt.sequence);
      expect(view.leafHash).to.equal(receipt.leafHash);
      expect(view.record).to.deep.equal({
        version: 1,
        kind: rec.kind,
        digestAlgorithm: rec.digestAlgorithm,
        digest: rec.digest,
        salt: rec.salt,
        submitter: MEMBERS.branchA,
        subject: rec.subject,
      });
      expect(view.head).to.equal(undefined);
      expect(view.inclusionProof).to.equal(undefined);
      // the hash is accepted in upper case too
      const upper = await get(`/v1/leaves/0x${receipt.leafHash.slice(2).toUpperCase()}`);
      expect((upper.json() as LeafView).sequence).to.equal(receipt.sequence);
    });

    it("GET /v1/bundles/:leafHash: ANCHOR_ERR_NOT_ANCHORED before a commit", async function () {
      expectError(await get(`/v1/bundles/${receipt.leafHash}`), 409, "ANCHOR_ERR_NOT_ANCHORED");
    });

    it("GET /v1/leaves/:leafHash: anchored after a commit, with an inclusion proof to the head's root, which is on chain", async function () {
      await suite.service.committer.runOnce();
      const view = (await get(`/v1/leaves/${receipt.leafHash}`)).json() as LeafView;
      expect(view.status).to.equal("anchored");
      const head = view.head!;
      firstHead = head;
      expect(head.treeSize).to.equal(suite.service.merkle.size);
      expect(head.onChain).to.equal(true);
      const ok = verifyInclusion(
        view.sequence,
        head.treeSize,
        fromHex(receipt.leafHash),
        view.inclusionProof!.map(fromHex),
        fromHex(head.rootHash),
      );
      expect(ok).to.equal(true);
      const onChain = await suite.service.chain.head(head.chainIndex);
      expect(onChain.treeSize).to.equal(head.treeSize);
      expect(onChain.rootHash.toLowerCase()).to.equal(head.rootHash.toLowerCase());
    });

    it("GET /v1/leaves/:leafHash: ANCHOR_ERR_UNKNOWN_LEAF for a hash never submitted, ANCHOR_ERR_VALIDATION for a malformed one", async function () {
      expectError(await get(`/v1/leaves/${hex32()}`), 404, "ANCHOR_ERR_UNKNOWN_LEAF");
      for (const bad of [
        "0x1234",
        receipt.leafHash.slice(2),
        `${receipt.leafHash}00`,
        `0x${"zz".repeat(32)}`,
        "latest",
      ]) {
        expectError(await get(`/v1/leaves/${bad}`), 400, "ANCHOR_ERR_VALIDATION");
      }
    });

    it("GET /v1/bundles/:leafHash: after a commit, a bundle that parses and passes the offline checks", async function () {
      const reply = await get(`/v1/bundles/${receipt.leafHash}`);
      expect(reply.statusCode).to.equal(200);
      bundle = parseBundle(reply.json());
      expect(bundle.leaf.leafHash).to.equal(receipt.leafHash);
      expect(bundle.log.leafIndex).to.equal(receipt.sequence);
      expect(bundle.head.treeSize).to.equal(firstHead.treeSize);
      expect(bundle.anchor.chainId).to.equal(suite.chain.chainId.toString());
      expect(bundle.receipt).to.deep.equal(receipt);
      // the member's own signature over its request, with the leaf's place in it
      expect(bundle.submission).to.include({
        signer: branchA.address,
        count: 1,
        index: 0,
        batchRoot: receipt.batch.root,
      });
      const checks = verifyOffline(bundle, { documentDigest: rec.digest });
      expect(checks.map((c) => c.id)).to.deep.equal([...CHECK_IDS]);
      for (const id of ["digest", "leafEncoding", "merklePath"])
        expect(checks.find((c) => c.id === id)!.outcome, id).to.equal("pass");
      expect(checks.filter((c) => c.outcome === "fail")).to.deep.equal([]);
    });

    it("GET /v1/bundles/:leafHash: ANCHOR_ERR_UNKNOWN_LEAF for a hash never submitted, ANCHOR_ERR_VALIDATION for a malformed one", async function () {
      expectError(await get(`/v1/bundles/${hex32()}`), 404, "ANCHOR_ERR_UNKNOWN_LEAF");
      expectError(await get("/v1/bundles/0xabc"), 400, "ANCHOR_ERR_VALIDATION");
    });

    it("POST /v1/verify: a good bundle passes with every check reported; a wrong documentDigest fails the digest check", async function () {
      const good = await post(JSON.stringify({ bundle, documentDigest: rec.digest }), {}, "/v1/verify");
      expect(good.statusCode).to.equal(200);
      const result = good.json() as { overall: string; checks: Array<{ id: string; outcome: string }> };
      expect(result.overall, good.body).to.equal("pass");
      expect(result.checks.map((c) => c.id)).to.deep.equal([...CHECK_IDS]);
      expect(result.checks.find((c) => c.id === "digest")!.outcome).to.equal("pass");
      expect(result.checks.filter((c) => c.outcome === "fail")).to.deep.equal([]);

      const wrong = (
        await post(JSON.stringify({ bundle, documentDigest: hex32() }), {}, "/v1/verify")
      ).json() as typeof result;
      expect(wrong.overall).to.equal("fail");
      expect(wrong.checks).to.have.length(CHECK_IDS.length);
      expect(wrong.checks.find((c) => c.id === "digest")!.outcome).to.equal("fail");

      // without a document the digest is not compared, and the rest still passes
      const noDocument = (await post(JSON.stringify({ bundle }), {}, "/v1/verify")).json() as typeof result;
      expect(noDocument.overall).to.equal("pass");
      expect(noDocument.checks.find((c) => c.id === "digest")!.outcome).to.equal("indeterminate");

      // a well-formed bundle with a broken proof is answered (200), and fails
      const tampered = structuredClone(bundle);
      tampered.inclusionProof[0] = hex32();
      const broken = (
        await post(JSON.stringify({ bundle: tampered }), {}, "/v1/verify")
      ).json() as typeof result;
      expect(broken.overall).to.equal("fail");
      expect(broken.checks.find((c) => c.id === "merklePath")!.outcome).to.equal("fail");
    });

    it("POST /v1/verify: ANCHOR_ERR_VALIDATION for an invalid bundle or request", async function () {
      const withUnknown = { ...structuredClone(bundle), extra: true };
      expectError(
        await post(JSON.stringify({ bundle: withUnknown }), {}, "/v1/verify"),
        400,
        "ANCHOR_ERR_VALIDATION",
      );
      const leafUnknown = structuredClone(bundle) as unknown as { leaf: Record<string, unknown> };
      leafUnknown.leaf.note = "x";
      expectError(
        await post(JSON.stringify({ bundle: leafUnknown }), {}, "/v1/verify"),
        400,
        "ANCHOR_ERR_VALIDATION",
      );
      expectError(await post(JSON.stringify({}), {}, "/v1/verify"), 400, "ANCHOR_ERR_VALIDATION");
      expectError(
        await post(JSON.stringify({ bundle: "not a bundle" }), {}, "/v1/verify"),
        400,
        "ANCHOR_ERR_VALIDATION",
      );
      expectError(
        await post(JSON.stringify({ bundle, documentDigest: "0x1234" }), {}, "/v1/verify"),
        400,
        "ANCHOR_ERR_VALIDATION",
      );
      expectError(
        await post(JSON.stringify({ bundle, extra: 1 }), {}, "/v1/verify"),
        400,
        "ANCHOR_ERR_VALIDATION",
      );
      expectError(await post("{", {}, "/v1/verify"), 400, "ANCHOR_ERR_BAD_JSON");
    });

    it("GET /v1/heads: heads by tree size, with from and limit", async function () {
      await submitOk(branchA, records(5, "second head"));
      await suite.service.committer.runOnce();
      const secondSize = suite.service.merkle.size;
      const all = (await get("/v1/heads")).json() as { heads: Head[] };
      expect(all.heads.map((h) => h.treeSize)).to.deep.equal([firstHead.treeSize, secondSize]);
      expect(all.heads[0]!.rootHash).to.equal(firstHead.rootHash);
      expect(all.heads.map((h) => h.chainIndex)).to.deep.equal([0, 1]);
      const limited = (await get("/v1/heads?limit=1")).json() as { heads: Head[] };
      expect(limited.heads.map((h) => h.treeSize)).to.deep.equal([firstHead.treeSize]);
      const fromSecond = (await get(`/v1/heads?from=${firstHead.treeSize + 1}`)).json() as { heads: Head[] };
      expect(fromSecond.heads.map((h) => h.treeSize)).to.deep.equal([secondSize]);
      const exact = (await get(`/v1/heads?from=${firstHead.treeSize}&limit=1`)).json() as { heads: Head[] };
      expect(exact.heads.map((h) => h.treeSize)).to.deep.equal([firstHead.treeSize]);
      const beyond = await get(`/v1/heads?from=${secondSize + 1}`);
      expect(beyond.statusCode).to.equal(200);
      expect((beyond.json() as { heads: Head[] }).heads).to.deep.equal([]);
      for (const query of ["limit=0", "limit=1001", "limit=abc", "from=-1", "from=1.5", "bogus=1"]) {
        expectError(await get(`/v1/heads?${query}`), 400, "ANCHOR_ERR_VALIDATION");
      }
    });

    it("GET /v1/consistency: a proof between two heads that verifies; ANCHOR_ERR_BAD_RANGE and ANCHOR_ERR_VALIDATION", async function () {
      const heads = ((await get("/v1/heads")).json() as { heads: Head[] }).heads;
      const [h1, h2] = heads as [Head, Head];
      const reply = await get(`/v1/consistency?from=${h1.treeSize}&to=${h2.treeSize}`);
      expect(reply.statusCode).to.equal(200);
      const body = reply.json() as {
        from: number;
        to: number;
        fromRoot: string;
        toRoot: string;
        proof: string[];
      };
      expect([body.from, body.to]).to.deep.equal([h1.treeSize, h2.treeSize]);
      expect(body.fromRoot).to.equal(h1.rootHash);
      expect(body.toRoot).to.equal(h2.rootHash);
      expect(body.proof.length).to.be.greaterThan(0);
      expect(
        verifyConsistency(
          h1.treeSize,
          h2.treeSize,
          fromHex(body.fromRoot),
          fromHex(body.toRoot),
          body.proof.map(fromHex),
        ),
      ).to.equal(true);
      // the proof does not verify for another pair of roots
      expect(
        verifyConsistency(
          h1.treeSize,
          h2.treeSize,
          fromHex(hex32()),
          fromHex(body.toRoot),
          body.proof.map(fromHex),
        ),
      ).to.equal(false);
      // any sizes in the log, not only heads; from = 0 and from = to give empty proofs
      const mid = (await get(`/v1/consistency?from=3&to=${h1.treeSize - 7}`)).json() as typeof body;
      expect(
        verifyConsistency(
          3,
          h1.treeSize - 7,
          fromHex(mid.fromRoot),
          fromHex(mid.toRoot),
          mid.proof.map(fromHex),
        ),
      ).to.equal(true);
      const same = (await get(`/v1/consistency?from=${h2.treeSize}&to=${h2.treeSize}`)).json() as typeof body;
      expect(same.proof).to.deep.equal([]);
      expect(same.fromRoot).to.equal(same.toRoot);
      const zero = (await get(`/v1/consistency?from=0&to=${h1.treeSize}`)).json() as typeof body;
      expect(zero.proof).to.deep.equal([]);

      const size = suite.service.merkle.size;
      expectError(
        await get(`/v1/consistency?from=${h2.treeSize}&to=${h1.treeSize}`),
        400,
        "ANCHOR_ERR_BAD_RANGE",
      );
      expectError(await get(`/v1/consistency?from=1&to=${size + 1}`), 400, "ANCHOR_ERR_BAD_RANGE");
      expectError(await get(`/v1/consistency?from=${size + 1}&to=${size + 2}`), 400, "ANCHOR_ERR_BAD_RANGE");
      for (const query of [
        "from=abc&to=5",
        "from=1&to=xyz",
        "from=1",
        "to=5",
        "",
        "from=1.5&to=4",
        "from=1&to=4&extra=1",
      ]) {
        expectError(await get(`/v1/consistency?${query}`), 400, "ANCHOR_ERR_VALIDATION");
      }
    });

    it("GET /v1/bundles/:leafHash: a request that repeats a stored record proves its new record into the tree the member signed, not the receipt batch's", async function () {
      const fresh = record("next to a stored one");
      const receipts = await submitOk(branchA, [rec, fresh]);
      expect(receipts[0]).to.deep.equal(receipt); // the stored record keeps its original receipt
      await suite.service.committer.runOnce();
      const reply = await get(`/v1/bundles/${receipts[1]!.leafHash}`);
      expect(reply.statusCode).to.equal(200);
      const b = parseBundle(reply.json());
      expect(b.receipt).to.deep.include({ batch: receipts[1]!.batch }); // a batch of the one new record
      expect(b.submission).to.include({ signer: branchA.address, count: 2, index: 1 });
      expect(b.submission!.batchRoot).to.not.equal(receipts[1]!.batch.root);
      expect(verifyOffline(b).filter((c) => c.outcome === "fail")).to.deep.equal([]);
    });
  });

  describe("operations routes", function () {
    it("/healthz 200", async function () {
      const reply = await get("/healthz");
      expect(reply.statusCode).to.equal(200);
      expect(reply.json()).to.deep.equal({ status: "ok" });
    });

    it("/readyz 200 with ready: true after start", async function () {
      const reply = await get("/readyz");
      expect(reply.statusCode).to.equal(200);
      const body = reply.json() as {
        ready: boolean;
        chain: { kind: string };
        pendingLeaves: number;
        queueDepth: number;
      };
      expect(body.ready).to.equal(true);
      expect(body.chain.kind).to.equal("ok");
      expect(body.pendingLeaves).to.equal(suite.service.committer.pendingLeaves());
    });

    it("/metrics counts the accepted records and the rejections by code", async function () {
      const reply = await get("/metrics");
      expect(reply.statusCode).to.equal(200);
      expect(reply.headers["content-type"]).to.match(/^text\/plain/);
      const line = reply.body.split("\n").find((l) => l.startsWith("anchor_intake_records_total "));
      expect(line, reply.body).to.not.equal(undefined);
      expect(Number(line!.split(" ")[1])).to.equal(suite.service.merkle.size);
      expect(reply.body).to.match(/^anchor_rejected_requests_total\{code="ANCHOR_ERR_REPLAY"\} [1-9]/m);
      expect(reply.body).to.match(/^anchor_log_size \d+/m);
    });

    it("/docs/json is an OpenAPI document listing the routes", async function () {
      const reply = await get("/docs/json");
      expect(reply.statusCode).to.equal(200);
      const doc = reply.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).to.match(/^3\./);
      expect(doc.paths["/v1/leaves"]).to.have.property("post");
      for (const path of [
        "/v1/leaves/{leafHash}",
        "/v1/bundles/{leafHash}",
        "/v1/heads",
        "/v1/consistency",
        "/v1/verify",
      ])
        expect(doc.paths, path).to.have.property(path);
    });

    it("404 ANCHOR_ERR_NOT_FOUND for an unknown route or method", async function () {
      expectError(await get("/v1/nothing-here"), 404, "ANCHOR_ERR_NOT_FOUND");
      expectError(await get("/v1/leaves"), 404, "ANCHOR_ERR_NOT_FOUND");
      expectError(
        await suite.service.app.inject({ method: "DELETE", url: `/v1/leaves/${hex32()}` }),
        404,
        "ANCHOR_ERR_NOT_FOUND",
      );
      expectError(await post("{}", {}, "/v2/leaves"), 404, "ANCHOR_ERR_NOT_FOUND");
    });
  });

  describe("no 5xx for bad input", function () {
    it("answers 200 random malformed bodies and headers with a 4xx and a catalogued error code, writing nothing", async function () {
      const seed = Number(process.env.API_FUZZ_SEED ?? 0x5eed);
      const rand = mulberry32(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const int = (n: number) => Math.floor(rand() * n);
      const validBody = () => JSON.stringify({ records: [record("fuzz")] });
      const nested = (depth: number, open: string, close: string, inner = "1") =>
        `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
      const junkValues = [
        "1e400",
        "-1e400",
        "1e308",
        "-0",
        "0.5",
        "9007199254740993",
        "123456789012345678901234567890",
        '"1"',
        "null",
        "true",
        "[]",
        "{}",
        '"\\u0000"',
        `"${"f".repeat(5000)}"`,
      ];
      const junkText = () =>
        Array.from({ length: 1 + int(40) }, () => String.fromCharCode(0x20 + int(95))).join("");
      const junkQuery = () =>
        pick([
          "-1",
          "1e400",
          "abc",
          "",
          "9007199254740993",
          "0x10",
          "%00",
          "1.5",
          "NaN",
          "Infinity",
          "[]",
          "%ZZ",
          junkText().replace(/[#&]/g, ""),
        ]);
      const base = record("fuzz base");
      /** `body` posted as JSON, unsigned, to /v1/leaves or /v1/verify. */
      const jsonPost = (body: string): InjectOptions => ({
        method: "POST",
        url: pick(["/v1/leaves", "/v1/verify"]),
        headers: JSON_TYPE,
        payload: body,
      });
      /** `text` posted to /v1/leaves as JSON, signed by branch A over exactly those bytes. */
      const signedLeaves = async (text: string): Promise<InjectOptions> => ({
        method: "POST",
        url: "/v1/leaves",
        headers: { ...JSON_TYPE, ...(await sign(branchA, text)) },
        payload: text,
      });

      const cases: Array<() => Promise<InjectOptions>> = [
        // random bytes as JSON
        async () => ({
          method: "POST",
          url: "/v1/leaves",
          headers: JSON_TYPE,
          payload: randomBytes(1 + int(300)),
        }),
        // truncated JSON, signed correctly over the truncated bytes
        async () => {
          const body = validBody();
          return signedLeaves(body.slice(0, 1 + int(body.length - 1)));
        },
        // huge, fractional, negative or mistyped numbers and values in each field
        async () => {
          const field = pick([
            "kind",
            "digestAlgorithm",
            "submitter",
            "version",
            "digest",
            "salt",
            "subject",
          ]);
          const text = JSON.stringify({ records: [{ ...base, [field]: "__JUNK__" }] }).replace(
            '"__JUNK__"',
            pick(junkValues),
          );
          return signedLeaves(text);
        },
        // deeply nested arrays and objects, at the top and inside records
        async () => {
          const depth = 1 + int(3_000);
          const body = pick([
            nested(depth, "[", "]"),
            `{"records":${nested(depth, "[", "]")}}`,
            `{"records":[${nested(depth, '{"a":', "}")}]}`,
            `{"bundle":${nested(depth, "[", "]")}}`,
          ]);
          return jsonPost(body);
        },
        // prototype-polluting keys
        async () => {
          const body = pick([
            `{"__proto__":{"records":[]},"records":[${JSON.stringify(base)}]}`,
            `{"records":[{"__proto__":{"submitter":3},${JSON.stringify(base).slice(1)}]}`,
            `{"constructor":{"prototype":{"x":1}},"records":[]}`,
            `{"bundle":{"__proto__":{"format":"jointledger.evidence-bundle/1"}}}`,
          ]);
          return jsonPost(body);
        },
        // garbage in the auth headers of a valid body
        async () => {
          const body = validBody();
          const headers: Record<string, string> = { ...JSON_TYPE, ...(await sign(branchA, body)) };
          for (const name of AUTH_HEADERS) if (rand() < 0.5) headers[name] = junkText();
          headers["x-jl-signature"] = rand() < 0.5 ? junkText() : `0x${randomBytes(65).toString("hex")}`;
          return { method: "POST", url: "/v1/leaves", headers, payload: body };
        },
        // odd media types
        async () => {
          const type = pick([
            "text/plain",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "image/png",
            "application/jsonx",
          ]);
          return {
            method: "POST",
            url: pick(["/v1/leaves", "/v1/verify"]),
            headers: { "content-type": type },
            payload: randomBytes(1 + int(100)),
          };
        },
        // bad path parameters and queries
        async () => {
          const url = pick([
            `/v1/leaves/${encodeURIComponent(junkText())}`,
            `/v1/bundles/${encodeURIComponent(junkText())}`,
            `/v1/leaves/0x${randomBytes(1 + int(40)).toString("hex")}`,
            `/v1/heads?from=${junkQuery()}&limit=${junkQuery()}`,
            `/v1/consistency?from=${junkQuery()}&to=${junkQuery()}`,
            `/v1/consistency?from=${int(1e6)}&to=${int(1e6)}`,
          ]);
          return { method: "GET", url };
        },
        // bundles with a field of the wrong type or shape
        async () => {
          const mutated = mutateBundleField(structuredClone(wellFormedBundle), rand);
          return {
            method: "POST",
            url: "/v1/verify",
            headers: JSON_TYPE,
            payload: JSON.stringify({ bundle: mutated }),
          };
        },
      ];

      // a well-formed bundle to mutate
      const [r0] = await submitOk(branchA, [record("fuzz bundle")]);
      await suite.service.committer.runOnce();
      const wellFormedBundle = (await get(`/v1/bundles/${r0!.leafHash}`)).json() as Record<string, unknown>;

      const before = await snapshot();
      for (let i = 0; i < 200; i++) {
        const options = await cases[i % cases.length]!();
        const reply = await suite.service.app.inject(options);
        const where = `seed ${seed}, case ${i}: ${options.method} ${String(options.url).slice(0, 120)} ${String(options.payload ?? "").slice(0, 200)}`;
        const is4xx = reply.statusCode >= 400 && reply.statusCode < 500;
        expect(is4xx, `${where} → ${reply.statusCode} ${reply.body.slice(0, 300)}`).to.equal(true);
        const code = (reply.json() as { error?: { code?: unknown } }).error?.code;
        expect(Object.keys(ANCHOR_ERRORS), `${where} → ${reply.body.slice(0, 300)}`).to.include(code);
      }
      await expectNothingWritten(before);
    });
  });

  describe("suspension", function () {
    it("ANCHOR_ERR_MEMBER_SUSPENDED once branch B is suspended on chain; other members continue", async function () {
      const [ok] = await submitOk(branchB, [record("before suspension")]);
      expectReceiptsVerify([ok!]);
      await suite.chain.suspend(MEMBERS.branchB);
      const body = JSON.stringify({ records: [record("after suspension")] });
      const headers = await sign(branchB, body);
      await refusedUnwritten(() => post(body, headers), 403, "ANCHOR_ERR_MEMBER_SUSPENDED");
      await submitOk(branchA, [record("branch A is unaffected")]);
    });
  });
});

/** An address with the case of its first hex letter flipped: an invalid EIP-55 checksum. */
function flipCase(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address[i]!;
  return `${address.slice(0, i)}${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}${address.slice(i + 1)}`;
}

/** (r, n − s, v ^ 1): the high-s twin of a signature, valid math but refused by EIP-2. */
function highS(signature: string): string {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  return `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
}

/** A small seeded PRNG (mulberry32) so a failing fuzz case can be replayed with API_FUZZ_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Replaces one field of a bundle (never under `receipt`, which is free-form) with a value of
 * the wrong type or shape, or adds an unknown field, so the bundle no longer matches its schema.
 */
function mutateBundleField(bundle: Record<string, unknown>, rand: () => number): unknown {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (path[0] === "receipt") return;
    if (path.length > 0) paths.push(path);
    if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(bundle, []);
  const path = paths[Math.floor(rand() * paths.length)]!;
  let parent = bundle as Record<string, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const key = path[path.length - 1]!;
  const old = parent[key];
  if (rand() < 0.15 && old !== null && typeof old === "object" && !Array.isArray(old)) {
    (old as Record<string, unknown>).unexpected = 1;
  } else if (typeof old === "string") parent[key] = rand() < 0.5 ? 12345 : [old];
  else if (typeof old === "number") parent[key] = rand() < 0.5 ? String(old) : -1.5;
  else if (typeof old === "boolean") parent[key] = "yes";
  else if (old === null) parent[key] = 7;
  else if (Array.isArray(old)) parent[key] = { length: old.length };
  else parent[key] = [];
  return bundle;
}
