// Errors of reconciliation, credit reporting and the contact window. A books file that is not a
// readable CSV (quotes, header, field counts) fails with the CSV reader's ChannelError
// NODE_ERR_CSV (../channels/csv.ts); a readable file's bad rows are not errors but error rows
// of the reconciliation report.
import { catalogueError } from "../../../common/errors.ts";

/** Code → HTTP status, for the node's error catalogue. */
export const RECONCILE_ERRORS = {
  NODE_ERR_RECONCILE_INPUT: 400,
  NODE_ERR_CREDIT_REPORT_INPUT: 400,
  NODE_ERR_BAD_TIME: 400,
} as const;

export type ReconcileErrorCode = keyof typeof RECONCILE_ERRORS;

export type ReconcileErrorDetail = { index?: number; field: string; message: string };

export class ReconcileError extends catalogueError(RECONCILE_ERRORS, (): ReconcileErrorDetail[] => []) {}
