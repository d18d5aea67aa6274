// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Test-only RFC 9162 reference: recursive MTH, PATH and SUBPROOF written straight from
/// the RFC text, independent of the iterative verifier in MerkleLog. Besides the proof it returns
/// the proof's *shape*: for each element whether it is the base subtree (B), a right sibling (R)
/// or a left sibling (L). Any two (size) claims with the same shape are indistinguishable to every
/// RFC 9162 verifier, because the hashes do not commit to sizes; different shapes must be told
/// apart.
library MerkleReference {
    uint256 internal constant SHAPE_BASE = 1;
    uint256 internal constant SHAPE_RIGHT = 2;
    uint256 internal constant SHAPE_LEFT = 3;

    function leafHashes(uint256 seed, uint256 count) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            hashes[i] = sha256(abi.encodePacked(bytes1(0x00), keccak256(abi.encode(seed, i))));
        }
    }

    function node(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @dev MTH(D[begin:end]).
    function mth(bytes32[] memory leaves, uint256 begin, uint256 end) internal pure returns (bytes32) {
        uint256 n = end - begin;
        if (n == 0) return sha256("");
        if (n == 1) return leaves[begin];
        uint256 k = splitPoint(n);
        return node(mth(leaves, begin, begin + k), mth(leaves, begin + k, end));
    }

    /// @dev Largest power of two smaller than n (n >= 2).
    function splitPoint(uint256 n) internal pure returns (uint256 k) {
        k = 1;
        while (k << 1 < n) k <<= 1;
    }

    /// @dev PATH(m, D[begin:end]).
    function inclusion(bytes32[] memory leaves, uint256 m, uint256 size) internal pure returns (bytes32[] memory) {
        bytes32[] memory out = new bytes32[](64);
        uint256 len = _path(leaves, m, 0, size, out, 0);
        return _trim(out, len);
    }

    function _path(bytes32[] memory leaves, uint256 m, uint256 begin, uint256 end, bytes32[] memory out, uint256 len)
        private
        pure
        returns (uint256)
    {
        uint256 n = end - begin;
        if (n <= 1) return len;
        uint256 k = splitPoint(n);
        if (m < k) {
            len = _path(leaves, m, begin, begin + k, out, len);
            out[len] = mth(leaves, begin + k, end);
        } else {
            len = _path(leaves, m - k, begin + k, end, out, len);
            out[len] = mth(leaves, begin, begin + k);
        }
        return len + 1;
    }

    /// @dev PROOF(m, D[n]) = SUBPROOF(m, D[n], true), and its shape.
    function consistency(bytes32[] memory leaves, uint256 m, uint256 n)
        internal
        pure
        returns (bytes32[] memory proof, uint256[] memory shape)
    {
        bytes32[] memory out = new bytes32[](64);
        uint256[] memory kinds = new uint256[](64);
        uint256 len = m == 0 || m == n ? 0 : _subproof(leaves, m, 0, n, true, out, kinds, 0);
        proof = _trim(out, len);
        shape = new uint256[](len);
        for (uint256 i = 0; i < len; ++i) {
            shape[i] = kinds[i];
        }
    }

    /// @dev Only the shape, computed without hashing (sizes alone decide it).
    function consistencyShape(uint256 m, uint256 n) internal pure returns (uint256[] memory shape) {
        uint256[] memory kinds = new uint256[](64);
        uint256 len = m == 0 || m == n ? 0 : _shape(m, n, true, kinds, 0);
        shape = new uint256[](len);
        for (uint256 i = 0; i < len; ++i) {
            shape[i] = kinds[i];
        }
    }

    function _subproof(
        bytes32[] memory leaves,
        uint256 m,
        uint256 begin,
        uint256 end,
        bool b,
        bytes32[] memory out,
        uint256[] memory kinds,
        uint256 len
    ) private pure returns (uint256) {
        uint256 n = end - begin;
        if (m == n) {
            if (b) return len;
            out[len] = mth(leaves, begin, end);
            kinds[len] = SHAPE_BASE;
            return len + 1;
        }
        uint256 k = splitPoint(n);
        if (m <= k) {
            len = _subproof(leaves, m, begin, begin + k, b, out, kinds, len);
            out[len] = mth(leaves, begin + k, end);
            kinds[len] = SHAPE_RIGHT;
        } else {
            len = _subproof(leaves, m - k, begin + k, end, false, out, kinds, len);
            out[len] = mth(leaves, begin, begin + k);
            kinds[len] = SHAPE_LEFT;
        }
        return len + 1;
    }

    function _shape(uint256 m, uint256 n, bool b, uint256[] memory kinds, uint256 len) private pure returns (uint256) {
        if (m == n) {
            if (b) return len;
            kinds[len] = SHAPE_BASE;
            return len + 1;
        }
        uint256 k = splitPoint(n);
        if (m <= k) {
            len = _shape(m, k, b, kinds, len);
            kinds[len] = SHAPE_RIGHT;
        } else {
            len = _shape(m - k, n - k, false, kinds, len);
            kinds[len] = SHAPE_LEFT;
        }
        return len + 1;
    }

    function sameShape(uint256[] memory a, uint256[] memory b) internal pure returns (bool) {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }

    function _trim(bytes32[] memory out, uint256 len) private pure returns (bytes32[] memory trimmed) {
        trimmed = new bytes32[](len);
        for (uint256 i = 0; i < len; ++i) {
            trimmed[i] = out[i];
        }
    }
}
