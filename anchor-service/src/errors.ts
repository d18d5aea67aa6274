// The anchor service's one error catalogue. Every condition a caller can hit has a stable code
// and an HTTP status; messages say what to fix. Tests assert codes, never message text.
import { catalogueError } from "../../common/errors.ts";

export const ANCHOR_ERRORS = {
  ANCHOR_ERR_BAD_JSON: 400,
  /** A JSON object names one key twice (parsers disagree on which one counts). */
  ANCHOR_ERR_DUPLICATE_KEY: 400,
  ANCHOR_ERR_VALIDATION: 400,
  ANCHOR_ERR_TOO_MANY_RECORDS: 413,
  ANCHOR_ERR_BODY_TOO_LARGE: 413,
  ANCHOR_ERR_UNSUPPORTED_MEDIA: 415,
  ANCHOR_ERR_AUTH_MISSING: 401,
  ANCHOR_ERR_AUTH_INVALID: 401,
  ANCHOR_ERR_AUTH_EXPIRED: 401,
  ANCHOR_ERR_REPLAY: 409,
  ANCHOR_ERR_NOT_MEMBER: 403,
  ANCHOR_ERR_MEMBER_SUSPENDED: 403,
  /** The signer is a member's log-operator or governance key: only operations keys submit evidence. */
  ANCHOR_ERR_NOT_OPERATIONS_KEY: 403,
  ANCHOR_ERR_SUBMITTER_MISMATCH: 403,
  /**
   * The x-jl-submission-signature header is missing, malformed, or is not the request signer's
   * EvidenceSubmission signature over the root of the request's leaf hashes.
   */
  ANCHOR_ERR_SUBMISSION_SIGNATURE: 401,
  /** The member's records-per-second or records-per-day quota (governed parameters); `Retry-After` says when. */
  ANCHOR_ERR_QUOTA_EXCEEDED: 429,
  /** /metrics and /readyz: the configured bearer token is missing or wrong, or the caller's address is not allowed. */
  ANCHOR_ERR_OPS_UNAUTHORIZED: 401,
  ANCHOR_ERR_OPS_FORBIDDEN: 403,
  /** /metrics and /readyz: too many refused tokens from this address lately; `Retry-After` says when. */
  ANCHOR_ERR_OPS_RATE_LIMITED: 429,
  ANCHOR_ERR_UNKNOWN_LEAF: 404,
  ANCHOR_ERR_UNKNOWN_DIGEST: 404,
  /** GET /v1/timestamps/:treeSize for a head with no token stored or awaited. */
  ANCHOR_ERR_UNKNOWN_TIMESTAMP: 404,
  ANCHOR_ERR_NOT_ANCHORED: 409,
  /** GET /tile/…: not a canonical tlog-tiles path (level 0–63 or entries, x-grouped index, .p/1–255). */
  ANCHOR_ERR_BAD_TILE_PATH: 400,
  /** GET /tile/…: a tile or entry bundle (or partial width) the published tree does not hold yet. */
  ANCHOR_ERR_UNKNOWN_TILE: 404,
  /** GET /checkpoint before any checkpoint met the witness policy. */
  ANCHOR_ERR_NO_CHECKPOINT: 404,
  ANCHOR_ERR_BAD_RANGE: 400,
  ANCHOR_ERR_NOT_FOUND: 404,
  ANCHOR_ERR_CHAIN_UNAVAILABLE: 503,
  ANCHOR_ERR_SHUTTING_DOWN: 503,
  ANCHOR_ERR_STORAGE_UNAVAILABLE: 503,
} as const;

export type AnchorErrorCode = keyof typeof ANCHOR_ERRORS;

/** An error a client caused or can act on; rendered as `{ error: { code, message, details? } }`. */
export class AnchorError extends catalogueError(ANCHOR_ERRORS) {}

export function anchorError(code: AnchorErrorCode, message: string, details?: unknown): AnchorError {
  return new AnchorError(code, message, details);
}

/**
 * The data directory refused a read or write (disk full, read-only filesystem, I/O error):
 * LevelDB's errors, or the filesystem's own codes underneath them.
 */
export function isStorageFailure(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e !== undefined && e !== null && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (
      typeof e.code === "string" &&
      /^(LEVEL_IO_ERROR|LEVEL_DATABASE_NOT_OPEN|LEVEL_CORRUPTION|ENOSPC|EROFS|EIO|EDQUOT|EACCES|EPERM)$/.test(
        e.code,
      )
    )
      return true;
  }
  return false;
}

/** What a caller is told when the data directory refuses work: retry later, nothing was applied. */
export function storageUnavailable(error: unknown): AnchorError {
  return anchorError(
    "ANCHOR_ERR_STORAGE_UNAVAILABLE",
    `the service cannot use its data directory (${storageReason(error)}); nothing was applied, retry later`,
  );
}

/** The failure in a few words, without the server's file paths. */
export function storageReason(error: unknown): string {
  const text = [error, (error as { cause?: unknown })?.cause]
    .map((e) => (e instanceof Error ? e.message : String(e)))
    .join(" ");
  if (/no space left|ENOSPC|EDQUOT|quota/i.test(text)) return "no space left on its disk";
  if (/read-only|EROFS/i.test(text)) return "its filesystem is read-only";
  if (/permission|EACCES|EPERM/i.test(text)) return "permission denied";
  return "an I/O error";
}
