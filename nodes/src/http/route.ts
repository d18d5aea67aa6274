// One route declared once: its summary, request schemas, answer schema, the refusals it can
// answer and who may call it, with the handler's value sent as that answer (fenJson: bigint
// amounts as decimal strings). A route file is `routeFile((routes, deps) => …)` and takes the
// role sets from here too; the schemas stay in schemas/<resource>.ts, the authorization in the
// hook (authorize.ts).
import type { ContextConfigDefault, FastifyRequest, FastifySchema, RouteGenericInterface } from "fastify";
import type { z } from "zod";
import type { Role } from "./auth.ts";
import type { NodeApi, NodeDeps, RouteFile } from "./deps.ts";
import { type ErrorStatus, fenJson, signedErrors, tokenErrors } from "./schemas/common.ts";

type Schema = z.ZodType | undefined;

/** Who may call: an API user with one of `roles`, another member's node of `signedKind`, or anyone. */
export type RouteAccess =
  { roles: readonly Role[] } | { auth: "signed"; signedKind: number } | { auth: "open" };

export type RouteSpec<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType> = {
  summary: string;
  params?: P;
  querystring?: Q;
  body?: B;
  /** The 200 answer's schema. */
  reply: R;
  /** The refusals this route answers beyond those every token or signed route can (400, 401, 403, 404, …). */
  errors?: readonly ErrorStatus[];
  /** The request body's media types when not JSON (a CSV upload: the body arrives as bytes). */
  consumes?: readonly string[];
  /** The answer's media type when not JSON: the handler's value (a string) is sent as it is. */
  produces?: string;
} & RouteAccess;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * The request a handler gets: params, querystring and body as the spec's schemas output them
 * (Fastify has validated each before the handler runs), and the actor the hook set.
 */
export type RouteRequest<P, Q, B> = FastifyRequest<{ Params: Out<P>; Querystring: Out<Q>; Body: Out<B> }>;

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** `api`'s routes, each declared by its spec and one handler call into a domain room. */
export function defineRoutes(api: NodeApi) {
  const define =
    (method: Method) =>
    <
      P extends Schema = undefined,
      Q extends Schema = undefined,
      B extends Schema = undefined,
      R extends z.ZodType = z.ZodType,
    >(
      url: string,
      spec: RouteSpec<P, Q, B, R>,
      handler: (request: RouteRequest<P, Q, B>) => Promise<unknown>,
    ): void => {
      const errors = spec.errors ?? [];
      const signed = "auth" in spec && spec.auth === "signed";
      api.route<RouteGenericInterface, ContextConfigDefault, FastifySchema>({
        method,
        url,
        schema: {
          summary: spec.summary,
          // a request part the route does not have is left out (Fastify would compile `undefined`)
          ...(spec.params === undefined ? {} : { params: spec.params }),
          ...(spec.querystring === undefined ? {} : { querystring: spec.querystring }),
          ...(spec.body === undefined ? {} : { body: spec.body }),
          ...(spec.consumes === undefined ? {} : { consumes: [...spec.consumes] }),
          ...(spec.produces === undefined ? {} : { produces: [spec.produces] }),
          response: { 200: spec.reply, ...(signed ? signedErrors(...errors) : tokenErrors(...errors)) },
        },
        config: accessConfig(spec),
        // the schemas above validated params, querystring and body before this runs
        handler: async (request, reply) => {
          const value = await handler(request as RouteRequest<P, Q, B>);
          return spec.produces === undefined
            ? fenJson(spec.reply, value)
            : reply.type(spec.produces).send(value);
        },
      });
    };
  return {
    get: define("GET"),
    post: define("POST"),
    put: define("PUT"),
    delete: define("DELETE"),
    /** The app itself: for a hook, or a route answering bytes (a file) declared directly. */
    api,
  };
}

function accessConfig(spec: RouteAccess): {
  auth?: "token" | "signed" | "open";
  roles?: readonly Role[];
  signedKind?: number;
} {
  if ("roles" in spec) return { roles: spec.roles };
  return spec.auth === "signed" ? { auth: spec.auth, signedKind: spec.signedKind } : { auth: spec.auth };
}

export type Routes = ReturnType<typeof defineRoutes>;

/** One resource's route file: `register` declares its routes over the rooms of `deps`. */
export function routeFile(register: (routes: Routes, deps: NodeDeps) => void): RouteFile {
  return (api, deps) => register(defineRoutes(api), deps);
}

/** The rooms a node may not have (optional in NodeDeps). */
export type OptionalRoom = {
  [K in keyof NodeDeps]-?: undefined extends NodeDeps[K] ? K : never;
}[keyof NodeDeps];

/**
 * A route file over one room a node may not have: `register` declares its routes with the room
 * in hand, and is not called (the routes are not served) when `deps` lacks the room.
 */
export function roomRoutes<K extends OptionalRoom>(
  key: K,
  register: (routes: Routes, room: NonNullable<NodeDeps[K]>, deps: NodeDeps) => void,
): RouteFile {
  return routeFile((routes, deps) => {
    const room = deps[key];
    if (room !== undefined) register(routes, room, deps);
  });
}

/** A resource's route files as one, registered in this order (its routes stand on several rooms). */
export function routeFiles(...files: readonly RouteFile[]): RouteFile {
  return (api, deps) => {
    for (const file of files) file(api, deps);
  };
}

export { ADMIN, ANY_USER, APPROVERS, COURT_STAFF, STAFF } from "./auth.ts";
