// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumRegistry} from "../consortium/ConsortiumRegistry.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {ConsortiumFixture} from "./utils/ConsortiumFixture.sol";

contract ConsortiumRegistryTest is ConsortiumFixture {
    function test_bootstrap_admitsFoundersWithKindsRegionsAndAccounts() external view {
        assertEq(registry.memberIds().length, 5, "five founders");
        assertEq(registry.memberOf(unionAnchor), UNION, "second union account");
        assertTrue(registry.isActiveMember(courtOps), "court active");
        assertFalse(registry.isActiveMember(outsider), "outsider inactive");
        assertEq(registry.memberOf(outsider), 0, "outsider has no member");
        assertTrue(registry.kindOf(PLATFORM) == IConsortiumRegistry.MemberKind.Platform, "platform kind");
        assertEq(registry.regionOf(BRANCH_B), 330681, "branch B region");
        assertEq(registry.accountsOf(UNION).length, 2, "union accounts");
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
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", new address[](0)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, courtOps, COURT));
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(courtOps)));
        vm.expectRevert(IConsortiumRegistry.RegistryZeroAccount.selector);
        registry.addMember(_init(9, IConsortiumRegistry.MemberKind.Branch, 330100, "X", _one(address(0))));
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
        registry.addAccount(BRANCH_A, extra);
        assertEq(registry.memberOf(extra), BRANCH_A, "attached");
        registry.removeAccount(BRANCH_A, branchAOps);
        assertEq(registry.memberOf(branchAOps), 0, "detached");
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

    function test_member_unknownReverts() external {
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownMember.selector, 77));
        registry.member(77);
    }
}
