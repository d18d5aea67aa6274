// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice The all-in cap holds however a loan is repaid: on time, late, in part, ahead of the
/// schedule, prepaid in part (either mode) or settled early. The borrower's realised all-in cost is checked here independently of the ledger: the
/// present value at the cap of every amount actually paid, on the day it was paid (whole months
/// of the schedule compounded, the month in progress by days, common/lending/SCHEDULE.md "Early
/// settlement"), fees included, never exceeds the cash received.
contract JointLoanLedgerAllInTest is LendingFixture {
    uint256 private constant _FP = 1 << 64;
    uint256 private constant _CAP = 2400;

    struct Paid {
        uint256 day;
        uint256 amount;
    }

    Paid[] private _paid;
    uint256 private _feesPV;
    uint256 private _paidPV;
    uint256[2] private _credited;
    uint256[2] private _forgiven;
    uint256 private _prepayments;
    uint256 private _aheadTaken;

    function _withFees(IJointLoanLedger.LoanTerms memory t, uint32 upfront, uint32 perInstallment)
        private
        pure
        returns (IJointLoanLedger.LoanTerms memory)
    {
        uint256 n = (upfront != 0 ? 1 : 0) + (perInstallment != 0 ? t.schedule.length : 0);
        t.fees = new IJointLoanLedger.Fee[](n);
        uint256 j;
        if (upfront != 0) t.fees[j++] = IJointLoanLedger.Fee(0, upfront);
        if (perInstallment != 0) {
            for (uint256 k = 1; k <= t.schedule.length; ++k) {
                // cannot truncate: at most 60 installments
                t.fees[j++] = IJointLoanLedger.Fee(uint8(k), perInstallment);
            }
        }
        return t;
    }

    /// @dev 10,000 yuan at 18% over 12 months with 200 yuan deducted at disbursement (all-in
    /// within 24%), settled the next day. Principal plus a day's interest would be 10,004.84
    /// yuan for 9,800 yuan received: over 2,000% a year. Within the cap the borrower owes at most
    /// the cash received grown one day of the 31-day month at 2% a month.
    function test_settle_dayAfterWithAnUpfrontFeeStaysWithinTheCap() external {
        bytes32 loanId = _register(_withFees(_terms("FEE-SETTLE", 1_000_000, 3000, 12), 20_000, 0));
        _disburseAll(loanId);
        vm.warp(_dayStart(START_DAY + 1));
        (uint256 penalty, uint256 interest, uint256 principal) = ledger.settlementOwed(loanId);
        // the cash received grown a day at the cap, plus the registration's half-fen allowance per
        // installment (SCHEDULE.md) at most
        uint256 low = (980_000 * (120_000 * 31 + _CAP)) / (120_000 * 31);
        uint256 high = ((980_000 + 6) * (120_000 * 31 + _CAP)) / (120_000 * 31);
        assertEq(penalty, 0, "no penalty");
        assertEq(interest, 0, "the fee took more than a day's interest");
        assertTrue(principal >= low && principal <= high, "the cash received grown a day at the cap");
        assertTrue(principal < 1_000_000, "less than the principal: the fee is given back in part");
        vm.prank(branchAOps);
        ledger.settle(loanId, principal, _serial(), "settlement voucher");
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
        assertEq(ledger.progress(loanId).principalRepaid, 1_000_000, "the books close");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch outstanding released in full");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding released in full");
        assertEq(ledger.borrowerOutstanding(keccak256(abi.encode("borrower", bytes32("FEE-SETTLE")))), 0, "borrower");
    }

    /// @dev A loan without fees at a rate below the cap settles exactly as before: principal plus
    /// interest to the day (the allowance never binds).
    function test_settle_withoutFeesTheAllowanceNeverBinds() external {
        bytes32 loanId = _register(_terms("NOFEE", 1_000_000, 3000, 12));
        _disburseAll(loanId);
        IJointLoanLedger.Installment[] memory s = ledger.schedule(loanId);
        for (uint256 d = START_DAY; d <= s[11].dueDay + 40; d += 7) {
            vm.warp(_dayStart(d));
            (uint256 pen, uint256 interest, uint256 principal) = ledger.settlementOwed(loanId);
            if (d > s[0].dueDay) break;
            assertEq(pen, 0, "nothing late");
            assertEq(principal, 1_000_000, "all the principal");
            uint256 expected = (2 * uint256(s[0].interest) * (d - START_DAY) + 31) / 62;
            assertEq(interest, expected, "interest to the day");
        }
    }

    /// @dev Any sequence of on-time, late and partial repayments of what is due, repayments ahead of
    /// the schedule (refused only beyond the headroom), partial prepayments in either mode with a
    /// fee up to what the cap allows, then — unless repaid in full — early settlement: the realised
    /// all-in cost stays within the cap, and the funders' principal shares add up exactly.
    function testFuzz_anyRepaymentPathStaysWithinTheCap(uint256 seed, uint32 upfront, uint32 perInstallment, uint16 share)
        external
    {
        uint256 n = 3 + (seed % 10);
        uint64 principal = uint64(bound(uint256(keccak256(abi.encode(seed, "p"))), 300_000, 5_000_000));
        upfront = uint32(bound(upfront, 0, principal / 40));
        perInstallment = uint32(bound(perInstallment, 0, principal / 400));
        share = uint16(bound(share, 0, 7000));
        if (share != 0 && share < 3000) share = 3000;
        IJointLoanLedger.LoanTerms memory t =
            _withFees(_terms(bytes32(seed), principal, share, n), upfront, perInstallment);
        bytes memory agreement = _agreement(t);
        vm.prank(branchAOps);
        try ledger.registerLoan(t, agreement) returns (bytes32 loanId) {
            _disburseAll(loanId);
            _walk(loanId, seed, t);
        } catch (bytes memory err) {
            // the fees put the schedule itself above the cap: refused at registration
            assertEq(bytes32(bytes4(err)), bytes32(IJointLoanLedger.LedgerAllInAprAboveCap.selector), "only the cap");
        }
    }

    function _walk(bytes32 loanId, uint256 seed, IJointLoanLedger.LoanTerms memory t) private {
        uint256 perFee = t.fees.length > (t.fees.length != 0 && t.fees[0].installment == 0 ? 1 : 0)
            ? t.fees[t.fees.length - 1].amount
            : 0;
        vm.recordLogs();
        for (uint256 step = 0; step < 24 && ledger.loan(loanId).state == IJointLoanLedger.LoanState.Active; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            vm.warp(block.timestamp + (seed % 45) * 1 days);
            uint256 action = (seed >> 8) % 6;
            if (action == 3) {
                _settleStep(loanId, t);
                break;
            }
            if (action == 4) _prepayStep(loanId, t, seed);
            else _repayStep(loanId, t, seed, perFee, action == 5);
        }
        uint256 upfront = t.fees.length != 0 && t.fees[0].installment == 0 ? t.fees[0].amount : 0;
        // the registration convention counts half a fen less per installment (SCHEDULE.md)
        assertTrue(
            _feesPV + _paidPV <= (t.principal - upfront) * _FP + (t.schedule.length * _FP) / 2,
            "realised all-in cost above the cap"
        );
        _checkSplits(t, ledger.progress(loanId).principalRepaid);
    }

    function _settleStep(bytes32 loanId, IJointLoanLedger.LoanTerms memory t) private {
        uint256 before = ledger.progress(loanId).principalRepaid;
        (uint256 pen, uint256 interest, uint256 principal) = ledger.settlementOwed(loanId);
        vm.prank(branchAOps);
        ledger.settle(loanId, pen + interest + principal, _serial(), "settle");
        _record(loanId, interest + principal);
        _readLogs(loanId, t);
        _forgive(t, before + principal, t.principal);
    }

    /// @dev A partial prepayment of a random part of the principal in a random mode, with a random
    /// fee up to what the cap allows; refused only while the installment in progress is open.
    function _prepayStep(bytes32 loanId, IJointLoanLedger.LoanTerms memory t, uint256 seed) private {
        IJointLoanLedger.Progress memory p = ledger.progress(loanId);
        uint256 open = t.principal - p.principalRepaid;
        if (open < 2) return;
        uint256 principal = bound(seed >> 24, 1, open - 1);
        IJointLoanLedger.PrepaymentMode mode = IJointLoanLedger.PrepaymentMode((seed >> 64) % 2);
        try ledger.prepaymentOwed(loanId, principal, mode, 0) returns (uint256, uint256, uint256 maxFee, IJointLoanLedger.Installment[] memory) {
            uint256 fee = (seed >> 72) % 3 == 0 ? 0 : bound(seed >> 80, 0, maxFee);
            (uint256 interest, uint256 paid,,) = ledger.prepaymentOwed(loanId, principal, mode, fee);
            vm.prank(branchAOps);
            ledger.prepay(loanId, principal, mode, fee, interest + paid + fee, _serial(), "prepay");
            _record(loanId, interest + paid + fee);
            _readLogs(loanId, t);
            _forgive(t, p.principalRepaid + paid, p.principalRepaid + principal);
            ++_prepayments;
        } catch (bytes memory err) {
            assertEq(bytes4(err), IJointLoanLedger.LedgerInstallmentOpen.selector, "only while an installment is open");
        }
    }

    /// @dev One repayment of everything due (action 0), a random part of it, or (`ahead`) a random
    /// amount up to everything the schedule still holds, which pays installments before their due
    /// days and is refused only beyond the loan's headroom; the fees of installments it completes
    /// count as paid.
    function _repayStep(bytes32 loanId, IJointLoanLedger.LoanTerms memory t, uint256 seed, uint256 perFee, bool ahead)
        private
    {
        uint256 day = ledger.today();
        uint256 maxPay = _dueNow(loanId);
        if (ahead) {
            (uint256 pen, uint256 interest, uint256 principal) = ledger.amountOwed(loanId);
            maxPay = pen + interest + principal;
        }
        if (maxPay == 0) return;
        uint256 amount = (seed >> 8) % 6 == 0 ? maxPay : bound(seed >> 16, 1, maxPay);
        IJointLoanLedger.Progress memory before = ledger.progress(loanId);
        vm.prank(branchAOps);
        try ledger.repay(loanId, amount, _serial(), keccak256(abi.encode("repayment voucher", amount))) {
            if (ahead) ++_aheadTaken;
        } catch (bytes memory err) {
            assertTrue(ahead, "what is due is always taken");
            assertEq(bytes4(err), IJointLoanLedger.LedgerPaymentAheadAboveCap.selector, "refused only above the cap");
            return;
        }
        _record(loanId, amount - _readLogs(loanId, t));
        IJointLoanLedger.Progress memory afterwards = ledger.progress(loanId);
        uint256 completed = afterwards.nextInstallment - before.nextInstallment;
        _feesPV += _pvUp(ledger.schedule(loanId), t.startDay, day, perFee * completed);
    }

    /// @dev An amount paid today, at its present value under the schedule as it stands.
    function _record(bytes32 loanId, uint256 amount) private {
        _paid.push(Paid(ledger.today(), amount));
        _paidPV += _pvUp(ledger.schedule(loanId), ledger.loan(loanId).startDay, ledger.today(), amount);
    }

    /// @dev Principal the cap forgave: the quotas release it, the funders bear it by their
    /// cumulative shares (`paidTo` is the running total actually paid, `releasedTo` what it released).
    function _forgive(IJointLoanLedger.LoanTerms memory t, uint256 paidTo, uint256 releasedTo) private {
        if (paidTo == releasedTo) return;
        uint16[] memory shares = new uint16[](t.funders.length);
        for (uint256 i = 0; i < shares.length; ++i) {
            shares[i] = t.funders[i].shareBps;
        }
        uint256[] memory a = Allocation.split(paidTo, shares);
        uint256[] memory b = Allocation.split(releasedTo, shares);
        for (uint256 i = 0; i < shares.length; ++i) {
            _forgiven[i] += b[i] - a[i];
        }
    }

    /// @dev Book the repayment's events: each funder's principal credit, and the penalty it paid
    /// (returned). Penalty interest is capped on its own (contract rate + penalty rate ≤ cap) and
    /// is not part of the realised cost checked here.
    function _readLogs(bytes32 loanId, IJointLoanLedger.LoanTerms memory t) private returns (uint256 penalty) {
        bytes32 shared = keccak256("RepaymentShared(bytes32,uint32,bytes32,uint256,uint256)");
        bytes32 received = keccak256("RepaymentReceived(bytes32,bytes32,bytes32,uint256,uint256,uint256)");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics.length < 2 || logs[i].topics[1] != loanId) continue;
            if (logs[i].topics[0] == received) {
                (,, uint256 p,,) = abi.decode(logs[i].data, (bytes32, bytes32, uint256, uint256, uint256));
                penalty += p;
            } else if (logs[i].topics[0] == shared) {
                uint32 funder = uint32(uint256(logs[i].topics[2]));
                (, uint256 p,) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
                _credited[funder == t.funders[0].memberId ? 0 : 1] += p;
            }
        }
    }

    /// @dev Each funder's principal credits add up to its largest-remainder share of all the
    /// principal repaid, less its share of what the cap forgave, to the fen.
    function _checkSplits(IJointLoanLedger.LoanTerms memory t, uint256 principalRepaid) private view {
        uint16[] memory shares = new uint16[](t.funders.length);
        for (uint256 i = 0; i < shares.length; ++i) {
            shares[i] = t.funders[i].shareBps;
        }
        uint256[] memory expected = Allocation.split(principalRepaid, shares);
        for (uint256 i = 0; i < shares.length; ++i) {
            assertEq(_credited[i] + _forgiven[i], expected[i], "funder principal to the fen");
        }
    }

    /// @dev `amount` paid on `day`, discounted at the cap to the start day, scaled by 2^64 and
    /// rounded up: (D / x)^M for the M due days on or before `day`, then the month in progress
    /// by days (30-day months after the last due day).
    function _pvUp(IJointLoanLedger.Installment[] memory s, uint256 startDay, uint256 day, uint256 amount)
        private
        pure
        returns (uint256 v)
    {
        uint256 x = 120_000 + _CAP;
        uint256 months;
        while (months < s.length && s[months].dueDay <= day) ++months;
        uint256 from = months == 0 ? startDay : s[months - 1].dueDay;
        uint256 period = months < s.length ? s[months].dueDay - from : 30;
        v = amount * _FP;
        v = _ceilDiv(v * 120_000 * period, 120_000 * period + _CAP * (day - from));
        for (uint256 k = 0; k < months; ++k) {
            v = _ceilDiv(v * 120_000, x);
        }
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
