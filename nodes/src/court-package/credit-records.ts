// The owning node's credit records of a loan, for the court's package: the application the loan
// was approved from (named in the contract's filing), every decision record of that application,
// every credit query a decision was made on and every post-loan re-query of the borrower (the
// nightly batch's, purpose POST_LOAN_MANAGEMENT), each as the canonical JSON whose SHA-256 was
// anchored; and at the union's node, its own log of each post-loan re-query the loan's branch
// asked through it, which the court holds the branch's logs against. A record the node does not
// hold is left out, and the court's check names it.
import type { StoredQueryLog } from "../bureau/consent.ts";
import type { StoredUnionQueryLog } from "../credit-service/union-credit.ts";
import type { DecisionRecord } from "../credit-decision/records.ts";
import type { CreditRecord, LoanCreditRecords } from "./evidence-set.ts";

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
    // a post-loan re-query is of the borrower, not of one application: each is the loan's record
    const ofLoan = (l: StoredQueryLog) =>
      named.has(l.anchor?.leafHash.toLowerCase() ?? "") || l.entry.purpose === "POST_LOAN_MANAGEMENT";
    return {
      application: { applicationId, originator, recordId },
      decisions: decisions.map((d) => ({
        leafHash: d.anchor.leafHash,
        document: d.document,
        label: `decision ${d.outcome} ${d.decisionId}`,
        since: d.anchor.anchoredAt,
      })),
      queries: logs.flatMap((l) =>
        l.anchor !== undefined && ofLoan(l)
          ? [
              {
                leafHash: l.anchor.leafHash,
                document: l.document,
                label: `${l.entry.purpose} query ${l.entry.when}`,
                since: l.anchor.anchoredAt,
              },
            ]
          : [],
      ),
    };
  };
}

/**
 * The union's logs of the post-loan re-queries branch `branch` asked through it for a borrower
 * (anchored ones only): the court's check requires the branch's own log of each.
 */
export function unionPostLoanAsksOf(logsOf: (borrowerKey: string) => Promise<StoredUnionQueryLog[]>) {
  return async (borrowerKey: string, branch: number): Promise<CreditRecord[]> =>
    (await logsOf(borrowerKey)).flatMap((l) =>
      l.anchor !== undefined && l.entry.asker === branch && l.entry.purpose === "POST_LOAN_MANAGEMENT"
        ? [
            {
              leafHash: l.anchor.leafHash,
              document: l.document,
              label: `union log of member ${branch}'s ${l.entry.purpose} query ${l.entry.when}`,
              since: l.anchor.anchoredAt,
            },
          ]
        : [],
    );
}
