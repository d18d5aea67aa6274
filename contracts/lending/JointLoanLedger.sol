// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {Allocation} from "../libraries/Allocation.sol";
import {LoanPacking} from "../libraries/LoanPacking.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";
import {JointLoanLedgerBase} from "./JointLoanLedgerBase.sol";
import {LedgerExtension} from "./LedgerExtension.sol";
import {LoanTermsVerifier} from "./LoanTermsVerifier.sol";

/// @title JointLoanLedger
/// @notice Loans, shares, limits and fund flows of the consortium. See {IJointLoanLedger}.
/// @dev Storage is packed for the hot paths: a loan's fixed facts in one slot; its funders and
/// repayment progress together in one (the "funding word"); its evidence chain in one; and three
/// installments per slot (80 bits each); the layouts are {LoanPacking}'s. Fees are recorded in
/// the LoanFeesRegistered event (nothing on chain reads them back, and a slot each would cost
/// 22,100 gas). The calendar, fee and
/// all-in cost checks and the agreement digest run in a LoanTermsVerifier this contract creates
/// (its code would not fit under the 24 KiB limit here).
contract JointLoanLedger is JointLoanLedgerBase, IJointLoanLedger {
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
    function disburse(bytes32, uint256, bytes32, bytes32, bytes32) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function repay(bytes32, uint256, bytes32, bytes32) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function settle(bytes32, uint256, bytes32, bytes32) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function prepay(bytes32, uint256, PrepaymentMode, uint256, uint256, bytes32, bytes32) external {
        _delegate();
    }

    /// @inheritdoc IJointLoanLedger
    function prepaymentOwed(bytes32, uint256, PrepaymentMode, uint256)
        external
        view
        returns (uint256, uint256, uint256, Installment[] memory)
    {
        _selfQuote(LedgerExtension.prepaymentQuote.selector);
    }

    /// @dev The extension's views (`prepaymentQuote`, `settlementQuote`, `amountQuote`), run by
    /// this contract's own views through a static call to itself; and {ILedgerSettlement}'s
    /// `replaceSchedule`, by the DisputeResolution contract (its entry costs no bytes here).
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        if (msg.sender != address(this) && msg.sender != _disputeResolution) revert LedgerUnknownCall(msg.sig);
        _delegate();
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
        return LoanPacking.unpackProgress(_fundingWord[loanId]);
    }

    /// @inheritdoc IJointLoanLedger
    function funders(bytes32 loanId) external view returns (Funder[] memory list) {
        uint256 count = _requireLoan(loanId).funderCount;
        list = new Funder[](count);
        for (uint256 i = 0; i < count; ++i) {
            list[i] = LoanPacking.funder(_fundingWord[loanId], i);
        }
    }

    /// @inheritdoc IJointLoanLedger
    function schedule(bytes32 loanId) external view returns (Installment[] memory list) {
        uint256 count = _requireLoan(loanId).installmentCount;
        list = new Installment[](count);
        for (uint256 i = 0; i < count; ++i) {
            (uint256 dueDay, uint256 principal, uint256 interest) =
                LoanPacking.unpack(LoanPacking.installmentIn(_scheduleWords[loanId], i));
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
    function settlementOwed(bytes32) external view returns (uint256, uint256, uint256) {
        _selfQuote(LedgerExtension.settlementQuote.selector);
    }

    /// @inheritdoc IJointLoanLedger
    function amountOwed(bytes32) external view returns (uint256, uint256, uint256) {
        _selfQuote(LedgerExtension.amountQuote.selector);
    }

    /// @inheritdoc IJointLoanLedger
    function overdue(bytes32 loanId) public view returns (uint256 daysPastDue, LoanState state, DisputeStage stage) {
        Loan storage entry = _requireLoan(loanId);
        state = entry.state;
        stage = entry.stage;
        if (state == LoanState.Active) daysPastDue = _daysPastDue(loanId, LoanPacking.nextInstallment(_fundingWord[loanId]));
    }

    /// @inheritdoc IJointLoanLedger
    function today() public view returns (uint256) {
        return _today();
    }

    /// @inheritdoc IJointLoanLedger
    function branchCeilings(uint32 branch) external view returns (BranchLimits memory) {
        return _ceilings[branch];
    }

    /// @notice 4.2.0: a mediation's settlement replaces the schedule (ILedgerSettlement, from the
    /// DisputeResolution contract through the fallback). 4.1.0: partial prepayment with a new schedule computed on chain (`prepay`,
    /// `prepaymentOwed`), payments ahead of a due day charged to the loan's headroom under the
    /// all-in cap, fund flows run by the extension. 4.0.0: each loan's receiving account bound at registration, funders disburse from
    /// their own whitelisted settlement accounts. 3.0.0: early settlement within the all-in cap (Loan.allInSlack, the settlement
    /// allowance); lending writes by operations accounts of the loan's branch or under its mandate;
    /// quotas set by the branch under governance's ceilings; expiry of loans that missed their
    /// start day; the less frequent writes in a LedgerExtension run by DELEGATECALL (2.0.0: fees
    /// and the all-in cap, the platform's agreement, settlement to the day; 1.0.0: registration
    /// rules, exact fund flows, overdue stages).
    function version() external pure returns (string memory) {
        return "4.2.0";
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
            funderWord |= LoanPacking.packFunder(f.memberId, f.shareBps, i);
        }
        _fundingWord[loanId] = funderWord;
        LoanPacking.storeSchedule(_scheduleWords[loanId], terms.schedule);
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

    /// @dev Answer this view with the extension's view `selector` of the same arguments, run on this
    /// contract's storage: a static call to itself, which the fallback delegates (a view cannot
    /// DELEGATECALL, and the verifier's arithmetic would not fit in this contract).
    function _selfQuote(bytes4 selector) private view {
        // solhint-disable-next-line no-inline-assembly
        assembly {
            calldatacopy(0, 0, calldatasize())
            mstore(0, or(and(mload(0), not(shl(224, 0xffffffff))), selector))
            let ok := staticcall(gas(), address(), 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Run this call's calldata on the LedgerExtension against this contract's storage and
    /// return or revert with what it did. OpenZeppelin's Proxy does the same, but inheriting it
    /// (its payable fallback, `_implementation`, a `receive` to refuse value) costs some 390 bytes
    /// of this contract's creation code, which the 48 KiB initcode limit cannot spare.
    function _delegate() private {
        address extension = _extension;
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
