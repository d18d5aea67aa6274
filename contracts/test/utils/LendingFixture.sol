// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DisputeResolution} from "../../lending/DisputeResolution.sol";
import {IDisputeResolution} from "../../lending/IDisputeResolution.sol";
import {IConsortiumRegistry} from "../../consortium/IConsortiumRegistry.sol";
import {IJointLoanLedger} from "../../lending/IJointLoanLedger.sol";
import {JointLoanLedger} from "../../lending/JointLoanLedger.sol";
import {LoanTermsVerifier} from "../../lending/LoanTermsVerifier.sol";
import {AllInCost} from "../../libraries/AllInCost.sol";
import {ConsortiumFixture} from "./ConsortiumFixture.sol";

/// @notice The consortium plus the ledger and dispute resolution, with DOMAIN.md defaults:
/// cap 24%, platform floor 30%, co-funding 25% of capital, 3,000–200,000 yuan, 7 days–36 months.
/// Branch A (region 330102) has capital 4,000,000 yuan and generous quotas. The platform has a
/// second operations account with a known key (`platformSigner`) that signs its loan agreements.
abstract contract LendingFixture is ConsortiumFixture {
    uint256 internal constant PLATFORM_SIGNER_KEY = uint256(keccak256("jointledger.test.platform.signer"));
    /// @dev Branch A's settlement account, whitelisted for branch A (a salted hash).
    bytes32 internal constant ACCOUNT = keccak256("salted hash of branch A's settlement account");
    /// @dev The platform's settlement account, whitelisted for the platform.
    bytes32 internal constant PLATFORM_ACCOUNT = keccak256("salted hash of the platform's settlement account");
    /// @dev The borrower's receiving account every test loan is bound to.
    bytes32 internal constant BORROWER_ACCOUNT = keccak256("salted hash of a borrower's receiving account");
    uint32 internal constant REGION_A = 330102;
    uint16 internal constant START_DAY = 20_000; // 2024-10-04

    JointLoanLedger internal ledger;
    DisputeResolution internal disputes;
    address internal platformSigner;
    uint256 private _serialNonce;

    function setUp() public virtual override {
        super.setUp();
        ledger = new JointLoanLedger(registry, defaultParams());
        disputes = new DisputeResolution(
            registry, ledger, IDisputeResolution.Thresholds({reminderDays: 3, mediationDays: 7, arbitrationDays: 15})
        );
        vm.startPrank(address(governor));
        ledger.setDisputeResolution(address(disputes));
        ledger.setBranchLimits(BRANCH_A, defaultLimits());
        ledger.setAccountWhitelisted(BRANCH_A, ACCOUNT, true);
        ledger.setAccountWhitelisted(PLATFORM, PLATFORM_ACCOUNT, true);
        platformSigner = vm.addr(PLATFORM_SIGNER_KEY);
        registry.addAccount(PLATFORM, platformSigner, IConsortiumRegistry.AccountRole.Operations);
        vm.stopPrank();
        vm.warp(_dayStart(START_DAY));
    }

    function defaultParams() internal pure returns (IJointLoanLedger.LedgerParams memory) {
        return IJointLoanLedger.LedgerParams({
            aprCapBps: 2400,
            platformShareFloorBps: 3000,
            coFundingCapitalRatioBps: 2500,
            penaltyAprBps: 1200,
            minTermDays: 7,
            maxTermDays: 1096,
            minPrincipal: 300_000,
            maxPrincipal: 20_000_000,
            borrowerOutstandingLimit: 30_000_000
        });
    }

    function defaultLimits() internal pure returns (IJointLoanLedger.BranchLimits memory) {
        return IJointLoanLedger.BranchLimits({
            singleLoanMax: 20_000_000,
            dailyDisbursementLimit: 100_000_000,
            outstandingLimit: 1_000_000_000,
            netTier1Capital: 400_000_000
        });
    }

    /// @dev Unix time of 00:00 Asia/Shanghai on `day`.
    function _dayStart(uint256 day) internal pure returns (uint256) {
        return day * 1 days - 8 hours;
    }

    /// @dev A joint loan (branch A / platform) with `n` monthly equal-principal installments.
    function _terms(bytes32 applicationSerial, uint64 principal, uint16 platformShare, uint256 n)
        internal
        pure
        returns (IJointLoanLedger.LoanTerms memory t)
    {
        return _termsFrom(applicationSerial, principal, platformShare, n, START_DAY);
    }

    /// @dev The same, starting on `startDay`: installment k due addMonths(start, k), no fees.
    function _termsFrom(bytes32 applicationSerial, uint64 principal, uint16 platformShare, uint256 n, uint16 startDay)
        internal
        pure
        returns (IJointLoanLedger.LoanTerms memory t)
    {
        t.originator = PLATFORM;
        t.applicationSerial = applicationSerial;
        t.borrowerKey = keccak256(abi.encode("borrower", applicationSerial));
        t.borrowerRegion = REGION_A;
        t.branch = BRANCH_A;
        t.platform = PLATFORM;
        if (platformShare == 0) {
            t.funders = new IJointLoanLedger.Funder[](1);
            t.funders[0] = IJointLoanLedger.Funder(BRANCH_A, 10_000);
        } else {
            t.funders = new IJointLoanLedger.Funder[](2);
            t.funders[0] = IJointLoanLedger.Funder(BRANCH_A, 10_000 - platformShare);
            t.funders[1] = IJointLoanLedger.Funder(PLATFORM, platformShare);
        }
        t.principal = principal;
        t.aprBps = 1800;
        t.method = IJointLoanLedger.RepaymentMethod.EqualInstallment;
        t.startDay = startDay;
        t.schedule = new IJointLoanLedger.Installment[](n);
        uint256 remaining = principal;
        for (uint256 i = 0; i < n; ++i) {
            uint256 part = i + 1 == n ? remaining : principal / n;
            uint256 interest = (remaining * 1800) / 120_000;
            // cannot truncate: test amounts are far below 2^32 fen
            t.schedule[i] = IJointLoanLedger.Installment(
                uint16(AllInCost.addMonthsDay(startDay, i + 1)), uint32(part), uint32(interest)
            );
            remaining -= part;
        }
        t.contractLeaf = keccak256(abi.encode("contract", applicationSerial));
        t.consentLeaf = keccak256(abi.encode("consent", applicationSerial));
        t.receivingAccount = BORROWER_ACCOUNT;
    }

    function _register(IJointLoanLedger.LoanTerms memory t) internal returns (bytes32 loanId) {
        bytes memory agreement = _agreement(t);
        vm.prank(branchAOps);
        loanId = ledger.registerLoan(t, agreement);
    }

    /// @dev The platform's agreement to a joint loan's terms (empty for a loan the branch funds alone).
    function _agreement(IJointLoanLedger.LoanTerms memory t) internal view returns (bytes memory) {
        if (t.funders.length != 2) return "";
        return _signDigest(PLATFORM_SIGNER_KEY, _digest(t));
    }

    /// @dev Branch A registering `t` (with the platform's agreement) is refused with `err`.
    function _expectRegisterRevert(IJointLoanLedger.LoanTerms memory t, bytes memory err) internal {
        bytes memory agreement = _agreement(t);
        vm.prank(branchAOps);
        vm.expectRevert(err);
        ledger.registerLoan(t, agreement);
    }

    /// @dev What the platform signs: the ledger's verifier's agreement digest of `t`.
    function _digest(IJointLoanLedger.LoanTerms memory t) internal view returns (bytes32) {
        return LoanTermsVerifier(ledger.termsVerifier()).agreementDigest(t);
    }

    function _signDigest(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _serial() internal returns (bytes32) {
        return keccak256(abi.encode("serial", ++_serialNonce));
    }

    /// @dev Disburse every funder's exact share.
    function _disburseAll(bytes32 loanId) internal {
        IJointLoanLedger.Funder[] memory list = ledger.funders(loanId);
        uint256 principal = ledger.loan(loanId).principal;
        uint256 branchPart = principal - (list.length == 2 ? _platformPart(principal, list[1].shareBps) : 0);
        vm.prank(branchAOps);
        ledger.disburse(loanId, branchPart, ACCOUNT, _serial(), keccak256("voucher"));
        if (list.length == 2) {
            uint256 platformPart = principal - branchPart;
            vm.prank(platformOps);
            ledger.disburse(loanId, platformPart, PLATFORM_ACCOUNT, _serial(), keccak256("voucher"));
        }
    }

    /// @dev The platform's largest-remainder share as the ledger computes it (two funders).
    function _platformPart(uint256 principal, uint256 shareBps) internal pure returns (uint256) {
        uint256 branchExact = principal * (10_000 - shareBps);
        uint256 platformExact = principal * shareBps;
        uint256 platformPart = platformExact / 10_000;
        uint256 branchPart = branchExact / 10_000;
        if (branchPart + platformPart < principal && platformExact % 10_000 > branchExact % 10_000) ++platformPart;
        return platformPart;
    }

    /// @dev What can be repaid today without paying ahead of a due day: penalty, interest and
    /// principal of the installments due by today (paying ahead is charged to the loan's headroom
    /// under the all-in cap, or refused beyond it).
    function _dueNow(bytes32 loanId) internal view returns (uint256 total) {
        (uint256 pen, uint256 interest, uint256 principal) = ledger.amountOwed(loanId);
        IJointLoanLedger.Installment[] memory s = ledger.schedule(loanId);
        IJointLoanLedger.Progress memory p = ledger.progress(loanId);
        uint256 day = ledger.today();
        total = pen;
        for (uint256 i = p.nextInstallment; i < s.length && s[i].dueDay <= day; ++i) {
            total += uint256(s[i].principal) + s[i].interest;
            if (i == p.nextInstallment) total -= uint256(p.currentPrincipalPaid) + p.currentInterestPaid;
        }
        assertTrue(total <= pen + interest + principal, "due now is part of what is owed");
    }

    /// @dev Settle the loan today for exactly what settles it.
    function _settle(bytes32 loanId) internal returns (uint256 amount) {
        (uint256 pen, uint256 interest, uint256 principal) = ledger.settlementOwed(loanId);
        amount = pen + interest + principal;
        vm.prank(branchAOps);
        ledger.settle(loanId, amount, _serial(), keccak256(abi.encode("settlement voucher", amount)));
    }

    function _repay(bytes32 loanId, uint256 amount) internal {
        vm.prank(branchAOps);
        ledger.repay(loanId, amount, _serial(), keccak256(abi.encode("repayment voucher", amount)));
    }
}
