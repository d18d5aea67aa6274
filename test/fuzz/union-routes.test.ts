// Route fuzzing of the routes only the union's node serves (test/support/fuzz/harness.ts): the
// credit-query service and the credit objections (nodes/src/credit-service/), driven through
// app.inject() with fast-check-generated hostile requests against a union node on a real LevelDB
// directory, over Anvil and a live anchor service. Per request: no 5xx, no crash, a catalogued
// error code on every 4xx, nothing written by a rejected request (a signed request's nonce is spent
// once its signer is authenticated, as on every node). Signed requests come mostly from branch A
// with a genuine consent, also from a platform, the court, an outsider, unsigned, expired, or signed
// for another member's node. The routes every node serves are fuzzed by node-routes.test.ts.
//
// Bounded inside `npm test` (FUZZ_HTTP_RUNS, default 200 per route); `npm run test:fuzz` runs
// 10,000 per route. FUZZ_SEED replays a run (the seed is printed).
import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { InjectOptions } from "fastify";
import { consentReference } from "../../nodes/src/credit-service/union-client.ts";
import { NODE_ERRORS } from "../../nodes/src/errors.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import * as fuzz from "../support/fuzz/harness.ts";
import * as gen from "../support/fuzz/hostile.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { NONCE_PREFIX, nonceMayWrite, startsWith } from "../support/fuzz/node-nonces.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { consentAt } from "../support/institution-node.ts";
import * as nodeToNode from "../support/fuzz/node-to-node.ts";

const TOKENS = { clerk: "fuzz-clerk", approver: "fuzz-approver", admin: "fuzz-admin" } as const;

