// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "../consortium/IConsortiumGoverned.sol";

/// @title IJointLoanLedger
/// @notice The consortium's shared book of joint (联合贷) and assisted (助贷) loans: who funds
/// what share, every disbursement and repayment with its voucher, and the rules no single member
/// can skip (DOMAIN.md). Amounts are integer fen; days are Asia/Shanghai calendar days counted
/// from 1970-01-01 (`(timestamp + 8 h) / 1 day`). No personal data: the borrower is an HMAC key,
/// accounts are salted hashes.
interface IJointLoanLedger is IConsortiumGoverned {
    /// @notice 等额本息, 先息后本, 一次性还本付息.
    enum RepaymentMethod {
        EqualInstallment,
        InterestFirst,
        Bullet
    }

    /// @notice Registered → (all funders disbursed) → Active → (nothing owed) → Settled; a loan no
    /// funder has disbursed may be Cancelled. Settled and Cancelled are final.
    enum LoanState {
        None,
        Registered,
        Active,
        Settled,
        Cancelled
    }

    /// @notice Overdue escalation stage, advanced by DisputeResolution.
    enum DisputeStage {
        None,
        Reminder,
        Mediation,
        Arbitration,
        Accepted,
        Ruled,
        Closed
    }

    /// @notice A funder and its share. Funder 0 is always the loan's branch; funder 1, if any,
    /// is the loan's platform (a joint loan). At most these two: see {Allocation}.
    struct Funder {
        uint32 memberId;
        uint16 shareBps;
    }

    /// @notice One installment as registered: due on Shanghai day `dueDay`.
    struct Installment {
        uint16 dueDay;
        uint32 principal;
        uint32 interest;
    }

    /// @notice A fee the borrower pays besides interest (service, guarantee, platform fees), due at
    /// disbursement (`installment` 0: it reduces the cash received, as a deduction would) or with
    /// installment `installment` (1-based). Counted in the all-in annual cost.
    struct Fee {
        uint8 installment;
        uint32 amount;
    }

    /// @notice What `registerLoan` takes.
    struct LoanTerms {
        uint32 originator;
        bytes32 applicationSerial;
        bytes32 borrowerKey;
        uint32 borrowerRegion;
        uint32 branch;
        uint32 platform;
        Funder[] funders;
        uint64 principal;
        uint16 aprBps;
        RepaymentMethod method;
        uint16 startDay;
        Installment[] schedule;
        Fee[] fees;
        bytes32 contractLeaf;
        bytes32 consentLeaf;
        /// @dev The salted hash of the account the principal is paid into: the borrower's own
        /// receiving account, or for entrusted payment (受托支付) the payee named in the contract.
        /// Bound at registration (and covered by the platform's agreement): every funder's
        /// disbursement of this loan goes there and nowhere else.
        bytes32 receivingAccount;
    }

    /// @notice A loan's fixed facts and state: one storage slot, plus the borrower key and the
    /// loan's evidence chain (see `evidenceChain`). `allInSlack` is the loan's headroom under the
    /// all-in cap at registration — the cash received less the present value at the cap of
    /// everything the borrower pays, fees included, in fen (capped at 2^32 − 1) —, which early
    /// settlement may not exceed (see `settlementOwed`).
    struct Loan {
        uint32 branch;
        uint32 platform;
        uint40 principal;
        uint16 aprBps;
        RepaymentMethod method;
        LoanState state;
        DisputeStage stage;
        uint8 funderCount;
        uint8 installmentCount;
        uint8 disbursedMask;
        uint16 startDay;
        uint40 stageChangedAt;
        uint32 allInSlack;
        bytes32 borrowerKey;
        bytes32 evidenceChain;
    }

    /// @notice Repayment progress: principal repaid so far and the current (earliest unpaid)
    /// installment's partial payments and penalty. Penalty accrues per whole day on the
    /// installment's unpaid principal from its due day; `penaltyDue` is what has accrued and is
    /// unpaid as of `penaltyAccruedDay` (accrual is truncated to the fen at each accrual point).
    /// Stored packed beside the funders in one slot; interest and penalty totals are in the
    /// RepaymentReceived events.
    struct Progress {
        uint40 principalRepaid;
        uint8 nextInstallment;
        uint32 currentPrincipalPaid;
        uint32 currentInterestPaid;
        uint32 penaltyDue;
        uint16 penaltyAccruedDay;
    }

