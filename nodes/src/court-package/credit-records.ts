// The owning node's credit records of a loan, for the court's package: the application the loan
// was approved from (named in the contract's filing), every decision record of that application
// and every credit query a decision was made on, each as the canonical JSON whose SHA-256 was
// anchored. A record the node does not hold is left out, and the court's check names it.
import type { StoredQueryLog } from "../bureau/consent.ts";
import type { DecisionRecord } from "../credit-decision/records.ts";
import type { LoanCreditRecords } from "./evidence-set.ts";

export type CreditRecordsDeps = {
  /** The application record id the loan's contract was filed with (its `meta.applicationId`). */
  applicationOfLoan: (loanId: string) => Promise<string | undefined>;
  /** The stored application: the platform's application id and the member it is credited to. */
  application: (
    recordId: string,
  ) => Promise<{ applicationId: string; originator: number; borrowerKey: string }>;
  decisions: (recordId: string) => Promise<DecisionRecord[]>;
  /** The borrower's query logs at this node. */
  queryLogs: (borrowerKey: string) => Promise<StoredQueryLog[]>;
};

export function creditRecordsOf(deps: CreditRecordsDeps) {
  return async (loanId: string): Promise<LoanCreditRecords | undefined> => {
    const recordId = await deps.applicationOfLoan(loanId);
    if (recordId === undefined) return undefined;
    const { applicationId, originator, borrowerKey } = await deps.application(recordId);
    const decisions = await deps.decisions(recordId);
    const logs = await deps.queryLogs(borrowerKey);
    const named = new Set(decisions.map((d) => d.queryLeafHash.toLowerCase()));
    return {
      application: { applicationId, originator, recordId },
      decisions: decisions.map((d) => ({
        leafHash: d.anchor.leafHash,
        document: d.document,
        label: `decision ${d.outcome} ${d.decisionId}`,
      })),
      queries: logs.flatMap((l) =>
        l.anchor !== undefined && named.has(l.anchor.leafHash.toLowerCase())
          ? [
              {
                leafHash: l.anchor.leafHash,
                document: l.document,
                label: `${l.entry.purpose} query ${l.entry.when}`,
              },
            ]
          : [],
      ),
    };
  };
}
