// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {IConsortiumGovernor} from "../consortium/IConsortiumGovernor.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {ConsortiumGovernor} from "../consortium/ConsortiumGovernor.sol";
import {ConsortiumRegistry} from "../consortium/ConsortiumRegistry.sol";
import {ConsortiumFixture} from "./utils/ConsortiumFixture.sol";

contract ConsortiumGovernorTest is ConsortiumFixture {
    address[] private _targets;
    bytes[] private _calldatas;
    string private constant _DESCRIPTION = "suspend the platform";

    function setUp() public override {
        super.setUp();
        _targets.push(address(registry));
        _calldatas.push(abi.encodeCall(IConsortiumRegistry.suspendMember, (PLATFORM)));
    }

    function _propose() private returns (uint256 id) {
        vm.prank(unionGov);
        id = governor.propose(_targets, _calldatas, _DESCRIPTION);
    }

    function _execute() private returns (uint256) {
        vm.prank(unionGov);
        return governor.execute(_targets, _calldatas, keccak256(bytes(_DESCRIPTION)));
    }

    function test_approvalsRequired_isMoreThanHalfOfActiveGovernors() external view {
        assertEq(registry.activeGovernorCount(), 3, "union + 2 branches");
        assertEq(governor.approvalsRequired(), 2, "2 of 3");
    }

    function test_execute_belowThresholdReverts() external {
        uint256 id = _propose();
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorThresholdNotMet.selector, id, 1, 2));
        _execute();
        assertTrue(registry.statusOf(PLATFORM) == IConsortiumRegistry.MemberStatus.Active, "nothing changed");
    }

    function test_execute_atThresholdRunsTheCalls() external {
        uint256 id = _propose();
        vm.prank(branchBGov);
        governor.approve(id);
        _execute();
        assertTrue(registry.statusOf(PLATFORM) == IConsortiumRegistry.MemberStatus.Suspended, "platform suspended");
        assertTrue(governor.proposal(id).executed, "marked executed");
    }

    function test_execute_twiceReverts() external {
        uint256 id = _propose();
        vm.prank(branchBGov);
        governor.approve(id);
        _execute();
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorAlreadyExecuted.selector, id));
        _execute();
    }

    function test_approve_afterExpiryReverts() external {
        uint256 id = _propose();
        uint64 expiresAt = governor.proposal(id).expiresAt;
        vm.warp(expiresAt);
        vm.prank(branchBGov);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExpired.selector, id, expiresAt, expiresAt)
        );
        governor.approve(id);
    }

    function test_execute_afterExpiryReverts() external {
        uint256 id = _propose();
        vm.prank(branchBGov);
        governor.approve(id);
        uint64 expiresAt = governor.proposal(id).expiresAt;
        vm.warp(expiresAt + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExpired.selector, id, expiresAt, expiresAt + 1)
        );
        _execute();
    }

    function test_execute_suspendedGovernorsApprovalStopsCounting() external {
        uint256 id = _propose();
        vm.prank(branchBGov);
        governor.approve(id);
        assertEq(governor.validApprovals(id), 2, "two approvals before");
        // suspend branch B through a separate proposal approved by union + branch A
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (BRANCH_B)));
        assertEq(governor.validApprovals(id), 1, "branch B no longer counts");
        assertEq(governor.approvalsRequired(), 2, "2 active governors: both must approve");
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorThresholdNotMet.selector, id, 1, 2));
        _execute();
    }

    function test_approve_twiceBySameMemberReverts() external {
        uint256 id = _propose();
        // a second governance key of the union is still the same member
        address secondKey = account("union.gov2");
        vm.prank(address(governor));
        registry.addAccount(UNION, secondKey, IConsortiumRegistry.AccountRole.Governance);
        vm.prank(secondKey);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorAlreadyApproved.selector, id, UNION));
        governor.approve(id);
    }

    function test_propose_byNonGovernorReverts() external {
        _expectNotGovernor(platformOps);
        governor.propose(_targets, _calldatas, _DESCRIPTION);
        _expectNotGovernor(courtOps);
        governor.propose(_targets, _calldatas, _DESCRIPTION);
        _expectNotGovernor(outsider);
        governor.propose(_targets, _calldatas, _DESCRIPTION);
    }

    function test_approve_bySuspendedGovernorReverts() external {
        uint256 id = _propose();
        _govern(address(registry), abi.encodeCall(IConsortiumRegistry.suspendMember, (BRANCH_B)));
        _expectNotGovernor(branchBGov);
        governor.approve(id);
    }

    function test_propose_duplicateReverts() external {
        uint256 id = _propose();
        vm.prank(branchAGov);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExists.selector, id));
        governor.propose(_targets, _calldatas, _DESCRIPTION);
    }

    function test_propose_emptyOrMismatchedCallsRevert() external {
        address[] memory noTargets = new address[](0);
        bytes[] memory noCalls = new bytes[](0);
        vm.prank(unionGov);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorInvalidCalls.selector, 0, 0, 32));
        governor.propose(noTargets, noCalls, "empty");
        vm.prank(unionGov);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorInvalidCalls.selector, 1, 0, 32));
        governor.propose(_targets, noCalls, "mismatch");
    }

    function test_execute_bubblesTheTargetsCustomError() external {
        _calldatas[0] = abi.encodeCall(IConsortiumRegistry.suspendMember, (99));
        uint256 id = _propose();
        vm.prank(branchAGov);
        governor.approve(id);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownMember.selector, 99));
        _execute();
        assertFalse(governor.proposal(id).executed, "a failed execution is rolled back whole");
    }

    function test_setThreshold_onlyBySelf() external {
        vm.prank(unionOps);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, unionOps));
        governor.setThreshold(10_000);
        _govern(address(governor), abi.encodeCall(IConsortiumGovernor.setThreshold, (10_000)));
        assertEq(governor.thresholdBps(), 10_000, "unanimity");
        assertEq(governor.approvalsRequired(), 3, "all three");
    }

    function test_setThreshold_outOfRangeReverts() external {
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorThresholdOutOfRange.selector, 4_999));
        governor.setThreshold(4_999);
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorPeriodOutOfRange.selector, 59 minutes));
        governor.setApprovalPeriod(59 minutes);
    }

    function test_propose_refusesOperationsAndLogOperatorKeysOfGovernors() external {
        _expectWrongRole(unionOps, IConsortiumRegistry.AccountRole.Operations);
        governor.propose(_targets, _calldatas, _DESCRIPTION);
        _expectWrongRole(unionAnchor, IConsortiumRegistry.AccountRole.LogOperator);
        governor.propose(_targets, _calldatas, _DESCRIPTION);
    }

    function test_approveAndExecute_refuseNonGovernanceKeys() external {
        uint256 id = _propose();
        _expectWrongRole(branchBOps, IConsortiumRegistry.AccountRole.Operations);
        governor.approve(id);
        vm.prank(branchBGov);
        governor.approve(id);
        // executing is a governance act too: neither an operations key nor a stranger may do it
        bytes32 descriptionHash = keccak256(bytes(_DESCRIPTION));
        _expectWrongRole(unionAnchor, IConsortiumRegistry.AccountRole.LogOperator);
        governor.execute(_targets, _calldatas, descriptionHash);
        _expectNotGovernor(outsider);
        governor.execute(_targets, _calldatas, descriptionHash);
        _expectNotGovernor(courtOps);
        governor.execute(_targets, _calldatas, descriptionHash);
        assertTrue(registry.statusOf(PLATFORM) == IConsortiumRegistry.MemberStatus.Active, "nothing executed");
        _execute();
        assertTrue(registry.statusOf(PLATFORM) == IConsortiumRegistry.MemberStatus.Suspended, "the governance key executes");
    }

    /// @dev Any account of a governor member attached with a role other than Governance is
    /// refused in every governor entry point with its role in the error.
    function testFuzz_governorEntryPoints_refuseEveryOtherRole(uint256 keySeed, uint8 roleSeed, uint8 memberSeed) external {
        address key = account(string(abi.encode("fuzz key", keySeed)));
        IConsortiumRegistry.AccountRole role = roleSeed % 2 == 0
            ? IConsortiumRegistry.AccountRole.Operations
            : IConsortiumRegistry.AccountRole.LogOperator;
        uint32 memberId = [UNION, BRANCH_A, BRANCH_B][memberSeed % 3];
        vm.prank(address(governor));
        registry.addAccount(memberId, key, role);
        uint256 id = _propose();
        _expectWrongRole(key, role);
        governor.propose(_targets, _calldatas, "another");
        _expectWrongRole(key, role);
        governor.approve(id);
        _expectWrongRole(key, role);
        governor.execute(_targets, _calldatas, keccak256(bytes(_DESCRIPTION)));
    }

    function testFuzz_approvalsRequired_strictMajorityAtDefault(uint8 governorCount, uint8 others) external {
        uint256 governors = bound(governorCount, 1, 40);
        uint256 nonGovernors = bound(others, 0, 10);
        ConsortiumRegistry fresh = new ConsortiumRegistry();
        ConsortiumGovernor freshGovernor = new ConsortiumGovernor(fresh, 5_000, 7 days);
        IConsortiumRegistry.MemberInit[] memory founders = new IConsortiumRegistry.MemberInit[](governors + nonGovernors);
        for (uint256 i = 0; i < founders.length; ++i) {
            IConsortiumRegistry.MemberKind kind = i < governors
                ? (i == 0 ? IConsortiumRegistry.MemberKind.Union : IConsortiumRegistry.MemberKind.Branch)
                : IConsortiumRegistry.MemberKind.Platform;
            // cannot overflow: at most 50 members
            founders[i] = _init(uint32(i + 1), kind, 330100, "Member", _one(account(string(abi.encode(i)))));
        }
        fresh.bootstrap(address(freshGovernor), founders);
        assertEq(fresh.activeGovernorCount(), governors, "only union and branches govern");
        uint256 required = freshGovernor.approvalsRequired();
        assertTrue(required * 2 > governors, "more than half");
        assertTrue((required - 1) * 2 <= governors, "and no more than needed");
    }

    function test_governedFunctions_rejectEveryoneButTheGovernor() external {
        address[5] memory callers = [unionOps, branchAOps, platformOps, courtOps, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGoverned.ConsortiumNotGovernor.selector, callers[i], address(governor))
            );
            registry.suspendMember(PLATFORM);
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGoverned.ConsortiumNotGovernor.selector, callers[i], address(governor))
            );
            evidenceLog.openLog(keccak256("log"), UNION, unionAnchor);
        }
    }

    /// @dev The next call is by `caller`, and refused as made with a key of the wrong role.
    function _expectNotGovernor(address caller) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotGovernorMember.selector, caller));
    }

    function _expectWrongRole(address caller, IConsortiumRegistry.AccountRole role) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorWrongRole.selector, caller, role));
    }
}
