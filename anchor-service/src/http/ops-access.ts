// Who may read the operations routes that say more than "alive": /metrics (request and error
// counts, queue depth, the process's figures) and /readyz (chain state, backlog, storage). By
// default anyone (local use); ANCHOR_METRICS_TOKEN requires `Authorization: Bearer <token>`,
// ANCHOR_METRICS_ALLOWED_ADDRESSES a client address in the list (the socket's address: forwarded
// headers are not trusted). With both set, both must hold. /healthz stays open for supervisors.
// Refused tokens count per source address (FailedTokenLimiter, common/auth/): past the limit an
// address gets 429 ANCHOR_ERR_OPS_RATE_LIMITED; each refusal is logged without the token.
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { anchorError } from "../errors.ts";

export type OpsAccess = { token?: string | undefined; allowedAddresses?: string[] | undefined };

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** An onRequest hook enforcing `access` (a no-op when neither is configured); refused tokens count in `limiter`. */
export function opsAccess(access: OpsAccess | undefined, limiter: FailedTokenLimiter = new FailedTokenLimiter()) {
  const token = access?.token === undefined ? undefined : digest(access.token);
  let allowed: BlockList | undefined;
  if (access?.allowedAddresses !== undefined && access.allowedAddresses.length > 0) {
    allowed = new BlockList();
    for (const entry of access.allowedAddresses) {
      const [address, prefix] = entry.split("/") as [string, string | undefined];
      const family = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) allowed.addAddress(address, family);
      else allowed.addSubnet(address, Number(prefix), family);
    }
  }
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (allowed !== undefined && !addressAllowed(allowed, request.socket.remoteAddress)) {
      throw anchorError("ANCHOR_ERR_OPS_FORBIDDEN", `${request.url.split("?")[0]} is not served to this address`);
    }
    if (token !== undefined) {
      const address = request.ip;
      const wait = limiter.retryAfterSeconds(address);
      // before the token is looked at: an address over its limit learns nothing from trying
      if (wait > 0) throw anchorError("ANCHOR_ERR_OPS_RATE_LIMITED", `too many refused tokens from this address; try again in ${wait} s`, { retryAfterSeconds: wait });
      const header = request.headers.authorization;
      // the scheme is case-insensitive (RFC 9110 §11.1)
      const sent = typeof header === "string" && /^bearer /i.test(header) ? header.slice(7) : undefined;
      // compared as digests: constant time, whatever the length sent
      if (sent === undefined || !timingSafeEqual(digest(sent), token)) {
        // a request without the header is no guess and is not counted
        if (header !== undefined) {
          const failures = limiter.fail(address);
          request.log.warn({ sourceIp: address, method: request.method, route: request.url.split("?")[0], failures, limit: limiter.maxFailures }, "metrics token refused");
        }
        throw anchorError("ANCHOR_ERR_OPS_UNAUTHORIZED", `${request.url.split("?")[0]} needs Authorization: Bearer with the configured token`);
      }
    }
  };
}

function addressAllowed(allowed: BlockList, remote: string | undefined): boolean {
  if (remote === undefined) return false;
  // an IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
  if (v4 !== undefined) return allowed.check(v4, "ipv4") || allowed.check(remote, "ipv6");
  return allowed.check(remote, isIP(remote) === 6 ? "ipv6" : "ipv4");
}
