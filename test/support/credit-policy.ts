// A credit policy for tests that drive a node's decisions against the bureau simulator. (No
// describe/it here: Hardhat mocha loads it like a test.)
import { defaultPolicy, type CreditPolicy } from "../../nodes/src/credit-decision/policy.ts";

/**
 * Every rule the committed default's, loosened so the simulator's borrowers pass: a low score,
 * many overdue accounts, long delinquencies, many recent inquiries and heavy existing debt neither
 * decline nor refer. Borrower keys come from a consortium key drawn afresh for each run, so the
 * simulator's file is a different one each time: up to five loans of up to 200,000 yuan, which at
 * 3% a month beside a 300,000-yuan loan over 12 months is about 120% of a 50,000-yuan monthly income.
 */
export function simulatorPassingPolicy(): CreditPolicy {
  return {
    ...defaultPolicy(),
    referBelowScore: 300,
    referAboveOverdueAccounts: 10,
    referAboveWorstOverdueDays: 10_000,
    maxOverdueAccounts: 10,
    maxWorstOverdueDays: 10_000,
    referAboveQueriesLast6Months: 100,
    maxDebtToIncomeBps: 30_000,
    referAboveDebtToIncomeBps: 30_000,
  };
}
