// Errors of the mediation room (调解). Codes are stable; the node's error catalogue merges
// MEDIATION_ERRORS (code → HTTP status).
// Plain data: MediationError, thrown with these codes, is declared in ../errors.ts.

export const MEDIATION_ERRORS = {
  /** The loan has no mediation case on this node. */
  NODE_ERR_NO_MEDIATION: 404,
  /** The loan is another member's: its branch's node holds its mediation case (the branch in details). */
  NODE_ERR_MEDIATION_HELD_BY_BRANCH: 404,
  /** The case is not in a state that takes this step (its status in details): an answer to a case already answered or lapsed. */
  NODE_ERR_MEDIATION_STATE: 409,
  /** A signed agreement that is not the case's agreement as the node drafted it (signed bytes must extend the draft). */
  NODE_ERR_MEDIATION_AGREEMENT_MISMATCH: 422,
  /** The node has no trust anchors for signed documents, so it cannot check a signed agreement. */
  NODE_ERR_MEDIATION_SIGNING_OFF: 409,
} as const;
