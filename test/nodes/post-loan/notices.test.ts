// The notice service on its own: the contact window checked when sending, the per-borrower
// daily cap, channel fallback on a failed delivery, and every attempt anchored as evidence whose
// digest is the stored original's.
import { createHash } from "node:crypto";
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import type { Sublevel } from "../../../common/level.ts";
import { EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import type { EvidenceRecordInput } from "../../../nodes/src/bureau/consent.ts";
import { SimulatedGateway } from "../../../nodes/src/notices/gateway.ts";
import { NoticeService, type StoredNotice } from "../../../nodes/src/notices/notices.ts";
import { shanghaiTime } from "./clock.ts";

const LOAN = `0x${"ab".repeat(32)}`;
const BORROWER = `0x${"cd".repeat(32)}`;

function setup(opts: { fail?: (channel: string) => string | undefined; maxContactsPerDay?: number } = {}) {
  const db = new MemoryLevel();
  let clock = shanghaiTime(20_000, 10);
  const anchored: EvidenceRecordInput[] = [];
  const gateway = new SimulatedGateway({ now: () => clock, fail: (m) => opts.fail?.(m.channel) });
  const notices = new NoticeService({
    gateway,
    anchor: (records) => {
      anchored.push(...records);
      return Promise.resolve(
        records.map((r, i) => ({
          leafHash: `0x${createHash("sha256").update(r.digest).digest("hex")}`,
          sequence: anchored.length - records.length + i,
        })),
      );
    },
    notices: db.sublevel("notices", { valueEncoding: "json" }) as Sublevel<string, StoredNotice>,
    contacts: db.sublevel("contacts", { valueEncoding: "json" }) as Sublevel<string, number>,
    policy: { maxContactsPerDay: opts.maxContactsPerDay ?? 2, channels: ["sms", "app"] },
    now: () => clock,
  });
  return {
    notices,
    gateway,
    anchored,
    setClock: (t: number) => void (clock = t),
  };
}

const request = (n: string, loanId = LOAN) => ({
  noticeId: `reminder:${loanId}:${n}`,
  loanId,
  borrowerKey: BORROWER,
  templateId: "reminder.v1" as const,
  params: { loanRef: loanId.slice(2, 10), daysPastDue: 2, amountDueFen: 171_000n },
});

describe("post-loan notices: window, cap, receipts, evidence", function () {
  it("refuses to send at 21:00 and after, and before 08:00, whenever the notice was scheduled", async function () {
    const { notices, gateway, setClock } = setup();
    for (const [hour, minute] of [
      [21, 0],
      [22, 30],
      [7, 59],
    ] as const) {
      setClock(shanghaiTime(20_000, hour, minute));
      const outcome = await notices.deliver(request("1"));
      expect(outcome.status).to.equal("deferred");
      expect(outcome.status === "deferred" && outcome.reason).to.equal("outside-contact-window");
    }
    expect(gateway.sent).to.have.length(0);
    setClock(shanghaiTime(20_001, 8));
    expect((await notices.deliver(request("1"))).status).to.equal("delivered");
  });

  it("anchors each notice: template, content digest, channel and receipt, the digest over the stored original", async function () {
    const { notices, gateway, anchored } = setup();
    const outcome = await notices.deliver(request("1"));
    if (outcome.status === "deferred") throw new Error("deferred");
    const n = outcome.notice;
    expect(n.templateId).to.equal("reminder.v1");
    expect(n.channel).to.equal("sms");
    expect(n.receipts.map((r) => r.status)).to.deep.equal(["delivered"]);
    const sentText = gateway.sent[0]!.content;
    expect(n.contentDigest).to.equal(`0x${createHash("sha256").update(sentText).digest("hex")}`);
    expect(anchored).to.have.length(1);
    expect(anchored[0]!.kind).to.equal(EvidenceKind.LifecycleNotice);
    expect(anchored[0]!.subject).to.equal(LOAN);
    expect(anchored[0]!.salt).to.equal(n.salt);
    expect(anchored[0]!.digest).to.equal(`0x${createHash("sha256").update(n.original).digest("hex")}`);
    expect(JSON.parse(n.original)).to.deep.include({ noticeId: n.noticeId, contentDigest: n.contentDigest });
    // delivered once: asking again neither sends nor anchors
    expect((await notices.deliver(request("1"))).status).to.equal("delivered");
    expect(gateway.sent).to.have.length(1);
    expect(anchored).to.have.length(1);
  });

  it("falls back to the app when the SMS fails; both failing is a failed attempt, anchored, retried later", async function () {
    let failApp = true;
    const { notices, gateway, setClock } = setup({
      fail: (channel) => (channel === "sms" ? "unreachable" : failApp ? "not-installed" : undefined),
    });
    const first = await notices.deliver(request("1"));
    expect(first.status).to.equal("failed");
    expect(gateway.sent.map((s) => s.channel)).to.deep.equal(["sms", "app"]);
    failApp = false;
    setClock(shanghaiTime(20_000, 15));
    const second = await notices.deliver(request("1"));
    if (second.status === "deferred") throw new Error("deferred");
    expect(second.status).to.equal("delivered");
    expect(second.notice.channel).to.equal("app");
    expect(second.notice.attempt).to.equal(2);
    expect((await notices.forLoan(LOAN)).map((n) => n.status)).to.deep.equal(["failed", "delivered"]);
  });

  it("caps contacts per borrower per day across loans, then sends the next morning", async function () {
    const other = `0x${"ef".repeat(32)}`;
    const { notices, gateway, setClock } = setup({ maxContactsPerDay: 1 });
    expect((await notices.deliver(request("1"))).status).to.equal("delivered");
    const capped = await notices.deliver(request("1", other));
    expect(capped).to.deep.equal({
      status: "deferred",
      reason: "contact-cap",
      retryAt: shanghaiTime(20_001, 8),
    });
    expect(gateway.sent).to.have.length(1);
    setClock(shanghaiTime(20_001, 8));
    expect((await notices.deliver(request("1", other))).status).to.equal("delivered");
  });
});
