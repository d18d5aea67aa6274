// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {AllInCost} from "../libraries/AllInCost.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";

/// @title LoanTermsVerifier
/// @notice The registration checks of JointLoanLedger that are code-heavy but stateless: the
/// schedule (its shape, sum and monthly calendar), the fees, the all-in cost cap (AllInCost) and the EIP-712
/// digest a joint loan's platform signs. The ledger creates it in its constructor and forwards
/// `registerLoan`'s calldata to it, so the ledger's own code stays under the 24 KiB contract
/// size limit; it reverts with the ledger's errors (IJointLoanLedger), which the ledger passes on.
/// @dev Stateless apart from immutables; `ledger` is the contract that created it, and the
/// EIP-712 domain names that ledger as the verifying contract.
contract LoanTermsVerifier {
    uint256 private constant _MAX_INSTALLMENTS = 60;
    uint256 private constant _MAX_FEES = 120;
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _AGREEMENT_TYPEHASH = keccak256("LoanAgreement(bytes32 loanId,bytes32 termsHash)");
    bytes32 private constant _INCOME_SPLIT_TYPEHASH =
        keccak256("IncomeSplit(bytes32 loanId,uint16 platformIncomeShareBps)");

    /// @notice The ledger this verifier serves (its creator).
    address public immutable ledger;
    /// @notice The consortium registry the ledger reads members from.
    IConsortiumRegistry public immutable registry;

    constructor(IConsortiumRegistry registry_) {
        ledger = msg.sender;
        registry = registry_;
    }

    /// @notice Every registration check of `terms` that needs no ledger state (reverting with the
    /// ledger's error) under the ledger's parameters `rules` = aprCapBps | minTermDays << 16 |
    /// maxTermDays << 32 | platformShareFloorBps << 48: the parties (active, the borrower in the
    /// branch's region), the funders, the schedule, term, fees and all-in cost, and a joint loan's
    /// `platformAgreement`. Returns the loan's headroom under the cap: the cash received less the
    /// present value at the cap of everything the borrower pays (fees included), in fen, rounded down.
    function check(IJointLoanLedger.LoanTerms calldata terms, uint256 rules, bytes calldata platformAgreement)
        external
        view
        returns (uint256 slack)
    {
        _checkParties(terms);
        bool joint = _checkFunders(terms, (rules >> 48) & 0xffff);
        (uint256 termDays, uint256[] memory doubled) = _checkSchedule(terms);
        uint256 minDays = (rules >> 16) & 0xffff;
        uint256 maxDays = (rules >> 32) & 0xffff;
        if (termDays < minDays || termDays > maxDays) {
            revert IJointLoanLedger.LedgerTermOutOfRange(termDays, minDays, maxDays);
        }
        slack = _checkAllInCost(terms, termDays, rules & 0xffff, doubled);
        // a co-funder is bound to fund its share: it must have agreed to exactly these terms
        if (joint) _checkPlatformAgreement(terms, platformAgreement);
    }

    function _checkParties(IJointLoanLedger.LoanTerms calldata terms) private view {
        uint32 branchRegion = _requireActive(terms.branch, IConsortiumRegistry.MemberKind.Branch);
        if (terms.borrowerRegion != branchRegion) {
            revert IJointLoanLedger.LedgerRegionMismatch(terms.borrowerRegion, branchRegion);
        }
        if (terms.platform != 0) _requireActive(terms.platform, IConsortiumRegistry.MemberKind.Platform);
    }

    function _requireActive(uint32 memberId, IConsortiumRegistry.MemberKind expected) private view returns (uint32) {
        (IConsortiumRegistry.MemberKind kind, IConsortiumRegistry.MemberStatus status, uint32 region) =
            registry.profileOf(memberId);
        if (kind != expected || status != IConsortiumRegistry.MemberStatus.Active) {
            revert IJointLoanLedger.LedgerBadMember(memberId, uint8(expected));
        }
        return region;
    }

    /// @dev [branch 10000] for an assisted or direct loan; [branch, platform] for a joint loan,
    /// with the platform's share at least the floor. Returns whether it is a joint loan.
    function _checkFunders(IJointLoanLedger.LoanTerms calldata terms, uint256 floorBps) private pure returns (bool joint) {
        IJointLoanLedger.Funder[] calldata list = terms.funders;
        uint256 count = list.length;
        uint256 sum;
        for (uint256 i = 0; i < count; ++i) {
            sum += list[i].shareBps;
            if (list[i].shareBps == 0) revert IJointLoanLedger.LedgerBadFunders(count, sum);
        }
        joint = count == 2 && terms.platform != 0 && list[1].memberId == terms.platform;
        if (sum != 10_000 || list[0].memberId != terms.branch || (count != 1 && !joint)) {
            revert IJointLoanLedger.LedgerBadFunders(count, sum);
        }
        if (joint && list[1].shareBps < floorBps) {
            revert IJointLoanLedger.LedgerPlatformShareBelowFloor(list[1].shareBps, floorBps);
        }
    }

    /// @dev The signature must recover to an operations account of the loan's platform while the
    /// platform is active (its kind and status are checked in _checkParties): its node's key, not
    /// a log-operator key.
    function _checkPlatformAgreement(IJointLoanLedger.LoanTerms calldata terms, bytes calldata agreement) private view {
        _checkPlatformSignature(_loanId(terms), terms.platform, agreementDigest(terms), agreement);
    }

    function _checkPlatformSignature(bytes32 loanId, uint32 platform, bytes32 digest, bytes calldata signature)
        private
        view
    {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError) {
            (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
                registry.accountOf(signer);
            if (
                memberId == platform && status == IConsortiumRegistry.MemberStatus.Active
                    && role == IConsortiumRegistry.AccountRole.Operations
            ) return;
        }
        revert IJointLoanLedger.LedgerPlatformAgreementMissing(loanId, platform, signer);
    }

    function _loanId(IJointLoanLedger.LoanTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode("JointLedger.loan.v1", terms.originator, terms.applicationSerial));
    }

    /// @notice See {IJointLoanLedger-agreementDigest}.
    function agreementDigest(IJointLoanLedger.LoanTerms calldata terms) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_AGREEMENT_TYPEHASH, _loanId(terms), _termsHash(terms)));
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @notice What a joint loan's platform signs to agree that it takes `platformIncomeShareBps`
    /// of the loan's income (interest and penalty) instead of its funding share: the EIP-712
    /// digest (the agreement's domain) of `IncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps)`.
    function incomeSplitDigest(bytes32 loanId, uint16 platformIncomeShareBps) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_INCOME_SPLIT_TYPEHASH, loanId, platformIncomeShareBps));
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @notice Refuses (LedgerPlatformAgreementMissing) unless `signature` over
    /// `incomeSplitDigest` is by an operations account of `platform` while it is active.
    function checkIncomeSplit(bytes32 loanId, uint32 platform, uint16 platformIncomeShareBps, bytes calldata signature)
        external
        view
    {
        _checkPlatformSignature(loanId, platform, incomeSplitDigest(loanId, platformIncomeShareBps), signature);
    }

    /// @dev The ledger's EIP-712 domain. Not OpenZeppelin's EIP712, whose verifying contract is
    /// always `address(this)`: the domain is the ledger's, which created this verifier.
    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, keccak256("JointLoanLedger"), keccak256("1"), block.chainid, ledger));
    }

    /// @dev keccak256(abi.encode(terms)), hashed from the calldata as it came instead of
    /// re-encoded (which cost ~15,000 gas): abi.encode(terms) is the word 0x20 and the terms'
    /// canonical encoding, whose length follows from the array lengths. The terms are this call's
    /// first argument (every caller passes them first). Non-canonical calldata hashes to something
    /// else, so its signature fails; and bytes equal to a canonical encoding decode to exactly the
    /// terms that were signed, because every offset and length the decoder follows lies in them.
    function _termsHash(IJointLoanLedger.LoanTerms calldata terms) private pure returns (bytes32) {
        uint256 start = 4 + uint256(bytes32(msg.data[4:36]));
        uint256 length = 16 * 32 + (3 + 2 * terms.funders.length + 3 * terms.schedule.length + 2 * terms.fees.length) * 32;
        return keccak256(bytes.concat(bytes32(uint256(0x20)), msg.data[start:start + length]));
    }

    /// @dev Due days strictly increasing after the start — for the monthly methods exactly
    /// addMonths(start, k), the period the all-in cost counts installment k in —, principals
    /// summing to the loan's, and the method's shape: bullet = one installment, interest-first =
    /// principal only with the last. Returns the term in days and, per period k, twice the
    /// installment's total less the half-fen allowance (one fen doubled) if it is not zero.
    function _checkSchedule(IJointLoanLedger.LoanTerms calldata terms)
        private
        pure
        returns (uint256 termDays, uint256[] memory doubled)
    {
        IJointLoanLedger.Installment[] calldata list = terms.schedule;
        uint256 count = list.length;
        if (count == 0 || count > _MAX_INSTALLMENTS) revert IJointLoanLedger.LedgerBadSchedule(count);
        bool monthly = terms.method != IJointLoanLedger.RepaymentMethod.Bullet;
        if (!monthly && count != 1) revert IJointLoanLedger.LedgerBadSchedule(1);
        uint256 lastDue = terms.startDay;
        // the start date converted once, then month by month (same as addMonths(start, k))
        AllInCost.MonthWalk memory walk = AllInCost.monthWalk(lastDue);
        bool interestFirst = terms.method == IJointLoanLedger.RepaymentMethod.InterestFirst;
        doubled = new uint256[](count + 1);
        uint256 sum;
        for (uint256 i = 0; i < count;) {
            IJointLoanLedger.Installment calldata inst = list[i];
            uint256 due = inst.dueDay;
            uint256 principal = inst.principal;
            if (due <= lastDue || (monthly && due != AllInCost.nextDueDay(walk))) {
                revert IJointLoanLedger.LedgerBadSchedule(i);
            }
            if (interestFirst && i + 1 < count && principal != 0) revert IJointLoanLedger.LedgerBadSchedule(i);
            lastDue = due;
            // cannot overflow: 32-bit amounts, at most 60 installments
            unchecked {
                uint256 total = principal + inst.interest;
                if (total != 0) doubled[i + 1] = 2 * total - 1;
                sum += principal;
                ++i;
            }
        }
        if (sum != terms.principal) revert IJointLoanLedger.LedgerScheduleSumMismatch(sum, terms.principal);
        termDays = lastDue - terms.startDay;
    }

    /// @dev All-in annual cost ≤ cap (AllInCost; SCHEDULE.md "The cap on chain"): the doubled
    /// installments plus twice each fee in its period; fees at disbursement reduce the cash received.
    function _checkAllInCost(
        IJointLoanLedger.LoanTerms calldata terms,
        uint256 termDays,
        uint256 capBps,
        uint256[] memory doubled
    ) private pure returns (uint256 slack) {
        IJointLoanLedger.Fee[] calldata feeList = terms.fees;
        uint256 count = doubled.length - 1;
        if (feeList.length > _MAX_FEES) revert IJointLoanLedger.LedgerBadFee(_MAX_FEES);
        uint256 upfront;
        for (uint256 j = 0; j < feeList.length; ++j) {
            uint256 k = feeList[j].installment;
            uint256 amount = feeList[j].amount;
            if (amount == 0 || k > count) revert IJointLoanLedger.LedgerBadFee(j);
            if (k == 0) upfront += amount;
            else doubled[k] += 2 * amount;
        }
        if (upfront >= terms.principal) revert IJointLoanLedger.LedgerUpfrontFeesTooHigh(upfront, terms.principal);
        uint256 received = terms.principal - upfront;
        if (terms.method == IJointLoanLedger.RepaymentMethod.Bullet) {
            (bool above, uint256 aprBps) = AllInCost.simpleAprAbove(doubled[1], received, termDays, capBps);
            if (above) revert IJointLoanLedger.LedgerAllInAprAboveCap(aprBps, capBps);
            slack = AllInCost.simpleSlack(doubled[1], received, termDays, capBps);
        } else {
            bool within;
            (within, slack) = AllInCost.monthlySlack(doubled, received, capBps);
            if (!within) {
                revert IJointLoanLedger.LedgerAllInAprAboveCap(AllInCost.monthlyAprAbove(doubled, received, capBps), capBps);
            }
        }
    }
}
