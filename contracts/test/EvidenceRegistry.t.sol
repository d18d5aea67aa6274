// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IEvidenceRegistry} from "../evidence/IEvidenceRegistry.sol";
import {EvidenceLeaf} from "../libraries/EvidenceLeaf.sol";
import {MerkleReference} from "./utils/MerkleReference.sol";
import {EvidenceFixture} from "./utils/EvidenceFixture.sol";

contract EvidenceRegistryTest is EvidenceFixture {
    uint16 private constant REASON_CLERICAL = 1;
    uint256 private constant SIZE = 12;

    bytes[] private _leaves;
    bytes32[] private _hashes;

    function setUp() public override {
        super.setUp();
        uint32[] memory submitters = new uint32[](2);
        submitters[0] = BRANCH_A;
        submitters[1] = PLATFORM;
        (bytes[] memory leaves, bytes32[] memory hashes) = _tree(SIZE, submitters);
        for (uint256 i = 0; i < SIZE; ++i) {
            _leaves.push(leaves[i]);
            _hashes.push(hashes[i]);
        }
        _commit(hashes, 0, SIZE);
    }

    /// @dev Leaf 0, 2, 4… are branch A's; 1, 3, 5… the platform's.
    function _submitterOps(uint256 i) private view returns (address) {
        return i % 2 == 0 ? branchAOps : platformOps;
    }

    /// @dev Registered by the submitter's operations key.
    function _register(uint256 i) private returns (bytes32) {
        return _registerAs(_submitterOps(i), i);
    }

    function _registerAs(address caller, uint256 i) private returns (bytes32) {
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, i, SIZE);
        vm.prank(caller);
        return evidenceRegistry.register(_leaves[i], UNION_LOG, SIZE, i, proof);
    }

    function test_register_bySubmitterRecordsTheLeaf() external {
        bytes32 leafHash = _registerAs(platformOps, 3);
        assertEq(leafHash, _hashes[3], "leaf hash");
        IEvidenceRegistry.EvidenceStatus memory s = evidenceRegistry.status(leafHash);
        assertTrue(s.state == IEvidenceRegistry.EvidenceState.Active, "active");
        assertEq(s.submitter, PLATFORM, "submitter");
        assertEq(s.leafIndex, 3, "index");
        assertEq(s.records, 1, "registered record");
        assertEq(evidenceRegistry.records(leafHash)[0].byMember, PLATFORM, "recorded as the submitter's");
    }

    function test_register_byCourtRecordsTheSubmitterFromTheLeaf() external {
        bytes32 leafHash = _registerAs(courtOps, 3);
        assertEq(evidenceRegistry.status(leafHash).submitter, PLATFORM, "submitter from the leaf, not the court");
    }

    /// @dev Regression: registration was open to anyone, so another member could start the
    /// lifecycle of someone else's evidence (choosing when, and under which log head, it counts).
    function test_register_byAnotherMembersAccountReverts() external {
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 3, SIZE);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceRegistry.EvidenceRegistryNotRegistrant.selector, _hashes[3], branchAOps, BRANCH_A, PLATFORM
            )
        );
        evidenceRegistry.register(_leaves[3], UNION_LOG, SIZE, 3, proof);
        vm.prank(unionOps);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceRegistry.EvidenceRegistryNotRegistrant.selector, _hashes[3], unionOps, UNION, PLATFORM
            )
        );
        evidenceRegistry.register(_leaves[3], UNION_LOG, SIZE, 3, proof);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotActiveMember.selector, outsider));
        evidenceRegistry.register(_leaves[3], UNION_LOG, SIZE, 3, proof);
        assertTrue(evidenceRegistry.status(_hashes[3]).state == IEvidenceRegistry.EvidenceState.Unknown, "not registered");
    }

    function test_register_bySuspendedSubmitterReverts() external {
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (PLATFORM)));
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 3, SIZE);
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotActiveMember.selector, platformOps));
        evidenceRegistry.register(_leaves[3], UNION_LOG, SIZE, 3, proof);
    }

    function test_register_bySubmittersNonOperationsKeysReverts() external {
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 0, SIZE);
        vm.prank(branchAGov);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceRegistry.EvidenceRegistryWrongRole.selector, branchAGov, IConsortiumRegistry.AccountRole.Governance
            )
        );
        evidenceRegistry.register(_leaves[0], UNION_LOG, SIZE, 0, proof);
    }

    /// @dev A submitter's key of any role but Operations is refused in every lifecycle entry
    /// point, with its role in the error.
    function testFuzz_lifecycle_refusesEveryNonOperationsRole(uint256 keySeed, bool governance, uint256 index) external {
        uint256 i = bound(index, 0, SIZE / 2 - 1) * 2; // a branch A leaf
        IConsortiumRegistry.AccountRole role =
            governance ? IConsortiumRegistry.AccountRole.Governance : IConsortiumRegistry.AccountRole.LogOperator;
        address key = account(string(abi.encode("fuzz key", keySeed)));
        vm.prank(address(governor));
        registry.addAccount(BRANCH_A, key, role);
        bytes memory wrongRole = abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryWrongRole.selector, key, role);
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, i, SIZE);
        vm.prank(key);
        vm.expectRevert(wrongRole);
        evidenceRegistry.register(_leaves[i], UNION_LOG, SIZE, i, proof);
        bytes32 leafHash = _register(i);
        bytes32 replacement = _register(i == 0 ? 2 : 0);
        vm.prank(key);
        vm.expectRevert(wrongRole);
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
        vm.prank(key);
        vm.expectRevert(wrongRole);
        evidenceRegistry.supersede(leafHash, replacement, REASON_CLERICAL);
        vm.prank(key);
        vm.expectRevert(wrongRole);
        evidenceRegistry.endorse(replacement);
        assertTrue(evidenceRegistry.status(leafHash).state == IEvidenceRegistry.EvidenceState.Active, "unchanged");
    }

    function test_register_wrongProofReverts() external {
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 4, SIZE);
        vm.prank(platformOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotIncluded.selector, UNION_LOG, SIZE, 3, _hashes[3])
        );
        evidenceRegistry.register(_leaves[3], UNION_LOG, SIZE, 3, proof);
    }

    function test_register_twiceReverts() external {
        _register(0);
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 0, SIZE);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyRegistered.selector, _hashes[0])
        );
        evidenceRegistry.register(_leaves[0], UNION_LOG, SIZE, 0, proof);
    }

    function test_register_malformedLeafReverts() external {
        bytes32[] memory proof = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(EvidenceLeaf.EvidenceLeafBadLength.selector, 3));
        evidenceRegistry.register(hex"010203", UNION_LOG, SIZE, 0, proof);
        bytes memory badVersion = abi.encode(uint8(2), uint8(1), uint8(1), bytes32(0), bytes32(0), uint32(2), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(EvidenceLeaf.EvidenceLeafUnknownVersion.selector, 2));
        evidenceRegistry.register(badVersion, UNION_LOG, SIZE, 0, proof);
        bytes memory dirty = abi.encode(uint256(0x101), uint8(1), uint8(1), bytes32(0), bytes32(0), uint32(2), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(EvidenceLeaf.EvidenceLeafNonCanonical.selector, 0));
        evidenceRegistry.register(dirty, UNION_LOG, SIZE, 0, proof);
    }

    function test_revoke_bySubmitterAppendsARecord() external {
        bytes32 leafHash = _register(0);
        vm.prank(branchAOps);
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
        IEvidenceRegistry.EvidenceStatus memory s = evidenceRegistry.status(leafHash);
        assertTrue(s.state == IEvidenceRegistry.EvidenceState.Revoked, "revoked");
        IEvidenceRegistry.LifecycleRecord[] memory recs = evidenceRegistry.records(leafHash);
        assertEq(recs.length, 2, "registered + revoked");
        assertTrue(recs[1].action == IEvidenceRegistry.LifecycleAction.Revoked, "action");
        assertEq(recs[1].byMember, BRANCH_A, "by submitter");
        assertEq(recs[1].reasonCode, REASON_CLERICAL, "reason");
        // the old proof stays valid: revocation is a status, not a deletion
        bytes32[] memory proof = MerkleReference.inclusion(_hashes, 0, SIZE);
        assertTrue(evidenceLog.verifyInclusion(UNION_LOG, SIZE, 0, leafHash, proof), "still included");
    }

    function test_revoke_byOtherMemberReverts() external {
        bytes32 leafHash = _register(0);
        vm.prank(platformOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotSubmitterOrCourt.selector, leafHash, PLATFORM)
        );
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotActiveMember.selector, outsider));
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
    }

    function test_revoke_bySuspendedSubmitterReverts() external {
        bytes32 leafHash = _register(0);
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (BRANCH_A)));
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotActiveMember.selector, branchAOps));
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
    }

    function test_revoke_byCourtAndOnlyOnce() external {
        bytes32 leafHash = _register(1);
        vm.prank(courtOps);
        evidenceRegistry.revoke(leafHash, 7);
        vm.prank(platformOps);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceRegistry.EvidenceRegistryNotActive.selector, leafHash, IEvidenceRegistry.EvidenceState.Revoked
            )
        );
        evidenceRegistry.revoke(leafHash, 7);
    }

    function test_revoke_withoutReasonReverts() external {
        bytes32 leafHash = _register(0);
        vm.prank(branchAOps);
        vm.expectRevert(IEvidenceRegistry.EvidenceRegistryMissingReason.selector);
        evidenceRegistry.revoke(leafHash, 0);
    }

    function test_supersede_pointsAtTheReplacement() external {
        bytes32 old = _register(0);
        bytes32 replacement = _register(2);
        vm.prank(branchAOps);
        evidenceRegistry.supersede(old, replacement, REASON_CLERICAL);
        IEvidenceRegistry.EvidenceStatus memory s = evidenceRegistry.status(old);
        assertTrue(s.state == IEvidenceRegistry.EvidenceState.Superseded, "superseded");
        assertEq(s.replacement, replacement, "points at replacement");
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryBadReplacement.selector, replacement, replacement)
        );
        evidenceRegistry.supersede(replacement, replacement, REASON_CLERICAL);
    }

    function test_legalHold_courtOnlyAndBlocksRevocation() external {
        bytes32 leafHash = _register(0);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryNotCourt.selector, BRANCH_A));
        evidenceRegistry.placeLegalHold(leafHash, 3);
        vm.prank(courtOps);
        evidenceRegistry.placeLegalHold(leafHash, 3);
        assertTrue(evidenceRegistry.status(leafHash).legalHold, "on hold");
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryUnderLegalHold.selector, leafHash));
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
        vm.prank(courtOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyOnHold.selector, leafHash));
        evidenceRegistry.placeLegalHold(leafHash, 3);
        vm.prank(courtOps);
        evidenceRegistry.releaseLegalHold(leafHash, 4);
        vm.prank(branchAOps);
        evidenceRegistry.revoke(leafHash, REASON_CLERICAL);
        assertEq(evidenceRegistry.records(leafHash).length, 4, "registered, hold, release, revoke");
    }

    function test_endorse_byOtherActiveMembersOnce() external {
        bytes32 leafHash = _register(0);
        vm.prank(platformOps);
        evidenceRegistry.endorse(leafHash);
        vm.prank(unionOps);
        evidenceRegistry.endorse(leafHash);
        assertEq(evidenceRegistry.status(leafHash).endorsements, 2, "two endorsements");
        assertEq(evidenceRegistry.endorsers(leafHash)[0], PLATFORM, "platform first");
        // another operations key of the union is still the same member
        address unionOps2 = account("union.ops2");
        vm.prank(address(governor));
        registry.addAccount(UNION, unionOps2, IConsortiumRegistry.AccountRole.Operations);
        vm.prank(unionOps2);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyEndorsed.selector, leafHash, UNION)
        );
        evidenceRegistry.endorse(leafHash);
        vm.prank(branchAOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistrySelfEndorsement.selector, leafHash, BRANCH_A)
        );
        evidenceRegistry.endorse(leafHash);
    }

    function test_lifecycle_unknownEvidenceReverts() external {
        bytes32 unknown = keccak256("unknown");
        vm.prank(courtOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryUnknownEvidence.selector, unknown));
        evidenceRegistry.placeLegalHold(unknown, 1);
        vm.prank(platformOps);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryUnknownEvidence.selector, unknown));
        evidenceRegistry.endorse(unknown);
    }
}
