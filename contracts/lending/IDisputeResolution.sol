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
///
/// Mediation's settlement: while the loan is in Mediation, its branch adopts the repayment plan
/// the borrower accepted (`adoptSettlement`) — the signed agreement's leaf registered in the
/// EvidenceRegistry about this loan, the outstanding principal unchanged, the plan's all-in cost
/// within the ledger's cap — and the ledger's schedule from the installment in progress on
/// becomes the plan's. Days past due then count on the plan: paying it on time ends the
/// escalation within `repay`, and an installment of the plan unpaid after its due day is a breach
/// that `escalate` takes straight to arbitration (an unperformed mediation agreement is filed).
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
    /// @notice Only an active operations account of the loan's branch adopts its settlement.
    error DisputeNotLoanBranch(bytes32 loanId, address caller, uint32 branch);
    /// @notice The agreement's leaf (`leafHash`) is not active in the consortium's EvidenceRegistry.
    error DisputeAgreementNotRegistered(bytes32 loanId, bytes32 leafHash);
    /// @notice The agreement's leaf is not a contract (kind 1) submitted by the loan's branch about
    /// this loan: its subject, submitter and kind as anchored.
    error DisputeAgreementNotForLoan(bytes32 loanId, bytes32 subject, uint32 submitter, uint8 kind);
    /// @notice The plan's principal is not the loan's outstanding principal.
    error DisputePrincipalChanged(bytes32 loanId, uint256 planPrincipal, uint256 outstanding);
    /// @notice The plan's all-in annual cost on the outstanding principal is above the ledger's cap
    /// (`allInAprBps` the smallest whole basis-point rate it is within).
    error DisputeAllInAprAboveCap(bytes32 loanId, uint256 allInAprBps, uint256 capBps);
    /// @notice Installment `index` of the plan is not due on the plan's monthly calendar from its
    /// start day (at most today), the first falls due by today, or the plan is empty or too long
    /// (`index` = its length).
    error DisputeBadSettlementSchedule(bytes32 loanId, uint256 index);

    /// @notice Arbitration was triggered: the case and the loan's evidence set, referenced by the
    /// ledger's evidence chain over the contract leaf, consent leaf and every voucher.
    event ArbitrationTriggered(bytes32 indexed caseId, bytes32 indexed loanId, bytes32 evidenceChain);
    event CourtAssigned(bytes32 indexed caseId, uint32 indexed court);
    event CaseAccepted(bytes32 indexed caseId, uint32 indexed court);
    event RulingRecorded(bytes32 indexed caseId, uint32 indexed court, bytes32 ruling);
    event CaseClosed(bytes32 indexed caseId, uint32 indexed court);
    event ThresholdsChanged(Thresholds thresholds);
    /// @notice The loan's schedule from installment `fromInstallment` on is `installments`, the
    /// settlement plan of the agreement `agreementLeaf`; `principal` is the outstanding principal
    /// it repays. (The ledger's entry emits nothing: its creation code has no bytes to spare.)
    event SettlementAdopted(
        bytes32 indexed loanId,
        bytes32 agreementLeaf,
        uint256 fromInstallment,
        uint256 principal,
        IJointLoanLedger.Installment[] installments
    );

    /// @notice The id of the case opened when the loan reached arbitration at `triggeredAt`:
    /// keccak256(abi.encode("JointLedger.case.v1", loanId, triggeredAt)). A loan can only reach
    /// arbitration again after the escalation ended, so each case of a loan has its own time.
    function caseIdOf(bytes32 loanId, uint256 triggeredAt) external pure returns (bytes32);

    /// @notice Move the loan as far as its days past due allow; no-op if nothing changes. A loan
    /// under an adopted settlement goes to arbitration as soon as an installment is past due.
    function escalate(bytes32 loanId) external returns (IJointLoanLedger.DisputeStage);

    /// @notice Assign a court to the loan's arbitration case (union only).
    function assignCourt(bytes32 loanId, uint32 court) external;

    /// @notice The assigned court accepts the case.
    function acceptCase(bytes32 loanId) external;

    /// @notice The assigned court records its ruling's digest.
    function recordRuling(bytes32 loanId, bytes32 ruling) external;

    /// @notice The assigned court closes the case.
    function closeCase(bytes32 loanId) external;

    /// @notice Adopt the mediation's settlement as the loan's schedule (the loan's branch, while
    /// the loan is active and in Mediation): `agreementLeaf` is the 224-byte leaf of the signed
    /// agreement — a contract (kind 1) of the branch about this loan, active in the EvidenceRegistry
    /// the consortium registry names; `installments` replace the schedule from the installment in
    /// progress on, due monthly from `startDay` (the plan's start, at most today; the first due
    /// after today), their principal the outstanding principal, their all-in annual cost on it
    /// within the ledger's cap. What was paid of the installment in progress and its penalty are
    /// cleared (the plan carries what was owed), and the loan keeps no headroom under the cap for
    /// paying ahead. Errors: DisputeNotLoanBranch, DisputeWrongStage, DisputeAgreementNotForLoan,
    /// DisputeAgreementNotRegistered, DisputeBadSettlementSchedule, DisputePrincipalChanged,
    /// DisputeAllInAprAboveCap.
    function adoptSettlement(
        bytes32 loanId,
        bytes calldata agreementLeaf,
        uint16 startDay,
        IJointLoanLedger.Installment[] calldata installments
    ) external;

    /// @notice The leaf hash of the agreement whose plan is the loan's schedule (zero if none).
    function settlementOf(bytes32 loanId) external view returns (bytes32);

    /// @notice Set the stage thresholds (governor only).
    function setThresholds(Thresholds calldata thresholds) external;

    /// @notice The loan's current (or last) arbitration case.
    function caseOf(bytes32 loanId) external view returns (Case memory);

    /// @notice The thresholds in force.
    function thresholds() external view returns (Thresholds memory);
}
