// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
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

    /// @notice A loan's state for `owed`: its installment count, the ledger's funding word
    /// (progress), start day, effective penalty rate, the day, and whether every installment's
    /// interest counts in full (what is owed now) or only up to the day (early settlement). For
    /// early settlement also the all-in cap, the loan's headroom under it at registration
    /// (`Loan.allInSlack`) and whether it is a bullet (simple convention).
    struct OwedState {
        uint256 count;
        uint256 progressWord;
        uint256 startDay;
        uint256 penaltyAprBps;
        uint256 day;
        bool fullInterest;
        uint256 capBps;
        uint256 slack;
        bool bullet;
    }

    /// @dev Fixed-point scale of the settlement allowance.
    uint256 private constant _FP = 1 << 64;

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

    /// @notice What a loan owes on `day` — all of it (`fullInterest`, {IJointLoanLedger-amountOwed})
    /// or what settles it early ({IJointLoanLedger-settlementOwed}) —, from the
    /// ledger's packed state: `scheduleWords` (three 80-bit installments a word: due day 16 |
    /// principal 32 | interest 32, low first), `progressWord` (the ledger's funding word: principal
    /// repaid from bit 96, next installment 136, current principal paid 144, interest paid 176,
    /// penalty due 208, penalty accrued day 240) and the loan's effective penalty rate. Installments
    /// due by `day` count in full, penalty accrued to the day as the ledger accrues it; the one in
    /// progress its interest pro rata by days (half up) less what was paid of it; later ones their
    /// principal only.
    function owed(uint256[] calldata scheduleWords, OwedState calldata state) external pure returns (uint256, uint256, uint256) {
        uint256[3] memory sums; // penalty, interest, principal
        OwedState memory st = state;
        uint256 next = uint8(st.progressWord >> 136);
        // the start of the period in progress; type(uint256).max once that installment is counted
        uint256 periodStart = next == 0 ? st.startDay : (_packed(scheduleWords, next - 1) >> 64) & 0xffff;
        for (uint256 i = next; i < st.count; ++i) {
            // only the next installment can be partly paid or have accrued penalty
            periodStart = _owedOne(sums, i == next ? st.progressWord : 0, _packed(scheduleWords, i), periodStart, st);
        }
        if (!st.fullInterest) {
            uint256 paidOfNext = uint32(st.progressWord >> 144) + uint32(st.progressWord >> 176);
            uint256 allowance = _settlementAllowance(scheduleWords, st, next, paidOfNext);
            uint256 due = sums[1] + sums[2];
            if (due > allowance) {
                // the cap is on the all-in cost: what fees took up front comes off the interest,
                // then off the principal
                uint256 cut = due - allowance;
                uint256 fromInterest = cut < sums[1] ? cut : sums[1];
                sums[1] -= fromInterest;
                sums[2] -= cut - fromInterest;
            }
        }
        return (sums[0], sums[1], sums[2]);
    }

    /// @notice The most an early settlement on `st.day` may take besides penalty so that the
    /// borrower's realised all-in cost stays within the cap (SCHEDULE.md, "Early settlement"):
    /// the headroom at registration plus the present value at the cap, as of the start day, of the
    /// installments still unpaid, less what was paid of the next one (counted at its period's
    /// start), grown at the cap to the day — whole months compounded, the month in progress
    /// linearly by days (a bullet: simple interest by days). Fees with installments after the
    /// settlement are not owed. Every step rounds down: the allowance errs against the lender.
    function settlementAllowance(uint256[] calldata scheduleWords, OwedState calldata state) external pure returns (uint256) {
        OwedState memory st = state;
        uint256 paidOfNext = uint32(st.progressWord >> 144) + uint32(st.progressWord >> 176);
        return _settlementAllowance(scheduleWords, st, uint8(st.progressWord >> 136), paidOfNext);
    }

    function _settlementAllowance(uint256[] calldata words, OwedState memory st, uint256 next, uint256 paidOfNext)
        private
        pure
        returns (uint256)
    {
        uint256 cap = st.capBps;
        uint256 day = st.day;
        // cannot overflow: 32-bit amounts at most 60 installments, scaled by 2^64, grown by at
        // most (1 + cap)^60 with a 16-bit cap
        unchecked {
            if (st.bullet) {
                uint256 packedB = _packed(words, 0);
                uint256 dueB = (packedB >> 64) & 0xffff;
                uint256 pvB = next == 0
                    ? (((packedB >> 32) & 0xffffffff) + (packedB & 0xffffffff)) * _FP * 3_650_000
                        / (3_650_000 + cap * (dueB - st.startDay))
                    : 0;
                uint256 totalB = pvB + st.slack * _FP;
                uint256 paidB = paidOfNext * _FP;
                if (totalB <= paidB) return 0;
                uint256 elapsed = day > st.startDay ? day - st.startDay : 0;
                return (totalB - paidB) * (3_650_000 + cap * elapsed) / 3_650_000 / _FP;
            }
            (uint256 v, uint256 months) = _netPresentValue(words, st, next, paidOfNext);
            uint256 x = 120_000 + cap;
            for (uint256 k = 0; k < months; ++k) {
                v = v * x / 120_000;
            }
            uint256 from = months == 0 ? st.startDay : (_packed(words, months - 1) >> 64) & 0xffff;
            uint256 period = months < st.count ? ((_packed(words, months) >> 64) & 0xffff) - from : 30;
            return v * (120_000 * period + cap * (day - from)) / (120_000 * period) / _FP;
        }
    }

    /// @dev Monthly: the headroom plus the present value at the cap, as of the start day, of the
    /// unpaid installments less what was paid of the next (at its period's start, rounded up),
    /// scaled by 2^64, floored at 0; and how many due days fall on or before `st.day`.
    function _netPresentValue(uint256[] calldata words, OwedState memory st, uint256 next, uint256 paidOfNext)
        private
        pure
        returns (uint256 v, uint256 months)
    {
        uint256 x = 120_000 + st.capBps;
        // cannot overflow: see _settlementAllowance
        unchecked {
            for (uint256 k = st.count; k != 0; --k) {
                uint256 packed = _packed(words, k - 1);
                if (months == 0 && ((packed >> 64) & 0xffff) <= st.day) months = k;
                if (k - 1 >= next) v += (((packed >> 32) & 0xffffffff) + (packed & 0xffffffff)) * _FP;
                v = v * 120_000 / x;
            }
            uint256 q = paidOfNext * _FP;
            for (uint256 k = 0; k < next; ++k) {
                q = (q * 120_000 + x - 1) / x;
            }
            v += st.slack * _FP;
            v = v > q ? v - q : 0;
        }
    }

    /// @dev Add one installment (packed: due day 16 | principal 32 | interest 32) to `sums`;
    /// returns the next period's start.
    function _owedOne(uint256[3] memory sums, uint256 word, uint256 packed, uint256 periodStart, OwedState memory st)
        private
        pure
        returns (uint256)
    {
        uint256 day = st.day;
        uint256 dueDay = (packed >> 64) & 0xffff;
        uint256 unpaid = ((packed >> 32) & 0xffffffff) - uint32(word >> 144);
        uint256 interest = packed & 0xffffffff;
        uint256 interestPaid = uint32(word >> 176);
        sums[2] += unpaid;
        if (dueDay <= day || st.fullInterest) {
            sums[0] += _penaltyDue(word, unpaid, dueDay, day, st.penaltyAprBps);
            sums[1] += interest - interestPaid;
            return dueDay;
        }
        if (periodStart == type(uint256).max) return periodStart;
        // a period not begun yet (an earlier installment paid ahead) has accrued nothing
        uint256 elapsed = day > periodStart ? day - periodStart : 0;
        uint256 period = dueDay - periodStart;
        uint256 accrued = (2 * interest * elapsed + period) / (2 * period);
        if (accrued > interestPaid) sums[1] += accrued - interestPaid;
        return type(uint256).max;
    }

    /// @dev As JointLoanLedger._accruePenalty: the penalty due plus whole days since it was last
    /// accrued (or since the due day) on the unpaid principal, truncated to the fen.
    function _penaltyDue(uint256 word, uint256 unpaid, uint256 dueDay, uint256 day, uint256 rate)
        private
        pure
        returns (uint256)
    {
        uint256 due = uint32(word >> 208);
        uint256 accruedDay = uint16(word >> 240);
        uint256 from = accruedDay > dueDay ? accruedDay : dueDay;
        if (day <= from) return due;
        return due + (unpaid * rate * (day - from)) / (365 * 10_000);
    }

    function _packed(uint256[] calldata words, uint256 index) private pure returns (uint256) {
        return words[index / 3] >> (80 * (index % 3));
    }

    /// @notice See {IJointLoanLedger-agreementDigest}.
    function agreementDigest(IJointLoanLedger.LoanTerms calldata terms) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_AGREEMENT_TYPEHASH, _loanId(terms), _termsHash(terms)));
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
    }

    /// @notice What a joint loan's platform signs to agree that it takes `platformIncomeShareBps`
    /// of the loan's income (interest and penalty) instead of its funding share: the EIP-712
    /// digest (the agreement's domain) of `IncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps)`.
    function incomeSplitDigest(bytes32 loanId, uint16 platformIncomeShareBps) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_INCOME_SPLIT_TYPEHASH, loanId, platformIncomeShareBps));
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
    }

    /// @notice Refuses (LedgerPlatformAgreementMissing) unless `signature` over
    /// `incomeSplitDigest` is by an operations account of `platform` while it is active.
    function checkIncomeSplit(bytes32 loanId, uint32 platform, uint16 platformIncomeShareBps, bytes calldata signature)
        external
        view
    {
        _checkPlatformSignature(loanId, platform, incomeSplitDigest(loanId, platformIncomeShareBps), signature);
    }

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
