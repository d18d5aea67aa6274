// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {MerkleLog} from "../libraries/MerkleLog.sol";
import {MerkleReference} from "./utils/MerkleReference.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Fuzzed RFC 9162 verification against the recursive reference in MerkleReference.
contract MerkleLogTest is TestBase {
    uint256 private constant MAX_SIZE = 300;

    function test_hashChildren_matchesSha256OfPrefixedPair() external view {
        bytes32 left = keccak256("left");
        bytes32 right = keccak256("right");
        assertEq(MerkleLog.hashChildren(left, right), sha256(abi.encodePacked(bytes1(0x01), left, right)), "node hash");
    }

    function test_hashLeaf_emptyLeafIsRfcValue() external pure {
        // SHA-256(0x00): the RFC 9162 hash of an empty leaf
        assertEq(
            MerkleLog.hashLeaf(""),
            0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d,
            "empty leaf hash"
        );
    }

    function testFuzz_verifyConsistency_acceptsReferenceProof(uint256 seed, uint256 m, uint256 n) external view {
        bytes32[] memory proof;
        bytes32 r1;
        bytes32 r2;
        (m, n, proof, r1, r2) = _consistencyCase(seed, m, n);
        assertTrue(MerkleLog.verifyConsistency(m, n, r1, r2, proof), "reference proof accepted");
    }

    function testFuzz_verifyConsistency_rejectsCorruptedProof(uint256 seed, uint256 m, uint256 n, uint256 where, uint8 flip)
        external
        view
    {
        vm.assume(flip != 0);
        bytes32[] memory proof;
        bytes32 r1;
        bytes32 r2;
        (m, n, proof, r1, r2) = _consistencyCase(seed, m, n);
        uint256 element = where % proof.length;
        uint256 byteIndex = (where >> 128) % 32;
        proof[element] = proof[element] ^ bytes32(uint256(flip) << (8 * byteIndex));
        assertFalse(MerkleLog.verifyConsistency(m, n, r1, r2, proof), "corrupted proof rejected");
    }

    function testFuzz_verifyConsistency_rejectsTruncatedOrExtendedProof(uint256 seed, uint256 m, uint256 n, bytes32 extra)
        external
        view
    {
        bytes32[] memory proof;
        bytes32 r1;
        bytes32 r2;
        (m, n, proof, r1, r2) = _consistencyCase(seed, m, n);
        bytes32[] memory shorter = new bytes32[](proof.length - 1);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; ++i) {
            if (i < shorter.length) shorter[i] = proof[i];
            longer[i] = proof[i];
        }
        longer[proof.length] = extra;
        assertFalse(MerkleLog.verifyConsistency(m, n, r1, r2, shorter), "truncated proof rejected");
        assertFalse(MerkleLog.verifyConsistency(m, n, r1, r2, longer), "extended proof rejected");
    }

    function testFuzz_verifyConsistency_rejectsCorruptedRoots(uint256 seed, uint256 m, uint256 n, bytes32 noise)
        external
        view
    {
        vm.assume(noise != bytes32(0));
        bytes32[] memory proof;
        bytes32 r1;
        bytes32 r2;
        (m, n, proof, r1, r2) = _consistencyCase(seed, m, n);
        assertFalse(MerkleLog.verifyConsistency(m, n, r1 ^ noise, r2, proof), "corrupted first root rejected");
        assertFalse(MerkleLog.verifyConsistency(m, n, r1, r2 ^ noise, proof), "corrupted second root rejected");
        assertFalse(MerkleLog.verifyConsistency(m, n, r2, r1, proof), "swapped roots rejected");
    }

    /// @dev A changed size is rejected exactly when it changes the proof's shape; same-shape
    /// sizes (e.g. 4→6 and 4→7) are indistinguishable because RFC 9162 hashes do not commit to
    /// sizes. Asserting equality both ways also shows no different-shape size ever slips through.
    function testFuzz_verifyConsistency_rejectsCorruptedSizes(uint256 seed, uint256 m, uint256 n, uint256 m2, uint256 n2)
        external
        view
    {
        n = bound(n, 2, MAX_SIZE);
        m = bound(m, 1, n - 1);
        n2 = bound(n2, 2, MAX_SIZE + 64);
        m2 = bound(m2, 1, n2 - 1);
        vm.assume(m2 != m || n2 != n);
        bytes32[] memory leaves = MerkleReference.leafHashes(seed, n);
        (bytes32[] memory proof, uint256[] memory shape) = MerkleReference.consistency(leaves, m, n);
        bytes32 r1 = MerkleReference.mth(leaves, 0, m);
        bytes32 r2 = MerkleReference.mth(leaves, 0, n);
        bool indistinguishable = MerkleReference.sameShape(shape, MerkleReference.consistencyShape(m2, n2));
        bool accepted = MerkleLog.verifyConsistency(m2, n2, r1, r2, proof);
        if (accepted != indistinguishable) revert AssertionFailedUint("size corruption", m2, n2);
        // and a size pair that keeps only one size changed is never accepted when shapes differ
        bool firstAccepted = MerkleLog.verifyConsistency(m2 < n ? m2 : m, n, r1, r2, proof);
        bool firstSame =
            MerkleReference.sameShape(shape, MerkleReference.consistencyShape(m2 < n ? m2 : m, n));
        if (firstAccepted != firstSame) revert AssertionFailedUint("first size corruption", m2, n);
    }

    function testFuzz_verifyInclusion_acceptsReferenceAndRejectsCorruption(
        uint256 seed,
        uint256 index,
        uint256 size,
        uint256 where,
        uint8 flip
    ) external view {
        size = bound(size, 1, MAX_SIZE);
        index = bound(index, 0, size - 1);
        vm.assume(flip != 0);
        bytes32[] memory leaves = MerkleReference.leafHashes(seed, size);
        bytes32[] memory proof = MerkleReference.inclusion(leaves, index, size);
        bytes32 root = MerkleReference.mth(leaves, 0, size);
        assertTrue(MerkleLog.verifyInclusion(index, size, leaves[index], proof, root), "reference proof accepted");
        assertFalse(MerkleLog.verifyInclusion(index, size, leaves[index] ^ bytes32(uint256(flip)), proof, root), "wrong leaf");
        assertFalse(MerkleLog.verifyInclusion(index, size, leaves[index], proof, root ^ bytes32(uint256(flip))), "wrong root");
        assertFalse(MerkleLog.verifyInclusion(size, size, leaves[index], proof, root), "index out of range");
        if (proof.length > 0) {
            uint256 element = where % proof.length;
            uint256 byteIndex = (where >> 128) % 32;
            proof[element] = proof[element] ^ bytes32(uint256(flip) << (8 * byteIndex));
            assertFalse(MerkleLog.verifyInclusion(index, size, leaves[index], proof, root), "corrupted proof rejected");
        }
    }

    /// @dev The worked example from LOG.md: the 4→6 proof is one hash, MTH(D[4:6]), and reads
    /// the same for every second size 5..8; other first sizes or second sizes past 8 fail.
    function test_verifyConsistency_sameShapeSizesAreIndistinguishable() external view {
        bytes32[] memory leaves = MerkleReference.leafHashes(7, 6);
        (bytes32[] memory proof,) = MerkleReference.consistency(leaves, 4, 6);
        bytes32 r1 = MerkleReference.mth(leaves, 0, 4);
        bytes32 r2 = MerkleReference.mth(leaves, 0, 6);
        assertEq(proof.length, 1, "one-element proof");
        for (uint256 n = 5; n <= 8; ++n) {
            assertTrue(MerkleLog.verifyConsistency(4, n, r1, r2, proof), "same shape");
        }
        assertFalse(MerkleLog.verifyConsistency(4, 9, r1, r2, proof), "second size past 8");
        assertFalse(MerkleLog.verifyConsistency(3, 6, r1, r2, proof), "first size 3");
        assertFalse(MerkleLog.verifyConsistency(5, 6, r1, r2, proof), "first size 5");
    }

    function test_verifyConsistency_edgeCases() external view {
        bytes32[] memory empty = new bytes32[](0);
        bytes32[] memory one = new bytes32[](1);
        bytes32 r = keccak256("root");
        assertTrue(MerkleLog.verifyConsistency(0, 5, bytes32(0), r, empty), "empty tree is a prefix of all");
        assertFalse(MerkleLog.verifyConsistency(0, 5, bytes32(0), r, one), "but only with an empty proof");
        assertTrue(MerkleLog.verifyConsistency(5, 5, r, r, empty), "same size, same root");
        assertFalse(MerkleLog.verifyConsistency(5, 5, r, ~r, empty), "same size, other root");
        assertFalse(MerkleLog.verifyConsistency(6, 5, r, r, empty), "shrinking tree");
        assertFalse(MerkleLog.verifyConsistency(3, 5, r, r, empty), "growth needs a proof");
    }

    /// @dev A random tree of `n` leaves (2 to MAX_SIZE) and an older size `m` (1 to n − 1): both
    /// sizes as bounded, the reference consistency proof between them and both roots.
    function _consistencyCase(uint256 seed, uint256 m, uint256 n)
        private
        pure
        returns (uint256, uint256, bytes32[] memory proof, bytes32 r1, bytes32 r2)
    {
        n = bound(n, 2, MAX_SIZE);
        m = bound(m, 1, n - 1);
        bytes32[] memory leaves = MerkleReference.leafHashes(seed, n);
        (proof,) = MerkleReference.consistency(leaves, m, n);
        return (m, n, proof, MerkleReference.mth(leaves, 0, m), MerkleReference.mth(leaves, 0, n));
    }
}
