// Calls to other members' nodes: each request is signed with this node's chain key (EIP-712 over
// method, path, body hash, nonce, expiry and the target member, the node-to-node form of
// common/auth/request-signing.ts, so no other member's node will serve it), sent to the URL the
// directory lists for the member, and its reply read as JSON. A platform's node submits its
// applications to the union's node, the union's node forwards routed applications to the
// branch's, and a court's node fetches a case's documents, all this way.
import { requestDomain, signRequest, type TypedDataSigner } from "../../common/auth/request-signing.ts";
import { nodeError } from "./errors.ts";
import { Room } from "./room.ts";

export type PeerDeps = {
  signer: TypedDataSigner;
  /** Other members' node URLs, by member id. */
  directory: Record<string, string>;
  chainId: () => Promise<bigint>;
  registryAddress: () => Promise<string>;
  /** Per request (default 30 s). */
  timeoutMs?: number;
};

export type PeerReply = { status: number; body: unknown };

export class PeerNodes extends Room<PeerDeps> {
  /** The member's node URL, or undefined when the directory does not list it. */
  urlOf(memberId: number): string | undefined {
    return this.deps.directory[String(memberId)]?.replace(/\/$/, "");
  }

  /**
   * A signed request to `memberId`'s node; resolves with any HTTP answer. Throws
   * NODE_ERR_PEER_UNAVAILABLE when the member has no listed node or it cannot be reached.
   */
  async request(memberId: number, method: "GET" | "POST", path: string, body?: unknown): Promise<PeerReply> {
    const base = this.urlOf(memberId);
    if (base === undefined)
      throw nodeError(
        "NODE_ERR_PEER_UNAVAILABLE",
        `this node's directory lists no node for member ${memberId} (NODE_DIRECTORY)`,
      );
    const text = body === undefined ? "" : JSON.stringify(body);
    const domain = requestDomain(await this.deps.chainId(), await this.deps.registryAddress());
    const headers = await signRequest(this.deps.signer, domain, {
      method,
      path,
      body: text,
      target: memberId,
    });
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw nodeError(
        "NODE_ERR_PEER_UNAVAILABLE",
        `cannot reach member ${memberId}'s node at ${base}: ${(error as Error).message}`,
      );
    }
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      // not JSON: kept as text for the error report
    }
    return { status: response.status, body: parsed };
  }

  /**
   * As request(), but a non-2xx answer throws NODE_ERR_PEER_REFUSED carrying the peer's error
   * code; a 503 (the peer's chain or anchor not answering for now) NODE_ERR_PEER_UNAVAILABLE, so
   * the caller too is told to ask again.
   */
  async call<T>(memberId: number, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const reply = await this.request(memberId, method, path, body);
    if (reply.status >= 200 && reply.status < 300) return reply.body as T;
    const error = (reply.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw nodeError(
      reply.status === 503 ? "NODE_ERR_PEER_UNAVAILABLE" : "NODE_ERR_PEER_REFUSED",
      `member ${memberId}'s node answered ${reply.status}: ${error?.code ?? "no error code"} ${error?.message ?? ""}`.trim(),
      {
        member: memberId,
        status: reply.status,
        code: error?.code ?? null,
      },
    );
  }
}
