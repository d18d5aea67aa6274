// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LoanPacking} from "../libraries/LoanPacking.sol";
import {RepaymentWaterfall} from "../libraries/RepaymentWaterfall.sol";
import {Settlement} from "../libraries/Settlement.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";
import {JointLoanLedgerBase} from "./JointLoanLedgerBase.sol";
import {LoanTermsVerifier} from "./LoanTermsVerifier.sol";

/// @title LedgerExtension
/// @notice JointLoanLedger's fund flows and less frequent writes — disbursement, repayment,
/// settlement, partial prepayment, a mediation's settlement schedule, cancellation and expiry, mandates, branch quotas and their ceilings, the whitelist — run by the ledger with DELEGATECALL on the ledger's
/// own storage (JointLoanLedgerBase), so the ledger's code stays under the 24 KiB limit. Called
/// directly it would only write its own, unused storage. Semantics: {IJointLoanLedger}.
contract LedgerExtension is JointLoanLedgerBase {
    LoanTermsVerifier private immutable _verifier;

    constructor(IConsortiumRegistry registry_, LoanTermsVerifier verifier_) JointLoanLedgerBase(registry_) {
        _verifier = verifier_;
    }

    /// @notice See {IJointLoanLedger-agreeIncomeSplit}.
    function agreeIncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps, bytes calldata platformSignature) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        _checkServicer(loanId, entry.branch);
        if (entry.disbursedMask != 0) revert IJointLoanLedger.LedgerPartlyDisbursed(loanId);
        if (entry.funderCount != 2 || platformIncomeShareBps > _BPS) {
            revert IJointLoanLedger.LedgerBadIncomeSplit(loanId, platformIncomeShareBps);
        }
        _verifier.checkIncomeSplit(loanId, entry.platform, platformIncomeShareBps, platformSignature);
        _incomeShare[loanId] = uint256(platformIncomeShareBps) + 1;
        emit IJointLoanLedger.IncomeSplitAgreed(loanId, platformIncomeShareBps);
    }

    /// @notice See {IJointLoanLedger-disburse}.
    function disburse(bytes32 loanId, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        uint256 funding = _fundingWord[loanId];
        (uint256 index, uint32 funder) = _callerFunder(loanId, funding, entry.funderCount);
        uint256 day = _today();
        if (day != entry.startDay) revert IJointLoanLedger.LedgerDisbursementDateMismatch(loanId, day, entry.startDay);
        if (entry.disbursedMask & (1 << index) != 0) revert IJointLoanLedger.LedgerAlreadyDisbursed(loanId, funder);
        uint256 expected = Allocation.split(entry.principal, LoanPacking.shares(funding, entry.funderCount))[index];
        if (amount != expected) revert IJointLoanLedger.LedgerDisbursementMismatch(loanId, funder, amount, expected);
        // the source must be the funder's own settlement account; the destination is the loan's
        // receiving account, bound at registration, so no funder can pay its share anywhere else
        if (!_whitelist[funder][accountHash]) revert IJointLoanLedger.LedgerAccountNotWhitelisted(funder, accountHash);
        _useSerial(serial, voucher);
        _countDailyDisbursement(entry.branch, amount, day);
        // cannot overflow: at most two funders, so the mask has two bits
        uint8 mask = entry.disbursedMask | uint8(1 << index);
        entry.disbursedMask = mask;
        _chainVoucher(loanId, voucher);
        emit IJointLoanLedger.FundsDisbursed(loanId, funder, amount, accountHash, serial, voucher);
        if (mask == (1 << entry.funderCount) - 1) {
            entry.state = IJointLoanLedger.LoanState.Active;
            emit IJointLoanLedger.LoanActivated(loanId);
        }
    }

    /// @notice See {IJointLoanLedger-prepay}.
    function prepay(
        bytes32 loanId,
        uint256 principal,
        IJointLoanLedger.PrepaymentMode mode,
        uint256 fee,
        uint256 amount,
        bytes32 serial,
        bytes32 voucher
    ) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Active);
        _checkServicer(loanId, entry.branch);
        _useSerial(serial, voucher);
        (uint256[8] memory figures, uint256[] memory words) = _quote(loanId, entry, principal, mode, fee);
        // figures: interest, principal paid, most fee allowed, new headroom, new count, principal, fee, mode
        uint256 owed = figures[0] + figures[1] + fee;
        if (amount != owed) revert IJointLoanLedger.LedgerPrepaymentMismatch(loanId, amount, owed);
        _book(loanId, entry, serial, voucher, figures, words);
    }

    /// @notice What {IJointLoanLedger-prepaymentOwed} answers: the ledger's view runs this with a
    /// static call to itself (a view cannot DELEGATECALL), which the ledger forwards here.
    function prepaymentQuote(bytes32 loanId, uint256 principal, IJointLoanLedger.PrepaymentMode mode, uint256 fee)
        external
        view
        returns (uint256, uint256, uint256, IJointLoanLedger.Installment[] memory)
    {
        (uint256[8] memory figures, uint256[] memory words) =
            _quote(loanId, _requireState(loanId, IJointLoanLedger.LoanState.Active), principal, mode, fee);
        IJointLoanLedger.Installment[] memory list = LoanPacking.installments(words, LoanPacking.nextInstallment(_fundingWord[loanId]), figures[4]);
        return (figures[0], figures[1], figures[2], list);
    }

    /// @notice What {IJointLoanLedger-settlementOwed} answers (through the ledger, as `prepaymentQuote`).
    function settlementQuote(bytes32 loanId) external view returns (uint256, uint256, uint256) {
        return _owedNow(loanId, false);
    }

    /// @notice What {IJointLoanLedger-amountOwed} answers (through the ledger, as `prepaymentQuote`).
    function amountQuote(bytes32 loanId) external view returns (uint256, uint256, uint256) {
        return _owedNow(loanId, true);
    }

    /// @notice See {IJointLoanLedger-repay}.
    function repay(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external {
        _receive(loanId, amount, serial, voucher, false);
    }

    /// @notice See {IJointLoanLedger-settle}.
    function settle(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external {
        _receive(loanId, amount, serial, voucher, true);
    }

    /// @notice See {IJointLoanLedger-cancelLoan}.
    function cancelLoan(bytes32 loanId, uint16 reasonCode) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        _checkServicer(loanId, entry.branch);
        _cancel(loanId, entry, reasonCode);
    }

    /// @notice See {IJointLoanLedger-expireLoan}.
    function expireLoan(bytes32 loanId) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        (, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) = _registry.accountOf(msg.sender);
        if (status != IConsortiumRegistry.MemberStatus.Active || role != IConsortiumRegistry.AccountRole.Operations) {
            revert IJointLoanLedger.LedgerNotKeeper(msg.sender);
        }
        uint256 day = _today();
        uint256 startDay = entry.startDay;
        if (day <= startDay) revert IJointLoanLedger.LedgerNotExpired(loanId, day, startDay);
        emit IJointLoanLedger.LoanExpired(loanId, startDay);
        _cancel(loanId, entry, type(uint16).max);
    }

    /// @notice See {IJointLoanLedger-grantMandate}.
    function grantMandate(bytes32 loanId, address agent, uint40 expiresAt) external {
        uint32 branch = _callerBranch(_loans[loanId].branch, IConsortiumRegistry.AccountRole.Operations);
        if (agent == address(0) || expiresAt <= block.timestamp) {
            revert IJointLoanLedger.LedgerBadMandate(loanId, agent, expiresAt);
        }
        _mandates[loanId][agent] = uint256(expiresAt) << 32 | branch;
        emit IJointLoanLedger.MandateGranted(loanId, branch, agent, expiresAt);
    }

    /// @notice See {IJointLoanLedger-revokeMandate}.
    function revokeMandate(bytes32 loanId, address agent) external {
        // cannot truncate: the low 32 bits are the granting branch
        uint32 branch = _callerBranch(uint32(_mandates[loanId][agent]), IConsortiumRegistry.AccountRole.Operations);
        delete _mandates[loanId][agent];
        emit IJointLoanLedger.MandateRevoked(loanId, branch, agent);
    }

    /// @notice {ILedgerSettlement-replaceSchedule}, from the DisputeResolution contract only,
    /// which checks the loan's state and stage and the plan, and encodes the call. A fallback in
    /// assembly: a declared entry would not fit in the ledger's creation code.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        address disputeResolution = _disputeResolution;
        bytes4 refused = IJointLoanLedger.LedgerNotDisputeResolution.selector;
        // calldata: loanId, installmentCount, the words' offset (0x60), their number, the words
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // the only call DisputeResolution makes through the ledger's fallback
            if iszero(eq(caller(), disputeResolution)) {
                mstore(0, refused)
                mstore(4, caller())
                revert(0, 0x24)
            }
            mstore(0, calldataload(4))
            mstore(0x20, _fundingWord.slot)
            let slot := keccak256(0, 0x40)
            // the installment in progress starts afresh (LoanPacking: the bits from 144 on hold what
            // was paid of it and its penalty, which the plan carries)
            let word := and(sload(slot), 0xffffffffffffffffffffffffffffffffffff)
            sstore(slot, word)
            // Loan's first slot: installmentCount at bits 152–159 (at most 60, DisputeResolution),
            // allInSlack at 224–255 — no headroom: the plan was measured against the cap on its own
            mstore(0x20, _loans.slot)
            slot := keccak256(0, 0x40)
            sstore(slot, or(and(sload(slot), not(or(shl(152, 0xff), shl(224, 0xffffffff)))), shl(152, and(calldataload(36), 0xff))))
            mstore(0x20, _scheduleWords.slot)
            mstore(0x20, keccak256(0, 0x40))
            let count := calldataload(100)
            // the words from the installment in progress's on (the ones before hold paid installments)
            for { let w := div(shr(136, word), 3) } lt(w, count) { w := add(w, 1) } {
                mstore(0, w)
                sstore(keccak256(0, 0x40), calldataload(add(132, mul(w, 0x20))))
            }
        }
    }

    /// @notice See {IJointLoanLedger-setBranchLimits}: governance sets the ceilings (and the
    /// capital); the branch's own quotas are lowered to them, or set to them if it set none.
    function setBranchLimits(uint32 branch, IJointLoanLedger.BranchLimits calldata ceilings) external onlyGovernor {
        (IConsortiumRegistry.MemberKind kind,,) = _registry.profileOf(branch);
        if (kind != IConsortiumRegistry.MemberKind.Branch) {
            revert IJointLoanLedger.LedgerBadMember(branch, uint8(IConsortiumRegistry.MemberKind.Branch));
        }
        _ceilings[branch] = ceilings;
        IJointLoanLedger.BranchLimits memory limits = ceilings;
        if (_ownLimits[branch]) {
            IJointLoanLedger.BranchLimits memory own = _limits[branch];
            // cannot truncate: the smaller of two uint64
            limits.singleLoanMax = uint64(Math.min(own.singleLoanMax, ceilings.singleLoanMax));
            limits.dailyDisbursementLimit = uint64(Math.min(own.dailyDisbursementLimit, ceilings.dailyDisbursementLimit));
            limits.outstandingLimit = uint64(Math.min(own.outstandingLimit, ceilings.outstandingLimit));
        }
        _limits[branch] = limits;
        emit IJointLoanLedger.BranchCeilingsChanged(branch, ceilings);
        emit IJointLoanLedger.BranchLimitsChanged(branch, limits);
    }

    /// @notice See {IJointLoanLedger-setOwnBranchLimits}.
    function setOwnBranchLimits(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit) external {
        uint32 branch = _callerBranch(0, IConsortiumRegistry.AccountRole.Governance);
        IJointLoanLedger.BranchLimits memory ceilings = _ceilings[branch];
        _checkCeiling(branch, 0, singleLoanMax, ceilings.singleLoanMax);
        _checkCeiling(branch, 1, dailyDisbursementLimit, ceilings.dailyDisbursementLimit);
        _checkCeiling(branch, 2, outstandingLimit, ceilings.outstandingLimit);
        IJointLoanLedger.BranchLimits storage limits = _limits[branch];
        limits.singleLoanMax = singleLoanMax;
        limits.dailyDisbursementLimit = dailyDisbursementLimit;
        limits.outstandingLimit = outstandingLimit;
        _ownLimits[branch] = true;
        emit IJointLoanLedger.BranchLimitsChanged(branch, limits);
    }

    /// @notice See {IJointLoanLedger-setAccountWhitelisted}.
    function setAccountWhitelisted(uint32 member, bytes32 accountHash, bool allowed) external onlyGovernor {
        _whitelist[member][accountHash] = allowed;
        emit IJointLoanLedger.AccountWhitelisted(member, accountHash, allowed);
    }


    function _quote(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        uint256 principal,
        IJointLoanLedger.PrepaymentMode mode,
        uint256 fee
    ) private view returns (uint256[8] memory, uint256[] memory) {
        return Settlement.prepayment(
            loanId,
            LoanPacking.loadSchedule(_scheduleWords[loanId], entry.installmentCount),
            _owedState(entry, _fundingWord[loanId], _today(), false),
            principal,
            mode,
            fee
        );
    }

    /// @dev Store a prepayment (principal repaid, the new schedule words and count, the new
    /// headroom), announce it and split it among the funders: principal by funding share from
    /// where it stood (what the cap forgave is released too), interest and fee by the income split.
    function _book(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        bytes32 serial,
        bytes32 voucher,
        uint256[8] memory f,
        uint256[] memory words
    ) private {
        (uint256 next, uint256 principalBefore) = _reschedule(loanId, entry, f, words);
        emit IJointLoanLedger.PrepaymentReceived(
            loanId, serial, voucher, IJointLoanLedger.PrepaymentMode(f[7]), f[5], f[1], f[0], f[6]
        );
        emit IJointLoanLedger.LoanRescheduled(loanId, next, LoanPacking.installments(words, next, f[4]));
        _share(loanId, entry, serial, principalBefore, f[1], f[0] + f[6], f[5]);
        _chainVoucher(loanId, voucher);
    }

    function _reschedule(bytes32 loanId, IJointLoanLedger.Loan storage entry, uint256[8] memory f, uint256[] memory words)
        private
        returns (uint256 next, uint256 principalBefore)
    {
        uint256 word = _fundingWord[loanId];
        IJointLoanLedger.Progress memory p = LoanPacking.unpackProgress(word);
        next = p.nextInstallment;
        principalBefore = p.principalRepaid;
        // cannot truncate: less than the principal still open, < 2^40
        p.principalRepaid += uint40(f[5]);
        _fundingWord[loanId] = LoanPacking.packProgress(word, p);
        for (uint256 w = next / LoanPacking.INSTALLMENTS_PER_WORD; w < words.length; ++w) {
            _scheduleWords[loanId][w] = words[w];
        }
        // cannot truncate: at most the old count (≤ 60); the headroom saturates, as at registration
        entry.installmentCount = uint8(f[4]);
        entry.allInSlack = f[3] > type(uint32).max ? type(uint32).max : uint32(f[3]);
    }

    /// @dev A repayment received by the loan's branch (or its mandated agent): allocated over the
    /// earliest unpaid installments (what was paid before a due day charged to the loan's headroom
    /// under the cap), or — `settlement` — exactly what settles the loan today; then booked and
    /// split among the funders (one path, so both book alike).
    function _receive(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher, bool settlement) private {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Active);
        _checkServicer(loanId, entry.branch);
        // a settlement may owe nothing: what was paid ahead already reached the all-in cap
        if (amount == 0 && !settlement) revert IJointLoanLedger.LedgerZeroRepayment(loanId);
        _useSerial(serial, voucher);
        uint256 word = _fundingWord[loanId];
        IJointLoanLedger.Progress memory p = LoanPacking.unpackProgress(word);
        uint256 principalBefore = p.principalRepaid;
        uint256[4] memory paid =
            settlement ? _settleAll(loanId, entry, p, amount) : _allocateCharged(loanId, entry, p, word, amount);
        _fundingWord[loanId] = LoanPacking.packProgress(word, p);
        emit IJointLoanLedger.RepaymentReceived(loanId, serial, voucher, paid[0], paid[1], paid[2]);
        // a settlement capped by the all-in cost may return less principal than was open: the
        // quotas still release all of it
        _share(loanId, entry, serial, principalBefore, paid[2], paid[0] + paid[1], p.principalRepaid - principalBefore);
        _chainVoucher(loanId, voucher);
        if (p.nextInstallment == entry.installmentCount) {
            entry.state = IJointLoanLedger.LoanState.Settled;
            emit IJointLoanLedger.LoanSettled(loanId);
        }
        _endEscalationIfCured(loanId, entry, p);
    }

    /// @dev Early settlement: `amount` must be exactly what settles the loan today; the progress
    /// then says every installment is paid.
    function _settleAll(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        IJointLoanLedger.Progress memory p,
        uint256 amount
    ) private view returns (uint256[4] memory paid) {
        (paid[0], paid[1], paid[2]) = _owedNow(loanId, false);
        uint256 owed = paid[0] + paid[1] + paid[2];
        if (amount != owed) revert IJointLoanLedger.LedgerSettlementMismatch(loanId, amount, owed);
        p.principalRepaid = entry.principal;
        p.nextInstallment = entry.installmentCount;
        p.currentPrincipalPaid = 0;
        p.currentInterestPaid = 0;
        p.penaltyDue = 0;
        p.penaltyAccruedDay = 0;
    }

    function _owedNow(bytes32 loanId, bool fullInterest) private view returns (uint256, uint256, uint256) {
        IJointLoanLedger.Loan storage entry = _requireLoan(loanId);
        if (entry.state != IJointLoanLedger.LoanState.Active) return (0, 0, 0);
        return Settlement.owed(
            LoanPacking.loadSchedule(_scheduleWords[loanId], entry.installmentCount),
            _owedState(entry, _fundingWord[loanId], _today(), fullInterest)
        );
    }

    /// @dev Allocate a repayment over the earliest unpaid installments (penalty, interest,
    /// principal; at most what is owed now) and charge what it paid of each installment before its
    /// due day to the loan's headroom.
    function _allocateCharged(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        IJointLoanLedger.Progress memory p,
        uint256 word,
        uint256 amount
    ) private returns (uint256[4] memory paid) {
        uint256 day = _today();
        uint256[] memory ahead;
        uint256 left;
        (paid, ahead, left) = RepaymentWaterfall.allocate(
            _scheduleWords[loanId], _params, p, entry.installmentCount, entry.aprBps, day, amount
        );
        if (left != 0) revert IJointLoanLedger.LedgerOverpayment(loanId, amount, amount - left);
        // cannot truncate: cumulative principal repaid is at most the principal, < 2^40
        p.principalRepaid += uint40(paid[2]);
        // on time (the usual case) costs nothing under the cap and skips the verifier
        if (paid[3] != 0) _chargeAhead(loanId, entry, word, day, ahead);
    }

    /// @dev Take what paying ahead costs under the cap from the loan's headroom (fixed point
    /// 2^64, the rest rounded down), or refuse the repayment.
    function _chargeAhead(
        bytes32 loanId,
        IJointLoanLedger.Loan storage entry,
        uint256 word,
        uint256 day,
        uint256[] memory ahead
    ) private {
        uint256 charge = Settlement.earlyCharge(
            LoanPacking.loadSchedule(_scheduleWords[loanId], entry.installmentCount), _owedState(entry, word, day, false), ahead
        );
        uint256 headroom = uint256(entry.allInSlack) << 64;
        if (charge > headroom) {
            revert IJointLoanLedger.LedgerPaymentAheadAboveCap(loanId, (charge + (1 << 64) - 1) >> 64, entry.allInSlack);
        }
        // cannot truncate: at most the 32-bit headroom
        entry.allInSlack = uint32((headroom - charge) >> 64);
    }

    function _callerFunder(bytes32 loanId, uint256 funding, uint256 count) private view returns (uint256 index, uint32 funder) {
        (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
            _registry.accountOf(msg.sender);
        if (status == IConsortiumRegistry.MemberStatus.Active && role == IConsortiumRegistry.AccountRole.Operations) {
            for (index = 0; index < count; ++index) {
                funder = LoanPacking.funder(funding, index).memberId;
                if (funder == memberId) return (index, funder);
            }
        }
        revert IJointLoanLedger.LedgerNotFunder(loanId, msg.sender);
    }

    function _countDailyDisbursement(uint32 branch, uint256 amount, uint256 day) private {
        IJointLoanLedger.BranchBook storage book = _books[branch];
        uint256 sofar = book.day == day ? book.disbursedToday : 0;
        uint256 total = sofar + amount;
        uint256 limit = _limits[branch].dailyDisbursementLimit;
        if (total > limit) revert IJointLoanLedger.LedgerDailyLimitExceeded(branch, day, total, limit);
        // cannot truncate: total is bounded by the uint64 limit; days fit in 32 bits for 11 million years
        book.disbursedToday = uint64(total);
        book.day = uint32(day);
    }

    /// @notice The extension of JointLoanLedger 4.2.0.
    function version() external pure returns (string memory) {
        return "4.2.0";
    }

    function _checkCeiling(uint32 branch, uint8 field, uint256 value, uint256 ceiling) private pure {
        if (value > ceiling) revert IJointLoanLedger.LedgerLimitAboveCeiling(branch, field, value, ceiling);
    }
}
