// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IDisputeResolution} from "./IDisputeResolution.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";

/// @title DisputeResolution
/// @notice Overdue escalation and arbitration cases. See {IDisputeResolution}.
/// @dev The stage itself lives in the ledger's loan slot (cheap to update, and the ledger can
/// end an escalation during `repay`); this contract decides the moves and keeps the cases.
contract DisputeResolution is ConsortiumGoverned, IDisputeResolution {
    IJointLoanLedger private immutable _ledger;

    mapping(bytes32 loanId => Case) private _cases;
    mapping(bytes32 loanId => uint256) private _caseCount;
    Thresholds private _thresholds;

    constructor(IConsortiumRegistry registry_, IJointLoanLedger ledger_, Thresholds memory thresholds_)
        ConsortiumGoverned(registry_)
    {
        _ledger = ledger_;
        _setThresholds(thresholds_);
    }

    /// @inheritdoc IDisputeResolution
    function caseIdOf(bytes32 loanId, uint256 ordinal) public pure returns (bytes32) {
        return keccak256(abi.encode("JointLedger.case.v1", loanId, ordinal));
    }

    /// @inheritdoc IDisputeResolution
    function escalate(bytes32 loanId) external returns (IJointLoanLedger.DisputeStage) {
        if (!_registry.isActiveMember(msg.sender)) revert DisputeNotActiveMember(msg.sender);
        (uint256 daysPastDue, IJointLoanLedger.LoanState state, IJointLoanLedger.DisputeStage stage) =
            _ledger.overdue(loanId);
        if (state != IJointLoanLedger.LoanState.Active || stage >= IJointLoanLedger.DisputeStage.Arbitration) {
            return stage;
        }
        IJointLoanLedger.DisputeStage target = _stageFor(daysPastDue);
        if (target <= stage) return stage;
        _ledger.setDisputeStage(loanId, target);
        if (target == IJointLoanLedger.DisputeStage.Arbitration) _openCase(loanId);
        return target;
    }

    /// @inheritdoc IDisputeResolution
    function assignCourt(bytes32 loanId, uint32 court) external {
        (uint32 caller, IConsortiumRegistry.MemberStatus status) = _registry.memberStatusOf(msg.sender);
        (IConsortiumRegistry.MemberKind callerKind,,) = _registry.profileOf(caller);
        if (status != IConsortiumRegistry.MemberStatus.Active || callerKind != IConsortiumRegistry.MemberKind.Union) {
            revert DisputeNotUnion(msg.sender);
        }
        (IConsortiumRegistry.MemberKind kind, IConsortiumRegistry.MemberStatus courtStatus,) = _registry.profileOf(court);
        if (kind != IConsortiumRegistry.MemberKind.Court || courtStatus != IConsortiumRegistry.MemberStatus.Active) {
            revert DisputeNotCourt(court);
        }
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Arbitration);
        Case storage c = _cases[loanId];
        c.court = court;
        emit CourtAssigned(c.caseId, court);
    }

    /// @inheritdoc IDisputeResolution
    function acceptCase(bytes32 loanId) external {
        Case storage c = _requireCourt(loanId);
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Arbitration);
        c.acceptedAt = uint64(block.timestamp);
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Accepted);
        emit CaseAccepted(c.caseId, c.court);
    }

    /// @inheritdoc IDisputeResolution
    function recordRuling(bytes32 loanId, bytes32 ruling) external {
        if (ruling == 0) revert DisputeMissingRuling();
        Case storage c = _requireCourt(loanId);
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Accepted);
        c.ruling = ruling;
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Ruled);
        emit RulingRecorded(c.caseId, c.court, ruling);
    }

    /// @inheritdoc IDisputeResolution
    function closeCase(bytes32 loanId) external {
        Case storage c = _requireCourt(loanId);
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Ruled);
        c.closedAt = uint64(block.timestamp);
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Closed);
        emit CaseClosed(c.caseId, c.court);
    }

    /// @inheritdoc IDisputeResolution
    function setThresholds(Thresholds calldata thresholds_) external onlyGovernor {
        _setThresholds(thresholds_);
    }

    /// @inheritdoc IDisputeResolution
    function caseOf(bytes32 loanId) external view returns (Case memory) {
        return _cases[loanId];
    }

    /// @inheritdoc IDisputeResolution
    function thresholds() external view returns (Thresholds memory) {
        return _thresholds;
    }

    /// @notice The ledger this contract escalates.
    function ledger() external view returns (IJointLoanLedger) {
        return _ledger;
    }

    /// @notice 1.0.0: reminder, mediation, arbitration; court acceptance, ruling, closing.
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _openCase(bytes32 loanId) private {
        uint256 ordinal = _caseCount[loanId]++;
        bytes32 caseId = caseIdOf(loanId, ordinal);
        _cases[loanId] = Case({caseId: caseId, court: 0, triggeredAt: uint64(block.timestamp), acceptedAt: 0, closedAt: 0, ruling: 0});
        IJointLoanLedger.Loan memory entry = _ledger.loan(loanId);
        emit ArbitrationTriggered(caseId, loanId, entry.contractLeaf, entry.consentLeaf, _ledger.voucherChain(loanId));
    }

    function _stageFor(uint256 daysPastDue) private view returns (IJointLoanLedger.DisputeStage) {
        Thresholds memory t = _thresholds;
        if (daysPastDue >= t.arbitrationDays) return IJointLoanLedger.DisputeStage.Arbitration;
        if (daysPastDue >= t.mediationDays) return IJointLoanLedger.DisputeStage.Mediation;
        if (daysPastDue >= t.reminderDays) return IJointLoanLedger.DisputeStage.Reminder;
        return IJointLoanLedger.DisputeStage.None;
    }

    function _requireCourt(bytes32 loanId) private view returns (Case storage c) {
        c = _cases[loanId];
        (uint32 caller, IConsortiumRegistry.MemberStatus status) = _registry.memberStatusOf(msg.sender);
        if (c.court == 0 || caller != c.court || status != IConsortiumRegistry.MemberStatus.Active) {
            revert DisputeNotAssignedCourt(loanId, msg.sender, c.court);
        }
    }

    function _requireStage(bytes32 loanId, IJointLoanLedger.DisputeStage expected) private view {
        (,, IJointLoanLedger.DisputeStage stage) = _ledger.overdue(loanId);
        if (stage != expected) revert DisputeWrongStage(loanId, stage);
    }

    function _setThresholds(Thresholds memory t) private {
        if (t.reminderDays == 0 || t.mediationDays <= t.reminderDays || t.arbitrationDays <= t.mediationDays) {
            revert DisputeBadThresholds(t.reminderDays, t.mediationDays, t.arbitrationDays);
        }
        _thresholds = t;
        emit ThresholdsChanged(t);
    }
}
