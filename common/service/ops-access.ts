// Who may read the operations routes that say more than "alive": /metrics (request and error
// counts, queue depths, the process's figures) and /readyz (chain state, backlog, storage). By
// default anyone (local use); a configured token requires `Authorization: Bearer <token>`, a list
// of allowed addresses a client address in it (the socket's address: forwarded headers are not
// trusted). With both set, both must hold. /healthz stays open for supervisors. Refused tokens
// count per source address (FailedTokenLimiter, common/auth/): past the limit an address is
// refused 429 before its token is looked at; each refusal is logged without the token. The codes
// are the calling service's: `refuse` builds its catalogue's error for each reason.
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { FailedTokenLimiter } from "../auth/failed-token-limiter.ts";

export type OpsAccess = { token?: string | undefined; allowedAddresses?: readonly string[] | undefined };

/** Why a request to an operations route was refused; the service maps each to a code of its catalogue. */
export type OpsRefusal = "forbidden" | "unauthorized" | "rate-limited";

export type OpsAccessOptions = {
  /** The service's catalogue error for a refusal (forbidden 403, unauthorized 401, rate-limited 429 with details.retryAfterSeconds). */
  refuse: (reason: OpsRefusal, message: string, details?: { retryAfterSeconds: number }) => Error;
  /** The WWW-Authenticate realm named on a refused token (e.g. "anchor-ops"). */
  realm: string;
  /** Refused tokens per address; pass the service's own to share one budget of guesses with its API tokens. */
  limiter?: FailedTokenLimiter;
};

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** An onRequest hook enforcing `access` (a no-op when neither is configured). */
export function opsAccess(access: OpsAccess | undefined, options: OpsAccessOptions) {
  const limiter = options.limiter ?? new FailedTokenLimiter();
  const token = access?.token === undefined ? undefined : digest(access.token);
  const allowed =
    access?.allowedAddresses === undefined || access.allowedAddresses.length === 0
      ? undefined
      : blockListOf(access.allowedAddresses);
  const challenge = `Bearer realm="${options.realm}"`;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split("?")[0];
    if (allowed !== undefined && !addressAllowed(allowed, request.socket.remoteAddress)) {
      throw options.refuse("forbidden", `${path} is not served to this address`);
    }
    if (token === undefined) return;
    const address = request.ip;
    const wait = limiter.retryAfterSeconds(address);
    // before the token is looked at: an address over its limit learns nothing from trying
    if (wait > 0)
      throw options.refuse(
        "rate-limited",
        `too many refused tokens from this address; try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    const header = request.headers.authorization;
    // the scheme is case-insensitive (RFC 9110 §11.1)
    const sent = typeof header === "string" && /^bearer /i.test(header) ? header.slice(7) : undefined;
    // compared as digests: constant time, whatever the length sent
    if (sent !== undefined && timingSafeEqual(digest(sent), token)) return;
    // a request without the header is no guess and is not counted
    if (header !== undefined) {
      const failures = limiter.fail(address);
      request.log.warn(
        { sourceIp: address, method: request.method, route: path, failures, limit: limiter.maxFailures },
        "metrics token refused",
      );
    }
    void reply.header("www-authenticate", challenge);
    throw options.refuse(
      "unauthorized",
      `${path} needs Authorization: Bearer with the configured metrics token`,
    );
  };
}

/** IPs and CIDR blocks ("10.0.0.0/8", "::1"); each entry's family from its address. */
function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split("/") as [string, string | undefined];
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

function addressAllowed(allowed: BlockList, remote: string | undefined): boolean {
  if (remote === undefined) return false;
  // an IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
  if (v4 !== undefined) return allowed.check(v4, "ipv4") || allowed.check(remote, "ipv6");
  return allowed.check(remote, isIP(remote) === 6 ? "ipv6" : "ipv4");
}
