// Errors of the electronic contract room (电子合同). Codes are stable: callers and tests branch on
// them; the node's error catalogue merges E_CONTRACT_ERRORS (code → HTTP status).
// Its error class stands here rather than in ../errors.ts because the court's page bundles the
// contract verifier for the browser, and ../errors.ts reaches Node-only modules.
import { catalogueError } from "../../../common/errors.ts";

export const E_CONTRACT_ERRORS = {
  /** Contract terms that cannot make a contract: a schedule, fee or figure the lending code refuses (its message). */
  NODE_ERR_CONTRACT_BAD_TERMS: 422,
  /** Not a PDF, or a PDF with no signature at all. */
  NODE_ERR_CONTRACT_UNSIGNED: 422,
  /** A signature whose byte range or CMS does not parse, covers a gap other than its own value, or lacks a signing time. */
  NODE_ERR_CONTRACT_MALFORMED_SIGNATURE: 422,
  /** The bytes a signature covers no longer hash to the digest it signed: the document changed after signing. */
  NODE_ERR_CONTRACT_DIGEST_MISMATCH: 422,
  /** The CMS signature does not verify under its signer's certificate. */
  NODE_ERR_CONTRACT_BAD_SIGNATURE: 422,
  /** A signer's certificate does not chain to a configured trust anchor. */
  NODE_ERR_CONTRACT_UNTRUSTED_CA: 422,
  /** A signer's certificate was not valid at the signing time the signature claims. */
  NODE_ERR_CONTRACT_CERT_NOT_VALID: 422,
  /** Bytes after the last signature: something was added that nobody signed. */
  NODE_ERR_CONTRACT_UNSIGNED_CHANGES: 422,
  /** A later signature's incremental update changes what an earlier signer signed (an object re-defined, or a visible annotation added). */
  NODE_ERR_CONTRACT_CHANGED_AFTER_SIGNING: 422,
  /** No valid signature by a borrower signing certificate. */
  NODE_ERR_CONTRACT_MISSING_BORROWER_SIGNATURE: 422,
  /** No valid seal by a branch seal certificate. */
  NODE_ERR_CONTRACT_MISSING_BRANCH_SEAL: 422,
  /** A platform's node does not endorse a contract: not the contract leaf of a loan of that branch it co-funds, or not the branch's registered evidence. */
  NODE_ERR_ENDORSEMENT_REFUSED: 409,
} as const;

export class EContractError extends catalogueError(E_CONTRACT_ERRORS) {}
export type EContractErrorCode = keyof typeof E_CONTRACT_ERRORS;
