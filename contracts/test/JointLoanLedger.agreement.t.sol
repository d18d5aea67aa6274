// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice A joint loan binds its platform to fund a share, so the platform must have signed
/// exactly these terms (THREATS.md, "Lending").
contract JointLoanLedgerAgreementTest is LendingFixture {
    uint256 private constant BRANCH_KEY = uint256(keccak256("jointledger.test.some other key"));

    function _expectMissing(IJointLoanLedger.LoanTerms memory t, bytes memory agreement, address signer) private {
        bytes32 loanId = ledger.loanIdOf(t.originator, t.applicationSerial);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerPlatformAgreementMissing.selector, loanId, PLATFORM, signer)
        );
        ledger.registerLoan(t, agreement);
    }

    /// @dev Before: a branch registered a joint loan naming the platform as co-funder of 30%
    /// with no sign of the platform's consent, and the platform was then expected to fund it.
    function test_registerLoan_jointLoanWithoutThePlatformsAgreementIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _terms("NOCONSENT", 1_000_000, 3000, 6);
        _expectMissing(t, "", address(0));
        _expectMissing(t, new bytes(65), address(0));
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "nothing reserved");
    }

    function test_registerLoan_agreementSignedByAnotherMemberIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _terms("OTHER", 1_000_000, 3000, 6);
        _expectMissing(t, _signDigest(BRANCH_KEY, _digest(t)), vm.addr(BRANCH_KEY));
    }

    function test_registerLoan_agreementToOtherTermsIsRefused() external {
        IJointLoanLedger.LoanTerms memory agreed = _terms("CHANGED", 1_000_000, 3000, 6);
        bytes memory agreement = _agreement(agreed);
        // the branch raises the platform's share after the platform signed
        IJointLoanLedger.LoanTerms memory t = _terms("CHANGED", 1_000_000, 4000, 6);
        _expectMissing(t, agreement, _recover(_digest(t), agreement));
        // or reuses the platform's signature for another application
        t = _terms("CHANGED-2", 1_000_000, 3000, 6);
        _expectMissing(t, agreement, _recover(_digest(t), agreement));
        _register(agreed);
    }

    function test_registerLoan_agreementByAnAccountNoLongerThePlatformsIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _terms("REMOVED", 1_000_000, 3000, 6);
        bytes memory agreement = _agreement(t);
        vm.prank(address(governor));
        registry.removeAccount(PLATFORM, platformSigner);
        _expectMissing(t, agreement, platformSigner);
    }

    function test_registerLoan_agreementByThePlatformsLogOperatorKeyIsRefused() external {
        uint256 key = uint256(keccak256("jointledger.test.platform log operator"));
        vm.prank(address(governor));
        registry.addAccount(PLATFORM, vm.addr(key), IConsortiumRegistry.AccountRole.LogOperator);
        IJointLoanLedger.LoanTerms memory t = _terms("LOGKEY", 1_000_000, 3000, 6);
        _expectMissing(t, _signDigest(key, _digest(t)), vm.addr(key));
    }

    function test_registerLoan_assistedLoanNeedsNoAgreement() external {
        bytes32 loanId = _register(_terms("ASSISTED", 1_000_000, 0, 6));
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Registered, "registered");
    }

    function test_agreementDigest_isTheDocumentedEip712HashForThisLedger() external view {
        IJointLoanLedger.LoanTerms memory t = _terms("DIGEST", 1_000_000, 3000, 6);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("JointLoanLedger"),
                keccak256("1"),
                block.chainid,
                address(ledger)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("LoanAgreement(bytes32 loanId,bytes32 termsHash)"),
                ledger.loanIdOf(PLATFORM, "DIGEST"),
                keccak256(abi.encode(t))
            )
        );
        assertEq(_digest(t), keccak256(abi.encodePacked("\x19\x01", domain, structHash)), "digest");
    }

    function _recover(bytes32 digest, bytes memory signature) private pure returns (address) {
        (bytes32 r, bytes32 s) = abi.decode(signature, (bytes32, bytes32));
        return ecrecover(digest, uint8(signature[64]), r, s);
    }
}
