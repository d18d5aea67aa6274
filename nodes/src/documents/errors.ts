// Errors of the document store (影像平台). The node's error catalogue merges DOCUMENT_ERRORS
// (code → HTTP status). A document that does not authenticate surfaces as the privacy code
// NODE_ERR_DECRYPT (a PrivacyError from ../privacy/crypto-box.ts); callers branch on `code` either way.
// Plain data: DocumentError, thrown with these codes, is declared in ../errors.ts.

export const DOCUMENT_ERRORS = {
  /** No document with that id (or the id is not 0x + 64 hex digits). */
  NODE_ERR_DOCUMENT_NOT_FOUND: 404,
  /** The access policy refuses the actor (role, member, court assignment) or the actor or purpose is missing. */
  NODE_ERR_FORBIDDEN: 403,
  /** A document or query that is malformed: kind, bytes, size, owner, loanId/caseId, meta. */
  NODE_ERR_BAD_DOCUMENT: 400,
  /** Document metadata that names a personal-data field or holds an ID, phone or card number. */
  NODE_ERR_PII_IN_METADATA: 400,
} as const;
