// The staff room over the node's HTTP API (app.inject): console logins with a staff account's
// token, rate-limited by address; sessions that expire; the admin's accounts (create, disable,
// rotate, role) taking effect at once; the last admin kept; every action in the audit trail the
// admin reads and exports; accounts and trail kept across a restart.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNodeApp } from "../../../nodes/src/http/app.ts";
import { tokenSha256 } from "../../../nodes/src/http/auth.ts";
import { AuditTrail } from "../../../nodes/src/staff/audit.ts";
import { StaffDirectory } from "../../../nodes/src/staff/directory.ts";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { buildConsole } from "../../../nodes/console/build.ts";

const ADMIN_TOKEN = "admin-token-for-tests";
const CONFIGURED = [{ user: "root.admin", role: "admin" as const, tokenSha256: tokenSha256(ADMIN_TOKEN) }];

async function staffNode(options: { sessionTtlMs?: number; dir?: string } = {}) {
  const file = (name: string) => (options.dir === undefined ? {} : { file: join(options.dir, name) });
  const directory = await StaffDirectory.open(CONFIGURED, {
    ...file("staff-accounts.json"),
    loginLimiter: new FailedTokenLimiter({ maxFailures: 3, windowMs: 60_000 }),
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  });
  const audit = await AuditTrail.open(file("audit.jsonl"));
  const app = await buildNodeApp({
    logger: false,
    memberId: 2,
    users: directory.users,
    staff: { directory, audit },
    ops: {} as never,
    cases: {} as never,
    ready: () => ({ ready: true, detail: {} }),
  });
  const call = (token: string, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload }),
    });
  const login = (user: string, token: string) =>
    app.inject({ method: "POST", url: "/v1/staff/sessions", payload: { user, token } });
  return {
    app,
    directory,
    audit,
    call,
    login,
    async close() {
      directory.close();
      await audit.flushed();
      await app.close();
    },
  };
}

/** `body` against a fresh staff node, closed afterwards whether it passes or fails. */
async function withStaffNode(
  options: Parameters<typeof staffNode>[0],
  body: (node: Awaited<ReturnType<typeof staffNode>>) => Promise<void>,
): Promise<void> {
  const node = await staffNode(options);
  try {
    await body(node);
  } finally {
    await node.close();
  }
}

const errorCode = (reply: { json(): unknown }) => (reply.json() as { error: { code: string } }).error.code;

/** A refusal with this status and this code from the catalogue. */
function expectRefused(reply: { statusCode: number; json(): unknown }, status: number, code: string): void {
  expect(reply.statusCode).to.equal(status);
  expect(errorCode(reply)).to.equal(code);
}

