// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "./ConsortiumGoverned.sol";
import {IConsortiumGovernor} from "./IConsortiumGovernor.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title ConsortiumGovernor
/// @notice M-of-N approval of calls on consortium contracts. See {IConsortiumGovernor}.
contract ConsortiumGovernor is ConsortiumGoverned, IConsortiumGovernor {
    uint256 public constant MIN_THRESHOLD_BPS = 5_000;
    uint256 public constant MAX_THRESHOLD_BPS = 10_000;
    uint256 public constant MIN_PERIOD = 1 hours;
    uint256 public constant MAX_PERIOD = 90 days;
    uint256 public constant MAX_CALLS = 32;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(uint32 memberId => bool)) private _approved;
    uint256 private _thresholdBps;
    uint256 private _approvalPeriod;

    modifier onlySelf() {
        if (msg.sender != address(this)) revert GovernorOnlySelf(msg.sender);
        _;
    }

    constructor(IConsortiumRegistry registry_, uint256 thresholdBps_, uint256 approvalPeriod_)
        ConsortiumGoverned(registry_)
    {
        _setThreshold(thresholdBps_);
        _setApprovalPeriod(approvalPeriod_);
    }

    /// @inheritdoc IConsortiumGovernor
    function hashProposal(
        address[] calldata targets,
        bytes[] calldata calldatas,
        bytes32 descriptionHash
    ) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(targets, calldatas, descriptionHash)));
    }

    /// @inheritdoc IConsortiumGovernor
    function propose(
        address[] calldata targets,
        bytes[] calldata calldatas,
        string calldata description
    ) external returns (uint256 proposalId) {
        uint32 memberId = _requireGovernorMember();
        _checkCalls(targets, calldatas);
        proposalId = hashProposal(targets, calldatas, keccak256(bytes(description)));
        Proposal storage p = _proposals[proposalId];
        if (p.createdAt != 0) revert GovernorProposalExists(proposalId);
        // cannot overflow: block timestamps and MAX_PERIOD are far below 2^64
        uint64 expiresAt = uint64(block.timestamp + _approvalPeriod);
        p.proposer = memberId;
        p.createdAt = uint64(block.timestamp);
        p.expiresAt = expiresAt;
        emit ProposalCreated(proposalId, memberId, targets, calldatas, description, expiresAt);
        _approve(proposalId, p, memberId);
    }

    /// @inheritdoc IConsortiumGovernor
    function approve(uint256 proposalId) external {
        uint32 memberId = _requireGovernorMember();
        Proposal storage p = _requireOpen(proposalId);
        if (_approved[proposalId][memberId]) revert GovernorAlreadyApproved(proposalId, memberId);
        _approve(proposalId, p, memberId);
    }

    /// @inheritdoc IConsortiumGovernor
    function execute(
        address[] calldata targets,
        bytes[] calldata calldatas,
        bytes32 descriptionHash
    ) external returns (uint256 proposalId) {
        _requireGovernorMember();
        proposalId = hashProposal(targets, calldatas, descriptionHash);
        Proposal storage p = _requireOpen(proposalId);
        uint256 approvals = _validApprovals(p);
        uint256 required = _approvalsRequired();
        if (approvals < required) revert GovernorThresholdNotMet(proposalId, approvals, required);
        // effects before interactions: a re-entrant execute of the same proposal sees it done
        p.executed = true;
        emit ProposalExecuted(proposalId, approvals);
        uint256 count = targets.length;
        for (uint256 i = 0; i < count; ++i) {
            // executes M-of-N approved calls; success checked, revert data bubbled
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory result) = targets[i].call(calldatas[i]);
            if (!ok) {
                if (result.length == 0) revert GovernorCallFailed(i, targets[i]);
                _bubble(result);
            }
        }
    }

    /// @inheritdoc IConsortiumGovernor
    function setThreshold(uint256 thresholdBps_) external onlySelf {
        _setThreshold(thresholdBps_);
    }

    /// @inheritdoc IConsortiumGovernor
    function setApprovalPeriod(uint256 periodSeconds) external onlySelf {
        _setApprovalPeriod(periodSeconds);
    }

    /// @inheritdoc IConsortiumGovernor
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        Proposal storage p = _proposals[proposalId];
        if (p.createdAt == 0) revert GovernorUnknownProposal(proposalId);
        return p;
    }

    /// @inheritdoc IConsortiumGovernor
    function validApprovals(uint256 proposalId) external view returns (uint256) {
        return _validApprovals(_proposals[proposalId]);
    }

    /// @inheritdoc IConsortiumGovernor
    function approvalsRequired() external view returns (uint256) {
        return _approvalsRequired();
    }

    /// @inheritdoc IConsortiumGovernor
    function thresholdBps() external view returns (uint256) {
        return _thresholdBps;
    }

    /// @inheritdoc IConsortiumGovernor
    function approvalPeriod() external view returns (uint256) {
        return _approvalPeriod;
    }

    /// @notice 1.1.0: threshold of active governors, expiry, execute once; governance keys only.
    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    function _approve(uint256 proposalId, Proposal storage p, uint32 memberId) private {
        _approved[proposalId][memberId] = true;
        p.approvers.push(memberId);
        emit ProposalApproved(proposalId, memberId);
    }

    /// @dev Membership first, so a stranger learns only that it is not a governor; then the role.
    function _requireGovernorMember() private view returns (uint32 memberId) {
        IConsortiumRegistry.AccountRole role;
        (memberId,, role) = _registry.accountOf(msg.sender);
        if (!_registry.isGovernorMember(memberId)) revert GovernorNotGovernorMember(msg.sender);
        if (role != IConsortiumRegistry.AccountRole.Governance) revert GovernorWrongRole(msg.sender, role);
    }

    function _requireOpen(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.createdAt == 0) revert GovernorUnknownProposal(proposalId);
        if (p.executed) revert GovernorAlreadyExecuted(proposalId);
        if (block.timestamp >= p.expiresAt) revert GovernorProposalExpired(proposalId, p.expiresAt, block.timestamp);
    }

    /// @dev Counted at execution time, so a governor suspended after approving no longer counts.
    function _validApprovals(Proposal storage p) private view returns (uint256 approvals) {
        uint32[] storage approvers = p.approvers;
        uint256 count = approvers.length;
        for (uint256 i = 0; i < count; ++i) {
            if (_registry.isGovernorMember(approvers[i])) ++approvals;
        }
    }

    function _approvalsRequired() private view returns (uint256) {
        uint256 active = _registry.activeGovernorCount();
        uint256 required = (active * _thresholdBps) / 10_000 + 1;
        return required > active ? active : required;
    }

    function _checkCalls(address[] calldata targets, bytes[] calldata calldatas) private pure {
        uint256 count = targets.length;
        if (count == 0 || count != calldatas.length || count > MAX_CALLS) {
            revert GovernorInvalidCalls(count, calldatas.length, MAX_CALLS);
        }
    }

    function _setThreshold(uint256 newBps) private {
        if (newBps < MIN_THRESHOLD_BPS || newBps > MAX_THRESHOLD_BPS) revert GovernorThresholdOutOfRange(newBps);
        uint256 previous = _thresholdBps;
        _thresholdBps = newBps;
        emit ThresholdChanged(previous, newBps);
    }

    function _setApprovalPeriod(uint256 newPeriod) private {
        if (newPeriod < MIN_PERIOD || newPeriod > MAX_PERIOD) revert GovernorPeriodOutOfRange(newPeriod);
        uint256 previous = _approvalPeriod;
        _approvalPeriod = newPeriod;
        emit ApprovalPeriodChanged(previous, newPeriod);
    }

    /// @dev Re-raise a failed call's revert data unchanged, so the target's custom error reaches
    /// the caller of `execute`.
    function _bubble(bytes memory result) private pure {
        // the only way to re-raise revert data unchanged
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            revert(add(result, 0x20), mload(result))
        }
    }
}