fuzz.describeFuzzing("union node: route fuzzing of the union-only routes", "union node", function (run) {
  const suite = lendingSuite("fuzz-union-", { anchor: { config: { membershipCacheMs: 600_000 } } });
  let union: NodeService;
  let target: fuzz.FuzzTarget;
  /** Branch A's genuine request: a borrower with an anchored consent, and the objection it filed. */
  const known = {
    query: {} as Record<string, unknown>,
    objection: {} as Record<string, unknown>,
    objectionId: "",
  };

  type Signer = "branchA" | "branchB" | "platform" | "court" | "outsider" | "none" | "expired";
  /** `this`: the union's node. */
  type Target = Exclude<nodeToNode.Addressee, { kind: "service" }>;
  /** Signed for the union's node unless `to` says otherwise; `expired`: branch A's key, expired. */
  const signed = nodeToNode.nodeSigner(() => suite.chain, MEMBERS.union, "branchA");

  before(async function () {
    const base = await suite.config({ tokens: TOKENS });
    // a real LevelDB directory; neither the indexer nor the outbox sender runs, so only requests write
    union = await suite.node({
      config: { ...base, memberId: MEMBERS.union, memberKind: "union", dataDir: join(suite.dir, "union") },
      wallet: suite.chain.wallets.unionOps,
      inMemory: false,
    });
    // branch A's consent for a borrower, anchored by branch A (its node, in memory, only records it)
    const branch = await suite.node({
      config: { ...base, dataDir: join(suite.dir, "branch") },
      wallet: suite.chain.wallets.branchA,
    });
    const borrowerKey = `0x${randomBytes(32).toString("hex")}`;
    const consent = await consentAt(branch, borrowerKey);
    known.query = {
      borrowerKey,
      purpose: "LOAN_APPROVAL",
      operator: "fuzz-operator",
      consent: consentReference(consent),
    };
    // one genuine query and one objection to its report, so reads and answers meet a real record
    const ask = async (url: string, body: unknown) => {
      const text = JSON.stringify(body);
      const reply = await union.app.inject({
        method: "POST",
        url,
        payload: text,
        headers: { "content-type": "application/json", ...(await signed("branchA", "POST", url, text)) },
      });
      expect(reply.statusCode, reply.body).to.equal(200);
      return reply.json() as Record<string, unknown>;
    };
    const answer = await ask("/v1/union/credit-queries", known.query);
    known.objectionId = `obj_${randomBytes(12).toString("hex")}`;
    known.objection = {
      objectionId: known.objectionId,
      borrowerKey,
      reportDigest: answer.reportDigest,
      entry: "查询记录本身 / the query itself",
      reason: "本人未申请贷款 / I applied for no loan",
      filedAt: new Date().toISOString(),
    };
    await ask("/v1/union/credit-objections", known.objection);
    target = {
      service: "union node",
      app: union.app,
      db: union.root as never,
      catalogue: NODE_ERRORS,
      mayWrite: nonceMayWrite,
      unsnapshotted: (key) => startsWith(key, NONCE_PREFIX),
    };
  });

  // ------------------------------------------------------------------------------------------
  // generators

  const signer: fc.Arbitrary<Signer> = fc.oneof(
    { weight: 10, arbitrary: fc.constant<Signer>("branchA") },
    { weight: 2, arbitrary: fc.constant<Signer>("branchB") },
    { weight: 1, arbitrary: fc.constantFrom<Signer>("platform", "court", "outsider", "none", "expired") },
  );
  const unionTarget: fc.Arbitrary<Target> = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Target>({ kind: "this" }) },
    {
      weight: 1,
      arbitrary: nodeToNode.otherMember([MEMBERS.branchA, MEMBERS.branchB, MEMBERS.platform, MEMBERS.court]),
    },
    {
      weight: 1,
      arbitrary: nodeToNode.hostileTarget(["", "0", "01", "-1", "1.0", " 1", "0x1", "4294967297", "１"]),
    },
  );
  type SignedCase = nodeToNode.NodeRequestCase<Signer, Target> & { method: "GET" | "POST" };
  const signedRequest = async (c: SignedCase): Promise<InjectOptions> => ({
    method: c.method,
    url: c.url,
    ...(c.method === "GET" ? {} : { payload: c.body }),
    headers: fuzz.withBodyHeaders(
      { headers: c.headers, type: c.method === "GET" ? undefined : c.type },
      await signed(c.signer, c.method, c.url, c.method === "GET" ? "" : c.body, c.target),
    ),
  });
  const signedPost = (url: string, body: fc.Arbitrary<string | Buffer>): fc.Arbitrary<SignedCase> =>
    fc.record({
      method: fc.constant<"POST">("POST"),
      url: fc.constant(url),
      body,
      type: gen.contentType,
      signer,
      target: unionTarget,
      headers: gen.junkHeaders,
    });
  const genuine = (url: string, body: unknown): SignedCase => ({
    method: "POST",
    url,
    body: JSON.stringify(body),
    type: "application/json",
    signer: "branchA",
    target: { kind: "this" },
    headers: {},
  });
  /** A signed POST fuzzed from branch A's genuine `body` (mostly mutations of it), each reply checked by `check`. */
  const mutatedPost = (
    url: string,
    body: Record<string, unknown>,
    check: (c: SignedCase, reply: { statusCode: number }) => void,
  ): fuzz.RouteFuzz<SignedCase> => ({
    route: `POST ${url}`,
    examples: [genuine(url, body)],
    arbitrary: signedPost(
      url,
      fc.oneof({ weight: 6, arbitrary: gen.mutatedJson(body) }, { weight: 2, arbitrary: gen.hostileBody }),
    ),
    build: signedRequest,
    check,
  });
  const objectionSegment = gen
    .pathSegment(
      fc.oneof(
        fc.constant("known"),
        fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => `obj_${Buffer.from(b).toString("hex")}`),
      ),
      fc.oneof(gen.hostileString, fc.constantFrom("obj_", "OBJ_000000000000000000000000", "__proto__")),
    )
    .map((s) => (s === "known" ? known.objectionId : s));

  type Token = keyof typeof TOKENS | "none" | "unknown";
  type BodyCase = {
    token: Token;
    url: string;
    type: string | undefined;
    body: string | Buffer;
    headers: Record<string, string>;
  };
  const token: fc.Arbitrary<Token> = fc.oneof(
    { weight: 8, arbitrary: fc.constant<Token>("admin") },
    { weight: 1, arbitrary: fc.constantFrom<Token>("clerk", "approver", "none", "unknown") },
  );
  const bearer = (t: Token): Record<string, string> =>
    t === "none" ? {} : { authorization: `Bearer ${t === "unknown" ? "not-a-user" : TOKENS[t]}` };
  // refused tokens count per address: they come from their own, so valid ones keep reaching the route
  const origin = (t: Token): { remoteAddress?: string } =>
    t === "unknown" ? { remoteAddress: "203.0.113.67" } : {};

  const routes = (): Array<fuzz.RouteFuzz<any>> => [
    mutatedPost("/v1/union/credit-queries", known.query, (c, reply) => {
      if (reply.statusCode < 400 && !["branchA", "branchB"].includes(c.signer))
        throw new Error(`the union answered a credit query signed by ${c.signer}`);
    }),
    mutatedPost("/v1/union/credit-objections", known.objection, (c, reply) => {
      if (reply.statusCode < 400 && c.signer !== "branchA")
        throw new Error(
          `the union accepted an objection signed by ${c.signer} for a report it served branch A`,
        );
    }),
    {
      route: "GET /v1/union/credit-objections/:objectionId",
      arbitrary: fc.record({
        method: fc.constant<"GET">("GET"),
        url: objectionSegment.map((s) => `/v1/union/credit-objections/${s}`),
        body: fc.constant(""),
        type: fc.constant(undefined),
        signer,
        target: unionTarget,
        headers: gen.junkHeaders,
      }),
      build: signedRequest,
      check: (c: SignedCase, reply) => {
        if (reply.statusCode < 400 && c.signer !== "branchA")
          throw new Error(`member ${c.signer} read branch A's objection`);
      },
    },
    {
      route: "GET /v1/union/credit-objections",
      arbitrary: fc.record({ token, headers: gen.junkHeaders }),
      build: (c: { token: Token; headers: Record<string, string> }): InjectOptions => ({
        ...origin(c.token),
        method: "GET",
        url: "/v1/union/credit-objections",
        headers: { ...c.headers, ...bearer(c.token) },
      }),
    },
    {
      route: "POST /v1/union/credit-objections/:objectionId/answer",
      arbitrary: fc.record({
        token,
        url: objectionSegment.map((s) => `/v1/union/credit-objections/${s}/answer`),
        type: gen.contentType,
        body: fc.oneof(
          {
            weight: 6,
            arbitrary: gen.mutatedJson({
              outcome: "rejected",
              answer: "经核查，查询记录属实 / the query is genuine",
            }),
          },
          { weight: 2, arbitrary: gen.hostileBody },
        ),
        headers: gen.junkHeaders,
      }),
      build: (c: BodyCase): InjectOptions => ({
        ...origin(c.token),
        ...fuzz.bodyRequest("POST", c, bearer(c.token)),
      }),
    },
  ];

  it("fuzzes every union-only route the union's node documents", async function () {
    const fuzzed = new Set(routes().map((r) => r.route));
    const unionOnly = (await fuzz.documentedRoutes(union.app)).filter((r) =>
      r.split(" ")[1]!.startsWith("/v1/union/"),
    );
    expect(unionOnly).to.have.length(5);
    expect([...fuzzed]).to.have.members(unionOnly);
  });

  it("fuzzes every union-only route: no 5xx, no crash, catalogued 4xx codes, nothing written by a rejected request", async function () {
    await fuzz.fuzzEveryRoute(target, routes(), run);
    fuzz.expectAccepted(run.stats, ["POST /v1/union/credit-queries", "POST /v1/union/credit-objections"]);
  });
});
