// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGovernor} from "../../consortium/ConsortiumGovernor.sol";
import {ConsortiumRegistry} from "../../consortium/ConsortiumRegistry.sol";
import {IConsortiumRegistry} from "../../consortium/IConsortiumRegistry.sol";
import {EvidenceLog} from "../../evidence/EvidenceLog.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {TestBase} from "./TestBase.sol";

/// @notice A demo consortium: the union (1, Zhejiang 330000), two branches in different
/// counties (2: 330102, 3: 330681), a platform (4) and a court (5). Union and branches govern.
/// Every key has one role: `*Ops` are operations keys, `*Gov` governance keys, `unionAnchor` the
/// union's log operator.
abstract contract ConsortiumFixture is TestBase {
    uint32 internal constant UNION = 1;
    uint32 internal constant BRANCH_A = 2;
    uint32 internal constant BRANCH_B = 3;
    uint32 internal constant PLATFORM = 4;
    uint32 internal constant COURT = 5;

    address internal unionOps = account("union.ops");
    address internal unionAnchor = account("union.anchor");
    address internal unionGov = account("union.gov");
    address internal branchAOps = account("branchA.ops");
    address internal branchAGov = account("branchA.gov");
    address internal branchBOps = account("branchB.ops");
    address internal branchBGov = account("branchB.gov");
    address internal platformOps = account("platform.ops");
    address internal courtOps = account("court.ops");
    address internal outsider = account("outsider");

    ConsortiumRegistry internal registry;
    ConsortiumGovernor internal governor;
    EvidenceLog internal evidenceLog;
    EvidenceRegistry internal evidenceRegistry;

    function setUp() public virtual {
        registry = new ConsortiumRegistry();
        governor = new ConsortiumGovernor(registry, 5_000, 7 days);
        evidenceLog = new EvidenceLog(registry);
        evidenceRegistry = new EvidenceRegistry(registry, evidenceLog);
        registry.bootstrap(address(governor), _founders());
    }

    function _founders() internal view returns (IConsortiumRegistry.MemberInit[] memory founders) {
        founders = new IConsortiumRegistry.MemberInit[](5);
        IConsortiumRegistry.AccountInit[] memory unionAccounts = new IConsortiumRegistry.AccountInit[](3);
        unionAccounts[0] = IConsortiumRegistry.AccountInit(unionOps, IConsortiumRegistry.AccountRole.Operations);
        unionAccounts[1] = IConsortiumRegistry.AccountInit(unionAnchor, IConsortiumRegistry.AccountRole.LogOperator);
        unionAccounts[2] = IConsortiumRegistry.AccountInit(unionGov, IConsortiumRegistry.AccountRole.Governance);
        founders[0] = _init(UNION, IConsortiumRegistry.MemberKind.Union, 330000, "Provincial Rural Credit Union", unionAccounts);
        founders[1] = _init(BRANCH_A, IConsortiumRegistry.MemberKind.Branch, 330102, "Shangcheng Rural Bank", _opsAndGov(branchAOps, branchAGov));
        founders[2] = _init(BRANCH_B, IConsortiumRegistry.MemberKind.Branch, 330681, "Zhuji Rural Bank", _opsAndGov(branchBOps, branchBGov));
        founders[3] = _init(PLATFORM, IConsortiumRegistry.MemberKind.Platform, 330106, "Example Lending Platform", _one(platformOps));
        founders[4] = _init(COURT, IConsortiumRegistry.MemberKind.Court, 330100, "Hangzhou Internet Court", _one(courtOps));
    }

    function _init(
        uint32 id,
        IConsortiumRegistry.MemberKind kind,
        uint32 region,
        string memory name,
        IConsortiumRegistry.AccountInit[] memory accounts
    ) internal pure returns (IConsortiumRegistry.MemberInit memory) {
        return IConsortiumRegistry.MemberInit({id: id, kind: kind, regionCode: region, name: name, accounts: accounts});
    }

    /// @dev One operations account.
    function _one(address a) internal pure returns (IConsortiumRegistry.AccountInit[] memory accounts) {
        return _one(a, IConsortiumRegistry.AccountRole.Operations);
    }

    function _one(address a, IConsortiumRegistry.AccountRole role)
        internal
        pure
        returns (IConsortiumRegistry.AccountInit[] memory accounts)
    {
        accounts = new IConsortiumRegistry.AccountInit[](1);
        accounts[0] = IConsortiumRegistry.AccountInit(a, role);
    }

    function _opsAndGov(address ops, address gov) internal pure returns (IConsortiumRegistry.AccountInit[] memory accounts) {
        accounts = new IConsortiumRegistry.AccountInit[](2);
        accounts[0] = IConsortiumRegistry.AccountInit(ops, IConsortiumRegistry.AccountRole.Operations);
        accounts[1] = IConsortiumRegistry.AccountInit(gov, IConsortiumRegistry.AccountRole.Governance);
    }

    /// @dev Pass one call through governance with the union and branch A approving (2 of 3),
    /// each through its governance key.
    function _govern(address target, bytes memory data) internal {
        _govern(target, data, string(abi.encodePacked("proposal ", _nextNonce())));
    }

    function _govern(address target, bytes memory data, string memory description) internal {
        address[] memory targets = new address[](1);
        targets[0] = target;
        bytes[] memory calldatas = new bytes[](1);
        calldatas[0] = data;
        vm.prank(unionGov);
        governor.propose(targets, calldatas, description);
        uint256 id = governor.hashProposal(targets, calldatas, keccak256(bytes(description)));
        vm.prank(branchAGov);
        governor.approve(id);
        vm.prank(unionGov);
        governor.execute(targets, calldatas, keccak256(bytes(description)));
    }

    uint256 private _nonce;

    function _nextNonce() private returns (bytes32) {
        return bytes32(++_nonce);
    }
}
