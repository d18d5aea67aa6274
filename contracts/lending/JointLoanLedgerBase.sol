// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LoanPacking} from "../libraries/LoanPacking.sol";
import {RepaymentWaterfall} from "../libraries/RepaymentWaterfall.sol";
import {Settlement} from "../libraries/Settlement.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";

/// @title JointLoanLedgerBase
/// @notice The ledger's storage and the helpers both of its code contracts use: JointLoanLedger
/// itself, and the LedgerExtension it creates and delegates its less frequent writes to (mandates,
/// cancellation and expiry, quotas and the whitelist), so that the ledger's code stays under the
/// 24 KiB contract size limit. Both inherit this one layout, so the extension, run by
/// DELEGATECALL, reads and writes the ledger's own storage.
abstract contract JointLoanLedgerBase is ConsortiumGoverned {
    uint256 internal constant _BPS = 10_000;
    uint256 internal constant _SHANGHAI_OFFSET = 8 hours;

    mapping(bytes32 loanId => IJointLoanLedger.Loan) internal _loans;
    mapping(bytes32 loanId => uint256) internal _fundingWord;
    mapping(bytes32 loanId => mapping(uint256 word => uint256)) internal _scheduleWords;
    mapping(uint32 branch => IJointLoanLedger.BranchLimits) internal _limits;
    mapping(uint32 branch => IJointLoanLedger.BranchBook) internal _books;
    mapping(uint32 branch => mapping(uint32 platform => uint64)) internal _coFunded;
    mapping(bytes32 borrowerKey => uint64) internal _borrowerOutstanding;
    /// @dev Each member's own settlement accounts (salted hashes), from which it disburses.
    mapping(uint32 member => mapping(bytes32 accountHash => bool)) internal _whitelist;
    mapping(bytes32 serial => bool) internal _serials;
    /// @dev A branch's mandate to an agent for one loan: expiresAt << 32 | branch.
    mapping(bytes32 loanId => mapping(address agent => uint256)) internal _mandates;
    /// @dev Governance's ceilings on each branch's quotas (and its capital).
    mapping(uint32 branch => IJointLoanLedger.BranchLimits) internal _ceilings;
    /// @dev Whether the branch set its own quotas (below the ceilings) since the ceilings were set.
    mapping(uint32 branch => bool) internal _ownLimits;
    /// @dev A joint loan's agreed income share of its platform, plus one (0: income by funding share).
    mapping(bytes32 loanId => uint256) internal _incomeShare;
    IJointLoanLedger.LedgerParams internal _params;
    address internal _disputeResolution;

    constructor(IConsortiumRegistry registry_) ConsortiumGoverned(registry_) {}

    /// @dev Today's Asia/Shanghai day number.
    function _today() internal view returns (uint256) {
        return (block.timestamp + _SHANGHAI_OFFSET) / 1 days;
    }

    /// @dev An operations account of the loan's branch, while active; or an operations account of
    /// an active member holding the branch's unexpired mandate for this loan.
    function _checkServicer(bytes32 loanId, uint32 branch) internal view {
        (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
            _registry.accountOf(msg.sender);
        if (status == IConsortiumRegistry.MemberStatus.Active && role == IConsortiumRegistry.AccountRole.Operations) {
            if (memberId == branch) return;
            uint256 m = _mandates[loanId][msg.sender];
            if (uint32(m) == branch && m >> 32 > block.timestamp) return;
        }
        revert IJointLoanLedger.LedgerNotBranchOperations(msg.sender, branch);
    }

    /// @dev The caller's branch: an account with `role` of an active branch, which must be
    /// `branch` when that is given (non-zero).
    function _callerBranch(uint32 branch, IConsortiumRegistry.AccountRole role) internal view returns (uint32 memberId) {
        IConsortiumRegistry.MemberStatus status;
        IConsortiumRegistry.AccountRole callerRole;
        (memberId, status, callerRole) = _registry.accountOf(msg.sender);
        if (status != IConsortiumRegistry.MemberStatus.Active || callerRole != role || (branch != 0 && memberId != branch)) {
            revert IJointLoanLedger.LedgerNotBranchOperations(msg.sender, branch);
        }
        (IConsortiumRegistry.MemberKind kind,,) = _registry.profileOf(memberId);
        if (kind != IConsortiumRegistry.MemberKind.Branch) revert IJointLoanLedger.LedgerNotBranchOperations(msg.sender, branch);
    }

    /// @dev Release quotas: `principal` from the branch and the borrower, `branchPart` (the
    /// branch-funded part) from the branch's co-funding with the platform of a joint loan.
    function _release(IJointLoanLedger.Loan storage entry, uint256 principal, uint256 branchPart) internal {
        uint32 branch = entry.branch;
        // cannot underflow: each was increased by at least this loan's remaining principal
        _books[branch].outstanding -= uint64(principal);
        _borrowerOutstanding[entry.borrowerKey] -= uint64(principal);
        if (entry.funderCount == 2) _coFunded[branch][entry.platform] -= uint64(branchPart);
    }

    /// @dev Cancel a loan no funder has disbursed, releasing the quotas it holds.
    function _cancel(bytes32 loanId, IJointLoanLedger.Loan storage entry, uint16 reasonCode) internal {
        if (entry.disbursedMask != 0) revert IJointLoanLedger.LedgerPartlyDisbursed(loanId);
        uint256 principal = entry.principal;
        entry.state = IJointLoanLedger.LoanState.Cancelled;
        _release(entry, principal, Allocation.split(principal, LoanPacking.shares(_fundingWord[loanId], entry.funderCount))[0]);
        emit IJointLoanLedger.LoanCancelled(loanId, reasonCode);
    }

    function _requireLoan(bytes32 loanId) internal view returns (IJointLoanLedger.Loan storage entry) {
        entry = _loans[loanId];
        if (entry.state == IJointLoanLedger.LoanState.None) revert IJointLoanLedger.LedgerUnknownLoan(loanId);
    }

    function _requireState(bytes32 loanId, IJointLoanLedger.LoanState state)
        internal
        view
        returns (IJointLoanLedger.Loan storage entry)
    {
        entry = _requireLoan(loanId);
        if (entry.state != state) revert IJointLoanLedger.LedgerWrongState(loanId, entry.state);
    }

    function _useSerial(bytes32 serial, bytes32 voucher) internal {
        if (serial == 0 || voucher == 0) revert IJointLoanLedger.LedgerMissingVoucher();
        if (_serials[serial]) revert IJointLoanLedger.LedgerDuplicateSerial(serial);
        _serials[serial] = true;
    }

    function _chainVoucher(bytes32 loanId, bytes32 voucher) internal {
        IJointLoanLedger.Loan storage entry = _loans[loanId];
        entry.evidenceChain = keccak256(abi.encode(entry.evidenceChain, voucher));
    }

    /// @dev Book the repayment: release quotas by the principal repaid, and split it among the
    /// funders. Principal is split *cumulatively* (each funder's running total is its
    /// largest-remainder share of the running total), so at settlement every funder has
    /// recovered exactly what it disbursed; income (interest + penalty) is split per repayment.
    function _share(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        bytes32 serial,
        uint256 principalBefore,
        uint256 principal,
        uint256 income,
        uint256 released
    ) internal {
        uint256 count = entry.funderCount;
        uint256 funding = _fundingWord[loanId];
        uint16[] memory shares = LoanPacking.shares(funding, count);
        uint256[] memory before = Allocation.split(principalBefore, shares);
        uint256[] memory afterwards = Allocation.split(principalBefore + principal, shares);
        uint256[] memory incomes = Allocation.split(income, count == 2 ? _incomeShares(loanId, shares) : shares);
        for (uint256 i = 0; i < count; ++i) {
            emit IJointLoanLedger.RepaymentShared(
                loanId, LoanPacking.funder(funding, i).memberId, serial, afterwards[i] - before[i], incomes[i]
            );
        }
        if (released != 0) {
            uint256 branchAfter =
                released == principal ? afterwards[0] : Allocation.split(principalBefore + released, shares)[0];
            _release(entry, released, branchAfter - before[0]);
        }
    }

    /// @dev A joint loan's income shares: as agreed (`agreeIncomeSplit`), else its funding shares.
    function _incomeShares(bytes32 loanId, uint16[] memory shares) internal view returns (uint16[] memory) {
        uint256 stored = _incomeShare[loanId];
        if (stored == 0) return shares;
        uint16[] memory agreed = new uint16[](2);
        // cannot truncate or underflow: stored − 1 ≤ 10,000
        agreed[1] = uint16(stored - 1);
        agreed[0] = uint16(_BPS - (stored - 1));
        return agreed;
    }

    /// @dev Full repayment of what was late, before a court accepted the case, ends escalation.
    function _endEscalationIfCured(bytes32 loanId, IJointLoanLedger.Loan storage entry, IJointLoanLedger.Progress memory p) internal {
        IJointLoanLedger.DisputeStage stage = entry.stage;
        if (stage == IJointLoanLedger.DisputeStage.None || stage >= IJointLoanLedger.DisputeStage.Accepted) return;
        if (entry.state == IJointLoanLedger.LoanState.Active && _daysPastDue(loanId, p.nextInstallment) != 0) return;
        entry.stage = IJointLoanLedger.DisputeStage.None;
        entry.stageChangedAt = uint40(block.timestamp);
        emit IJointLoanLedger.DisputeStageChanged(loanId, stage, IJointLoanLedger.DisputeStage.None);
    }

    /// @dev The loan's effective penalty rate under the governed parameters.
    function _penaltyApr(uint256 aprBps) internal view returns (uint256) {
        return RepaymentWaterfall.penaltyApr(aprBps, _params.aprCapBps, _params.penaltyAprBps);
    }

    function _daysPastDue(bytes32 loanId, uint256 next) internal view returns (uint256) {
        if (next >= _loans[loanId].installmentCount) return 0;
        uint256 dueDay = LoanPacking.dueDay(LoanPacking.installmentIn(_scheduleWords[loanId], next));
        return Math.saturatingSub(_today(), dueDay);
    }

    /// @dev The loan's state as the verifier reads it (Settlement.OwedState) on `day`.
    function _owedState(IJointLoanLedger.Loan storage entry, uint256 progressWord, uint256 day, bool fullInterest)
        internal
        view
        returns (Settlement.OwedState memory)
    {
        return Settlement.OwedState(
            entry.installmentCount,
            progressWord,
            entry.startDay,
            _penaltyApr(entry.aprBps),
            day,
            fullInterest,
            _params.aprCapBps,
            entry.allInSlack,
            entry.method == IJointLoanLedger.RepaymentMethod.Bullet
        );
    }
}
