// The outbox's error codes: stable codes a caller branches on, each with the HTTP status the
// node's API answers with. Messages say what to fix; tests assert codes, never message text.
// Plain data: OutboxError, thrown with these codes, is declared in ../errors.ts.

export const OUTBOX_ERRORS = {
  /** The serial is taken by an entry with different kind or arguments. */
  NODE_ERR_OUTBOX_CONFLICT: 409,
  /** Kind, serial or arguments do not validate. */
  NODE_ERR_OUTBOX_BAD_ENTRY: 400,
  /** No entry with this serial. */
  NODE_ERR_OUTBOX_UNKNOWN: 404,
  /** The operation needs the entry in another state (e.g. requeue of an entry that is not failed). */
  NODE_ERR_OUTBOX_WRONG_STATE: 409,
  /** A sender is already working on this outbox in this process. */
  NODE_ERR_OUTBOX_SENDER_ACTIVE: 409,
  /** The outbox is closing and takes no new entries. */
  NODE_ERR_OUTBOX_CLOSED: 503,
} as const;
