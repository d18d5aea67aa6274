// Request bodies: read with the size limit enforced without cutting the connection, and JSON
// parsed strictly (no duplicate keys). A body over the limit is answered 413
// (ANCHOR_ERR_BODY_TOO_LARGE) after the rest of it has been read and dropped, so the client, still
// sending, receives the answer instead of a reset; a declared Content-Length over the limit is
// answered before the body is read (Node then drops the body and keeps the connection).
import type { FastifyReply, FastifyRequest } from "fastify";
import { AnchorError, anchorError } from "../errors.ts";
import { DRAIN_BYTES, parseJsonOnce } from "../../../common/service/request-body.ts";

export function bodyTooLarge(limit: number): AnchorError {
  return anchorError(
    "ANCHOR_ERR_BODY_TOO_LARGE",
    `the body is larger than this service accepts (${limit} bytes); send fewer records per request`,
  );
}

/** ANCHOR_ERR_BODY_TOO_LARGE if the request declares a Content-Length over the limit. */
export function declaredOversize(request: FastifyRequest, limit: number): AnchorError | undefined {
  const length = request.headers["content-length"];
  return length !== undefined && Number(length) > limit ? bodyTooLarge(limit) : undefined;
}

/**
 * onRequest: a declared Content-Length over the limit is refused before a byte of the body is
 * read. Routes whose config says `checksBodyLimit` do it themselves (POST /v1/leaves: after the
 * signature headers, so a non-member's oversized body is not drained either).
 */
export function refuseDeclaredOversize(limit: number) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    if ((request.routeOptions.config as { checksBodyLimit?: boolean } | undefined)?.checksBodyLimit === true)
      return done();
    done(declaredOversize(request, limit));
  };
}

/**
 * The whole body, at most `limit` bytes. Over the limit, the rest is read and dropped (up to
 * DRAIN_BYTES) and the promise rejects with ANCHOR_ERR_BODY_TOO_LARGE once the body has ended.
 */
export function readBody(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      received += b.length;
      if (received <= limit) chunks.push(b);
      else if (chunks.length > 0) chunks.length = 0; // over the limit: dropped from here on
      if (received > limit + DRAIN_BYTES) finish(bodyTooLarge(limit));
    };
    const onEnd = () => finish(received > limit ? bodyTooLarge(limit) : undefined);
    const onError = (error: Error) => finish(Object.assign(error, { statusCode: 400 }));
    const finish = (error: Error | undefined) => {
      payload.removeListener("data", onData);
      payload.removeListener("end", onEnd);
      payload.removeListener("error", onError);
      if (error !== undefined) reject(error);
      // a copy: the parsers never hold a view of the socket's read buffer
      else resolve(Buffer.concat(chunks, received));
    };
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onError);
    payload.resume();
  });
}

/** JSON.parse of a body, refusing malformed JSON and any object that repeats a key. */
export function parseStrictJson(raw: Buffer): unknown {
  return parseJsonOnce(raw, {
    repeated: (path) =>
      anchorError("ANCHOR_ERR_DUPLICATE_KEY", `the body names ${path} twice; send each key once`, { path }),
    malformed: (e) => anchorError("ANCHOR_ERR_BAD_JSON", `the body is not valid JSON: ${e.message}`),
  });
}

/**
 * The general application/json parser (every route but POST /v1/leaves): the raw bytes kept on
 * the request, the body parsed strictly. Empty: undefined (the route's schema says what is missing).
 */
export function jsonBodyParser(limit: number) {
  return async (request: FastifyRequest, payload: NodeJS.ReadableStream): Promise<unknown> => {
    const raw = await readBody(payload, limit);
    request.rawBody = raw;
    return raw.length === 0 ? undefined : parseStrictJson(raw);
  };
}
