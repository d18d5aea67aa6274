// Trusted time in the anchor service (anchor-service/src/tsa/): each committed head is stamped by
// the configured TSA, the token is stored and served, every bundle carries it and /v1/verify's
// trustedTime passes against the TSA root; a TSA that is down never holds up intake or commits,
// and its backlog is stamped once it answers again.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pino from "pino";
import type { Config } from "../../../anchor-service/src/config.ts";
import { openDb } from "../../../anchor-service/src/store/db.ts";
import { HeadStamper } from "../../../anchor-service/src/tsa/stamper.ts";
import { parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { checkTrustedTime, headTimestampMessage } from "../../../common/formats/bundle/trusted-time.ts";
import { createDemoCa } from "../../../common/pki/demo-ca.ts";
import { createDemoTsa, type DemoTsa } from "../../../common/pki/demo-tsa.ts";
import { TIMESTAMP_REPLY_TYPE } from "../../../common/pki/timestamp.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { anchorServiceSuite } from "../../support/anchor-suite.ts";
import { recordFor } from "../../support/consortium-chain.ts";

describe("anchor service: RFC 3161 tokens over committed heads", function () {
  this.timeout(120_000);
  const config: Partial<Config> = { commitLeaves: 1_000_000 };
  let tsa: DemoTsa;
  let server: Server;
  let dir: string;
  /** While true the TSA answers 503, as one that is down. */
  let down = false;
  let asked = 0;

  before(async function () {
    tsa = await createDemoTsa(await createDemoCa());
    server = createServer((req, res) => {
      asked++;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (down) return void res.writeHead(503).end();
        void tsa.respond(new Uint8Array(Buffer.concat(chunks))).then((reply) => {
          res.writeHead(200, { "content-type": TIMESTAMP_REPLY_TYPE }).end(Buffer.from(reply));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    dir = await mkdtemp(join(tmpdir(), "jl-tsa-anchor-"));
    await writeFile(join(dir, "tsa-root.pem"), tsa.rootPem);
    config.tsaUrls = [`http://127.0.0.1:${(server.address() as AddressInfo).port}/`];
    config.tsaTrustAnchorFiles = [join(dir, "tsa-root.pem")];
  });
  const suite = anchorServiceSuite({ config, settleFirstRound: true });
  after(async function () {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function submitAndCommit(document: string) {
    const record = recordFor(`${document} ${Math.random()}`);
    const res = await suite.postLeaves(JSON.stringify({ records: [record] }));
    expect(res.statusCode, res.body).to.equal(200);
    const { receipts } = res.json() as { receipts: { leafHash: string }[] };
    await suite.service.committer.runOnce();
    return { record, leafHash: receipts[0]!.leafHash };
  }

  it("stamps the committed head; the bundle carries the token and /v1/verify passes trustedTime with the TSA's time", async function () {
    const { record, leafHash } = await submitAndCommit("stamped");
    await suite.service.stamper.runOnce();
    const bundle = parseBundle((await suite.service.app.inject({ url: `/v1/bundles/${leafHash}` })).json());
    expect(bundle.trustedTime?.tokens).to.have.length(1);
    expect(bundle.trustedTime!.tokens[0]!.tsa).to.equal(config.tsaUrls![0]);
    const local = await checkTrustedTime(bundle, { tsaTrustAnchors: trustAnchorsFromPem([tsa.rootPem]) });
    expect(local.outcome, local.reason).to.equal("pass");

    const served = await suite.service.app.inject({ url: `/v1/timestamps/${bundle.head.treeSize}` });
    expect(served.statusCode).to.equal(200);
    const body = served.json() as { message: string; tokens: { token: string }[]; pending: boolean };
    expect(body.pending).to.equal(false);
    expect(body.tokens[0]!.token).to.equal(bundle.trustedTime!.tokens[0]!.token);
    expect(body.message).to.equal(
      new TextDecoder().decode(headTimestampMessage({ ...bundle.head, logId: bundle.log.logId })),
    );

    const verified = await suite.service.app.inject({
      method: "POST",
      url: "/v1/verify",
      payload: { bundle, documentDigest: record.digest },
    });
    const result = verified.json() as {
      overall: string;
      checks: { id: string; outcome: string; reason: string }[];
      trustedTime?: { attestedAt: string; tsa: string };
    };
    expect(result.overall, verified.body).to.equal("pass");
    expect(result.checks.find((c) => c.id === "trustedTime")!.outcome).to.equal("pass");
    expect(result.trustedTime?.attestedAt).to.equal(local.attestedAt);
    expect(result.trustedTime?.tsa).to.contain("演示用");
  });

  it("ANCHOR_ERR_UNKNOWN_TIMESTAMP for a head never committed, ANCHOR_ERR_VALIDATION for a bad size", async function () {
    const unknown = await suite.service.app.inject({ url: "/v1/timestamps/999999" });
    expect(unknown.statusCode).to.equal(404);
    expect(unknown.json().error.code).to.equal("ANCHOR_ERR_UNKNOWN_TIMESTAMP");
    const bad = await suite.service.app.inject({ url: "/v1/timestamps/zero" });
    expect(bad.statusCode).to.equal(400);
    expect(bad.json().error.code).to.equal("ANCHOR_ERR_VALIDATION");
    // beyond the 6-byte keys: refused, never wrapped onto another head's key
    const huge = await suite.service.app.inject({ url: `/v1/timestamps/${2 ** 48 + 1}` });
    expect(huge.statusCode).to.equal(400);
    expect(huge.json().error.code).to.equal("ANCHOR_ERR_VALIDATION");
  });

  it("keeps taking and committing evidence while the TSA is down, and stamps the backlog when it is back", async function () {
    down = true;
    try {
      const before = asked;
      const { leafHash } = await submitAndCommit("while the TSA is down");
      await suite.service.stamper.runOnce();
      expect(asked).to.be.greaterThan(before);
      expect(await suite.service.stamper.backlog()).to.equal(1);
      expect(await suite.service.metrics.registry.metrics()).to.match(
        /anchor_tsa_failures_total\{tsa="[^"]+"\} [1-9]/,
      );
      const bundle = parseBundle((await suite.service.app.inject({ url: `/v1/bundles/${leafHash}` })).json());
      expect(bundle.trustedTime).to.equal(undefined); // anchored, not yet stamped
      const pending = (
        await suite.service.app.inject({ url: `/v1/timestamps/${bundle.head.treeSize}` })
      ).json();
      expect(pending).to.include({ pending: true });
      // a second head while still down: both wait, intake and commits unaffected
      const second = await submitAndCommit("still down");
      expect(await suite.service.stamper.backlog()).to.equal(2);
      down = false;
      await suite.service.stamper.runOnce();
      expect(await suite.service.stamper.backlog()).to.equal(0);
      for (const leaf of [leafHash, second.leafHash]) {
        const stamped = parseBundle((await suite.service.app.inject({ url: `/v1/bundles/${leaf}` })).json());
        expect(stamped.trustedTime?.tokens, leaf).to.have.length(1);
      }
    } finally {
      down = false;
    }
  });
});

describe("HeadStamper: one TSA down, another up", function () {
  this.timeout(60_000);

  it("stores the working TSA's tokens for every head; the heads stay queued for the one that is down", async function () {
    const tsa = await createDemoTsa(await createDemoCa());
    const db = await openDb(null);
    const asked: string[] = [];
    const stamper = new HeadStamper({
      db,
      logId: `0x${"11".repeat(32)}`,
      tsaUrls: ["http://down.test/", "http://up.test/"],
      trustAnchors: trustAnchorsFromPem([tsa.rootPem]),
      log: pino({ level: "silent" }),
      fetch: async (url, init) => {
        asked.push(url);
        if (url === "http://down.test/") throw new Error("connection refused");
        const reply = await tsa.respond(new Uint8Array(init.body as Buffer));
        return new Response(Buffer.from(reply), { headers: { "content-type": TIMESTAMP_REPLY_TYPE } });
      },
    });
    try {
      for (const treeSize of [1, 2, 3]) await stamper.enqueue({ treeSize, rootHash: `0x${"0a".repeat(32)}` });
      await stamper.runOnce();
      for (const treeSize of [1, 2, 3]) {
        expect(
          (await stamper.tokensFor(treeSize))?.tokens.map((t) => t.tsa),
          String(treeSize),
        ).to.deep.equal(["http://up.test/"]);
      }
      expect(await stamper.backlog()).to.equal(3);
      expect(asked.filter((u) => u === "http://down.test/")).to.have.length(1); // not asked again in the pass
    } finally {
      await stamper.stop();
      await db.root.close();
    }
  });
});

describe("HeadStamper: heads queued while a pass runs, and tokens older than their block", function () {
  this.timeout(60_000);

  async function stamperWith(gate?: Promise<void>) {
    const tsa = await createDemoTsa(await createDemoCa());
    const db = await openDb(null);
    let asked = 0;
    const stamper = new HeadStamper({
      db,
      logId: `0x${"22".repeat(32)}`,
      tsaUrls: ["http://tsa.test/"],
      trustAnchors: trustAnchorsFromPem([tsa.rootPem]),
      log: pino({ level: "silent" }),
      fetch: async (_url, init) => {
        if (asked++ === 0) await gate; // the first request waits until the test lets it go
        const reply = await tsa.respond(new Uint8Array(init.body as Buffer));
        return new Response(Buffer.from(reply), { headers: { "content-type": TIMESTAMP_REPLY_TYPE } });
      },
    });
    return { stamper, db, asked: () => asked };
  }
  const head = (treeSize: number) => ({ treeSize, rootHash: `0x${"0b".repeat(32)}` });
  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("stamps a head queued while an earlier head's request is held, at once and without another head to wake it", async function () {
    let release!: () => void;
    const { stamper, db, asked } = await stamperWith(new Promise<void>((r) => (release = r)));
    try {
      await stamper.start();
      await stamper.enqueue(head(10));
      await until("the first request", async () => asked() === 1);
      await stamper.enqueue(head(20)); // the pass in flight began before this head was queued
      // head 10's request is still held: head 20 is asked for as it is queued, not after it
      await until("head 20 stamped", async () => (await stamper.tokensFor(20)) !== undefined);
      expect(await stamper.tokensFor(10)).to.equal(undefined);
      expect(await stamper.isQueued(20)).to.equal(false);
      expect(await stamper.isQueued(10)).to.equal(true);
      release();
      await until("both heads stamped", async () => (await stamper.backlog()) === 0);
      expect((await stamper.tokensFor(20))?.tokens).to.have.length(1);
      expect(asked()).to.equal(2); // each head asked once: the queue's pass left the asked heads alone
    } finally {
      await stamper.stop();
      await db.root.close();
    }
  });

  it("confirm() keeps a token close to its block and stamps again one taken long before it", async function () {
    const { stamper, db } = await stamperWith();
    try {
      await stamper.enqueue(head(5));
      // asked before and after each write: the tokens kept in memory follow every write
      expect(await stamper.tokensFor(5)).to.equal(undefined);
      await stamper.runOnce();
      const first = (await stamper.stored(5))!.tokens[0]!;
      expect((await stamper.tokensFor(5))?.tokens.map((t) => t.token)).to.deep.equal([first.token]);
      const taken = Date.parse(first.genTime) / 1000;
      await stamper.confirm(head(5), Math.ceil(taken) + 2); // mined two seconds later: kept
      expect(await stamper.backlog()).to.equal(0);
      expect((await stamper.stored(5))!.tokens[0]!.token).to.equal(first.token);
      // mined a minute later (the chain was down meanwhile): the verifier would fail this token
      await stamper.confirm(head(5), Math.ceil(taken) + 60);
      expect(await stamper.tokensFor(5)).to.equal(undefined);
      expect(await stamper.isQueued(5)).to.equal(true);
      await stamper.runOnce();
      const again = (await stamper.stored(5))!.tokens;
      expect(again).to.have.length(1);
      expect(again[0]!.token).to.not.equal(first.token);
      expect((await stamper.tokensFor(5))?.tokens.map((t) => t.token)).to.deep.equal([again[0]!.token]);
    } finally {
      await stamper.stop();
      await db.root.close();
    }
  });
});
