// The staff room's HTTP API: console logins (open, rate-limited by address), the signed-in
// user, the admin's account management and audit trail; the hook that writes every staff
// request to the trail; and the console itself (nodes/console, built at install) under /console/.
import { readFile } from "node:fs/promises";
import { extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { ApplicationStore } from "../../applications.ts";
import { ADMIN, ANY_USER, STAFF } from "../auth.ts";
import type { NodeApi, NodeDeps } from "../deps.ts";
import { roomRoutes, type Routes } from "../route.ts";
import type { AuditTrail } from "../../staff/audit.ts";
import type { StaffDirectory } from "../../staff/directory.ts";
import { StaffError } from "../../errors.ts";
import {
  AccountParams,
  AccountReply,
  AccountWithTokenReply,
  AccountsReply,
  AuditQuery,
  AuditReply,
  InboxQuery,
  InboxReply,
  ChangeAccountBody,
  CreateAccountBody,
  LoginBody,
  LogoutReply,
  MeReply,
  SessionReply,
} from "../../staff/schemas.ts";

export type StaffRoom = {
  directory: StaffDirectory;
  audit: AuditTrail;
  /** The node's applications, for the inbox (absent: the inbox route is not served). */
  applications?: Pick<ApplicationStore, "list">;
};

/** The built console (nodes/console/dist, written by nodes/console/build.ts). */
const CONSOLE_DIR = fileURLToPath(new URL("../../../console/dist/", import.meta.url));
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export const staffRoutes = roomRoutes("staff", (routes, room, deps) => {
  const notes = auditStaffRequests(routes.api, room);
  sessionRoutes(routes, room);
  accountRoutes(routes, room.directory, notes);
  auditRoutes(routes, room.audit);
  const applications = room.applications;
  if (applications !== undefined)
    routes.get(
      "/v1/staff/inbox",
      {
        summary:
          "The applications inbox: this node's applications newest first, by channel and review state (no personal data; GET /v1/applications/{id} for one)",
        querystring: InboxQuery,
        reply: InboxReply,
        roles: STAFF,
      },
      async ({ query }) => ({ applications: await inbox(applications, deps.decisions, query) }),
    );
  consoleRoutes(routes.api);
});

/** What a handler adds to its request's audit entry (the account changed and how). */
type AuditNotes = WeakMap<FastifyRequest, string>;

/** Every staff request but an open route's goes to the audit trail once answered, with its handler's note. */
function auditStaffRequests(api: NodeApi, { directory, audit }: StaffRoom): AuditNotes {
  const notes: AuditNotes = new WeakMap();
  api.addHook("onResponse", async (request, reply) => {
    // a caller refused for its role has no actor yet: named by its token all the same
    const actor =
      request.actor === undefined
        ? directory.identify(bearer(request))
        : { user: request.actor.userId, role: request.actor.role };
    if (actor === undefined || request.routeOptions.config.auth === "open") return;
    audit.record({
      user: actor.user,
      role: actor.role,
      action: `${request.method} ${request.routeOptions.url ?? request.url}`,
      path: request.url.split("?")[0]!,
      status: reply.statusCode,
      ...(notes.has(request) ? { note: notes.get(request)! } : {}),
    });
  });
  return notes;
}

/** Console login (open, refused logins audited with the caller's address), logout, the signed-in user. */
function sessionRoutes(routes: Routes, { directory, audit }: StaffRoom): void {
  routes.post(
    "/v1/staff/sessions",
    {
      summary:
        "Console login with a staff account's API token: a session token that expires (refused logins are rate-limited by address)",
      body: LoginBody,
      reply: SessionReply,
      errors: [429],
      auth: "open",
    },
    async (request) => {
      const { user, token } = request.body;
      try {
        const session = directory.login(user, token, request.ip);
        audit.record({ user, role: session.role, action: "login", path: request.url, status: 200 });
        return session;
      } catch (error) {
        if (error instanceof StaffError)
          audit.record({
            user,
            role: "-",
            action: "login refused",
            path: request.url,
            status: error.statusCode,
            note: `${error.code} from ${request.ip}`,
          });
        throw error;
      }
    },
  );
  routes.delete(
    "/v1/staff/sessions/current",
    { summary: "Console logout: the caller's session ends", reply: LogoutReply, roles: ANY_USER },
    async (request) => ({ ended: directory.logout(bearer(request)) }),
  );
  routes.get(
    "/v1/staff/me",
    { summary: "The signed-in staff user and role", reply: MeReply, roles: ANY_USER },
    async ({ actor }) => ({ user: actor.userId, role: actor.role, memberId: actor.memberId }),
  );
}

/** The admin's account management: list, create, change, rotate a token (each change noted in the audit entry). */
function accountRoutes(routes: Routes, directory: StaffDirectory, notes: AuditNotes): void {
  routes.get(
    "/v1/staff/accounts",
    { summary: "This node's staff accounts (admin)", reply: AccountsReply, roles: ADMIN },
    async () => ({ accounts: directory.list() }),
  );
  routes.post(
    "/v1/staff/accounts",
    {
      summary: "A new staff account with its API token, answered this once (admin)",
      body: CreateAccountBody,
      reply: AccountWithTokenReply,
      errors: [409],
      roles: ADMIN,
    },
    async (request) => {
      notes.set(request, `created ${request.body.user} as ${request.body.role}`);
      return directory.create(request.body.user, request.body.role);
    },
  );
  routes.put(
    "/v1/staff/accounts/:user",
    {
      summary: "Change a staff account's role or disable / re-enable it; its sessions end (admin)",
      params: AccountParams,
      body: ChangeAccountBody,
      reply: AccountReply,
      errors: [409],
      roles: ADMIN,
    },
    async (request) => {
      const { user } = request.params;
      const { role, disabled } = request.body;
      notes.set(
        request,
        [
          role === undefined ? "" : `role ${role}`,
          disabled === undefined ? "" : disabled ? "disabled" : "enabled",
        ]
          .filter((s) => s !== "")
          .join(", "),
      );
      if (role !== undefined) await directory.setRole(user, role);
      const account = disabled === undefined ? directory.list().find((a) => a.user === user) : undefined;
      return { account: account ?? (await directory.setDisabled(user, disabled!)) };
    },
  );
  routes.post(
    "/v1/staff/accounts/:user/token",
    {
      summary:
        "Rotate a staff account's API token: the new one answered this once, the old one and its sessions stop (admin)",
      params: AccountParams,
      reply: AccountWithTokenReply,
      roles: ADMIN,
    },
    async (request) => {
      notes.set(request, `token rotated for ${request.params.user}`);
      return directory.rotate(request.params.user);
    },
  );
}

/** The audit trail, as JSON pages and as one CSV file. */
function auditRoutes(routes: Routes, audit: AuditTrail): void {
  routes.get(
    "/v1/staff/audit",
    {
      summary: "The audit trail of staff actions, newest first (admin)",
      querystring: AuditQuery,
      reply: AuditReply,
      roles: ADMIN,
    },
    async ({ query }) => ({ entries: audit.read(query) }),
  );
  // a file download, not a JSON answer: declared directly (hidden from the OpenAPI page like the console)
  routes.api.get(
    "/v1/staff/audit.csv",
    { config: { roles: ADMIN }, schema: { hide: true } },
    async (_request, reply) =>
      reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="audit.csv"')
        .send(audit.csv()),
  );
}

type InboxState = "in-review" | "second-approver" | "new" | "approved" | "declined";

/**
 * The inbox page: this node's applications (no personal data) with each one's review state, by
 * channel and state, at most `query.limit`.
 */
async function inbox(
  applications: NonNullable<StaffRoom["applications"]>,
  decisions: NodeDeps["decisions"],
  query: z.output<typeof InboxQuery>,
) {
  const waiting = new Map<string, InboxState>(
    (decisions === undefined ? [] : await decisions.queue()).map((w) => [
      w.applicationId,
      w.needsSecondApprover ? ("second-approver" as const) : ("in-review" as const),
    ]),
  );
  const items = (await applications.list(1000)).map((a) => ({
    applicationId: a.applicationId,
    channel: a.channel,
    platformApplicationId: a.application.applicationId,
    assignedBranch: a.assignedBranch,
    createdAt: a.createdAt,
    principalFen: a.application.loan.principalFen.toString(),
    ...(a.application.loan.termMonths === undefined ? {} : { termMonths: a.application.loan.termMonths }),
    ...(a.application.loan.termDays === undefined ? {} : { termDays: a.application.loan.termDays }),
    aprBps: a.application.loan.aprBps,
    state: waiting.get(a.applicationId),
  }));
  // not waiting for a review: its latest decision says approved or declined, none yet is new
  const records = decisions?.deps.records;
  const decided = async (id: string) => {
    const latest = await records?.latest(id);
    return latest?.outcome === "approve" ? "approved" : latest?.outcome === "decline" ? "declined" : "new";
  };
  for (const item of items) item.state ??= await decided(item.applicationId);
  return items
    .filter((a) => query.channel === undefined || a.channel === query.channel)
    .filter((a) => query.state === undefined || a.state === query.state)
    .slice(0, query.limit);
}

/** The built console under /console/ (open: it signs in through /v1/staff/sessions), hidden from the OpenAPI page. */
function consoleRoutes(api: NodeApi): void {
  api.get("/console", { config: { auth: "open" }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect("/console/"),
  );
  api.get("/console/*", { config: { auth: "open" }, schema: { hide: true } }, async (request, reply) => {
    const file = (request.params as { "*": string })["*"];
    // the console's own routes (#/…) all load its one page
    return sendConsoleFile(file === "" ? "index.html" : file, reply);
  });
}

async function sendConsoleFile(file: string, reply: FastifyReply) {
  const path = normalize(`${CONSOLE_DIR}${file}`);
  // only files inside the built console
  if (!path.startsWith(CONSOLE_DIR) || CONTENT_TYPES[extname(path)] === undefined)
    return reply.code(404).type("text/plain").send("not found\n");
  const body = await readFile(path).catch(() => undefined);
  if (body === undefined)
    return reply
      .code(file === "index.html" ? 503 : 404)
      .type("text/plain")
      .send(file === "index.html" ? "the console is not built: run `npm run postinstall`\n" : "not found\n");
  return reply
    .type(CONTENT_TYPES[extname(path)]!)
    .header("cache-control", "no-cache")
    .header("x-content-type-options", "nosniff")
    .header(
      "content-security-policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    )
    .send(body);
}

function bearer(request: FastifyRequest): string {
  return (request.headers.authorization ?? "").slice("Bearer ".length).trim();
}
