// Sending a notice to a borrower and keeping the proof of it. The contact window (08:00–21:00
// Asia/Shanghai) and the per-borrower daily contact cap are checked here, at the moment of
// sending, so a notice scheduled in the daytime and picked up late at night waits for the
// morning. Each attempt — template id, SHA-256 of the exact text, channel, the gateway's receipts
// — is stored as a canonical-JSON record and anchored as lifecycle-notice evidence whose subject
// is the loan: the lender can show the court what was sent, how, when, and whether it arrived.
// Logs carry ids, digests and outcomes only, never the text or the borrower.
import { createHash, randomBytes } from "node:crypto";
import type { Sublevel } from "../../../common/level.ts";
import { SECONDS_PER_DAY, SHANGHAI_OFFSET_SECONDS, shanghaiDay } from "../../../common/lending/dates.ts";
import { DigestAlgorithm, EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import type { AnchorEvidence } from "../bureau/consent.ts";
import { canonicalJson } from "../bureau/canonical-json.ts";
import { isContactAllowed, nextContactTime } from "../reconcile/contact-window.ts";
import { PolicyService } from "../post-loan/policy-service.ts";
import type { DeliveryReceipt, NoticeChannel, NotificationGateway } from "./gateway.ts";
import { renderNotice, type NoticeParams, type NoticeTemplateId } from "./templates.ts";

export type NoticePolicy = {
  /** At most this many contact attempts per borrower per Asia/Shanghai day, all loans together. */
  maxContactsPerDay: number;
  /** Channels tried in order until one delivers. */
  channels: readonly NoticeChannel[];
};

export const DEFAULT_NOTICE_POLICY: NoticePolicy = { maxContactsPerDay: 2, channels: ["sms", "app"] };

export type NoticeRequest = {
  /** Stable per notice (e.g. `reminder:<loanId>:<installment>`): retries share it. */
  noticeId: string;
  loanId: string;
  borrowerKey: string;
  templateId: NoticeTemplateId;
  params: NoticeParams;
};

/** What is anchored for one attempt: the original a court is handed. */
export type NoticeEvidence = {
  noticeId: string;
  loanId: string;
  borrowerKey: string;
  templateId: string;
  contentDigest: string;
  /** The channel that delivered, or the last one tried. */
  channel: NoticeChannel;
  status: "delivered" | "failed";
  /** Every channel tried in this attempt, in order, with the gateway's receipt. */
  receipts: DeliveryReceipt[];
  attempt: number;
};

export type StoredNotice = NoticeEvidence & {
  /** The anchored bytes (canonical JSON of the NoticeEvidence), UTF-8. */
  original: string;
  salt: string;
  leafHash: string;
  sequence: number;
};

export type NoticeOutcome =
  | { status: "delivered" | "failed"; notice: StoredNotice }
  | { status: "deferred"; reason: "outside-contact-window" | "contact-cap"; retryAt: number };

export type NoticeDeps = {
  gateway: NotificationGateway;
  anchor: AnchorEvidence;
  /** `loanId!noticeId!attempt` (3 digits) → StoredNotice. */
  notices: Sublevel<string, StoredNotice>;
  /** `borrowerKey!shanghaiDay` → contact attempts that day. */
  contacts: Sublevel<string, number>;
  policy?: NoticePolicy;
  /** Unix seconds. */
  now: () => number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
};

const sha256 = (s: string) => `0x${createHash("sha256").update(s, "utf8").digest("hex")}`;

export class NoticeService extends PolicyService<NoticePolicy, NoticeDeps> {
  constructor(deps: NoticeDeps) {
    super(deps, DEFAULT_NOTICE_POLICY);
  }

  /** Every stored attempt for a loan, in notice and attempt order. */
  async forLoan(loanId: string): Promise<StoredNotice[]> {
    const prefix = `${loanId.toLowerCase()}!`;
    const out: StoredNotice[] = [];
    for await (const [, value] of this.deps.notices.iterator({ gte: prefix, lt: `${prefix}\xff` }))
      out.push(value);
    return out;
  }

  async attempts(loanId: string, noticeId: string): Promise<StoredNotice[]> {
    return (await this.forLoan(loanId)).filter((n) => n.noticeId === noticeId);
  }

  async delivered(loanId: string, noticeId: string): Promise<StoredNotice | undefined> {
    return (await this.attempts(loanId, noticeId)).find((n) => n.status === "delivered");
  }

  /**
   * Send the notice now if the window and the cap allow; a notice already delivered is not sent
   * again. Every attempt made is stored and anchored, delivered or failed.
   */
  async deliver(request: NoticeRequest): Promise<NoticeOutcome> {
    const loanId = request.loanId.toLowerCase();
    const previous = await this.attempts(loanId, request.noticeId);
    const done = previous.find((n) => n.status === "delivered");
    if (done !== undefined) return { status: "delivered", notice: done };
    const now = this.deps.now();
    if (!isContactAllowed(now))
      return { status: "deferred", reason: "outside-contact-window", retryAt: nextContactTime(now) };
    const contactKey = `${request.borrowerKey.toLowerCase()}!${shanghaiDay(now)}`;
    const contacts = (await this.deps.contacts.get(contactKey)) ?? 0;
    if (contacts >= this.policy.maxContactsPerDay) {
      const tomorrow = (shanghaiDay(now) + 1) * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS;
      return { status: "deferred", reason: "contact-cap", retryAt: nextContactTime(tomorrow) };
    }
    const content = renderNotice(request.templateId, request.params);
    const receipts: DeliveryReceipt[] = [];
    for (const channel of this.policy.channels) {
      let receipt: DeliveryReceipt;
      try {
        receipt = await this.deps.gateway.send({
          noticeId: request.noticeId,
          channel,
          borrowerKey: request.borrowerKey,
          templateId: request.templateId,
          content,
        });
      } catch {
        receipt = { messageId: "", channel, status: "failed", at: this.deps.now(), reason: "gateway-error" };
      }
      receipts.push(receipt);
      if (receipt.status === "delivered") break;
    }
    await this.deps.contacts.put(contactKey, contacts + 1);
    const last = receipts[receipts.length - 1]!;
    const evidence: NoticeEvidence = {
      noticeId: request.noticeId,
      loanId,
      borrowerKey: request.borrowerKey.toLowerCase(),
      templateId: request.templateId,
      contentDigest: sha256(content),
      channel: last.channel,
      status: last.status,
      receipts,
      attempt: previous.length + 1,
    };
    const original = canonicalJson(
      JSON.parse(JSON.stringify(evidence)) as Parameters<typeof canonicalJson>[0],
    );
    const salt = `0x${randomBytes(32).toString("hex")}`;
    const [receipt] = await this.deps.anchor([
      {
        kind: EvidenceKind.LifecycleNotice,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: sha256(original),
        salt,
        subject: loanId,
      },
    ]);
    const stored: StoredNotice = {
      ...evidence,
      original,
      salt,
      leafHash: receipt!.leafHash,
      sequence: receipt!.sequence,
    };
    await this.deps.notices.put(
      `${loanId}!${request.noticeId}!${String(evidence.attempt).padStart(3, "0")}`,
      stored,
    );
    this.deps.log?.info(
      {
        noticeId: request.noticeId,
        templateId: request.templateId,
        contentDigest: evidence.contentDigest,
        channel: evidence.channel,
        status: evidence.status,
        leafHash: stored.leafHash,
      },
      "notice sent",
    );
    return { status: evidence.status, notice: stored };
  }
}
