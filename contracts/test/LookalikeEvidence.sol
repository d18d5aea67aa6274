// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IEvidenceLog} from "../evidence/IEvidenceLog.sol";
import {IEvidenceRegistry} from "../evidence/IEvidenceRegistry.sol";

/// @title LookalikeEvidenceLog (test only)
/// @notice What a forger outside the consortium can deploy: the EvidenceLog's read interface,
/// answering whatever its deployer committed. `registry()` names the real ConsortiumRegistry and
/// `logInfo` names any member as operator, so only the registry's official evidence pair tells
/// it apart from the consortium's log. Used by the forged-evidence tests.
contract LookalikeEvidenceLog {
    address private immutable _registry;
    uint32 private immutable _claimedOperatorMember;
    mapping(bytes32 logId => IEvidenceLog.Head[]) private _heads;

    constructor(address registry_, uint32 claimedOperatorMember) {
        _registry = registry_;
        _claimedOperatorMember = claimedOperatorMember;
    }

    /// @notice Anyone may commit any head: no consistency proof, no membership check.
    function commitHead(bytes32 logId, uint256 treeSize, bytes32 rootHash, bytes32[] calldata)
        external
        returns (uint256 headIndex)
    {
        headIndex = _heads[logId].length;
        _heads[logId].push(
            IEvidenceLog.Head(uint64(treeSize), uint64(block.timestamp), uint64(block.number), rootHash)
        );
        emit IEvidenceLog.HeadCommitted(logId, headIndex, treeSize, rootHash);
    }

    function logInfo(bytes32) external view returns (IEvidenceLog.LogInfo memory) {
        return IEvidenceLog.LogInfo(_claimedOperatorMember, address(this), 1);
    }

    function headCount(bytes32 logId) external view returns (uint256) {
        return _heads[logId].length;
    }

    function head(bytes32 logId, uint256 index) external view returns (IEvidenceLog.Head memory) {
        if (index >= _heads[logId].length) revert IEvidenceLog.EvidenceLogUnknownHead(logId, index);
        return _heads[logId][index];
    }

    function latestHead(bytes32 logId) external view returns (IEvidenceLog.Head memory h) {
        uint256 n = _heads[logId].length;
        if (n > 0) h = _heads[logId][n - 1];
    }

    function headIndexOf(bytes32 logId, uint256 treeSize) external view returns (uint256) {
        IEvidenceLog.Head[] storage heads = _heads[logId];
        for (uint256 i = 0; i < heads.length; ++i) {
            if (heads[i].treeSize == treeSize) return i;
        }
        revert IEvidenceLog.EvidenceLogUnknownHead(logId, treeSize);
    }

    function registry() external view returns (address) {
        return _registry;
    }

    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}

/// @title LookalikeEvidenceRegistry (test only)
/// @notice A lifecycle registry belonging to a look-alike log: it knows no revocation of anything.
contract LookalikeEvidenceRegistry {
    address private immutable _evidenceLog;

    constructor(address evidenceLog_) {
        _evidenceLog = evidenceLog_;
    }

    function evidenceLog() external view returns (address) {
        return _evidenceLog;
    }

    function status(bytes32) external pure returns (IEvidenceRegistry.EvidenceStatus memory s) {
        return s;
    }

    function endorsers(bytes32) external pure returns (uint32[] memory none) {
        return none;
    }

    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}
