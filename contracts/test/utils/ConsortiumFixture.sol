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
abstract contract ConsortiumFixture is TestBase {
    uint32 internal constant UNION = 1;
    uint32 internal constant BRANCH_A = 2;
    uint32 internal constant BRANCH_B = 3;
    uint32 internal constant PLATFORM = 4;
    uint32 internal constant COURT = 5;

    address internal unionOps = account("union.ops");
    address internal unionAnchor = account("union.anchor");
    address internal branchAOps = account("branchA.ops");
    address internal branchBOps = account("branchB.ops");
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
        address[] memory unionAccounts = new address[](2);
        unionAccounts[0] = unionOps;
        unionAccounts[1] = unionAnchor;
        founders[0] = _init(UNION, IConsortiumRegistry.MemberKind.Union, 330000, "Provincial Rural Credit Union", unionAccounts);
        founders[1] = _init(BRANCH_A, IConsortiumRegistry.MemberKind.Branch, 330102, "Shangcheng Rural Bank", _one(branchAOps));
        founders[2] = _init(BRANCH_B, IConsortiumRegistry.MemberKind.Branch, 330681, "Zhuji Rural Bank", _one(branchBOps));
        founders[3] = _init(PLATFORM, IConsortiumRegistry.MemberKind.Platform, 330106, "Example Lending Platform", _one(platformOps));
        founders[4] = _init(COURT, IConsortiumRegistry.MemberKind.Court, 330100, "Hangzhou Internet Court", _one(courtOps));
    }

    function _init(uint32 id, IConsortiumRegistry.MemberKind kind, uint32 region, string memory name, address[] memory accounts)
        internal
        pure
        returns (IConsortiumRegistry.MemberInit memory)
    {
        return IConsortiumRegistry.MemberInit({id: id, kind: kind, regionCode: region, name: name, accounts: accounts});
    }

    function _one(address a) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = a;
    }

    /// @dev Pass one call through governance with the union and branch A approving (2 of 3).
    function _govern(address target, bytes memory data) internal {
        _govern(target, data, string(abi.encodePacked("proposal ", _nextNonce())));
    }

    function _govern(address target, bytes memory data, string memory description) internal {
        address[] memory targets = new address[](1);
        targets[0] = target;
        bytes[] memory calldatas = new bytes[](1);
        calldatas[0] = data;
        vm.prank(unionOps);
        governor.propose(targets, calldatas, description);
        uint256 id = governor.hashProposal(targets, calldatas, keccak256(bytes(description)));
        vm.prank(branchAOps);
        governor.approve(id);
        governor.execute(targets, calldatas, keccak256(bytes(description)));
    }

    uint256 private _nonce;

    function _nextNonce() private returns (bytes32) {
        return bytes32(++_nonce);
    }
}
