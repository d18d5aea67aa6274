// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {Vm} from "./utils/Vm.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

contract JointLoanLedgerTest is LendingFixture {
    bytes32 private constant SHARED = keccak256("RepaymentShared(bytes32,uint32,bytes32,uint256,uint256)");

    function test_loanIdOf_isTheDocumentedHash() external view {
        assertEq(
            ledger.loanIdOf(PLATFORM, "APP-1"),
            keccak256(abi.encode("JointLedger.loan.v1", PLATFORM, bytes32("APP-1"))),
            "loan id"
        );
    }

    function test_jointLoan_registerDisburseRepayToSettlement() external {
        bytes32 loanId = _register(_terms("APP-1", 10_000_000, 3000, 12));
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 7_000_000, "branch's 70% reserved");
        assertEq(ledger.borrowerOutstanding(keccak256(abi.encode("borrower", bytes32("APP-1")))), 10_000_000, "borrower");
        _disburseAll(loanId);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Active, "active");
        IJointLoanLedger.Installment[] memory sched = ledger.schedule(loanId);
        uint256[2] memory principalCredit;
        for (uint256 i = 0; i < sched.length; ++i) {
            vm.warp(_dayStart(sched[i].dueDay));
            vm.recordLogs();
            _repay(loanId, uint256(sched[i].principal) + sched[i].interest);
            (uint256 p0, uint256 p1, uint256 total) = _sharedTotals(vm.getRecordedLogs());
            assertEq(total, uint256(sched[i].principal) + sched[i].interest, "credits sum to the repayment");
            principalCredit[0] += p0;
            principalCredit[1] += p1;
        }
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
        assertEq(principalCredit[0], 7_000_000, "branch recovered exactly its disbursement");
        assertEq(principalCredit[1], 3_000_000, "platform recovered exactly its disbursement");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding released");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch outstanding released");
    }

    function _sharedTotals(Vm.Log[] memory logs) private pure returns (uint256 p0, uint256 p1, uint256 total) {
        uint256 seen;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] != SHARED) continue;
            (, uint256 principal, uint256 income) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
            if (seen++ == 0) p0 = principal;
            else p1 = principal;
            total += principal + income;
        }
    }

    function test_assistedLoan_branchFundsEverything() external {
        bytes32 loanId = _register(_terms("APP-2", 500_000, 0, 3));
        assertEq(ledger.funders(loanId).length, 1, "one funder");
        _disburseAll(loanId);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Active, "active");
    }

    function test_registerLoan_rejectsEachRuleWithItsValues() external {
        IJointLoanLedger.LoanTerms memory t = _terms("R", 1_000_000, 3000, 6);
        t.aprBps = 2401;
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerRateAboveCap.selector, 2401, 2400));

        t = _terms("R", 1_000_000, 2999, 6);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerPlatformShareBelowFloor.selector, 2999, 3000));

        t = _terms("R", 1_000_000, 3000, 6);
        t.borrowerRegion = 330681;
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerRegionMismatch.selector, 330681, REGION_A));

        t = _terms("R", 299_999, 3000, 6);
        _expectRegisterRevert(
            t, abi.encodeWithSelector(IJointLoanLedger.LedgerPrincipalOutOfRange.selector, 299_999, 300_000, 20_000_000)
        );

        t = _terms("R", 1_000_000, 3000, 37);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerTermOutOfRange.selector, 1126, 7, 1096));

        t = _terms("R", 1_000_000, 3000, 6);
        t.schedule[5].principal -= 1;
        _expectRegisterRevert(
            t, abi.encodeWithSelector(IJointLoanLedger.LedgerScheduleSumMismatch.selector, 999_999, 1_000_000)
        );

        t = _terms("R", 1_000_000, 3000, 6);
        t.funders[1].shareBps = 3001;
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadFunders.selector, 2, 10_001));
    }

    function test_registerLoan_quotaRules() external {
        IJointLoanLedger.BranchLimits memory limits = defaultLimits();
        limits.singleLoanMax = 999_999;
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, limits);
        _expectRegisterRevert(
            _terms("Q", 1_000_000, 3000, 6),
            abi.encodeWithSelector(IJointLoanLedger.LedgerAboveSingleLoanMax.selector, 1_000_000, 999_999)
        );

        limits = defaultLimits();
        limits.outstandingLimit = 1_500_000;
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, limits);
        _register(_terms("Q1", 1_000_000, 3000, 6));
        _expectRegisterRevert(
            _terms("Q2", 1_000_000, 3000, 6),
            abi.encodeWithSelector(IJointLoanLedger.LedgerBranchOutstandingExceeded.selector, BRANCH_A, 2_000_000, 1_500_000)
        );

        limits = defaultLimits();
        limits.netTier1Capital = 4_000_000; // 25% = 1,000,000 fen of branch-funded outstanding with one platform
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, limits);
        _expectRegisterRevert(
            _terms("Q3", 1_000_000, 3000, 6),
            abi.encodeWithSelector(IJointLoanLedger.LedgerCoFundingExceeded.selector, BRANCH_A, PLATFORM, 1_400_000, 1_000_000)
        );
    }

    function test_registerLoan_multiLendingCheckAcrossBranches() external {
        IJointLoanLedger.LoanTerms memory t = _terms("M1", 20_000_000, 3000, 12);
        _register(t);
        IJointLoanLedger.LoanTerms memory t2 = _terms("M2", 10_000_001, 3000, 12);
        t2.borrowerKey = t.borrowerKey;
        _expectRegisterRevert(
            t2,
            abi.encodeWithSelector(
                IJointLoanLedger.LedgerBorrowerOutstandingExceeded.selector, t.borrowerKey, 30_000_001, 30_000_000
            )
        );
    }

    function test_registerLoan_duplicateAndCallerRules() external {
        IJointLoanLedger.LoanTerms memory t = _terms("D", 1_000_000, 3000, 6);
        bytes32 loanId = _register(t);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerDuplicateLoan.selector, loanId));
        IJointLoanLedger.LoanTerms memory d2 = _terms("D2", 1_000_000, 3000, 6);
        bytes memory agreement = _agreement(d2);
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, platformOps, BRANCH_A));
        ledger.registerLoan(d2, agreement);
        vm.prank(branchBOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, branchBOps, BRANCH_A));
        ledger.registerLoan(d2, agreement);
        vm.prank(unionOps); // the union does not run a branch's business (no mandate)
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotBranchOperations.selector, unionOps, BRANCH_A));
        ledger.registerLoan(d2, agreement);
        vm.prank(branchAOps);
        ledger.registerLoan(d2, agreement);
    }

    function test_disburse_rejectsDeductionWrongAccountReusedSerialAndStrangers() external {
        bytes32 loanId = _register(_terms("F", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerDisbursementMismatch.selector, loanId, BRANCH_A, 650_000, 700_000)
        );
        ledger.disburse(loanId, 650_000, ACCOUNT, "S1", "V1"); // 砍头息: less than the share
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerAccountNotWhitelisted.selector, BRANCH_A, bytes32("other"))
        );
        ledger.disburse(loanId, 700_000, "other", "S1", "V1");
        vm.prank(branchAOps);
        ledger.disburse(loanId, 700_000, ACCOUNT, "S1", "V1");
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerDuplicateSerial.selector, bytes32("S1")));
        ledger.disburse(loanId, 300_000, PLATFORM_ACCOUNT, "S1", "V2");
        vm.prank(courtOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotFunder.selector, loanId, courtOps));
        ledger.disburse(loanId, 300_000, ACCOUNT, "S2", "V2");
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerAlreadyDisbursed.selector, loanId, BRANCH_A));
        ledger.disburse(loanId, 700_000, ACCOUNT, "S3", "V3");
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Registered, "not active until fully disbursed");
    }

    function test_disburse_dailyLimitPerShanghaiDay() external {
        IJointLoanLedger.BranchLimits memory limits = defaultLimits();
        limits.dailyDisbursementLimit = 1_000_000;
        vm.prank(address(governor));
        ledger.setBranchLimits(BRANCH_A, limits);
        bytes32 a = _register(_terms("L1", 1_000_000, 0, 6));
        bytes32 b = _register(_terms("L2", 1_000_000, 0, 6));
        IJointLoanLedger.LoanTerms memory tomorrow = _termsFrom("L3", 1_000_000, 0, 6, START_DAY + 1);
        tomorrow.borrowerKey = keccak256("another borrower");
        bytes32 c = _register(tomorrow);
        vm.warp(_dayStart(START_DAY) + 23 hours); // 23:00 Beijing time, still the same day
        vm.prank(branchAOps);
        ledger.disburse(a, 1_000_000, ACCOUNT, "S1", "V1");
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerDailyLimitExceeded.selector, BRANCH_A, START_DAY, 2_000_000, 1_000_000)
        );
        ledger.disburse(b, 1_000_000, ACCOUNT, "S2", "V2");
        vm.warp(_dayStart(START_DAY + 1)); // midnight Beijing time (16:00 UTC): a new day
        vm.prank(branchAOps);
        ledger.disburse(c, 1_000_000, ACCOUNT, "S3", "V3");
        assertEq(ledger.branchBook(BRANCH_A).disbursedToday, 1_000_000, "the new day's count");
    }

    function test_repay_latePaysPenaltyThenInterestThenPrincipal() external {
        bytes32 loanId = _register(_terms("P", 1_200_000, 3000, 12));
        _disburseAll(loanId);
        IJointLoanLedger.Installment memory first = ledger.schedule(loanId)[0];
        vm.warp(_dayStart(first.dueDay + 10)); // 10 days late
        (uint256 penalty, uint256 interest,) = ledger.amountOwed(loanId);
        // penalty rate: min(12%, 24% − 18%) = 6% a year on the late principal
        uint256 expectedPenalty = (uint256(first.principal) * 600 * 10) / (365 * 10_000);
        assertEq(penalty, expectedPenalty, "penalty accrued on the late installment only");
        assertTrue(interest > first.interest, "interest owed includes later installments");
        vm.recordLogs();
        _repay(loanId, expectedPenalty + first.interest + 1);
        IJointLoanLedger.Progress memory p = ledger.progress(loanId);
        assertEq(p.penaltyDue, 0, "penalty first");
        assertEq(p.currentInterestPaid, first.interest, "then interest");
        assertEq(p.currentPrincipalPaid, 1, "then principal");
        assertEq(p.principalRepaid, 1, "principal total");
        assertEq(p.nextInstallment, 0, "installment still open");
        assertEq(p.penaltyAccruedDay, first.dueDay + 10, "accrued to today");
    }

    /// @dev Paying down late principal must not forgive penalty already accrued on it.
    function test_repay_partialPrincipalKeepsAccruedPenalty() external {
        IJointLoanLedger.LoanTerms memory t = _terms("PEN", 1_000_000, 0, 1);
        t.method = IJointLoanLedger.RepaymentMethod.Bullet;
        t.schedule[0] = IJointLoanLedger.Installment(START_DAY + 30, 1_000_000, 14_794);
        bytes32 loanId = _register(t);
        _disburseAll(loanId);
        vm.warp(_dayStart(START_DAY + 50)); // 20 days late; penalty rate min(12%, 24% − 18%) = 6%
        (uint256 penalty,,) = ledger.amountOwed(loanId);
        assertEq(penalty, uint256(1_000_000 * 600 * 20) / 3_650_000, "20 days on 1,000,000");
        _repay(loanId, penalty + 14_794 + 500_000);
        vm.warp(_dayStart(START_DAY + 70)); // 20 more days, now on 500,000
        (penalty,,) = ledger.amountOwed(loanId);
        assertEq(penalty, uint256(500_000 * 600 * 20) / 3_650_000, "20 more days on the remaining 500,000");
        vm.warp(_dayStart(START_DAY + 80));
        _repay(loanId, 1); // a fen pays part of the accrued penalty; accrual continues on 500,000
        (penalty,,) = ledger.amountOwed(loanId);
        assertEq(penalty, uint256(500_000 * 600 * 30) / 3_650_000 - 1, "accrued over 30 days, less the fen");
    }

    function test_disburse_onlyOnTheStartDay() external {
        bytes32 loanId = _register(_terms("DAY", 1_000_000, 0, 6));
        vm.warp(_dayStart(START_DAY + 1));
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerDisbursementDateMismatch.selector, loanId, START_DAY + 1, START_DAY)
        );
        ledger.disburse(loanId, 1_000_000, ACCOUNT, "S1", "V1");
    }

    function test_cancelLoan_releasesQuotasOnlyBeforeAnyDisbursement() external {
        IJointLoanLedger.LoanTerms memory t = _terms("C1", 1_000_000, 3000, 6);
        bytes32 loanId = _register(t);
        vm.prank(branchAOps);
        ledger.cancelLoan(loanId, 2);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Cancelled, "cancelled");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 0, "branch quota released");
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "co-funding released");
        assertEq(ledger.borrowerOutstanding(t.borrowerKey), 0, "borrower released");
        bytes32 other = _register(_terms("C2", 1_000_000, 3000, 6));
        vm.prank(branchAOps);
        ledger.disburse(other, 700_000, ACCOUNT, "S1", "V1");
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerPartlyDisbursed.selector, other));
        ledger.cancelLoan(other, 2);
    }

    function test_assistedLoan_doesNotCountAsCoFunding() external {
        _register(_terms("AS", 1_000_000, 0, 6));
        assertEq(ledger.coFundedOutstanding(BRANCH_A, PLATFORM), 0, "the platform funds nothing");
        assertEq(ledger.branchBook(BRANCH_A).outstanding, 1_000_000, "but the branch's outstanding counts it");
    }

    function test_repay_overpaymentRejected() external {
        bytes32 loanId = _register(_terms("O", 600_000, 0, 3));
        _disburseAll(loanId);
        (uint256 penalty, uint256 interest, uint256 principal) = ledger.amountOwed(loanId);
        uint256 owed = penalty + interest + principal;
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerOverpayment.selector, loanId, owed + 1, owed));
        ledger.repay(loanId, owed + 1, "R1", "V");
        // everything due once the last installment is: repaid in full
        vm.warp(_dayStart(ledger.schedule(loanId)[2].dueDay));
        _repay(loanId, _dueNow(loanId));
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "repaid in full");
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerWrongState.selector, loanId, IJointLoanLedger.LoanState.Settled)
        );
        ledger.repay(loanId, 1, "R2", "V");
    }

    function test_parameters_onlyThroughGovernance() external {
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGoverned.ConsortiumNotGovernor.selector, branchAOps, address(governor))
        );
        ledger.setParams(defaultParams());
        IJointLoanLedger.LedgerParams memory p = defaultParams();
        p.aprCapBps = 1500; // e.g. 4 × one-year LPR
        _govern(address(ledger), abi.encodeCall(IJointLoanLedger.setParams, (p)));
        assertEq(ledger.params().aprCapBps, 1500, "cap changed by governance");
        _expectRegisterRevert(
            _terms("G", 1_000_000, 3000, 6), abi.encodeWithSelector(IJointLoanLedger.LedgerRateAboveCap.selector, 1800, 1500)
        );
        vm.prank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(IJointLoanLedger.LedgerBadMember.selector, PLATFORM, uint8(IConsortiumRegistry.MemberKind.Branch))
        );
        ledger.setBranchLimits(PLATFORM, defaultLimits());
    }

    function testFuzz_repay_anySequenceSplitsExactlyAndSettles(uint256 seed, uint16 platformShare, uint64 principal)
        external
    {
        platformShare = uint16(bound(platformShare, 3000, 7000));
        principal = uint64(bound(principal, 300_000, 20_000_000));
        bytes32 loanId = _register(_terms(bytes32(seed), principal, platformShare, 12));
        _disburseAll(loanId);
        uint256 platformPart = _platformPart(principal, platformShare);
        uint256[2] memory credit;
        for (uint256 step = 0; step < 40; ++step) {
            if (ledger.loan(loanId).state != IJointLoanLedger.LoanState.Active) break;
            seed = uint256(keccak256(abi.encode(seed)));
            vm.warp(block.timestamp + (seed % 20) * 1 days);
            // what is due today, in part or in full (paying ahead is charged under the cap);
            // the last step settles early
            uint256 owed = _dueNow(loanId);
            if (owed == 0 && step != 39) continue;
            vm.recordLogs();
            uint256 amount = step == 39 ? _settle(loanId) : bound(seed, 1, owed);
            if (step != 39) _repay(loanId, amount);
            (uint256 p0, uint256 p1, uint256 total) = _sharedTotals(vm.getRecordedLogs());
            assertEq(total, amount, "funder credits sum to the repayment");
            credit[0] += p0;
            credit[1] += p1;
            IJointLoanLedger.Progress memory pr = ledger.progress(loanId);
            assertTrue(pr.principalRepaid <= principal, "outstanding never negative");
        }
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
        assertEq(credit[1], platformPart, "platform recovered exactly its disbursement");
        assertEq(credit[0], principal - platformPart, "branch recovered exactly its disbursement");
    }
}
