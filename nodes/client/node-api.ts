// A small client for one institution node's back-office API over real HTTP (fetch), with a bearer
// token per role; errors carry the node's stable error code. Used by the demo, the benchmark and
// the tests, which all drive nodes as their back-office users would.
import type { Role } from "../src/actor.ts";
import { NodeApiError, errorEnvelope } from "./api-error.ts";

export { NodeApiError } from "./api-error.ts";

export type OutboxEntryView = {
  serial: string;
  kind: string;
  state: "queued" | "sent" | "confirmed" | "failed";
  blockNumber?: number;
  txHash?: string;
  failure?: { code: string; args: unknown[] };
  lastError?: string;
};

export class NodeApi {
  /** The node's name in messages (the local consortium's `union`, `branchA`, …). */
  readonly name: string;
  readonly url: string;
  readonly tokens: Partial<Record<Role, string>>;

  constructor(name: string, url: string, tokens: Partial<Record<Role, string>>) {
    this.name = name;
    this.url = url.replace(/\/$/, "");
    this.tokens = tokens;
  }

  async get<T>(path: string, role: Role = "clerk"): Promise<T> {
    return this.request<T>("GET", path, role);
  }

  async post<T>(path: string, role: Role, body?: unknown): Promise<T> {
    return this.request<T>(
      "POST",
      path,
      role,
      body === undefined ? undefined : { type: "application/json", text: JSON.stringify(body) },
    );
  }

  async postCsv<T>(path: string, role: Role, csv: string): Promise<T> {
    return this.request<T>("POST", path, role, { type: "text/csv", text: csv });
  }

  async request<T>(
    method: string,
    path: string,
    role: Role,
    body?: { type: string; text: string },
  ): Promise<T> {
    const token = this.tokens[role];
    if (token === undefined) throw new Error(`no ${role} token for the ${this.name} node`);
    const route = routePattern(path);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": body.type }),
        },
        ...(body === undefined ? {} : { body: body.text }),
      });
      text = await response.text();
    } catch (error) {
      throw new NodeUnreachableError(this.name, method, route, error);
    }
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV or plain text
    }
    if (!response.ok) {
      const error = errorEnvelope(parsed);
      throw new NodeApiError(
        response.status,
        error?.code ?? `HTTP_${response.status}`,
        `${this.name}: ${method} ${route} → ${response.status} ${error?.code ?? ""} ${error?.message ?? text.slice(0, 200)}`,
        parsed,
      );
    }
    return parsed as T;
  }

  /**
   * Wait until the outbox entry is confirmed (throws if the chain refused it). Connection errors
   * are waited out: the node may be restarting. `signal`: stop waiting (its reason is thrown).
   */
  async confirmed(serial: string, timeoutMs = 120_000, signal?: AbortSignal): Promise<OutboxEntryView> {
    const deadline = Date.now() + timeoutMs;
    let last: OutboxEntryView | string;
    for (;;) {
      signal?.throwIfAborted();
      try {
        const entry = await this.get<OutboxEntryView>(`/v1/outbox/${encodeURIComponent(serial)}`);
        if (entry.state === "confirmed") return entry;
        if (entry.state === "failed")
          throw new NodeApiError(
            409,
            "DEMO_FLOW_FAILED",
            `${this.name}: ${entry.kind} ${serial} failed on chain: ${entry.failure?.code} ${JSON.stringify(entry.failure?.args ?? [])}`,
            entry,
          );
        last = entry;
      } catch (error) {
        if (error instanceof NodeApiError) throw error;
        last = (error as Error).message; // not reachable (restarting): try again
      }
      if (Date.now() > deadline)
        throw new Error(
          `${this.name}: outbox entry ${serial} not confirmed within ${timeoutMs} ms (last: ${JSON.stringify(last)})`,
        );
      await sleep(150);
    }
  }
}

/**
 * A request that got no answer (the connection refused, reset or closed before the response was
 * read): which service (a node, or the anchor service), method and route, and the transport's own reason (`cause`: its code, e.g.
 * ECONNRESET). Not a NodeApiError: the node said nothing, so callers may wait it out.
 */
export class NodeUnreachableError extends Error {
  readonly service: string;
  readonly method: string;
  readonly route: string;
  /** The innermost cause's code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, …), if it has one. */
  readonly code: string | undefined;

  constructor(service: string, method: string, route: string, cause: unknown) {
    const inner = innermost(cause);
    const code = (inner as { code?: unknown }).code;
    super(
      `${service}: ${method} ${route} got no answer: ${typeof code === "string" ? `${code} ` : ""}(${(inner as Error).message ?? String(inner)})`,
      { cause },
    );
    this.name = "NodeUnreachableError";
    this.service = service;
    this.method = method;
    this.route = route;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** fetch's "fetch failed" wraps the transport's error (sometimes twice): the one that says why. */
function innermost(error: unknown): unknown {
  let e = error;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return e;
}

/**
 * The route `path` asks for with every parameter left out (ids, serials, keys: `/v1/loans/:param/
 * repayments`), what an error may name without carrying a borrower's data: a segment stays only
 * when it is a version or a lowercase word, as the routes' own segments are.
 */
export function routePattern(path: string): string {
  return path
    .split("?")[0]!
    .split("/")
    .map((segment) => (segment === "" || /^(v\d+|[a-z][a-z-]*)$/.test(segment) ? segment : ":param"))
    .join("/");
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
