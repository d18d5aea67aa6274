// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @dev The two views a registry needs to check that an evidence pair belongs together.
interface IEvidencePair {
    function registry() external view returns (address);
    function evidenceLog() external view returns (address);
}

/// @title ConsortiumRegistry
/// @notice Members of the JointLedger consortium. See {IConsortiumRegistry}.
contract ConsortiumRegistry is IConsortiumRegistry {
    using Checkpoints for Checkpoints.Trace208;
    /// @dev Accounts per member are few (operations keys, anchor service, keepers); the bound
    /// keeps `accountsOf` and account removal cheap.
    uint256 public constant MAX_ACCOUNTS_PER_MEMBER = 16;
    uint256 private constant _MAX_NAME_BYTES = 128;

    /// @dev Member and role of one account, and a copy of its member's status (kept equal to
    /// `_members[memberId].status` by {_setStatus}): one storage slot, so the caller check every
    /// contract makes on its hot path ({accountOf}) is a single read.
    struct AccountEntry {
        uint32 memberId;
        AccountRole role;
        MemberStatus memberStatus;
    }

    address private immutable _bootstrapper;
    bool private _bootstrapped;
    address private _governor;

    mapping(uint32 memberId => Member) private _members;
    mapping(uint32 memberId => address[]) private _accounts;
    mapping(address account => AccountEntry) private _accountEntries;
    uint32[] private _memberIds;
    uint256 private _activeGovernors;
    address private _evidenceLog;
    address private _evidenceRegistry;
    mapping(bytes32 key => uint256) private _parameters;
    /// @dev History by block number (as ERC20Votes keeps voting power), so "was this member
    /// active at block N" needs no historical state: each member's status; each account's member
    /// id and role, packed as memberId << 8 | role (0 once detached); the official evidence pair.
    mapping(uint32 memberId => Checkpoints.Trace208) private _statusHistory;
    mapping(address account => Checkpoints.Trace208) private _accountHistory;
    Checkpoints.Trace208 private _evidenceLogHistory;
    Checkpoints.Trace208 private _evidenceRegistryHistory;

    modifier onlyGovernor() {
        if (msg.sender != _governor) revert ConsortiumNotGovernor(msg.sender, _governor);
        _;
    }

    constructor() {
        _bootstrapper = msg.sender;
    }

    /// @inheritdoc IConsortiumRegistry
    function bootstrap(address governor_, MemberInit[] calldata founders) external {
        if (_bootstrapped) revert RegistryAlreadyBootstrapped();
        if (msg.sender != _bootstrapper) revert RegistryNotBootstrapper(msg.sender, _bootstrapper);
        if (governor_ == address(0)) revert RegistryZeroGovernor();
        _bootstrapped = true;
        _setGovernor(governor_);
        uint256 count = founders.length;
        for (uint256 i = 0; i < count; ++i) {
            _addMember(founders[i]);
        }
    }

    /// @inheritdoc IConsortiumRegistry
    function addMember(MemberInit calldata init) external onlyGovernor {
        _addMember(init);
    }

    /// @inheritdoc IConsortiumRegistry
    function addAccount(uint32 memberId, address account, AccountRole role) external onlyGovernor {
        Member storage m = _requireMember(memberId);
        if (_accounts[memberId].length >= MAX_ACCOUNTS_PER_MEMBER) {
            revert RegistryInvalidAccountCount(_accounts[memberId].length + 1, MAX_ACCOUNTS_PER_MEMBER);
        }
        _attach(m, AccountInit({account: account, role: role}));
    }

    /// @inheritdoc IConsortiumRegistry
    function removeAccount(uint32 memberId, address account) external onlyGovernor {
        _requireMember(memberId);
        if (_accountEntries[account].memberId != memberId) revert RegistryAccountNotOfMember(account, memberId);
        address[] storage accounts = _accounts[memberId];
        uint256 count = accounts.length;
        if (count == 1) revert RegistryLastAccount(memberId);
        for (uint256 i = 0; i < count; ++i) {
            if (accounts[i] == account) {
                // order is not meaningful: swap with the last and pop
                accounts[i] = accounts[count - 1];
                accounts.pop();
                break;
            }
        }
        delete _accountEntries[account];
        _accountHistory[account].push(_clock(), 0);
        emit AccountRemoved(memberId, account);
    }

    /// @inheritdoc IConsortiumRegistry
    function suspendMember(uint32 memberId) external onlyGovernor {
        Member storage m = _requireMember(memberId);
        if (m.status == MemberStatus.Suspended) revert RegistryStatusUnchanged(memberId, MemberStatus.Suspended);
        if (_isGoverning(m)) {
            // the consortium must never lose its last governor, or nobody could reinstate anyone
            if (_activeGovernors == 1) revert RegistryLastGovernor(memberId);
            --_activeGovernors;
        }
        _setStatus(memberId, m, MemberStatus.Suspended);
        emit MemberStatusChanged(memberId, MemberStatus.Active, MemberStatus.Suspended);
    }

    /// @inheritdoc IConsortiumRegistry
    function reinstateMember(uint32 memberId) external onlyGovernor {
        Member storage m = _requireMember(memberId);
        if (m.status == MemberStatus.Active) revert RegistryStatusUnchanged(memberId, MemberStatus.Active);
        _setStatus(memberId, m, MemberStatus.Active);
        if (_isGoverning(m)) ++_activeGovernors;
        emit MemberStatusChanged(memberId, MemberStatus.Suspended, MemberStatus.Active);
    }

    /// @inheritdoc IConsortiumRegistry
    function setRegion(uint32 memberId, uint32 regionCode) external onlyGovernor {
        Member storage m = _requireMember(memberId);
        _checkRegion(regionCode);
        uint32 previous = m.regionCode;
        m.regionCode = regionCode;
        emit MemberRegionChanged(memberId, previous, regionCode);
    }

    /// @inheritdoc IConsortiumRegistry
    function setGovernor(address newGovernor) external onlyGovernor {
        if (newGovernor == address(0)) revert RegistryZeroGovernor();
        _setGovernor(newGovernor);
    }

    /// @inheritdoc IConsortiumRegistry
    function bootstrapEvidenceContracts(address evidenceLog, address evidenceRegistry) external {
        if (msg.sender != _bootstrapper) revert RegistryNotBootstrapper(msg.sender, _bootstrapper);
        if (_evidenceLog != address(0)) revert RegistryEvidenceContractsSet(_evidenceLog, _evidenceRegistry);
        _setEvidenceContracts(evidenceLog, evidenceRegistry);
    }

    /// @inheritdoc IConsortiumRegistry
    function setEvidenceContracts(address evidenceLog, address evidenceRegistry) external onlyGovernor {
        _setEvidenceContracts(evidenceLog, evidenceRegistry);
    }

    /// @inheritdoc IConsortiumRegistry
    function evidenceContracts() external view returns (address evidenceLog, address evidenceRegistry) {
        return (_evidenceLog, _evidenceRegistry);
    }

    /// @inheritdoc IConsortiumRegistry
    function setParameter(bytes32 key, uint256 value) external onlyGovernor {
        uint256 previous = _parameters[key];
        _parameters[key] = value;
        emit ParameterChanged(key, previous, value);
    }

    /// @inheritdoc IConsortiumRegistry
    function parameter(bytes32 key) external view returns (uint256) {
        return _parameters[key];
    }

    /// @inheritdoc IConsortiumRegistry
    function governor() external view returns (address) {
        return _governor;
    }

    /// @inheritdoc IConsortiumRegistry
    function isActiveMember(address account) external view returns (bool) {
        uint32 memberId = _accountEntries[account].memberId;
        return memberId != 0 && _members[memberId].status == MemberStatus.Active;
    }

    /// @inheritdoc IConsortiumRegistry
    function memberOf(address account) external view returns (uint32) {
        return _accountEntries[account].memberId;
    }

    /// @inheritdoc IConsortiumRegistry
    function memberStatusOf(address account) external view returns (uint32 memberId, MemberStatus status) {
        memberId = _accountEntries[account].memberId;
        status = _members[memberId].status;
    }

    /// @inheritdoc IConsortiumRegistry
    function roleOf(address account) external view returns (AccountRole) {
        return _accountEntries[account].role;
    }

    /// @inheritdoc IConsortiumRegistry
    function accountOf(address account) external view returns (uint32 memberId, MemberStatus status, AccountRole role) {
        AccountEntry storage entry = _accountEntries[account];
        (memberId, status, role) = (entry.memberId, entry.memberStatus, entry.role);
    }

    /// @inheritdoc IConsortiumRegistry
    function profileOf(uint32 memberId) external view returns (MemberKind kind, MemberStatus status, uint32 regionCode) {
        Member storage m = _members[memberId];
        return (m.kind, m.status, m.regionCode);
    }

    /// @inheritdoc IConsortiumRegistry
    function member(uint32 memberId) external view returns (Member memory) {
        return _requireMember(memberId);
    }

    /// @inheritdoc IConsortiumRegistry
    function kindOf(uint32 memberId) external view returns (MemberKind) {
        return _members[memberId].kind;
    }

    /// @inheritdoc IConsortiumRegistry
    function regionOf(uint32 memberId) external view returns (uint32) {
        return _members[memberId].regionCode;
    }

    /// @inheritdoc IConsortiumRegistry
    function statusOf(uint32 memberId) external view returns (MemberStatus) {
        return _members[memberId].status;
    }

    /// @inheritdoc IConsortiumRegistry
    function accountsOf(uint32 memberId) external view returns (address[] memory) {
        return _accounts[memberId];
    }

    /// @inheritdoc IConsortiumRegistry
    function memberIds() external view returns (uint32[] memory) {
        return _memberIds;
    }

    /// @inheritdoc IConsortiumRegistry
    function isGovernorMember(uint32 memberId) external view returns (bool) {
        Member storage m = _members[memberId];
        return m.status == MemberStatus.Active && _isGoverning(m);
    }

    /// @inheritdoc IConsortiumRegistry
    function activeGovernorCount() external view returns (uint256) {
        return _activeGovernors;
    }

    /// @inheritdoc IConsortiumRegistry
    function statusAt(uint32 memberId, uint256 blockNumber) external view returns (MemberStatus) {
        return MemberStatus(_statusHistory[memberId].upperLookupRecent(_past(blockNumber)));
    }

    /// @inheritdoc IConsortiumRegistry
    function accountAt(address account, uint256 blockNumber)
        external
        view
        returns (uint32 memberId, MemberStatus status, AccountRole role)
    {
        uint48 at = _past(blockNumber);
        uint208 packed = _accountHistory[account].upperLookupRecent(at);
        memberId = uint32(packed >> 8);
        role = AccountRole(uint8(packed));
        status = MemberStatus(_statusHistory[memberId].upperLookupRecent(at));
    }

    /// @inheritdoc IConsortiumRegistry
    function evidenceContractsAt(uint256 blockNumber)
        external
        view
        returns (address evidenceLog, address evidenceRegistry)
    {
        uint48 at = _past(blockNumber);
        evidenceLog = address(uint160(_evidenceLogHistory.upperLookupRecent(at)));
        evidenceRegistry = address(uint160(_evidenceRegistryHistory.upperLookupRecent(at)));
    }

    /// @notice 1.3.0: members, kinds, regions, accounts with one role each, suspension;
    /// official evidence contracts and governed parameters; status, account and evidence-pair
    /// history by block.
    function version() external pure returns (string memory) {
        return "1.3.0";
    }

    function _addMember(MemberInit calldata init) private {
        _checkNewMember(init);
        Member storage m = _members[init.id];
        m.id = init.id;
        m.kind = init.kind;
        m.status = MemberStatus.Active;
        m.regionCode = init.regionCode;
        m.name = init.name;
        _statusHistory[init.id].push(_clock(), uint208(uint8(MemberStatus.Active)));
        _memberIds.push(init.id);
        if (_isGoverning(m)) ++_activeGovernors;
        emit MemberAdded(init.id, init.kind, init.regionCode, init.name);
        uint256 count = init.accounts.length;
        for (uint256 i = 0; i < count; ++i) {
            _attach(m, init.accounts[i]);
        }
    }

    function _checkNewMember(MemberInit calldata init) private view {
        if (init.id == 0) revert RegistryInvalidMemberId(init.id);
        if (_members[init.id].status != MemberStatus.None) revert RegistryMemberExists(init.id);
        if (init.kind == MemberKind.None) revert RegistryInvalidKind(init.kind);
        _checkRegion(init.regionCode);
        uint256 nameLength = bytes(init.name).length;
        if (nameLength == 0 || nameLength > _MAX_NAME_BYTES) revert RegistryInvalidName(nameLength);
        uint256 accountCount = init.accounts.length;
        if (accountCount == 0 || accountCount > MAX_ACCOUNTS_PER_MEMBER) {
            revert RegistryInvalidAccountCount(accountCount, MAX_ACCOUNTS_PER_MEMBER);
        }
    }

    function _attach(Member storage m, AccountInit memory init) private {
        address account = init.account;
        AccountRole role = init.role;
        if (account == address(0)) revert RegistryZeroAccount();
        uint32 owner = _accountEntries[account].memberId;
        if (owner != 0) revert RegistryAccountTaken(account, owner);
        if (role == AccountRole.None) revert RegistryInvalidRole(account, role);
        // a governance key of a member that cannot govern could never vote: a misconfiguration
        if (role == AccountRole.Governance && !_isGoverning(m)) revert RegistryRoleNotForKind(account, role, m.kind);
        uint32 memberId = m.id;
        _accountEntries[account] = AccountEntry({memberId: memberId, role: role, memberStatus: m.status});
        _accountHistory[account].push(_clock(), (uint208(memberId) << 8) | uint8(role));
        _accounts[memberId].push(account);
        emit AccountAdded(memberId, account, role);
    }

    function _setEvidenceContracts(address evidenceLog, address evidenceRegistry) private {
        // a pair that does not belong together (or is not a contract) would make every verdict fail
        if (!_belongTogether(evidenceLog, evidenceRegistry)) {
            revert RegistryInvalidEvidenceContracts(evidenceLog, evidenceRegistry);
        }
        _evidenceLog = evidenceLog;
        _evidenceRegistry = evidenceRegistry;
        uint48 at = _clock();
        _evidenceLogHistory.push(at, uint160(evidenceLog));
        _evidenceRegistryHistory.push(at, uint160(evidenceRegistry));
        emit EvidenceContractsChanged(evidenceLog, evidenceRegistry);
    }

    /// @dev A contract without the view (a swapped pair, say) answers false, not a bare revert.
    function _belongTogether(address evidenceLog, address evidenceRegistry) private view returns (bool) {
        if (evidenceLog.code.length == 0 || evidenceRegistry.code.length == 0) return false;
        try IEvidencePair(evidenceLog).registry() returns (address logsRegistry) {
            if (logsRegistry != address(this)) return false;
        } catch {
            return false;
        }
        try IEvidencePair(evidenceRegistry).evidenceLog() returns (address registrysLog) {
            return registrysLog == evidenceLog;
        } catch {
            return false;
        }
    }

    /// @dev The member's status and its copy in each of its accounts (at most 16) change together.
    function _setStatus(uint32 memberId, Member storage m, MemberStatus status) private {
        m.status = status;
        _statusHistory[memberId].push(_clock(), uint208(uint8(status)));
        address[] storage accounts = _accounts[memberId];
        uint256 count = accounts.length;
        for (uint256 i = 0; i < count; ++i) {
            _accountEntries[accounts[i]].memberStatus = status;
        }
    }

    function _setGovernor(address newGovernor) private {
        address previous = _governor;
        _governor = newGovernor;
        emit GovernorChanged(previous, newGovernor);
    }

    function _requireMember(uint32 memberId) private view returns (Member storage m) {
        m = _members[memberId];
        if (m.status == MemberStatus.None) revert RegistryUnknownMember(memberId);
    }

    /// @dev Checkpoints are keyed by block number; two changes in one block share one checkpoint.
    function _clock() private view returns (uint48) {
        return SafeCast.toUint48(block.number);
    }

    /// @dev A lookup key: blocks up to the current one (a later block's state is not decided).
    function _past(uint256 blockNumber) private view returns (uint48) {
        if (blockNumber > block.number) revert RegistryFutureLookup(blockNumber, block.number);
        return uint48(blockNumber);
    }

    function _checkRegion(uint32 regionCode) private pure {
        if (regionCode < 100_000 || regionCode > 999_999) revert RegistryInvalidRegion(regionCode);
    }

    function _isGoverning(Member storage m) private view returns (bool) {
        return m.kind == MemberKind.Union || m.kind == MemberKind.Branch;
    }
}
