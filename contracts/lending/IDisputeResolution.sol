// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";

/// @title IDisputeResolution
/// @notice The road from an overdue installment to a court: any active member's
/// keeper calls `escalate`, which moves the loan through reminder (≥ 3 days past the earliest
/// unpaid due day) → mediation (≥ 7) → arbitration (≥ 15); thresholds are governed parameters.
/// Arbitration opens a case carrying the loan's evidence chain (committing to the contract leaf,
/// consent leaf and every fund-flow voucher); the union assigns a court member, which accepts the
/// case, records a ruling digest and closes it. Repaying everything late before acceptance ends
/// the escalation (the ledger does that within `repay`).
interface IDisputeResolution is IConsortiumGoverned {
    /// @notice Days past due that trigger each stage.
    struct Thresholds {
        uint16 reminderDays;
        uint16 mediationDays;
        uint16 arbitrationDays;
    }

    /// @notice An arbitration case (caseId zero if the loan never reached arbitration).
    struct Case {
        bytes32 caseId;
        uint32 court;
        uint40 triggeredAt;
        uint40 acceptedAt;
        uint40 closedAt;
        bytes32 ruling;
    }

    /// @notice `account` is not an operations account of an active member.
    error DisputeNotActiveMember(address account);
    /// @notice Only an operations account of the union may assign courts.
    error DisputeNotUnion(address account);
    /// @notice `memberId` is not an active court.
    error DisputeNotCourt(uint32 memberId);
    /// @notice The caller is not an operations account of the court assigned to the loan's case.
    error DisputeNotAssignedCourt(bytes32 loanId, address caller, uint32 assignedCourt);
    /// @notice The loan's case is in stage `stage`, which does not allow this.
    error DisputeWrongStage(bytes32 loanId, IJointLoanLedger.DisputeStage stage);
    /// @notice Thresholds must be positive and strictly increasing.
    error DisputeBadThresholds(uint256 reminderDays, uint256 mediationDays, uint256 arbitrationDays);
    /// @notice A ruling digest must be non-zero.
    error DisputeMissingRuling();

    /// @notice Arbitration was triggered: the case and the loan's evidence set, referenced by the
    /// ledger's evidence chain over the contract leaf, consent leaf and every voucher.
    event ArbitrationTriggered(bytes32 indexed caseId, bytes32 indexed loanId, bytes32 evidenceChain);
    event CourtAssigned(bytes32 indexed caseId, uint32 indexed court);
    event CaseAccepted(bytes32 indexed caseId, uint32 indexed court);
    event RulingRecorded(bytes32 indexed caseId, uint32 indexed court, bytes32 ruling);
    event CaseClosed(bytes32 indexed caseId, uint32 indexed court);
    event ThresholdsChanged(Thresholds thresholds);

    /// @notice The id of the case opened when the loan reached arbitration at `triggeredAt`:
    /// keccak256(abi.encode("JointLedger.case.v1", loanId, triggeredAt)). A loan can only reach
    /// arbitration again after the escalation ended, so each case of a loan has its own time.
    function caseIdOf(bytes32 loanId, uint256 triggeredAt) external pure returns (bytes32);

    /// @notice Move the loan as far as its days past due allow; no-op if nothing changes.
    function escalate(bytes32 loanId) external returns (IJointLoanLedger.DisputeStage);

    /// @notice Assign a court to the loan's arbitration case (union only).
    function assignCourt(bytes32 loanId, uint32 court) external;

    /// @notice The assigned court accepts the case.
    function acceptCase(bytes32 loanId) external;

    /// @notice The assigned court records its ruling's digest.
    function recordRuling(bytes32 loanId, bytes32 ruling) external;

    /// @notice The assigned court closes the case.
    function closeCase(bytes32 loanId) external;

    /// @notice Set the stage thresholds (governor only).
    function setThresholds(Thresholds calldata thresholds) external;

    /// @notice The loan's current (or last) arbitration case.
    function caseOf(bytes32 loanId) external view returns (Case memory);

    /// @notice The thresholds in force.
    function thresholds() external view returns (Thresholds memory);
}