describe("node staff: accounts, console sessions and the audit trail", function () {
  it("a login answers a session token that acts as the account; a wrong token is refused", async function () {
    await withStaffNode({}, async (node) => {
      const ok = await node.login("root.admin", ADMIN_TOKEN);
      expect(ok.statusCode, ok.body).to.equal(200);
      const session = ok.json() as { token: string; role: string; expiresAt: number };
      expect(session.role).to.equal("admin");
      expect(session.token).to.not.equal(ADMIN_TOKEN);
      const me = await node.call(session.token, "GET", "/v1/staff/me");
      expect(me.json()).to.deep.equal({ user: "root.admin", role: "admin", memberId: 2 });

      const wrong = await node.login("root.admin", "not-the-token");
      expectRefused(wrong, 401, "NODE_ERR_STAFF_LOGIN");
      const unknown = await node.login("nobody", ADMIN_TOKEN);
      expect(errorCode(unknown)).to.equal("NODE_ERR_STAFF_LOGIN");

      const out = await node.call(session.token, "DELETE", "/v1/staff/sessions/current");
      expect(out.json()).to.deep.equal({ ended: true });
      expect((await node.call(session.token, "GET", "/v1/staff/me")).statusCode).to.equal(401);
    });
  });

  it("refused logins from one address are limited: past the limit even the right token is refused, with Retry-After", async function () {
    await withStaffNode({}, async (node) => {
      for (let i = 0; i < 3; i++)
        expect((await node.login("root.admin", `guess-${i}`)).statusCode).to.equal(401);
      const limited = await node.login("root.admin", ADMIN_TOKEN);
      expectRefused(limited, 429, "NODE_ERR_STAFF_LOGIN_RATE_LIMITED");
      expect(Number(limited.headers["retry-after"])).to.be.greaterThan(0);
      // no session was opened by the limited attempt: only the configured token authenticates
      expect(node.directory.users).to.have.length(1);
    });
  });

  it("a session expires after its lifetime", async function () {
    // long enough for the first request to land well inside it on a loaded machine
    const sessionTtlMs = 1_000;
    await withStaffNode({ sessionTtlMs }, async (node) => {
      const { token } = (await node.login("root.admin", ADMIN_TOKEN)).json() as { token: string };
      expect((await node.call(token, "GET", "/v1/staff/me")).statusCode).to.equal(200);
      // the session's timer was set at login, before this one, for less: it has run by now
      await new Promise((resolve) => setTimeout(resolve, sessionTtlMs + 50));
      const late = await node.call(token, "GET", "/v1/staff/me");
      expectRefused(late, 401, "NODE_ERR_AUTH");
    });
  });

  it("the admin creates, demotes, rotates and disables accounts, each taking effect at once", async function () {
    await withStaffNode({}, async (node) => {
      const created = await node.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts", {
        user: "li.clerk",
        role: "clerk",
      });
      expect(created.statusCode, created.body).to.equal(200);
      const { token: clerkToken, account } = created.json() as { token: string; account: { role: string } };
      expect(account.role).to.equal("clerk");
      expect(created.body).to.not.include("tokenSha256");

      const again = await node.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts", {
        user: "li.clerk",
        role: "admin",
      });
      expect(errorCode(again)).to.equal("NODE_ERR_STAFF_EXISTS");

      // a clerk is no admin
      const forbidden = await node.call(clerkToken, "GET", "/v1/staff/accounts");
      expect(forbidden.statusCode).to.equal(403);
      const session = ((await node.login("li.clerk", clerkToken)).json() as { token: string }).token;

      // promoted: the old session ends, a new login carries the new role
      const promoted = await node.call(ADMIN_TOKEN, "PUT", "/v1/staff/accounts/li.clerk", {
        role: "approver",
      });
      expect((promoted.json() as { account: { role: string } }).account.role).to.equal("approver");
      expect((await node.call(session, "GET", "/v1/staff/me")).statusCode).to.equal(401);
      expect(((await node.call(clerkToken, "GET", "/v1/staff/me")).json() as { role: string }).role).to.equal(
        "approver",
      );

      // rotated: the old token stops, the new one works
      const rotated = await node.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts/li.clerk/token");
      const newToken = (rotated.json() as { token: string }).token;
      expect((await node.call(clerkToken, "GET", "/v1/staff/me")).statusCode).to.equal(401);
      expect((await node.call(newToken, "GET", "/v1/staff/me")).statusCode).to.equal(200);

      // disabled: neither its token nor a login works; re-enabled: the token works again
      await node.call(ADMIN_TOKEN, "PUT", "/v1/staff/accounts/li.clerk", { disabled: true });
      expect((await node.call(newToken, "GET", "/v1/staff/me")).statusCode).to.equal(401);
      expect((await node.login("li.clerk", newToken)).statusCode).to.equal(401);
      await node.call(ADMIN_TOKEN, "PUT", "/v1/staff/accounts/li.clerk", { disabled: false });
      expect((await node.call(newToken, "GET", "/v1/staff/me")).statusCode).to.equal(200);

      const unknown = await node.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts/nobody/token");
      expectRefused(unknown, 404, "NODE_ERR_STAFF_UNKNOWN");
    });
  });

  it("the last enabled admin can be neither disabled nor demoted, and the refusal changes nothing", async function () {
    await withStaffNode({}, async (node) => {
      for (const change of [{ disabled: true }, { role: "clerk" }]) {
        const refused = await node.call(ADMIN_TOKEN, "PUT", "/v1/staff/accounts/root.admin", change);
        expectRefused(refused, 409, "NODE_ERR_STAFF_LAST_ADMIN");
      }
      const list = (await node.call(ADMIN_TOKEN, "GET", "/v1/staff/accounts")).json() as {
        accounts: { user: string; role: string; disabled: boolean }[];
      };
      expect(list.accounts).to.have.length(1);
      expect(list.accounts[0]).to.include({ user: "root.admin", role: "admin", disabled: false });
    });
  });

  it("every staff action is in the audit trail, which only an admin reads and exports", async function () {
    await withStaffNode({}, async (node) => {
      await node.login("root.admin", "wrong");
      await node.login("root.admin", ADMIN_TOKEN);
      const created = await node.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts", {
        user: "wang.approver",
        role: "approver",
      });
      const approverToken = (created.json() as { token: string }).token;
      const refused = await node.call(approverToken, "GET", "/v1/staff/audit");
      expect(refused.statusCode).to.equal(403);

      const trail = (await node.call(ADMIN_TOKEN, "GET", "/v1/staff/audit?limit=10")).json() as {
        entries: { user: string; action: string; status: number; note?: string }[];
      };
      const actions = trail.entries.map((e) => `${e.user} ${e.action} ${e.status}`).reverse();
      expect(actions).to.deep.equal([
        "root.admin login refused 401",
        "root.admin login 200",
        "root.admin POST /v1/staff/accounts 200",
        "wang.approver GET /v1/staff/audit 403",
      ]);
      expect(trail.entries.find((e) => e.action === "POST /v1/staff/accounts")?.note).to.equal(
        "created wang.approver as approver",
      );

      const csv = await node.call(ADMIN_TOKEN, "GET", "/v1/staff/audit.csv");
      expect(csv.statusCode).to.equal(200);
      expect(csv.headers["content-type"]).to.match(/^text\/csv/);
      const lines = csv.body.trim().split("\n");
      expect(lines[0]).to.equal("seq,time,user,role,action,path,status,note");
      expect(lines[3]).to.match(
        /^3,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00,root\.admin,admin,POST \/v1\/staff\/accounts,/,
      );
      expect((await node.call(approverToken, "GET", "/v1/staff/audit.csv")).statusCode).to.equal(403);
    });
  });

  it("serves the built console under /console/ to anyone, and nothing outside it", async function () {
    await buildConsole();
    await withStaffNode({}, async (node) => {
      const page = await node.app.inject({ method: "GET", url: "/console/" });
      expect(page.statusCode).to.equal(200);
      expect(page.headers["content-type"]).to.match(/^text\/html/);
      expect(page.body).to.include('<script type="module" src="./app.js">');
      const script = await node.app.inject({ method: "GET", url: "/console/app.js" });
      expect(script.statusCode).to.equal(200);
      expect(script.headers["content-type"]).to.match(/^text\/javascript/);
      expect((await node.app.inject({ method: "GET", url: "/console" })).headers.location).to.equal(
        "/console/",
      );
      for (const url of [
        "/console/../build.ts",
        "/console/%2e%2e/build.ts",
        "/console/missing.js",
        "/console/build.ts",
      ])
        expect((await node.app.inject({ method: "GET", url })).statusCode, url).to.equal(404);
    });
  });

  it("accounts and the audit trail outlive a restart (files in the data directory)", async function () {
    const dir = await mkdtemp(join(tmpdir(), "jl-staff-"));
    try {
      const first = await staffNode({ dir });
      const created = await first.call(ADMIN_TOKEN, "POST", "/v1/staff/accounts", {
        user: "zhao.clerk",
        role: "clerk",
      });
      const token = (created.json() as { token: string }).token;
      await first.close();

      await withStaffNode({ dir }, async (second) => {
        expect((await second.call(token, "GET", "/v1/staff/me")).statusCode).to.equal(200);
        const trail = (await second.call(ADMIN_TOKEN, "GET", "/v1/staff/audit")).json() as {
          entries: { seq: number; action: string }[];
        };
        expect(trail.entries.map((e) => e.action)).to.include("POST /v1/staff/accounts");
        // numbering goes on from the saved trail
        expect(trail.entries[0]!.seq).to.equal(trail.entries.length);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
