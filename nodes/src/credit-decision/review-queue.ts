// The manual-review queue (人工审核通道): a referred application waits here for an approver. An
// approval of a loan above the policy's dualApprovalAboveFen needs two different approvers
// (maker-checker): the first approval is held, the second — by someone else — completes it.
import type { Sublevel } from "../../../common/level.ts";
import { nodeError } from "../errors.ts";
import type { DecisionReason } from "./engine.ts";

export type QueuedReview = {
  applicationId: string;
  /** The referral's decision record. */
  referral: string;
  referredAt: string;
  reasons: DecisionReason[];
  principalFen: string;
  /** Whether an approval needs a second, different approver (from the policy in force at referral). */
  needsSecondApprover: boolean;
  /** The maker's approval, held until a different approver checks it. */
  approvals: Array<{ userId: string; at: string }>;
};

export type ReviewStep = { done: false; review: QueuedReview } | { done: true; approvers: string[] };

/** applicationId → QueuedReview, while the application waits. */
export class ReviewQueue {
  readonly #db: Sublevel<string, QueuedReview>;

  constructor(db: Sublevel<string, QueuedReview>) {
    this.#db = db;
  }

  async add(review: QueuedReview): Promise<void> {
    await this.#db.put(review.applicationId, review);
  }

  async get(applicationId: string): Promise<QueuedReview | undefined> {
    return this.#db.get(applicationId);
  }

  /** Every waiting application, by id. */
  async list(): Promise<QueuedReview[]> {
    return this.#db.values().all();
  }

  /** The waiting review, or NODE_ERR_DECISION_NOT_REFERRED. */
  async waiting(applicationId: string): Promise<QueuedReview> {
    const review = await this.get(applicationId);
    if (review === undefined)
      throw nodeError(
        "NODE_ERR_DECISION_NOT_REFERRED",
        `application ${applicationId} is not waiting for a manual review`,
      );
    return review;
  }

  /**
   * An approver's approval: done at once, or — above the threshold — held as the maker's until a
   * different approver checks it (the same approver twice: NODE_ERR_SAME_APPROVER). Nothing is
   * written here when done: the caller records the decision, then removes the entry.
   */
  async approve(review: QueuedReview, userId: string, at: string): Promise<ReviewStep> {
    if (review.approvals.some((a) => a.userId === userId)) {
      throw nodeError(
        "NODE_ERR_SAME_APPROVER",
        `${userId} already approved application ${review.applicationId}: a second, different approver must check it`,
        { approvedBy: review.approvals.map((a) => a.userId) },
      );
    }
    const approvals = [...review.approvals, { userId, at }];
    if (review.needsSecondApprover && approvals.length < 2) {
      const held = { ...review, approvals };
      await this.#db.put(review.applicationId, held);
      return { done: false, review: held };
    }
    return { done: true, approvers: approvals.map((a) => a.userId) };
  }

  async remove(applicationId: string): Promise<void> {
    await this.#db.del(applicationId);
  }
}
