// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LoanPacking} from "./LoanPacking.sol";

/// @title RepaymentWaterfall
/// @notice How a repayment pays an installment: penalty, then interest, then principal
/// (DOMAIN.md), and how penalty interest (罚息) accrues on late principal. Run by the
/// LedgerExtension on a loan's unpacked progress and its stored schedule; Settlement counts
/// penalty with the same rule.
library RepaymentWaterfall {
    uint256 private constant _BPS = 10_000;

    /// @notice The effective penalty rate: the governed one, but never so high that the contract
    /// rate plus penalty passes the all-in cap.
    function penaltyApr(uint256 aprBps, uint256 capBps, uint256 governedBps) internal pure returns (uint256) {
        return Math.min(governedBps, Math.saturatingSub(capBps, aprBps));
    }

    /// @notice Penalty on `unpaid` principal at `rateBps` a year for the whole days from `from`
    /// to `day` (none when `day` is not after it), truncated to the fen.
    function penaltyFor(uint256 unpaid, uint256 rateBps, uint256 from, uint256 day) internal pure returns (uint256) {
        return day > from ? (unpaid * rateBps * (day - from)) / (365 * _BPS) : 0;
    }

    /// @notice Accrue penalty on the current installment's unpaid principal for the whole days
    /// since it was last accrued (or since it fell due on `dueDay`) up to `day`.
    function accruePenalty(
        IJointLoanLedger.Progress memory p,
        uint256 installmentPrincipal,
        uint256 dueDay,
        uint256 day,
        uint256 rateBps
    ) internal pure {
        uint256 from = Math.max(p.penaltyAccruedDay, dueDay);
        if (day <= from) return;
        uint256 accrued = penaltyFor(installmentPrincipal - p.currentPrincipalPaid, rateBps, from, day);
        // cannot truncate: penalty on a 32-bit principal at ≤ 100% a year stays below 2^32 for
        // decades, and days fit in 16 bits until 2149 (the schedule's own limit)
        p.penaltyDue += uint32(accrued);
        p.penaltyAccruedDay = uint16(day);
    }

    /// @notice Allocate `amount` over the loan's earliest unpaid installments from
    /// `p.nextInstallment` (of `count`, in `schedule`) on `day`: each installment's penalty (accrued
    /// to the day at the loan's effective rate), then its interest, then its principal, moving `p`
    /// on as each is paid. Returns what was paid (penalty, interest, principal, and what of
    /// interest and principal was paid before a due day), that last by installment, and what of
    /// `amount` is left (more than is owed).
    function allocate(
        mapping(uint256 word => uint256) storage schedule,
        IJointLoanLedger.LedgerParams storage params,
        IJointLoanLedger.Progress memory p,
        uint256 count,
        uint256 aprBps,
        uint256 day,
        uint256 amount
    ) internal view returns (uint256[4] memory paid, uint256[] memory ahead, uint256 left) {
        ahead = new uint256[](count);
        left = amount;
        // the penalty rate is read at the first late installment: on-time repayments skip the load
        uint256 rate = type(uint256).max;
        while (left != 0 && p.nextInstallment < count) {
            uint256 index = p.nextInstallment;
            uint256 packed = LoanPacking.installmentIn(schedule, index);
            if (rate == type(uint256).max && day > LoanPacking.dueDay(packed)) {
                rate = penaltyApr(aprBps, params.aprCapBps, params.penaltyAprBps);
            }
            uint256 before = paid[3];
            left = _payNext(p, packed, day, rate, left, paid);
            ahead[index] = paid[3] - before;
        }
    }

    /// @dev Pay what `left` allows of installment `packed` (the one `p` is at), adding to `paid`.
    function _payNext(
        IJointLoanLedger.Progress memory p,
        uint256 packed,
        uint256 day,
        uint256 rate,
        uint256 left,
        uint256[4] memory paid
    ) private pure returns (uint256) {
        (uint256 dueDay, uint256 iP, uint256 iI) = LoanPacking.unpack(packed);
        if (day > dueDay) accruePenalty(p, iP, dueDay, day, rate);
        uint256 pay = Math.min(p.penaltyDue, left);
        // cannot truncate or underflow: pay is at most the 32-bit penalty due
        p.penaltyDue -= uint32(pay);
        paid[0] += pay;
        left -= pay;
        uint256 toInterest = Math.min(iI - p.currentInterestPaid, left);
        // cannot truncate: at most the installment's 32-bit interest and principal
        p.currentInterestPaid += uint32(toInterest);
        paid[1] += toInterest;
        left -= toInterest;
        pay = Math.min(iP - p.currentPrincipalPaid, left);
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
}
