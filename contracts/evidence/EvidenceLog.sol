// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {MerkleLog} from "../libraries/MerkleLog.sol";
import {IEvidenceLog} from "./IEvidenceLog.sol";

/// @title EvidenceLog
/// @notice Append-only evidence log heads with on-chain consistency checks. See {IEvidenceLog}.
contract EvidenceLog is ConsortiumGoverned, IEvidenceLog {
    mapping(bytes32 logId => LogInfo) private _logs;
    mapping(bytes32 logId => Head[]) private _heads;

    constructor(IConsortiumRegistry registry_) ConsortiumGoverned(registry_) {}

    /// @inheritdoc IEvidenceLog
    function openLog(bytes32 logId, uint32 memberId, address operator) external onlyGovernor {
        if (logId == bytes32(0)) revert EvidenceLogInvalidLogId();
        if (_logs[logId].memberId != 0) revert EvidenceLogExists(logId);
        if (_registry.statusOf(memberId) != IConsortiumRegistry.MemberStatus.Active) {
            revert EvidenceLogMemberInactive(memberId);
        }
        _checkOperator(operator, memberId);
        _logs[logId] = LogInfo({memberId: memberId, operator: operator, openedAt: uint64(block.timestamp)});
        emit LogOpened(logId, memberId, operator);
    }

    /// @inheritdoc IEvidenceLog
    function setLogOperator(bytes32 logId, address operator) external onlyGovernor {
        LogInfo storage info = _requireLog(logId);
        _checkOperator(operator, info.memberId);
        address previous = info.operator;
        info.operator = operator;
        emit LogOperatorChanged(logId, previous, operator);
    }

    /// @inheritdoc IEvidenceLog
    function commitHead(bytes32 logId, uint256 treeSize, bytes32 rootHash, bytes32[] calldata consistencyProof)
        external
        returns (uint256 headIndex)
    {
        LogInfo storage info = _requireLog(logId);
        _checkCommitter(logId, info);
        Head[] storage heads = _heads[logId];
        headIndex = heads.length;
        if (headIndex == 0) {
            if (consistencyProof.length != 0) revert EvidenceLogUnexpectedProof(logId, consistencyProof.length);
            if (treeSize == 0 || treeSize > type(uint64).max) revert EvidenceLogTreeNotGrowing(logId, 0, treeSize);
        } else {
            Head storage previous = heads[headIndex - 1];
            _checkConsistency(logId, previous.treeSize, previous.rootHash, treeSize, rootHash, consistencyProof);
        }
        _appendHead(logId, heads, headIndex, treeSize, rootHash);
    }

    /// @inheritdoc IEvidenceLog
    function logInfo(bytes32 logId) external view returns (LogInfo memory) {
        return _requireLog(logId);
    }

    /// @inheritdoc IEvidenceLog
    function headCount(bytes32 logId) external view returns (uint256) {
        return _heads[logId].length;
    }

    /// @inheritdoc IEvidenceLog
    function head(bytes32 logId, uint256 index) external view returns (Head memory) {
        Head[] storage heads = _heads[logId];
        if (index >= heads.length) revert EvidenceLogUnknownHead(logId, index);
        return heads[index];
    }

    /// @inheritdoc IEvidenceLog
    function latestHead(bytes32 logId) external view returns (Head memory latest) {
        Head[] storage heads = _heads[logId];
        if (heads.length != 0) latest = heads[heads.length - 1];
    }

    /// @inheritdoc IEvidenceLog
    function headIndexOf(bytes32 logId, uint256 treeSize) public view returns (uint256) {
        Head[] storage heads = _heads[logId];
        uint256 index = _lowerBound(heads, treeSize);
        if (index == heads.length || heads[index].treeSize != treeSize) revert EvidenceLogUnknownHead(logId, treeSize);
        return index;
    }

    /// @inheritdoc IEvidenceLog
    function firstHeadIncluding(bytes32 logId, uint256 leafIndex) external view returns (uint256) {
        Head[] storage heads = _heads[logId];
        // a leaf at index i is included in every head of size > i, i.e. size >= i + 1
        uint256 index = _lowerBound(heads, leafIndex + 1);
        if (index == heads.length) revert EvidenceLogUnknownHead(logId, leafIndex + 1);
        return index;
    }

    /// @inheritdoc IEvidenceLog
    function verifyInclusion(
        bytes32 logId,
        uint256 treeSize,
        uint256 leafIndex,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _heads[logId][headIndexOf(logId, treeSize)].rootHash;
        return MerkleLog.verifyInclusion(leafIndex, treeSize, leafHash, proof, root);
    }

    /// @notice 1.1.0: per-member logs, RFC 9162 consistency checked on every head; operators
    /// hold the LogOperator role.
    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    function _appendHead(bytes32 logId, Head[] storage heads, uint256 headIndex, uint256 treeSize, bytes32 rootHash)
        private
    {
        // cannot truncate: treeSize was checked to fit in 64 bits; time and block numbers do
        heads.push(
            Head({
                treeSize: uint64(treeSize),
                timestamp: uint64(block.timestamp),
                blockNumber: uint64(block.number),
                rootHash: rootHash
            })
        );
        emit HeadCommitted(logId, headIndex, treeSize, rootHash);
    }

    function _checkConsistency(
        bytes32 logId,
        uint256 previousSize,
        bytes32 previousRoot,
        uint256 treeSize,
        bytes32 rootHash,
        bytes32[] calldata proof
    ) private view {
        if (treeSize <= previousSize || treeSize > type(uint64).max) {
            revert EvidenceLogTreeNotGrowing(logId, previousSize, treeSize);
        }
        if (!MerkleLog.verifyConsistency(previousSize, treeSize, previousRoot, rootHash, proof)) {
            revert EvidenceLogInconsistent(logId, previousSize, previousRoot, treeSize, rootHash);
        }
    }

    /// @dev Order of checks gives each caller the error that names its problem: not a member at
    /// all, a suspended member, a member that is not this log's operator, then an operator whose
    /// account was re-attached with another role since the log named it.
    function _checkCommitter(bytes32 logId, LogInfo storage info) private view {
        (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
            _registry.accountOf(msg.sender);
        if (memberId == 0) revert EvidenceLogCallerNotMember(msg.sender);
        if (status != IConsortiumRegistry.MemberStatus.Active) revert EvidenceLogMemberInactive(memberId);
        address operator = info.operator;
        if (msg.sender != operator || memberId != info.memberId) {
            revert EvidenceLogNotOperator(logId, msg.sender, operator);
        }
        if (role != IConsortiumRegistry.AccountRole.LogOperator) revert EvidenceLogWrongRole(msg.sender, role);
    }

    function _checkOperator(address operator, uint32 memberId) private view {
        (uint32 owner,, IConsortiumRegistry.AccountRole role) = _registry.accountOf(operator);
        if (owner != memberId) revert EvidenceLogOperatorNotOfMember(operator, memberId);
        if (role != IConsortiumRegistry.AccountRole.LogOperator) revert EvidenceLogWrongRole(operator, role);
    }

    function _requireLog(bytes32 logId) private view returns (LogInfo storage info) {
        info = _logs[logId];
        if (info.memberId == 0) revert EvidenceLogUnknownLog(logId);
    }

    /// @dev First index whose treeSize >= `size` (heads are strictly increasing in size).
    function _lowerBound(Head[] storage heads, uint256 size) private view returns (uint256 low) {
        uint256 high = heads.length;
        while (low < high) {
            // cannot overflow: both are array indexes
            uint256 mid = (low + high) >> 1;
            if (heads[mid].treeSize < size) low = mid + 1;
            else high = mid;
        }
    }
}
