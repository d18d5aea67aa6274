// The institution node's one error catalogue: its own codes plus every module's (channels,
// privacy, documents, bureau, reconciliation, outbox), each with its HTTP status. A module error
// reaches the client with its code and message unchanged; anything else is a 500.
import { catalogueError, CodedError } from "../../common/errors.ts";
import { BUREAU_ERROR_STATUS } from "./bureau/bureau.ts";
import { BATCH_FILE_ERRORS } from "./batch-files/errors.ts";
import { CHANNEL_ERRORS } from "./channels/errors.ts";
import { DOCUMENT_ERRORS } from "./documents/errors.ts";
import { E_CONTRACT_ERRORS } from "./e-contract/errors.ts";
export { EContractError, type EContractErrorCode } from "./e-contract/errors.ts";
import { MEDIATION_ERRORS } from "./mediation/errors.ts";
import { OUTBOX_ERRORS } from "./outbox/errors.ts";
import { PRIVACY_ERRORS } from "./privacy/errors.ts";
import { RECONCILE_ERRORS } from "./reconcile/errors.ts";
import { STAFF_ERRORS } from "./staff/errors.ts";
import { WITNESS_ERRORS } from "./witness/errors.ts";

export const NODE_OWN_ERRORS = {
  NODE_ERR_AUTH: 401,
  NODE_ERR_ROLE: 403,
  NODE_ERR_VALIDATION: 400,
  NODE_ERR_BAD_JSON: 400,
  /** A signed node-to-node JSON body names one key twice (JSON.parse would keep the last; the path in details). */
  NODE_ERR_DUPLICATE_KEY: 400,
  NODE_ERR_NOT_FOUND: 404,
  NODE_ERR_UNKNOWN_APPLICATION: 404,
  NODE_ERR_UNKNOWN_LOAN: 404,
  NODE_ERR_NO_BRANCH_FOR_REGION: 422,
  /** The loan's all-in annual cost (interest and every fee) is above the ledger's cap (figure in details). */
  NODE_ERR_ALL_IN_APR_ABOVE_CAP: 422,
  /** A platform's node does not agree to a joint loan's terms: not the loan of an application it submitted (the term in the message). */
  NODE_ERR_AGREEMENT_REFUSED: 409,
  /** A joint loan needs its platform's agreement, and this node's directory lists no node for that platform. */
  NODE_ERR_NO_PLATFORM_NODE: 422,
  NODE_ERR_WRONG_MEMBER_KIND: 409,
  /** A mandate's agent is not an operations account of another active member (its registry entry in details). */
  NODE_ERR_BAD_MANDATE_AGENT: 422,
  /** This node is not the loan's branch and holds no unexpired mandate for it (a settlement or cancellation the ledger would refuse). */
  NODE_ERR_NO_MANDATE: 403,
  /** A branch quota above governance's ceiling (field, value and ceiling in details; the ledger's LedgerLimitAboveCeiling). */
  NODE_ERR_LIMIT_ABOVE_CEILING: 422,
  /** The write needs the branch's governance-role key and the node has none (NODE_GOVERNANCE_KEYSTORE_FILE). */
  NODE_ERR_NO_GOVERNANCE_KEY: 409,
  /** The loan's state on chain does not allow this step (its state in details): settling a loan that is not active, cancelling a settled one. */
  NODE_ERR_LOAN_STATE: 409,
  /** A loan cannot be cancelled once any of it is disbursed (the chain's LedgerPartlyDisbursed / LedgerWrongState; details). */
  NODE_ERR_LOAN_DISBURSED: 409,
  /** An early settlement's amount is not what settles the loan today (the amount owed, by part, in details). */
  NODE_ERR_SETTLEMENT_MISMATCH: 409,
  /** An approval's entrusted payee the node refuses: the borrower's own account under another name. */
  NODE_ERR_BAD_PAYEE: 422,
  /** A disbursement names a destination other than the loan's receiving account bound on chain (which account it is, as a salted hash, in details). */
  NODE_ERR_RECEIVING_ACCOUNT_MISMATCH: 422,
  /** A disbursement's source is not this funder's own whitelisted settlement account (the ledger's LedgerAccountNotWhitelisted; funder and account in details). */
  NODE_ERR_ACCOUNT_NOT_WHITELISTED: 422,
  /** This node's member is not the loan's branch or one of its funders, as the step requires (the loan's funders in details). */
  NODE_ERR_NOT_FUNDER: 403,
  /** An income split that does not name exactly the joint loan's funders with shares summing to 10,000 bps (the ledger's LedgerBadIncomeSplit; details). */
  NODE_ERR_BAD_INCOME_SPLIT: 422,
  /** A partial prepayment the ledger would refuse: zero, not below the principal outstanding, or an unknown mode (its figures in details). */
  NODE_ERR_BAD_PREPAYMENT: 422,
  /** A partial prepayment while the installment in progress is partly paid, owes penalty or is past due (the ledger's LedgerInstallmentOpen; the installment in details). */
  NODE_ERR_INSTALLMENT_OPEN: 409,
  /** A prepayment fee above what the all-in cap allows today (the ledger's LedgerPrepaymentFeeAboveCap; fee and the most that fits in details). */
  NODE_ERR_PREPAYMENT_FEE_ABOVE_CAP: 422,
  /** The amount received for a partial prepayment is not what it takes today (the figure by part in details; the ledger's LedgerPrepaymentMismatch). */
  NODE_ERR_PREPAYMENT_MISMATCH: 409,
  /** Approval of an application without an approving credit decision (none yet, or referred and not reviewed). */
  NODE_ERR_DECISION_REQUIRED: 409,
  /** Approval of an application whose credit decision declined it. */
  NODE_ERR_DECISION_DECLINED: 409,
  /** A second automatic decision for an application already decided. */
  NODE_ERR_DECISION_EXISTS: 409,
  /** A manual answer for an application not waiting in the review queue. */
  NODE_ERR_DECISION_NOT_REFERRED: 409,
  /** The maker of an approval tried to be its checker too. */
  NODE_ERR_SAME_APPROVER: 409,
  /** No anchored credit query within the policy's freshness window (or its report is unreadable). */
  NODE_ERR_CREDIT_QUERY_STALE: 409,
  /** The consent a decision or approval rests on is not anchored, has expired or does not cover the credit query. */
  NODE_ERR_DECISION_CONSENT: 409,
  /** An approval naming a consent leaf other than the one its credit query was made under. */
  NODE_ERR_CONSENT_MISMATCH: 409,
  /** A credit policy that breaks the policy schema. */
  NODE_ERR_BAD_POLICY: 422,
  /** A new credit policy whose version is not the next one. */
  NODE_ERR_POLICY_VERSION: 409,
  NODE_ERR_UNKNOWN_DECISION: 404,
  NODE_ERR_ANCHOR_UNAVAILABLE: 503,
  NODE_ERR_CHAIN_UNAVAILABLE: 503,
  /** The chain endpoints the court's package check asks answered a loan's facts differently at one block (both endpoints and the fact in details): not verified, never a pass. */
  NODE_ERR_CHAIN_DISAGREEMENT: 502,
  /** A signed verification certificate was asked of a node that has no seal to sign it with (NODE_SEAL_CERTIFICATE_FILE, NODE_SEAL_KEY_FILE). */
  NODE_ERR_NO_SEAL: 409,
  /** The console asked for member names and the node has no governed directory to give (none configured, none governed, or not the governed file). */
  NODE_ERR_NO_MEMBER_DIRECTORY: 409,
  /** Another member's node is not in this node's directory, or does not answer. */
  NODE_ERR_PEER_UNAVAILABLE: 503,
  /** Another member's node refused the request (its code and status in details). */
  NODE_ERR_PEER_REFUSED: 502,
  /** The loan's dispute stage does not allow this step yet (or any more). */
  NODE_ERR_CASE_STAGE: 409,
  /** The loan's arbitration case is not assigned to this court (or to no court yet). */
  NODE_ERR_CASE_NOT_ASSIGNED: 409,
  /** The chain refused a write this request made through the outbox (the contract's error in details). */
  NODE_ERR_CHAIN_REFUSED: 409,
  /** The chain write did not settle within the wait; it stays in the outbox and completes later. */
  NODE_ERR_OUTBOX_PENDING: 504,
  /** A signed node-to-node request names another member's node as its target (421 Misdirected Request). */
  NODE_ERR_WRONG_TARGET: 421,
  /** Too many refused API tokens from this address lately; Retry-After says when to try again. */
  NODE_ERR_AUTH_RATE_LIMITED: 429,
  /** Too many verification certificates asked for from this address lately (POST /verify/reports); Retry-After says when. */
  NODE_ERR_REPORT_RATE_LIMITED: 429,
  /** The body is larger than the route accepts (the limit in details); answered without cutting the connection. */
  NODE_ERR_BODY_TOO_LARGE: 413,
  /** /metrics or /readyz without the configured metrics token (NODE_METRICS_TOKEN). */
  NODE_ERR_OPS_UNAUTHORIZED: 401,
  /** /metrics or /readyz from an address not in NODE_METRICS_ALLOWED_ADDRESSES. */
  NODE_ERR_OPS_FORBIDDEN: 403,
} as const;

