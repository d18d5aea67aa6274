// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IEvidenceRegistry} from "../evidence/IEvidenceRegistry.sol";
import {AllInCost} from "../libraries/AllInCost.sol";
import {LoanPacking} from "../libraries/LoanPacking.sol";
import {MerkleLog} from "../libraries/MerkleLog.sol";
import {IDisputeResolution} from "./IDisputeResolution.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";
import {ILedgerSettlement} from "./ILedgerSettlement.sol";

/// @title DisputeResolution
/// @notice Overdue escalation and arbitration cases. See {IDisputeResolution}.
/// @dev The stage and the time it last changed live in the ledger's loan slot (cheap to update,
/// and the ledger can end an escalation during `repay`); this contract decides the moves and
/// keeps the cases. Reaching arbitration writes nothing here: the case id derives from the
/// trigger time, and the case record is written when the union assigns a court, which keeps
/// every `escalate` within a stage move's gas.
contract DisputeResolution is ConsortiumGoverned, IDisputeResolution {
    /// @dev The ledger's own limit on a schedule's length (LoanTermsVerifier).
    uint256 private constant _MAX_INSTALLMENTS = 60;
    /// @dev The leaf kind of a signed contract (common/formats/leaf/LEAF.md).
    uint8 private constant _CONTRACT_KIND = 1;

    IJointLoanLedger private immutable _ledger;

    /// @dev One slot per case: court, trigger, acceptance and closing times.
    struct CaseRecord {
        uint32 court;
        uint40 triggeredAt;
        uint40 acceptedAt;
        uint40 closedAt;
    }

    mapping(bytes32 loanId => CaseRecord) private _cases;
    mapping(bytes32 loanId => bytes32) private _rulings;
    Thresholds private _thresholds;
    mapping(bytes32 loanId => bytes32 agreementLeaf) private _settlements;

    constructor(IConsortiumRegistry registry_, IJointLoanLedger ledger_, Thresholds memory thresholds_)
        ConsortiumGoverned(registry_)
    {
        _ledger = ledger_;
        _setThresholds(thresholds_);
    }

    /// @inheritdoc IDisputeResolution
    function caseIdOf(bytes32 loanId, uint256 triggeredAt) public pure returns (bytes32) {
        return keccak256(abi.encode("JointLedger.case.v1", loanId, triggeredAt));
    }

    /// @inheritdoc IDisputeResolution
    function escalate(bytes32 loanId) external returns (IJointLoanLedger.DisputeStage) {
        (, IConsortiumRegistry.MemberStatus status) = _operations();
        if (status != IConsortiumRegistry.MemberStatus.Active) revert DisputeNotActiveMember(msg.sender);
        (uint256 daysPastDue, IJointLoanLedger.LoanState state, IJointLoanLedger.DisputeStage stage) =
            _ledger.overdue(loanId);
        if (state != IJointLoanLedger.LoanState.Active || stage >= IJointLoanLedger.DisputeStage.Arbitration) {
            return stage;
        }
        // an installment of an adopted settlement unpaid after its due day is a breach: no second mediation
        IJointLoanLedger.DisputeStage target = _settlements[loanId] != 0 && daysPastDue != 0
            ? IJointLoanLedger.DisputeStage.Arbitration
            : _stageFor(daysPastDue);
        if (target <= stage) return stage;
        _ledger.setDisputeStage(loanId, target);
        if (target == IJointLoanLedger.DisputeStage.Arbitration) {
            emit ArbitrationTriggered(caseIdOf(loanId, block.timestamp), loanId, _ledger.evidenceChain(loanId));
        }
        return target;
    }

    /// @inheritdoc IDisputeResolution
    function assignCourt(bytes32 loanId, uint32 court) external {
        (uint32 caller, IConsortiumRegistry.MemberStatus status) = _operations();
        (IConsortiumRegistry.MemberKind callerKind,,) = _registry.profileOf(caller);
        if (status != IConsortiumRegistry.MemberStatus.Active || callerKind != IConsortiumRegistry.MemberKind.Union) {
            revert DisputeNotUnion(msg.sender);
        }
        (IConsortiumRegistry.MemberKind kind, IConsortiumRegistry.MemberStatus courtStatus,) = _registry.profileOf(court);
        if (kind != IConsortiumRegistry.MemberKind.Court || courtStatus != IConsortiumRegistry.MemberStatus.Active) {
            revert DisputeNotCourt(court);
        }
        IJointLoanLedger.Loan memory entry = _ledger.loan(loanId);
        if (entry.stage != IJointLoanLedger.DisputeStage.Arbitration) revert DisputeWrongStage(loanId, entry.stage);
        // reached arbitration at stageChangedAt; a re-assignment keeps that time
        _cases[loanId] = CaseRecord({court: court, triggeredAt: entry.stageChangedAt, acceptedAt: 0, closedAt: 0});
        emit CourtAssigned(caseIdOf(loanId, entry.stageChangedAt), court);
    }

    /// @inheritdoc IDisputeResolution
    function acceptCase(bytes32 loanId) external {
        CaseRecord storage c = _requireCourt(loanId);
        IJointLoanLedger.Loan memory entry = _ledger.loan(loanId);
        if (entry.stage != IJointLoanLedger.DisputeStage.Arbitration) revert DisputeWrongStage(loanId, entry.stage);
        // a court assigned to an earlier, cured case of this loan is not assigned to this one
        if (c.triggeredAt != entry.stageChangedAt) revert DisputeNotAssignedCourt(loanId, msg.sender, 0);
        c.acceptedAt = uint40(block.timestamp);
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Accepted);
        emit CaseAccepted(caseIdOf(loanId, c.triggeredAt), c.court);
    }

    /// @inheritdoc IDisputeResolution
    function recordRuling(bytes32 loanId, bytes32 ruling) external {
        if (ruling == 0) revert DisputeMissingRuling();
        CaseRecord storage c = _requireCourt(loanId);
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Accepted);
        _rulings[loanId] = ruling;
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Ruled);
        emit RulingRecorded(caseIdOf(loanId, c.triggeredAt), c.court, ruling);
    }

    /// @inheritdoc IDisputeResolution
    function closeCase(bytes32 loanId) external {
        CaseRecord storage c = _requireCourt(loanId);
        _requireStage(loanId, IJointLoanLedger.DisputeStage.Ruled);
        c.closedAt = uint40(block.timestamp);
        _ledger.setDisputeStage(loanId, IJointLoanLedger.DisputeStage.Closed);
        emit CaseClosed(caseIdOf(loanId, c.triggeredAt), c.court);
    }

    /// @inheritdoc IDisputeResolution
    function adoptSettlement(
        bytes32 loanId,
        bytes calldata agreementLeaf,
        uint16 startDay,
        IJointLoanLedger.Installment[] calldata installments
    ) external {
        (uint32 branch, uint256 next, uint256 outstanding) = _inMediation(loanId);
        bytes32 leafHash = _registeredAgreement(loanId, branch, agreementLeaf);
        _checkPlan(loanId, startDay, installments, next, outstanding);
        _settlements[loanId] = leafHash;
        uint256 count = next + installments.length;
        ILedgerSettlement(address(_ledger)).replaceSchedule(loanId, count, _scheduleWords(loanId, next, installments));
        emit SettlementAdopted(loanId, leafHash, next, outstanding, installments);
    }

    /// @inheritdoc IDisputeResolution
    function settlementOf(bytes32 loanId) external view returns (bytes32) {
        return _settlements[loanId];
    }

    /// @inheritdoc IDisputeResolution
    function setThresholds(Thresholds calldata thresholds_) external onlyGovernor {
        _setThresholds(thresholds_);
    }

    /// @inheritdoc IDisputeResolution
    function caseOf(bytes32 loanId) external view returns (Case memory result) {
        CaseRecord memory c = _cases[loanId];
        IJointLoanLedger.Loan memory entry = _ledger.loan(loanId);
        uint40 triggeredAt = c.triggeredAt;
        if (entry.stage == IJointLoanLedger.DisputeStage.Arbitration) {
            // a case whose court is not assigned yet (or a new case after a cured one)
            if (triggeredAt != entry.stageChangedAt) c = CaseRecord(0, entry.stageChangedAt, 0, 0);
            triggeredAt = entry.stageChangedAt;
        }
        if (triggeredAt == 0) return result;
        result = Case({
            caseId: caseIdOf(loanId, triggeredAt),
            court: c.court,
            triggeredAt: triggeredAt,
            acceptedAt: c.acceptedAt,
            closedAt: c.closedAt,
            ruling: c.triggeredAt == triggeredAt ? _rulings[loanId] : bytes32(0)
        });
    }

    /// @inheritdoc IDisputeResolution
    function thresholds() external view returns (Thresholds memory) {
        return _thresholds;
    }

    /// @notice The ledger this contract escalates.
    function ledger() external view returns (IJointLoanLedger) {
        return _ledger;
    }

    /// @notice 1.1.0: a mediation's settlement adopted as the loan's schedule, a breach of it
    /// escalated to arbitration. 1.0.0: reminder, mediation, arbitration; court acceptance,
    /// ruling, closing.
    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    /// @dev The schedule as it will stand, in the ledger's packed words (LoanPacking): the
    /// installments before `next` as they are, then the plan's.
    function _scheduleWords(bytes32 loanId, uint256 next, IJointLoanLedger.Installment[] calldata plan)
        private
        view
        returns (uint256[] memory words)
    {
        IJointLoanLedger.Installment[] memory old = _ledger.schedule(loanId);
        uint256 count = next + plan.length;
        words = new uint256[]((count + LoanPacking.INSTALLMENTS_PER_WORD - 1) / LoanPacking.INSTALLMENTS_PER_WORD);
        for (uint256 i = 0; i < count; ++i) {
            IJointLoanLedger.Installment memory inst = i < next ? old[i] : plan[i - next];
            LoanPacking.setInstallment(words, i, inst.dueDay, inst.principal, inst.interest);
        }
    }

    /// @dev The loan's branch (the caller must be its active operations account), installment in
    /// progress and outstanding principal, while the loan is active and in Mediation.
    function _inMediation(bytes32 loanId) private view returns (uint32 branch, uint256 next, uint256 outstanding) {
        IJointLoanLedger.Loan memory entry = _ledger.loan(loanId);
        branch = entry.branch;
        (uint32 caller, IConsortiumRegistry.MemberStatus status) = _operations();
        if (caller != branch || status != IConsortiumRegistry.MemberStatus.Active) {
            revert DisputeNotLoanBranch(loanId, msg.sender, branch);
        }
        if (entry.state != IJointLoanLedger.LoanState.Active || entry.stage != IJointLoanLedger.DisputeStage.Mediation) {
            revert DisputeWrongStage(loanId, entry.stage);
        }
        IJointLoanLedger.Progress memory p = _ledger.progress(loanId);
        next = p.nextInstallment;
        outstanding = entry.principal - p.principalRepaid;
    }

    /// @dev The agreement's leaf hash: active in the EvidenceRegistry the consortium registry names
    /// now (which decoded and checked the leaf when it was registered), and a contract the loan's
    /// branch anchored about this loan.
    function _registeredAgreement(bytes32 loanId, uint32 branch, bytes calldata leaf) private view returns (bytes32 leafHash) {
        leafHash = MerkleLog.hashLeaf(leaf);
        (, address evidenceRegistry) = _registry.evidenceContracts();
        if (
            evidenceRegistry == address(0)
                || IEvidenceRegistry(evidenceRegistry).status(leafHash).state != IEvidenceRegistry.EvidenceState.Active
        ) revert DisputeAgreementNotRegistered(loanId, leafHash);
        // a registered leaf is canonical (EvidenceLeaf): seven words, the kind and submitter in range
        (, uint256 kind,,,, uint256 submitter, bytes32 subject) =
            abi.decode(leaf, (uint256, uint256, uint256, bytes32, bytes32, uint256, bytes32));
        if (subject != loanId || submitter != branch || kind != _CONTRACT_KIND) {
            // cannot truncate: in range in a registered leaf
            revert DisputeAgreementNotForLoan(loanId, subject, uint32(submitter), uint8(kind));
        }
    }

    /// @dev Due days on the monthly calendar from `startDay` (at most today), the first after
    /// today, the loan's installments in all at most the ledger's limit; the principal the
    /// outstanding principal; the all-in cost within the cap by the ledger's measure (AllInCost,
    /// as LoanTermsVerifier at registration: per period k twice installment k's total less the
    /// half-fen allowance, against the outstanding principal received on the start day).
    function _checkPlan(
        bytes32 loanId,
        uint256 startDay,
        IJointLoanLedger.Installment[] calldata list,
        uint256 next,
        uint256 outstanding
    ) private view {
        uint256 count = list.length;
        if (count == 0 || next + count > _MAX_INSTALLMENTS) revert DisputeBadSettlementSchedule(loanId, count);
        uint256 today = _ledger.today();
        if (startDay > today || list[0].dueDay <= today) revert DisputeBadSettlementSchedule(loanId, 0);
        AllInCost.MonthWalk memory walk = AllInCost.monthWalk(startDay);
        uint256[] memory doubled = new uint256[](count + 1);
        uint256 principal;
        for (uint256 i = 0; i < count; ++i) {
            if (list[i].dueDay != AllInCost.nextDueDay(walk)) revert DisputeBadSettlementSchedule(loanId, i);
            uint256 total = uint256(list[i].principal) + list[i].interest;
            if (total != 0) doubled[i + 1] = 2 * total - 1;
            principal += list[i].principal;
        }
        if (principal != outstanding) revert DisputePrincipalChanged(loanId, principal, outstanding);
        uint256 capBps = _ledger.params().aprCapBps;
        if (!AllInCost.monthlyWithin(doubled, outstanding, capBps)) {
            revert DisputeAllInAprAboveCap(loanId, AllInCost.monthlyAprAbove(doubled, outstanding, capBps), capBps);
        }
    }

    function _stageFor(uint256 daysPastDue) private view returns (IJointLoanLedger.DisputeStage) {
        Thresholds memory t = _thresholds;
        if (daysPastDue >= t.arbitrationDays) return IJointLoanLedger.DisputeStage.Arbitration;
        if (daysPastDue >= t.mediationDays) return IJointLoanLedger.DisputeStage.Mediation;
        if (daysPastDue >= t.reminderDays) return IJointLoanLedger.DisputeStage.Reminder;
        return IJointLoanLedger.DisputeStage.None;
    }

    /// @dev The caller's member and its status if the caller is an operations account (a
    /// log-operator or governance key sends no lending writes); status None otherwise.
    function _operations() private view returns (uint32 memberId, IConsortiumRegistry.MemberStatus status) {
        IConsortiumRegistry.AccountRole role;
        (memberId, status, role) = _registry.accountOf(msg.sender);
        if (role != IConsortiumRegistry.AccountRole.Operations) return (0, IConsortiumRegistry.MemberStatus.None);
    }

    function _requireCourt(bytes32 loanId) private view returns (CaseRecord storage c) {
        c = _cases[loanId];
        (uint32 caller, IConsortiumRegistry.MemberStatus status) = _operations();
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
