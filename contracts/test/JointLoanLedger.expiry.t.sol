// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice A registered loan that misses its start day cannot be disbursed, and any member's
/// keeper may expire it after that day, releasing every quota it held.
contract JointLoanLedgerExpiryTest is LendingFixture {
    /// @dev Before: nothing freed the branch outstanding, co-funding and borrower exposure a
    /// loan that missed its start day held.
    function test_expireLoan_afterTheStartDayReleasesEveryQuota() external {
        IJointLoanLedger.LoanTerms memory t = _terms("EXP", 1_000_000, 3000, 6);
        bytes32 loanId = _register(t);
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 1_000_000, "held");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 700_000, "co-funding held");
        assertEq(ledger.borrowerOutstanding(t.borrowerKey), 1_000_000, "exposure held");
        // on the start day it is not expired
        vm.prank(branchBOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotExpired.selector, loanId, START_DAY, START_DAY));
        ledger.expireLoan(loanId);
        vm.warp(_dayStart(START_DAY + 1));
        // a missed start day cannot be disbursed
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerDisbursementDateMismatch.selector, loanId, START_DAY + 1, START_DAY)
        );
        ledger.disburse(loanId, 700_000, ACCOUNT, "D-LATE", "V");
        // a log-operator key is no keeper
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotKeeper.selector, unionAnchor));
        ledger.expireLoan(loanId);
        // any member's keeper (here another branch's) expires it
        vm.prank(branchBOps);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IJointLoanLedger.LoanExpired(loanId, START_DAY);
        ledger.expireLoan(loanId);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Cancelled, "cancelled");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch outstanding released");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding released");
        assertEq(ledger.borrowerOutstanding(t.borrowerKey), 0, "borrower exposure released");
        vm.prank(branchBOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerWrongState.selector, loanId, IJointLoanLedger.LoanState.Cancelled)
        );
        ledger.expireLoan(loanId);
    }

    function test_expireLoan_notOnceAFunderDisbursed() external {
        bytes32 loanId = _register(_terms("EXP-2", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        ledger.disburse(loanId, 700_000, ACCOUNT, "D-EXP2", "V");
        vm.warp(_dayStart(START_DAY + 3));
        vm.prank(unionOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerPartlyDisbursed.selector, loanId));
        ledger.expireLoan(loanId);
    }

    /// @dev The branch may still cancel before disbursement, on or after the start day.
    function test_cancelLoan_byTheBranchBeforeDisbursement() external {
        bytes32 loanId = _register(_terms("EXP-3", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        ledger.cancelLoan(loanId, 7);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Cancelled, "cancelled");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "released");
    }

    /// @dev Expiry, fuzzed over how late the keeper comes and the platform's share: every quota
    /// returns to where it was before registration.
    function testFuzz_expireLoan_releasesExactly(uint16 share, uint64 principal, uint8 lateDays) external {
        share = uint16(bound(share, 3000, 7000));
        principal = uint64(bound(principal, 300_000, 20_000_000));
        IJointLoanLedger.LoanTerms memory t = _terms("EXP-F", principal, share, 6);
        bytes32 loanId = _register(t);
        vm.warp(_dayStart(START_DAY + 1 + uint256(lateDays)));
        vm.prank(platformOps);
        ledger.expireLoan(loanId);
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding");
        assertEq(ledger.borrowerOutstanding(t.borrowerKey), 0, "borrower");
    }
}
