// The credit-decision room: runs the engine for an application under the policy in force, keeps
// the manual-review queue, records every decision, and answers approval's question — may this
// application be approved, and under which consent?
import { createHash } from "node:crypto";
import type { Actor } from "../actor.ts";
import type { ApplicationStore } from "../applications.ts";
import { listConsents, type CreditQueryDeps, type StoredQueryLog } from "../bureau/consent.ts";
import { canonicalJson, type CanonicalValue } from "../bureau/canonical-json.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import { nodeError } from "../errors.ts";
import { decide, termInMonths, type DecisionInputs, type DecisionReason } from "./engine.ts";
import type { CreditPolicies, CreditPolicy, StoredPolicy } from "./policy.ts";
import type { DecisionContent, DecisionRecord, DecisionRecords } from "./records.ts";
import type { ReviewQueue } from "./review-queue.ts";
import { Room } from "../room.ts";

export type CreditDecisionsDeps = {
  memberId: number;
  applications: ApplicationStore;
  policies: CreditPolicies;
  records: DecisionRecords;
  queue: ReviewQueue;
  /** The bureau module's consents and query logs (bureau/consent.ts). */
  bureau: Pick<CreditQueryDeps, "consents" | "queryLogs">;
  /** Where the credit reports are (read by the decision, each read logged). */
  documents: Pick<DocumentStore, "get">;
  /** The borrower's outstanding principal across the consortium, from the chain's index. */
  exposure: (borrowerKey: string) => Promise<bigint>;
  now?: () => Date;
};

const DAY_MS = 86_400_000;
const PURPOSE = "LOAN_APPROVAL";

