// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConsortiumGoverned} from "../consortium/ConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";
import {EvidenceLeaf} from "../libraries/EvidenceLeaf.sol";
import {MerkleLog} from "../libraries/MerkleLog.sol";
import {IEvidenceLog} from "./IEvidenceLog.sol";
import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";

/// @title EvidenceRegistry
/// @notice Append-only lifecycle records and endorsements of anchored evidence.
/// See {IEvidenceRegistry}.
contract EvidenceRegistry is ConsortiumGoverned, IEvidenceRegistry {
    IEvidenceLog private immutable _evidenceLog;

    mapping(bytes32 leafHash => EvidenceStatus) private _status;
    mapping(bytes32 leafHash => LifecycleRecord[]) private _records;
    mapping(bytes32 leafHash => uint32[]) private _endorsers;
    mapping(bytes32 leafHash => mapping(uint32 memberId => bool)) private _endorsed;

    constructor(IConsortiumRegistry registry_, IEvidenceLog evidenceLog_) ConsortiumGoverned(registry_) {
        _evidenceLog = evidenceLog_;
    }

    /// @notice The evidence log whose heads registration proofs are checked against.
    function evidenceLog() external view returns (IEvidenceLog) {
        return _evidenceLog;
    }

    /// @inheritdoc IEvidenceRegistry
    function register(bytes calldata leaf, bytes32 logId, uint256 treeSize, uint256 leafIndex, bytes32[] calldata proof)
        external
        returns (bytes32 leafHash)
    {
        EvidenceLeaf.Record memory record = EvidenceLeaf.decode(leaf);
        leafHash = MerkleLog.hashLeaf(leaf);
        _checkRegistrant(leafHash, record.submitter);
        if (_status[leafHash].state != EvidenceState.Unknown) revert EvidenceRegistryAlreadyRegistered(leafHash);
        if (!_evidenceLog.verifyInclusion(logId, treeSize, leafIndex, leafHash, proof)) {
            revert EvidenceRegistryNotIncluded(logId, treeSize, leafIndex, leafHash);
        }
        EvidenceStatus storage s = _status[leafHash];
        s.state = EvidenceState.Active;
        s.submitter = record.submitter;
        s.kind = record.kind;
        s.registeredAt = uint64(block.timestamp);
        s.logId = logId;
        // cannot truncate: leafIndex < treeSize, and committed tree sizes fit in 64 bits
        s.leafIndex = uint64(leafIndex);
        _append(leafHash, s, LifecycleAction.Registered, 0, record.submitter, bytes32(0));
        emit EvidenceRegistered(leafHash, record.submitter, record.kind, record.subject, logId, leafIndex);
    }

    /// @inheritdoc IEvidenceRegistry
    function revoke(bytes32 leafHash, uint16 reasonCode) external {
        (EvidenceStatus storage s, uint32 memberId) = _checkAlterable(leafHash, reasonCode);
        s.state = EvidenceState.Revoked;
        _append(leafHash, s, LifecycleAction.Revoked, reasonCode, memberId, bytes32(0));
        emit EvidenceRevoked(leafHash, memberId, reasonCode);
    }

    /// @inheritdoc IEvidenceRegistry
    function supersede(bytes32 leafHash, bytes32 replacement, uint16 reasonCode) external {
        (EvidenceStatus storage s, uint32 memberId) = _checkAlterable(leafHash, reasonCode);
        if (replacement == leafHash || _status[replacement].state != EvidenceState.Active) {
            revert EvidenceRegistryBadReplacement(leafHash, replacement);
        }
        s.state = EvidenceState.Superseded;
        s.replacement = replacement;
        _append(leafHash, s, LifecycleAction.Superseded, reasonCode, memberId, replacement);
        emit EvidenceSuperseded(leafHash, replacement, memberId, reasonCode);
    }

    /// @inheritdoc IEvidenceRegistry
    function placeLegalHold(bytes32 leafHash, uint16 reasonCode) external {
        (EvidenceStatus storage s, uint32 memberId) = _checkCourtAction(leafHash, reasonCode);
        if (s.legalHold) revert EvidenceRegistryAlreadyOnHold(leafHash);
        s.legalHold = true;
        _append(leafHash, s, LifecycleAction.LegalHoldPlaced, reasonCode, memberId, bytes32(0));
        emit LegalHoldPlaced(leafHash, memberId, reasonCode);
    }

    /// @inheritdoc IEvidenceRegistry
    function releaseLegalHold(bytes32 leafHash, uint16 reasonCode) external {
        (EvidenceStatus storage s, uint32 memberId) = _checkCourtAction(leafHash, reasonCode);
        if (!s.legalHold) revert EvidenceRegistryNoLegalHold(leafHash);
        s.legalHold = false;
        _append(leafHash, s, LifecycleAction.LegalHoldReleased, reasonCode, memberId, bytes32(0));
        emit LegalHoldReleased(leafHash, memberId, reasonCode);
    }

    /// @inheritdoc IEvidenceRegistry
    function endorse(bytes32 leafHash) external {
        EvidenceStatus storage s = _requireEvidence(leafHash);
        uint32 memberId = _requireActiveMember();
        if (s.state != EvidenceState.Active) revert EvidenceRegistryNotActive(leafHash, s.state);
        if (memberId == s.submitter) revert EvidenceRegistrySelfEndorsement(leafHash, memberId);
        if (_endorsed[leafHash][memberId]) revert EvidenceRegistryAlreadyEndorsed(leafHash, memberId);
        _endorsed[leafHash][memberId] = true;
        _endorsers[leafHash].push(memberId);
        ++s.endorsements;
        emit EvidenceEndorsed(leafHash, memberId);
    }

    /// @inheritdoc IEvidenceRegistry
    function status(bytes32 leafHash) external view returns (EvidenceStatus memory) {
        return _status[leafHash];
    }

    /// @inheritdoc IEvidenceRegistry
    function records(bytes32 leafHash) external view returns (LifecycleRecord[] memory) {
        return _records[leafHash];
    }

    /// @inheritdoc IEvidenceRegistry
    function endorsers(bytes32 leafHash) external view returns (uint32[] memory) {
        return _endorsers[leafHash];
    }

    /// @notice 1.1.0: registration by proof (submitter or court), revoke, supersede, legal hold,
    /// endorsements; operations accounts only.
    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    function _append(
        bytes32 leafHash,
        EvidenceStatus storage s,
        LifecycleAction action,
        uint16 reasonCode,
        uint32 byMember,
        bytes32 replacement
    ) private {
        _records[leafHash].push(
            LifecycleRecord({
                action: action,
                reasonCode: reasonCode,
                byMember: byMember,
                timestamp: uint64(block.timestamp),
                replacement: replacement
            })
        );
        ++s.records;
    }

    /// @dev Revoke and supersede: active evidence, not on hold, by its submitter or a court.
    function _checkAlterable(bytes32 leafHash, uint16 reasonCode)
        private
        view
        returns (EvidenceStatus storage s, uint32 memberId)
    {
        (s, memberId) = _requireReasonedAction(leafHash, reasonCode);
        if (memberId != s.submitter && _registry.kindOf(memberId) != IConsortiumRegistry.MemberKind.Court) {
            revert EvidenceRegistryNotSubmitterOrCourt(leafHash, memberId);
        }
        if (s.state != EvidenceState.Active) revert EvidenceRegistryNotActive(leafHash, s.state);
        if (s.legalHold) revert EvidenceRegistryUnderLegalHold(leafHash);
    }

    /// @dev Legal hold and release: registered evidence (any state: a court may freeze even
    /// revoked evidence for a case), by a court.
    function _checkCourtAction(bytes32 leafHash, uint16 reasonCode)
        private
        view
        returns (EvidenceStatus storage s, uint32 memberId)
    {
        (s, memberId) = _requireReasonedAction(leafHash, reasonCode);
        if (_registry.kindOf(memberId) != IConsortiumRegistry.MemberKind.Court) revert EvidenceRegistryNotCourt(memberId);
    }

    /// @dev Every change of registered evidence: a reason, the evidence, an active member's caller.
    function _requireReasonedAction(bytes32 leafHash, uint16 reasonCode)
        private
        view
        returns (EvidenceStatus storage s, uint32 memberId)
    {
        if (reasonCode == 0) revert EvidenceRegistryMissingReason();
        s = _requireEvidence(leafHash);
        memberId = _requireActiveMember();
    }

    function _requireEvidence(bytes32 leafHash) private view returns (EvidenceStatus storage s) {
        s = _status[leafHash];
        if (s.state == EvidenceState.Unknown) revert EvidenceRegistryUnknownEvidence(leafHash);
    }

    /// @dev Register: an operations account of the submitter named inside the leaf, or of a court.
    function _checkRegistrant(bytes32 leafHash, uint32 submitter) private view {
        uint32 memberId = _requireActiveMember();
        if (memberId != submitter && _registry.kindOf(memberId) != IConsortiumRegistry.MemberKind.Court) {
            revert EvidenceRegistryNotRegistrant(leafHash, msg.sender, memberId, submitter);
        }
    }

    function _requireActiveMember() private view returns (uint32 memberId) {
        IConsortiumRegistry.MemberStatus memberStatus;
        IConsortiumRegistry.AccountRole role;
        (memberId, memberStatus, role) = _registry.accountOf(msg.sender);
        if (memberId == 0 || memberStatus != IConsortiumRegistry.MemberStatus.Active) {
            revert EvidenceRegistryNotActiveMember(msg.sender);
        }
        if (role != IConsortiumRegistry.AccountRole.Operations) revert EvidenceRegistryWrongRole(msg.sender, role);
    }
}
