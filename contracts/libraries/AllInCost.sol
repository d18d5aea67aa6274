// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title AllInCost
/// @notice Whether a loan's all-in annual cost (interest and every fee, 年化综合资金成本) is at
/// most a cap, decided in integers without solving for the IRR; and, for the refusal message, the
/// all-in APR itself. Mirrors `allInAprBps` / `exceedsCap` / `allInWithinCap` in
/// common/lending/apr.ts exactly: the convention and its rounding are specified in
/// common/lending/SCHEDULE.md ("All-in APR", "The cap on chain").
/// @dev Inputs are per-period payments. `doubled[k]` (k = 1..n) is twice what the borrower pays
/// in period k, less one half-fen allowance (one fen of the doubled value) per non-zero
/// installment: see SCHEDULE.md for why. `received` is the cash the borrower receives (the
/// principal less every fee due at disbursement).
///
/// monthly-irr (EqualInstallment, InterestFirst): at R bps the monthly discount factor is
/// D / x with D = 120000 and x = D + R. The present value is evaluated backwards in fixed point
/// with SCALE = 2^128, every division rounded UP:
///     V_{n+1} = 0;  V_k = doubled[k]·SCALE + ⌈V_{k+1}·D / x⌉;  PV = ⌈V_1·D / x⌉
/// and the loan is within the cap R when PV ≤ 2·received·SCALE. Rounding up overstates the
/// present value by less than n·2^-128 half-fen, so the check errs (negligibly) against the
/// lender, and PV is non-increasing in R, so the all-in APR (the least R within) is well defined.
///
/// simple (Bullet): within the cap R when (2·excess − allowance)·3650000 ≤ R·2·received·days,
/// excess = everything paid − received: exactly ⌈APR⌉ ≤ R.
library AllInCost {
    /// @notice Monthly rate per bps of APR: i = R / 120000 (12 months × 10000 bps).
    uint256 internal constant MONTHLY_DENOMINATOR = 120_000;
    /// @notice Simple annual rate: 365 days × 10000 bps.
    uint256 internal constant SIMPLE_NUMERATOR = 3_650_000;
    /// @notice Fixed-point scale of the monthly present value.
    uint256 internal constant SCALE = 1 << 128;
    /// @notice The largest APR reported (2^53 − 1, as in TypeScript); above it, type(uint256).max.
    uint256 internal constant MAX_BPS = (1 << 53) - 1;

    /// @notice Monthly-irr: the present value at `rateBps` of the doubled payments does not exceed
    /// twice the cash received.
    function monthlyWithin(uint256[] memory doubled, uint256 received, uint256 rateBps) internal pure returns (bool) {
        return _presentValueUp(doubled, MONTHLY_DENOMINATOR + rateBps) <= 2 * received * SCALE;
    }

    /// @notice Monthly-irr headroom: the cash received less the present value at `rateBps` of what
    /// the borrower pays (allowance included), in fen rounded down, and whether it is within
    /// the rate at all (`monthlyWithin`).
    function monthlySlack(uint256[] memory doubled, uint256 received, uint256 rateBps)
        internal
        pure
        returns (bool within, uint256 slack)
    {
        uint256 pv = _presentValueUp(doubled, MONTHLY_DENOMINATOR + rateBps);
        uint256 twice = 2 * received * SCALE;
        if (pv > twice) return (false, 0);
        return (true, (twice - pv) / (2 * SCALE));
    }

    /// @notice Simple headroom: the cash received less what is paid (`doubledPaid` / 2) discounted
    /// by simple interest at `rateBps` over `days_`, in fen rounded down; 0 when above the rate.
    function simpleSlack(uint256 doubledPaid, uint256 received, uint256 days_, uint256 rateBps) internal pure returns (uint256) {
        uint256 grown = SIMPLE_NUMERATOR + rateBps * days_;
        uint256 a = 2 * received * grown;
        uint256 b = doubledPaid * SIMPLE_NUMERATOR;
        return b > a ? 0 : (a - b) / (2 * grown);
    }

    /// @notice Monthly-irr all-in APR, for a loan known to be above `capBps`: the least R within.
    /// Bisection between a failing and a holding rate; only called on the refusal path.
    function monthlyAprAbove(uint256[] memory doubled, uint256 received, uint256 capBps) internal pure returns (uint256) {
        uint256 lo = capBps; // fails
        uint256 hi = capBps;
        do {
            lo = hi;
            hi = 2 * hi + 1;
            if (hi > 2 * MAX_BPS) return type(uint256).max;
        } while (!monthlyWithin(doubled, received, hi));
        while (hi - lo > 1) {
            uint256 mid = lo + (hi - lo) / 2;
            if (monthlyWithin(doubled, received, mid)) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    /// @notice Simple: ⌈(2·paid − 2·received − allowance)·3650000 / (2·received·days)⌉ ≤ capBps,
    /// where `doubledPaid` = 2·paid − allowance. Returns the all-in APR when above the cap, else 0.
    function simpleAprAbove(uint256 doubledPaid, uint256 received, uint256 days_, uint256 capBps)
        internal
        pure
        returns (bool above, uint256 aprBps)
    {
        // paid at most received (less the allowance): a zero or negative rate, never above a cap
        if (doubledPaid <= 2 * received) return (false, 0);
        uint256 numerator = (doubledPaid - 2 * received) * SIMPLE_NUMERATOR;
        uint256 denominator = 2 * received * days_;
        if (numerator <= capBps * denominator) return (false, 0);
        aprBps = (numerator + denominator - 1) / denominator;
        if (aprBps > MAX_BPS) aprBps = type(uint256).max;
        return (true, aprBps);
    }

    /// @notice The Shanghai day number of `addMonths(dayToDate(startDay), months)`: the same day
    /// of the month, clamped to the month's end (proleptic Gregorian, as common/lending/dates.ts).
    function addMonthsDay(uint256 startDay, uint256 months) internal pure returns (uint256) {
        (uint256 year, uint256 month, uint256 day) = _civilFromDays(startDay);
        uint256 index = year * 12 + (month - 1) + months;
        year = index / 12;
        month = index % 12 + 1;
        uint256 dim = _daysInMonth(year, month);
        return _daysFromCivil(year, month, day < dim ? day : dim);
    }

    /// @notice A walk over a monthly schedule's due days from `startDay`: the month index
    /// (year·12 + month − 1) of the current month, the day number of its 1st, and the start's day
    /// of the month. `nextDueDay` moves it one month on and returns that month's due day, which
    /// equals addMonthsDay(startDay, k) at step k without converting a date each time.
    struct MonthWalk {
        uint256 monthIndex;
        uint256 monthStart;
        uint256 monthDays;
        uint256 dayOfMonth;
    }

    function monthWalk(uint256 startDay) internal pure returns (MonthWalk memory walk) {
        (uint256 year, uint256 month, uint256 day) = _civilFromDays(startDay);
        walk.monthIndex = year * 12 + (month - 1);
        walk.monthStart = startDay - (day - 1);
        walk.monthDays = _daysInMonth(year, month);
        walk.dayOfMonth = day;
    }

    function nextDueDay(MonthWalk memory walk) internal pure returns (uint256) {
        // cannot overflow: day numbers and month indexes of 16-bit days are tiny
        unchecked {
            uint256 start = walk.monthStart + walk.monthDays;
            uint256 index = walk.monthIndex + 1;
            uint256 dim = _daysInMonth(index / 12, index % 12 + 1);
            (walk.monthStart, walk.monthIndex, walk.monthDays) = (start, index, dim);
            uint256 day = walk.dayOfMonth;
            return start + (day < dim ? day : dim) - 1;
        }
    }

    /// @dev The backward fixed-point evaluation specified above, x = D + R > 0.
    function _presentValueUp(uint256[] memory doubled, uint256 x) private pure returns (uint256 v) {
        // cannot overflow: with x ≥ D, v < 2^45·2^128 (at most 60 periods, each payment below
        // 2^44 doubled fen: 32-bit installment amounts and at most 120 32-bit fees), times D < 2^17
        unchecked {
            for (uint256 k = doubled.length - 1; k != 0; --k) {
                v = doubled[k] * SCALE + Math.ceilDiv(v * MONTHLY_DENOMINATOR, x);
            }
            v = Math.ceilDiv(v * MONTHLY_DENOMINATOR, x);
        }
    }

    function _daysInMonth(uint256 year, uint256 month) private pure returns (uint256) {
        if (month == 2) return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
    }

    // H. Hinnant's days_from_civil / civil_from_days for days ≥ 0 (1970 on): years start in March
    // so the leap day is last; an era is 400 years = 146097 days; 719468 = 1970-01-01 from 0000-03-01.
    // Both unchecked: for dates from 1970 every intermediate is non-negative and far below 2^64.
    function _daysFromCivil(uint256 year, uint256 month, uint256 day) private pure returns (uint256) {
        unchecked {
            uint256 y = month <= 2 ? year - 1 : year;
            uint256 era = y / 400;
            uint256 yoe = y - era * 400;
            uint256 doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
            uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            return era * 146_097 + doe - 719_468;
        }
    }

    function _civilFromDays(uint256 days_) private pure returns (uint256 year, uint256 month, uint256 day) {
        unchecked {
            uint256 z = days_ + 719_468;
            uint256 era = z / 146_097;
            uint256 doe = z - era * 146_097;
            uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            uint256 mp = (5 * doy + 2) / 153;
            day = doy - (153 * mp + 2) / 5 + 1;
            month = mp < 10 ? mp + 3 : mp - 9;
            year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        }
    }
}