    /// @notice What a partial prepayment (提前部分还款) does to the rest of the schedule, the
    /// borrower's choice: keep each later installment's total and end sooner (`ShortenTerm`,
    /// 缩短期限), or keep the term and lower the installments (`LowerInstallments`, 减少月供).
    enum PrepaymentMode {
        ShortenTerm,
        LowerInstallments
    }

    /// @notice Consortium-wide rule parameters (DOMAIN.md), set by governance.
    struct LedgerParams {
        uint16 aprCapBps;
        uint16 platformShareFloorBps;
        uint16 coFundingCapitalRatioBps;
        uint16 penaltyAprBps;
        uint16 minTermDays;
        uint16 maxTermDays;
        uint64 minPrincipal;
        uint64 maxPrincipal;
        uint64 borrowerOutstandingLimit;
    }

    /// @notice Per-branch quotas (额度管控): set by the branch at or below governance's ceilings.
    struct BranchLimits {
        uint64 singleLoanMax;
        uint64 dailyDisbursementLimit;
        uint64 outstandingLimit;
        uint64 netTier1Capital;
    }

    /// @notice A branch's running totals.
    struct BranchBook {
        uint64 outstanding;
        uint64 disbursedToday;
        uint32 day;
    }

    // --- registration errors ---
    /// @notice Only an operations account of the loan's branch, while the branch is active, may
    /// register or service its loans — or an operations account of an active member holding the
    /// branch's unexpired mandate for that loan (`grantMandate`). The union builds shared systems;
    /// it does not run a branch's business.
    error LedgerNotBranchOperations(address caller, uint32 branch);
    /// @notice A mandate must name an agent and expire in the future.
    error LedgerBadMandate(bytes32 loanId, address agent, uint256 expiresAt);
    /// @notice Member `memberId` is not an active member of kind `expectedKind`.
    error LedgerBadMember(uint32 memberId, uint8 expectedKind);
    /// @notice A loan with this id exists already.
    error LedgerDuplicateLoan(bytes32 loanId);
    /// @notice The contract (nominal) rate is above the consortium cap.
    error LedgerRateAboveCap(uint256 aprBps, uint256 capBps);
    /// @notice The all-in annual cost (interest and every fee, by the method's convention) is above
    /// the cap; `allInAprBps` is what common/lending/apr.ts `allInAprBps` reports for these terms
    /// (type(uint256).max beyond 2^53 − 1).
    error LedgerAllInAprAboveCap(uint256 allInAprBps, uint256 capBps);
    /// @notice Fee `index` is zero, due with an installment the schedule does not have, or one
    /// too many (`index` = the maximum).
    error LedgerBadFee(uint256 index);
    /// @notice Fees due at disbursement use up the principal: the borrower would receive nothing.
    error LedgerUpfrontFeesTooHigh(uint256 upfrontFees, uint256 principal);
    /// @notice A joint loan needs its platform co-funder's agreement: an EIP-712 signature over
    /// the terms (see `termsVerifier`) by an operations account of the platform, while both are active.
    /// `signer` is who signed (zero if the signature does not parse).
    error LedgerPlatformAgreementMissing(bytes32 loanId, uint32 platform, address signer);
    /// @notice Funders must be [branch] or [branch, platform], shares non-zero and summing to 10,000.
    error LedgerBadFunders(uint256 count, uint256 shareSum);
    /// @notice The platform's share of a joint loan is below the floor.
    error LedgerPlatformShareBelowFloor(uint256 shareBps, uint256 floorBps);
    /// @notice The borrower's region is not the branch's region.
    error LedgerRegionMismatch(uint32 borrowerRegion, uint32 branchRegion);
    /// @notice Principal outside the product range.
    error LedgerPrincipalOutOfRange(uint256 principal, uint256 min, uint256 max);
    /// @notice Term (days from start to the last due day) outside the product range.
    error LedgerTermOutOfRange(uint256 termDays, uint256 minDays, uint256 maxDays);
    /// @notice Principal above the branch's single-loan maximum.
    error LedgerAboveSingleLoanMax(uint256 principal, uint256 max);
    /// @notice The branch's outstanding would exceed its limit.
    error LedgerBranchOutstandingExceeded(uint32 branch, uint256 outstandingAfter, uint256 limit);
    /// @notice The branch's funded outstanding with one platform would exceed the ratio of its capital.
    error LedgerCoFundingExceeded(uint32 branch, uint32 platform, uint256 coFundedAfter, uint256 limit);
    /// @notice The borrower's consortium-wide outstanding would exceed its limit (多头借贷).
    error LedgerBorrowerOutstandingExceeded(bytes32 borrowerKey, uint256 outstandingAfter, uint256 limit);
    /// @notice The schedule's principals do not sum to the loan principal.
    error LedgerScheduleSumMismatch(uint256 scheduleSum, uint256 principal);
    /// @notice The schedule is empty, too long, not strictly increasing after the start, or does not
    /// match the repayment method.
    error LedgerBadSchedule(uint256 index);
    /// @notice Borrower key, contract leaf, consent leaf and receiving account must be non-zero.
    error LedgerMissingReference();

