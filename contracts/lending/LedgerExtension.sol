// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IJointLoanLedger} from "./IJointLoanLedger.sol";
import {JointLoanLedgerBase} from "./JointLoanLedgerBase.sol";
import {LoanTermsVerifier} from "./LoanTermsVerifier.sol";

/// @title LedgerExtension
/// @notice JointLoanLedger's less frequent writes — cancellation and expiry, mandates, branch
/// quotas and their ceilings, the whitelist — run by the ledger with DELEGATECALL on the ledger's
/// own storage (JointLoanLedgerBase), so the ledger's code stays under the 24 KiB limit. Called
/// directly it would only write its own, unused storage. Semantics: {IJointLoanLedger}.
contract LedgerExtension is JointLoanLedgerBase {
    LoanTermsVerifier private immutable _verifier;

    constructor(IConsortiumRegistry registry_, LoanTermsVerifier verifier_) JointLoanLedgerBase(registry_) {
        _verifier = verifier_;
    }

    /// @notice See {IJointLoanLedger-agreeIncomeSplit}.
    function agreeIncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps, bytes calldata platformSignature) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        _checkServicer(loanId, entry.branch);
        if (entry.disbursedMask != 0) revert IJointLoanLedger.LedgerPartlyDisbursed(loanId);
        if (entry.funderCount != 2 || platformIncomeShareBps > _BPS) {
            revert IJointLoanLedger.LedgerBadIncomeSplit(loanId, platformIncomeShareBps);
        }
        _verifier.checkIncomeSplit(loanId, entry.platform, platformIncomeShareBps, platformSignature);
        _incomeShare[loanId] = uint256(platformIncomeShareBps) + 1;
        emit IJointLoanLedger.IncomeSplitAgreed(loanId, platformIncomeShareBps);
    }

    /// @notice See {IJointLoanLedger-cancelLoan}.
    function cancelLoan(bytes32 loanId, uint16 reasonCode) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        _checkServicer(loanId, entry.branch);
        _cancel(loanId, entry, reasonCode);
    }

    /// @notice See {IJointLoanLedger-expireLoan}.
    function expireLoan(bytes32 loanId) external {
        IJointLoanLedger.Loan storage entry = _requireState(loanId, IJointLoanLedger.LoanState.Registered);
        (, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) = _registry.accountOf(msg.sender);
        if (status != IConsortiumRegistry.MemberStatus.Active || role != IConsortiumRegistry.AccountRole.Operations) {
            revert IJointLoanLedger.LedgerNotKeeper(msg.sender);
        }
        uint256 day = _today();
        uint256 startDay = entry.startDay;
        if (day <= startDay) revert IJointLoanLedger.LedgerNotExpired(loanId, day, startDay);
        emit IJointLoanLedger.LoanExpired(loanId, startDay);
        _cancel(loanId, entry, type(uint16).max);
    }

    /// @notice See {IJointLoanLedger-grantMandate}.
    function grantMandate(bytes32 loanId, address agent, uint40 expiresAt) external {
        uint32 branch = _callerBranch(_loans[loanId].branch, IConsortiumRegistry.AccountRole.Operations);
        if (agent == address(0) || expiresAt <= block.timestamp) {
            revert IJointLoanLedger.LedgerBadMandate(loanId, agent, expiresAt);
        }
        _mandates[loanId][agent] = uint256(expiresAt) << 32 | branch;
        emit IJointLoanLedger.MandateGranted(loanId, branch, agent, expiresAt);
    }

    /// @notice See {IJointLoanLedger-revokeMandate}.
    function revokeMandate(bytes32 loanId, address agent) external {
        // cannot truncate: the low 32 bits are the granting branch
        uint32 branch = _callerBranch(uint32(_mandates[loanId][agent]), IConsortiumRegistry.AccountRole.Operations);
        delete _mandates[loanId][agent];
        emit IJointLoanLedger.MandateRevoked(loanId, branch, agent);
    }

    /// @notice See {IJointLoanLedger-setBranchLimits}: governance sets the ceilings (and the
    /// capital); the branch's own quotas are lowered to them, or set to them if it set none.
    function setBranchLimits(uint32 branch, IJointLoanLedger.BranchLimits calldata ceilings) external onlyGovernor {
        (IConsortiumRegistry.MemberKind kind,,) = _registry.profileOf(branch);
        if (kind != IConsortiumRegistry.MemberKind.Branch) {
            revert IJointLoanLedger.LedgerBadMember(branch, uint8(IConsortiumRegistry.MemberKind.Branch));
        }
        _ceilings[branch] = ceilings;
        IJointLoanLedger.BranchLimits memory limits = ceilings;
        if (_ownLimits[branch]) {
            IJointLoanLedger.BranchLimits memory own = _limits[branch];
            limits.singleLoanMax = _min(own.singleLoanMax, ceilings.singleLoanMax);
            limits.dailyDisbursementLimit = _min(own.dailyDisbursementLimit, ceilings.dailyDisbursementLimit);
            limits.outstandingLimit = _min(own.outstandingLimit, ceilings.outstandingLimit);
        }
        _limits[branch] = limits;
        emit IJointLoanLedger.BranchCeilingsChanged(branch, ceilings);
        emit IJointLoanLedger.BranchLimitsChanged(branch, limits);
    }

    /// @notice See {IJointLoanLedger-setOwnBranchLimits}.
    function setOwnBranchLimits(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit) external {
        uint32 branch = _callerBranch(0, IConsortiumRegistry.AccountRole.Governance);
        IJointLoanLedger.BranchLimits memory ceilings = _ceilings[branch];
        _checkCeiling(branch, 0, singleLoanMax, ceilings.singleLoanMax);
        _checkCeiling(branch, 1, dailyDisbursementLimit, ceilings.dailyDisbursementLimit);
        _checkCeiling(branch, 2, outstandingLimit, ceilings.outstandingLimit);
        IJointLoanLedger.BranchLimits storage limits = _limits[branch];
        limits.singleLoanMax = singleLoanMax;
        limits.dailyDisbursementLimit = dailyDisbursementLimit;
        limits.outstandingLimit = outstandingLimit;
        _ownLimits[branch] = true;
        emit IJointLoanLedger.BranchLimitsChanged(branch, limits);
    }

    /// @notice See {IJointLoanLedger-setAccountWhitelisted}.
    function setAccountWhitelisted(uint32 member, bytes32 accountHash, bool allowed) external onlyGovernor {
        _whitelist[member][accountHash] = allowed;
        emit IJointLoanLedger.AccountWhitelisted(member, accountHash, allowed);
    }

    /// @notice The extension of JointLoanLedger 4.0.0.
    function version() external pure returns (string memory) {
        return "4.0.0";
    }

    function _checkCeiling(uint32 branch, uint8 field, uint256 value, uint256 ceiling) private pure {
        if (value > ceiling) revert IJointLoanLedger.LedgerLimitAboveCeiling(branch, field, value, ceiling);
    }

    function _min(uint64 a, uint64 b) private pure returns (uint64) {
        return a < b ? a : b;
    }
}
