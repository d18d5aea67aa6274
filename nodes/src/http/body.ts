// Request body size limits that answer 413 (NODE_ERR_BODY_TOO_LARGE) instead of cutting the
// connection. Fastify's own limit answers with `Connection: close` while the client is still
// sending, so the client's next write meets a reset and the answer is often lost. Here:
//   - a declared Content-Length over the route's limit is refused in onRequest, before a byte of
//     the body is read; Node then reads and drops the body and keeps the connection;
//   - a body that grows past the limit (chunked, or a wrong length) is read to its end and
//     dropped, then refused, so the client has sent everything by the time the answer comes.
// Past DRAIN_BYTES over the limit a body is no longer read: the connection is closed.
// The limit is the route's (`bodyLimit` in its options) or the app's.
import { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { DRAIN_BYTES } from "../../../common/service/request-body.ts";
import { nodeError, type NodeError } from "../errors.ts";

export { DRAIN_BYTES };

export function bodyTooLarge(limit: number): NodeError {
  return nodeError("NODE_ERR_BODY_TOO_LARGE", `the body is larger than this route accepts (${limit} bytes)`, {
    limitBytes: limit,
  });
}

const limitOf = (request: FastifyRequest, fallback: number): number =>
  request.routeOptions.bodyLimit ?? fallback;

/** onRequest: a declared Content-Length over the route's limit is refused before the body is read. */
export function refuseDeclaredOversize(defaultLimit: number) {
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    const declared = Number(request.headers["content-length"]);
    const limit = limitOf(request, defaultLimit);
    if (!(declared > limit)) return done();
    // not worth reading to the end: answer and close (the client may see a reset)
    if (declared > limit + DRAIN_BYTES) void reply.header("connection", "close");
    done(bodyTooLarge(limit));
  };
}

/**
 * The request body as the parsers see it: at most `limit` bytes passed on; beyond, the rest read
 * and dropped and the stream fails with NODE_ERR_BODY_TOO_LARGE once the body has ended. It takes
 * hold of the request only when a parser starts reading, so a body nobody parses (a GET's, one
 * refused for its media type) is left to Node as before.
 */
class LimitedBody extends Readable {
  #source: NodeJS.ReadableStream;
  #limit: number;
  #received = 0;
  #attached = false;

  constructor(source: NodeJS.ReadableStream, limit: number) {
    super();
    this.#source = source;
    this.#limit = limit;
  }

  override _read(): void {
    if (this.#attached) {
      this.#source.resume();
      return;
    }
    this.#attached = true;
    this.#source.on("data", (chunk: Buffer | string) => {
      if (this.destroyed) return;
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      this.#received += bytes.length;
      if (this.#received <= this.#limit) {
        if (!this.push(bytes)) this.#source.pause();
      } else if (this.#received > this.#limit + DRAIN_BYTES) {
        this.#source.pause();
        this.destroy(bodyTooLarge(this.#limit));
      }
      // otherwise over the limit: dropped, and the rest of the body is still read
    });
    this.#source.on("end", () => {
      if (this.destroyed) return;
      if (this.#received > this.#limit) this.destroy(bodyTooLarge(this.#limit));
      else this.push(null);
    });
    this.#source.on("error", (error: Error) => {
      if (!this.destroyed) this.destroy(error);
    });
  }
}

/** preParsing: the body through LimitedBody with the route's limit. */
export function limitBody(defaultLimit: number) {
  return async (
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: NodeJS.ReadableStream,
  ): Promise<NodeJS.ReadableStream> => new LimitedBody(payload, limitOf(request, defaultLimit));
}
