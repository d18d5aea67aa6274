// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {ConsortiumRegistry} from "../consortium/ConsortiumRegistry.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {EvidenceLog} from "../evidence/EvidenceLog.sol";
import {EvidenceRegistry} from "../evidence/EvidenceRegistry.sol";
import {ConsortiumFixture} from "./utils/ConsortiumFixture.sol";

contract ConsortiumRegistryTest is ConsortiumFixture {
    IConsortiumRegistry.AccountRole private constant _NONE = IConsortiumRegistry.AccountRole.None;
    IConsortiumRegistry.AccountRole private constant _OPS = IConsortiumRegistry.AccountRole.Operations;
    IConsortiumRegistry.AccountRole private constant _LOG = IConsortiumRegistry.AccountRole.LogOperator;
    IConsortiumRegistry.AccountRole private constant _GOV = IConsortiumRegistry.AccountRole.Governance;

    function test_bootstrap_admitsFoundersWithKindsRegionsAndAccounts() external view {
        assertEq(registry.memberIds().length, 5, "five founders");
        assertEq(registry.memberOf(unionAnchor), UNION, "second union account");
        assertTrue(registry.isActiveMember(courtOps), "court active");
        assertFalse(registry.isActiveMember(outsider), "outsider inactive");
        assertEq(registry.memberOf(outsider), 0, "outsider has no member");
        assertTrue(registry.kindOf(PLATFORM) == IConsortiumRegistry.MemberKind.Platform, "platform kind");
        assertEq(registry.regionOf(BRANCH_B), 330681, "branch B region");
        assertEq(registry.accountsOf(UNION).length, 3, "union accounts: operations, log operator, governance");
        assertEq(registry.governor(), address(governor), "governor set");
        assertTrue(registry.isGovernorMember(BRANCH_A), "branch governs");
        assertFalse(registry.isGovernorMember(COURT), "court does not govern");
    }

    function test_bootstrap_onlyOnce() external {
        vm.expectRevert(IConsortiumRegistry.RegistryAlreadyBootstrapped.selector);
        registry.bootstrap(address(governor), _founders());
    }

    function test_bootstrap_onlyByDeployer() external {
        ConsortiumRegistry fresh = new ConsortiumRegistry();
        vm.prank(outsider);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryNotBootstrapper.selector, outsider, address(this))
        );
        fresh.bootstrap(address(governor), _founders());
    }

    function test_addMember_validatesEveryField() external {
        vm.startPrank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidMemberId.selector, 0));
        registry.addMember(_init(0, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(outsider)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryMemberExists.selector, BRANCH_A));
        registry.addMember(_init(BRANCH_A, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(outsider)));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidKind.selector, IConsortiumRegistry.MemberKind.None)
        );
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.None, 330100, "X", _one(outsider)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidRegion.selector, 33));
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 33, "X", _one(outsider)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidName.selector, 0));
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "", _one(outsider)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidAccountCount.selector, 0, 16));
        registry.addMember(
            _init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", new IConsortiumRegistry.AccountInit[](0))
        );
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, courtOps, COURT));
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(courtOps)));
        vm.expectRevert(IConsortiumRegistry.RegistryZeroAccount.selector);
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(address(0))));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidRole.selector, outsider, _NONE));
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(outsider, _NONE)));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryRoleNotForKind.selector, outsider, _GOV, IConsortiumRegistry.MemberKind.Court
            )
        );
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Court, 330100, "X", _one(outsider, _GOV)));
        vm.stopPrank();
        assertEq(registry.memberIds().length, 5, "nothing admitted");
    }

    function test_suspendAndReinstate_toggleActivityAndGovernorCount() external {
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (BRANCH_B)));
        assertFalse(registry.isActiveMember(branchBOps), "suspended is inactive");
        assertEq(registry.memberOf(branchBOps), BRANCH_B, "but keeps its accounts");
        assertEq(registry.activeGovernorCount(), 2, "governors drop");
        vm.prank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryStatusUnchanged.selector, BRANCH_B, IConsortiumRegistry.MemberStatus.Suspended
            )
        );
        registry.suspendMember(BRANCH_B);
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.reinstateMember, (BRANCH_B)));
        assertTrue(registry.isActiveMember(branchBOps), "reinstated");
        assertEq(registry.activeGovernorCount(), 3, "governors back");
    }

    function test_suspendMember_neverTheLastGovernor() external {
        vm.startPrank(address(governor));
        registry.suspendMember(BRANCH_A);
        registry.suspendMember(BRANCH_B);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryLastGovernor.selector, UNION));
        registry.suspendMember(UNION);
        vm.stopPrank();
    }

    function test_accounts_addAndRemove() external {
        address extra = account("branchA.keeper");
        vm.startPrank(address(governor));
        registry.addAccount(BRANCH_A, extra, _OPS);
        assertEq(registry.memberOf(extra), BRANCH_A, "attached");
        registry.removeAccount(BRANCH_A, branchAOps);
        registry.removeAccount(BRANCH_A, branchAGov);
        assertEq(registry.memberOf(branchAOps), 0, "detached");
        assertTrue(registry.roleOf(branchAOps) == _NONE, "and its role gone");
        assertEq(registry.accountsOf(BRANCH_A).length, 1, "one left");
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryLastAccount.selector, BRANCH_A));
        registry.removeAccount(BRANCH_A, extra);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountNotOfMember.selector, courtOps, BRANCH_A));
        registry.removeAccount(BRANCH_A, courtOps);
        vm.stopPrank();
    }

    function test_setRegion_changesRegion() external {
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.setRegion, (BRANCH_A, 330110)));
        assertEq(registry.regionOf(BRANCH_A), 330110, "moved");
    }

    // ------------------------------------------------------------------ account roles

    function test_bootstrap_foundersAccountsCarryTheirRoles() external view {
        assertTrue(registry.roleOf(unionOps) == _OPS, "union operations key");
        assertTrue(registry.roleOf(unionAnchor) == _LOG, "union anchor key");
        assertTrue(registry.roleOf(unionGov) == _GOV, "union governance key");
        assertTrue(registry.roleOf(courtOps) == _OPS, "court operations key");
        assertTrue(registry.roleOf(outsider) == _NONE, "no role without a member");
        (uint32 memberId, IConsortiumRegistry.MemberStatus status, IConsortiumRegistry.AccountRole role) =
            registry.accountOf(unionAnchor);
        assertEq(memberId, UNION, "member");
        assertTrue(status == IConsortiumRegistry.MemberStatus.Active, "status");
        assertTrue(role == _LOG, "role");
        (memberId, status, role) = registry.accountOf(outsider);
        assertEq(memberId, 0, "no member");
        assertTrue(status == IConsortiumRegistry.MemberStatus.None && role == _NONE, "nothing");
    }

    function test_addAccount_recordsTheRoleAndEmitsIt() external {
        address extra = account("branchB.anchor");
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsortiumRegistry.AccountAdded(BRANCH_B, extra, _LOG);
        vm.prank(address(governor));
        registry.addAccount(BRANCH_B, extra, _LOG);
        assertTrue(registry.roleOf(extra) == _LOG, "log operator");
    }

    function test_addAccount_refusesNoRoleAndGovernanceForNonGoverningMembers() external {
        address extra = account("extra");
        vm.startPrank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidRole.selector, extra, _NONE));
        registry.addAccount(BRANCH_A, extra, _NONE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryRoleNotForKind.selector, extra, _GOV, IConsortiumRegistry.MemberKind.Platform
            )
        );
        registry.addAccount(PLATFORM, extra, _GOV);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryRoleNotForKind.selector, extra, _GOV, IConsortiumRegistry.MemberKind.Court
            )
        );
        registry.addAccount(COURT, extra, _GOV);
        vm.stopPrank();
        assertEq(registry.memberOf(extra), 0, "nothing attached");
    }

    function test_addAccount_aKeyHasOneRoleUntilDetached() external {
        vm.startPrank(address(governor));
        // the same member cannot give its operations key a second role
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, unionOps, UNION));
        registry.addAccount(UNION, unionOps, _GOV);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, unionAnchor, UNION));
        registry.addAccount(UNION, unionAnchor, _OPS);
        // a new role means detaching first: then the old role is gone
        registry.removeAccount(UNION, unionAnchor);
        registry.addAccount(UNION, unionAnchor, _OPS);
        vm.stopPrank();
        assertTrue(registry.roleOf(unionAnchor) == _OPS, "only the new role");
    }

    /// @dev Whatever role a key was attached with, attaching it again in any role, to any
    /// member, is refused and leaves its one role unchanged.
    function testFuzz_addAccount_oneRolePerKey(uint256 keySeed, uint8 firstSeed, uint8 secondSeed, uint8 memberSeed)
        external
    {
        address key = account(string(abi.encode("fuzz key", keySeed)));
        IConsortiumRegistry.AccountRole first = IConsortiumRegistry.AccountRole(1 + (firstSeed % 3));
        IConsortiumRegistry.AccountRole second = IConsortiumRegistry.AccountRole(1 + (secondSeed % 3));
        uint32 other = [UNION, BRANCH_A, BRANCH_B][memberSeed % 3];
        vm.startPrank(address(governor));
        registry.addAccount(BRANCH_B, key, first);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, key, BRANCH_B));
        registry.addAccount(other, key, second);
        vm.stopPrank();
        assertTrue(registry.roleOf(key) == first, "first role kept");
        assertEq(registry.memberOf(key), BRANCH_B, "first member kept");
    }

    /// @dev accountOf answers from the account's own slot: its copy of the member's status follows
    /// every suspension and reinstatement, for accounts attached before and during a suspension.
    function testFuzz_accountOf_statusFollowsTheMember(uint8 steps, uint256 seed) external {
        address late = account("branchB.late");
        bool attached;
        vm.startPrank(address(governor));
        for (uint256 i = 0; i < bound(steps, 1, 12); ++i) {
            uint256 action = uint256(keccak256(abi.encode(seed, i))) % 3;
            bool suspended = registry.statusOf(BRANCH_B) == IConsortiumRegistry.MemberStatus.Suspended;
            if (action == 0 && !suspended) registry.suspendMember(BRANCH_B);
            else if (action == 1 && suspended) registry.reinstateMember(BRANCH_B);
            else if (!attached) {
                registry.addAccount(BRANCH_B, late, _OPS);
                attached = true;
            }
            IConsortiumRegistry.MemberStatus expected = registry.statusOf(BRANCH_B);
            address[] memory accounts = registry.accountsOf(BRANCH_B);
            for (uint256 j = 0; j < accounts.length; ++j) {
                (uint32 memberId, IConsortiumRegistry.MemberStatus status,) = registry.accountOf(accounts[j]);
                assertEq(memberId, BRANCH_B, "member");
                assertTrue(status == expected, "status copy equals the member's");
                assertTrue(registry.isActiveMember(accounts[j]) == (expected == IConsortiumRegistry.MemberStatus.Active), "views agree");
            }
        }
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ official evidence contracts    // ------------------------------------------------------------------ official evidence contracts

    function test_bootstrapEvidenceContracts_deployerOnlyAndOnce() external {
        vm.prank(outsider);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryNotBootstrapper.selector, outsider, address(this))
        );
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsortiumRegistry.EvidenceContractsChanged(address(evidenceLog), address(evidenceRegistry));
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
        (address log, address lifecycle) = registry.evidenceContracts();
        assertEq(log, address(evidenceLog), "log named");
        assertEq(lifecycle, address(evidenceRegistry), "registry named");
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryEvidenceContractsSet.selector, address(evidenceLog), address(evidenceRegistry)
            )
        );
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
        // the governor cannot use the deployer's one-time door either
        vm.prank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryNotBootstrapper.selector, address(governor), address(this))
        );
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
    }

    function test_evidenceContracts_zeroUntilNamed() external view {
        (address log, address lifecycle) = registry.evidenceContracts();
        assertEq(log, address(0), "no log");
        assertEq(lifecycle, address(0), "no registry");
    }

    function test_bootstrapEvidenceContracts_refusesPairsThatDoNotBelongTogether() external {
        ConsortiumRegistry otherRegistry = new ConsortiumRegistry();
        EvidenceLog foreignLog = new EvidenceLog(otherRegistry);
        EvidenceRegistry foreignLifecycle = new EvidenceRegistry(otherRegistry, foreignLog);
        EvidenceLog secondLog = new EvidenceLog(registry);
        EvidenceRegistry secondLifecycle = new EvidenceRegistry(registry, secondLog);
        // a log that reads another consortium's registry
        _expectInvalidPair(address(foreignLog), address(foreignLifecycle));
        // a lifecycle registry that belongs to another log of this consortium
        _expectInvalidPair(address(evidenceLog), address(secondLifecycle));
        // swapped, and addresses without code
        _expectInvalidPair(address(evidenceRegistry), address(evidenceLog));
        _expectInvalidPair(outsider, address(evidenceRegistry));
        _expectInvalidPair(address(evidenceLog), outsider);
        (address log,) = registry.evidenceContracts();
        assertEq(log, address(0), "nothing named");
    }

    function test_setEvidenceContracts_governorOnlyReplacesThePair() external {
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
        EvidenceLog newLog = new EvidenceLog(registry);
        EvidenceRegistry newLifecycle = new EvidenceRegistry(registry, newLog);
        address[3] memory others = [address(this), unionGov, outsider];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGoverned.ConsortiumNotGovernor.selector, others[i], address(governor))
            );
            registry.setEvidenceContracts(address(newLog), address(newLifecycle));
        }
        vm.prank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryInvalidEvidenceContracts.selector, address(newLog), address(evidenceRegistry)
            )
        );
        registry.setEvidenceContracts(address(newLog), address(evidenceRegistry));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsortiumRegistry.EvidenceContractsChanged(address(newLog), address(newLifecycle));
        vm.prank(address(governor));
        registry.setEvidenceContracts(address(newLog), address(newLifecycle));
        (address log, address lifecycle) = registry.evidenceContracts();
        assertEq(log, address(newLog), "new log");
        assertEq(lifecycle, address(newLifecycle), "new registry");
        // and through a proposal, back to the first pair
        _govern(
            address(registry),
            abi.encodeCall(IConsortiumRegistry.setEvidenceContracts, (address(evidenceLog), address(evidenceRegistry)))
        );
        (log,) = registry.evidenceContracts();
        assertEq(log, address(evidenceLog), "first log again");
    }

    // ------------------------------------------------------------------ governed parameters

    function test_setParameter_governorOnlyAndEmitsPreviousValue() external {
        bytes32 key = keccak256("anchor.intake.recordsPerSecond");
        assertEq(registry.parameter(key), 0, "unset is zero");
        vm.prank(unionGov);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGoverned.ConsortiumNotGovernor.selector, unionGov, address(governor))
        );
        registry.setParameter(key, 5_000);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsortiumRegistry.ParameterChanged(key, 0, 5_000);
        vm.prank(address(governor));
        registry.setParameter(key, 5_000);
        assertEq(registry.parameter(key), 5_000, "set");
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsortiumRegistry.ParameterChanged(key, 5_000, 7_500);
        vm.prank(address(governor));
        registry.setParameter(key, 7_500);
        assertEq(registry.parameter(key), 7_500, "changed");
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.setParameter, (key, 9_000)));
        assertEq(registry.parameter(key), 9_000, "through a proposal");
        assertEq(registry.parameter(keccak256("other")), 0, "other keys untouched");
    }

    function testFuzz_setParameter_storesAnyValueByKey(bytes32 key, uint256 value) external {
        vm.prank(address(governor));
        registry.setParameter(key, value);
        assertEq(registry.parameter(key), value, "stored");
    }

    function _expectInvalidPair(address log, address lifecycle) private {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryInvalidEvidenceContracts.selector, log, lifecycle)
        );
        registry.bootstrapEvidenceContracts(log, lifecycle);
    }

    function test_member_unknownReverts() external {
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownMember.selector, 77));
        registry.member(77);
    }
    // ------------------------------------------------------------------ history by block

    /// @dev The registry answers "what was this member's status, this account's member and role,
    /// the official evidence pair, at block N" from its own checkpoints: the same answers an
    /// archive node gives for the current views at block N, with no historical state.
    function test_history_statusAccountAndEvidencePairAtEachBlock() external {
        uint256 founded = block.number;
        address late = account("branchB.late");
        vm.roll(founded + 10);
        vm.prank(address(governor));
        registry.suspendMember(BRANCH_B);
        vm.roll(founded + 20);
        vm.startPrank(address(governor));
        registry.reinstateMember(BRANCH_B);
        registry.addAccount(BRANCH_B, late, _OPS);
        vm.stopPrank();
        vm.roll(founded + 30);
        vm.prank(address(governor));
        registry.removeAccount(BRANCH_B, branchBOps);
        registry.bootstrapEvidenceContracts(address(evidenceLog), address(evidenceRegistry));
        vm.roll(founded + 40);

        IConsortiumRegistry.MemberStatus active = IConsortiumRegistry.MemberStatus.Active;
        IConsortiumRegistry.MemberStatus suspended = IConsortiumRegistry.MemberStatus.Suspended;
        IConsortiumRegistry.MemberStatus none = IConsortiumRegistry.MemberStatus.None;
        assertTrue(registry.statusAt(BRANCH_B, founded - 1) == none, "not a member before bootstrap");
        assertTrue(registry.statusAt(BRANCH_B, founded) == active, "active from bootstrap");
        assertTrue(registry.statusAt(BRANCH_B, founded + 9) == active, "active until the suspension");
        assertTrue(registry.statusAt(BRANCH_B, founded + 10) == suspended, "suspended at its block");
        assertTrue(registry.statusAt(BRANCH_B, founded + 19) == suspended, "until reinstated");
        assertTrue(registry.statusAt(BRANCH_B, founded + 40) == active, "active again");
        assertTrue(registry.statusAt(BRANCH_A, founded + 10) == active, "other members untouched");

        _assertAccountAt(branchBOps, founded + 5, BRANCH_B, active, _OPS);
        _assertAccountAt(branchBOps, founded + 15, BRANCH_B, suspended, _OPS);
        _assertAccountAt(branchBOps, founded + 30, 0, none, _NONE);
        _assertAccountAt(late, founded + 15, 0, none, _NONE);
        _assertAccountAt(late, founded + 20, BRANCH_B, active, _OPS);

        (address log, address lifecycle) = registry.evidenceContractsAt(founded + 29);
        assertEq(log, address(0), "no log named yet");
        assertEq(lifecycle, address(0), "no registry named yet");
        (log, lifecycle) = registry.evidenceContractsAt(founded + 30);
        assertEq(log, address(evidenceLog), "log named");
        assertEq(lifecycle, address(evidenceRegistry), "registry named");
    }

    function test_history_refusesBlocksNotMinedYet() external {
        uint256 next = block.number + 1;
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryFutureLookup.selector, next, block.number));
        registry.statusAt(BRANCH_A, next);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryFutureLookup.selector, next, block.number));
        registry.accountAt(branchAOps, next);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryFutureLookup.selector, next, block.number));
        registry.evidenceContractsAt(next);
    }

    /// @dev After any sequence of suspensions, reinstatements and account moves, the history at
    /// every block equals what the current views said at that block.
    function testFuzz_history_equalsTheViewsAsTheyWere(uint8 steps, uint256 seed) external {
        address late = account("branchB.late");
        uint256 n = bound(steps, 1, 12);
        uint256 start = block.number;
        IConsortiumRegistry.MemberStatus[] memory statusThen = new IConsortiumRegistry.MemberStatus[](n);
        uint32[] memory lateMemberThen = new uint32[](n);
        vm.startPrank(address(governor));
        for (uint256 i = 0; i < n; ++i) {
            vm.roll(start + 1 + i);
            uint256 action = uint256(keccak256(abi.encode(seed, i))) % 4;
            bool suspended = registry.statusOf(BRANCH_B) == IConsortiumRegistry.MemberStatus.Suspended;
            if (action == 0 && !suspended) registry.suspendMember(BRANCH_B);
            else if (action == 1 && suspended) registry.reinstateMember(BRANCH_B);
            else if (action == 2 && registry.memberOf(late) == 0) registry.addAccount(BRANCH_B, late, _OPS);
            else if (action == 3 && registry.memberOf(late) != 0) registry.removeAccount(BRANCH_B, late);
            statusThen[i] = registry.statusOf(BRANCH_B);
            lateMemberThen[i] = registry.memberOf(late);
        }
        vm.stopPrank();
        vm.roll(start + n + 5);
        for (uint256 i = 0; i < n; ++i) {
            assertTrue(registry.statusAt(BRANCH_B, start + 1 + i) == statusThen[i], "status as it was");
            (uint32 memberId, IConsortiumRegistry.MemberStatus status,) = registry.accountAt(late, start + 1 + i);
            assertEq(memberId, lateMemberThen[i], "account's member as it was");
            if (memberId != 0) assertTrue(status == statusThen[i], "its member's status as it was");
        }
    }

    function _assertAccountAt(
        address who,
        uint256 blockNumber,
        uint32 memberId,
        IConsortiumRegistry.MemberStatus status,
        IConsortiumRegistry.AccountRole role
    ) private view {
        (uint32 m, IConsortiumRegistry.MemberStatus s, IConsortiumRegistry.AccountRole r) = registry.accountAt(who, blockNumber);
        assertEq(m, memberId, "member then");
        assertTrue(s == status, "status then");
        assertTrue(r == role, "role then");
    }
}
