// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";
import {JointLoanLedgerBase} from "./JointLoanLedgerBase.sol";
import {LedgerExtension} from "./LedgerExtension.sol";
import {LoanTermsVerifier} from "./LoanTermsVerifier.sol";

/// @title JointLoanLedger
/// @notice Loans, shares, limits and fund flows of the consortium. See {IJointLoanLedger}.
/// @dev Storage is packed for the hot paths: a loan's fixed facts in one slot; its funders and
/// repayment progress together in one (the "funding word"); its evidence chain in one; and three
/// installments per slot (80 bits each). Funding word layout, low bits first: funder 0
/// (memberId 32 | share 16), funder 1 (48), principal repaid (40), next installment (8), the
/// current installment's principal and interest paid (32 each), its penalty due (32) and the
/// day penalty was last accrued (16). Fees are recorded in the LoanFeesRegistered event (nothing
/// on chain reads them back, and a slot each would cost 22,100 gas). The calendar, fee and
/// all-in cost checks and the agreement digest run in a LoanTermsVerifier this contract creates
/// (its code would not fit under the 24 KiB limit here).
contract JointLoanLedger is JointLoanLedgerBase, IJointLoanLedger {
    uint256 private constant _INSTALLMENTS_PER_WORD = 3;

    LoanTermsVerifier private immutable _verifier;
    address private immutable _extension;

    constructor(IConsortiumRegistry registry_, LedgerParams memory params_) JointLoanLedgerBase(registry_) {
        LoanTermsVerifier verifier = new LoanTermsVerifier(registry_);
        _verifier = verifier;
        _extension = address(new LedgerExtension(registry_, verifier));
        _setParams(params_);
    }

    // ------------------------------------------------------------------ registration

    /// @inheritdoc IJointLoanLedger
    function loanIdOf(uint32 originator, bytes32 applicationSerial) public pure returns (bytes32) {
        return keccak256(abi.encode("JointLedger.loan.v1", originator, applicationSerial));
    }

    /// @inheritdoc IJointLoanLedger
    function registerLoan(LoanTerms calldata terms, bytes calldata) external returns (bytes32 loanId) {
        loanId = loanIdOf(terms.originator, terms.applicationSerial);
        _checkServicer(loanId, terms.branch);
        if (_loans[loanId].state != LoanState.None) revert LedgerDuplicateLoan(loanId);
        if (terms.borrowerKey == 0 || terms.contractLeaf == 0 || terms.consentLeaf == 0 || terms.receivingAccount == 0) {
            revert LedgerMissingReference();
        }
        // parties, funders, schedule, fees, all-in cost and the platform's agreement: in the verifier
        uint256 slack = _checkEconomics(terms);
        uint256 count = terms.funders.length;
        uint16[] memory shares = new uint16[](count);
        for (uint256 i = 0; i < count; ++i) {
            shares[i] = terms.funders[i].shareBps;
        }
        _reserveQuotas(terms, Allocation.split(terms.principal, shares)[0]);
        _storeLoan(loanId, terms, slack);
        _emitRegistered(loanId, terms);
    }

    function _emitRegistered(bytes32 loanId, LoanTerms calldata terms) private {
        emit LoanRegistered(
            loanId,
            terms.branch,
            terms.platform,
            terms.borrowerKey,
            terms.principal,
            terms.aprBps,
            terms.method,
            terms.contractLeaf,
            terms.consentLeaf,
            terms.receivingAccount
        );
        if (terms.fees.length != 0) emit LoanFeesRegistered(loanId, terms.fees);
    }

    // ------------------------------------------------------------------ fund flows

    /// @inheritdoc IJointLoanLedger
    function cancelLoan(bytes32, uint16) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function expireLoan(bytes32) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function grantMandate(bytes32, address, uint40) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function revokeMandate(bytes32, address) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function agreeIncomeSplit(bytes32, uint16, bytes calldata) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function incomeShare(bytes32 loanId) external view returns (bool agreed, uint16 platformIncomeShareBps) {
        uint256 stored = _incomeShare[loanId];
        // cannot truncate: at most 10,000 + 1
        return (stored != 0, stored == 0 ? 0 : uint16(stored - 1));
    }

    /// @inheritdoc IJointLoanLedger
    function mandate(bytes32 loanId, address agent) external view returns (uint32 branch, uint40 expiresAt) {
        uint256 m = _mandates[loanId][agent];
        // cannot truncate: packed as expiresAt 40 | branch 32
        return (uint32(m), uint40(m >> 32));
    }

    /// @inheritdoc IJointLoanLedger
    function disburse(bytes32 loanId, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher) external {
        Loan storage entry = _requireState(loanId, LoanState.Registered);
        (uint256 index, uint32 funder) = _callerFunder(loanId, entry);
        uint256 day = today();
        if (day != entry.startDay) revert LedgerDisbursementDateMismatch(loanId, day, entry.startDay);
        if (entry.disbursedMask & (1 << index) != 0) revert LedgerAlreadyDisbursed(loanId, funder);
        uint256 expected = Allocation.split(entry.principal, _shares(loanId, entry.funderCount))[index];
        if (amount != expected) revert LedgerDisbursementMismatch(loanId, funder, amount, expected);
        // the source must be the funder's own settlement account; the destination is the loan's
        // receiving account, bound at registration, so no funder can pay its share anywhere else
        if (!_whitelist[funder][accountHash]) revert LedgerAccountNotWhitelisted(funder, accountHash);
        _useSerial(serial, voucher);
        _countDailyDisbursement(entry.branch, amount, day);
        // cannot overflow: at most two funders, so the mask has two bits
        uint8 mask = entry.disbursedMask | uint8(1 << index);
        entry.disbursedMask = mask;
        _chainVoucher(loanId, voucher);
        emit FundsDisbursed(loanId, funder, amount, accountHash, serial, voucher);
        if (mask == (1 << entry.funderCount) - 1) {
            entry.state = LoanState.Active;
            emit LoanActivated(loanId);
        }
    }

    /// @inheritdoc IJointLoanLedger
    function repay(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external {
        _receive(loanId, amount, serial, voucher, false);
    }

    /// @inheritdoc IJointLoanLedger
    function settle(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external {
        _receive(loanId, amount, serial, voucher, true);
    }

    /// @inheritdoc IJointLoanLedger
    function setDisputeStage(bytes32 loanId, DisputeStage stage) external {
        if (msg.sender != _disputeResolution) revert LedgerNotDisputeResolution(msg.sender);
        Loan storage entry = _requireLoan(loanId);
        DisputeStage previous = entry.stage;
        entry.stage = stage;
        // cannot truncate: block timestamps fit in 40 bits for 34,000 years
        entry.stageChangedAt = uint40(block.timestamp);
        // moving up several stages at once still reports every stage passed through
        uint256 from = uint256(previous);
        if (uint256(stage) > from + 1) {
            for (uint256 s = from + 1; s < uint256(stage); ++s) {
                emit DisputeStageChanged(loanId, DisputeStage(s - 1), DisputeStage(s));
            }
            previous = DisputeStage(uint256(stage) - 1);
        }
        emit DisputeStageChanged(loanId, previous, stage);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IJointLoanLedger
    function setParams(LedgerParams calldata params_) external onlyGovernor {
        _setParams(params_);
    }

    /// @inheritdoc IJointLoanLedger
    function setBranchLimits(uint32, BranchLimits calldata) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function setOwnBranchLimits(uint64, uint64, uint64) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function setAccountWhitelisted(uint32, bytes32, bool) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function setDisputeResolution(address disputeResolution) external onlyGovernor {
        _disputeResolution = disputeResolution;
        emit DisputeResolutionSet(disputeResolution);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IJointLoanLedger
    function loan(bytes32 loanId) external view returns (Loan memory) {
        return _requireLoan(loanId);
    }

    /// @inheritdoc IJointLoanLedger
    function progress(bytes32 loanId) external view returns (Progress memory) {
        return _unpackProgress(_fundingWord[loanId]);
    }

    /// @inheritdoc IJointLoanLedger
    function funders(bytes32 loanId) external view returns (Funder[] memory list) {
        uint256 count = _requireLoan(loanId).funderCount;
        list = new Funder[](count);
        for (uint256 i = 0; i < count; ++i) {
            list[i] = _funder(loanId, i);
        }
    }

    /// @inheritdoc IJointLoanLedger
    function schedule(bytes32 loanId) external view returns (Installment[] memory list) {
        uint256 count = _requireLoan(loanId).installmentCount;
        list = new Installment[](count);
        for (uint256 i = 0; i < count; ++i) {
            (uint256 dueDay, uint256 principal, uint256 interest) = _installment(loanId, i);
            // cannot truncate: unpacked from 16/32/32-bit fields
            list[i] = Installment(uint16(dueDay), uint32(principal), uint32(interest));
        }
    }

    /// @inheritdoc IJointLoanLedger
    function termsVerifier() external view returns (address) {
        return address(_verifier);
    }

    /// @inheritdoc IJointLoanLedger
    function evidenceChain(bytes32 loanId) external view returns (bytes32) {
        return _loans[loanId].evidenceChain;
    }

    /// @inheritdoc IJointLoanLedger
    function evidenceChainStart(bytes32 contractLeaf, bytes32 consentLeaf) public pure returns (bytes32) {
        return keccak256(abi.encode("JointLedger.evidence.v1", contractLeaf, consentLeaf));
    }

    /// @inheritdoc IJointLoanLedger
    function params() external view returns (LedgerParams memory) {
        return _params;
    }

    /// @inheritdoc IJointLoanLedger
    function branchLimits(uint32 branch) external view returns (BranchLimits memory) {
        return _limits[branch];
    }

    /// @inheritdoc IJointLoanLedger
    function branchBook(uint32 branch) external view returns (BranchBook memory) {
        return _books[branch];
    }

    /// @inheritdoc IJointLoanLedger
    function coFundedOutstanding(uint32 branch, uint32 platform) external view returns (uint256) {
        return _coFunded[branch][platform];
    }

    /// @inheritdoc IJointLoanLedger
    function borrowerOutstanding(bytes32 borrowerKey) external view returns (uint256) {
        return _borrowerOutstanding[borrowerKey];
    }

    /// @inheritdoc IJointLoanLedger
    function isWhitelisted(uint32 member, bytes32 accountHash) external view returns (bool) {
        return _whitelist[member][accountHash];
    }

    /// @inheritdoc IJointLoanLedger
    function serialUsed(bytes32 serial) external view returns (bool) {
        return _serials[serial];
    }

    /// @inheritdoc IJointLoanLedger
    function settlementOwed(bytes32 loanId) external view returns (uint256 penalty, uint256 interest, uint256 principal) {
        Loan storage entry = _requireLoan(loanId);
        if (entry.state != LoanState.Active) return (0, 0, 0);
        return _owed(loanId, entry, _fundingWord[loanId], today(), false);
    }

    /// @inheritdoc IJointLoanLedger
    function amountOwed(bytes32 loanId) external view returns (uint256 penalty, uint256 interest, uint256 principal) {
        Loan storage entry = _requireLoan(loanId);
        if (entry.state != LoanState.Active) return (0, 0, 0);
        return _owed(loanId, entry, _fundingWord[loanId], today(), true);
    }

    /// @inheritdoc IJointLoanLedger
    function overdue(bytes32 loanId) public view returns (uint256 daysPastDue, LoanState state, DisputeStage stage) {
        Loan storage entry = _requireLoan(loanId);
        state = entry.state;
        stage = entry.stage;
        if (state == LoanState.Active) daysPastDue = _daysPastDue(loanId, _unpackProgress(_fundingWord[loanId]).nextInstallment);
    }

    /// @inheritdoc IJointLoanLedger
    function today() public view returns (uint256) {
        return _today();
    }

    /// @inheritdoc IJointLoanLedger
    function branchCeilings(uint32 branch) external view returns (BranchLimits memory) {
        return _ceilings[branch];
    }

    /// @notice 4.0.0: each loan's receiving account bound at registration, funders disburse from
    /// their own whitelisted settlement accounts. 3.0.0: early settlement within the all-in cap (Loan.allInSlack, the settlement
    /// allowance); lending writes by operations accounts of the loan's branch or under its mandate;
    /// quotas set by the branch under governance's ceilings; expiry of loans that missed their
    /// start day; the less frequent writes in a LedgerExtension run by DELEGATECALL (2.0.0: fees
    /// and the all-in cap, the platform's agreement, settlement to the day; 1.0.0: registration
    /// rules, exact fund flows, overdue stages).
    function version() external pure returns (string memory) {
        return "4.0.0";
    }

    // ------------------------------------------------------------------ registration internals

    /// @dev Call the verifier; its revert (one of this contract's errors) is passed on as it is.
    function _forward(bytes memory data) private view returns (bytes memory) {
        return Address.functionStaticCall(address(_verifier), data);
    }

    /// @dev Rate, amount and quota rules here; the parties, funders, schedule, term, fees, the
    /// all-in cost and a joint loan's platform agreement in the verifier, which returns the loan's
    /// headroom under the cap.
    function _checkEconomics(LoanTerms calldata terms) private view returns (uint256) {
        LedgerParams memory p = _params;
        if (terms.aprBps > p.aprCapBps) revert LedgerRateAboveCap(terms.aprBps, p.aprCapBps);
        uint256 principal = terms.principal;
        if (principal < p.minPrincipal || principal > p.maxPrincipal) {
            revert LedgerPrincipalOutOfRange(principal, p.minPrincipal, p.maxPrincipal);
        }
        uint256 singleMax = _limits[terms.branch].singleLoanMax;
        if (principal > singleMax) revert LedgerAboveSingleLoanMax(principal, singleMax);
        uint256 rules = uint256(p.aprCapBps) | uint256(p.minTermDays) << 16 | uint256(p.maxTermDays) << 32
            | uint256(p.platformShareFloorBps) << 48;
        // registerLoan's own calldata with the rules as a second argument: the head grows by a
        // word, so both offsets move by 32 and the terms' bytes are unchanged (the verifier hashes
        // them as sent)
        return abi.decode(
            _forward(
                bytes.concat(
                    LoanTermsVerifier.check.selector,
                    bytes32(uint256(bytes32(msg.data[4:36])) + 32),
                    bytes32(rules),
                    bytes32(uint256(bytes32(msg.data[36:68])) + 32),
                    msg.data[68:]
                )
            ),
            (uint256)
        );
    }

    /// @dev Branch outstanding, the branch's funded outstanding with this platform, and the
    /// borrower's consortium-wide outstanding, each checked against its limit and reserved.
    function _reserveQuotas(LoanTerms calldata terms, uint256 branchShare) private {
        uint256 principal = terms.principal;
        BranchLimits memory limits = _limits[terms.branch];
        BranchBook storage book = _books[terms.branch];
        uint256 outstanding = book.outstanding + principal;
        if (outstanding > limits.outstandingLimit) {
            revert LedgerBranchOutstandingExceeded(terms.branch, outstanding, limits.outstandingLimit);
        }
        // co-funding (共同出资) limits joint loans only: in an assisted loan the platform funds nothing
        if (terms.funders.length == 2) {
            uint256 coFunded = _coFunded[terms.branch][terms.platform] + branchShare;
            uint256 coLimit = (uint256(limits.netTier1Capital) * _params.coFundingCapitalRatioBps) / _BPS;
            if (coFunded > coLimit) revert LedgerCoFundingExceeded(terms.branch, terms.platform, coFunded, coLimit);
            // cannot truncate: bounded by coLimit, itself below the uint64 capital
            _coFunded[terms.branch][terms.platform] = uint64(coFunded);
        }
        uint256 borrower = _borrowerOutstanding[terms.borrowerKey] + principal;
        if (borrower > _params.borrowerOutstandingLimit) {
            revert LedgerBorrowerOutstandingExceeded(terms.borrowerKey, borrower, _params.borrowerOutstandingLimit);
        }
        // cannot truncate: both bounded by uint64 limits checked above
        book.outstanding = uint64(outstanding);
        _borrowerOutstanding[terms.borrowerKey] = uint64(borrower);
    }

    function _storeLoan(bytes32 loanId, LoanTerms calldata terms, uint256 slack) private {
        Loan storage entry = _loans[loanId];
        entry.branch = terms.branch;
        entry.platform = terms.platform;
        // cannot truncate: at most maxPrincipal, below 2^40 (see _setParams)
        entry.principal = uint40(terms.principal);
        // saturating: less headroom only lowers what an early settlement may take
        entry.allInSlack = slack > type(uint32).max ? type(uint32).max : uint32(slack);
        entry.aprBps = terms.aprBps;
        entry.method = terms.method;
        entry.state = LoanState.Registered;
        // cannot truncate: at most 2 funders and 60 installments, checked above
        entry.funderCount = uint8(terms.funders.length);
        entry.installmentCount = uint8(terms.schedule.length);
        entry.startDay = terms.startDay;
        entry.borrowerKey = terms.borrowerKey;
        entry.evidenceChain = evidenceChainStart(terms.contractLeaf, terms.consentLeaf);
        uint256 funderWord;
        for (uint256 i = 0; i < terms.funders.length; ++i) {
            Funder calldata f = terms.funders[i];
            funderWord |= (uint256(f.memberId) << 16 | f.shareBps) << (48 * i);
        }
        _fundingWord[loanId] = funderWord;
        _storeSchedule(loanId, terms.schedule);
    }

    function _storeSchedule(bytes32 loanId, Installment[] calldata list) private {
        uint256 count = list.length;
        uint256 word;
        for (uint256 i = 0; i < count; ++i) {
            Installment calldata inst = list[i];
            uint256 packed = uint256(inst.dueDay) << 64 | uint256(inst.principal) << 32 | inst.interest;
            word |= packed << (80 * (i % _INSTALLMENTS_PER_WORD));
            if (i % _INSTALLMENTS_PER_WORD == _INSTALLMENTS_PER_WORD - 1 || i + 1 == count) {
                _scheduleWords[loanId][i / _INSTALLMENTS_PER_WORD] = word;
                word = 0;
            }
        }
    }

    // ------------------------------------------------------------------ fund-flow internals

    /// @dev A repayment received by the loan's branch (or the union): allocated over the earliest
    /// unpaid installments, or — `settlement` — exactly what settles the loan today; then booked
    /// and split among the funders (one path, so both book alike).
    function _receive(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher, bool settlement) private {
        Loan storage entry = _requireState(loanId, LoanState.Active);
        _checkServicer(loanId, entry.branch);
        // a settlement may owe nothing: what was paid ahead already reached the all-in cap
        if (amount == 0 && !settlement) revert LedgerZeroRepayment(loanId);
        _useSerial(serial, voucher);
        uint256 word = _fundingWord[loanId];
        Progress memory p = _unpackProgress(word);
        uint256 principalBefore = p.principalRepaid;
        (uint256 penalty, uint256 interest, uint256 principal) =
            settlement ? _settleAll(loanId, entry, p, word, amount) : _allocate(loanId, entry, p, amount, today());
        _fundingWord[loanId] = _packProgress(word, p);
        emit RepaymentReceived(loanId, serial, voucher, penalty, interest, principal);
        // a settlement capped by the all-in cost may return less principal than was open: the
        // quotas still release all of it
        _share(loanId, entry, serial, principalBefore, principal, penalty + interest, p.principalRepaid - principalBefore);
        _chainVoucher(loanId, voucher);
        if (p.nextInstallment == entry.installmentCount) {
            entry.state = LoanState.Settled;
            emit LoanSettled(loanId);
        }
        _endEscalationIfCured(loanId, entry, p);
    }

    /// @dev Early settlement: `amount` must be exactly what settles the loan today; the progress
    /// then says every installment is paid.
    function _settleAll(bytes32 loanId, Loan storage entry, Progress memory p, uint256 word, uint256 amount)
        private
        view
        returns (uint256 penalty, uint256 interest, uint256 principal)
    {
        (penalty, interest, principal) = _owed(loanId, entry, word, today(), false);
        uint256 owed = penalty + interest + principal;
        if (amount != owed) revert LedgerSettlementMismatch(loanId, amount, owed);
        p.principalRepaid = entry.principal;
        p.nextInstallment = entry.installmentCount;
        p.currentPrincipalPaid = 0;
        p.currentInterestPaid = 0;
        p.penaltyDue = 0;
        p.penaltyAccruedDay = 0;
    }

    function _callerFunder(bytes32 loanId, Loan storage entry) private view returns (uint256 index, uint32 funder) {
        (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
            _registry.accountOf(msg.sender);
        if (status == IConsortiumRegistry.MemberStatus.Active && role == IConsortiumRegistry.AccountRole.Operations) {
            uint256 count = entry.funderCount;
            for (index = 0; index < count; ++index) {
                funder = _funder(loanId, index).memberId;
                if (funder == memberId) return (index, funder);
            }
        }
        revert LedgerNotFunder(loanId, msg.sender);
    }

    function _useSerial(bytes32 serial, bytes32 voucher) private {
        if (serial == 0 || voucher == 0) revert LedgerMissingVoucher();
        if (_serials[serial]) revert LedgerDuplicateSerial(serial);
        _serials[serial] = true;
    }

    function _countDailyDisbursement(uint32 branch, uint256 amount, uint256 day) private {
        BranchBook storage book = _books[branch];
        uint256 sofar = book.day == day ? book.disbursedToday : 0;
        uint256 total = sofar + amount;
        uint256 limit = _limits[branch].dailyDisbursementLimit;
        if (total > limit) revert LedgerDailyLimitExceeded(branch, day, total, limit);
        // cannot truncate: total is bounded by the uint64 limit; days fit in 32 bits for 11 million years
        book.disbursedToday = uint64(total);
        book.day = uint32(day);
    }

    function _chainVoucher(bytes32 loanId, bytes32 voucher) private {
        Loan storage entry = _loans[loanId];
        entry.evidenceChain = keccak256(abi.encode(entry.evidenceChain, voucher));
    }

    /// @dev Walk the earliest unpaid installments: each one's penalty (if late), then its
    /// interest, then its principal. Refuses to take more than is owed now.
    function _allocate(bytes32 loanId, Loan storage entry, Progress memory p, uint256 amount, uint256 day)
        private
        view
        returns (uint256 penalty, uint256 interest, uint256 principal)
    {
        uint256[3] memory paid; // penalty, interest, principal
        uint256 left = amount;
        uint256 count = entry.installmentCount;
        uint256 aprBps = entry.aprBps;
        while (left != 0 && p.nextInstallment < count) {
            left = _payInstallment(loanId, p, left, day, aprBps, paid);
        }
        if (left != 0) revert LedgerOverpayment(loanId, amount, amount - left);
        (penalty, interest, principal) = (paid[0], paid[1], paid[2]);
        // cannot truncate: cumulative principal repaid is at most the principal, < 2^40 (see _setParams)
        p.principalRepaid += uint40(principal);
    }

    /// @dev Pay what `left` allows of installment `p.nextInstallment`, adding to `paid`; moves
    /// to the next installment once its interest and principal are paid.
    function _payInstallment(
        bytes32 loanId,
        Progress memory p,
        uint256 left,
        uint256 day,
        uint256 aprBps,
        uint256[3] memory paid
    ) private view returns (uint256) {
        (uint256 dueDay, uint256 iP, uint256 iI) = _installment(loanId, p.nextInstallment);
        // the penalty rate is read only for a late installment: on-time repayments skip the load
        if (day > dueDay) _accruePenalty(p, iP, dueDay, day, _penaltyApr(aprBps));
        uint256 pay = _min(p.penaltyDue, left);
        // cannot truncate or underflow: pay is at most the 32-bit penalty due
        p.penaltyDue -= uint32(pay);
        paid[0] += pay;
        left -= pay;
        pay = _min(iI - p.currentInterestPaid, left);
        p.currentInterestPaid += uint32(pay);
        paid[1] += pay;
        left -= pay;
        pay = _min(iP - p.currentPrincipalPaid, left);
        p.currentPrincipalPaid += uint32(pay);
        paid[2] += pay;
        left -= pay;
        if (p.currentPrincipalPaid == iP && p.currentInterestPaid == iI) {
            ++p.nextInstallment;
            p.currentPrincipalPaid = 0;
            p.currentInterestPaid = 0;
            p.penaltyAccruedDay = 0;
        }
        return left;
    }

    /// @dev Book the repayment: release quotas by the principal repaid, and split it among the
    /// funders. Principal is split *cumulatively* (each funder's running total is its
    /// largest-remainder share of the running total), so at settlement every funder has
    /// recovered exactly what it disbursed; income (interest + penalty) is split per repayment.
    function _share(
        bytes32 loanId,
        Loan storage entry,
        bytes32 serial,
        uint256 principalBefore,
        uint256 principal,
        uint256 income,
        uint256 released
    ) private {
        uint256 count = entry.funderCount;
        uint16[] memory shares = _shares(loanId, count);
        uint256[] memory before = Allocation.split(principalBefore, shares);
        uint256[] memory afterwards = Allocation.split(principalBefore + principal, shares);
        uint256[] memory incomes = Allocation.split(income, count == 2 ? _incomeShares(loanId, shares) : shares);
        for (uint256 i = 0; i < count; ++i) {
            emit RepaymentShared(loanId, _funder(loanId, i).memberId, serial, afterwards[i] - before[i], incomes[i]);
        }
        if (released != 0) {
            uint256 branchAfter =
                released == principal ? afterwards[0] : Allocation.split(principalBefore + released, shares)[0];
            _release(entry, released, branchAfter - before[0]);
        }
    }

    /// @dev A joint loan's income shares: as agreed (`agreeIncomeSplit`), else its funding shares.
    function _incomeShares(bytes32 loanId, uint16[] memory shares) private view returns (uint16[] memory) {
        uint256 stored = _incomeShare[loanId];
        if (stored == 0) return shares;
        uint16[] memory agreed = new uint16[](2);
        // cannot truncate or underflow: stored − 1 ≤ 10,000
        agreed[1] = uint16(stored - 1);
        agreed[0] = uint16(_BPS - (stored - 1));
        return agreed;
    }

    /// @dev Full repayment of what was late, before a court accepted the case, ends escalation.
    function _endEscalationIfCured(bytes32 loanId, Loan storage entry, Progress memory p) private {
        DisputeStage stage = entry.stage;
        if (stage == DisputeStage.None || stage >= DisputeStage.Accepted) return;
        if (entry.state == LoanState.Active && _daysPastDue(loanId, p.nextInstallment) != 0) return;
        entry.stage = DisputeStage.None;
        entry.stageChangedAt = uint40(block.timestamp);
        emit DisputeStageChanged(loanId, stage, DisputeStage.None);
    }

    // ------------------------------------------------------------------ small helpers

    function _setParams(LedgerParams memory p) private {
        if (
            p.aprCapBps == 0 || p.platformShareFloorBps > _BPS || p.coFundingCapitalRatioBps > _BPS
                || p.minPrincipal == 0 || p.minPrincipal > p.maxPrincipal || p.maxPrincipal > type(uint40).max
                || p.minTermDays == 0
                || p.minTermDays > p.maxTermDays
        ) revert LedgerBadParams();
        _params = p;
        emit ParamsChanged(p);
    }

    /// @dev What the loan owes on `day` — in full, or (`!fullInterest`) what settles it early —,
    /// computed by the verifier from this loan's packed schedule and progress (LoanTermsVerifier.owed;
    /// the layouts are this contract's).
    function _owed(bytes32 loanId, Loan storage entry, uint256 progressWord, uint256 day, bool fullInterest)
        private
        view
        returns (uint256, uint256, uint256)
    {
        uint256 count = entry.installmentCount;
        uint256[] memory words = new uint256[]((count + _INSTALLMENTS_PER_WORD - 1) / _INSTALLMENTS_PER_WORD);
        for (uint256 w = 0; w < words.length; ++w) {
            words[w] = _scheduleWords[loanId][w];
        }
        return _verifier.owed(
            words,
            LoanTermsVerifier.OwedState(
                count,
                progressWord,
                entry.startDay,
                _penaltyApr(entry.aprBps),
                day,
                fullInterest,
                _params.aprCapBps,
                entry.allInSlack,
                entry.method == RepaymentMethod.Bullet
            )
        );
    }

    /// @dev Penalty interest (罚息) accrues on late principal at the governed penalty rate, but
    /// never so high that contract rate plus penalty passes the all-in cap.
    function _penaltyApr(uint256 aprBps) private view returns (uint256) {
        uint256 cap = _params.aprCapBps;
        uint256 headroom = cap > aprBps ? cap - aprBps : 0;
        uint256 rate = _params.penaltyAprBps;
        return rate < headroom ? rate : headroom;
    }

    /// @dev Accrue penalty on the current installment's unpaid principal for the whole days
    /// since it was last accrued (or since it fell due), truncated to the fen.
    function _accruePenalty(Progress memory p, uint256 installmentPrincipal, uint256 dueDay, uint256 day, uint256 penaltyApr)
        private
        pure
    {
        uint256 from = p.penaltyAccruedDay > dueDay ? p.penaltyAccruedDay : dueDay;
        if (day <= from) return;
        uint256 accrued = ((installmentPrincipal - p.currentPrincipalPaid) * penaltyApr * (day - from)) / (365 * _BPS);
        // cannot truncate: penalty on a 32-bit principal at ≤ 100% a year stays below 2^32 for
        // decades, and days fit in 16 bits until 2149 (the schedule's own limit)
        p.penaltyDue += uint32(accrued);
        p.penaltyAccruedDay = uint16(day);
    }

    function _daysPastDue(bytes32 loanId, uint256 next) private view returns (uint256) {
        if (next >= _loans[loanId].installmentCount) return 0;
        (uint256 dueDay,,) = _installment(loanId, next);
        uint256 day = today();
        return day > dueDay ? day - dueDay : 0;
    }

    function _installment(bytes32 loanId, uint256 index)
        private
        view
        returns (uint256 dueDay, uint256 principal, uint256 interest)
    {
        uint256 packed = _scheduleWords[loanId][index / _INSTALLMENTS_PER_WORD] >> (80 * (index % _INSTALLMENTS_PER_WORD));
        dueDay = (packed >> 64) & 0xffff;
        principal = (packed >> 32) & 0xffffffff;
        interest = packed & 0xffffffff;
    }

    function _unpackProgress(uint256 word) private pure returns (Progress memory p) {
        // cannot truncate: each field is masked to its width by the cast
        p.principalRepaid = uint40(word >> 96);
        p.nextInstallment = uint8(word >> 136);
        p.currentPrincipalPaid = uint32(word >> 144);
        p.currentInterestPaid = uint32(word >> 176);
        p.penaltyDue = uint32(word >> 208);
        p.penaltyAccruedDay = uint16(word >> 240);
    }

    /// @dev Replace the progress bits of `word`, keeping the funders in its low 96 bits.
    function _packProgress(uint256 word, Progress memory p) private pure returns (uint256) {
        return (word & type(uint96).max) | uint256(p.principalRepaid) << 96 | uint256(p.nextInstallment) << 136
            | uint256(p.currentPrincipalPaid) << 144 | uint256(p.currentInterestPaid) << 176
            | uint256(p.penaltyDue) << 208 | uint256(p.penaltyAccruedDay) << 240;
    }

    function _funder(bytes32 loanId, uint256 index) private view returns (Funder memory) {
        uint256 packed = _fundingWord[loanId] >> (48 * index);
        // cannot truncate: masked to the packed widths
        return Funder(uint32(packed >> 16), uint16(packed));
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev Run this call's calldata on the LedgerExtension against this contract's storage and
    /// return or revert with what it did.
    function _delegate() private {
        address extension = _extension;
        // a proxy's forwarding: the extension's return data or revert reason passed on unchanged
        // solhint-disable-next-line no-inline-assembly
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