    // --- fund-flow errors ---
    /// @notice No loan with this id.
    error LedgerUnknownLoan(bytes32 loanId);
    /// @notice The loan is in state `state`, which does not allow this.
    error LedgerWrongState(bytes32 loanId, LoanState state);
    /// @notice The caller is not an operations account of one of the loan's (active) funders.
    error LedgerNotFunder(bytes32 loanId, address caller);
    /// @notice Disbursement happens on the loan's start day, so the term matches the registration.
    error LedgerDisbursementDateMismatch(bytes32 loanId, uint256 today, uint256 startDay);
    /// @notice A registered loan expires only after its start day (`today` > `startDay`).
    error LedgerNotExpired(bytes32 loanId, uint256 today, uint256 startDay);
    /// @notice Keeper calls come from an operations account of an active member.
    error LedgerNotKeeper(address caller);
    /// @notice A loan some funder has disbursed cannot be cancelled.
    error LedgerPartlyDisbursed(bytes32 loanId);
    /// @notice This funder has disbursed already.
    error LedgerAlreadyDisbursed(bytes32 loanId, uint32 funder);
    /// @notice A disbursement must equal the funder's share of principal: no deduction (砍头息).
    error LedgerDisbursementMismatch(bytes32 loanId, uint32 funder, uint256 amount, uint256 expected);
    /// @notice The source account hash is not one of the disbursing funder's own whitelisted
    /// settlement accounts.
    error LedgerAccountNotWhitelisted(uint32 funder, bytes32 accountHash);
    /// @notice The serial number was used before, anywhere in the consortium.
    error LedgerDuplicateSerial(bytes32 serial);
    /// @notice The branch's disbursements today would exceed its daily limit.
    error LedgerDailyLimitExceeded(uint32 branch, uint256 day, uint256 disbursedAfter, uint256 limit);
    /// @notice A repayment must be positive and at most what is owed now.
    error LedgerOverpayment(bytes32 loanId, uint256 amount, uint256 owed);
    /// @notice A repayment of zero.
    error LedgerZeroRepayment(bytes32 loanId);
    /// @notice An early settlement must pay exactly what settles the loan today (`settlementOwed`).
    error LedgerSettlementMismatch(bytes32 loanId, uint256 amount, uint256 owed);
    /// @notice A partial prepayment prepays more than nothing and less than the principal still
    /// open (`outstanding`); prepaying all of it is `settle`.
    error LedgerBadPrepayment(bytes32 loanId, uint256 principal, uint256 outstanding);
    /// @notice A partial prepayment needs the installment in progress untouched and not late:
    /// installment `installment` (0-based) is partly paid, owes penalty or is past its due day;
    /// repay it first.
    error LedgerInstallmentOpen(bytes32 loanId, uint256 installment);
    /// @notice The prepayment fee would take the borrower's all-in cost above the cap: at most
    /// `maxFee` fits today (see `prepaymentOwed`).
    error LedgerPrepaymentFeeAboveCap(bytes32 loanId, uint256 fee, uint256 maxFee);
    /// @notice A prepayment must be exactly what `prepaymentOwed` says: interest, principal and fee.
    error LedgerPrepaymentMismatch(bytes32 loanId, uint256 amount, uint256 owed);
    /// @notice Paying an installment before its due day would take the borrower's realised
    /// all-in cost above the cap: it costs `charge` fen of the loan's `headroom` (present values at
    /// the cap, as of the start day). Prepay principal instead (`prepay`: interest to the day only).
    error LedgerPaymentAheadAboveCap(bytes32 loanId, uint256 charge, uint256 headroom);
    /// @notice No such function (the extension's views are reached only through the ledger's own).
    error LedgerUnknownCall(bytes4 selector);
    /// @notice Voucher digests and serials must be non-zero.
    error LedgerMissingVoucher();

