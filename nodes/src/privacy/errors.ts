// Errors of the node's privacy code (borrower keys, account hashes, encryption at rest, key
// files). The node's error catalogue merges PRIVACY_ERRORS (code → HTTP status); callers and
// tests branch on `code`, never on message text. Messages never contain the personal data that
// failed: they say what is wrong with it ("check digit", "17 digits"), not what it was.
// Plain data: PrivacyError, thrown with these codes, is declared in ../errors.ts.

export const PRIVACY_ERRORS = {
  /** idType is not one of ID_TYPES. */
  NODE_ERR_UNKNOWN_ID_TYPE: 400,
  /** An ID number that is empty, malformed, has an impossible birth date or a wrong check digit. */
  NODE_ERR_BAD_ID_NUMBER: 400,
  /** A bank account with fewer than 8 or more than 32 digits. */
  NODE_ERR_BAD_ACCOUNT: 400,
  /** A key (consortium key, data key, master key) or salt of the wrong length or type. */
  NODE_ERR_BAD_KEY: 500,
  /** A sealed blob that does not authenticate: tampered, truncated, wrong key or wrong aad. */
  NODE_ERR_DECRYPT: 500,
  /** The master key file does not exist. */
  NODE_ERR_KEY_FILE_MISSING: 500,
  /** The master key file is readable or writable by group or others (must be 0600 or 0400). */
  NODE_ERR_KEY_FILE_PERMISSIONS: 500,
  /** createMasterKeyFile refused to overwrite an existing file. */
  NODE_ERR_KEY_FILE_EXISTS: 500,
} as const;
