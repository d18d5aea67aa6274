// The DisputeResolution fragments the outbox uses: the writes of the overdue road (escalate,
// assignCourt, acceptCase, recordRuling, closeCase), the case view it reads to find a write's
// effect on chain, and every custom error (so a revert decodes to its name and arguments).
// Kept by hand like ledger-abi.ts; test/nodes/outbox/outbox.test.ts checks each fragment against
// the compiled artifact.

const CASE = "tuple(bytes32 caseId, uint32 court, uint40 triggeredAt, uint40 acceptedAt, uint40 closedAt, bytes32 ruling)";

export const DISPUTE_RESOLUTION_ABI = [
  "function escalate(bytes32 loanId) returns (uint8)",
  "function assignCourt(bytes32 loanId, uint32 court)",
  "function acceptCase(bytes32 loanId)",
  "function recordRuling(bytes32 loanId, bytes32 ruling)",
  "function closeCase(bytes32 loanId)",
  `function caseOf(bytes32 loanId) view returns (${CASE})`,
  "error DisputeNotActiveMember(address account)",
  "error DisputeNotUnion(address account)",
  "error DisputeNotCourt(uint32 memberId)",
  "error DisputeNotAssignedCourt(bytes32 loanId, address caller, uint32 assignedCourt)",
  "error DisputeWrongStage(bytes32 loanId, uint8 stage)",
  "error DisputeBadThresholds(uint256 reminderDays, uint256 mediationDays, uint256 arbitrationDays)",
  "error DisputeMissingRuling()",
  "error ConsortiumNotGovernor(address caller, address governor)",
] as const;

/** IJointLoanLedger.DisputeStage, in enum order. */
export const DISPUTE_STAGES = ["None", "Reminder", "Mediation", "Arbitration", "Accepted", "Ruled", "Closed"] as const;
