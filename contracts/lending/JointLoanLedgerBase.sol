// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {Allocation} from "../libraries/Allocation.sol";
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
    uint256 internal constant _INSTALLMENTS_PER_WORD = 3;

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
        _release(entry, principal, Allocation.split(principal, _shares(loanId, entry.funderCount))[0]);
        emit IJointLoanLedger.LoanCancelled(loanId, reasonCode);
    }

    function _shares(bytes32 loanId, uint256 count) internal view returns (uint16[] memory shares) {
        uint256 word = _fundingWord[loanId];
        shares = new uint16[](count);
        for (uint256 i = 0; i < count; ++i) {
            // cannot truncate: the low 16 bits of each 48-bit funder field are its share
            shares[i] = uint16(word >> (48 * i));
        }
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

    /// @dev Pay what `left` allows of installment `p.nextInstallment`, adding to `paid` (penalty,
    /// interest, principal, and what of it was paid before the due day); moves to the next
    /// installment once its interest and principal are paid.
    function _payInstallment(
        bytes32 loanId,
        IJointLoanLedger.Progress memory p,
        uint256 left,
        uint256 day,
        uint256 aprBps,
        uint256[4] memory paid
    ) internal view returns (uint256) {
        (uint256 dueDay, uint256 iP, uint256 iI) = _installment(loanId, p.nextInstallment);
        // the penalty rate is read only for a late installment: on-time repayments skip the load
        if (day > dueDay) _accruePenalty(p, iP, dueDay, day, _penaltyApr(aprBps));
        uint256 pay = _min(p.penaltyDue, left);
        // cannot truncate or underflow: pay is at most the 32-bit penalty due
        p.penaltyDue -= uint32(pay);
        paid[0] += pay;
        left -= pay;
        uint256 toInterest = _min(iI - p.currentInterestPaid, left);
        // cannot truncate: at most the installment's 32-bit interest and principal
        p.currentInterestPaid += uint32(toInterest);
        paid[1] += toInterest;
        left -= toInterest;
        pay = _min(iP - p.currentPrincipalPaid, left);
        p.currentPrincipalPaid += uint32(pay);
        paid[2] += pay;
        left -= pay;
        // paid ahead of its due day: worth more to the lender than the all-in model counts
        if (day < dueDay) paid[3] += toInterest + pay;
        if (p.currentPrincipalPaid == iP && p.currentInterestPaid == iI) {
            ++p.nextInstallment;
            p.currentPrincipalPaid = 0;
            p.currentInterestPaid = 0;
            p.penaltyAccruedDay = 0;
        }
        return left;
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
        uint16[] memory shares = _shares(loanId, count);
        uint256[] memory before = Allocation.split(principalBefore, shares);
        uint256[] memory afterwards = Allocation.split(principalBefore + principal, shares);
        uint256[] memory incomes = Allocation.split(income, count == 2 ? _incomeShares(loanId, shares) : shares);
        for (uint256 i = 0; i < count; ++i) {
            emit IJointLoanLedger.RepaymentShared(loanId, _funder(loanId, i).memberId, serial, afterwards[i] - before[i], incomes[i]);
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

    /// @dev Penalty interest (罚息) accrues on late principal at the governed penalty rate, but
    /// never so high that contract rate plus penalty passes the all-in cap.
    function _penaltyApr(uint256 aprBps) internal view returns (uint256) {
        uint256 cap = _params.aprCapBps;
        uint256 headroom = cap > aprBps ? cap - aprBps : 0;
        uint256 rate = _params.penaltyAprBps;
        return rate < headroom ? rate : headroom;
    }

    /// @dev Accrue penalty on the current installment's unpaid principal for the whole days
    /// since it was last accrued (or since it fell due), truncated to the fen.
    function _accruePenalty(IJointLoanLedger.Progress memory p, uint256 installmentPrincipal, uint256 dueDay, uint256 day, uint256 penaltyApr)
        internal
        pure
    {
        uint256 from = p.penaltyAccruedDay > dueDay ? p.penaltyAccruedDay : dueDay;
        if (day <= from) return;
        uint256 accrued = ((installmentPrincipal - p.currentPrincipalPaid) * penaltyApr * (day - from)) / (365 * _BPS);
        // cannot truncate: penalty on a 32-bit principal at ≤ 100% a year stays below 2^32 for
        // decades, and days fit in 16 bits until 2149 (the schedule's own limit)
        p.penaltyDue += uint32(accrued);
        p.penaltyAccruedDay = uint16(day);
    }

    function _daysPastDue(bytes32 loanId, uint256 next) internal view returns (uint256) {
        if (next >= _loans[loanId].installmentCount) return 0;
        (uint256 dueDay,,) = _installment(loanId, next);
        uint256 day = _today();
        return day > dueDay ? day - dueDay : 0;
    }

    function _installment(bytes32 loanId, uint256 index)
        internal
        view
        returns (uint256 dueDay, uint256 principal, uint256 interest)
    {
        uint256 packed = _scheduleWords[loanId][index / _INSTALLMENTS_PER_WORD] >> (80 * (index % _INSTALLMENTS_PER_WORD));
        dueDay = (packed >> 64) & 0xffff;
        principal = (packed >> 32) & 0xffffffff;
        interest = packed & 0xffffffff;
    }

    function _unpackProgress(uint256 word) internal pure returns (IJointLoanLedger.Progress memory p) {
        // cannot truncate: each field is masked to its width by the cast
        p.principalRepaid = uint40(word >> 96);
        p.nextInstallment = uint8(word >> 136);
        p.currentPrincipalPaid = uint32(word >> 144);
        p.currentInterestPaid = uint32(word >> 176);
        p.penaltyDue = uint32(word >> 208);
        p.penaltyAccruedDay = uint16(word >> 240);
    }

    /// @dev Replace the progress bits of `word`, keeping the funders in its low 96 bits.
    function _packProgress(uint256 word, IJointLoanLedger.Progress memory p) internal pure returns (uint256) {
        return (word & type(uint96).max) | uint256(p.principalRepaid) << 96 | uint256(p.nextInstallment) << 136
            | uint256(p.currentPrincipalPaid) << 144 | uint256(p.currentInterestPaid) << 176
            | uint256(p.penaltyDue) << 208 | uint256(p.penaltyAccruedDay) << 240;
    }

    function _funder(bytes32 loanId, uint256 index) internal view returns (IJointLoanLedger.Funder memory) {
        uint256 packed = _fundingWord[loanId] >> (48 * index);
        // cannot truncate: masked to the packed widths
        return IJointLoanLedger.Funder(uint32(packed >> 16), uint16(packed));
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev The loan's packed schedule words (three 80-bit installments a word: due day 16 |
    /// principal 32 | interest 32, low first), as Settlement reads them.
    function _scheduleWordsOf(bytes32 loanId, uint256 count) internal view returns (uint256[] memory words) {
        words = new uint256[]((count + _INSTALLMENTS_PER_WORD - 1) / _INSTALLMENTS_PER_WORD);
        for (uint256 w = 0; w < words.length; ++w) {
            words[w] = _scheduleWords[loanId][w];
        }
    }

    /// @dev Installments `from` up to `count` of packed schedule `words`.
    function _installmentsFrom(uint256[] memory words, uint256 from, uint256 count)
        internal
        pure
        returns (IJointLoanLedger.Installment[] memory list)
    {
        list = new IJointLoanLedger.Installment[](count - from);
        for (uint256 i = from; i < count; ++i) {
            uint256 packed = words[i / _INSTALLMENTS_PER_WORD] >> (80 * (i % _INSTALLMENTS_PER_WORD));
            // cannot truncate: 16/32/32-bit fields
            list[i - from] = IJointLoanLedger.Installment(uint16(packed >> 64), uint32(packed >> 32), uint32(packed));
        }
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