export class CreditDecisions extends Room<CreditDecisionsDeps> {
  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * The engine's decision for an application routed to this branch, under the policy in force,
   * from the borrower's latest credit query (fresh, anchored, under a consent in force). Recorded;
   * a referral joins the review queue. An application with a decision already: NODE_ERR_DECISION_EXISTS.
   */
  async run(
    actor: Actor,
    input: { applicationId: string; monthlyIncomeFen: bigint },
  ): Promise<{ record: DecisionRecord; review?: { needsSecondApprover: boolean } }> {
    const stored = await this.deps.applications.get(input.applicationId);
    if (stored.assignedBranch !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `application ${input.applicationId} is routed to branch ${stored.assignedBranch}, not this node's member ${this.deps.memberId}`,
      );
    }
    const earlier = await this.deps.records.latest(stored.applicationId);
    if (earlier !== undefined) {
      throw nodeError(
        "NODE_ERR_DECISION_EXISTS",
        `application ${stored.applicationId} was already decided (${earlier.outcome}, record ${earlier.decisionId}); a referral is answered through the review queue`,
        { decisionId: earlier.decisionId, outcome: earlier.outcome },
      );
    }
    const now = this.#now();
    const query = await this.#freshQuery(stored.borrowerKey, await this.deps.policies.inForce(), now);
    await this.#consentInForce(stored.borrowerKey, query.consentLeafHash, now);
    const report = await this.#reportFigures(actor, query);
    const exposure = await this.#exposure(stored.borrowerKey);
    const { loan } = stored.application;
    const inputs: DecisionInputs = {
      principalFen: loan.principalFen,
      termMonths: termInMonths(loan),
      aprBps: loan.aprBps,
      monthlyIncomeFen: input.monthlyIncomeFen,
      report,
      consortiumExposureFen: exposure,
    };
    // every refusal is behind: the policy's version is anchored now if it never was (the committed default)
    const policy = await this.deps.policies.current();
    const decision = decide(inputs, policy.policy);
    const inputsDigest = digestOf({
      application: toPlain(stored.application),
      inputs: toPlain(inputs),
      reportDigest: query.entry.reportDigest,
    });
    const record = await this.deps.records.record({
      applicationId: stored.applicationId,
      borrowerKey: stored.borrowerKey,
      outcome: decision.outcome,
      reasons: decision.reasons,
      mode: "automatic",
      decidedBy: [actor.userId],
      at: now.toISOString(),
      policyVersion: policy.policy.version,
      policyLeafHash: policy.anchor.leafHash,
      inputsDigest,
      queryLeafHash: query.anchor!.leafHash,
      consentLeafHash: query.consentLeafHash,
      figures: toPlain(decision.figures) as Record<string, string | null>,
    });
    if (decision.outcome !== "refer") return { record };
    const needsSecondApprover = loan.principalFen > BigInt(policy.policy.dualApprovalAboveFen);
    await this.deps.queue.add({
      applicationId: stored.applicationId,
      referral: record.decisionId,
      referredAt: record.at,
      reasons: decision.reasons,
      principalFen: loan.principalFen.toString(),
      needsSecondApprover,
      approvals: [],
    });
    return { record, review: { needsSecondApprover } };
  }

  /** The applications waiting for an approver. */
  async queue() {
    return this.deps.queue.list();
  }

  /**
   * An approver's answer to a referral: decline (recorded at once, with the reasons the borrower
   * is told), or approve — recorded at once, or after a second, different approver above the
   * policy's threshold (maker-checker).
   */
  async review(
    actor: Actor,
    applicationId: string,
    input: { outcome: "approve" | "decline"; reasons?: DecisionReason[] },
  ): Promise<{ record?: DecisionRecord; awaiting?: { approvedBy: string[] } }> {
    const review = await this.deps.queue.waiting(applicationId);
    const referral = await this.deps.records.get(review.referral);
    const at = this.#now().toISOString();
    let decidedBy: string[];
    let reasons: DecisionReason[];
    if (input.outcome === "decline") {
      decidedBy = [...review.approvals.map((a) => a.userId).filter((u) => u !== actor.userId), actor.userId];
      reasons = input.reasons !== undefined && input.reasons.length > 0 ? input.reasons : ["MANUAL_DECLINE"];
    } else {
      const step = await this.deps.queue.approve(review, actor.userId, at);
      if (!step.done) return { awaiting: { approvedBy: step.review.approvals.map((a) => a.userId) } };
      decidedBy = step.approvers;
      reasons = [];
    }
    const content: DecisionContent = {
      applicationId,
      borrowerKey: referral.borrowerKey,
      outcome: input.outcome,
      reasons,
      mode: "manual",
      decidedBy,
      at,
      policyVersion: referral.policyVersion,
      policyLeafHash: referral.policyLeafHash,
      inputsDigest: referral.inputsDigest,
      queryLeafHash: referral.queryLeafHash,
      consentLeafHash: referral.consentLeafHash,
      figures: referral.figures,
      answers: referral.decisionId,
    };
    const record = await this.deps.records.record(content);
    await this.deps.queue.remove(applicationId);
    return { record };
  }

  async get(decisionId: string): Promise<DecisionRecord> {
    return this.deps.records.get(decisionId);
  }

  async policy(): Promise<StoredPolicy> {
    return this.deps.policies.current();
  }

  async replacePolicy(actor: Actor, policy: unknown): Promise<StoredPolicy> {
    return this.deps.policies.replace(actor.userId, policy);
  }

  /**
   * What approval needs before it registers a loan: the application's latest decision approves it,
   * the credit query it was made under is anchored and within the policy's freshness window, and
   * that query's consent is anchored, in force and covers the credit query. Returns the consent's
   * leaf (the one that goes on chain) and the decision's id.
   */
  async approvalGate(
    applicationId: string,
    borrowerKey: string,
  ): Promise<{ consentLeafHash: string; decisionId: string }> {
    const latest = await this.deps.records.latest(applicationId);
    if (latest === undefined) {
      const waiting = await this.deps.queue.get(applicationId);
      throw nodeError(
        "NODE_ERR_DECISION_REQUIRED",
        waiting === undefined
          ? `application ${applicationId} has no credit decision: run one (POST /v1/decisions) first`
          : `application ${applicationId} waits for a manual review`,
      );
    }
    if (latest.outcome !== "approve") {
      const code = latest.outcome === "decline" ? "NODE_ERR_DECISION_DECLINED" : "NODE_ERR_DECISION_REQUIRED";
      throw nodeError(
        code,
        `application ${applicationId}'s credit decision is ${latest.outcome} (record ${latest.decisionId})${latest.outcome === "refer" ? ": an approver must review it" : ""}`,
        { decisionId: latest.decisionId, outcome: latest.outcome, reasons: latest.reasons },
      );
    }
    if (latest.borrowerKey !== borrowerKey.toLowerCase()) {
      throw nodeError(
        "NODE_ERR_DECISION_REQUIRED",
        `application ${applicationId}'s decision record is for another borrower`,
      );
    }
    const policy = await this.deps.policies.inForce();
    const now = this.#now();
    const logs = await this.#queryLogs(borrowerKey);
    const query = logs.find((l) => l.anchor?.leafHash === latest.queryLeafHash);
    const windowMs = policy.reportFreshnessDays * DAY_MS;
    if (query === undefined || now.getTime() - Date.parse(query.entry.when) > windowMs) {
      throw nodeError(
        "NODE_ERR_CREDIT_QUERY_STALE",
        `the credit query application ${applicationId} was decided on is ${query === undefined ? "not logged at this node" : `from ${query.entry.when}`}, outside the policy's ${policy.reportFreshnessDays}-day window: query again and decide again`,
        {
          queryLeafHash: latest.queryLeafHash,
          freshnessDays: policy.reportFreshnessDays,
        },
      );
    }
    await this.#consentInForce(borrowerKey, query.consentLeafHash, now);
    return { consentLeafHash: query.consentLeafHash, decisionId: latest.decisionId };
  }

  /** The borrower's latest anchored LOAN_APPROVAL query, within the freshness window. */
  async #freshQuery(borrowerKey: string, policy: CreditPolicy, now: Date): Promise<StoredQueryLog> {
    const all = (await this.#queryLogs(borrowerKey)).filter((l) => l.entry.purpose === PURPOSE);
    const logs = all.filter((l) => l.anchor !== undefined && l.documentId !== undefined);
    const latest = logs.at(-1);
    const days = policy.reportFreshnessDays;
    if (latest === undefined || now.getTime() - Date.parse(latest.entry.when) > days * DAY_MS) {
      // a query whose POST /v1/credit-queries answered is anchored with its report already; an
      // unanchored one failed there and waits for the node's pending pass
      const pending = all.some((l) => l.anchor === undefined)
        ? "; a query of this borrower is logged but not anchored yet (its anchoring failed; the node retries every 10 s): retry the decision once it is, or query again"
        : "";
      throw nodeError(
        "NODE_ERR_CREDIT_QUERY_STALE",
        `${latest === undefined ? `no anchored ${PURPOSE} credit query with a stored report for this borrower` : `the borrower's latest credit query is from ${latest.entry.when}`}: a decision needs one within ${days} days (POST /v1/credit-queries, which answers once the query is anchored)${pending}`,
        { freshnessDays: days, pendingQueries: all.filter((l) => l.anchor === undefined).length },
      );
    }
    return latest;
  }

  async #queryLogs(borrowerKey: string): Promise<StoredQueryLog[]> {
    const key = borrowerKey.toLowerCase();
    return this.deps.bureau.queryLogs.values({ gt: `${key}!`, lt: `${key}!~` }).all();
  }

  /** The consent under which the query was made: anchored, in force now, covering the credit query. */
  async #consentInForce(borrowerKey: string, consentLeafHash: string, now: Date): Promise<void> {
    const consent = (await listConsents(borrowerKey, this.deps.bureau)).find(
      (c) => c.anchor?.leafHash === consentLeafHash,
    );
    if (consent === undefined)
      throw nodeError(
        "NODE_ERR_DECISION_CONSENT",
        `the consent ${consentLeafHash} the credit query was made under is not anchored at this node`,
        { consentLeafHash },
      );
    if (Date.parse(consent.validUntil) < now.getTime())
      throw nodeError(
        "NODE_ERR_DECISION_CONSENT",
        `the consent ${consentLeafHash} expired on ${consent.validUntil}: obtain a new authorization letter`,
        { consentLeafHash, validUntil: consent.validUntil },
      );
    if (!consent.scope.includes(PURPOSE))
      throw nodeError(
        "NODE_ERR_DECISION_CONSENT",
        `the consent ${consentLeafHash} does not cover ${PURPOSE}`,
        { consentLeafHash },
      );
  }

  /** The report's figures, read from the stored report (its SHA-256 checked against the anchored query log). */
  async #reportFigures(actor: Actor, query: StoredQueryLog): Promise<DecisionInputs["report"]> {
    const raw = await this.deps.documents.get(query.documentId!, { actor, purpose: "credit decision" });
    const digest = `0x${createHash("sha256").update(raw).digest("hex")}`;
    if (digest !== query.entry.reportDigest.toLowerCase()) {
      throw nodeError(
        "NODE_ERR_CREDIT_QUERY_STALE",
        `the stored report does not match the anchored query log's digest ${query.entry.reportDigest}: query again`,
      );
    }
    const summary = (JSON.parse(new TextDecoder().decode(raw)) as { summary?: Record<string, unknown> })
      .summary;
    const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);
    const outstanding =
      typeof summary?.totalOutstandingFen === "string" && /^\d+$/.test(summary.totalOutstandingFen)
        ? BigInt(summary.totalOutstandingFen)
        : undefined;
    const figures = {
      score: int(summary?.score),
      overdueAccounts: int(summary?.overdueAccounts),
      worstOverdueDays: int(summary?.worstOverdueDays),
      queriesLast6Months: int(summary?.queriesLast6Months),
    };
    if (outstanding === undefined || Object.values(figures).some((v) => v === undefined)) {
      throw nodeError(
        "NODE_ERR_CREDIT_QUERY_STALE",
        "the stored credit report has no summary this node reads: query again",
      );
    }
    return {
      ...(figures as {
        score: number;
        overdueAccounts: number;
        worstOverdueDays: number;
        queriesLast6Months: number;
      }),
      totalOutstandingFen: outstanding,
    };
  }

  async #exposure(borrowerKey: string): Promise<bigint> {
    try {
      return await this.deps.exposure(borrowerKey);
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the borrower's consortium exposure: ${(error as Error).message}`,
      );
    }
  }
}

/** Bigints as decimal strings, undefined dropped: the JSON the digest and the record hold. */
function toPlain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

function digestOf(value: unknown): string {
  return `0x${createHash("sha256")
    .update(canonicalJson(toPlain(value) as CanonicalValue), "utf8")
    .digest("hex")}`;
}
