// The witness's refusals, with the HTTP statuses c2sp.org/tlog-witness assigns them.
import { catalogueError } from "../../../common/errors.ts";

export const WITNESS_ERRORS = {
  /** The request body is not `old <size>`, proof lines, a blank line and a checkpoint; or old size > checkpoint size. */
  NODE_ERR_WITNESS_BAD_REQUEST: 400,
  /** No signature from the origin's log key, or one that does not verify. */
  NODE_ERR_WITNESS_FORBIDDEN: 403,
  /** The checkpoint's origin is not a log this witness follows. */
  NODE_ERR_WITNESS_UNKNOWN_LOG: 404,
  /** The old size is not the size this witness last cosigned (that size is the 409 body). */
  NODE_ERR_WITNESS_CONFLICT: 409,
  /** The consistency proof does not verify, or a same-size checkpoint has another root: a fork or a rollback. */
  NODE_ERR_WITNESS_INCONSISTENT: 422,
} as const;

export class WitnessError extends catalogueError(WITNESS_ERRORS, (): { size?: number } => ({})) {}
