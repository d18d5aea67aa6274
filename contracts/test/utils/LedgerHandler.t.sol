// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJointLoanLedger} from "../../lending/IJointLoanLedger.sol";
import {JointLoanLedger} from "../../lending/JointLoanLedger.sol";
import {TestBase} from "./TestBase.sol";
import {Vm} from "./Vm.sol";

/// @notice Invariant-test handler (a .t.sol file so Hardhat hands its artifact to the fuzzer): random disbursements, repayments and clock moves over a fixed
/// set of registered loans. Records what the invariants need as ghost state, and flags any
/// violation it can only see at call time (event sums) so the invariant functions can report it.
contract LedgerHandler is TestBase {
    bytes32 private constant SHARED = keccak256("RepaymentShared(bytes32,uint32,bytes32,uint256,uint256)");

    JointLoanLedger public immutable ledger;
    address public immutable branchOps;
    address public immutable platformOps;
    bytes32 public immutable account;
    bytes32 public immutable platformAccount;
    uint32 public immutable branch;

    bytes32[] public loanIds;
    mapping(bytes32 loanId => IJointLoanLedger.LoanState) public terminalState;
    mapping(uint256 day => uint256) public disbursedOnDay;
    bool public creditsMismatch;
    bool public leftTerminalState;
    uint256 public repayments;
    uint256 public disbursements;
    uint256 private _serials;

    constructor(
        JointLoanLedger ledger_,
        uint32 branch_,
        address branchOps_,
        address platformOps_,
        bytes32 account_,
        bytes32 platformAccount_,
        bytes32[] memory loanIds_
    ) {
        ledger = ledger_;
        loanIds = loanIds_;
        branch = branch_;
        branchOps = branchOps_;
        platformOps = platformOps_;
        account = account_;
        platformAccount = platformAccount_;
    }

    function loanCount() external view returns (uint256) {
        return loanIds.length;
    }

    /// @dev Disburse one funder's share of some loan, if it still owes one.
    function disburse(uint256 loanSeed, bool platform) external {
        bytes32 loanId = loanIds[loanSeed % loanIds.length];
        IJointLoanLedger.Loan memory entry = ledger.loan(loanId);
        if (entry.state != IJointLoanLedger.LoanState.Registered) return;
        uint256 index = platform && entry.funderCount == 2 ? 1 : 0;
        if (entry.disbursedMask & (1 << index) != 0) return;
        IJointLoanLedger.Funder[] memory list = ledger.funders(loanId);
        uint256 amount = _share(entry.principal, list, index);
        IJointLoanLedger.BranchLimits memory limits = ledger.branchLimits(branch);
        uint256 day = ledger.today();
        vm.prank(index == 0 ? branchOps : platformOps);
        try ledger.disburse(loanId, amount, index == 0 ? account : platformAccount, _serial(), keccak256("voucher")) {
            disbursedOnDay[day] += amount;
            ++disbursements;
        } catch (bytes memory reason) {
            // acceptable refusals: the daily limit when it would really be passed, and a date that
            // is not the loan's start day
            bytes4 error = bytes4(reason);
            bool dailyLimit = error == IJointLoanLedger.LedgerDailyLimitExceeded.selector
                && disbursedOnDay[day] + amount > limits.dailyDisbursementLimit;
            bool wrongDay = error == IJointLoanLedger.LedgerDisbursementDateMismatch.selector && day != entry.startDay;
            if (!dailyLimit && !wrongDay) creditsMismatch = true;
        }
    }

    /// @dev Repay part or all of what some active loan owes now.
    function repay(uint256 loanSeed, uint256 amountSeed) external {
        bytes32 loanId = loanIds[loanSeed % loanIds.length];
        if (ledger.loan(loanId).state != IJointLoanLedger.LoanState.Active) return;
        (uint256 pen, uint256 inte, uint256 prin) = ledger.amountOwed(loanId);
        uint256 amount = bound(amountSeed, 1, pen + inte + prin);
        vm.recordLogs();
        vm.prank(branchOps);
        ledger.repay(loanId, amount, _serial(), keccak256("repayment voucher"));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 total;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] != SHARED) continue;
            (, uint256 principal, uint256 income) = abi.decode(logs[i].data, (bytes32, uint256, uint256));
            total += principal + income;
        }
        if (total != amount) creditsMismatch = true;
        ++repayments;
    }

    /// @dev Cancel a loan nobody has disbursed yet.
    function cancel(uint256 loanSeed) external {
        bytes32 loanId = loanIds[loanSeed % loanIds.length];
        IJointLoanLedger.Loan memory entry = ledger.loan(loanId);
        if (entry.state != IJointLoanLedger.LoanState.Registered || entry.disbursedMask != 0) return;
        vm.prank(branchOps);
        ledger.cancelLoan(loanId, 1);
    }

    /// @dev Let 0–40 days pass.
    function elapse(uint256 daysSeed) external {
        vm.warp(block.timestamp + bound(daysSeed, 0, 40) * 1 days + bound(daysSeed >> 8, 0, 23) * 1 hours);
    }

    /// @dev Record terminal states so a later call can be checked against them.
    function observe() public {
        for (uint256 i = 0; i < loanIds.length; ++i) {
            IJointLoanLedger.LoanState state = ledger.loan(loanIds[i]).state;
            bool terminal = state == IJointLoanLedger.LoanState.Settled || state == IJointLoanLedger.LoanState.Cancelled;
            if (terminalState[loanIds[i]] != IJointLoanLedger.LoanState.None && terminalState[loanIds[i]] != state) {
                leftTerminalState = true;
            }
            if (terminal) terminalState[loanIds[i]] = state;
        }
    }

    function _share(uint256 principal, IJointLoanLedger.Funder[] memory list, uint256 index) private pure returns (uint256) {
        if (list.length == 1) return principal;
        uint256 e0 = principal * list[0].shareBps;
        uint256 e1 = principal * list[1].shareBps;
        uint256 p0 = e0 / 10_000;
        uint256 p1 = e1 / 10_000;
        if (p0 + p1 < principal) {
            if (e1 % 10_000 > e0 % 10_000) ++p1;
            else ++p0;
        }
        return index == 0 ? p0 : p1;
    }

    function _serial() private returns (bytes32) {
        return keccak256(abi.encode("handler serial", ++_serials));
    }
}
