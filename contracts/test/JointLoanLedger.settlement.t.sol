// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Early settlement in full: interest accrued to the day, not all future interest. The
/// chain against common/lending/settlement.ts over random histories is
/// test/contracts/lending-settlement.test.ts.
contract JointLoanLedgerSettlementTest is LendingFixture {
    function _settle(bytes32 loanId, uint256 amount) private {
        vm.prank(branchAOps);
        ledger.settle(loanId, amount, _serial(), keccak256(abi.encode("settlement voucher", amount)));
    }

    /// @dev 10,000 yuan at 18%: the first month's interest is 150 yuan over the 31 days from
    /// 2024-10-04; a day later one day of it is owed, round(15,000 / 31) = 484 fen.
    function test_settle_theDayAfterDisbursementOwesOneDayOfInterest() external {
        bytes32 loanId = _register(_terms("SETTLE", 1_000_000, 3000, 12));
        _disburseAll(loanId);
        vm.warp(_dayStart(START_DAY + 1));
        (uint256 penalty, uint256 interest, uint256 principal) = ledger.settlementOwed(loanId);
        assertEq(penalty, 0, "no penalty");
        assertEq(interest, 484, "one day of interest");
        assertEq(principal, 1_000_000, "all the principal");
        (, uint256 allInterest,) = ledger.amountOwed(loanId);
        IJointLoanLedger.Installment[] memory s = ledger.schedule(loanId);
        uint256 scheduled;
        for (uint256 i = 0; i < s.length; ++i) {
            scheduled += s[i].interest;
        }
        assertEq(allInterest, scheduled, "repaying everything owed would take every month's interest");
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerSettlementMismatch.selector, loanId, 1_000_000, 1_000_484)
        );
        ledger.settle(loanId, 1_000_000, "S1", "V1");
        _settle(loanId, 1_000_484);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
        assertEq(ledger.progress(loanId).principalRepaid, 1_000_000, "principal repaid");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding released");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch outstanding released");
    }

    /// @dev On the disbursement day nothing has accrued; after the first installment is paid on
    /// time, the next period accrues from its due day.
    function test_settle_accruesFromThePeriodsStart() external {
        bytes32 loanId = _register(_terms("SETTLE-2", 1_200_000, 0, 12));
        _disburseAll(loanId);
        (, uint256 interest,) = ledger.settlementOwed(loanId);
        assertEq(interest, 0, "nothing accrued on the start day");
        IJointLoanLedger.Installment[] memory s = ledger.schedule(loanId);
        vm.warp(_dayStart(s[0].dueDay));
        _repay(loanId, uint256(s[0].principal) + s[0].interest);
        vm.warp(_dayStart(s[0].dueDay + 10));
        uint256 principal;
        (, interest, principal) = ledger.settlementOwed(loanId);
        uint256 period = s[1].dueDay - s[0].dueDay;
        assertEq(interest, (2 * uint256(s[1].interest) * 10 + period) / (2 * period), "ten days of the second month");
        assertEq(principal, 1_200_000 - s[0].principal, "the rest of the principal");
        _settle(loanId, interest + principal);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
    }

    function test_settle_onlyByTheBranchOrUnionAndOnlyActive() external {
        bytes32 loanId = _register(_terms("SETTLE-3", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerWrongState.selector, loanId, IJointLoanLedger.LoanState.Registered)
        );
        ledger.settle(loanId, 1_000_000, "S1", "V1");
        _disburseAll(loanId);
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, platformOps, BRANCH_A));
        ledger.settle(loanId, 1_000_000, "S1", "V1");
    }
}
