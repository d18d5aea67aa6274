// What both services' request bodies share: a caller refused from its headers leaves a large
// body unread (the connection closes after the answer instead), a body past its limit is drained
// only so far, and a JSON body that names a key twice is refused rather than read as its last value.
import type { IncomingHttpHeaders } from "node:http";
import { duplicateKeyIn } from "../json/duplicate-keys.ts";

/** Past this many declared (or undeclared, chunked) bytes a body refused from its headers is left unread. */
export const UNREAD_BODY_BYTES = 64 * 1024;

/** Past this many bytes over the limit a body is no longer drained: the connection is closed. */
export const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * For a request refused from its headers alone: a large body (over UNREAD_BODY_BYTES declared, or
 * chunked with no length) is not read at all, and the connection closes after the answer
 * (draining a flood of large bodies costs as much as reading them).
 */
export function closeIfLargeBody(
  request: { headers: IncomingHttpHeaders },
  reply: { header(name: string, value: string): unknown },
): void {
  const length = request.headers["content-length"];
  const large =
    length === undefined
      ? request.headers["transfer-encoding"] !== undefined
      : Number(length) > UNREAD_BODY_BYTES;
  if (large) void reply.header("connection", "close");
}

/**
 * JSON.parse of a body, refusing an object that names a key twice (a signed body must read the
 * same to every parser): `refuse.repeated(path)` is thrown for the first such key. Malformed
 * JSON throws `refuse.malformed(error)`, or JSON.parse's own error when it is not given.
 */
export function parseJsonOnce(
  raw: Buffer,
  refuse: { repeated: (path: string) => Error; malformed?: (error: Error) => Error },
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    throw refuse.malformed?.(e as Error) ?? e;
  }
  // objects and arrays only: a scalar has no keys
  if (typeof value === "object" && value !== null) {
    const duplicate = duplicateKeyIn(raw);
    if (duplicate !== undefined) throw refuse.repeated(duplicate);
  }
  return value;
}
