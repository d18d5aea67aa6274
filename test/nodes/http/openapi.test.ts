// The node's API document is complete: every route in the generated OpenAPI states its success
// answer's schema and the error answers it can give (the error envelope), and the authorization
// hook refuses to build an app with a token route that declares no roles.
import { expect } from "chai";
import Fastify from "fastify";
import { FailedTokenLimiter } from "../../../nodes/src/http/auth.ts";
import { installAuthorization } from "../../../nodes/src/http/authorize.ts";
import { clerkNodeApp } from "../../support/node-app.ts";

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

async function openApi() {
  const app = await clerkNodeApp(
    {},
    // present, so that their routes are served and documented
    { mandates: {} as never, branchLimits: {} as never },
  );
  await app.ready();
  const document = app.swagger() as { paths: Record<string, Record<string, Operation>> };
  await app.close();
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );
}

const SIGNED_ROUTES = [
  "POST /v1/forwarded-applications/{channel}",
  "POST /v1/platform-applications/{channel}",
  "POST /v1/loan-agreements",
  "POST /v1/loan-agreements/batch",
  "GET /v1/cases/{loanId}/documents",
  "GET /v1/cases/{loanId}/evidence-set",
  "POST /v1/loans/{loanId}/mediation/keeper-steps",
];

describe("node HTTP: the OpenAPI document", function () {
  it("has every API route, each with a 2xx response schema and its error responses", async function () {
    const routes = await openApi();
    expect(routes.length, "routes documented").to.be.at.least(35);
    for (const { route, operation } of routes) {
      const responses = operation.responses ?? {};
      const success = Object.keys(responses).filter((status) => /^2\d\d$/.test(status));
      expect(success, `${route}: a 2xx response`).to.have.length.greaterThan(0);
      for (const status of success)
        expect(
          Object.values(responses[status]!.content ?? {}).some((c) => c.schema !== undefined),
          `${route}: ${status} has a schema`,
        ).to.equal(true);
      const caller = SIGNED_ROUTES.includes(route) ? ["401", "403", "421"] : ["401", "403", "429"];
      for (const status of ["400", "404", "413", "415", "500", ...caller]) {
        const schema = Object.values(responses[status]?.content ?? {})[0]?.schema as
          { properties?: { error?: { properties?: object } } } | undefined;
        expect(
          schema?.properties?.error?.properties,
          `${route}: ${status} answers the error envelope`,
        ).to.include.keys("code", "message");
      }
    }
  });

  it("documents the mandate, branch-limit and signed node-to-node routes", async function () {
    const routes = (await openApi()).map((r) => r.route);
    expect(routes).to.include.members([
      ...SIGNED_ROUTES,
      "POST /v1/loans/{loanId}/mandates",
      "PUT /v1/branch-limits",
      "POST /v1/reconciliations",
      "GET /v1/credit-report",
    ]);
  });

  it("a token route that declares no roles is refused when the app is built", async function () {
    const app = Fastify({ logger: false });
    installAuthorization(app, {
      users: [],
      memberId: 2,
      tokenLimiter: new FailedTokenLimiter(),
      signedHeaders: async () => Promise.reject(new Error("unused")),
    });
    expect(() => app.get("/v1/unguarded", async () => ({}))).to.throw(/declares no roles/);
    expect(() => app.get("/v1/guarded", { config: { roles: ["admin"] } }, async () => ({}))).not.to.throw();
    expect(() => app.get("/v1/open", { config: { auth: "open" } }, async () => ({}))).not.to.throw();
    expect(() => app.post("/v1/signed", { config: { auth: "signed" } }, async () => ({}))).to.throw(
      /declares no signedKind/,
    );
    await app.close();
  });
});

describe("node layering: the domain does not reach up into HTTP", function () {
  it("no module under nodes/src outside http/ imports from http/ (only the wiring, service.ts, builds the app)", async function () {
    const { readdir, readFile } = await import("node:fs/promises");
    const root = new URL("../../../nodes/src/", import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter(
      (f) => f.endsWith(".ts") && !f.startsWith("http/") && f !== "service.ts",
    );
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, root), "utf8");
      if (/from "(\.\.?\/)+(src\/)?http\//.test(text) || /from "\.\/http\//.test(text)) offenders.push(file);
    }
    expect(files.length).to.be.greaterThan(50);
    expect(offenders).to.deep.equal([]);
  });
});