export const NODE_ERRORS: Readonly<Record<string, number>> = Object.freeze({
  ...CHANNEL_ERRORS,
  ...PRIVACY_ERRORS,
  ...DOCUMENT_ERRORS,
  ...E_CONTRACT_ERRORS,
  ...MEDIATION_ERRORS,
  ...BUREAU_ERROR_STATUS,
  ...RECONCILE_ERRORS,
  ...OUTBOX_ERRORS,
  ...WITNESS_ERRORS,
  ...STAFF_ERRORS,
  ...BATCH_FILE_ERRORS,
  ...NODE_OWN_ERRORS,
});

// Each room's error class over its table (the rooms' errors.ts hold only data), so the class and
// code-type boilerplate stands once, here, next to the catalogue that merges the tables.
export class BatchFileError extends catalogueError(BATCH_FILE_ERRORS) {}
export class DocumentError extends catalogueError(DOCUMENT_ERRORS) {}
export class MediationError extends catalogueError(MEDIATION_ERRORS) {}
export class OutboxError extends catalogueError(OUTBOX_ERRORS) {}
export class PrivacyError extends catalogueError(PRIVACY_ERRORS) {}
export class StaffError extends catalogueError(STAFF_ERRORS) {}

export type BatchFileErrorCode = keyof typeof BATCH_FILE_ERRORS;
export type DocumentErrorCode = keyof typeof DOCUMENT_ERRORS;
export type MediationErrorCode = keyof typeof MEDIATION_ERRORS;
export type OutboxErrorCode = keyof typeof OUTBOX_ERRORS;
export type PrivacyErrorCode = keyof typeof PRIVACY_ERRORS;
export type StaffErrorCode = keyof typeof STAFF_ERRORS;

