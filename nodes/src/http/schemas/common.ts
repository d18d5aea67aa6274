// Pieces every route's schemas share: identifiers, amounts, days, the error envelope and the
// error responses a route declares. Request schemas are strict (an unknown field is a 400);
// response schemas are loose where the answer carries records the domain owns (a reply is never
// cut short by its schema: the serializer would drop undeclared fields of a strict object).
import { z } from "zod";
import { dateToDay } from "../../../../common/lending/dates.ts";

function isChainDay(date: string): boolean {
  try {
    return dateToDay(date) >= 0;
  } catch {
    return false;
  }
}

export const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "0x followed by 64 hex digits");
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "0x followed by 40 hex digits (an account address)");
// member ids are uint32 on chain and in the index's keys (?branch=4294967296 answered 500)
export const memberIdQuery = z.coerce.number().int().min(1).max(0xffff_ffff);
// a calendar day the chain can have: 2026-02-30 has the shape but is no day, and days before
// 1970-01-01 have no unsigned day number (both reached the index's keys and answered 500)
export const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
  .refine(isChainDay, "a calendar day from 1970-01-01 on");
/** An amount in fen as a decimal string (bigints leave the node as strings). */
export const fenString = z.string().regex(/^(0|[1-9][0-9]*)$/);
export const loanParams = z.strictObject({ loanId: hex32 });
export const channelParams = z.strictObject({ channel: z.string().min(1).max(64) });

/** An outbox entry as stored (outbox/entry.ts): its serial, kind, state and the chain's answer. */
export const OutboxEntry = z
  .looseObject({ serial: z.string(), kind: z.string(), state: z.string() })
  .describe("the chain write's outbox entry (outbox/entry.ts)");

/** The node's one error envelope (errors.ts). */
export const ErrorReply = z
  .looseObject({
    error: z.looseObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .describe("{ error: { code, message, details? } } with a code from the node's error catalogue (errors.ts)");

/** Error statuses every API route can answer (415: a body in a type the node does not parse, on any method). */
const BASE_ERRORS = [400, 404, 413, 415, 500] as const;
/** A token route's caller can be refused: 401 (no or unknown token), 403 (role), 429 (too many refused tokens). */
const TOKEN_ERRORS = [401, 403, 429] as const;
/** A signed route's caller can be refused: 401 (signature, nonce, expiry), 403 (not a member of the route's kind), 421 (signed for another node). */
const SIGNED_ERRORS = [401, 403, 421] as const;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 421 | 422 | 429 | 500 | 502 | 503 | 504;

function errorsOf(statuses: readonly ErrorStatus[]): Record<ErrorStatus, typeof ErrorReply> {
  return Object.fromEntries([...new Set(statuses)].sort().map((s) => [s, ErrorReply])) as Record<
    ErrorStatus,
    typeof ErrorReply
  >;
}

/** The error responses of a route called with an API token, plus the route's own. */
export const tokenErrors = (...own: ErrorStatus[]) => errorsOf([...BASE_ERRORS, ...TOKEN_ERRORS, ...own]);
/** The error responses of a node-to-node (signed) route, plus the route's own. */
export const signedErrors = (...own: ErrorStatus[]) => errorsOf([...BASE_ERRORS, ...SIGNED_ERRORS, ...own]);

/**
 * A domain answer as JSON (bigint amounts as decimal strings), typed as the route's response
 * schema: the serializer checks it against that schema on the way out.
 */
export function fenJson<S extends z.ZodType>(_schema: S, value: unknown): z.infer<S> {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as z.infer<S>;
}
