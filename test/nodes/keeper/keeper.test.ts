// The keeper on a real chain: it reminds the borrower of each missed installment as soon as it
// sees it late and always before mediation, sends only inside 08:00–21:00 Beijing time (checked
// when sending), escalates overdue loans to the stage their days past due reach, and leaves
// current loans alone.
import { expect } from "chai";
import { isContactAllowed } from "../../../nodes/src/reconcile/contact-window.ts";
import { startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";
import { keeperHarness } from "../post-loan/keeper-harness.ts";
import { shanghaiTime } from "../post-loan/clock.ts";

describe("keeper: reminders first, in the contact window; daily escalation", function () {
  this.timeout(180_000);
  let lc: LendingChain;
  let h: Awaited<ReturnType<typeof keeperHarness>>;

  before(async function () {
    lc = await startLendingChain();
    h = await keeperHarness(lc);
  });
  after(async function () {
    await lc?.stop();
  });

  /** The keeper's round at `hour`:00 Beijing time on day `day`, once the index has caught up with the chain. */
  async function roundAt(day: number, hour: number) {
    await lc.timeTo(day, hour);
    await h.sync();
    return h.keeper.runOnce();
  }

  const ofLoan = (loanId: string) => h.events.filter((e) => e.endsWith(loanId) || e.includes(`${loanId}:`));

  it("a loan first seen 8 days late at 10:00 is reminded, then moved to mediation, in that order", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    const round = await roundAt(firstDue + 8, 10);
    expect(round.remindersSent).to.equal(1);
    expect(round.escalated).to.deep.equal([loanId]);
    expect(ofLoan(loanId)).to.deep.equal([`reminder:${loanId}`, `escalate:${loanId}:2`]);
    expect(await h.stage(loanId)).to.equal(2);
  });

  it("a loan first seen 8 days late at 22:00 stays out of mediation until its reminder goes out at 08:00", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    let round = await roundAt(firstDue + 8, 22);
    expect(round.remindersSent).to.equal(0);
    expect(round.escalated).to.not.include(loanId);
    expect(round.held).to.deep.include({ loanId, waitingFor: "reminder" });
    expect(await h.stage(loanId)).to.equal(0);
    round = await roundAt(firstDue + 9, 8);
    expect(round.escalated).to.include(loanId);
    expect(ofLoan(loanId)).to.deep.equal([`reminder:${loanId}`, `escalate:${loanId}:2`]);
    const at = h.gateway.sent.find((s) => s.noticeId.includes(loanId))!.receipt.at;
    expect(at).to.equal(h.clock());
    expect(at - shanghaiTime(firstDue + 9, 8)).to.be.within(0, 59); // the block after 08:00
  });

  it("a reminder pending since the morning is not sent at 22:00 or 22:30 when the day's rounds were missed, but at 08:00", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    // 1 day late, 07:00: scheduled, not sent
    let round = await roundAt(firstDue + 1, 7);
    expect(round.remindersScheduled).to.be.greaterThanOrEqual(1);
    expect(ofLoan(loanId)).to.deep.equal([]);
    // no round in the daytime; 22:00 and 22:30
    await roundAt(firstDue + 1, 22);
    await h.sync(30 * 60);
    round = await h.keeper.runOnce();
    expect(round.remindersSent).to.equal(0);
    expect(ofLoan(loanId)).to.deep.equal([]);
    expect(h.gateway.sent.filter((s) => s.noticeId.includes(loanId))).to.have.length(0);
    // 08:00 the next morning
    round = await roundAt(firstDue + 2, 8);
    expect(round.remindersSent).to.be.greaterThanOrEqual(1);
    expect(ofLoan(loanId)).to.deep.equal([`reminder:${loanId}`]);
    const sent = h.gateway.sent.filter((s) => s.noticeId.includes(loanId));
    expect(sent).to.have.length(1);
    expect(sent[0]!.receipt.at).to.equal(h.clock());
    expect(sent[0]!.receipt.at - shanghaiTime(firstDue + 2, 8)).to.be.within(0, 59);
    expect(h.gateway.sent.every((s) => isContactAllowed(s.receipt.at))).to.equal(true);
    // reminded once per missed installment
    await h.sync(3600);
    round = await h.keeper.runOnce();
    expect(round.remindersSent).to.equal(0);
  });

  it("escalates to arbitration once due, and leaves a current loan alone", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    await lc.timeTo(firstDue + 19, 10);
    const current = await h.overdueLoan(); // disbursed on day firstDue + 20: nothing owed yet
    await h.sync();
    const round = await h.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(round.escalated).to.not.include(current.loanId);
    expect(await h.stage(loanId)).to.equal(3);
    expect((await h.keeper.runOnce()).escalated).to.not.include(loanId);
  });
});
