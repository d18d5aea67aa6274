// The JointLoanLedger fragments the outbox uses: the four writes it sends, the views it reads to
// find a flow's effect on chain, the events that prove whose flow it was, and every custom error
// (so a revert decodes to its name and arguments). Kept by hand like common/chain/abi.ts;
// test/nodes/outbox/outbox.test.ts checks each fragment against the compiled artifact.

const LOAN_TERMS =
  "tuple(uint32 originator, bytes32 applicationSerial, bytes32 borrowerKey, uint32 borrowerRegion, uint32 branch, uint32 platform, tuple(uint32 memberId, uint16 shareBps)[] funders, uint64 principal, uint16 aprBps, uint8 method, uint16 startDay, tuple(uint16 dueDay, uint32 principal, uint32 interest)[] schedule, tuple(uint8 installment, uint32 amount)[] fees, bytes32 contractLeaf, bytes32 consentLeaf, bytes32 receivingAccount)";

const LOAN =
  "tuple(uint32 branch, uint32 platform, uint40 principal, uint16 aprBps, uint8 method, uint8 state, uint8 stage, uint8 funderCount, uint8 installmentCount, uint8 disbursedMask, uint16 startDay, uint40 stageChangedAt, uint32 allInSlack, bytes32 borrowerKey, bytes32 evidenceChain)";

