// Route fuzzing of the institution node (test/support/fuzz/harness.ts): every route of
// nodes/src/http/app.ts driven through app.inject() with fast-check-generated hostile requests,
// over a real chain (Anvil), a real anchor service listening on a port and a real LevelDB
// directory. Per request: no 5xx, no crash, a catalogued error code on every 4xx, and nothing
// written by a rejected request — except the document access log, which records refused reads
// on purpose (nodes/src/documents/README.md). Most requests carry a valid back-office token (or
// a valid chain-key signature for this node's member on node-to-node routes), so fuzzing reaches
// past authentication; node-to-node requests are also signed for other members' nodes, without a
// target, or with a hostile x-jl-target, and none of those may be served.
//
// Bounded inside `npm test` (FUZZ_HTTP_RUNS, default 200 per route); `npm run test:fuzz` runs
// 10,000 per route. FUZZ_SEED replays a run (the seed is printed).
import { expect } from "chai";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { NODE_ERRORS } from "../../nodes/src/errors.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { approvingDecision, injectAs } from "../support/credit-decision.ts";
import * as fuzz from "../support/fuzz/harness.ts";
import * as gen from "../support/fuzz/hostile.ts";
import { NONCE_PREFIX, nonceMayWrite, startsWith } from "../support/fuzz/node-nonces.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { consentDates, SETTLEMENT } from "../support/institution-node.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import * as nodeToNode from "../support/fuzz/node-to-node.ts";
import { huinongPayload, jiedaibaoPayload, rongyitongPayload } from "../support/channel-fixtures.ts";

/** The node's clock. */
const CLOCK = Date.parse("2026-11-22T02:05:30Z");
const TOKENS = {
  clerk: "fuzz-clerk",
  approver: "fuzz-approver",
  admin: "fuzz-admin",
  "court-clerk": "fuzz-court-clerk",
} as const;
/** The document access log records refused reads too: a refused request may append to it. */
const ACCESS_LOG_PREFIXES = ["!documents!!accessLog!", "!documents!!accessByDocument!"].map((p) =>
  Buffer.from(p, "utf8"),
);
/**
 * Requests with a wrong or malformed API token come from their own address: the node rate-limits
 * refused tokens per address (429 after 10), and the valid-token requests from 127.0.0.1 must
 * keep reaching past authentication.
 */
const GUESSER = "203.0.113.66";

