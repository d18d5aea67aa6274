// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title MerkleLog
/// @notice RFC 9162 §2.1 Merkle tree verification (Certificate Transparency v2 hashing) with the
/// SHA-256 precompile: leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right).
/// @dev The verification algorithms are transcribed from RFC 9162 §2.1.3.2 (inclusion) and
/// §2.1.4.2 (consistency). They accept a proof only if it has exactly the length the RFC's
/// generation algorithm produces: an extra element hits `sn == 0`, a missing one leaves `sn != 0`.
/// Note that RFC 9162 hashes do not commit to the tree size: two sizes whose proofs have the same
/// shape (e.g. consistency 4→6 and 4→7) are indistinguishable to any verifier; the size is bound
/// by the operator who commits it (see common/formats/merkle/LOG.md).
library MerkleLog {
    /// @notice The SHA-256 precompile failed (out of gas); never happens with enough gas.
    error MerkleLogHashFailed();

    /// @notice SHA-256(0x00 ‖ leaf).
    function hashLeaf(bytes memory leaf) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), leaf));
    }

    /// @notice SHA-256(0x01 ‖ left ‖ right), computed in scratch memory above the free pointer
    /// so no memory is allocated per hash (this is the hot loop of every proof).
    function hashChildren(bytes32 left, bytes32 right) internal view returns (bytes32 result) {
        bool ok;
        // SHA-256 precompile on scratch memory: the proof loop's gas budget
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 0x01), left)
            mstore(add(ptr, 0x21), right)
            ok := staticcall(gas(), 0x02, ptr, 0x41, 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) revert MerkleLogHashFailed();
    }

    /// @notice RFC 9162 §2.1.3.2: does `proof` show `leafHash` at `leafIndex` in the tree of
    /// `treeSize` leaves whose root is `root`?
    function verifyInclusion(
        uint256 leafIndex,
        uint256 treeSize,
        bytes32 leafHash,
        bytes32[] memory proof,
        bytes32 root
    ) internal view returns (bool) {
        if (leafIndex >= treeSize) return false;
        uint256 fn = leafIndex;
        uint256 sn = treeSize - 1;
        bytes32 r = leafHash;
        uint256 length = proof.length;
        for (uint256 i = 0; i < length; ++i) {
            if (sn == 0) return false;
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                r = hashChildren(p, r);
                // climb past the levels where this node is the last (right-most) one
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = hashChildren(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /// @notice RFC 9162 §2.1.4.2: is the tree (`first`, `firstRoot`) a prefix of the tree
    /// (`second`, `secondRoot`)? Edge cases: first > second is false; first == 0 holds iff the
    /// proof is empty; first == second holds iff the proof is empty and the roots are equal.
    function verifyConsistency(
        uint256 first,
        uint256 second,
        bytes32 firstRoot,
        bytes32 secondRoot,
        bytes32[] memory proof
    ) internal view returns (bool) {
        if (first > second) return false;
        if (first == 0) return proof.length == 0;
        if (first == second) return proof.length == 0 && firstRoot == secondRoot;
        uint256 length = proof.length;
        if (length == 0) return false;

        bytes32 fr;
        uint256 i;
        // an exact power of two is a complete subtree: its root is the (implicit) first element
        if (first & (first - 1) == 0) {
            fr = firstRoot;
        } else {
            fr = proof[0];
            i = 1;
        }
        bytes32 sr = fr;
        uint256 fn = first - 1;
        uint256 sn = second - 1;
        while (fn & 1 == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        for (; i < length; ++i) {
            if (sn == 0) return false;
            bytes32 c = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                fr = hashChildren(c, fr);
                sr = hashChildren(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = hashChildren(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr == firstRoot && sr == secondRoot;
    }
}
