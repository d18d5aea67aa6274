// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {AllInCost} from "../libraries/AllInCost.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

/// @notice Fees are registered with the loan and the all-in annual cost (interest and every fee)
/// is capped on chain. Exact agreement with common/lending/apr.ts over random schedules is the
/// property test test/contracts/all-in-cap.property.test.ts.
contract JointLoanLedgerFeesTest is LendingFixture {
    function _withFees(IJointLoanLedger.LoanTerms memory t, uint8[2] memory at, uint32[2] memory amounts)
        private
        pure
        returns (IJointLoanLedger.LoanTerms memory)
    {
        t.fees = new IJointLoanLedger.Fee[](2);
        t.fees[0] = IJointLoanLedger.Fee(at[0], amounts[0]);
        t.fees[1] = IJointLoanLedger.Fee(at[1], amounts[1]);
        return t;
    }

    /// @dev 10,000 yuan at 18% for 30 days (interest 147.95 yuan) with 100 yuan deducted at
    /// disbursement: ⌈(2·(1,014,795 − 990,000) − 1)·3,650,000 / (2·990,000·30)⌉ = 3048 bps
    /// (SCHEDULE.md, worked example). The nominal 18% alone passed the old rate check.
    function test_registerLoan_bulletWithAnUpfrontFeeAboveTheCapIsRefusedWithItsAllInApr() external {
        IJointLoanLedger.LoanTerms memory t = _bullet("BULLET-FEE", 14_795);
        t.fees = new IJointLoanLedger.Fee[](1);
        t.fees[0] = IJointLoanLedger.Fee(0, 10_000);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerAllInAprAboveCap.selector, 3048, 2400));
        // paid with the repayment instead: 49.32 yuan is ⌈2400.06⌉ = 2401, 49.31 yuan ⌈2399.94⌉ = 2400
        t.fees[0] = IJointLoanLedger.Fee(1, 4_932);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerAllInAprAboveCap.selector, 2401, 2400));
        t.fees[0] = IJointLoanLedger.Fee(1, 4_931);
        bytes32 loanId = _register(t);
        assertTrue(ledger.loan(loanId).state == IJointLoanLedger.LoanState.Registered, "at the cap passes");
    }

    function test_registerLoan_monthlyLoanWithFeesAboveTheCapIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _withFees(_terms("M-FEE", 1_000_000, 3000, 12), [0, 1], [uint32(30_000), 20_000]);
        bytes memory agreement = _agreement(t);
        vm.prank(branchAOps);
        try ledger.registerLoan(t, agreement) {
            assertTrue(false, "registered a loan above the cap");
        } catch (bytes memory err) {
            assertEq(bytes32(bytes4(err)), bytes32(IJointLoanLedger.LedgerAllInAprAboveCap.selector), "error");
            (uint256 apr, uint256 cap) = abi.decode(_args(err), (uint256, uint256));
            assertEq(cap, 2400, "cap");
            assertTrue(apr > 2400 && apr < 3400, "all-in APR reported");
        }
    }

    function test_registerLoan_feesAreRecordedWithTheLoan() external {
        IJointLoanLedger.LoanTerms memory t = _withFees(_terms("RECORDED", 1_000_000, 3000, 12), [0, 12], [uint32(2_000), 1_000]);
        bytes32 loanId = ledger.loanIdOf(PLATFORM, "RECORDED");
        vm.expectEmit(true, false, false, true, address(ledger));
        emit IJointLoanLedger.LoanFeesRegistered(loanId, t.fees);
        _register(t);
    }

    function test_registerLoan_badFeesAreRefused() external {
        IJointLoanLedger.LoanTerms memory t = _withFees(_terms("BAD", 1_000_000, 3000, 6), [1, 7], [uint32(1), 1]);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadFee.selector, 1));
        t = _withFees(_terms("BAD", 1_000_000, 3000, 6), [1, 2], [uint32(1), 0]);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadFee.selector, 1));
        t = _withFees(_terms("BAD", 1_000_000, 3000, 6), [0, 0], [uint32(600_000), 400_000]);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerUpfrontFeesTooHigh.selector, 1_000_000, 1_000_000));
        t = _terms("BAD", 1_000_000, 3000, 6);
        t.fees = new IJointLoanLedger.Fee[](121);
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadFee.selector, 120));
    }

    /// @dev The all-in cost counts installment k as month k, so a "monthly" schedule due every
    /// two weeks would understate it: monthly installments must fall on addMonths(start, k).
    function test_registerLoan_monthlyScheduleOffTheCalendarIsRefused() external {
        IJointLoanLedger.LoanTerms memory t = _terms("CAL", 1_000_000, 3000, 6);
        t.schedule[2].dueDay -= 1;
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadSchedule.selector, 2));
        t = _terms("CAL", 1_000_000, 3000, 6);
        for (uint256 i = 0; i < 6; ++i) {
            t.schedule[i].dueDay = uint16(START_DAY + 14 * (i + 1));
        }
        _expectRegisterRevert(t, abi.encodeWithSelector(IJointLoanLedger.LedgerBadSchedule.selector, 0));
    }

    function test_addMonthsDay_clampsToTheMonthsEnd() external pure {
        uint256 jan31 = 20_484; // 2026-01-31
        assertEq(AllInCost.addMonthsDay(jan31, 1), 20_512, "2026-02-28");
        assertEq(AllInCost.addMonthsDay(jan31, 2), 20_543, "2026-03-31");
        assertEq(AllInCost.addMonthsDay(jan31, 25), 21_243, "2028-02-29");
        assertEq(AllInCost.addMonthsDay(0, 1), 31, "1970-02-01");
    }

    function _bullet(bytes32 serial, uint32 interest) private pure returns (IJointLoanLedger.LoanTerms memory t) {
        t = _terms(serial, 1_000_000, 0, 1);
        t.method = IJointLoanLedger.RepaymentMethod.Bullet;
        t.schedule[0] = IJointLoanLedger.Installment(START_DAY + 30, 1_000_000, interest);
    }

    function _args(bytes memory err) private pure returns (bytes memory args) {
        args = new bytes(err.length - 4);
        for (uint256 i = 0; i < args.length; ++i) {
            args[i] = err[i + 4];
        }
    }
}
