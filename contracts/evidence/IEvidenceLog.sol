// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";

/// @title IEvidenceLog
/// @notice Heads of the consortium's append-only evidence logs (RFC 9162 Merkle trees kept by
/// each operating member's anchor service). Every head after the first must carry a consistency
/// proof from the previous head, verified here, so the chain itself refuses a rewritten history.
/// Evidence time is the block timestamp of the first head whose tree includes the leaf.
/// A log's operator is an account whose registry role is LogOperator, so a member's operations
/// or governance key can never commit heads, and the operator's key can do nothing else.
interface IEvidenceLog is IConsortiumGoverned {
    /// @notice An evidence log: which member operates it and which account may commit heads.
    struct LogInfo {
        uint32 memberId;
        address operator;
        uint64 openedAt;
    }

    /// @notice A committed tree head. Two storage slots: (size, time, block) and root.
    struct Head {
        uint64 treeSize;
        uint64 timestamp;
        uint64 blockNumber;
        bytes32 rootHash;
    }

    /// @notice Log id 0 is reserved.
    error EvidenceLogInvalidLogId();
    /// @notice A log with this id is open already.
    error EvidenceLogExists(bytes32 logId);
    /// @notice No log with this id.
    error EvidenceLogUnknownLog(bytes32 logId);
    /// @notice `account` is not an account of member `memberId`.
    error EvidenceLogOperatorNotOfMember(address account, uint32 memberId);
    /// @notice `account`'s registry role is `role`, not LogOperator.
    error EvidenceLogWrongRole(address account, IConsortiumRegistry.AccountRole role);
    /// @notice `account` is not an account of any consortium member.
    error EvidenceLogCallerNotMember(address account);
    /// @notice Member `memberId` is suspended (or unknown) and may not commit.
    error EvidenceLogMemberInactive(uint32 memberId);
    /// @notice `caller` is not the operator `operator` of log `logId`.
    error EvidenceLogNotOperator(bytes32 logId, address caller, address operator);
    /// @notice A new head must be larger than the previous one and fit in 64 bits.
    error EvidenceLogTreeNotGrowing(bytes32 logId, uint256 previousSize, uint256 newSize);
    /// @notice The first head of a log carries no consistency proof.
    error EvidenceLogUnexpectedProof(bytes32 logId, uint256 proofLength);
    /// @notice The consistency proof does not show the previous head is a prefix of the new one.
    error EvidenceLogInconsistent(bytes32 logId, uint256 previousSize, bytes32 previousRoot, uint256 newSize, bytes32 newRoot);
    /// @notice No head of log `logId` has index `index` / size `treeSize`.
    error EvidenceLogUnknownHead(bytes32 logId, uint256 indexOrSize);

    /// @notice A log was opened for member `memberId`, with `operator` as its committing account.
    event LogOpened(bytes32 indexed logId, uint32 indexed memberId, address operator);
    /// @notice The log's committing account changed (key rotation).
    event LogOperatorChanged(bytes32 indexed logId, address previousOperator, address newOperator);
    /// @notice Head number `headIndex` of log `logId` was committed.
    event HeadCommitted(bytes32 indexed logId, uint256 indexed headIndex, uint256 treeSize, bytes32 rootHash);

    /// @notice Open a log operated by `memberId` through `operator`, an account of that member
    /// with the LogOperator role (governor only).
    function openLog(bytes32 logId, uint32 memberId, address operator) external;

    /// @notice Rotate a log's operator account to another LogOperator account of the log's member
    /// (governor only).
    function setLogOperator(bytes32 logId, address operator) external;

    /// @notice Commit a new head. Only the log's operator, while its member is active and its
    /// role is LogOperator. The first
    /// head needs no proof; every later head must be larger and carry an RFC 9162 consistency
    /// proof from the previous head.
    function commitHead(bytes32 logId, uint256 treeSize, bytes32 rootHash, bytes32[] calldata consistencyProof)
        external
        returns (uint256 headIndex);

    /// @notice The log's operator and member.
    function logInfo(bytes32 logId) external view returns (LogInfo memory);

    /// @notice How many heads the log has.
    function headCount(bytes32 logId) external view returns (uint256);

    /// @notice Head number `index` (0-based).
    function head(bytes32 logId, uint256 index) external view returns (Head memory);

    /// @notice The latest head (treeSize 0 if none yet).
    function latestHead(bytes32 logId) external view returns (Head memory);

    /// @notice Index of the head whose tree size is exactly `treeSize` (binary search).
    function headIndexOf(bytes32 logId, uint256 treeSize) external view returns (uint256);

    /// @notice Index of the first head whose tree includes leaf `leafIndex`, i.e. the head that
    /// fixes the leaf's evidence time.
    function firstHeadIncluding(bytes32 logId, uint256 leafIndex) external view returns (uint256);

    /// @notice Whether `proof` shows `leafHash` at `leafIndex` in the committed head of size
    /// `treeSize`. False (not a revert) for a bad proof; reverts if no such head exists.
    function verifyInclusion(
        bytes32 logId,
        uint256 treeSize,
        uint256 leafIndex,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool);
}
