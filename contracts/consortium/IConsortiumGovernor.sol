// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "./IConsortiumGoverned.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title IConsortiumGovernor
/// @notice M-of-N governance of the consortium: an active governor member (the union or a
/// branch) proposes a batch of calls on consortium contracts; other governor members approve;
/// once the approvals of *currently active* governors reach the threshold, a governor member
/// executes it, once, before it expires. Every call here comes from an account whose registry
/// role is Governance: a member's operations or log-operator key cannot vote. Only the call hash is stored; the calls themselves are in the
/// `ProposalCreated` event and must be supplied again to execute (as OpenZeppelin Governor does).
interface IConsortiumGovernor is IConsortiumGoverned {
    /// @notice A proposal as stored.
    struct Proposal {
        uint32 proposer;
        uint64 createdAt;
        uint64 expiresAt;
        bool executed;
        uint32[] approvers;
    }

    /// @notice `account` is not an account of an active union or branch member.
    error GovernorNotGovernorMember(address account);
    /// @notice `account` belongs to a governor member but its role is `role`, not Governance.
    error GovernorWrongRole(address account, IConsortiumRegistry.AccountRole role);
    /// @notice Targets and calldatas must be non-empty and of equal length (at most `max`).
    error GovernorInvalidCalls(uint256 targets, uint256 calldatas, uint256 max);
    /// @notice A proposal with this id already exists.
    error GovernorProposalExists(uint256 proposalId);
    /// @notice No proposal with this id.
    error GovernorUnknownProposal(uint256 proposalId);
    /// @notice The proposal expired at `expiresAt` (now `now_`).
    error GovernorProposalExpired(uint256 proposalId, uint64 expiresAt, uint256 now_);
    /// @notice The proposal has been executed already.
    error GovernorAlreadyExecuted(uint256 proposalId);
    /// @notice Member `memberId` has approved this proposal already.
    error GovernorAlreadyApproved(uint256 proposalId, uint32 memberId);
    /// @notice Only `approvals` of the `required` active-governor approvals are present.
    error GovernorThresholdNotMet(uint256 proposalId, uint256 approvals, uint256 required);
    /// @notice Call `index` to `target` reverted without revert data.
    error GovernorCallFailed(uint256 index, address target);
    /// @notice Governor parameters change only through a proposal executed by the governor itself.
    error GovernorOnlySelf(address caller);
    /// @notice Threshold must lie in [5000, 10000] basis points of active governors.
    error GovernorThresholdOutOfRange(uint256 thresholdBps);
    /// @notice The approval period must lie in [1 hour, 90 days].
    error GovernorPeriodOutOfRange(uint256 periodSeconds);

    /// @notice A proposal was created; its proposer's approval is recorded with it.
    event ProposalCreated(
        uint256 indexed proposalId,
        uint32 indexed proposer,
        address[] targets,
        bytes[] calldatas,
        string description,
        uint64 expiresAt
    );
    /// @notice Member `memberId` approved the proposal.
    event ProposalApproved(uint256 indexed proposalId, uint32 indexed memberId);
    /// @notice The proposal's calls were executed with `approvals` valid approvals.
    event ProposalExecuted(uint256 indexed proposalId, uint256 approvals);
    /// @notice The approval threshold changed.
    event ThresholdChanged(uint256 previousBps, uint256 newBps);
    /// @notice The approval period changed.
    event ApprovalPeriodChanged(uint256 previousSeconds, uint256 newSeconds);

    /// @notice The proposal id for a batch of calls: keccak256(abi.encode(targets, calldatas,
    /// keccak256(bytes(description)))), mirrored by `proposalIdOf` in common/.
    function hashProposal(
        address[] calldata targets,
        bytes[] calldata calldatas,
        bytes32 descriptionHash
    ) external pure returns (uint256);

    /// @notice Create a proposal (governance key of an active governor member); the proposer
    /// approves it.
    function propose(
        address[] calldata targets,
        bytes[] calldata calldatas,
        string calldata description
    ) external returns (uint256 proposalId);

    /// @notice Approve a proposal (governance key of an active governor member, once per member).
    function approve(uint256 proposalId) external;

    /// @notice Execute a proposal whose approvals meet the threshold (governance key of an active
    /// governor member).
    function execute(
        address[] calldata targets,
        bytes[] calldata calldatas,
        bytes32 descriptionHash
    ) external returns (uint256 proposalId);

    /// @notice Set the approval threshold in basis points of active governors (self only).
    function setThreshold(uint256 thresholdBps) external;

    /// @notice Set how long a proposal stays open for approval (self only).
    function setApprovalPeriod(uint256 periodSeconds) external;

    /// @notice The proposal with id `proposalId`.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Approvals of `proposalId` by members who are active governors now.
    function validApprovals(uint256 proposalId) external view returns (uint256);

    /// @notice Approvals required now: floor(activeGovernors × threshold / 10000) + 1, at most
    /// the number of active governors. With the default 5000 this is "more than half".
    function approvalsRequired() external view returns (uint256);

    /// @notice The approval threshold in basis points.
    function thresholdBps() external view returns (uint256);

    /// @notice Seconds a proposal stays open.
    function approvalPeriod() external view returns (uint256);
}
