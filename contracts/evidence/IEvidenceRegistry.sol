// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";
import {IConsortiumRegistry} from "../consortium/IConsortiumRegistry.sol";

/// @title IEvidenceRegistry
/// @notice Lifecycle of anchored evidence, keyed by leaf hash. Evidence is append-only: a
/// revocation, supersession, legal hold or release is a new record pointing at the old leaf, with
/// a reason code; the old inclusion proof stays valid and a verifier reads the status here.
/// A leaf enters the registry by `register`, called with the leaf record and its inclusion proof
/// against a committed EvidenceLog head by the member the leaf names as its submitter or by a
/// court; the submitter recorded here is the one inside the anchored leaf. Another member cannot
/// start the lifecycle of someone else's evidence (and so fix when and under which log it counts).
///
/// Who may do what: register, revoke and supersede — the original submitter (any of its
/// operations accounts) or a court member; legal hold and release — a court member only (a hold
/// the submitter could lift would protect nothing); endorse — any other active member, once.
/// Every caller is an operations account (registry role Operations) of an active member.
interface IEvidenceRegistry is IConsortiumGoverned {
    /// @notice Evidence state. Revoked and Superseded are final.
    enum EvidenceState {
        Unknown,
        Active,
        Revoked,
        Superseded
    }

    /// @notice Kinds of lifecycle record.
    enum LifecycleAction {
        Registered,
        Revoked,
        Superseded,
        LegalHoldPlaced,
        LegalHoldReleased
    }

    /// @notice What the registry knows about one leaf.
    struct EvidenceStatus {
        EvidenceState state;
        bool legalHold;
        uint32 submitter;
        uint8 kind;
        uint64 registeredAt;
        uint32 endorsements;
        uint32 records;
        bytes32 logId;
        uint64 leafIndex;
        bytes32 replacement;
    }

    /// @notice One append-only lifecycle record.
    struct LifecycleRecord {
        LifecycleAction action;
        uint16 reasonCode;
        uint32 byMember;
        uint64 timestamp;
        bytes32 replacement;
    }

    /// @notice The leaf is registered already.
    error EvidenceRegistryAlreadyRegistered(bytes32 leafHash);
    /// @notice The leaf is not registered.
    error EvidenceRegistryUnknownEvidence(bytes32 leafHash);
    /// @notice The inclusion proof does not place the leaf in the log head of size `treeSize`.
    error EvidenceRegistryNotIncluded(bytes32 logId, uint256 treeSize, uint256 leafIndex, bytes32 leafHash);
    /// @notice `account` is not an active member.
    error EvidenceRegistryNotActiveMember(address account);
    /// @notice `account`'s registry role is `role`, not Operations.
    error EvidenceRegistryWrongRole(address account, IConsortiumRegistry.AccountRole role);
    /// @notice `caller` (of member `callerMember`) is neither of the leaf's submitter `submitter`
    /// nor of a court, so it may not register the leaf.
    error EvidenceRegistryNotRegistrant(bytes32 leafHash, address caller, uint32 callerMember, uint32 submitter);
    /// @notice Member `memberId` is neither the submitter nor a court.
    error EvidenceRegistryNotSubmitterOrCourt(bytes32 leafHash, uint32 memberId);
    /// @notice Member `memberId` is not a court.
    error EvidenceRegistryNotCourt(uint32 memberId);
    /// @notice The evidence is in final state `state`.
    error EvidenceRegistryNotActive(bytes32 leafHash, EvidenceState state);
    /// @notice The evidence is under legal hold; it cannot be revoked or superseded.
    error EvidenceRegistryUnderLegalHold(bytes32 leafHash);
    /// @notice The evidence is not under legal hold.
    error EvidenceRegistryNoLegalHold(bytes32 leafHash);
    /// @notice The evidence is under legal hold already.
    error EvidenceRegistryAlreadyOnHold(bytes32 leafHash);
    /// @notice A replacement must be another registered, active leaf.
    error EvidenceRegistryBadReplacement(bytes32 leafHash, bytes32 replacement);
    /// @notice Reason code 0 means "no reason" and is refused.
    error EvidenceRegistryMissingReason();
    /// @notice The submitter cannot endorse its own evidence.
    error EvidenceRegistrySelfEndorsement(bytes32 leafHash, uint32 memberId);
    /// @notice Member `memberId` endorsed this evidence already.
    error EvidenceRegistryAlreadyEndorsed(bytes32 leafHash, uint32 memberId);

    /// @notice A leaf anchored in `logId` at `leafIndex` was registered.
    event EvidenceRegistered(
        bytes32 indexed leafHash, uint32 indexed submitter, uint8 kind, bytes32 subject, bytes32 logId, uint256 leafIndex
    );
    /// @notice The evidence was revoked.
    event EvidenceRevoked(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode);
    /// @notice The evidence was superseded by `replacement`.
    event EvidenceSuperseded(bytes32 indexed leafHash, bytes32 indexed replacement, uint32 indexed byMember, uint16 reasonCode);
    /// @notice A court placed the evidence under legal hold.
    event LegalHoldPlaced(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode);
    /// @notice A court released the legal hold.
    event LegalHoldReleased(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode);
    /// @notice Member `memberId` endorsed (co-signed) the evidence.
    event EvidenceEndorsed(bytes32 indexed leafHash, uint32 indexed memberId);

    /// @notice Register an anchored leaf (its submitter member or a court; the proof decides
    /// where and since when it is anchored).
    function register(bytes calldata leaf, bytes32 logId, uint256 treeSize, uint256 leafIndex, bytes32[] calldata proof)
        external
        returns (bytes32 leafHash);

    /// @notice Revoke the evidence (submitter or court).
    function revoke(bytes32 leafHash, uint16 reasonCode) external;

    /// @notice Supersede the evidence by another registered leaf (submitter or court).
    function supersede(bytes32 leafHash, bytes32 replacement, uint16 reasonCode) external;

    /// @notice Place a legal hold (court only).
    function placeLegalHold(bytes32 leafHash, uint16 reasonCode) external;

    /// @notice Release a legal hold (court only).
    function releaseLegalHold(bytes32 leafHash, uint16 reasonCode) external;

    /// @notice Endorse (co-sign) the evidence as another active member.
    function endorse(bytes32 leafHash) external;

    /// @notice The status of `leafHash` (state Unknown if never registered).
    function status(bytes32 leafHash) external view returns (EvidenceStatus memory);

    /// @notice All lifecycle records of `leafHash`, oldest first.
    function records(bytes32 leafHash) external view returns (LifecycleRecord[] memory);

    /// @notice The member ids that endorsed `leafHash`, in order.
    function endorsers(bytes32 leafHash) external view returns (uint32[] memory);
}
