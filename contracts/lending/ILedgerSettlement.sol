// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ILedgerSettlement
/// @notice The ledger's entry for a mediation's settlement. JointLoanLedger does not declare it
/// (its creation code has no bytes to spare): its fallback forwards this call from the
/// DisputeResolution contract to its LedgerExtension, whose fallback runs it on the ledger's
/// storage (in assembly, on the ABI encoding DisputeResolution's call produces).
interface ILedgerSettlement {
    /// @notice Replace an active loan's schedule, from the installment in progress on, with a
    /// mediation's settlement plan (the DisputeResolution contract only, which checks the plan —
    /// `IDisputeResolution.adoptSettlement` — while the loan is in Mediation): `words` are the
    /// whole new schedule of `installmentCount` installments in LoanPacking's layout (three 80-bit
    /// installments a word), of which the words from the installment in progress's on are stored.
    /// What was paid of the installment in progress and its penalty are cleared, the principal
    /// repaid is kept, and the loan keeps no headroom under the all-in cap (paying ahead of the plan
    /// is refused; settle instead). It emits nothing and checks only its caller
    /// (LedgerNotDisputeResolution): DisputeResolution checks the rest and emits SettlementAdopted.
    function replaceSchedule(bytes32 loanId, uint256 installmentCount, uint256[] calldata words) external;
}