fuzz.describeFuzzing("institution node: route fuzzing", "institution node", function (run) {
  const suite = lendingSuite("fuzz-node-", { anchor: { config: { membershipCacheMs: 600_000 } } });
  let node: NodeService;
  let target: fuzz.FuzzTarget;
  const known = {
    applicationId: "",
    approvableApplicationId: "",
    foreignApplicationId: "",
    documentId: "",
    consentLeaf: "",
    loanId: "",
    serial: "DSB-KNOWN-1",
    borrowerKey: "",
  };

  before(async function () {
    const config = await suite.config({ tokens: TOKENS });
    // a real LevelDB directory; neither the indexer loop nor the outbox sender runs, so only requests write
    node = await suite.node({
      config,
      inMemory: false,
      wallet: suite.chain.wallets.branchA,
      now: () => new Date(CLOCK),
    });
    // one index pass, so /readyz answers for a synced node (a node that never synced is honestly 503)
    await node.indexer.syncOnce();
    // known ids so generated requests hit existing records as well as missing ones
    const inject = async (options: InjectOptions) => {
      const reply = await node.app.inject(options);
      expect(reply.statusCode, reply.body).to.equal(200);
      return reply.json() as Record<string, any>;
    };
    const bearer = { authorization: `Bearer ${TOKENS.approver}` };
    // the platform's applications, as the union's node forwards them (credited to platform 4 by the union's signature)
    const forwarded = async (payload: unknown) => {
      const url = "/v1/forwarded-applications/jiedaibao?platform=4";
      const body = JSON.stringify(payload);
      return (
        await inject({
          method: "POST",
          url,
          payload: body,
          headers: { "content-type": "application/json", ...(await signed("union", "POST", url, body)) },
        })
      ).applicationId as string;
    };
    known.applicationId = await forwarded(jiedaibaoPayload());
    const consent = await inject({
      method: "POST",
      url: "/v1/consents",
      headers: bearer,
      payload: {
        applicationId: known.applicationId,
        letterBase64: Buffer.from("授权书").toString("base64"),
        ...consentDates(CLOCK),
        scope: ["LOAN_APPROVAL"],
      },
    });
    known.documentId = consent.documentId;
    known.consentLeaf = consent.consent.leafHash;
    await approvingDecision(
      injectAs(node.app, () => bearer),
      known.applicationId,
    );
    const approved = await inject({
      method: "POST",
      url: "/v1/loans",
      headers: bearer,
      // assisted: a joint loan's approval asks the platform's node to agree (test/nodes/loan-agreement.test.ts), and this node is alone
      payload: {
        applicationId: known.applicationId,
        contractBase64: Buffer.from("借款合同").toString("base64"),
        consentLeafHash: known.consentLeaf,
        platformShareBps: 0,
        startDate: "2026-11-22",
      },
    });
    known.loanId = approved.loanId;
    await inject({
      method: "POST",
      url: `/v1/loans/${known.loanId}/disbursements`,
      headers: bearer,
      payload: { serial: known.serial, amountFen: "3500000", accountHash: SETTLEMENT },
    });
    known.borrowerKey = (
      await inject({ method: "GET", url: `/v1/applications/${known.applicationId}`, headers: bearer })
    ).borrowerKey;
    known.foreignApplicationId = `app_${"0".repeat(24)}`;
    const second = jiedaibaoPayload();
    second.shenqingBianhao = "JDB20261122000999";
    known.approvableApplicationId = await forwarded(second);
    // its credit decision too, so the approval route's genuine example is accepted
    await approvingDecision(
      injectAs(node.app, () => bearer),
      known.approvableApplicationId,
    );
    target = {
      service: "institution node",
      app: node.app,
      db: node.root as never,
      catalogue: NODE_ERRORS,
      mayWrite: (key, code) =>
        ACCESS_LOG_PREFIXES.some((p) => startsWith(key, p)) || nonceMayWrite(key, code),
      unsnapshotted: (key) =>
        ACCESS_LOG_PREFIXES.some((p) => startsWith(key, p)) || startsWith(key, NONCE_PREFIX),
    };
  });

  // ------------------------------------------------------------------------------------------
  // generators

  /** A body mostly shaped like the route's own (`shaped`, weight 6), else hostile bytes (weight `hostile`). */
  const shapedOrHostile = <T>(shaped: fc.Arbitrary<T>, hostile = 1) =>
    fc.oneof({ weight: 6, arbitrary: shaped }, { weight: hostile, arbitrary: gen.hostileBody });

  /** A CSV upload's content type: mostly text/csv, else any. */
  const csvOrOther = fc.oneof(
    { weight: 6, arbitrary: fc.constant("text/csv") },
    { weight: 1, arbitrary: gen.contentType },
  );
  /** The body of a route that takes none: mostly `{}`, else hostile bytes. */
  const emptyOrHostile = fc.oneof(
    { weight: 3, arbitrary: fc.constant("{}") },
    { weight: 1, arbitrary: gen.hostileBody },
  );

  type Token = keyof typeof TOKENS | "none" | "unknown" | "malformed";
  const token: fc.Arbitrary<Token> = fc.oneof(
    { weight: 10, arbitrary: fc.constant<Token>("approver") },
    { weight: 3, arbitrary: fc.constantFrom<Token>("clerk", "admin") },
    { weight: 1, arbitrary: fc.constantFrom<Token>("court-clerk", "none", "unknown", "malformed") },
  );
  const authorization = (t: Token): Record<string, string> =>
    t === "none"
      ? {}
      : t === "unknown"
        ? { authorization: "Bearer not-a-user" }
        : t === "malformed"
          ? { authorization: "Basic Zm9vOmJhcg==" }
          : { authorization: `Bearer ${TOKENS[t]}` };
  /** Where a request comes from: refused tokens from GUESSER (see above). */
  const origin = (t: Token): { remoteAddress?: string } =>
    t === "unknown" || t === "malformed" ? { remoteAddress: GUESSER } : {};

  const applicationId = fc.oneof(
    { weight: 4, arbitrary: fc.constant("known") },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 12, maxLength: 12 })
        .map((b) => `app_${Buffer.from(b).toString("hex")}`),
    },
    { weight: 1, arbitrary: gen.hostileString },
  );
  const appIdText = applicationId.map((a) => JSON.stringify(a === "known" ? "__KNOWN_APP__" : a));
  const resolve = (text: string) =>
    text
      .replaceAll("__KNOWN_APP__", known.applicationId)
      .replaceAll("__APPROVABLE_APP__", known.approvableApplicationId)
      .replaceAll("__KNOWN_LEAF__", known.consentLeaf);
  const base64 = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b).toString("base64")),
    fc.constantFrom("", "====", "not base64!", "\u0000", "YQ", "A".repeat(100_000)),
  );
  /** An application's id and a document for it, base64 in `field`. */
  const applicationDocument = (field: string) => ({
    applicationId: { valid: appIdText },
    [field]: { valid: gen.quoted(base64) },
  });
  const day = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .date({
          min: new Date("2020-01-01T00:00:00Z"),
          max: new Date("2035-12-31T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "2026-02-30",
        "2026-13-01",
        "2026-00-10",
        "0000-00-00",
        "9999-99-99",
        "2026-11-31",
        "1969-12-31",
        "0001-01-01",
        "2026-1-1",
        "２０２６-１１-２２",
        "2026-11-22T00:00:00Z",
      ),
    },
  );
  const isoTime = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "2026-11-22T10:00:00+08:00",
        "2027-11-22T10:00:00+08:00",
        "2026-11-21T00:00:00Z",
      ),
    },
    { weight: 2, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "2026-11-22T25:61:61Z",
        "2026-11-22T10:00:00+24:00",
        "+275760-09-13T00:00:00Z",
        "2026-11-22",
        "2026-11-22T10:00:00",
        "1700000000",
        "yesterday",
        "",
      ),
    },
  );
  const serial = fc.oneof(
    fc.constantFrom("DSB-KNOWN-1", "DSB-1", "RPY-1", "RPY-2", "x"),
    gen.hostileString,
    fc.string({ minLength: 60, maxLength: 70 }),
  );
  const loanSegment = gen
    .pathSegment(fc.oneof(gen.hex32, fc.constant("known")), gen.badHash)
    .map((s) => (s === "known" ? known.loanId : s));
  const anyQuery = gen.queryString({ x: { valid: gen.hostileString } });
  const channel = gen.pathSegment(
    fc.constantFrom("jiedaibao", "rongyitong", "huinong"),
    fc.oneof(
      gen.hostileString,
      fc.constantFrom("JIEDAIBAO", "jiedaibao ", "__proto__", "constructor", "toString"),
    ),
  );
  const payloadOf: Record<string, () => unknown> = {
    jiedaibao: jiedaibaoPayload,
    rongyitong: rongyitongPayload,
    huinong: huinongPayload,
  };
  const applicationBody = (ch: string) =>
    shapedOrHostile(gen.mutatedJson((Object.hasOwn(payloadOf, ch) ? payloadOf[ch]! : jiedaibaoPayload)()), 2);

  /** A fuzzed amount in fen: a positive whole number up to 10^12 as text, or hostile text. */
  const amountField = {
    valid: gen.quoted(fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String)),
    bad: gen.hostileAmountText,
  };
  /** A money movement's serial and amount. */
  const money = { serial: { valid: gen.quoted(serial) }, amountFen: amountField };

  type BodyCase = {
    token: Token;
    type: string | undefined;
    body: string | Buffer;
    url: string;
    headers: Record<string, string>;
  };
  /** A body case POSTed under back-office auth, from the token's origin. */
  const tokenPost = (c: BodyCase): InjectOptions => ({
    ...origin(c.token),
    ...fuzz.bodyRequest("POST", c, authorization(c.token)),
  });
  /** A JSON-body route under back-office auth. */
  function bodyRoute(
    route: string,
    method: "POST" | "PUT",
    url: fc.Arbitrary<string>,
    body: fc.Arbitrary<string | Buffer>,
    example?: { url: string; body: string },
  ): fuzz.RouteFuzz<BodyCase> {
    return {
      route,
      ...(example === undefined
        ? {}
        : { examples: [{ token: "approver", type: "application/json", headers: {}, ...example }] }),
      arbitrary: fc.record({ token, type: gen.contentType, body, url, headers: gen.junkHeaders }),
      build: (c) => ({
        ...origin(c.token),
        ...fuzz.bodyRequest(
          method,
          { ...c, body: typeof c.body === "string" ? resolve(c.body) : c.body },
          authorization(c.token),
        ),
      }),
    };
  }
  /** A JSON-body route at one fixed path. */
  const pathBodyRoute = (
    method: "POST" | "PUT",
    path: string,
    body: fc.Arbitrary<string | Buffer>,
    example?: { url: string; body: string },
  ): fuzz.RouteFuzz<BodyCase> => bodyRoute(`${method} ${path}`, method, fc.constant(path), body, example);
  /** A JSON-body route on one loan, `/v1/<base>/:loanId/<action>`: the known loan or another. */
  const loanBodyRoute = (
    method: "POST" | "PUT",
    base: "loans" | "cases",
    action: string,
    body: fc.Arbitrary<string | Buffer>,
    example?: { url: string; body: string },
  ): fuzz.RouteFuzz<BodyCase> =>
    bodyRoute(
      `${method} /v1/${base}/:loanId/${action}`,
      method,
      loanSegment.map((l) => `/v1/${base}/${l}/${action}`),
      body,
      example,
    );
  // staff accounts the fuzzer may create, change or rotate: never one of its own users
  const staffName = fc.constantFrom("fuzz.clerk", "fuzz.other", "nobody");
  const quoted1 = (name: string) => `"${name}"`;
  const staffRole = fc.constantFrom('"clerk"', '"approver"', '"admin"', '"court-clerk"');
  type GetCase = { token: Token; url: string; headers: Record<string, string> };
  function getRoute(
    route: string,
    url: fc.Arbitrary<string>,
    method: "GET" | "DELETE" = "GET",
  ): fuzz.RouteFuzz<GetCase> {
    return {
      route,
      arbitrary: fc.record({ token, url, headers: gen.junkHeaders }),
      build: (c) => ({
        ...origin(c.token),
        method,
        url: resolve(c.url),
        headers: { ...c.headers, ...authorization(c.token) },
      }),
    };
  }
  // a mandate's agent: an account address, this node's own, or malformed
  const address = fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((b) => `0x${Buffer.from(b).toString("hex")}`);
  const agentText = fc.oneof(
    address,
    fc
      .constantFrom("union", "self")
      .map((w) => (w === "union" ? suite.chain.wallets.unionOps : suite.chain.wallets.branchA).address),
  );
  const badAgent = fc.oneof(
    gen.badHash,
    fc.constantFrom("0x", "0x123", `0x${"g".repeat(40)}`, `${"a".repeat(40)}`),
    gen.hostileString,
  );

  type SignedCase = nodeToNode.NodeRequestCase<Signer, Target>;
  type Signer = "union" | "court" | "branchB" | "platform" | "outsider" | "none" | "expired";
  /**
   * The node-to-node target: this node's member (branch A), another member's, the service form
   * (no target, as the anchor's requests), or a signed target with x-jl-target then replaced by
   * hostile text.
   */
  type Target = nodeToNode.Addressee;
  const nodeTarget: fc.Arbitrary<Target> = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Target>({ kind: "this" }) },
    {
      weight: 1,
      arbitrary: nodeToNode.otherMember([MEMBERS.union, MEMBERS.branchB, MEMBERS.platform, MEMBERS.court]),
    },
    { weight: 1, arbitrary: fc.constant<Target>({ kind: "service" }) },
    {
      weight: 1,
      arbitrary: nodeToNode.hostileTarget([
        "",
        "0",
        "02",
        "-2",
        "+2",
        "2.0",
        "2 ",
        " 2",
        "0x2",
        "4294967296",
        "99999999999",
        "2,2",
        "２",
      ]),
    },
  );
  /** Mostly `usual` (weight 8), sometimes one of `others`. */
  const signerMostly = (usual: Signer, others: Signer[]) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant<Signer>(usual) },
      { weight: 1, arbitrary: fc.constantFrom<Signer>(...others) },
    );
  /** A signed node-to-node request's case: its url and body, a content type, `signer`, a target and junk headers. */
  const signedCase = (
    url: fc.Arbitrary<string>,
    body: fc.Arbitrary<string | Buffer>,
    signer: fc.Arbitrary<Signer>,
  ): fc.Arbitrary<SignedCase> =>
    fc.record({ url, body, type: gen.contentType, signer, target: nodeTarget, headers: gen.junkHeaders });
  /** The genuine request a signed route's fuzzing starts from: JSON, for this node, no junk. */
  const genuineSigned = (url: string, body: string, signer: Signer): SignedCase => ({
    url,
    body,
    type: "application/json",
    signer,
    target: { kind: "this" },
    headers: {},
  });
  /** A route this node never serves: any success is a failure named `what`. */
  const alwaysRefused =
    (what: string) =>
    (_c: unknown, reply: { statusCode: number }): void => {
      if (reply.statusCode < 400) throw new Error(what);
    };
  /** `what`, signed for another member's node or with a hostile target, must not be served. */
  const servedOnlyForThisNode =
    (what: string) =>
    (c: { target: Target }, reply: { statusCode: number }): void => {
      if (c.target.kind !== "this" && reply.statusCode < 400)
        throw new Error(`${what} not signed for this node's member was served: ${JSON.stringify(c.target)}`);
    };
  /** Node-to-node routes: signed with a member's chain key (EIP-712), for branch A's node unless `to` says otherwise. */
  const signed = nodeToNode.nodeSigner(() => suite.chain, MEMBERS.branchA, "union");
  /** A node-to-node POST of the case's body, its content type and junk headers, signed as the case says. */
  const signedPost = async (c: SignedCase): Promise<InjectOptions> =>
    fuzz.bodyRequest("POST", c, await signed(c.signer, "POST", c.url, c.body, c.target));

  /**
   * GET /v1/cases/:loanId/`what`: the assigned court's node-to-node fetch, signed mostly by the
   * court; `fetch` (what it is) must never be served for another member's node.
   */
  const courtGetRoute = (what: string, fetch: string): fuzz.RouteFuzz<Omit<SignedCase, "body" | "type">> => ({
    route: `GET /v1/cases/:loanId/${what}`,
    arbitrary: fc.record({
      url: loanSegment.map((l) => `/v1/cases/${l}/${what}`),
      signer: signerMostly("court", ["union", "branchB", "outsider", "none", "expired"]),
      target: nodeTarget,
      headers: gen.junkHeaders,
    }),
    build: async (c) => ({
      method: "GET",
      url: c.url,
      headers: { ...c.headers, ...(await signed(c.signer, "GET", c.url, "", c.target)) },
    }),
    check: servedOnlyForThisNode(fetch),
  });

  /** POST /v1/cases/:loanId/`step`: a case step that takes no body. */
  const caseStep = (step: string) => loanBodyRoute("POST", "cases", `${step}`, emptyOrHostile);

  /** A platform's route (agreements, endorsements) at branch A's node, mutated from `body`: always refused. */
  const platformOnlyRoute = (path: string, body: object, what: string): fuzz.RouteFuzz<any> => ({
    route: `POST ${path}`,
    arbitrary: signedCase(
      fc.constant(path),
      shapedOrHostile(gen.mutatedJson(body), 2),
      signerMostly("branchB", ["union", "platform", "outsider", "none", "expired"]),
    ),
    build: signedPost,
    check: alwaysRefused(`a branch's node ${what} (${path})`),
  });
  const agreement = {
    applicationId: "JDB20261122000123",
    terms: { originator: 4, applicationSerial: `0x${"ab".repeat(32)}`, principal: "5000000", fees: [] },
  };
  const endorsement = { loanId: `0x${"ab".repeat(32)}`, leafHash: `0x${"cd".repeat(32)}` };

  const routes = (): Array<fuzz.RouteFuzz<any>> => [
    {
      route: "POST /v1/applications/:channel",
      // ?platform= is refused (an application is credited to the member that authenticated it): sometimes sent, never accepted
      arbitrary: fc
        .tuple(
          channel,
          fc.oneof(
            { weight: 4, arbitrary: fc.constant("") },
            {
              weight: 1,
              arbitrary: gen.queryString({ platform: { valid: fc.constantFrom("4", "2", "1", "999") } }),
            },
          ),
        )
        .chain(([ch, query]) =>
          fc.record({
            token,
            type: gen.contentType,
            body: applicationBody(ch),
            url: fc.constant(`/v1/applications/${ch}${query}`),
            headers: gen.junkHeaders,
          }),
        ),
      build: tokenPost,
      examples: [
        {
          token: "clerk",
          type: "application/json",
          body: JSON.stringify(jiedaibaoPayload()),
          url: "/v1/applications/jiedaibao",
          headers: {},
        },
      ],
      check: (c: BodyCase, reply) => {
        if (c.url.includes("platform") && reply.statusCode < 400)
          throw new Error(`a back-office user named the credited platform and was accepted: ${c.url}`);
      },
    },
    pathBodyRoute(
      "POST",
      "/v1/loans",
      shapedOrHostile(
        gen.objectText({
          ...applicationDocument("contractBase64"),
          consentLeafHash: {
            valid: fc.oneof(gen.quoted(gen.hex32), fc.constant('"__KNOWN_LEAF__"')),
            bad: gen.quoted(gen.badHash),
          },
          platformShareBps: { valid: fc.integer({ min: 0, max: 7000 }).map(String) },
          startDate: { valid: gen.quoted(day) },
        }),
      ),
      // assisted: a joint loan needs the platform's node, which this lone node does not list (422 NODE_ERR_NO_PLATFORM_NODE)
      {
        url: "/v1/loans",
        body: JSON.stringify({
          applicationId: "__APPROVABLE_APP__",
          contractBase64: Buffer.from("借款合同 2").toString("base64"),
          consentLeafHash: "__KNOWN_LEAF__",
          platformShareBps: 0,
          startDate: "2026-11-22",
        }),
      },
    ),
    ...(["disbursements", "repayments"] as const).map((kind) =>
      loanBodyRoute(
        "POST",
        "loans",
        kind,
        shapedOrHostile(
          gen.objectText({
            ...money,
            accountHash: {
              valid: fc.oneof(gen.quoted(gen.hex32), fc.constant(JSON.stringify(SETTLEMENT))),
              bad: gen.quoted(gen.badHash),
              optional: kind === "repayments",
            },
          }),
        ),
        {
          url: `/v1/loans/${known.loanId}/${kind}`,
          body: JSON.stringify({
            serial: `${kind}-EXAMPLE-1`,
            amountFen: "100",
            ...(kind === "disbursements" ? { accountHash: SETTLEMENT } : {}),
          }),
        },
      ),
    ),
    // early settlement and cancellation: the known loan is queued, not on chain (no sender runs), so
    // the ledger answers LedgerUnknownLoan (404) and nothing is written; a taken serial is a conflict
    getRoute(
      "GET /v1/loans/:loanId/settlement",
      loanSegment.map((l) => `/v1/loans/${l}/settlement`),
    ),
    loanBodyRoute(
      "POST",
      "loans",
      "settlements",
      shapedOrHostile(
        gen.objectText({
          ...money,
        }),
      ),
    ),
    loanBodyRoute(
      "POST",
      "loans",
      "cancellation",
      shapedOrHostile(
        gen.objectText({
          reasonCode: {
            valid: fc.integer({ min: 0, max: 0xffff }).map(String),
            bad: fc.constantFrom("-1", "65536", "1.5", '"3"', "1e3", "null"),
          },
        }),
      ),
    ),
    // mandates: the known loan is not on chain (no sender runs), so the ledger answers LedgerUnknownLoan (404), nothing written
    getRoute(
      "GET /v1/loans/:loanId/mandates/:agent",
      fc
        .tuple(loanSegment, gen.pathSegment(agentText, badAgent))
        .map(([l, a]) => `/v1/loans/${l}/mandates/${a}`),
    ),
    getRoute(
      "DELETE /v1/loans/:loanId/mandates/:agent",
      fc
        .tuple(loanSegment, gen.pathSegment(agentText, badAgent))
        .map(([l, a]) => `/v1/loans/${l}/mandates/${a}`),
      "DELETE",
    ),
    loanBodyRoute(
      "POST",
      "loans",
      "mandates",
      shapedOrHostile(
        gen.objectText({
          agent: { valid: gen.quoted(agentText), bad: gen.quoted(badAgent) },
          expiresAt: { valid: gen.quoted(isoTime) },
        }),
      ),
    ),
    // where a loan's money goes, its income split and its prepayments: the known loan is queued,
    // not on chain (no sender runs), so the ledger answers LedgerUnknownLoan (404), nothing written
    getRoute(
      "GET /v1/loans/:loanId/receiving-account",
      loanSegment.map((l) => `/v1/loans/${l}/receiving-account`),
    ),
    // the signed contract on chain: the known loan's record as this branch keeps it (the registry
    // read, nothing written); endorsing is a platform's node's, so branch A's refuses every request
    getRoute(
      "GET /v1/loans/:loanId/contract-endorsement",
      loanSegment.map((l) => `/v1/loans/${l}/contract-endorsement`),
    ),
    platformOnlyRoute("/v1/contract-endorsements", endorsement, "endorsed a contract as a platform"),
    platformOnlyRoute(
      "/v1/contract-endorsements/batch",
      { endorsements: [endorsement] },
      "endorsed contracts as a platform",
    ),
    getRoute(
      "GET /v1/loans/:loanId/income-split",
      loanSegment.map((l) => `/v1/loans/${l}/income-split`),
    ),
    loanBodyRoute(
      "PUT",
      "loans",
      "income-split",
      shapedOrHostile(
        gen.objectText({
          shares: {
            valid: gen.arrayText(
              gen.objectText({
                memberId: { valid: fc.constantFrom("2", "4", "3", "0", "4294967296") },
                incomeShareBps: {
                  valid: fc.integer({ min: 0, max: 10_000 }).map(String),
                  bad: fc.constantFrom("-1", "10001", "1.5", '"5000"'),
                },
              }),
              3,
            ),
          },
        }),
      ),
    ),
    getRoute(
      "GET /v1/loans/:loanId/prepayment-quote",
      fc
        .tuple(
          loanSegment,
          gen.queryString({
            amount: { valid: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String) },
            mode: { valid: fc.constantFrom("shorten-term", "lower-installments") },
            fee: { valid: fc.constantFrom("0", "100") },
          }),
        )
        .map(([l, query]) => `/v1/loans/${l}/prepayment-quote${query}`),
    ),
    loanBodyRoute(
      "POST",
      "loans",
      "prepayments",
      shapedOrHostile(
        gen.objectText({
          ...money,
          mode: {
            valid: fc.constantFrom('"shorten-term"', '"lower-installments"'),
            bad: fc.constantFrom('"ShortenTerm"', "0", '""'),
          },
          feeFen: {
            valid: gen.quoted(fc.constantFrom("0", "100")),
            bad: gen.hostileAmountText,
            optional: true,
          },
          receivedFen: {
            valid: gen.quoted(fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String)),
            bad: gen.hostileAmountText,
            optional: true,
          },
        }),
      ),
    ),
    // the branch's quotas: this node has no governance key, so a valid PUT is 409 NODE_ERR_NO_GOVERNANCE_KEY, nothing sent
    getRoute(
      "GET /v1/branch-limits",
      anyQuery.map((query) => `/v1/branch-limits${query}`),
    ),
    pathBodyRoute(
      "PUT",
      "/v1/branch-limits",
      shapedOrHostile(
        gen.objectText({
          singleLoanMaxFen: {
            valid: gen.quoted(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)),
            bad: gen.hostileAmountText,
          },
          dailyDisbursementLimitFen: {
            valid: gen.quoted(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)),
            bad: gen.hostileAmountText,
          },
          outstandingLimitFen: {
            valid: gen.quoted(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)),
            bad: gen.hostileAmountText,
          },
        }),
      ),
    ),
    getRoute(
      "GET /v1/outbox/:serial",
      gen.pathSegment(serial.map(gen.uri), gen.hostileString).map((s) => `/v1/outbox/${s}`),
    ),
    getRoute(
      "GET /v1/applications/:applicationId",
      gen
        .pathSegment(
          applicationId.map((a) => (a === "known" ? "__KNOWN_APP__" : gen.uri(a))),
          gen.hostileString,
        )
        .map((s) => `/v1/applications/${s}`),
    ),
    pathBodyRoute(
      "POST",
      "/v1/consents",
      shapedOrHostile(
        gen.objectText({
          ...applicationDocument("letterBase64"),
          signedAt: { valid: gen.quoted(isoTime) },
          validUntil: { valid: gen.quoted(isoTime) },
          scope: {
            valid: fc.oneof(
              {
                weight: 6,
                arbitrary: fc
                  .subarray(["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "GUARANTEE_REVIEW"], { minLength: 1 })
                  .map((xs) => JSON.stringify(xs)),
              },
              {
                weight: 1,
                arbitrary: gen.arrayText(
                  fc.oneof(
                    fc.constantFrom('"LOAN_APPROVAL"', '"GUARANTEE_REVIEW"'),
                    gen.quoted(gen.hostileString),
                  ),
                  4,
                ),
              },
            ),
          },
        }),
      ),
      {
        url: "/v1/consents",
        body: JSON.stringify({
          applicationId: "__KNOWN_APP__",
          letterBase64: Buffer.from("授权书 (example)").toString("base64"),
          ...consentDates(CLOCK),
          scope: ["LOAN_APPROVAL"],
        }),
      },
    ),
    pathBodyRoute(
      "POST",
      "/v1/credit-queries",
      shapedOrHostile(
        gen.objectText({
          applicationId: { valid: appIdText },
          purpose: {
            valid: fc.constantFrom('"LOAN_APPROVAL"', '"POST_LOAN_MANAGEMENT"', '"GUARANTEE_REVIEW"'),
          },
        }),
      ),
    ),
    pathBodyRoute(
      "POST",
      "/v1/decisions",
      shapedOrHostile(
        gen.objectText({
          applicationId: { valid: appIdText },
          monthlyIncomeFen: {
            valid: gen.quoted(fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String)),
            bad: gen.hostileAmountText,
          },
        }),
      ),
    ),
    getRoute("GET /v1/decisions/queue", fc.constant("/v1/decisions/queue")),
    bodyRoute(
      "POST /v1/decisions/queue/:applicationId",
      "POST",
      gen
        .pathSegment(
          applicationId.map((a) => (a === "known" ? "__KNOWN_APP__" : gen.uri(a))),
          gen.hostileString,
        )
        .map((s) => `/v1/decisions/queue/${s}`),
      shapedOrHostile(
        gen.objectText({
          outcome: { valid: fc.constantFrom('"approve"', '"decline"') },
          reasons: { valid: gen.arrayText(fc.constantFrom('"SCORE_TOO_LOW"', '"MANUAL_DECLINE"'), 3) },
        }),
      ),
    ),
    getRoute(
      "GET /v1/decisions/:decisionId",
      gen.pathSegment(gen.hex32, gen.badHash).map((h) => `/v1/decisions/${h}`),
    ),
    // staff: console logins, accounts under names the fuzzer's own users never have, the audit trail, the inbox
    pathBodyRoute(
      "POST",
      "/v1/staff/sessions",
      shapedOrHostile(
        gen.objectText({
          user: { valid: fc.constantFrom('"fuzz.clerk"', '"nobody"') },
          token: { valid: gen.quoted(fc.string({ maxLength: 20 })) },
        }),
      ),
    ),
    getRoute("DELETE /v1/staff/sessions/current", fc.constant("/v1/staff/sessions/current"), "DELETE"),
    getRoute("GET /v1/staff/me", fc.constant("/v1/staff/me")),
    getRoute("GET /v1/staff/accounts", fc.constant("/v1/staff/accounts")),
    pathBodyRoute(
      "POST",
      "/v1/staff/accounts",
      shapedOrHostile(
        gen.objectText({ user: { valid: staffName.map(quoted1) }, role: { valid: staffRole } }),
      ),
    ),
    bodyRoute(
      "PUT /v1/staff/accounts/:user",
      "PUT",
      gen.pathSegment(staffName, gen.hostileString).map((s) => `/v1/staff/accounts/${s}`),
      shapedOrHostile(
        gen.objectText({
          role: { valid: staffRole, optional: true },
          disabled: { valid: fc.constantFrom("true", "false"), optional: true },
        }),
      ),
    ),
    bodyRoute(
      "POST /v1/staff/accounts/:user/token",
      "POST",
      gen.pathSegment(staffName, gen.hostileString).map((s) => `/v1/staff/accounts/${s}/token`),
      shapedOrHostile(fc.constant("{}")),
    ),
    getRoute(
      "GET /v1/staff/audit",
      gen
        .queryString({
          limit: { valid: fc.integer({ min: 1, max: 1000 }).map(String) },
          user: { valid: staffName },
          beforeSeq: { valid: fc.integer({ min: 1, max: 100 }).map(String) },
        })
        .map((query) => `/v1/staff/audit${query}`),
    ),
    getRoute(
      "GET /v1/staff/inbox",
      gen
        .queryString({
          channel: { valid: fc.constantFrom("jiedaibao", "csv-batch") },
          state: { valid: fc.constantFrom("new", "in-review", "second-approver", "approved", "declined") },
          limit: { valid: fc.integer({ min: 1, max: 500 }).map(String) },
        })
        .map((query) => `/v1/staff/inbox${query}`),
    ),
    getRoute("GET /v1/credit-policy", fc.constant("/v1/credit-policy")),
    pathBodyRoute(
      "PUT",
      "/v1/credit-policy",
      shapedOrHostile(
        gen.objectText({
          version: { valid: fc.integer({ min: 0, max: 5 }).map(String) },
          name: { valid: gen.quoted(fc.string({ maxLength: 10 })) },
          minScore: { valid: fc.integer({ min: 200, max: 1000 }).map(String) },
        }),
      ),
    ),
    getRoute(
      "GET /v1/loans",
      gen
        .queryString({
          state: { valid: fc.constantFrom("Registered", "Active", "Settled", "Cancelled") },
          branch: { valid: fc.constantFrom("1", "2", "3") },
          platform: { valid: fc.constantFrom("4", "5") },
        })
        .map((query) => `/v1/loans${query}`),
    ),
    getRoute(
      "GET /v1/loans/:loanId",
      loanSegment.map((l) => `/v1/loans/${l}`),
    ),
    getRoute(
      "GET /v1/flows",
      gen.queryString({ day: { valid: day } }).map((query) => `/v1/flows${query}`),
    ),
    getRoute(
      "GET /v1/exposure/:borrowerKey",
      gen
        .pathSegment(fc.oneof(gen.hex32, fc.constant("known")), gen.badHash)
        .map((k) => `/v1/exposure/${k === "known" ? known.borrowerKey : k}`),
    ),
    {
      route: "POST /v1/reconciliations",
      arbitrary: fc.record({
        token,
        url: gen
          .queryString({ day: { valid: day }, format: { valid: fc.constantFrom("json", "csv") } })
          .map((query) => `/v1/reconciliations${query}`),
        type: csvOrOther,
        body: fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .array(
                fc.tuple(
                  serial,
                  fc.oneof(gen.hex32, gen.badHash),
                  fc.constantFrom("disbursement", "repayment", "refund", ""),
                  fc.oneof(
                    fc.constantFrom(
                      "35000.00",
                      "0.01",
                      "-1",
                      "1e9",
                      "",
                      "99999999999999999999.99",
                      "１.００",
                    ),
                    gen.hostileString,
                  ),
                  day,
                  gen.hostileString,
                ),
                { maxLength: 6 },
              )
              .map((rows) =>
                [
                  "serial,loan_id,type,amount,value_date,account_masked",
                  ...rows.map((r) =>
                    r
                      .map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell))
                      .join(","),
                  ),
                ].join("\n"),
              ),
          },
          {
            weight: 1,
            arbitrary: fc.oneof(
              gen.hostileString,
              fc.constantFrom(
                '"unterminated',
                "a,b\n1,2,3\n",
                "\uFEFFserial,loan_id\n",
                ",,,,,\n,,,,,",
                "serial\r\n\r\n",
              ),
            ),
          },
          { weight: 1, arbitrary: gen.hostileBody },
        ),
        headers: gen.junkHeaders,
      }),
      build: tokenPost,
      examples: [
        {
          token: "clerk",
          url: "/v1/reconciliations?day=2026-11-22",
          type: "text/csv",
          body: "serial,loan_id,type,amount,value_date,account_masked\n",
          headers: {},
        },
      ],
    },
    // daily batch files: every fuzzed file ends in a bad row, so each is refused before anything of
    // it is stored (an accepted file would go on recording its rows after its request)
    {
      route: "POST /v1/batch-files/:kind",
      arbitrary: fc.record({
        token,
        url: gen
          .pathSegment(fc.constantFrom("repayment", "disbursement"), gen.hostileString)
          .map((kind) => `/v1/batch-files/${kind}`),
        type: csvOrOther,
        body: fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .tuple(
                fc.constantFrom(
                  "serial,loanId,amountFen",
                  "serial,loanId,amountFen,accountHash",
                  "\uFEFFserial,loanId,amountFen",
                  "serial,loan_id,amount",
                  "",
                ),
                fc.array(
                  fc
                    .tuple(
                      serial,
                      fc.oneof(gen.hex32, gen.badHash),
                      fc.oneof(gen.hostileAmountText, fc.constantFrom("1000", "12.50", "0", "１０")),
                      fc.oneof(gen.hex32, gen.badHash, fc.constant(SETTLEMENT)),
                    )
                    .map((row) => row.join(",")),
                  { maxLength: 6 },
                ),
                fc.constantFrom("\n", "\r\n"),
              )
              .map(([header, rows, eol]) => [header, ...rows, "BAD ROW,0x12,x"].join(eol)),
          },
          { weight: 1, arbitrary: gen.hostileString },
          { weight: 1, arbitrary: gen.hostileBody },
        ),
        headers: gen.junkHeaders,
      }),
      build: tokenPost,
    },
    ...(["", "/result"] as const).map((tail) =>
      getRoute(
        `GET /v1/batch-files/:batchId${tail}`,
        gen
          .pathSegment(
            gen.hex32.map((h) => h.slice(2).toLowerCase()),
            fc.oneof(gen.badHash, gen.hex32),
          )
          .map((id) => `/v1/batch-files/${id}${tail}`),
      ),
    ),
    getRoute(
      "GET /v1/credit-report",
      gen
        .queryString({
          month: {
            valid: fc.oneof(
              fc.constantFrom("2026-11", "2026-12", "2027-01"),
              fc.constantFrom("2026-13", "2026-00", "0000-00", "9999-99", "2026-1", "2026-11-22"),
            ),
          },
        })
        .map((query) => `/v1/credit-report${query}`),
    ),
    getRoute(
      "GET /v1/documents/:documentId",
      fc
        .tuple(
          gen.pathSegment(fc.oneof(gen.hex32, fc.constant("known")), gen.badHash),
          gen.queryString({
            purpose: { valid: fc.oneof(fc.constantFrom("review", "court request"), gen.hostileString) },
          }),
        )
        .map(([d, query]) => `/v1/documents/${d === "known" ? known.documentId : d}${query}`),
    ),
    {
      route: "POST /v1/forwarded-applications/:channel",
      arbitrary: fc
        .tuple(channel, gen.queryString({ platform: { valid: fc.constantFrom("4", "2") } }))
        .chain(([ch, query]) =>
          signedCase(
            fc.constant(`/v1/forwarded-applications/${ch}${query}`),
            applicationBody(ch),
            signerMostly("union", ["court", "branchB", "platform", "outsider", "none", "expired"]),
          ),
        ),
      examples: [
        genuineSigned(
          "/v1/forwarded-applications/jiedaibao?platform=4",
          JSON.stringify(jiedaibaoPayload()),
          "union",
        ),
      ],
      build: signedPost,
      check: servedOnlyForThisNode("a request"),
    },
    {
      // branch A's node is no union: every platform submission is refused, before anything is verified or written
      route: "POST /v1/platform-applications/:channel",
      arbitrary: fc
        .tuple(
          channel,
          fc.oneof(
            { weight: 4, arbitrary: fc.constant("") },
            { weight: 1, arbitrary: gen.queryString({ platform: { valid: fc.constantFrom("4", "5") } }) },
          ),
        )
        .chain(([ch, query]) =>
          signedCase(
            fc.constant(`/v1/platform-applications/${ch}${query}`),
            applicationBody(ch),
            signerMostly("platform", ["union", "branchB", "outsider", "none", "expired"]),
          ),
        ),
      examples: [
        genuineSigned("/v1/platform-applications/jiedaibao", JSON.stringify(jiedaibaoPayload()), "platform"),
      ],
      build: signedPost,
      check: alwaysRefused("a branch's node accepted a platform's application meant for the union's"),
    },
    // branch A's node is no platform: every agreement request, for one loan or many, is refused,
    // before anything is verified or written
    platformOnlyRoute("/v1/loan-agreements", agreement, "signed a platform's loan agreement"),
    platformOnlyRoute("/v1/loan-agreements/batch", { agreements: [agreement] }, "signed loan agreements"),
    {
      // branch A's node is no platform and the known loan is not on chain: every income-split signature request is refused, nothing written
      route: "POST /v1/income-split-agreements",
      arbitrary: signedCase(
        fc.constant("/v1/income-split-agreements"),
        shapedOrHostile(
          gen.objectText({
            loanId: {
              valid: fc.oneof(gen.quoted(gen.hex32), fc.constant("__KNOWN_LOAN__")),
              bad: gen.quoted(gen.badHash),
            },
            platformIncomeShareBps: { valid: fc.integer({ min: 0, max: 10_000 }).map(String) },
          }),
          2,
        ),
        signerMostly("branchB", ["union", "platform", "outsider", "none", "expired"]),
      ),
      build: async (c: SignedCase) =>
        signedPost({
          ...c,
          body:
            typeof c.body === "string"
              ? c.body.replaceAll("__KNOWN_LOAN__", JSON.stringify(known.loanId))
              : c.body,
        }),
      check: alwaysRefused("a branch's node signed a platform's income split"),
    },
    courtGetRoute("documents", "a document fetch"),
    courtGetRoute("evidence-set", "an evidence-set fetch"),
    getRoute(
      "GET /v1/loans/:loanId/documents",
      loanSegment.map((l) => `/v1/loans/${l}/documents`),
    ),
    getRoute(
      "GET /v1/index/digest",
      anyQuery.map((query) => `/v1/index/digest${query}`),
    ),
    // the consortium as the console shows it: the environment (open) and the member directory
    ...(["environment", "members"] as const).map((what) =>
      getRoute(
        `GET /v1/${what}`,
        anyQuery.map((query) => `/v1/${what}${query}`),
      ),
    ),
    bodyRoute(
      "POST /v1/keeper/rounds",
      "POST",
      anyQuery.map((query) => `/v1/keeper/rounds${query}`),
      emptyOrHostile,
    ),
    getRoute(
      "GET /v1/cases/:loanId",
      loanSegment.map((l) => `/v1/cases/${l}`),
    ),
    loanBodyRoute(
      "POST",
      "cases",
      "court",
      shapedOrHostile(gen.objectText({ court: { valid: fc.constantFrom("5", "4", "1", "99") } })),
    ),
    ...["document-fetches", "acceptance", "closure"].map(caseStep),
    loanBodyRoute(
      "POST",
      "cases",
      "ruling",
      shapedOrHostile(gen.objectText({ rulingBase64: { valid: gen.quoted(base64) } })),
    ),
    // post-loan: notices, mediation, the court's package, the nightly batch
    ...(["notices", "mediation", "mediation/agreement"] as const).map((what) =>
      getRoute(
        `GET /v1/loans/:loanId/${what}`,
        loanSegment.map((l) => `/v1/loans/${l}/${what}`),
      ),
    ),
    loanBodyRoute("POST", "loans", "mediation/refusal", emptyOrHostile),
    loanBodyRoute(
      "POST",
      "loans",
      "mediation/acceptance",
      shapedOrHostile(gen.objectText({ signedAgreementBase64: { valid: gen.quoted(base64) } })),
    ),
    {
      // the union's keeper asks branch A's node, which holds the loan's case, for a step
      route: "POST /v1/loans/:loanId/mediation/keeper-steps",
      arbitrary: signedCase(
        loanSegment.map((l) => `/v1/loans/${l}/mediation/keeper-steps`),
        shapedOrHostile(
          gen.objectText({
            step: { valid: fc.constantFrom('"open"', '"mayArbitrate"', '"OPEN"', '"close"') },
          }),
        ),
        signerMostly("union", ["court", "branchB", "platform", "outsider", "none", "expired"]),
      ),
      examples: ["mayArbitrate", "open"].map((step) =>
        genuineSigned(`/v1/loans/${known.loanId}/mediation/keeper-steps`, JSON.stringify({ step }), "union"),
      ),
      build: signedPost,
      check: servedOnlyForThisNode("a keeper's mediation step"),
    },
    ...["package-checks", "package-archive"].map(caseStep),
    bodyRoute(
      "POST /v1/post-loan/runs/:runId",
      "POST",
      loanSegment.map((l) => `/v1/post-loan/runs/${l.slice(0, 80)}`),
      emptyOrHostile,
    ),
    ...(["warnings", "warnings.csv"] as const).map((what) =>
      getRoute(
        `GET /v1/post-loan/runs/:runId/${what}`,
        loanSegment.map((l) => `/v1/post-loan/runs/${l.slice(0, 80)}/${what}`),
      ),
    ),
    getRoute(
      "GET /healthz",
      anyQuery.map((query) => `/healthz${query}`),
    ),
    getRoute(
      "GET /readyz",
      anyQuery.map((query) => `/readyz${query}`),
    ),
    getRoute(
      "GET /metrics",
      anyQuery.map((query) => `/metrics${query}`),
    ),
    getRoute(
      "GET /docs/json",
      anyQuery.map((query) => `/docs/json${query}`),
    ),
    {
      route: "any other method or path",
      arbitrary: fc
        .tuple(
          gen.strayRequest([
            "/",
            "/v1",
            "/v1/loans/",
            "/v1/applications",
            "/v1//loans",
            "/V1/LOANS",
            "/v1/loans/%ZZ",
            "/v1/cases//documents",
            "/docs/static/../../package.json",
            "/%00",
          ]),
          token,
        )
        .map(([stray, token]) => ({ ...stray, token })),
      build: (c: {
        method: string;
        path: string;
        token: Token;
        body: string | Buffer | undefined;
      }): InjectOptions => ({
        ...origin(c.token),
        method: c.method as InjectOptions["method"],
        url: c.path,
        headers: {
          ...authorization(c.token),
          ...(!gen.sendsBody(c) ? {} : { "content-type": "application/json" }),
        },
        ...(!gen.sendsBody(c) ? {} : { payload: c.body }),
      }),
    },
  ];

  /** `options` is refused with `status` and `code`, and the database is exactly as before (the harness's rules). */
  async function refusedWithoutWrites(options: InjectOptions, status: number, code: string): Promise<void> {
    const before = await fuzz.digestDb(target.db, target.unsnapshotted);
    const watch = new fuzz.Watch(target);
    let reply;
    try {
      reply = await node.app.inject(options);
    } finally {
      watch.stop();
    }
    expect(reply.statusCode, reply.body).to.equal(status);
    expect((reply.json() as { error: { code: string } }).error.code).to.equal(code);
    expect(
      watch.writes.filter((k) => target.mayWrite?.(k, code) !== true).map((k) => k.toString("latin1")),
    ).to.deep.equal([]);
    expect(await fuzz.digestDb(target.db, target.unsnapshotted)).to.equal(before);
  }
  const approver = () => ({ authorization: `Bearer ${TOKENS.approver}` });

  describe("regressions: each request the fuzzer found answered 500 or wrote before it was refused", function () {
    const post = (url: string, payload: unknown, headers: Record<string, string> = approver()) =>
      ({ method: "POST", url, headers, payload }) as InjectOptions;
    const loan = (startDate: string) =>
      post("/v1/loans", {
        applicationId: known.applicationId,
        contractBase64: "AA==",
        consentLeafHash: known.consentLeaf,
        platformShareBps: 0,
        startDate,
      });
    const consent = (fields: Record<string, unknown>) =>
      post("/v1/consents", { applicationId: known.applicationId, scope: ["LOAN_APPROVAL"], ...fields });
    const books = "serial,loan_id,type,amount,value_date,account_masked\n";
    const reconciliation = (day: string, csv: string) =>
      post(`/v1/reconciliations?day=${day}`, csv, { ...approver(), "content-type": "text/csv" });
    const forwarded = async (signer: Signer, to?: Target) => {
      const url = "/v1/forwarded-applications/jiedaibao?platform=4";
      const body = JSON.stringify(jiedaibaoPayload());
      return post(url, body, {
        "content-type": "application/json",
        ...(await signed(signer, "POST", url, body, to)),
      });
    };
    // each case's requests are all refused with its status and code, nothing written, nothing anchored
    const cases: Array<{
      title: string;
      status: number;
      code: string;
      requests: () => Promise<InjectOptions[]>;
    }> = [
      {
        title:
          "POST /v1/loans for an application already approved: 409 before the contract is stored or anchored",
        status: 409,
        code: "NODE_ERR_OUTBOX_CONFLICT",
        requests: async () => [loan("2026-11-22")],
      },
      {
        title: "POST /v1/loans with startDate 2026-02-30: 400, not 500",
        status: 400,
        code: "NODE_ERR_VALIDATION",
        requests: async () => [loan("2026-02-30")],
      },
      {
        title: "GET /v1/flows and POST /v1/reconciliations for 2026-02-30 or 0001-01-01: 400, not 500",
        status: 400,
        code: "NODE_ERR_VALIDATION",
        requests: async () =>
          ["2026-02-30", "0001-01-01", "1969-12-31"].flatMap((d) => [
            { method: "GET", url: `/v1/flows?day=${d}`, headers: approver() } as InjectOptions,
            reconciliation(d, books),
          ]),
      },
      {
        title: "GET /v1/loans?branch= or ?platform= beyond uint32 (4294967296): 400, not 500",
        status: 400,
        code: "NODE_ERR_VALIDATION",
        requests: async () => [
          ...["branch=4294967296", "platform=4294967296", "branch=9007199254740991"].map(
            (query) => ({ method: "GET", url: `/v1/loans?${query}`, headers: approver() }) as InjectOptions,
          ),
          post("/v1/applications/jiedaibao?platform=4294967296", jiedaibaoPayload()),
        ],
      },
      {
        title: "POST /v1/consents with validUntil before signedAt: refused before the letter is stored",
        status: 400,
        code: "NODE_ERR_CONSENT_INVALID",
        requests: async () => [
          consent({
            letterBase64: Buffer.from("another letter").toString("base64"),
            signedAt: "2026-11-22T10:00:00+08:00",
            validUntil: "2026-11-21T10:00:00+08:00",
          }),
        ],
      },
      {
        title:
          "POST /v1/consents with a letter that decodes to no bytes: refused before the consent is recorded or anchored",
        status: 400,
        code: "NODE_ERR_VALIDATION",
        requests: async () => [
          consent({
            letterBase64: "====",
            signedAt: "1970-01-01T00:00:00.001Z",
            validUntil: consentDates(CLOCK).validUntil,
            scope: ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT"],
          }),
        ],
      },
      {
        title: "a disbursement reusing another flow's serial: 409 before the voucher is stored or anchored",
        status: 409,
        code: "NODE_ERR_OUTBOX_CONFLICT",
        requests: async () => [
          post(`/v1/loans/${known.loanId}/disbursements`, {
            serial: known.serial,
            amountFen: "1",
            accountHash: SETTLEMENT,
          }),
        ],
      },
      {
        title: "a forwarded application signed for another member's node: 421 and its nonce is not stored",
        status: 421,
        code: "NODE_ERR_WRONG_TARGET",
        requests: async () => [await forwarded("union", { kind: "other", member: MEMBERS.branchB })],
      },
      {
        title: "a forwarded application signed by a non-member's key: 403 and its nonce is not stored",
        status: 403,
        code: "NODE_ERR_ROLE",
        requests: async () => [await forwarded("outsider")],
      },
      {
        title:
          "a body over the route's limit: 413 NODE_ERR_BODY_TOO_LARGE (was 400 NODE_ERR_BAD_JSON), nothing written",
        status: 413,
        code: "NODE_ERR_BODY_TOO_LARGE",
        requests: async () => [
          post(
            "/v1/consents",
            JSON.stringify({
              applicationId: known.applicationId,
              letterBase64: "A".repeat(17 * 1024 * 1024),
              ...consentDates(CLOCK),
              scope: ["LOAN_APPROVAL"],
            }),
            { ...approver(), "content-type": "application/json" },
          ),
          reconciliation("2026-11-22", books.padEnd(33 * 1024 * 1024, "\n")),
        ],
      },
    ];
    for (const c of cases) {
      it(c.title, async function () {
        const leaves = suite.anchor.merkle.size;
        for (const options of await c.requests()) await refusedWithoutWrites(options, c.status, c.code);
        expect(suite.anchor.merkle.size, "nothing anchored").to.equal(leaves);
      });
    }
  });

  it("fuzzes every documented route (the OpenAPI document lists no route the fuzzer skips)", async function () {
    const fuzzed = new Set(routes().map((r) => r.route));
    const documented = await fuzz.documentedRoutes(node.app);
    expect(documented.length).to.be.greaterThan(10);
    expect([...fuzzed]).to.include.members(documented);
  });

  it("fuzzes every route: no 5xx, no crash, catalogued 4xx codes, nothing written by a rejected request", async function () {
    await fuzz.fuzzEveryRoute(target, routes(), run);
    fuzz.expectAccepted(run.stats, [
      "POST /v1/applications/:channel",
      "POST /v1/loans",
      "POST /v1/loans/:loanId/disbursements",
      "POST /v1/consents",
      "POST /v1/reconciliations",
      "POST /v1/forwarded-applications/:channel",
    ]);
  });
});
