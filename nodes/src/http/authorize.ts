// Authorization as one hook: every route declares who may call it in its config, and the hook
// checks the caller against that declaration from the headers, before a byte of the body is
// read. Handlers never check roles themselves.
//   config: { roles: STAFF }                       an API user's bearer token with one of the roles
//   config: { auth: "signed", signedKind: BRANCH } another member's node of that kind, by its chain key
//   config: { auth: "open" }                       anyone (/healthz, /docs; /metrics and /readyz add common/service/ops-access.ts)
// A token route that declares no roles is refused when the app is built, not served to anyone.
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import { closeIfLargeBody } from "../../../common/service/request-body.ts";
import type { ApiUser } from "../config.ts";
import { nodeError } from "../errors.ts";
import type { SignedHeaders } from "../node-requests.ts";
import { authenticateLimited, requireRole, type Actor, type FailedTokenLimiter, type Role } from "./auth.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The API user, authenticated and authorized by the hook before the body is read (token routes). */
    actor: Actor;
    /** A node-to-node request's headers, checked before the body is read, then its signature over the body (signed routes). */
    signedHeaders: SignedHeaders | undefined;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route: "token" (the default) an API user's bearer token with one of
     * `roles`; "signed" another member's node of `signedKind`, by its chain key; "open" anyone.
     */
    auth?: "token" | "signed" | "open";
    /** The roles a token route admits (required on every token route). */
    roles?: readonly Role[];
    signedKind?: number;
  }
}

export type AuthorizeOptions = {
  users: readonly ApiUser[];
  memberId: number;
  tokenLimiter: FailedTokenLimiter;
  /** Step 1 of a node-to-node request: its headers checked for a member of `kind` (node-requests). */
  signedHeaders: (
    request: { method: string; path: string; headers: FastifyRequest["headers"] },
    kind: number,
  ) => Promise<SignedHeaders>;
};

/** Installs the authorization hook on `app` (before its routes are registered). */
export function installAuthorization(app: FastifyInstance, options: AuthorizeOptions): void {
  app.decorateRequest("actor", undefined as unknown as Actor);
  app.decorateRequest("signedHeaders", undefined);
  app.addHook("onRoute", (route: RouteOptions) => {
    // the OpenAPI page and its assets are public
    if (route.url.startsWith("/docs")) route.config = { ...route.config, auth: "open" };
    const config = route.config as
      { auth?: string; roles?: readonly Role[]; signedKind?: number } | undefined;
    const auth = config?.auth ?? "token";
    const method = String(route.method);
    if (auth === "token" && (config?.roles === undefined || config.roles.length === 0))
      throw new Error(`route ${method} ${route.url} declares no roles (config.roles)`);
    if (auth === "signed" && config?.signedKind === undefined)
      throw new Error(`signed route ${method} ${route.url} declares no signedKind`);
  });
  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    try {
      // an unknown route is answered before its body is read too
      if (request.is404) throw nodeError("NODE_ERR_NOT_FOUND", `no route ${request.method} ${request.url}`);
      if (config.auth === "open") return;
      if (config.auth === "signed") {
        request.signedHeaders = await options.signedHeaders(
          { method: request.method, path: request.url, headers: request.headers },
          config.signedKind!,
        );
        return;
      }
      const actor = authenticateLimited(request, options.users, options.memberId, options.tokenLimiter);
      requireRole(actor, config.roles!);
      request.actor = actor;
    } catch (error) {
      closeIfLargeBody(request, reply);
      throw error;
    }
  });
}
