// Human-readable ABIs of what the indexer reads: every event of the three contracts it follows
// (so no log of theirs goes undecoded) and the two ledger views it calls for facts the
// LoanRegistered event does not carry (funders, start day). Kept by hand so the node runs
// without a Hardhat build; test/nodes/indexer/abi.test.ts checks every fragment against the
// compiled artifacts, and that no event of the compiled contracts is missing here.
// Solidity enums are uint8 in the ABI.

export const JOINT_LOAN_LEDGER_ABI = [
  "event LoanRegistered(bytes32 indexed loanId, uint32 indexed branch, uint32 indexed platform, bytes32 borrowerKey, uint256 principal, uint256 aprBps, uint8 method, bytes32 contractLeaf, bytes32 consentLeaf, bytes32 receivingAccount)",
  "event LoanFeesRegistered(bytes32 indexed loanId, tuple(uint8 installment, uint32 amount)[] fees)",
  "event FundsDisbursed(bytes32 indexed loanId, uint32 indexed funder, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher)",
  "event LoanActivated(bytes32 indexed loanId)",
  "event RepaymentReceived(bytes32 indexed loanId, bytes32 serial, bytes32 voucher, uint256 penalty, uint256 interest, uint256 principal)",
  "event RepaymentShared(bytes32 indexed loanId, uint32 indexed funder, bytes32 serial, uint256 principal, uint256 income)",
  "event LoanSettled(bytes32 indexed loanId)",
  "event LoanCancelled(bytes32 indexed loanId, uint16 reasonCode)",
  "event LoanExpired(bytes32 indexed loanId, uint256 startDay)",
  "event DisputeStageChanged(bytes32 indexed loanId, uint8 previousStage, uint8 newStage)",
  "event ParamsChanged(tuple(uint16 aprCapBps, uint16 platformShareFloorBps, uint16 coFundingCapitalRatioBps, uint16 penaltyAprBps, uint16 minTermDays, uint16 maxTermDays, uint64 minPrincipal, uint64 maxPrincipal, uint64 borrowerOutstandingLimit) params)",
  "event BranchLimitsChanged(uint32 indexed branch, tuple(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit, uint64 netTier1Capital) limits)",
  "event BranchCeilingsChanged(uint32 indexed branch, tuple(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit, uint64 netTier1Capital) ceilings)",
  "event AccountWhitelisted(uint32 indexed member, bytes32 indexed accountHash, bool allowed)",
  "event DisputeResolutionSet(address disputeResolution)",
  "event MandateGranted(bytes32 indexed loanId, uint32 indexed branch, address indexed agent, uint256 expiresAt)",
  "event MandateRevoked(bytes32 indexed loanId, uint32 indexed branch, address indexed agent)",
  "event IncomeSplitAgreed(bytes32 indexed loanId, uint256 platformIncomeShareBps)",
  "function loan(bytes32 loanId) view returns (tuple(uint32 branch, uint32 platform, uint40 principal, uint16 aprBps, uint8 method, uint8 state, uint8 stage, uint8 funderCount, uint8 installmentCount, uint8 disbursedMask, uint16 startDay, uint40 stageChangedAt, uint32 allInSlack, bytes32 borrowerKey, bytes32 evidenceChain))",
  "function funders(bytes32 loanId) view returns (tuple(uint32 memberId, uint16 shareBps)[])",
  "error LedgerUnknownLoan(bytes32 loanId)",
] as const;

export const DISPUTE_RESOLUTION_ABI = [
  "event ArbitrationTriggered(bytes32 indexed caseId, bytes32 indexed loanId, bytes32 evidenceChain)",
  "event CourtAssigned(bytes32 indexed caseId, uint32 indexed court)",
  "event CaseAccepted(bytes32 indexed caseId, uint32 indexed court)",
  "event RulingRecorded(bytes32 indexed caseId, uint32 indexed court, bytes32 ruling)",
  "event CaseClosed(bytes32 indexed caseId, uint32 indexed court)",
  "event ThresholdsChanged(tuple(uint16 reminderDays, uint16 mediationDays, uint16 arbitrationDays) thresholds)",
] as const;

export const EVIDENCE_REGISTRY_EVENTS_ABI = [
  "event EvidenceRegistered(bytes32 indexed leafHash, uint32 indexed submitter, uint8 kind, bytes32 subject, bytes32 logId, uint256 leafIndex)",
  "event EvidenceRevoked(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode)",
  "event EvidenceSuperseded(bytes32 indexed leafHash, bytes32 indexed replacement, uint32 indexed byMember, uint16 reasonCode)",
  "event LegalHoldPlaced(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode)",
  "event LegalHoldReleased(bytes32 indexed leafHash, uint32 indexed byMember, uint16 reasonCode)",
  "event EvidenceEndorsed(bytes32 indexed leafHash, uint32 indexed memberId)",
] as const;