export const JOINT_LOAN_LEDGER_ABI = [
  `function registerLoan(${LOAN_TERMS} terms, bytes platformAgreement) returns (bytes32 loanId)`,
  "function termsVerifier() view returns (address)",
  "function cancelLoan(bytes32 loanId, uint16 reasonCode)",
  "function expireLoan(bytes32 loanId)",
  "function grantMandate(bytes32 loanId, address agent, uint40 expiresAt)",
  "function mandate(bytes32 loanId, address agent) view returns (uint32 branch, uint40 expiresAt)",
  "function setOwnBranchLimits(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit)",
  "function branchLimits(uint32 branch) view returns (tuple(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit, uint64 netTier1Capital))",
  "function branchCeilings(uint32 branch) view returns (tuple(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit, uint64 netTier1Capital))",
  "function revokeMandate(bytes32 loanId, address agent)",
  "function agreeIncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps, bytes platformSignature)",
  "function incomeShare(bytes32 loanId) view returns (bool agreed, uint16 platformIncomeShareBps)",
  "function funders(bytes32 loanId) view returns (tuple(uint32 memberId, uint16 shareBps)[])",
  "function isWhitelisted(uint32 member, bytes32 accountHash) view returns (bool)",
  "function disburse(bytes32 loanId, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher)",
  "function repay(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher)",
  "function settle(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher)",
  "function settlementOwed(bytes32 loanId) view returns (uint256 penalty, uint256 interest, uint256 principal)",
  "function loanIdOf(uint32 originator, bytes32 applicationSerial) pure returns (bytes32)",
  `function loan(bytes32 loanId) view returns (${LOAN})`,
  "function serialUsed(bytes32 serial) view returns (bool)",
  "function today() view returns (uint256)",
  "function params() view returns (tuple(uint16 aprCapBps, uint16 platformShareFloorBps, uint16 coFundingCapitalRatioBps, uint16 penaltyAprBps, uint16 minTermDays, uint16 maxTermDays, uint64 minPrincipal, uint64 maxPrincipal, uint64 borrowerOutstandingLimit))",
  "function overdue(bytes32 loanId) view returns (uint256 daysPastDue, uint8 state, uint8 stage)",
  "function schedule(bytes32 loanId) view returns (tuple(uint16 dueDay, uint32 principal, uint32 interest)[])",
  "function progress(bytes32 loanId) view returns (tuple(uint40 principalRepaid, uint8 nextInstallment, uint32 currentPrincipalPaid, uint32 currentInterestPaid, uint32 penaltyDue, uint16 penaltyAccruedDay))",
  "event LoanRegistered(bytes32 indexed loanId, uint32 indexed branch, uint32 indexed platform, bytes32 borrowerKey, uint256 principal, uint256 aprBps, uint8 method, bytes32 contractLeaf, bytes32 consentLeaf, bytes32 receivingAccount)",
  "event LoanFeesRegistered(bytes32 indexed loanId, tuple(uint8 installment, uint32 amount)[] fees)",
  "event FundsDisbursed(bytes32 indexed loanId, uint32 indexed funder, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher)",
  "event RepaymentReceived(bytes32 indexed loanId, bytes32 serial, bytes32 voucher, uint256 penalty, uint256 interest, uint256 principal)",
  "event LoanCancelled(bytes32 indexed loanId, uint16 reasonCode)",
  "error LedgerNotBranchOperations(address caller, uint32 branch)",
  "error LedgerBadMandate(bytes32 loanId, address agent, uint256 expiresAt)",
  "error LedgerBadMember(uint32 memberId, uint8 expectedKind)",
  "error LedgerDuplicateLoan(bytes32 loanId)",
  "error LedgerRateAboveCap(uint256 aprBps, uint256 capBps)",
  "error LedgerAllInAprAboveCap(uint256 allInAprBps, uint256 capBps)",
  "error LedgerBadFee(uint256 index)",
  "error LedgerUpfrontFeesTooHigh(uint256 upfrontFees, uint256 principal)",
  "error LedgerPlatformAgreementMissing(bytes32 loanId, uint32 platform, address signer)",
  "error LedgerBadFunders(uint256 count, uint256 shareSum)",
  "error LedgerPlatformShareBelowFloor(uint256 shareBps, uint256 floorBps)",
  "error LedgerRegionMismatch(uint32 borrowerRegion, uint32 branchRegion)",
  "error LedgerPrincipalOutOfRange(uint256 principal, uint256 min, uint256 max)",
  "error LedgerTermOutOfRange(uint256 termDays, uint256 minDays, uint256 maxDays)",
  "error LedgerAboveSingleLoanMax(uint256 principal, uint256 max)",
  "error LedgerBranchOutstandingExceeded(uint32 branch, uint256 outstandingAfter, uint256 limit)",
  "error LedgerCoFundingExceeded(uint32 branch, uint32 platform, uint256 coFundedAfter, uint256 limit)",
  "error LedgerBorrowerOutstandingExceeded(bytes32 borrowerKey, uint256 outstandingAfter, uint256 limit)",
  "error LedgerScheduleSumMismatch(uint256 scheduleSum, uint256 principal)",
  "error LedgerBadSchedule(uint256 index)",
  "error LedgerMissingReference()",
  "error LedgerUnknownLoan(bytes32 loanId)",
  "error LedgerWrongState(bytes32 loanId, uint8 state)",
  "error LedgerNotFunder(bytes32 loanId, address caller)",
  "error LedgerDisbursementDateMismatch(bytes32 loanId, uint256 today, uint256 startDay)",
  "error LedgerPartlyDisbursed(bytes32 loanId)",
  "error LedgerNotExpired(bytes32 loanId, uint256 today, uint256 startDay)",
  "error LedgerNotKeeper(address caller)",
  "error LedgerLimitAboveCeiling(uint32 branch, uint8 field, uint256 value, uint256 ceiling)",
  "error LedgerBadIncomeSplit(bytes32 loanId, uint256 platformIncomeShareBps)",
  "error LedgerAlreadyDisbursed(bytes32 loanId, uint32 funder)",
  "error LedgerDisbursementMismatch(bytes32 loanId, uint32 funder, uint256 amount, uint256 expected)",
  "error LedgerAccountNotWhitelisted(uint32 branch, bytes32 accountHash)",
  "error LedgerDuplicateSerial(bytes32 serial)",
  "error LedgerDailyLimitExceeded(uint32 branch, uint256 day, uint256 disbursedAfter, uint256 limit)",
  "error LedgerOverpayment(bytes32 loanId, uint256 amount, uint256 owed)",
  "error LedgerZeroRepayment(bytes32 loanId)",
  "error LedgerSettlementMismatch(bytes32 loanId, uint256 amount, uint256 owed)",
  "error LedgerMissingVoucher()",
  "error LedgerBadParams()",
  "error LedgerNotDisputeResolution(address caller)",
  "error ConsortiumNotGovernor(address caller, address governor)",
  // OpenZeppelin Address, around the call to the ledger's LoanTermsVerifier (never expected: the
  // ledger creates the verifier and passes its errors on)
  "error AddressEmptyCode(address target)",
  "error FailedCall()",
] as const;

/** IJointLoanLedger.LoanState, in enum order. */
export const LOAN_STATES = ["None", "Registered", "Active", "Settled", "Cancelled"] as const;
