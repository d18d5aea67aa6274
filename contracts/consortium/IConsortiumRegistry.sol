// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "./IConsortiumGoverned.sol";

/// @title IConsortiumRegistry
/// @notice Who the consortium's members are: the provincial union (省联社), its legal-person
/// member banks ("branches", 法人行社), third-party lending platforms and courts. Each member has
/// a numeric id, a kind, a region code (GB/T 2260 administrative division, six digits), a public
/// institution name, one or more chain accounts and a status. Every change after the one-time
/// bootstrap goes through the consortium governor.
///
/// Each account has exactly one role, fixed when it is attached: a leaked key can act only in
/// its own role (an operations key cannot commit log heads or vote, a governance key cannot
/// submit evidence or write loans, the log operator's key can only commit heads). A key that
/// needs another role is detached and a different key attached.
interface IConsortiumRegistry is IConsortiumGoverned {
    /// @notice Member kinds. Union and Branch members govern (approve proposals).
    enum MemberKind {
        None,
        Union,
        Branch,
        Platform,
        Court
    }

    /// @notice Member status. A suspended member keeps its id and accounts but every contract
    /// treats it as inactive.
    enum MemberStatus {
        None,
        Active,
        Suspended
    }

    /// @notice What an account may do for its member; exactly one per account.
    /// Operations: submit evidence to the anchor intake, send ledger, dispute and evidence
    /// lifecycle transactions, sign node-to-node requests. LogOperator: commit evidence log
    /// heads and sign the anchor service's receipts. Governance: propose, approve and execute in
    /// the consortium governor (only useful for Union and Branch members).
    enum AccountRole {
        None,
        Operations,
        LogOperator,
        Governance
    }

    /// @notice A member as stored.
    struct Member {
        uint32 id;
        MemberKind kind;
        MemberStatus status;
        uint32 regionCode;
        string name;
    }

    /// @notice An account to attach and its role.
    struct AccountInit {
        address account;
        AccountRole role;
    }

    /// @notice What it takes to admit a member.
    struct MemberInit {
        uint32 id;
        MemberKind kind;
        uint32 regionCode;
        string name;
        AccountInit[] accounts;
    }

    /// @notice The bootstrap was already done; it is allowed once.
    error RegistryAlreadyBootstrapped();
    /// @notice Only the deployer may bootstrap.
    error RegistryNotBootstrapper(address caller, address bootstrapper);
    /// @notice The governor address must be a contract-sized non-zero address.
    error RegistryZeroGovernor();
    /// @notice Member id 0 is reserved for "no member".
    error RegistryInvalidMemberId(uint32 memberId);
    /// @notice A member with this id exists already.
    error RegistryMemberExists(uint32 memberId);
    /// @notice No member with this id.
    error RegistryUnknownMember(uint32 memberId);
    /// @notice `kind` is not Union, Branch, Platform or Court.
    error RegistryInvalidKind(MemberKind kind);
    /// @notice Region codes are six-digit GB/T 2260 codes (100000–999999).
    error RegistryInvalidRegion(uint32 regionCode);
    /// @notice Institution names are 1–128 bytes of UTF-8.
    error RegistryInvalidName(uint256 length);
    /// @notice A member needs at least one account, at most `max`.
    error RegistryInvalidAccountCount(uint256 count, uint256 max);
    /// @notice The zero address cannot be an account.
    error RegistryZeroAccount();
    /// @notice An account's role must be Operations, LogOperator or Governance.
    error RegistryInvalidRole(address account, AccountRole role);
    /// @notice Governance keys belong to members that govern (Union, Branch) only.
    error RegistryRoleNotForKind(address account, AccountRole role, MemberKind kind);
    /// @notice `account` already belongs to member `memberId`.
    error RegistryAccountTaken(address account, uint32 memberId);
    /// @notice `account` does not belong to member `memberId`.
    error RegistryAccountNotOfMember(address account, uint32 memberId);
    /// @notice Removing the last account of a member would lock it out.
    error RegistryLastAccount(uint32 memberId);
    /// @notice `blockNumber` is after the current block: its state is not decided yet.
    error RegistryFutureLookup(uint256 blockNumber, uint256 currentBlock);
    /// @notice The member already has status `status`.
    error RegistryStatusUnchanged(uint32 memberId, MemberStatus status);
    /// @notice Suspending the last active governor would leave nobody able to govern.
    error RegistryLastGovernor(uint32 memberId);
    /// @notice The deployer named the first evidence contracts already; later changes need governance.
    error RegistryEvidenceContractsSet(address evidenceLog, address evidenceRegistry);
    /// @notice The pair does not belong together: the log must read this registry and the
    /// lifecycle registry must belong to the log.
    error RegistryInvalidEvidenceContracts(address evidenceLog, address evidenceRegistry);

    /// @notice The governor was set (at bootstrap) or replaced (through governance).
    event GovernorChanged(address indexed previousGovernor, address indexed newGovernor);
    /// @notice A member was admitted.
    event MemberAdded(uint32 indexed memberId, MemberKind kind, uint32 regionCode, string name);
    /// @notice An account was attached to a member with its one role.
    event AccountAdded(uint32 indexed memberId, address indexed account, AccountRole role);
    /// @notice An account was detached from a member.
    event AccountRemoved(uint32 indexed memberId, address indexed account);
    /// @notice A member's status changed (suspended or reinstated).
    event MemberStatusChanged(uint32 indexed memberId, MemberStatus previousStatus, MemberStatus newStatus);
    /// @notice A member's region code changed.
    event MemberRegionChanged(uint32 indexed memberId, uint32 previousRegion, uint32 newRegion);
    /// @notice The consortium's official evidence contracts were named (part of its trust anchor).
    event EvidenceContractsChanged(address indexed evidenceLog, address indexed evidenceRegistry);
    /// @notice A governed parameter changed.
    event ParameterChanged(bytes32 indexed key, uint256 previousValue, uint256 newValue);

