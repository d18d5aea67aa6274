// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LedgerHandler} from "./utils/LedgerHandler.t.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Money invariants of the ledger under any sequence of disbursements, repayments and
/// clock moves over six loans with different shares and sizes.
contract JointLoanLedgerInvariantTest is LendingFixture {
    LedgerHandler private _handler;

    function setUp() public override {
        super.setUp();
        IJointLoanLedger.BranchLimits memory limits = defaultLimits();
        limits.dailyDisbursementLimit = 15_000_000; // tight enough that ordering matters
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, limits);
        uint16[6] memory shares = [uint16(3000), 0, 4999, 7000, 3333, 0];
        uint64[6] memory principals = [uint64(10_000_000), 300_001, 7_777_777, 12_345_678, 999_999, 5_000_000];
        bytes32[] memory loanIds = new bytes32[](6);
        for (uint256 i = 0; i < 6; ++i) {
            loanIds[i] = _register(_terms(bytes32(i + 1), principals[i], shares[i], 3 + 3 * i));
        }
        _handler = new LedgerHandler(ledger, BRANCH_A, branchAOps, platformOps, ACCOUNT, PLATFORM_ACCOUNT, loanIds);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(_handler);
    }

    function invariant_fundersSplitEveryRepaymentExactly() external view {
        assertFalse(_handler.creditsMismatch(), "credits sum to each repayment; only real daily-limit refusals");
    }

    function invariant_sharesAlwaysSumTo10000() external view {
        for (uint256 i = 0; i < _handler.loanCount(); ++i) {
            IJointLoanLedger.Funder[] memory list = ledger.funders(_handler.loanIds(i));
            uint256 sum;
            for (uint256 j = 0; j < list.length; ++j) sum += list[j].shareBps;
            assertEq(sum, 10_000, "shares");
        }
    }

    function invariant_outstandingNeverNegativeAndBooksAgree() external view {
        uint256 expectedOutstanding;
        for (uint256 i = 0; i < _handler.loanCount(); ++i) {
            bytes32 loanId = _handler.loanIds(i);
            IJointLoanLedger.Loan memory entry = ledger.loan(loanId);
            uint256 repaid = ledger.progress(loanId).principalRepaid;
            assertTrue(repaid <= entry.principal, "principal repaid never exceeds principal");
            uint256 open = entry.state == IJointLoanLedger.LoanState.Cancelled ? 0 : entry.principal - repaid;
            expectedOutstanding += open;
            assertEq(ledger.borrowerOutstanding(entry.borrowerKey), open, "borrower book");
        }
        assertEq(ledger.branchBook(BRANCH_A).outstanding, expectedOutstanding, "branch book = sum of loans");
    }

    function invariant_dailyLimitHolds() external view {
        IJointLoanLedger.BranchBook memory book = ledger.branchBook(BRANCH_A);
        assertTrue(book.disbursedToday <= ledger.branchLimits(BRANCH_A).dailyDisbursementLimit, "book under limit");
        assertTrue(_handler.disbursedOnDay(book.day) <= ledger.branchLimits(BRANCH_A).dailyDisbursementLimit, "ghost");
    }

    function invariant_terminalLoansStayTerminal() external {
        _handler.observe();
        assertFalse(_handler.leftTerminalState(), "a settled or cancelled loan never changes state");
    }
}
