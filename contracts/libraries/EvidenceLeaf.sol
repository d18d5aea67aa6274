// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title EvidenceLeaf
/// @notice Decoder for the versioned evidence leaf record (spec: common/formats/leaf/LEAF.md). A leaf
/// is abi.encode(uint8 version, uint8 kind, uint8 digestAlgorithm, bytes32 digest, bytes32 salt,
/// uint32 submitter, bytes32 subject): seven static words, 224 bytes. Mirrors
/// `decodeLeaf` in common/formats/leaf/leaf.ts; both reject the same inputs.
library EvidenceLeaf {
    uint8 internal constant VERSION = 1;
    uint8 internal constant MAX_KIND = 8;
    uint8 internal constant MAX_DIGEST_ALGORITHM = 2;
    uint256 internal constant LENGTH = 224;

    /// @notice A decoded leaf record.
    struct Record {
        uint8 version;
        uint8 kind;
        uint8 digestAlgorithm;
        bytes32 digest;
        bytes32 salt;
        uint32 submitter;
        bytes32 subject;
    }

    /// @notice The leaf is not 224 bytes.
    error EvidenceLeafBadLength(uint256 length);
    /// @notice A word's padding bytes are not zero (the encoding would not be canonical).
    error EvidenceLeafNonCanonical(uint256 wordIndex);
    /// @notice Only version 1 exists.
    error EvidenceLeafUnknownVersion(uint8 version);
    /// @notice Kind outside 1–8.
    error EvidenceLeafUnknownKind(uint8 kind);
    /// @notice Digest algorithm outside 1 (SHA-256) – 2 (SM3).
    error EvidenceLeafUnknownAlgorithm(uint8 digestAlgorithm);
    /// @notice Submitter member id 0 is not a member.
    error EvidenceLeafBadSubmitter();

    /// @notice Decode and validate a leaf record.
    function decode(bytes calldata leaf) internal pure returns (Record memory r) {
        if (leaf.length != LENGTH) revert EvidenceLeafBadLength(leaf.length);
        uint256 w0 = uint256(bytes32(leaf[0:32]));
        uint256 w1 = uint256(bytes32(leaf[32:64]));
        uint256 w2 = uint256(bytes32(leaf[64:96]));
        uint256 w5 = uint256(bytes32(leaf[160:192]));
        // reject dirty high bytes explicitly, so every accepted leaf re-encodes to itself
        if (w0 > type(uint8).max) revert EvidenceLeafNonCanonical(0);
        if (w1 > type(uint8).max) revert EvidenceLeafNonCanonical(1);
        if (w2 > type(uint8).max) revert EvidenceLeafNonCanonical(2);
        if (w5 > type(uint32).max) revert EvidenceLeafNonCanonical(5);
        r.version = uint8(w0);
        r.kind = uint8(w1);
        r.digestAlgorithm = uint8(w2);
        r.digest = bytes32(leaf[96:128]);
        r.salt = bytes32(leaf[128:160]);
        r.submitter = uint32(w5);
        r.subject = bytes32(leaf[192:224]);
        if (r.version != VERSION) revert EvidenceLeafUnknownVersion(r.version);
        if (r.kind == 0 || r.kind > MAX_KIND) revert EvidenceLeafUnknownKind(r.kind);
        if (r.digestAlgorithm == 0 || r.digestAlgorithm > MAX_DIGEST_ALGORITHM) {
            revert EvidenceLeafUnknownAlgorithm(r.digestAlgorithm);
        }
        if (r.submitter == 0) revert EvidenceLeafBadSubmitter();
    }
}
