// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Quotas belong to the branch: its own admin (governance-role account) sets them at or
/// below the ceilings consortium governance sets; tightening needs no vote, loosening above a
/// ceiling is refused with the ceiling.
contract JointLoanLedgerQuotasTest is LendingFixture {
    function _limits() private view returns (IJointLoanLedger.BranchLimits memory) {
        return ledger.branchLimits(BRANCH_A);
    }

    /// @dev Before: only governance (a vote) could change a branch's quotas, even to tighten them.
    function test_branchAdmin_tightensWithoutAVote() external {
        vm.prank(branchAGov);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IJointLoanLedger.BranchLimitsChanged(
            BRANCH_A, IJointLoanLedger.BranchLimits(500_000, 1_000_000, 2_000_000, defaultLimits().netTier1Capital)
        );
        ledger.setOwnBranchLimits(500_000, 1_000_000, 2_000_000);
        assertEq(_limits().singleLoanMax, 500_000, "single-loan max");
        assertEq(_limits().dailyDisbursementLimit, 1_000_000, "daily");
        assertEq(_limits().outstandingLimit, 2_000_000, "outstanding");
        assertEq(_limits().netTier1Capital, defaultLimits().netTier1Capital, "capital stays governance's");
        // the new single-loan maximum applies at once
        IJointLoanLedger.LoanTerms memory t = _terms("Q1", 600_000, 3000, 6);
        bytes memory agreement = _agreement(t);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerAboveSingleLoanMax.selector, 600_000, 500_000));
        ledger.registerLoan(t, agreement);
        // and back up to the ceiling, still without a vote
        vm.prank(branchAGov);
        ledger.setOwnBranchLimits(20_000_000, 100_000_000, 1_000_000_000);
        _register(t);
    }

    function test_branchAdmin_cannotLoosenAboveTheCeiling() external {
        IJointLoanLedger.BranchLimits memory ceilings = ledger.branchCeilings(BRANCH_A);
        vm.startPrank(branchAGov);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 0, ceilings.singleLoanMax + 1, ceilings.singleLoanMax
            )
        );
        ledger.setOwnBranchLimits(ceilings.singleLoanMax + 1, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 1, ceilings.dailyDisbursementLimit + 1, ceilings.dailyDisbursementLimit
            )
        );
        ledger.setOwnBranchLimits(1, ceilings.dailyDisbursementLimit + 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 2, ceilings.outstandingLimit + 1, ceilings.outstandingLimit
            )
        );
        ledger.setOwnBranchLimits(1, 1, ceilings.outstandingLimit + 1);
        vm.stopPrank();
    }

    /// @dev Only the branch's admin: not its operations key, not another branch's admin for it
    /// (each sets only its own), not the union.
    function test_onlyTheBranchAdminSetsItsOwnQuotas() external {
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, branchAOps, 0));
        ledger.setOwnBranchLimits(1, 1, 1);
        vm.prank(unionGov);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, unionGov, 0));
        ledger.setOwnBranchLimits(1, 1, 1);
        // branch B's admin sets branch B's quotas (its ceilings are zero: only zero passes)
        vm.prank(branchBGov);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_B, 0, 1, 0));
        ledger.setOwnBranchLimits(1, 0, 0);
        assertEq(_limits().singleLoanMax, defaultLimits().singleLoanMax, "branch A untouched");
    }

    /// @dev Governance lowering a ceiling lowers the branch's own quota; raising it keeps the
    /// branch's tighter choice.
    function test_ceilings_boundTheBranchsChoice() external {
        vm.prank(branchAGov);
        ledger.setOwnBranchLimits(1_000_000, 50_000_000, 500_000_000);
        IJointLoanLedger.BranchLimits memory ceilings = defaultLimits();
        ceilings.singleLoanMax = 800_000;
        ceilings.outstandingLimit = 2_000_000_000;
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, ceilings);
        assertEq(_limits().singleLoanMax, 800_000, "lowered to the new ceiling");
        assertEq(_limits().outstandingLimit, 500_000_000, "the branch's tighter choice kept");
        assertEq(ledger.branchCeilings(BRANCH_A).outstandingLimit, 2_000_000_000, "ceiling");
    }

    /// @dev Any value at or below its ceiling is accepted, any above refused with the ceiling.
    function testFuzz_ownQuotas_ceilingsHold(uint64 single, uint64 daily, uint64 outstanding) external {
        IJointLoanLedger.BranchLimits memory c = ledger.branchCeilings(BRANCH_A);
        vm.prank(branchAGov);
        if (single > c.singleLoanMax) {
            vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 0, single, c.singleLoanMax));
        } else if (daily > c.dailyDisbursementLimit) {
            vm.expectRevert(
                abi.encodeWithSelector(IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 1, daily, c.dailyDisbursementLimit)
            );
        } else if (outstanding > c.outstandingLimit) {
            vm.expectRevert(
                abi.encodeWithSelector(IJointLoanLedger.LedgerLimitAboveCeiling.selector, BRANCH_A, 2, outstanding, c.outstandingLimit)
            );
        }
        ledger.setOwnBranchLimits(single, daily, outstanding);
        IJointLoanLedger.BranchLimits memory got = _limits();
        assertTrue(got.singleLoanMax <= c.singleLoanMax && got.dailyDisbursementLimit <= c.dailyDisbursementLimit, "within");
        assertTrue(got.outstandingLimit <= c.outstandingLimit, "within");
    }
}
