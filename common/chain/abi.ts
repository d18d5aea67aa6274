// Human-readable ABIs of the contract functions and events the services and the verifier use.
// Kept by hand so services run without a Hardhat build; test/contracts/abi.test.ts checks every
// fragment against the compiled artifacts, so a contract change that breaks one fails a test.

export const EVIDENCE_LOG_ABI = [
  "function commitHead(bytes32 logId, uint256 treeSize, bytes32 rootHash, bytes32[] consistencyProof) returns (uint256 headIndex)",
  "function logInfo(bytes32 logId) view returns (tuple(uint32 memberId, address operator, uint64 openedAt))",
  "function headCount(bytes32 logId) view returns (uint256)",
  "function head(bytes32 logId, uint256 index) view returns (tuple(uint64 treeSize, uint64 timestamp, uint64 blockNumber, bytes32 rootHash))",
  "function latestHead(bytes32 logId) view returns (tuple(uint64 treeSize, uint64 timestamp, uint64 blockNumber, bytes32 rootHash))",
  "function headIndexOf(bytes32 logId, uint256 treeSize) view returns (uint256)",
  "function firstHeadIncluding(bytes32 logId, uint256 leafIndex) view returns (uint256)",
  "function verifyInclusion(bytes32 logId, uint256 treeSize, uint256 leafIndex, bytes32 leafHash, bytes32[] proof) view returns (bool)",
  "function registry() view returns (address)",
  "function version() pure returns (string)",
  "event HeadCommitted(bytes32 indexed logId, uint256 indexed headIndex, uint256 treeSize, bytes32 rootHash)",
  "error EvidenceLogCallerNotMember(address account)",
  "error EvidenceLogMemberInactive(uint32 memberId)",
  "error EvidenceLogNotOperator(bytes32 logId, address caller, address operator)",
  "error EvidenceLogWrongRole(address account, uint8 role)",
  "error EvidenceLogTreeNotGrowing(bytes32 logId, uint256 previousSize, uint256 newSize)",
  "error EvidenceLogUnexpectedProof(bytes32 logId, uint256 proofLength)",
  "error EvidenceLogInconsistent(bytes32 logId, uint256 previousSize, bytes32 previousRoot, uint256 newSize, bytes32 newRoot)",
  "error EvidenceLogUnknownHead(bytes32 logId, uint256 indexOrSize)",
  "error EvidenceLogUnknownLog(bytes32 logId)",
] as const;

export const CONSORTIUM_REGISTRY_ABI = [
  "function governor() view returns (address)",
  "function isActiveMember(address account) view returns (bool)",
  "function memberOf(address account) view returns (uint32)",
  "function memberStatusOf(address account) view returns (uint32 memberId, uint8 status)",
  "function roleOf(address account) view returns (uint8)",
  "function accountOf(address account) view returns (uint32 memberId, uint8 status, uint8 role)",
  "function profileOf(uint32 memberId) view returns (uint8 kind, uint8 status, uint32 regionCode)",
  "function member(uint32 memberId) view returns (tuple(uint32 id, uint8 kind, uint8 status, uint32 regionCode, string name))",
  "function statusOf(uint32 memberId) view returns (uint8)",
  "function memberIds() view returns (uint32[])",
  "function evidenceContracts() view returns (address evidenceLog, address evidenceRegistry)",
  "function parameter(bytes32 key) view returns (uint256)",
  "function version() pure returns (string)",
] as const;

export const EVIDENCE_REGISTRY_ABI = [
  "function register(bytes leaf, bytes32 logId, uint256 treeSize, uint256 leafIndex, bytes32[] proof) returns (bytes32 leafHash)",
  "function status(bytes32 leafHash) view returns (tuple(uint8 state, bool legalHold, uint32 submitter, uint8 kind, uint64 registeredAt, uint32 endorsements, uint32 records, bytes32 logId, uint64 leafIndex, bytes32 replacement))",
  "function endorsers(bytes32 leafHash) view returns (uint32[])",
  "function evidenceLog() view returns (address)",
  "function version() pure returns (string)",
] as const;

/** EvidenceRegistry.EvidenceState, in enum order. */
export const EVIDENCE_STATES = ["Unknown", "Active", "Revoked", "Superseded"] as const;
