// The credit-bureau (征信中心) boundary of the institution node: what the node asks, what it gets
// back, and the errors it can meet. The real bureau is reached over the institution's private
// line (专线) with its own certificates; nothing of it exists in this repository, so the node is
// written against `CreditBureau` and runs with `BureauSimulator` (simulator.ts) until the
// production adapter is plugged in. README.md next to this file describes both.
import { createHash } from "node:crypto";
import { CodedError } from "../../../common/errors.ts";
import { toHex } from "../../../common/bytes.ts";

/** Why the query is made; the bureau records it on the borrower's file (征信业管理条例 Art. 18). */
export const BUREAU_PURPOSES = ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "GUARANTEE_REVIEW"] as const;
export type BureauPurpose = (typeof BUREAU_PURPOSES)[number];

export type BureauQuery = {
  /**
   * The borrower's key: 0x + 64 hex, HMAC-SHA256(consortium key, normalized ID number).
   *
   * The node passes only this key around, so no ID number ends up in a log line, a metric or an
   * error. The real bureau takes the ID number and name over its private line: the production
   * adapter maps the key back to them *inside* the node, at the last moment, from the node's
   * encrypted identity store (an `IdentityResolver`), and never returns or logs them.
   */
  borrowerKey: string;
  purpose: BureauPurpose;
  /** The node user who asked (the loan officer's user id), recorded by the bureau and in the query log. */
  operator: string;
  /** The querying institution's consortium member id. */
  institution: number;
};

export type BureauReport = {
  /** The bureau's report number; unique per query. */
  reportId: string;
  borrowerKey: string;
  /** ISO 8601 with offset. */
  generatedAt: string;
  /** Credit score, 300–900. */
  score: number;
  activeLoans: number;
  /** Outstanding principal over all active loans, in fen. */
  totalOutstandingFen: bigint;
  /** Accounts (open or closed) with an overdue record in the report's window. */
  overdueAccounts: number;
  /** Longest overdue, in days; 0 if never overdue. */
  worstOverdueDays: number;
  /** Hard inquiries in the last six months, this one included. */
  queriesLast6Months: number;
  /** The report as the bureau sent it. SHA-256 of these bytes is the report digest (reportDigest). */
  raw: Uint8Array;
};

/** What leaves the bureau module: the report's figures, never its bytes. */
export type BureauReportSummary = Omit<BureauReport, "raw">;

/**
 * A credit bureau. Implementations: `BureauSimulator` (here), the production private-line adapter
 * (per deployment), and `BureauClient`, which wraps either with timeouts, retries and a breaker.
 *
 * Contract for implementations:
 * - rejects only with `BureauError` for conditions the bureau reports (no credit file, timeout,
 *   unavailable, bad request); anything else is treated as a bug, not retried and not counted
 *   against the bureau's health;
 * - honours `options.signal`: once it aborts, the promise rejects promptly with `signal.reason`
 *   (as fetch does) and no report is produced.
 */
export interface CreditBureau {
  query(request: BureauQuery, options: { signal?: AbortSignal }): Promise<BureauReport>;
}

/**
 * How the production adapter turns a borrower key back into what the bureau's line needs. It
 * reads the node's encrypted identity store; the result must never leave the adapter.
 */
export type IdentityResolver = (
  borrowerKey: string,
) => Promise<{ name: string; idNumber: string } | undefined>;

export type BureauErrorCode =
  /** The bureau has no credit file for this person (白户). Not a failure of the bureau: not retried. */
  | "NODE_ERR_BUREAU_NOT_FOUND"
  /** No answer in time (the node's per-call timeout, or the bureau's own gateway timeout). Retried. */
  | "NODE_ERR_BUREAU_TIMEOUT"
  /** The bureau refused the connection or is in maintenance. Retried. */
  | "NODE_ERR_BUREAU_UNAVAILABLE"
  /** The node's circuit breaker is open after repeated failures; the call was not sent. */
  | "NODE_ERR_BUREAU_CIRCUIT_OPEN"
  /** The request itself is malformed (key, purpose, operator, institution). Not retried. */
  | "NODE_ERR_BUREAU_BAD_REQUEST"
  /** No anchored authorization letter for this borrower: the query is refused. */
  | "NODE_ERR_CONSENT_REQUIRED"
  /** Every anchored authorization for this borrower is past its validUntil. */
  | "NODE_ERR_CONSENT_EXPIRED"
  /** A valid authorization exists but does not cover this purpose. */
  | "NODE_ERR_CONSENT_SCOPE"
  /** The consent submitted for recording is malformed or contradicts one already recorded. */
  | "NODE_ERR_CONSENT_INVALID"
  /** This node's member may not query the bureau (platforms and courts: queries go through the union for branches only). */
  | "NODE_ERR_CREDIT_QUERY_NOT_ALLOWED"
  /** A credit objection names a query this branch (or, at the union, the asking branch) never made or was never served. */
  | "NODE_ERR_OBJECTION_UNKNOWN_QUERY"
  /** No such credit objection (at the union: none filed by the asking branch). */
  | "NODE_ERR_OBJECTION_NOT_FOUND"
  /** The credit objection is already answered. */
  | "NODE_ERR_OBJECTION_ANSWERED";

