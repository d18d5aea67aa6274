// Both OpenAPI documents are usable from their page alone: every route declares who may call it
// (security schemes that exist), a 2xx answer with a schema, its error answers with the codes of
// the service's catalogue, and an example for every constrained string (one that passes the
// string's own pattern, and real days and times: no "8440-60-36"). The anchor's worked signing
// example is re-signed here and must be byte-for-byte what the document shows.
import { expect } from "chai";
import { Wallet } from "ethers";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { toHex } from "../../common/bytes.ts";
import { encodeLeaf, leafHashOf, type EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { signSubmission, submissionDomain } from "../../common/formats/receipt/submission.ts";
import { logIdOf } from "../../scripts/ops/deploy/consortium.ts";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { WORKED_EXAMPLE } from "../../anchor-service/src/http/openapi.ts";
import { buildNodeApp, type NodeDeps } from "../../nodes/src/http/app.ts";
import { tokenSha256 } from "../../nodes/src/http/auth.ts";
import { NODE_ERRORS } from "../../nodes/src/errors.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";

type Schema = { [key: string]: unknown };
type Response = { description?: string; content?: Record<string, { schema?: Schema; example?: unknown }> };
type Operation = {
  security?: Record<string, string[]>[];
  responses?: Record<string, Response>;
  parameters?: { schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
type Document = {
  components?: { securitySchemes?: Record<string, { type: string; name?: string; scheme?: string }> };
  paths: Record<string, Record<string, Operation>>;
};

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );

/** Every string schema in `node` with a pattern or a date-time format, with where it is. */
function constrainedStrings(node: unknown, at: string, out: { at: string; schema: Schema }[] = []) {
  if (Array.isArray(node)) node.forEach((item, i) => constrainedStrings(item, `${at}.${i}`, out));
  else if (typeof node === "object" && node !== null) {
    const schema = node as Schema;
    if (schema.type === "string" && (schema.pattern !== undefined || schema.format === "date-time"))
      out.push({ at, schema });
    for (const [key, value] of Object.entries(schema)) constrainedStrings(value, `${at}.${key}`, out);
  }
  return out;
}

/** A YYYY-MM-DD that is a calendar day, or a date-time whose day and time are real. */
function isRealDayOrTime(value: string): boolean {
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (day === null) return true;
  const date = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
  return date.toISOString().startsWith(day[0]) && (value.length === 10 || !Number.isNaN(Date.parse(value)));
}

/** The checks every route of either document must pass; returns what fails, one line each. */
function problems(doc: Document, catalogue: Readonly<Record<string, number>>, extra: [string, number][]) {
  const codesOf = new Map<string, Set<string>>();
  for (const [code, status] of [...Object.entries(catalogue), ...extra])
    codesOf.set(String(status), new Set([...(codesOf.get(String(status)) ?? []), code]));
  const schemes = doc.components?.securitySchemes ?? {};
  const found: string[] = [];
  for (const { route, operation } of operations(doc)) {
    if (!Array.isArray(operation.security)) found.push(`${route}: declares no security`);
    for (const requirement of operation.security ?? [])
      for (const name of Object.keys(requirement))
        if (schemes[name] === undefined) found.push(`${route}: unknown security scheme ${name}`);
    const responses = operation.responses ?? {};
    const success = Object.keys(responses).filter((s) => /^2\d\d$/.test(s));
    if (success.length === 0) found.push(`${route}: no 2xx answer`);
    for (const status of success)
      if (!Object.values(responses[status]!.content ?? {}).some((c) => c.schema !== undefined))
        found.push(`${route}: ${status} has no schema`);
    for (const status of ["400", "500"])
      if (responses[status] === undefined) found.push(`${route}: no ${status} answer`);
    for (const [status, response] of Object.entries(responses)) {
      if (!/^[45]\d\d$/.test(status)) continue;
      const media = Object.values(response.content ?? {})[0];
      const error = (media?.schema?.properties as Record<string, Schema> | undefined)?.error;
      const codes = ((error?.properties as Record<string, Schema> | undefined)?.code?.enum ?? []) as string[];
      if (codes.length === 0) found.push(`${route}: ${status} lists no error codes`);
      for (const code of codes)
        if (!codesOf.get(status)?.has(code))
          found.push(`${route}: ${status} lists ${code}, not a ${status} code`);
      if (media?.example === undefined) found.push(`${route}: ${status} has no example`);
    }
    for (const { at, schema } of constrainedStrings(operation, route)) {
      const example = schema.example ?? (schema.examples as unknown[] | undefined)?.[0];
      if (typeof example !== "string") found.push(`${at}: no example`);
      else if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(example))
        found.push(`${at}: example ${example} does not match ${schema.pattern}`);
      else if (!isRealDayOrTime(example)) found.push(`${at}: example ${example} is no real day or time`);
    }
  }
  return found;
}

async function nodeDocument(): Promise<Document> {
  const app = await buildNodeApp({
    logger: false,
    memberId: 2,
    users: [{ user: "clerk", role: "clerk", tokenSha256: tokenSha256("clerk-token") }],
    // present, so that their routes are served and documented; never called
    ops: {},
    cases: {},
    mandates: {},
    branchLimits: {},
    batchFiles: {},
    consortium: {},
    ready: () => ({ ready: true, detail: {} }),
  } as unknown as NodeDeps);
  await app.ready();
  const doc = app.swagger() as Document;
  await app.close();
  return doc;
}

const NODE_SIGNED_ROUTES = [
  "POST /v1/forwarded-applications/{channel}",
  "POST /v1/platform-applications/{channel}",
  "POST /v1/loan-agreements",
  "POST /v1/loan-agreements/batch",
  "GET /v1/cases/{loanId}/documents",
  "GET /v1/cases/{loanId}/evidence-set",
  "POST /v1/loans/{loanId}/mediation/keeper-steps",
];

/** Open to anyone: the console marks a development chain on its login page too. */
const NODE_OPEN_ROUTES = ["GET /v1/environment"];

describe("OpenAPI documents: security, answers, error codes and examples on every route", function () {
  describe("the institution node's", function () {
    let doc: Document;
    before(async function () {
      doc = await nodeDocument();
    });

    it("every route passes the document checks", function () {
      expect(operations(doc).length).to.be.at.least(35);
      expect(
        problems(doc, NODE_ERRORS, [
          ["NODE_ERR_VALIDATION", 415],
          ["NODE_ERR_INTERNAL", 500],
        ]),
      ).to.deep.equal([]);
    });

    it("token routes take the bearer token; node-to-node routes the five signed-request headers", function () {
      expect(doc.components?.securitySchemes?.bearer).to.include({ type: "http", scheme: "bearer" });
      for (const { route, operation } of operations(doc))
        if (NODE_SIGNED_ROUTES.includes(route))
          expect(Object.keys(operation.security?.[0] ?? {}), route).to.have.members([
            "nodeSigner",
            "nodeNonce",
            "nodeExpiresAt",
            "nodeSignature",
            "nodeTarget",
          ]);
        else if (NODE_OPEN_ROUTES.includes(route)) expect(operation.security, route).to.deep.equal([]);
        else expect(operation.security, route).to.deep.equal([{ bearer: [] }]);
    });

    it("a day's example is a real day (was 8440-60-36, invented from the pattern)", function () {
      const days = operations(doc).flatMap(({ route, operation }) =>
        constrainedStrings(operation, route).filter(
          ({ schema }) => schema.pattern === "^\\d{4}-\\d{2}-\\d{2}$",
        ),
      );
      expect(days.length).to.be.greaterThan(0);
      for (const { schema } of days) expect(schema.example).to.equal("2026-03-16");
    });
  });

  describe("the anchor service's", function () {
    this.timeout(120_000);
    const suite = anchorServiceSuite();
    let doc: Document;
    before(async function () {
      doc = (await suite.service.app.inject({ method: "GET", url: "/docs/json" })).json();
    });

    it("every route passes the document checks", function () {
      expect(operations(doc).length).to.be.at.least(10);
      // the C2SP answers (a signed note, a tlog-proof, tiles) and /v1/info declare no 200 schema yet: named
      // here so that any other route without one fails
      expect(problems(doc, ANCHOR_ERRORS, [["ANCHOR_ERR_INTERNAL", 500]])).to.deep.equal(
        ["GET /checkpoint", "GET /v1/bundles/{leafHash}/tlog-proof", "GET /tile/{*}", "GET /v1/info"].map(
          (route) => `${route}: 200 has no schema`,
        ),
      );
    });

    it("intake declares its signing headers; the reads are open", function () {
      for (const { route, operation } of operations(doc))
        if (route === "POST /v1/leaves")
          expect(
            Object.keys(operation.security?.[0] ?? {}).map((n) => doc.components!.securitySchemes![n]!.name),
          ).to.have.members([
            "x-jl-signer",
            "x-jl-nonce",
            "x-jl-expires-at",
            "x-jl-signature",
            "x-jl-submission-signature",
          ]);
        else expect(operation.security, route).to.deep.equal([]);
    });

    it("the worked example's headers are what signing its request gives", async function () {
      const example = WORKED_EXAMPLE;
      const wallet = new Wallet(example.privateKey);
      const body = JSON.stringify({ records: [example.record] });
      const headers = await signRequest(
        wallet,
        requestDomain(BigInt(example.chainId), example.registry),
        { method: "POST", path: "/v1/leaves", body },
        { nonce: BigInt(example.nonce), expiresAt: example.expiresAt },
      );
      expect(logIdOf("union.1")).to.equal(example.logId);
      const submission = await signSubmission(
        wallet,
        submissionDomain(BigInt(example.chainId), example.evidenceLog),
        example.logId,
        [leafHashOf(example.record as EvidenceRecord)],
      );
      expect({ ...headers, "x-jl-submission-signature": submission.signature }).to.deep.equal(
        example.headers,
      );
      expect(submission.batchRoot).to.equal(example.batchRoot);
      const description = JSON.stringify(doc);
      for (const value of Object.values(example.headers)) expect(description).to.include(value);
      // a leaf's encoded bytes are shown as the worked example's record encodes
      const encoded = constrainedStrings(doc, "doc").find(
        ({ schema }) => schema.pattern === "^0x[0-9a-fA-F]{448}$",
      );
      expect(encoded?.schema.example).to.equal(toHex(encodeLeaf(example.record as EvidenceRecord)));
    });
  });
});
