// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IEvidenceLog} from "../../evidence/IEvidenceLog.sol";
import {MerkleReference} from "./MerkleReference.sol";
import {ConsortiumFixture} from "./ConsortiumFixture.sol";

/// @notice The consortium plus the union's evidence log, opened through governance, and helpers
/// to build leaf records and trees of them.
abstract contract EvidenceFixture is ConsortiumFixture {
    bytes32 internal constant UNION_LOG = keccak256("jointledger.log.union.1");

    function setUp() public virtual override {
        super.setUp();
        _govern(address(evidenceLog), abi.encodeCall(IEvidenceLog.openLog, (UNION_LOG, UNION, unionAnchor)));
    }

    /// @dev A version-1 leaf record: kind, SHA-256, digest and salt derived from `i`.
    function _leaf(uint256 i, uint32 submitter) internal pure returns (bytes memory) {
        return abi.encode(
            uint8(1),
            uint8(1 + (i % 7)),
            uint8(1),
            sha256(abi.encode("document", i)),
            keccak256(abi.encode("salt", i)),
            submitter,
            keccak256(abi.encode("loan", i))
        );
    }

    /// @dev Leaves and their hashes; leaf i is submitted by `submitters[i % submitters.length]`.
    function _tree(uint256 n, uint32[] memory submitters)
        internal
        pure
        returns (bytes[] memory leaves, bytes32[] memory hashes)
    {
        leaves = new bytes[](n);
        hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            leaves[i] = _leaf(i, submitters[i % submitters.length]);
            hashes[i] = sha256(abi.encodePacked(bytes1(0x00), leaves[i]));
        }
    }

    function _commit(bytes32[] memory hashes, uint256 from, uint256 to) internal {
        (bytes32[] memory proof,) = MerkleReference.consistency(hashes, from, to);
        // computed before the prank: the SHA-256 precompile call would consume it
        bytes32 root = MerkleReference.mth(hashes, 0, to);
        vm.prank(unionAnchor);
        evidenceLog.commitHead(UNION_LOG, to, root, proof);
    }
}
