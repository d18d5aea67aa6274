// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice Partial prepayment (提前部分还款): interest to the day on what is prepaid, the rest of
/// the schedule recomputed on chain in either mode, splits exact to the fen, the fee within the
/// all-in cap; and paying an installment ahead of its due day charged to the loan's headroom.
contract JointLoanLedgerPrepaymentTest is LendingFixture {
    bytes32 private constant _SHARED = keccak256("RepaymentShared(bytes32,uint32,bytes32,uint256,uint256)");

    function _prepay(bytes32 loanId, uint256 principal, IJointLoanLedger.PrepaymentMode mode, uint256 fee)
        private
        returns (uint256 interest, uint256 principalPaid)
    {
        (interest, principalPaid,,) = ledger.prepaymentOwed(loanId, principal, mode, fee);
        vm.prank(branchAOps);
        ledger.prepay(loanId, principal, mode, fee, interest + principalPaid + fee, _serial(), "prepayment voucher");
    }

    /// @dev 10,000 yuan, 12 installments: 3,000 yuan prepaid 10 days into the second month keeps
    /// the term, lowers every later installment's principal by 3,000 / 9,166.67 and its interest
    /// by its balance, charges interest on the 3,000 yuan for 10 of the month's days, and splits
    /// principal 70/30 and the interest by funding share, to the fen.
    function test_prepay_lowerInstallments() external {
        bytes32 loanId = _register(_terms("PRE-LOW", 1_000_000, 3000, 12));
        _disburseAll(loanId);
        IJointLoanLedger.Installment[] memory before = ledger.schedule(loanId);
        vm.warp(_dayStart(before[0].dueDay));
        _repay(loanId, uint256(before[0].principal) + before[0].interest);
        uint256 day = before[0].dueDay + 10;
        vm.warp(_dayStart(day));
        uint256 open = 1_000_000 - before[0].principal;
        uint256 expectedInterest =
            (2 * uint256(before[1].interest) * 300_000 * 10 + open * (before[1].dueDay - before[0].dueDay))
            / (2 * open * (before[1].dueDay - before[0].dueDay));
        vm.recordLogs();
        (uint256 interest, uint256 principalPaid) = _prepay(loanId, 300_000, IJointLoanLedger.PrepaymentMode.LowerInstallments, 0);
        assertEq(interest, expectedInterest, "interest to the day on what is prepaid");
        assertEq(principalPaid, 300_000, "no fee, below the cap: nothing forgiven");
        IJointLoanLedger.Installment[] memory after_ = ledger.schedule(loanId);
        assertEq(after_.length, 12, "the term is kept");
        uint256 sum;
        for (uint256 i = 1; i < 12; ++i) {
            assertEq(after_[i].dueDay, before[i].dueDay, "same due days");
            assertTrue(after_[i].principal < before[i].principal, "lower principal");
            assertTrue(after_[i].interest <= before[i].interest, "lower interest");
            sum += after_[i].principal;
        }
        assertEq(sum, open - 300_000, "the new schedule repays exactly the principal still open");
        assertEq(ledger.progress(loanId).principalRepaid, before[0].principal + 300_000, "principal repaid");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, open - 300_000, "quotas released");
        _checkPrepaymentLogs(loanId, vm.getRecordedLogs(), before[0].principal, 300_000, interest, 3000);
    }

    /// @dev The same prepayment keeping each installment's total: the schedule ends sooner and the
    /// last installment takes what is left.
    function test_prepay_shortenTerm() external {
        bytes32 loanId = _register(_terms("PRE-SHORT", 1_000_000, 3000, 12));
        _disburseAll(loanId);
        IJointLoanLedger.Installment[] memory before = ledger.schedule(loanId);
        vm.warp(_dayStart(START_DAY + 5));
        _prepay(loanId, 400_000, IJointLoanLedger.PrepaymentMode.ShortenTerm, 0);
        IJointLoanLedger.Installment[] memory after_ = ledger.schedule(loanId);
        assertTrue(after_.length < 12, "a shorter term");
        assertEq(ledger.loan(loanId).installmentCount, after_.length, "count stored");
        uint256 sum;
        for (uint256 i = 0; i < after_.length; ++i) {
            if (i + 1 < after_.length) {
                assertEq(
                    uint256(after_[i].principal) + after_[i].interest,
                    uint256(before[i].principal) + before[i].interest,
                    "each installment's total kept"
                );
            }
            sum += after_[i].principal;
        }
        assertEq(sum, 600_000, "the rest of the principal");
        // the shortened loan still settles and closes the books
        vm.warp(_dayStart(after_[after_.length - 1].dueDay));
        _repay(loanId, _dueNow(loanId));
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "repaid on its new last due day");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "books close");
    }

    function test_prepay_refusals() external {
        bytes32 loanId = _register(_terms("PRE-REF", 1_000_000, 0, 6));
        _disburseAll(loanId);
        IJointLoanLedger.PrepaymentMode lower = IJointLoanLedger.PrepaymentMode.LowerInstallments;
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerBadPrepayment.selector, loanId, 0, 1_000_000));
        ledger.prepaymentOwed(loanId, 0, lower, 0);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerBadPrepayment.selector, loanId, 1_000_000, 1_000_000));
        ledger.prepaymentOwed(loanId, 1_000_000, lower, 0);
        (uint256 interest, uint256 paid, uint256 maxFee,) = ledger.prepaymentOwed(loanId, 100_000, lower, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerPrepaymentFeeAboveCap.selector, loanId, maxFee + 1, maxFee)
        );
        ledger.prepaymentOwed(loanId, 100_000, lower, maxFee + 1);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerPrepaymentMismatch.selector, loanId, interest + paid - 1, interest + paid)
        );
        ledger.prepay(loanId, 100_000, lower, 0, interest + paid - 1, _serial(), "v");
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, platformOps, BRANCH_A));
        ledger.prepay(loanId, 100_000, lower, 0, interest + paid, _serial(), "v");
        // the installment in progress late, or partly paid: repay it first
        IJointLoanLedger.Installment memory first = ledger.schedule(loanId)[0];
        vm.warp(_dayStart(first.dueDay + 1));
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerInstallmentOpen.selector, loanId, 0));
        ledger.prepaymentOwed(loanId, 100_000, lower, 0);
        _repay(loanId, 1);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerInstallmentOpen.selector, loanId, 0));
        ledger.prepaymentOwed(loanId, 100_000, lower, 0);
    }

    /// @dev A fee the cap leaves room for is taken and split as income; the headroom shrinks by it.
    function test_prepay_feeWithinTheHeadroom() external {
        bytes32 loanId = _register(_terms("PRE-FEE", 1_000_000, 3000, 6));
        _disburseAll(loanId);
        vm.warp(_dayStart(START_DAY + 3));
        uint256 slackBefore = ledger.loan(loanId).allInSlack;
        (,, uint256 maxFee,) = ledger.prepaymentOwed(loanId, 200_000, IJointLoanLedger.PrepaymentMode.ShortenTerm, 0);
        assertTrue(maxFee > 0, "an 18% loan under a 24% cap leaves room");
        _prepay(loanId, 200_000, IJointLoanLedger.PrepaymentMode.ShortenTerm, maxFee);
        assertTrue(ledger.loan(loanId).allInSlack < slackBefore, "the fee used headroom");
    }

    /// @dev Regression: a loan at the cap, every later installment's interest paid the day after
    /// disbursement. Before, `repay` took it (a month's interest for a day, and more for the later
    /// months: the realised cost far above the cap); now it is refused with what it would cost
    /// against the headroom, and prepaying principal instead charges a day's interest.
    function test_repay_aheadOfTheScheduleAboveTheCapIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _terms("AHEAD", 1_000_000, 0, 6);
        t.aprBps = 2400;
        uint256 remaining = 1_000_000;
        for (uint256 i = 0; i < 6; ++i) {
            // cannot truncate: test amounts
            t.schedule[i].interest = uint32((remaining * 2400) / 120_000);
            remaining -= t.schedule[i].principal;
        }
        bytes32 loanId = _register(t);
        _disburseAll(loanId);
        vm.warp(_dayStart(START_DAY + 1));
        uint256 twoInstallments =
            uint256(t.schedule[0].principal) + t.schedule[0].interest + t.schedule[1].principal + t.schedule[1].interest;
        vm.prank(branchAOps);
        try ledger.repay(loanId, twoInstallments, _serial(), "ahead") {
            assertTrue(false, "paying ahead above the cap was accepted");
        } catch (bytes memory err) {
            assertEq(bytes4(err), IJointLoanLedger.LedgerPaymentAheadAboveCap.selector, "refused under the cap");
            (, uint256 charge, uint256 headroom) = abi.decode(_args(err), (bytes32, uint256, uint256));
            assertTrue(charge > headroom, "it costs more than the headroom");
        }
        assertEq(ledger.progress(loanId).nextInstallment, 0, "nothing booked");
        (uint256 interest, uint256 principalPaid) = _prepay(loanId, t.schedule[0].principal + t.schedule[1].principal, IJointLoanLedger.PrepaymentMode.ShortenTerm, 0);
        assertTrue(interest <= (uint256(t.schedule[0].interest) * 2 + 30) / 31, "a day's interest on what is prepaid, at most");
        assertTrue(principalPaid <= uint256(t.schedule[0].principal) + t.schedule[1].principal, "principal");
    }

    /// @dev Below the cap, paying the next installment a few days early is allowed and costs the
    /// loan's headroom what it is worth more to the lender.
    function test_repay_aheadWithinTheHeadroomIsCharged() external {
        bytes32 loanId = _register(_terms("AHEAD-OK", 1_000_000, 3000, 6));
        _disburseAll(loanId);
        IJointLoanLedger.Installment memory first = ledger.schedule(loanId)[0];
        vm.warp(_dayStart(first.dueDay - 3));
        uint256 slackBefore = ledger.loan(loanId).allInSlack;
        _repay(loanId, uint256(first.principal) + first.interest);
        assertEq(ledger.progress(loanId).nextInstallment, 1, "paid three days early");
        uint256 slackAfter = ledger.loan(loanId).allInSlack;
        assertTrue(slackAfter < slackBefore, "charged to the headroom");
        // about three days of interest at the cap on the installment
        assertTrue(slackBefore - slackAfter <= ((uint256(first.principal) + first.interest) * 2400 * 4) / 3_650_000 + 1, "the charge");
    }

    function _args(bytes memory err) private pure returns (bytes memory args) {
        args = new bytes(err.length - 4);
        for (uint256 i = 0; i < args.length; ++i) {
            args[i] = err[i + 4];
        }
    }

    /// @dev Principal by funding share (cumulatively), interest by the income split, all to the fen.
    function _checkPrepaymentLogs(
        bytes32 loanId,
        Vm.Log[] memory logs,
        uint256 principalBefore,
        uint256 principal,
        uint256 income,
        uint16 platformShare
    ) private pure {
        uint16[] memory shares = new uint16[](2);
        shares[0] = 10_000 - platformShare;
        shares[1] = platformShare;
        uint256[] memory a = Allocation.split(principalBefore, shares);
        uint256[] memory b = Allocation.split(principalBefore + principal, shares);
        uint256[] memory incomes = Allocation.split(income, shares);
        bool rescheduled;
        bool received;
        uint256 k;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics.length < 2 || logs[i].topics[1] != loanId) continue;
            if (logs[i].topics[0] == _SHARED) {
                (, uint256 p, uint256 inc) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
                assertEq(p, b[k] - a[k], "principal share to the fen");
                assertEq(inc, incomes[k], "income share to the fen");
                ++k;
            } else if (logs[i].topics[0] == IJointLoanLedger.LoanRescheduled.selector) {
                rescheduled = true;
            } else if (logs[i].topics[0] == IJointLoanLedger.PrepaymentReceived.selector) {
                received = true;
            }
        }
        assertEq(k, 2, "both funders");
        assertTrue(rescheduled && received, "PrepaymentReceived and LoanRescheduled");
    }
}
