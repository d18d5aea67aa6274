// Errors of the staff room (back-office accounts, console sessions, the audit trail). Codes are
// stable; the node's error catalogue merges STAFF_ERRORS (code → HTTP status).
// Plain data: StaffError, thrown with these codes, is declared in ../errors.ts.

export const STAFF_ERRORS = {
  /** A console login with an unknown user, a wrong token or a disabled account (which of them is not said). */
  NODE_ERR_STAFF_LOGIN: 401,
  /** Too many refused console logins from this address lately; Retry-After says when to try again. */
  NODE_ERR_STAFF_LOGIN_RATE_LIMITED: 429,
  /** An account name that is already taken. */
  NODE_ERR_STAFF_EXISTS: 409,
  /** No account of that name. */
  NODE_ERR_STAFF_UNKNOWN: 404,
  /** An admin disabling, demoting or rotating away the last enabled admin (the node would have none). */
  NODE_ERR_STAFF_LAST_ADMIN: 409,
} as const;