export class BureauError extends CodedError<BureauErrorCode> {}

export function bureauError(code: BureauErrorCode, message: string, cause?: unknown): BureauError {
  const error = new BureauError(code, message);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** HTTP status for each code, for the node's error catalogue. */
export const BUREAU_ERROR_STATUS: Readonly<Record<BureauErrorCode, number>> = Object.freeze({
  NODE_ERR_BUREAU_NOT_FOUND: 404,
  NODE_ERR_BUREAU_TIMEOUT: 504,
  NODE_ERR_BUREAU_UNAVAILABLE: 503,
  NODE_ERR_BUREAU_CIRCUIT_OPEN: 503,
  NODE_ERR_BUREAU_BAD_REQUEST: 400,
  NODE_ERR_CONSENT_REQUIRED: 403,
  NODE_ERR_CONSENT_EXPIRED: 403,
  NODE_ERR_CONSENT_SCOPE: 403,
  NODE_ERR_CONSENT_INVALID: 400,
  NODE_ERR_CREDIT_QUERY_NOT_ALLOWED: 403,
  NODE_ERR_OBJECTION_UNKNOWN_QUERY: 404,
  NODE_ERR_OBJECTION_NOT_FOUND: 404,
  NODE_ERR_OBJECTION_ANSWERED: 409,
});

const TRANSIENT: ReadonlySet<string> = new Set(["NODE_ERR_BUREAU_TIMEOUT", "NODE_ERR_BUREAU_UNAVAILABLE"]);

/** Timeouts and unavailability may pass; everything else will fail the same way again. */
export function isTransientBureauError(error: unknown): error is BureauError {
  return error instanceof BureauError && TRANSIENT.has(error.code);
}

export const BORROWER_KEY = /^0x[0-9a-fA-F]{64}$/;

export function isBureauPurpose(value: unknown): value is BureauPurpose {
  return typeof value === "string" && (BUREAU_PURPOSES as readonly string[]).includes(value);
}

/** Checks a query the way the bureau's front end would; throws NODE_ERR_BUREAU_BAD_REQUEST. */
export function checkBureauQuery(request: BureauQuery): void {
  if (typeof request.borrowerKey !== "string" || !BORROWER_KEY.test(request.borrowerKey)) {
    throw bureauError(
      "NODE_ERR_BUREAU_BAD_REQUEST",
      "borrowerKey must be 0x followed by 64 hex digits (the HMAC borrower key)",
    );
  }
  if (!isBureauPurpose(request.purpose)) {
    throw bureauError(
      "NODE_ERR_BUREAU_BAD_REQUEST",
      `purpose must be one of ${BUREAU_PURPOSES.join(", ")}, got ${String(request.purpose)}`,
    );
  }
  if (typeof request.operator !== "string" || request.operator.trim() === "") {
    throw bureauError("NODE_ERR_BUREAU_BAD_REQUEST", "operator must be the querying user's id");
  }
  if (
    !Number.isInteger(request.institution) ||
    request.institution < 1 ||
    request.institution > 0xffff_ffff
  ) {
    throw bureauError(
      "NODE_ERR_BUREAU_BAD_REQUEST",
      `institution must be a member id in 1..4294967295, got ${String(request.institution)}`,
    );
  }
}

/** 0x SHA-256 of the report bytes: the digest the query log commits to. */
export function reportDigest(raw: Uint8Array): string {
  return toHex(createHash("sha256").update(raw).digest());
}

export function summarizeReport(report: BureauReport): BureauReportSummary {
  const { raw: _raw, ...summary } = report;
  return summary;
}