    // --- parameter and dispute errors ---
    /// @notice A branch's own quota `field` (0 single-loan maximum, 1 daily disbursement limit,
    /// 2 outstanding limit) above the ceiling governance set for it.
    error LedgerLimitAboveCeiling(uint32 branch, uint8 field, uint256 value, uint256 ceiling);
    /// @notice An income split needs a joint loan and a platform share of at most 10,000 bps.
    error LedgerBadIncomeSplit(bytes32 loanId, uint256 platformIncomeShareBps);
    /// @notice A parameter set is inconsistent (e.g. min above max, a share above 100%).
    error LedgerBadParams();
    /// @notice Only the DisputeResolution contract may change dispute stages.
    error LedgerNotDisputeResolution(address caller);

    event LoanRegistered(
        bytes32 indexed loanId,
        uint32 indexed branch,
        uint32 indexed platform,
        bytes32 borrowerKey,
        uint256 principal,
        uint256 aprBps,
        RepaymentMethod method,
        bytes32 contractLeaf,
        bytes32 consentLeaf,
        bytes32 receivingAccount
    );
    /// @notice The loan's fees as registered, in order (emitted with LoanRegistered when it has any).
    event LoanFeesRegistered(bytes32 indexed loanId, Fee[] fees);
    /// @notice Funder `funder` paid `amount` from its own settlement account `accountHash` into the
    /// loan's bound receiving account (LoanRegistered.receivingAccount).
    event FundsDisbursed(
        bytes32 indexed loanId, uint32 indexed funder, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher
    );
    event LoanActivated(bytes32 indexed loanId);
    /// @notice A repayment, allocated penalty → interest → principal over the earliest unpaid installments.
    event RepaymentReceived(
        bytes32 indexed loanId, bytes32 serial, bytes32 voucher, uint256 penalty, uint256 interest, uint256 principal
    );
    /// @notice One funder's part of a repayment, so each node can book it.
    event RepaymentShared(bytes32 indexed loanId, uint32 indexed funder, bytes32 serial, uint256 principal, uint256 income);
    event LoanSettled(bytes32 indexed loanId);
    /// @notice A partial prepayment: `principal` came off the principal still open, of which the
    /// borrower paid `principalPaid` (less only where the all-in cap forgave part of it, as in an
    /// early settlement), with `interest` accrued to the day on `principal` and a prepayment `fee`
    /// (income, split like interest). The new schedule follows in LoanRescheduled.
    event PrepaymentReceived(
        bytes32 indexed loanId,
        bytes32 serial,
        bytes32 voucher,
        PrepaymentMode mode,
        uint256 principal,
        uint256 principalPaid,
        uint256 interest,
        uint256 fee
    );
    /// @notice The loan's schedule from installment `fromInstallment` (0-based) on, as it now
    /// stands after a prepayment; earlier installments are unchanged, and the loan now has
    /// `fromInstallment + installments.length` installments (`schedule(loanId)` returns the same).
    event LoanRescheduled(bytes32 indexed loanId, uint256 fromInstallment, Installment[] installments);
    /// @notice The loan was cancelled before disbursement; `reasonCode` 65535 = it expired (see `expireLoan`).
    event LoanCancelled(bytes32 indexed loanId, uint16 reasonCode);
    /// @notice The loan missed its start day undisbursed and was expired by a keeper (with LoanCancelled, reason 65535).
    event LoanExpired(bytes32 indexed loanId, uint256 startDay);
    event DisputeStageChanged(bytes32 indexed loanId, DisputeStage previousStage, DisputeStage newStage);
    event ParamsChanged(LedgerParams params);
    /// @notice The branch's quotas in force (the capital is governance's).
    event BranchLimitsChanged(uint32 indexed branch, BranchLimits limits);
    /// @notice Governance's ceilings on the branch's quotas, and its capital.
    event BranchCeilingsChanged(uint32 indexed branch, BranchLimits ceilings);
    /// @notice `accountHash` is (or no longer is) a settlement account of member `member`.
    event AccountWhitelisted(uint32 indexed member, bytes32 indexed accountHash, bool allowed);
    event DisputeResolutionSet(address disputeResolution);
    /// @notice Branch `branch` let `agent` register and service loan `loanId` (register, repay,
    /// settle, cancel) on its behalf until `expiresAt` (unix seconds).
    event MandateGranted(bytes32 indexed loanId, uint32 indexed branch, address indexed agent, uint256 expiresAt);
    /// @notice The loan's funders agreed that the platform takes `platformIncomeShareBps` of its
    /// income (interest and penalty); principal still returns by funding share.
    event IncomeSplitAgreed(bytes32 indexed loanId, uint256 platformIncomeShareBps);
    /// @notice The branch withdrew `agent`'s mandate for `loanId`.
    event MandateRevoked(bytes32 indexed loanId, uint32 indexed branch, address indexed agent);