    /// @notice One-time, deployer-only: set the governor and admit the founding members.
    function bootstrap(address governor_, MemberInit[] calldata founders) external;

    /// @notice Admit a member (governor only).
    function addMember(MemberInit calldata init) external;

    /// @notice Attach `account` to `memberId` with `role` (governor only).
    function addAccount(uint32 memberId, address account, AccountRole role) external;

    /// @notice Detach `account` from `memberId` (governor only); the last account cannot go.
    function removeAccount(uint32 memberId, address account) external;

    /// @notice Suspend a member (governor only): its accounts stop counting as active.
    function suspendMember(uint32 memberId) external;

    /// @notice Reinstate a suspended member (governor only).
    function reinstateMember(uint32 memberId) external;

    /// @notice Change a member's region code (governor only).
    function setRegion(uint32 memberId, uint32 regionCode) external;

    /// @notice Replace the governor (governor only).
    function setGovernor(address newGovernor) external;

    /// @notice Deployer only, once: name the official EvidenceLog and EvidenceRegistry, which are
    /// deployed after this registry. Later changes go through {setEvidenceContracts}.
    function bootstrapEvidenceContracts(address evidenceLog, address evidenceRegistry) external;

    /// @notice Name the consortium's official EvidenceLog and EvidenceRegistry (governor only). A
    /// verifier holding only this registry's address reads them here: evidence anchored in any
    /// other contract is not the consortium's, whatever registry that contract claims to use.
    function setEvidenceContracts(address evidenceLog, address evidenceRegistry) external;

    /// @notice The consortium's official EvidenceLog and EvidenceRegistry (zero until named).
    function evidenceContracts() external view returns (address evidenceLog, address evidenceRegistry);

    /// @notice Set a governed parameter (governor only); services read them by key, for example
    /// keccak256("anchor.intake.recordsPerSecond").
    function setParameter(bytes32 key, uint256 value) external;

    /// @notice A governed parameter's value (0 if never set).
    function parameter(bytes32 key) external view returns (uint256);

    /// @notice The consortium governor, the only address allowed to change consortium parameters.
    function governor() external view returns (address);

    /// @notice Whether `account` belongs to a member whose status is Active.
    function isActiveMember(address account) external view returns (bool);

    /// @notice The member id `account` belongs to, or 0 if none.
    function memberOf(address account) external view returns (uint32);

    /// @notice The member `account` belongs to and its status, in one call (0 and None if none).
    function memberStatusOf(address account) external view returns (uint32 memberId, MemberStatus status);

    /// @notice The role of `account` (None if it belongs to no member).
    function roleOf(address account) external view returns (AccountRole);

    /// @notice The member `account` belongs to, the member's status and the account's role, in
    /// one call (0, None, None if none): what a contract checks before acting for a caller.
    function accountOf(address account) external view returns (uint32 memberId, MemberStatus status, AccountRole role);

    /// @notice Kind, status and region of `memberId` in one call (None, None, 0 if unknown).
    function profileOf(uint32 memberId) external view returns (MemberKind kind, MemberStatus status, uint32 regionCode);

    /// @notice The member with id `memberId`; reverts with RegistryUnknownMember if none.
    function member(uint32 memberId) external view returns (Member memory);

    /// @notice The kind of member `memberId` (None if unknown).
    function kindOf(uint32 memberId) external view returns (MemberKind);

    /// @notice The region code of member `memberId` (0 if unknown).
    function regionOf(uint32 memberId) external view returns (uint32);

    /// @notice The status of member `memberId` (None if unknown).
    function statusOf(uint32 memberId) external view returns (MemberStatus);

    /// @notice The accounts of member `memberId`.
    function accountsOf(uint32 memberId) external view returns (address[] memory);

    /// @notice All member ids in admission order.
    function memberIds() external view returns (uint32[] memory);

    /// @notice Whether `memberId` is an active Union or Branch member (may approve proposals).
    function isGovernorMember(uint32 memberId) external view returns (bool);

    /// @notice How many members currently count as governors.
    function activeGovernorCount() external view returns (uint256);

    /// @notice The status member `memberId` had at the end of block `blockNumber` (None if it was
    /// not a member yet), answered from current state: every status change is checkpointed by
    /// block, so a node that keeps no historical state answers as well as an archive node.
    /// Reverts with RegistryFutureLookup for a block after the current one.
    function statusAt(uint32 memberId, uint256 blockNumber) external view returns (MemberStatus);

    /// @notice What {accountOf} said at the end of block `blockNumber`: the member `account`
    /// belonged to then, that member's status then and the account's role then (0, None, None if
    /// it belonged to no member). Checkpointed like {statusAt}; RegistryFutureLookup likewise.
    function accountAt(address account, uint256 blockNumber)
        external
        view
        returns (uint32 memberId, MemberStatus status, AccountRole role);

    /// @notice The official EvidenceLog and EvidenceRegistry at the end of block `blockNumber`
    /// (zero before they were named). Checkpointed like {statusAt}; RegistryFutureLookup likewise.
    function evidenceContractsAt(uint256 blockNumber)
        external
        view
        returns (address evidenceLog, address evidenceRegistry);
}
