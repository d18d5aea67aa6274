// Who may read the operations routes that say more than "alive": /metrics (request and error
// counts, queue depth, the process's figures) and /readyz (chain state, backlog, storage). By
// default anyone (local use); ANCHOR_METRICS_TOKEN requires `Authorization: Bearer <token>`,
// ANCHOR_METRICS_ALLOWED_ADDRESSES a client address in the list (the socket's address: forwarded
// headers are not trusted). With both set, both must hold. /healthz stays open for supervisors.
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { anchorError } from "../errors.ts";

export type OpsAccess = { token?: string | undefined; allowedAddresses?: string[] | undefined };

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** An onRequest hook enforcing `access` (a no-op when neither is configured). */
export function opsAccess(access: OpsAccess | undefined) {
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
      const header = request.headers.authorization;
      // the scheme is case-insensitive (RFC 9110 §11.1)
      const sent = typeof header === "string" && /^bearer /i.test(header) ? header.slice(7) : undefined;
      // compared as digests: constant time, whatever the length sent
      if (sent === undefined || !timingSafeEqual(digest(sent), token)) {
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
