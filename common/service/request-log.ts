// One log line per answered request, in place of Fastify's two ("incoming request", "request
// completed"). Those went through the service logger's serializers and redaction, which walks
// every field of every line against the personal-data paths: most of the logging CPU of a
// request. This line is shaped from fields that cannot carry a caller's personal data — the
// route's pattern (never the URL, whose path and query can), the method, the status, the time
// taken, the caller's member and role as the service authenticated them, the socket's address —
// and is written by a logger without that redaction.
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyLogFn,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Bindings, ChildLoggerOptions, Logger } from "pino";

/** Who called, as the service authenticated them: a member number and a role, never a token or a name. */
export type RequestCaller = { member: number; role: string };

export type RequestLogOptions = {
  /** The authenticated caller of a request, if any (read when the answer has been sent). */
  caller?: (request: FastifyRequest) => RequestCaller | undefined;
  /**
   * For a request that matched no route (no pattern to log): its URL as the log may show it,
   * personal data masked. Absent: such a line names no URL.
   */
  unmatchedUrl?: (url: string) => string;
};

/**
 * The line's fields, in this order. Every value is a number, a route pattern from the service's
 * own code, an HTTP method, a role from the service's configuration, or the socket's address.
 */
export type RequestLine = {
  reqId: string;
  method: string;
  /** The matched route's pattern (`/v1/loans/:loanId`). */
  route: string | undefined;
  /** Only for a request that matched no route, through `unmatchedUrl`. */
  url: string | undefined;
  status: number;
  /** Milliseconds, to a tenth. */
  responseTime: number;
  member: number | undefined;
  role: string | undefined;
  remoteAddress: string;
};

export const REQUEST_LINE_MESSAGE = "request";

/** The line for an answered request. */
function requestLine(
  request: FastifyRequest,
  status: number,
  elapsedMs: number,
  options: RequestLogOptions,
): RequestLine {
  const route = request.routeOptions.url;
  const caller = options.caller?.(request);
  // pino leaves out the fields that are undefined
  return {
    reqId: request.id,
    method: request.method,
    route,
    url: route === undefined ? options.unmatchedUrl?.(request.url) : undefined,
    status,
    responseTime: Math.round(elapsedMs * 10) / 10,
    member: caller?.member,
    role: caller?.role,
    remoteAddress: request.ip,
  };
}

/**
 * Fastify's log controller for the shell: no "incoming request" line, and one line per answered
 * request written by `logger` with its redaction turned off (the line holds nothing it would
 * mask, see RequestLine; the logger's own bindings were masked when they were bound). A response
 * that failed while being sent is logged with its error through the request's logger, redaction
 * on. Fastify's other lines (a stream error, a serializer failure) are unchanged.
 */
export class OneLineLogController extends LogController {
  readonly #lines: Logger;
  readonly #options: RequestLogOptions;

  constructor(logger: Logger, options: RequestLogOptions) {
    super();
    this.#lines = logger.child({}, { redact: { paths: [] } });
    this.#options = options;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = requestLine(request, reply.statusCode, reply.elapsedTime, this.#options);
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else if (this.#lines.isLevelEnabled("info")) this.#lines.info(line, REQUEST_LINE_MESSAGE);
  }
}

/**
 * Fastify's child logger factory for the shell: a request's own logger (`request.log`, bound to
 * its reqId) is made the first time something logs through it. Binding goes through the logger's
 * redaction (about 35 µs a request with the node's) and most requests log nothing but their line.
 */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  let bound: FastifyBaseLogger | undefined;
  const real = () => (bound ??= parent.child(bindings, options));
  const at =
    (level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent"): FastifyLogFn =>
    (...args: unknown[]) => {
      const logger = real();
      Reflect.apply(logger[level], logger, args);
    };
  return {
    get level() {
      return real().level;
    },
    set level(level: string) {
      real().level = level;
    },
    fatal: at("fatal"),
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
    silent: at("silent"),
    child: (more, childOptions) => real().child(more, childOptions),
  };
}