export type NodeOwnErrorCode = keyof typeof NODE_OWN_ERRORS;

export class NodeError extends CodedError<NodeOwnErrorCode> {
  readonly details: unknown;

  constructor(code: NodeOwnErrorCode, message: string, details?: unknown) {
    super(code, message);
    this.details = details;
  }
}

export function nodeError(code: NodeOwnErrorCode, message: string, details?: unknown): NodeError {
  return new NodeError(code, message, details);
}

/** Any catalogue's coded error (`instanceof` alone would type its code as any). */
export function isCodedError(error: unknown): error is CodedError<string> {
  return error instanceof CodedError;
}

/** Status and body for any error a route can throw; undefined for a bug (500). */
export function renderError(
  error: unknown,
): { status: number; body: { error: { code: string; message: string; details?: unknown } } } | undefined {
  if (!isCodedError(error)) return undefined;
  // a node-to-node request whose signature, expiry or headers are wrong (common/auth)
  if (error.code.startsWith("AUTH_"))
    return {
      status: 401,
      body: { error: { code: "NODE_ERR_AUTH", message: error.message, details: { auth: error.code } } },
    };
  const status = NODE_ERRORS[error.code];
  if (status === undefined) return undefined;
  const details = (error as { details?: unknown }).details;
  const hasDetails = details !== undefined && !(Array.isArray(details) && details.length === 0);
  return {
    status,
    body: { error: { code: error.code, message: error.message, ...(hasDetails ? { details } : {}) } },
  };
}