    /// @notice The loan id: keccak256(abi.encode("JointLedger.loan.v1", originator, applicationSerial)).
    /// Mirrored by `loanIdOf` in common/lending/ids.ts.
    function loanIdOf(uint32 originator, bytes32 applicationSerial) external pure returns (bytes32);

    /// @notice Register an approved loan, enforcing every registration rule. A joint loan also
    /// takes `platformAgreement`, the platform's 65-byte signature over the verifier's
    /// `agreementDigest(terms)` (see `termsVerifier`);
    /// it is ignored for a loan the branch funds alone.
    function registerLoan(LoanTerms calldata terms, bytes calldata platformAgreement) external returns (bytes32 loanId);

    /// @notice The LoanTermsVerifier this ledger created. Its `agreementDigest(terms)` is what a
    /// joint loan's platform signs to agree to `terms`: the EIP-712 digest (domain
    /// "JointLoanLedger", version "1", this chain and this ledger) of
    /// `LoanAgreement(bytes32 loanId, bytes32 termsHash)` with termsHash = keccak256(abi.encode(terms)).
    /// Mirrored by `loanAgreementTypedData` in common/lending/agreement.ts.
    function termsVerifier() external view returns (address);

    /// @notice Let `agent` (an operations account of an active member, typically the union's)
    /// register and service loan `loanId` for the caller's branch until `expiresAt`: scoped to one
    /// loan, expiring, revocable. The caller must be an operations account of the branch (of the
    /// loan's branch, once registered). Granting again replaces the expiry.
    function grantMandate(bytes32 loanId, address agent, uint40 expiresAt) external;

    /// @notice Agree, before any disbursement, that a joint loan's income (interest and penalty)
    /// splits by `platformIncomeShareBps` for the platform (the branch the rest) instead of by
    /// funding share (联合贷: 收益根据事先约定或出资比例划分): the loan's branch (or its mandated
    /// agent) sends it with the platform's signature over the verifier's `incomeSplitDigest`.
    /// Principal always returns by funding share; each repayment's income splits exactly
    /// (largest remainder) by the agreed shares.
    function agreeIncomeSplit(bytes32 loanId, uint16 platformIncomeShareBps, bytes calldata platformSignature) external;

    /// @notice The platform's agreed income share of a joint loan, and whether one was agreed
    /// (otherwise income splits by funding share).
    function incomeShare(bytes32 loanId) external view returns (bool agreed, uint16 platformIncomeShareBps);

    /// @notice Withdraw `agent`'s mandate for `loanId` (the branch's operations account).
    function revokeMandate(bytes32 loanId, address agent) external;

