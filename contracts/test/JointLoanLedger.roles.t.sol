// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDisputeResolution} from "../lending/IDisputeResolution.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Lending writes by role: only operations accounts, and only the loan's own branch runs
/// its business — the union only under a mandate the branch granted for that loan (scoped to it,
/// expiring, revocable).
contract JointLoanLedgerRolesTest is LendingFixture {
    /// @dev The next call is by `caller`, and refused as not branch A's operations.
    function _expectNotBranch(address caller) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, caller, BRANCH_A));
    }

    /// @dev `caller` registering `t` is refused as not branch A's operations; the branch then does.
    function _registerAfterRefusing(address caller, IJointLoanLedger.LoanTerms memory t) private returns (bytes32) {
        bytes memory agreement = _agreement(t);
        _expectNotBranch(caller);
        ledger.registerLoan(t, agreement);
        return _register(t);
    }

    /// @dev Before: any union account registered, repaid and cancelled in any branch's name.
    function test_union_cannotRegisterRepayOrCancelWithoutAMandate() external {
        bytes32 loanId = _registerAfterRefusing(unionOps, _terms("U1", 1_000_000, 3000, 6));
        _expectNotBranch(unionOps);
        ledger.cancelLoan(loanId, 1);
        _disburseAll(loanId);
        _expectNotBranch(unionOps);
        ledger.repay(loanId, 1000, "R-U", "V");
        _expectNotBranch(unionOps);
        ledger.settle(loanId, 1000, "S-U", "V");
    }

    /// @dev The branch's governance key is not an operations key: it runs no business either.
    function test_branchGovernanceKey_cannotServiceLoans() external {
        bytes32 loanId = _registerAfterRefusing(branchAGov, _terms("GOV", 1_000_000, 3000, 6));
        vm.warp(_dayStart(START_DAY));
        vm.prank(branchAGov);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotFunder.selector, loanId, branchAGov));
        ledger.disburse(loanId, 700_000, ACCOUNT, "D-GOV", "V");
    }

    function test_mandate_scopedToOneLoanExpiringAndRevocable() external {
        IJointLoanLedger.LoanTerms memory t = _terms("M1", 1_000_000, 3000, 6);
        IJointLoanLedger.LoanTerms memory other = _terms("M2", 1_000_000, 3000, 6);
        bytes32 loanId = ledger.loanIdOf(t.originator, t.applicationSerial);
        uint40 expiry = uint40(block.timestamp + 2 days);
        vm.prank(branchAOps);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IJointLoanLedger.MandateGranted(loanId, BRANCH_A, unionOps, expiry);
        ledger.grantMandate(loanId, unionOps, expiry);
        (uint32 branch, uint40 until) = ledger.mandate(loanId, unionOps);
        assertEq(branch, BRANCH_A, "granting branch");
        assertEq(until, expiry, "expiry");
        // the union registers that loan under the mandate, not another one
        bytes memory agreement = _agreement(t);
        vm.prank(unionOps);
        ledger.registerLoan(t, agreement);
        bytes memory otherAgreement = _agreement(other);
        _expectNotBranch(unionOps);
        ledger.registerLoan(other, otherAgreement);
        _disburseAll(loanId);
        IJointLoanLedger.Installment[] memory s = ledger.schedule(loanId);
        vm.prank(unionOps);
        ledger.repay(loanId, 1000, "R-M1", "V");
        // expired: refused
        vm.warp(uint256(expiry));
        _expectNotBranch(unionOps);
        ledger.repay(loanId, 1000, "R-M2", "V");
        // renewed, then revoked: refused again
        vm.prank(branchAOps);
        ledger.grantMandate(loanId, unionOps, uint40(block.timestamp + 1 days));
        vm.prank(unionOps);
        ledger.repay(loanId, 1000, "R-M3", "V");
        vm.prank(branchAOps);
        ledger.revokeMandate(loanId, unionOps);
        _expectNotBranch(unionOps);
        ledger.repay(loanId, 1000, "R-M4", "V");
        assertTrue(s.length == 6, "schedule");
    }

    function test_mandate_onlyTheLoansBranchGrantsOrRevokes() external {
        bytes32 loanId = _register(_terms("M3", 1_000_000, 3000, 6));
        uint40 expiry = uint40(block.timestamp + 1 days);
        _expectNotBranch(branchBOps);
        ledger.grantMandate(loanId, unionOps, expiry);
        vm.prank(unionOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, unionOps, BRANCH_A));
        ledger.grantMandate(loanId, unionOps, expiry);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerBadMandate.selector, loanId, unionOps, block.timestamp));
        ledger.grantMandate(loanId, unionOps, uint40(block.timestamp));
        vm.prank(branchAOps);
        ledger.grantMandate(loanId, unionOps, expiry);
        _expectNotBranch(branchBOps);
        ledger.revokeMandate(loanId, unionOps);
        // a mandate granted by branch B for a loan id does not let its agent register branch A's loan
        IJointLoanLedger.LoanTerms memory t = _terms("M4", 1_000_000, 3000, 6);
        bytes32 id4 = ledger.loanIdOf(t.originator, t.applicationSerial);
        vm.prank(branchBOps);
        ledger.grantMandate(id4, unionOps, expiry);
        bytes memory agreement = _agreement(t);
        _expectNotBranch(unionOps);
        ledger.registerLoan(t, agreement);
    }

    /// @dev Dispute writes: a keeper is an operations account; the union's log operator is not.
    function test_disputes_onlyOperationsAccounts() external {
        bytes32 loanId = _register(_terms("DSP", 1_000_000, 3000, 6));
        _disburseAll(loanId);
        vm.warp(_dayStart(ledger.schedule(loanId)[0].dueDay + 4));
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotActiveMember.selector, unionAnchor));
        disputes.escalate(loanId);
        vm.prank(branchAGov);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotActiveMember.selector, branchAGov));
        disputes.escalate(loanId);
        vm.prank(branchBOps);
        disputes.escalate(loanId);
    }
}
