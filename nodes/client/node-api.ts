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
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": body.type }),
      },
      ...(body === undefined ? {} : { body: body.text }),
    });
    const text = await response.text();
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
        `${this.name}: ${method} ${path} → ${response.status} ${error?.code ?? ""} ${error?.message ?? text.slice(0, 200)}`,
        parsed,
      );
    }
    return parsed as T;
  }

  /**
   * Wait until the outbox entry is confirmed (throws if the chain refused it). Connection errors
   * are waited out: the node may be restarting.
   */
  async confirmed(serial: string, timeoutMs = 120_000): Promise<OutboxEntryView> {
    const deadline = Date.now() + timeoutMs;
    let last: OutboxEntryView | string;
    for (;;) {
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
