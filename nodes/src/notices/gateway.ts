// The notification gateway (送达): how a notice reaches the borrower, by SMS or an app message.
// The node never holds the borrower's phone number or app account: it names the borrower by
// their pseudonymous borrowerKey and the gateway (the bank's contact system) resolves it. Every
// send answers with a delivery receipt, delivered or failed, which is anchored with the notice.
import { createHash } from "node:crypto";
import type { NoticeRequest } from "./notices.ts";

export const NOTICE_CHANNELS = ["sms", "app"] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];

/** One message handed to the gateway: the notice (its id, borrower and template) on one channel, rendered. */
export type GatewayMessage = Pick<NoticeRequest, "noticeId" | "borrowerKey" | "templateId"> & {
  channel: NoticeChannel;
  /** The rendered text, exactly as the borrower receives it. */
  content: string;
};

/** The gateway's answer for one message. */
export type DeliveryReceipt = {
  /** The gateway's own id for the message (its log holds the rest). */
  messageId: string;
  channel: NoticeChannel;
  status: "delivered" | "failed";
  /** Unix seconds: when the gateway delivered (or gave up). */
  at: number;
  /** Failed only: the gateway's reason code (no personal data), e.g. "unreachable". */
  reason?: string;
};

export interface NotificationGateway {
  send(message: GatewayMessage): Promise<DeliveryReceipt>;
}

/**
 * A gateway that delivers nothing: it answers like a real one, delivered unless `fail` names a
 * reason for the message (a switched-off phone, an uninstalled app), and keeps what it was given
 * so tests and the demo can show what the borrower received.
 */
export class SimulatedGateway implements NotificationGateway {
  readonly sent: Array<GatewayMessage & { receipt: DeliveryReceipt }> = [];
  readonly #now: () => number;
  readonly #fail: (message: GatewayMessage) => string | undefined;

  constructor(opts: { now: () => number; fail?: (message: GatewayMessage) => string | undefined }) {
    this.#now = opts.now;
    this.#fail = opts.fail ?? (() => undefined);
  }

  send(message: GatewayMessage): Promise<DeliveryReceipt> {
    const reason = this.#fail(message);
    const messageId = createHash("sha256")
      .update(`${message.noticeId}|${message.channel}|${this.sent.length}`)
      .digest("hex")
      .slice(0, 24);
    const receipt: DeliveryReceipt =
      reason === undefined
        ? { messageId, channel: message.channel, status: "delivered", at: this.#now() }
        : { messageId, channel: message.channel, status: "failed", at: this.#now(), reason };
    this.sent.push({ ...message, receipt });
    return Promise.resolve(receipt);
  }
}
