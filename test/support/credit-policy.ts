// A credit policy for tests that drive a node's decisions against the bureau simulator. (No
// describe/it here: Hardhat mocha loads it like a test.)
import { defaultPolicy, type CreditPolicy } from "../../nodes/src/credit-decision/policy.ts";

/**
 * Every rule the committed default's, loosened so the simulator's borrowers pass: a low score,
 * many overdue accounts, long delinquencies and many recent inquiries neither decline nor refer.
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
  };
}
