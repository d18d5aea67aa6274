// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LoanPacking} from "./LoanPacking.sol";
import {RepaymentWaterfall} from "./RepaymentWaterfall.sol";

/// @title Settlement
/// @notice What a loan owes before its schedule ends, from the ledger's packed state: early
/// settlement in full with interest accrued to the day, the settlement allowance that keeps the
/// borrower's realised all-in cost within the cap, partial prepayment with its new schedule, and
/// what paying an installment ahead of its due day costs under the cap
/// (common/lending/SCHEDULE.md "Early settlement", "Partial prepayment"; mirrored by
/// common/lending/settlement.ts and prepayment.ts). Pure; run by the LedgerExtension.
/// @dev `words` is the ledger's schedule, packed as {LoanPacking} lays it out. Present values are
/// at the cap, as of the start day, scaled by 2^64 and rounded against the lender. Bounds that
/// keep the unchecked arithmetic exact: amounts below 2^41 fen scaled by 2^64, at most 60
/// periods grown by at most (1 + 65535/120000)^60 < 2^38, times 17-bit constants and 16-bit day
/// counts, all far below 2^256; every subtraction takes a smaller value from a larger.
library Settlement {
    /// @notice A loan's state for `owed`: its installment count, the ledger's funding word
    /// (progress), start day, effective penalty rate, the day, and whether every installment's
    /// interest counts in full (what is owed now) or only up to the day (early settlement). For
    /// early settlement also the all-in cap, the loan's headroom under it at registration
    /// (`Loan.allInSlack`) and whether it is a bullet (simple convention).
    struct OwedState {
        uint256 count;
        uint256 progressWord;
        uint256 startDay;
        uint256 penaltyAprBps;
        uint256 day;
        bool fullInterest;
        uint256 capBps;
        uint256 slack;
        bool bullet;
    }

    /// @dev Fixed-point scale of the settlement allowance.
    uint256 private constant _FP = 1 << 64;

    /// @notice What a loan owes on `day` — all of it (`fullInterest`, {IJointLoanLedger-amountOwed})
    /// or what settles it early ({IJointLoanLedger-settlementOwed}) —, from the
    /// ledger's packed state ({LoanPacking}): `scheduleWords`, `progressWord` (the ledger's funding
    /// word) and the loan's effective penalty rate. Installments
    /// due by `day` count in full, penalty accrued to the day as the ledger accrues it; the one in
    /// progress its interest pro rata by days (half up) less what was paid of it; later ones their
    /// principal only.
    function owed(uint256[] memory scheduleWords, OwedState memory state) internal pure returns (uint256, uint256, uint256) {
        uint256[3] memory sums; // penalty, interest, principal
        OwedState memory st = state;
        uint256 next = LoanPacking.nextInstallment(st.progressWord);
        // the start of the period in progress; type(uint256).max once that installment is counted
        uint256 periodStart = next == 0 ? st.startDay : LoanPacking.dueDay(LoanPacking.installment(scheduleWords, next - 1));
        for (uint256 i = next; i < st.count; ++i) {
            // only the next installment can be partly paid or have accrued penalty
            periodStart = _owedOne(sums, i == next ? st.progressWord : 0, LoanPacking.installment(scheduleWords, i), periodStart, st);
        }
        if (!st.fullInterest) {
            (uint256 principalPaid, uint256 interestPaid) = LoanPacking.currentPaid(st.progressWord);
            uint256 paidOfNext = principalPaid + interestPaid;
            uint256 allowance = _settlementAllowance(scheduleWords, st, next, paidOfNext);
            uint256 due = sums[1] + sums[2];
            if (due > allowance) {
                // the cap is on the all-in cost: what fees took up front comes off the interest,
                // then off the principal
                uint256 cut = due - allowance;
                uint256 fromInterest = Math.min(cut, sums[1]);
                sums[1] -= fromInterest;
                sums[2] -= cut - fromInterest;
            }
        }
        return (sums[0], sums[1], sums[2]);
    }

    /// @dev The most an early settlement on `st.day` may take besides penalty so that the
    /// borrower's realised all-in cost stays within the cap (SCHEDULE.md, "Early settlement"):
    /// the headroom (at registration, less what paying ahead and prepayments used) plus the present
    /// value at the cap, as of the start day, of the installments still unpaid, less what was paid
    /// of the next one (counted at its due day), grown at the cap to the day — whole months compounded, the month in progress
    /// linearly by days (a bullet: simple interest by days). Fees with installments after the
    /// settlement are not owed. Every step rounds down: the allowance errs against the lender.
    function _settlementAllowance(uint256[] memory words, OwedState memory st, uint256 next, uint256 paidOfNext)
        private
        pure
        returns (uint256)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            uint256 v = st.slack * _FP + _presentValue(words, st, next, false);
            // what was paid of the next installment counts at its due day: whatever of it was paid
            // before that day was charged to the headroom then (LedgerExtension.repay)
            uint256 q = paidOfNext * _FP;
            if (st.bullet) {
                q = Math.ceilDiv(q * 3_650_000, 3_650_000 + st.capBps * (LoanPacking.dueDay(LoanPacking.installment(words, 0)) - st.startDay));
            } else {
                for (uint256 k = 0; k <= next; ++k) {
                    q = Math.ceilDiv(q * 120_000, 120_000 + st.capBps);
                }
            }
            return _grow(words, st, Math.saturatingSub(v, q)) / _FP;
        }
    }

    /// @dev A prepayment being computed: interest, principal paid, maxFee, the new headroom and the
    /// new count (the order of `prepayment`'s figures), then the fee.
    struct Prepayment {
        uint256 interest;
        uint256 principalPaid;
        uint256 maxFee;
        uint256 slack;
        uint256 count;
        uint256 fee;
    }

    /// @notice A partial prepayment of `principal` on `state.day` in `mode` with prepayment `fee`
    /// ({IJointLoanLedger-prepay}; common/lending/SCHEDULE.md "Partial prepayment"), from the
    /// ledger's packed state as for `owed`. Returns the interest accrued on what is prepaid, the
    /// principal paid (less only where the cap forgives some), the largest fee the cap allows, the
    /// loan's new headroom under the cap (fen, start-day values, rounded down), its new
    /// installment count, and the principal, fee and mode asked; and all its new schedule words.
    /// Reverts with the ledger's errors.
    function prepayment(
        bytes32 loanId,
        uint256[] memory scheduleWords,
        OwedState memory state,
        uint256 principal,
        IJointLoanLedger.PrepaymentMode mode,
        uint256 fee
    ) internal pure returns (uint256[8] memory figures, uint256[] memory words) {
        OwedState memory st = state;
        // a copy: the old schedule is still read below (its due days, for today's position)
        words = new uint256[](scheduleWords.length);
        for (uint256 w = 0; w < words.length; ++w) {
            words[w] = scheduleWords[w];
        }
        (uint256 next, uint256 open) = _checkPrepayment(loanId, words, st, principal);
        Prepayment memory r;
        r.interest = _accruedOn(words, st, next, open, principal);
        (r.principalPaid, r.fee) = (principal, fee);
        // the budget under the cap, as of the start day: what was left (headroom and the unpaid
        // installments) less the new schedule; what fits today is that grown to today
        uint256 budget = st.slack * _FP + _presentValue(words, st, next, false);
        r.count = _reschedule(words, st.count, next, open, open - principal, mode == IJointLoanLedger.PrepaymentMode.ShortenTerm);
        st.count = r.count;
        budget = Math.saturatingSub(budget, _presentValue(words, st, next, true));
        st.count = state.count;
        _fitUnderCap(loanId, scheduleWords, st, r, budget);
        figures = [r.interest, r.principalPaid, r.maxFee, r.slack, r.count, principal, fee, uint256(mode)];
    }

    /// @dev The installment in progress untouched and not late; 0 < principal < the principal still
    /// open. Returns the installment in progress and the principal open.
    function _checkPrepayment(bytes32 loanId, uint256[] memory words, OwedState memory st, uint256 principal)
        private
        pure
        returns (uint256 next, uint256 open)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            next = LoanPacking.nextInstallment(st.progressWord);
            // partly paid, penalty accrued or late: the installment in progress must be settled first
            if (LoanPacking.currentTouched(st.progressWord) || st.day > LoanPacking.dueDay(LoanPacking.installment(words, next))) {
                revert IJointLoanLedger.LedgerInstallmentOpen(loanId, next);
            }
            for (uint256 i = next; i < st.count; ++i) {
                open += LoanPacking.principal(LoanPacking.installment(words, i));
            }
            if (principal == 0 || principal >= open) revert IJointLoanLedger.LedgerBadPrepayment(loanId, principal, open);
        }
    }

    /// @dev Interest to the day on what is prepaid: the installment in progress's interest pro rata
    /// by principal and by days since its period began (none before), half up.
    function _accruedOn(uint256[] memory words, OwedState memory st, uint256 next, uint256 open, uint256 principal)
        private
        pure
        returns (uint256)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            uint256 packed = LoanPacking.installment(words, next);
            uint256 periodStart = next == 0 ? st.startDay : LoanPacking.dueDay(LoanPacking.installment(words, next - 1));
            uint256 elapsed = st.day > periodStart ? st.day - periodStart : 0;
            uint256 period = LoanPacking.dueDay(packed) - periodStart;
            return (2 * LoanPacking.interest(packed) * principal * elapsed + open * period) / (2 * open * period);
        }
    }

    /// @dev The fee allowed (refusing more), the cut where even without a fee the cap does not
    /// allow interest and principal (off the interest, then the principal), and the new headroom:
    /// the start-day `budget` less what is paid today, discounted (rounded up), in fen rounded down.
    function _fitUnderCap(
        bytes32 loanId,
        uint256[] memory words,
        OwedState memory st,
        Prepayment memory r,
        uint256 budget
    ) private pure {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            uint256 allowed = _grow(words, st, budget) / _FP;
            uint256 due = r.interest + r.principalPaid;
            r.maxFee = allowed > due ? allowed - due : 0;
            if (r.fee > r.maxFee) revert IJointLoanLedger.LedgerPrepaymentFeeAboveCap(loanId, r.fee, r.maxFee);
            if (due > allowed) {
                uint256 cut = due - allowed;
                uint256 fromInterest = Math.min(cut, r.interest);
                r.interest -= fromInterest;
                r.principalPaid -= cut - fromInterest;
            }
            uint256 paid = _discountUp(words, st, (r.interest + r.principalPaid + r.fee) * _FP);
            r.slack = Math.saturatingSub(budget, paid) / _FP;
        }
    }

    /// @notice What paying ahead of the schedule costs under the all-in cap: `amounts[i]` paid of
    /// installment i on `state.day` is worth amounts[i] × (the discount at the cap from that day −
    /// from installment i's due day) more to the lender than the schedule counts, present values as
    /// of the start day, scaled by 2^64 and rounded against the lender ({IJointLoanLedger-repay}).
    function earlyCharge(uint256[] memory scheduleWords, OwedState memory state, uint256[] memory amounts)
        internal
        pure
        returns (uint256 charge)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            OwedState memory st = state;
            uint256 today_ = _discountUp(scheduleWords, st, _FP);
            if (st.bullet) {
                uint256 dueB = LoanPacking.dueDay(LoanPacking.installment(scheduleWords, 0));
                uint256 atDue = _FP * 3_650_000 / (3_650_000 + st.capBps * (dueB - st.startDay));
                return today_ > atDue ? amounts[0] * (today_ - atDue) : 0;
            }
            uint256 x = 120_000 + st.capBps;
            uint256 v = _FP;
            for (uint256 i = 0; i < amounts.length; ++i) {
                v = v * 120_000 / x;
                if (amounts[i] != 0 && today_ > v) charge += amounts[i] * (today_ - v);
            }
        }
    }

    /// @dev Recompute installments `next`… in `words` for the principal still open going from
    /// `open` to `newOpen`: each installment's interest scaled by its new balance over its old,
    /// half up; principal scaled cumulatively (LowerInstallments) or each installment's total kept
    /// until the principal is repaid (ShortenTerm). Returns the new installment count; the
    /// installments after it are cleared.
    function _reschedule(uint256[] memory words, uint256 count, uint256 next, uint256 open, uint256 newOpen, bool shorten)
        private
        pure
        returns (uint256 newCount)
    {
        // cannot overflow or underflow: balances only fall, the new below the old, and the new
        // principals sum to at most the new balance
        unchecked {
            // balance and new balance at the installment's period start; principal before it, old and new
            uint256[4] memory b = [open, newOpen, 0, 0];
            newCount = count;
            for (uint256 i = next; i < count; ++i) {
                uint256 packed = LoanPacking.installment(words, i);
                uint256 principal = LoanPacking.principal(packed);
                uint256 interest = LoanPacking.interest(packed);
                // the balance is never below the new balance, so the new interest is at most the old
                uint256 newInterest = b[0] == 0 ? 0 : (2 * interest * b[1] + b[0]) / (2 * b[0]);
                uint256 newPrincipal;
                if (shorten) {
                    newPrincipal = principal + interest - newInterest;
                    if (newPrincipal > b[1] || i + 1 == count) newPrincipal = b[1];
                    if (newPrincipal > type(uint32).max) newPrincipal = type(uint32).max;
                } else {
                    b[2] += principal;
                    uint256 scaled = (2 * b[2] * newOpen + open) / (2 * open);
                    newPrincipal = scaled - b[3];
                    b[3] = scaled;
                }
                LoanPacking.setInstallment(words, i, LoanPacking.dueDay(packed), newPrincipal, newInterest);
                b[0] -= principal;
                b[1] -= newPrincipal;
                if (shorten && b[1] == 0) {
                    newCount = i + 1;
                    break;
                }
            }
            for (uint256 i = newCount; i < count; ++i) {
                LoanPacking.setInstallment(words, i, 0, 0, 0);
            }
        }
    }

    /// @dev The present value at the cap, as of the start day, of installments `from`… (of
    /// `st.count`), scaled by 2^64, rounded down or `up`.
    function _presentValue(uint256[] memory words, OwedState memory st, uint256 from, bool up)
        private
        pure
        returns (uint256 v)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            if (st.bullet) {
                if (from != 0) return 0;
                uint256 packed = LoanPacking.installment(words, 0);
                uint256 grown = 3_650_000 + st.capBps * (LoanPacking.dueDay(packed) - st.startDay);
                uint256 amount = (LoanPacking.principal(packed) + LoanPacking.interest(packed)) * _FP * 3_650_000;
                return up ? Math.ceilDiv(amount, grown) : amount / grown;
            }
            uint256 x = 120_000 + st.capBps;
            for (uint256 k = st.count; k != 0; --k) {
                if (k - 1 >= from) {
                    uint256 packed = LoanPacking.installment(words, k - 1);
                    v += (LoanPacking.principal(packed) + LoanPacking.interest(packed)) * _FP;
                }
                v = up ? Math.ceilDiv(v * 120_000, x) : v * 120_000 / x;
            }
        }
    }

    /// @dev `v` (start-day value) grown at the cap to `st.day`, rounded down: whole months of the
    /// schedule compounded, the month in progress by days (30-day months after the last due day);
    /// a bullet by simple interest from the start.
    function _grow(uint256[] memory words, OwedState memory st, uint256 v) private pure returns (uint256) {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            if (st.bullet) return v * (3_650_000 + st.capBps * (st.day > st.startDay ? st.day - st.startDay : 0)) / 3_650_000;
            (uint256 months, uint256 from, uint256 period) = _position(words, st);
            for (uint256 k = 0; k < months; ++k) {
                v = v * (120_000 + st.capBps) / 120_000;
            }
            return v * (120_000 * period + st.capBps * (st.day - from)) / (120_000 * period);
        }
    }

    /// @dev `v` paid on `st.day` discounted at the cap to the start day, rounded up (`_grow` inverted).
    function _discountUp(uint256[] memory words, OwedState memory st, uint256 v) private pure returns (uint256) {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            if (st.bullet) {
                return Math.ceilDiv(v * 3_650_000, 3_650_000 + st.capBps * (st.day > st.startDay ? st.day - st.startDay : 0));
            }
            (uint256 months, uint256 from, uint256 period) = _position(words, st);
            v = Math.ceilDiv(v * 120_000 * period, 120_000 * period + st.capBps * (st.day - from));
            for (uint256 k = 0; k < months; ++k) {
                v = Math.ceilDiv(v * 120_000, 120_000 + st.capBps);
            }
            return v;
        }
    }

    /// @dev How many due days fall on or before `st.day`, the last of them (or the start day) and
    /// the length of the period after it (30 days after the last due day).
    function _position(uint256[] memory words, OwedState memory st)
        private
        pure
        returns (uint256 months, uint256 from, uint256 period)
    {
        // cannot overflow or underflow: see the bounds above
        unchecked {
            while (months < st.count && LoanPacking.dueDay(LoanPacking.installment(words, months)) <= st.day) ++months;
            from = months == 0 ? st.startDay : LoanPacking.dueDay(LoanPacking.installment(words, months - 1));
            period = months < st.count ? LoanPacking.dueDay(LoanPacking.installment(words, months)) - from : 30;
        }
    }

    /// @dev Add one installment (packed: due day 16 | principal 32 | interest 32) to `sums`;
    /// returns the next period's start.
    function _owedOne(uint256[3] memory sums, uint256 word, uint256 packed, uint256 periodStart, OwedState memory st)
        private
        pure
        returns (uint256)
    {
        uint256 day = st.day;
        uint256 dueDay = LoanPacking.dueDay(packed);
        (uint256 principalPaid, uint256 interestPaid) = LoanPacking.currentPaid(word);
        uint256 unpaid = LoanPacking.principal(packed) - principalPaid;
        uint256 interest = LoanPacking.interest(packed);
        sums[2] += unpaid;
        if (dueDay <= day || st.fullInterest) {
            sums[0] += _penaltyDue(word, unpaid, dueDay, day, st.penaltyAprBps);
            sums[1] += interest - interestPaid;
            return dueDay;
        }
        if (periodStart == type(uint256).max) return periodStart;
        // a period not begun yet (an earlier installment paid ahead) has accrued nothing
        uint256 elapsed = day > periodStart ? day - periodStart : 0;
        uint256 period = dueDay - periodStart;
        uint256 accrued = (2 * interest * elapsed + period) / (2 * period);
        if (accrued > interestPaid) sums[1] += accrued - interestPaid;
        return type(uint256).max;
    }

    /// @dev As the ledger accrues it (RepaymentWaterfall.accruePenalty): the penalty due plus
    /// whole days since it was last accrued (or since the due day) on the unpaid principal.
    function _penaltyDue(uint256 word, uint256 unpaid, uint256 dueDay, uint256 day, uint256 rate)
        private
        pure
        returns (uint256)
    {
        (uint256 due, uint256 accruedDay) = LoanPacking.penalty(word);
        return due + RepaymentWaterfall.penaltyFor(unpaid, rate, Math.max(accruedDay, dueDay), day);
    }
}
