// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {LoanTermsVerifier} from "../lending/LoanTermsVerifier.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice Agreed income split (联合贷: 收益根据事先约定或出资比例划分): a joint loan's income
/// may split by a share the platform signed, different from its funding share; principal always
/// returns by funding share; every split exact to the fen.
contract JointLoanLedgerIncomeTest is LendingFixture {
    bytes32 private constant _SHARED = keccak256("RepaymentShared(bytes32,uint32,bytes32,uint256,uint256)");
    bytes32 private constant _RECEIVED = keccak256("RepaymentReceived(bytes32,bytes32,bytes32,uint256,uint256,uint256)");

    function _sign(bytes32 loanId, uint16 bps) private view returns (bytes memory) {
        return _signDigest(PLATFORM_SIGNER_KEY, LoanTermsVerifier(ledger.termsVerifier()).incomeSplitDigest(loanId, bps));
    }

    function _agree(bytes32 loanId, uint16 bps) private {
        bytes memory signature = _sign(loanId, bps);
        vm.prank(branchAOps);
        ledger.agreeIncomeSplit(loanId, bps, signature);
    }

    /// @dev Before: income always split by funding share (the platform funding 30% got 30% of the
    /// interest whatever was agreed).
    function test_agreedIncomeShareSplitsInterestPrincipalByFunding() external {
        bytes32 loanId = _register(_terms("INC", 1_000_000, 3000, 6));
        _agree(loanId, 5000);
        (bool agreed, uint16 bps) = ledger.incomeShare(loanId);
        assertTrue(agreed && bps == 5000, "recorded");
        _disburseAll(loanId);
        IJointLoanLedger.Installment memory first = ledger.schedule(loanId)[0];
        vm.warp(_dayStart(first.dueDay));
        vm.recordLogs();
        _repay(loanId, uint256(first.principal) + first.interest);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256[2] memory principal;
        uint256[2] memory income;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] != _SHARED) continue;
            uint256 k = uint32(uint256(logs[i].topics[2])) == BRANCH_A ? 0 : 1;
            (, principal[k], income[k]) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
        }
        uint16[] memory funding = new uint16[](2);
        funding[0] = 7000;
        funding[1] = 3000;
        assertEq(principal[0], Allocation.split(first.principal, funding)[0], "branch principal by funding share");
        assertEq(principal[1], Allocation.split(first.principal, funding)[1], "platform principal by funding share");
        assertEq(income[0] + income[1], first.interest, "income exact");
        assertEq(income[1], first.interest / 2 + (first.interest % 2), "half the interest to the platform, remainder fen by largest remainder");
    }

    function test_agreeIncomeSplit_needsThePlatformsSignatureBeforeDisbursement() external {
        bytes32 loanId = _register(_terms("INC-2", 1_000_000, 3000, 6));
        // signed for another share
        bytes memory wrong = _sign(loanId, 4000);
        vm.prank(branchAOps);
        try ledger.agreeIncomeSplit(loanId, 5000, wrong) {
            assertTrue(false, "agreed with a signature over another share");
        } catch (bytes memory err) {
            assertEq(bytes32(bytes4(err)), bytes32(IJointLoanLedger.LedgerPlatformAgreementMissing.selector), "error");
        }
        // not by the branch
        bytes memory right = _sign(loanId, 5000);
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, platformOps, BRANCH_A));
        ledger.agreeIncomeSplit(loanId, 5000, right);
        bytes memory tooMuch = _sign(loanId, 10_001);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerBadIncomeSplit.selector, loanId, 10_001));
        ledger.agreeIncomeSplit(loanId, 10_001, tooMuch);
        _disburseAll(loanId);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerWrongState.selector, loanId, IJointLoanLedger.LoanState.Active)
        );
        ledger.agreeIncomeSplit(loanId, 5000, right);
        (bool agreed,) = ledger.incomeShare(loanId);
        assertFalse(agreed, "nothing agreed");
    }

    function test_agreeIncomeSplit_onlyForJointLoans() external {
        bytes32 loanId = _register(_terms("INC-3", 1_000_000, 0, 6));
        bytes memory signature = _sign(loanId, 5000);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerBadIncomeSplit.selector, loanId, 5000));
        ledger.agreeIncomeSplit(loanId, 5000, signature);
    }

    uint256[2] private _principalSoFar;
    uint256 private _principalTotal;
    uint16[] private _agreedShares;

    /// @dev Any funding share, agreed income share and repayment sequence: every repayment's
    /// income splits exactly by the agreed shares, and principal cumulatively by funding share.
    function testFuzz_incomeSplitExact(uint256 seed, uint16 fundingShare, uint16 incomeShareBps) external {
        fundingShare = uint16(bound(fundingShare, 3000, 7000));
        incomeShareBps = uint16(bound(incomeShareBps, 0, 10_000));
        bytes32 loanId = _register(_terms(bytes32(seed), uint64(bound(seed, 300_000, 20_000_000)), fundingShare, 6));
        _agree(loanId, incomeShareBps);
        _disburseAll(loanId);
        _agreedShares.push(uint16(10_000 - incomeShareBps));
        _agreedShares.push(incomeShareBps);
        for (uint256 step = 0; step < 12; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            vm.warp(block.timestamp + (seed % 40) * 1 days);
            if (!_step(loanId, seed, step == 11)) break;
        }
        uint16[] memory funding = new uint16[](2);
        funding[0] = 10_000 - fundingShare;
        funding[1] = fundingShare;
        uint256[] memory principalExpected = Allocation.split(_principalTotal, funding);
        assertEq(_principalSoFar[0], principalExpected[0], "branch principal by funding share");
        assertEq(_principalSoFar[1], principalExpected[1], "platform principal by funding share");
    }

    function _step(bytes32 loanId, uint256 seed, bool last) private returns (bool) {
        if (ledger.loan(loanId).state != IJointLoanLedger.LoanState.Active) return false;
        uint256 owed = _dueNow(loanId);
        vm.recordLogs();
        // what is due, in part or in full; the last step settles early
        if (last) _settle(loanId);
        else if (owed != 0) _repay(loanId, bound(seed >> 8, 1, owed));
        else return true;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 income;
        uint256[2] memory got;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == _RECEIVED) {
                (,, uint256 p, uint256 it, uint256 pr) = abi.decode(logs[i].data, (bytes32, bytes32, uint256, uint256, uint256));
                income = p + it;
                _principalTotal += pr;
            } else if (logs[i].topics[0] == _SHARED) {
                uint256 k = uint32(uint256(logs[i].topics[2])) == BRANCH_A ? 0 : 1;
                (, uint256 pr, uint256 inc) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
                got[k] = inc;
                _principalSoFar[k] += pr;
            }
        }
        uint256[] memory expected = Allocation.split(income, _agreedShares);
        assertEq(got[0], expected[0], "branch income");
        assertEq(got[1], expected[1], "platform income");
        return true;
    }
}
