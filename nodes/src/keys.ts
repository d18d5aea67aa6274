// Every sublevel of the node's LevelDB (`<NODE_DATA_DIR>/node`), with its key and value layout.
// The modules that own a sublevel keep its inner layout beside their code (named below); this is
// the one list of what the root holds. Numeric keys are big-endian or zero-padded, so LevelDB's
// byte order is numeric order. Personal data is only ever stored sealed (AES-256-GCM under the
// node's data key); everything in the clear is hashes, ids and amounts.
//
//   applications              applicationId (utf8)                 → sealed canonical application
//                                                                    (applications.ts; aad = the id)
//                             "submitted!" ‖ platform's own id     → applicationId: a platform node's
//                                                                    index of what it submitted
//   documents                 (documents/keys.ts)                  → originals sealed, records, loan
//                                                                    index, access log
//   bureau-consents           borrowerKey!letterDigest             → StoredConsent (JSON, with its
//                                                                    anchor receipt; bureau/consent.ts)
//   bureau-query-logs         borrowerKey!when!reportDigest        → StoredQueryLog (JSON), in time order
//   credit-service-reports    borrowerKey                          → CachedReport (JSON): the union's one
//                                                                    report per borrower (its bytes in
//                                                                    documents; credit-service/)
//   credit-service-logs       borrowerKey!when!asker               → StoredUnionQueryLog (JSON, anchored):
//                                                                    each branch's ask at the union
//   credit-objections         objectionId                          → BranchObjection at a branch,
//                                                                    UnionObjection at the union (JSON;
//                                                                    texts in documents; credit-service/)
//   outbox                    (outbox/outbox.ts: entries, order,   → every chain write of the member's
//                             pending, transactions)                 operations key, before it is sent
//   outbox-governance         (as outbox)                          → the branch's governance-key writes
//                                                                    (setOwnBranchLimits)
//   indexer                   (indexer/keys.ts; meta)              → the read model of the shared ledger
//                                                                    and the indexer's cursor
//   request-nonces            signer ‖ nonce (hex of nonceKey)     → expiresAt, unix seconds (utf8):
//                                                                    node-to-node requests served; swept
//                                                                    after expiry (node-requests.ts)
//   reminders                 loanId!installment (3 digits)        → ReminderRecord (JSON): one borrower
//                                                                    reminder per missed installment
//                                                                    (keeper/keeper.ts)
//   notices                   loanId!noticeId!attempt (3 digits)   → StoredNotice (JSON, anchored): each
//                                                                    attempt to reach a borrower, with the
//                                                                    gateway's receipts (notices/)
//   notice-contacts           borrowerKey!shanghaiDay              → contact attempts that day (JSON number;
//                                                                    the daily cap, notices/)
//   mediation                 loanId                               → the loan's mediation case (JSON text,
//                                                                    bigints as strings; mediation/)
//   post-loan                 run!runId, w!runId!loanId,           → the nightly batch's runs (cursor),
//                             x!borrowerKey                          early warnings and the exposure last
//                                                                    seen per borrower (JSON; post-loan/)
//   receiving-accounts        loanId                               → ReceivingRecord (JSON): the account
//                                                                    kind and salted hash a loan pays
//                                                                    (entrusted-payment.ts)
//   income-split-acceptances  loanId                               → the platform admin's acceptance of
//                                                                    an income split (JSON; income-split.ts)
//   credit-policies           version, zero-padded to 10 digits    → StoredPolicy (JSON): each anchored
//                                                                    version of the credit policy; the
//                                                                    last is in force (credit-decision/)
//   credit-decisions          "d!" ‖ decisionId                    → DecisionRecord (JSON, anchored)
//                             "a!" ‖ applicationId!n (6 digits)    → decisionId: an application's
//                                                                    decisions in order
//   credit-review-queue       applicationId                        → QueuedReview (JSON): a referred
//                                                                    application waiting for approvers
//   contract-endorsements     contract leafHash                    → ContractEndorsement (JSON): a signed
//                                                                    contract's registration and its
//                                                                    platform's endorsement (e-contract/)
//   witness                   log origin (utf8)                    → { size, root, cosignedAt } (JSON): the
//                                                                    latest checkpoint this node's C2SP
//                                                                    witness cosigned (witness/witness.ts)
//   batch-files               "batches" sublevel: batch id (hex)   → a daily file's rows and how far they
//                                                                    were taken (JSON; batch-files/batches.ts)
//   verification-reports      report id (JLR-…)                    → { report, pdf } (JSON): a signed
//                                                                    verification certificate and its
//                                                                    report (court-page/reports.ts)
//
// A record and its index entries are always written in one batch (the outbox's synced).
import { BUREAU_SUBLEVELS } from "./bureau/consent.ts";
import { UNION_CREDIT_SUBLEVELS } from "./credit-service/union-credit.ts";

/**
 * Each root sublevel's name, grouped by its value encoding; "own": the module sets its own
 * encodings below it.
 */
const SUBLEVEL_NAMES = {
  view: { applications: "applications" },
  own: { documents: "documents", indexer: "indexer", batchFiles: "batch-files" },
  utf8: { requestNonces: "request-nonces", mediation: "mediation" },
  json: {
    bureauConsents: BUREAU_SUBLEVELS.consents,
    bureauQueryLogs: BUREAU_SUBLEVELS.queryLogs,
    creditServiceReports: UNION_CREDIT_SUBLEVELS.reports,
    creditServiceLogs: UNION_CREDIT_SUBLEVELS.logs,
    creditObjections: "credit-objections",
    outbox: "outbox",
    governanceOutbox: "outbox-governance",
    reminders: "reminders",
    notices: "notices",
    noticeContacts: "notice-contacts",
    postLoan: "post-loan",
    receivingAccounts: "receiving-accounts",
    incomeSplitAcceptances: "income-split-acceptances",
    creditPolicies: "credit-policies",
    creditDecisions: "credit-decisions",
    creditReviewQueue: "credit-review-queue",
    contractEndorsements: "contract-endorsements",
    witness: "witness",
    verificationReports: "verification-reports",
  },
} as const satisfies Record<string, Record<string, string>>;

type Groups = typeof SUBLEVEL_NAMES;
type Encoding = Exclude<keyof Groups, "own">;
export type NodeSublevel = { [G in keyof Groups]: keyof Groups[G] }[keyof Groups];
type Sublevel = { name: string; valueEncoding: Encoding | undefined };

/** Each root sublevel's name and value encoding (undefined: the module sets its own below it). */
export const NODE_SUBLEVELS = Object.fromEntries(
  Object.entries(SUBLEVEL_NAMES).flatMap(([group, names]) =>
    Object.entries(names).map(([which, name]) => [
      which,
      { name, valueEncoding: group === "own" ? undefined : (group as Encoding) },
    ]),
  ),
) as Readonly<Record<NodeSublevel, Sublevel>>;
