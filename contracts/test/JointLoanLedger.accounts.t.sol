// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Money goes where it should: each funder disburses from its own whitelisted settlement
/// account into the receiving account bound to the loan at registration.
contract JointLoanLedgerAccountsTest is LendingFixture {
    /// @dev A branch may not record its share as paid from (or to) the platform's account, even
    /// where governance once whitelisted that account for the branch's co-funded loans.
    function test_disburse_branchCannotUseThePlatformsAccount() external {
        bytes32 loanId = _register(_terms("ACC-1", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerAccountNotWhitelisted.selector, BRANCH_A, PLATFORM_ACCOUNT)
        );
        ledger.disburse(loanId, 700_000, PLATFORM_ACCOUNT, "ACC-S1", "V1");
        // nor the platform from the branch's
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerAccountNotWhitelisted.selector, PLATFORM, ACCOUNT));
        ledger.disburse(loanId, 300_000, ACCOUNT, "ACC-S2", "V2");
        // each from its own: the loan activates
        vm.prank(branchAOps);
        ledger.disburse(loanId, 700_000, ACCOUNT, "ACC-S3", "V3");
        vm.prank(platformOps);
        ledger.disburse(loanId, 300_000, PLATFORM_ACCOUNT, "ACC-S4", "V4");
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Active, "active");
    }

    /// @dev The receiving account is bound at registration: without one a loan is refused, and it is
    /// published with the loan and covered by the platform's agreement (a different account
    /// invalidates the signature).
    function test_registerLoan_bindsTheReceivingAccount() external {
        IJointLoanLedger.LoanTerms memory t = _terms("ACC-2", 1_000_000, 3000, 6);
        bytes memory agreement = _agreement(t);
        t.receivingAccount = 0;
        bytes memory unbound = _agreement(t);
        vm.prank(branchAOps);
        vm.expectRevert(IJointLoanLedger.LedgerMissingReference.selector);
        ledger.registerLoan(t, unbound);
        // the platform agreed to pay the borrower; the branch cannot swap in the platform's account
        t.receivingAccount = PLATFORM_ACCOUNT;
        bytes32 loanId = ledger.loanIdOf(t.originator, t.applicationSerial);
        vm.prank(branchAOps);
        try ledger.registerLoan(t, agreement) {
            assertTrue(false, "registered to an account the platform did not agree to");
        } catch (bytes memory reason) {
            assertTrue(bytes4(reason) == IJointLoanLedger.LedgerPlatformAgreementMissing.selector, "agreement refused");
        }
        t.receivingAccount = BORROWER_ACCOUNT;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IJointLoanLedger.LoanRegistered(
            loanId, BRANCH_A, PLATFORM, t.borrowerKey, t.principal, t.aprBps, t.method, t.contractLeaf, t.consentLeaf, BORROWER_ACCOUNT
        );
        vm.prank(branchAOps);
        ledger.registerLoan(t, agreement);
    }

    /// @dev Whitelisting is per member: an account of one member is no account of another.
    function testFuzz_whitelist_isPerMember(bytes32 account, uint32 member, uint32 other) external {
        vm.assume(member != other && account != 0);
        vm.prank(address(governor));
        ledger.setAccountWhitelisted(member, account, true);
        assertTrue(ledger.isWhitelisted(member, account), "own");
        bool preset = other == BRANCH_A && account == ACCOUNT || other == PLATFORM && account == PLATFORM_ACCOUNT;
        assertTrue(ledger.isWhitelisted(other, account) == preset, "not another's");
    }
}
