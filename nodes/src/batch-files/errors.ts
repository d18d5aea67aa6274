// Errors of daily batch files. Codes are stable: callers and tests branch on them; the node's
// error catalogue merges BATCH_FILE_ERRORS (code → HTTP status).
// Plain data: BatchFileError, thrown with these codes, is declared in ../errors.ts.

export const BATCH_FILE_ERRORS = {
  /** One or more rows (or the header) do not validate: `details.rows` names each bad row's line, field and what is wrong; nothing of the file was queued. */
  NODE_ERR_BATCH_FILE_INVALID: 422,
  /** The file is larger than a batch file may be (rows or bytes). */
  NODE_ERR_BATCH_FILE_TOO_LARGE: 413,
  /** No batch with this id at this node. */
  NODE_ERR_BATCH_NOT_FOUND: 404,
} as const;
