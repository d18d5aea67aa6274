// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EvidenceLeaf} from "../libraries/EvidenceLeaf.sol";
import {MerkleLog} from "../libraries/MerkleLog.sol";

/// @notice Test-only: exposes the MerkleLog and EvidenceLeaf libraries so TypeScript tests can
/// check that the Solidity and TypeScript implementations agree on the same vectors.
contract MerkleLogHarness {
    function hashLeaf(bytes calldata leaf) external pure returns (bytes32) {
        return MerkleLog.hashLeaf(leaf);
    }

    function hashChildren(bytes32 left, bytes32 right) external view returns (bytes32) {
        return MerkleLog.hashChildren(left, right);
    }

    function verifyInclusion(uint256 leafIndex, uint256 treeSize, bytes32 leafHash, bytes32[] calldata proof, bytes32 root)
        external
        view
        returns (bool)
    {
        return MerkleLog.verifyInclusion(leafIndex, treeSize, leafHash, proof, root);
    }

    function verifyConsistency(
        uint256 first,
        uint256 second,
        bytes32 firstRoot,
        bytes32 secondRoot,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return MerkleLog.verifyConsistency(first, second, firstRoot, secondRoot, proof);
    }

    function decodeLeaf(bytes calldata leaf) external pure returns (EvidenceLeaf.Record memory) {
        return EvidenceLeaf.decode(leaf);
    }
}
