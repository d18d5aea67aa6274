// Errors of the channel adapters. Every detail names the offending field in the CHANNEL's own
// shape ("daikuan.jine", "loan_amt", a CSV column), because that is what the platform's engineers
// can fix. Messages never repeat personal data (names, ID numbers, phones, accounts): they end up
// in logs (DOMAIN.md, "Privacy").
import { catalogueError } from "../../../common/errors.ts";

/** Code → HTTP status, for the node's error catalogue. */
export const CHANNEL_ERRORS = {
  NODE_ERR_UNKNOWN_CHANNEL: 404,
  NODE_ERR_CHANNEL_VALIDATION: 400,
  NODE_ERR_MONEY_PRECISION: 400,
  NODE_ERR_BAD_ID_NUMBER: 400,
  NODE_ERR_CSV: 400,
} as const;

export type ChannelErrorCode = keyof typeof CHANNEL_ERRORS;

export type ChannelErrorDetail = {
  /** The field in the channel's shape: "daikuan.feiyong[0].jine", "loan_amt", a CSV column. */
  field: string;
  message: string;
  /** CSV only: the 1-based line the record starts on (the header is row 1). */
  row?: number;
  /** CSV only: the 1-based column index. */
  column?: number;
  /** CSV batches only: the code the row would have failed with on its own. */
  code?: ChannelErrorCode;
};

export class ChannelError extends catalogueError(CHANNEL_ERRORS, (): ChannelErrorDetail[] => []) {}

/** Throws a single-field error whose message starts with the field: "loan_amt: …". */
export function fieldError(code: ChannelErrorCode, field: string, message: string): never {
  throw new ChannelError(code, `${field}: ${message}`, [{ field, message }]);
}
