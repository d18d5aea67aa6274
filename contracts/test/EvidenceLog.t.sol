// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {IEvidenceLog} from "../evidence/IEvidenceLog.sol";
import {MerkleReference} from "./utils/MerkleReference.sol";
import {EvidenceFixture} from "./utils/EvidenceFixture.sol";

contract EvidenceLogTest is EvidenceFixture {
    bytes32[] private _hashes;

    function setUp() public override {
        super.setUp();
        _hashes = MerkleReference.leafHashes(42, 40);
    }

    function test_commitHead_firstHeadNeedsNoProof() external {
        vm.warp(1_800_000_000);
        _commit(_hashes, 0, 5);
        IEvidenceLog.Head memory h = evidenceLog.latestHead(UNION_LOG);
        assertEq(h.treeSize, 5, "size");
        assertEq(h.rootHash, MerkleReference.mth(_hashes, 0, 5), "root");
        assertEq(h.timestamp, 1_800_000_000, "block time");
        assertEq(h.blockNumber, block.number, "block number");
    }

    function test_commitHead_firstHeadWithProofReverts() external {
        bytes32[] memory proof = new bytes32[](1);
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogUnexpectedProof.selector, UNION_LOG, 1));
        evidenceLog.commitHead(UNION_LOG, 5, bytes32(uint256(1)), proof);
    }

    function test_commitHead_growsWithConsistencyProofs() external {
        _commit(_hashes, 0, 3);
        _commit(_hashes, 3, 8);
        _commit(_hashes, 8, 21);
        _commit(_hashes, 21, 40);
        assertEq(evidenceLog.headCount(UNION_LOG), 4, "four heads");
        assertEq(evidenceLog.headIndexOf(UNION_LOG, 21), 2, "lookup by size");
        assertEq(evidenceLog.firstHeadIncluding(UNION_LOG, 8), 2, "leaf 8 first in head of size 21");
        assertEq(evidenceLog.firstHeadIncluding(UNION_LOG, 7), 1, "leaf 7 first in head of size 8");
    }

    function test_commitHead_rewrittenHistoryReverts() external {
        _commit(_hashes, 0, 8);
        // a tree whose leaf 2 was replaced: its root is not an extension of the committed head
        bytes32[] memory forged = MerkleReference.leafHashes(42, 12);
        forged[2] = keccak256("replaced");
        (bytes32[] memory proof,) = MerkleReference.consistency(forged, 8, 12);
        bytes32 forgedRoot = MerkleReference.mth(forged, 0, 12);
        bytes32 committedRoot = MerkleReference.mth(_hashes, 0, 8);
        vm.prank(unionAnchor);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceLog.EvidenceLogInconsistent.selector, UNION_LOG, 8, committedRoot, 12, forgedRoot
            )
        );
        evidenceLog.commitHead(UNION_LOG, 12, forgedRoot, proof);
    }

    function test_commitHead_notGrowingReverts() external {
        _commit(_hashes, 0, 8);
        bytes32[] memory none = new bytes32[](0);
        bytes32 root = MerkleReference.mth(_hashes, 0, 8);
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogTreeNotGrowing.selector, UNION_LOG, 8, 8));
        evidenceLog.commitHead(UNION_LOG, 8, root, none);
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogTreeNotGrowing.selector, UNION_LOG, 8, 7));
        evidenceLog.commitHead(UNION_LOG, 7, root, none);
    }

    function test_commitHead_nonMemberReverts() external {
        bytes32[] memory none = new bytes32[](0);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogCallerNotMember.selector, outsider));
        evidenceLog.commitHead(UNION_LOG, 1, _hashes[0], none);
    }

    function test_commitHead_suspendedMemberReverts() external {
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (UNION)));
        bytes32[] memory none = new bytes32[](0);
        vm.prank(unionAnchor);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogMemberInactive.selector, UNION));
        evidenceLog.commitHead(UNION_LOG, 1, _hashes[0], none);
    }

    function test_commitHead_otherMembersAccountReverts() external {
        _expectNotOperator(branchAOps, unionAnchor);
        // the union's *other* account is not this log's operator either
        _expectNotOperator(unionOps, unionAnchor);
    }

    function test_commitHead_wrongLogsOperatorReverts() external {
        bytes32 branchLog = keccak256("jointledger.log.branchA.1");
        address branchAAnchor = _attach(BRANCH_A, "branchA.anchor", IConsortiumRegistry.AccountRole.LogOperator);
        _govern(address(evidenceLog), abi.encodeCall(IEvidenceLog.openLog, (branchLog, BRANCH_A, branchAAnchor)));
        bytes32[] memory none = new bytes32[](0);
        _expectNotOperator(branchAAnchor, unionAnchor);
        vm.prank(branchAAnchor);
        evidenceLog.commitHead(branchLog, 1, _hashes[0], none);
        assertEq(evidenceLog.headCount(branchLog), 1, "own log accepted");
        assertEq(evidenceLog.headCount(UNION_LOG), 0, "union log untouched");
    }

    function test_openLog_operatorMustBelongToMember() external {
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogOperatorNotOfMember.selector, courtOps, BRANCH_A));
        evidenceLog.openLog(keccak256("x"), BRANCH_A, courtOps);
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogExists.selector, UNION_LOG));
        evidenceLog.openLog(UNION_LOG, UNION, unionAnchor);
    }

    function test_setLogOperator_rotatesTheKey() external {
        address newAnchor = _attach(UNION, "union.anchor2", IConsortiumRegistry.AccountRole.LogOperator);
        _govern(address(evidenceLog), abi.encodeCall(IEvidenceLog.setLogOperator, (UNION_LOG, newAnchor)));
        bytes32[] memory none = new bytes32[](0);
        _expectNotOperator(unionAnchor, newAnchor);
        vm.prank(newAnchor);
        evidenceLog.commitHead(UNION_LOG, 1, _hashes[0], none);
    }

    function test_openLogAndSetLogOperator_refuseOperationsAndGovernanceKeys() external {
        vm.startPrank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, unionOps, IConsortiumRegistry.AccountRole.Operations)
        );
        evidenceLog.openLog(keccak256("x"), UNION, unionOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, unionGov, IConsortiumRegistry.AccountRole.Governance)
        );
        evidenceLog.openLog(keccak256("x"), UNION, unionGov);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, unionOps, IConsortiumRegistry.AccountRole.Operations)
        );
        evidenceLog.setLogOperator(UNION_LOG, unionOps);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, unionGov, IConsortiumRegistry.AccountRole.Governance)
        );
        evidenceLog.setLogOperator(UNION_LOG, unionGov);
        vm.stopPrank();
        assertEq(evidenceLog.logInfo(UNION_LOG).operator, unionAnchor, "operator unchanged");
    }

    function test_commitHead_operatorReattachedWithAnotherRoleReverts() external {
        // governance moves the anchor key to operations duty without rotating the log: the key
        // is still named by the log but may no longer commit
        vm.startPrank(address(governor));
        registry.removeAccount(UNION, unionAnchor);
        registry.addAccount(UNION, unionAnchor, IConsortiumRegistry.AccountRole.Operations);
        vm.stopPrank();
        bytes32[] memory none = new bytes32[](0);
        vm.prank(unionAnchor);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, unionAnchor, IConsortiumRegistry.AccountRole.Operations)
        );
        evidenceLog.commitHead(UNION_LOG, 1, _hashes[0], none);
        assertEq(evidenceLog.headCount(UNION_LOG), 0, "nothing committed");
    }

    /// @dev A key of any role but LogOperator, of any member, cannot become a log operator.
    function testFuzz_openLogAndSetLogOperator_refuseEveryOtherRole(uint256 keySeed, bool governance, uint8 memberSeed)
        external
    {
        uint32 memberId = [UNION, BRANCH_A, BRANCH_B][memberSeed % 3];
        IConsortiumRegistry.AccountRole role =
            governance ? IConsortiumRegistry.AccountRole.Governance : IConsortiumRegistry.AccountRole.Operations;
        address key = _attach(memberId, string(abi.encode("fuzz key", keySeed)), role);
        bytes memory wrongRole = abi.encodeWithSelector(IEvidenceLog.EvidenceLogWrongRole.selector, key, role);
        vm.prank(address(governor));
        vm.expectRevert(wrongRole);
        evidenceLog.openLog(keccak256(abi.encode("log", keySeed)), memberId, key);
        if (memberId == UNION) {
            vm.prank(address(governor));
            vm.expectRevert(wrongRole);
            evidenceLog.setLogOperator(UNION_LOG, key);
        }
    }

    /// @dev `caller` committing the union log's first head is refused: `operator` holds the log.
    function _expectNotOperator(address caller, address operator) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogNotOperator.selector, UNION_LOG, caller, operator));
        evidenceLog.commitHead(UNION_LOG, 1, _hashes[0], new bytes32[](0));
    }

    function _attach(uint32 memberId, string memory label, IConsortiumRegistry.AccountRole role)
        private
        returns (address key)
    {
        key = account(label);
        vm.prank(address(governor));
        registry.addAccount(memberId, key, role);
    }

    function testFuzz_verifyInclusion_everyLeafOfACommittedHead(uint256 seed, uint256 size, uint256 index) external {
        size = bound(size, 1, 200);
        index = bound(index, 0, size - 1);
        bytes32[] memory hashes = MerkleReference.leafHashes(seed, size);
        _commit(hashes, 0, size);
        bytes32[] memory proof = MerkleReference.inclusion(hashes, index, size);
        assertTrue(evidenceLog.verifyInclusion(UNION_LOG, size, index, hashes[index], proof), "included");
        assertFalse(evidenceLog.verifyInclusion(UNION_LOG, size, index, ~hashes[index], proof), "other leaf");
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogUnknownHead.selector, UNION_LOG, size + 1));
        evidenceLog.verifyInclusion(UNION_LOG, size + 1, index, hashes[index], proof);
    }
}