    /// @notice The branch that granted `agent` a mandate for `loanId`, and until when (0, 0 if none).
    function mandate(bytes32 loanId, address agent) external view returns (uint32 branch, uint40 expiresAt);

    /// @notice Cancel a registered loan nobody has disbursed (its branch, or its mandated agent),
    /// releasing its quotas.
    function cancelLoan(bytes32 loanId, uint16 reasonCode) external;

    /// @notice Expire a registered loan nobody has disbursed that missed its start day (it can no
    /// longer be disbursed): any active member's operations account (a keeper). Releases its quotas
    /// — branch outstanding, co-funding, the borrower's consortium-wide exposure — as a
    /// cancellation does; emits LoanExpired and LoanCancelled(loanId, 65535).
    function expireLoan(bytes32 loanId) external;

    /// @notice Record funder `msg.sender`'s disbursement (an operations account of the funder) of
    /// exactly its share, paid from `accountHash` — one of that funder's own whitelisted settlement
    /// accounts — into the loan's receiving account bound at registration (nowhere else).
    function disburse(bytes32 loanId, uint256 amount, bytes32 accountHash, bytes32 serial, bytes32 voucher) external;

    /// @notice Record a repayment received by the branch (or its mandated agent), allocated penalty →
    /// interest → principal over the earliest unpaid installments. What is paid of an installment
    /// before its due day is worth more to the lender than the schedule counts, so it is charged to
    /// the loan's headroom under the all-in cap (`Loan.allInSlack`): amount × (discount at the cap
    /// to the start day from today − from the installment's due day), present values as of the start
    /// day; beyond the headroom the repayment is refused (`LedgerPaymentAheadAboveCap`) — prepay
    /// principal instead (`prepay`), which charges interest to the day only.
    function repay(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external;

    /// @notice Settle the loan early, in full (提前结清), with a repayment received by the branch (or
    /// its mandated agent): `amount` must be exactly `settlementOwed` today — every installment already due
    /// in full (penalty, interest, principal), the installment in progress with its interest
    /// accrued to the day, and the rest of the principal; no later interest.
    function settle(bytes32 loanId, uint256 amount, bytes32 serial, bytes32 voucher) external;

    /// @notice Prepay part of the principal (提前部分还款), with a repayment received by the branch
    /// (or its mandated agent), any day while the installment in progress is untouched and not
    /// late (`LedgerInstallmentOpen`). `principal` comes off the principal still open
    /// (0 < principal < open, `LedgerBadPrepayment`); the borrower pays it with interest accrued to
    /// the day on it — round_half_up(interest_k × principal × (today − period start) / (open ×
    /// (due_k − period start))), installment k the one in progress — and `fee`, the prepayment fee
    /// (0 if none). The rest of the schedule is recomputed on chain (`mode`; common/lending/
    /// SCHEDULE.md "Partial prepayment"): LowerInstallments scales every later installment's
    /// principal by open′ / open (cumulatively, half up) and ShortenTerm keeps each installment's
    /// total and ends when the principal is repaid; either way each installment's interest is
    /// scaled by its new balance over its old, half up. The prepayment, fee included, and the new
    /// schedule must keep the borrower's all-in cost within the cap: a fee above what fits is
    /// refused (`LedgerPrepaymentFeeAboveCap` with the most that fits); without a fee, what the cap
    /// does not allow comes off the interest, then the principal paid (forgiven, as in `settle`).
    /// `amount` must equal interest + principal paid + fee (`LedgerPrepaymentMismatch`). Principal
    /// is split by funding share (cumulatively, exact to the fen), interest and fee by the agreed
    /// income split; quotas release `principal`. Emits PrepaymentReceived, RepaymentShared per
    /// funder and LoanRescheduled.
    function prepay(
        bytes32 loanId,
        uint256 principal,
        PrepaymentMode mode,
        uint256 fee,
        uint256 amount,
        bytes32 serial,
        bytes32 voucher
    ) external;

    /// @notice What `prepay(loanId, principal, mode, fee, …)` would take today and the schedule it
    /// would leave: the interest accrued on `principal`, the principal paid (less than `principal`
    /// only where the cap forgives some), the largest fee the cap allows today, and the installments
    /// from the one in progress on. Reverts as `prepay` would. Mirrored by `prepaymentOwed` in
    /// common/lending/prepayment.ts.
    function prepaymentOwed(bytes32 loanId, uint256 principal, PrepaymentMode mode, uint256 fee)
        external
        view
        returns (uint256 interest, uint256 principalPaid, uint256 maxFee, Installment[] memory installments);

    /// @notice Set a loan's dispute stage (the DisputeResolution contract only). Moving up several
    /// stages at once emits one DisputeStageChanged per stage.
    function setDisputeStage(bytes32 loanId, DisputeStage stage) external;

    /// @notice Governance setters.
    function setParams(LedgerParams calldata params) external;
    /// @notice Governance: the ceilings on a branch's quotas (and its net tier-1 capital). The
    /// branch's own quotas in force are lowered to them (or set to them if it set none).
    function setBranchLimits(uint32 branch, BranchLimits calldata ceilings) external;
    /// @notice The branch's own admin (an account with the Governance role of an active branch)
    /// sets its quotas (额度管控) at or below the ceilings, without a vote:
    /// `LedgerLimitAboveCeiling` carries the ceiling a value passes.
    function setOwnBranchLimits(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit) external;
    /// @notice Governance: whitelist (or remove) a settlement account of member `member` (a branch
    /// or a platform); a funder disburses only from its own.
    function setAccountWhitelisted(uint32 member, bytes32 accountHash, bool allowed) external;
    function setDisputeResolution(address disputeResolution) external;

    /// @notice Views.
    function loan(bytes32 loanId) external view returns (Loan memory);
    function progress(bytes32 loanId) external view returns (Progress memory);
    function funders(bytes32 loanId) external view returns (Funder[] memory);
    function schedule(bytes32 loanId) external view returns (Installment[] memory);
    /// @notice The loan's evidence chain: one value committing, in order, to the contract leaf,
    /// the consent leaf and every fund-flow voucher: chain_0 = evidenceChainStart(contract,
    /// consent), chain_n = keccak256(abi.encode(chain_{n-1}, voucher_n)). A court recomputes it
    /// from the documents it is handed, which proves the set complete and in order.
    function evidenceChain(bytes32 loanId) external view returns (bytes32);

    /// @notice keccak256(abi.encode("JointLedger.evidence.v1", contractLeaf, consentLeaf)).
    function evidenceChainStart(bytes32 contractLeaf, bytes32 consentLeaf) external pure returns (bytes32);
    function params() external view returns (LedgerParams memory);
    /// @notice The branch's quotas in force.
    function branchLimits(uint32 branch) external view returns (BranchLimits memory);
    /// @notice Governance's ceilings on them.
    function branchCeilings(uint32 branch) external view returns (BranchLimits memory);
    function branchBook(uint32 branch) external view returns (BranchBook memory);
    function coFundedOutstanding(uint32 branch, uint32 platform) external view returns (uint256);
    function borrowerOutstanding(bytes32 borrowerKey) external view returns (uint256);
    function isWhitelisted(uint32 member, bytes32 accountHash) external view returns (bool);
    function serialUsed(bytes32 serial) external view returns (bool);
    /// @notice What settles the loan today (see `settle`): the installment in progress owes its
    /// interest pro rata by days, round_half_up(interest × (today − period start) / (due day −
    /// period start)), the period starting at the previous due day (or the start day); interest
    /// and principal together never more than the settlement allowance (the Settlement library) — what keeps
    /// the realised all-in cost, fees included, within the cap (what fees took up front comes off
    /// the interest, then the principal); mirrored by `settlementOwed` in common/lending/settlement.ts.
    function settlementOwed(bytes32 loanId) external view returns (uint256 penalty, uint256 interest, uint256 principal);
    /// @notice What is owed now (penalty at today's date, interest, principal), for overpayment checks.
    function amountOwed(bytes32 loanId) external view returns (uint256 penalty, uint256 interest, uint256 principal);
    /// @notice Days past the earliest unpaid due day (0 if none is late), the loan state and stage.
    function overdue(bytes32 loanId) external view returns (uint256 daysPastDue, LoanState state, DisputeStage stage);
    /// @notice Today's Asia/Shanghai day number.
    function today() external view returns (uint256);
}
