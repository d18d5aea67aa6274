// Mediation at 7 days on a real chain: the keeper opens a case with a restructured plan within
// the all-in cap and notifies the borrower; a refusal lets the keeper go on to arbitration; an
// accepted, signed and sealed agreement holds arbitration while it is performed; a plan
// installment left unpaid after its due day is a breach, and arbitration follows. Whatever day
// the keeper first sees a loan late, the order is reminder, mediation, arbitration.
import { expect } from "chai";
import { type DemoCa, createDemoCa } from "../../../common/pki/demo-ca.ts";
import { EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import { allInAprBps } from "../../../common/lending/apr.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import { agreementPdf } from "../../../nodes/src/mediation/agreement.ts";
import { MediationError } from "../../../nodes/src/errors.ts";
import type { PlanAdoption } from "../../../nodes/src/mediation/mediation.ts";
import { FlowEffects } from "../../../nodes/src/outbox/effects.ts";
import { calldataOf, disputeInterface, normalizeEntry } from "../../../nodes/src/outbox/entry.ts";
import { proposePlan } from "../../../nodes/src/mediation/plan.ts";
import { startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";
import { keeperHarness } from "./keeper-harness.ts";
import { agreementVerifier, sendAdoption, signAgreement } from "./mediation-fixture.ts";

describe("mediation: case, plan within the cap, answer, agreement, performance", function () {
  this.timeout(240_000);
  let lc: LendingChain;
  let ca: DemoCa;
  let h: Awaited<ReturnType<typeof keeperHarness>>;
  /** Leaves in a committed head (the anchor service's), and the registrations queued. */
  const committed = new Set<string>();
  const registered: Array<{ loanId: string; leafHash: string }> = [];

  const sign = (pdf: Uint8Array) => signAgreement(ca, pdf);

  before(async function () {
    lc = await startLendingChain();
    ca = await createDemoCa();
    h = await keeperHarness(lc, {
      verifyAgreement: agreementVerifier(ca),
      registerLeaf: (loanId, leafHash) => {
        if (!committed.has(leafHash)) return Promise.reject(new Error("no committed head holds the leaf"));
        registered.push({ loanId, leafHash });
        return Promise.resolve(`evidence-register:${leafHash}`);
      },
    });
  });
  after(async function () {
    await lc?.stop();
  });

  /** A loan 8 days late at 10:00, reminded and moved to mediation by one keeper round. */
  async function inMediation() {
    const loan = await h.overdueLoan();
    await lc.timeTo(loan.firstDue + 8, 10);
    await h.sync();
    const round = await h.keeper.runOnce();
    expect(round.mediationsOpened).to.include(loan.loanId);
    return loan;
  }

  it("a plan is a ledger schedule of the outstanding principal, overdue interest paid first, its all-in cost on that principal within the cap", function () {
    const plan = proposePlan({
      outstandingPrincipalFen: 836_413n,
      overdueInterestFen: 15_000n,
      aprBps: 2400,
      capBps: 2400,
      startDate: "2026-03-10",
      termMonths: 12,
    });
    expect(plan.principalFen).to.equal(851_413n);
    expect(plan.overdueInterestFen).to.equal(15_000n);
    expect(plan.installments).to.have.length(12);
    // the ledger's principal is unchanged; every installment's total is the equal installment's
    expect(plan.installments.reduce((s, i) => s + i.principalFen, 0n)).to.equal(836_413n);
    expect(new Set(plan.installments.slice(0, -1).map((i) => i.totalFen)).size).to.equal(1);
    expect(plan.installments[0]!.interestFen).to.be.above(15_000n);
    const measured = allInAprBps({
      method: RepaymentMethod.EqualInstallment,
      principalFen: 836_413n,
      installments: plan.installments,
      fees: [],
      startDay: dateToDay("2026-03-10"),
    });
    expect(measured).to.equal(plan.allInAprBps);
    expect(measured).to.be.at.most(2400);
    // the overdue interest counts as cost on the outstanding principal: the rate came down
    expect(plan.aprBps).to.be.below(2400);
  });

  it("opens on its own at mediation: parties, amount due, a plan within the cap, the borrower notified, anchored", async function () {
    const { loanId } = await inMediation();
    const c = (await h.mediation!.get(loanId))!;
    expect(c.status).to.equal("proposed");
    expect(c.branch).to.be.a("number");
    expect(c.funders.length).to.be.greaterThan(0);
    expect(c.amountDueFen > 0n).to.equal(true);
    expect(c.plan.allInAprBps).to.be.at.most(c.plan.capBps);
    const events = h.events.filter((e) => e.includes(loanId));
    expect(events).to.deep.equal([
      `reminder:${loanId}`,
      `escalate:${loanId}:2`,
      `mediation-opened:${loanId}`,
    ]);
    expect(c.evidence.map((e) => e.what)).to.deep.equal(["opened"]);
    expect(
      h.anchored.some((r) => r.kind === EvidenceKind.Document && r.digest === c.evidence[0]!.digest),
    ).to.equal(true);
    // a second round opens nothing more
    expect((await h.keeper.runOnce()).mediationsOpened).to.not.include(loanId);
  });

  it("refused: the keeper moves on to arbitration at 15 days", async function () {
    const { loanId, firstDue } = await inMediation();
    await lc.timeTo(firstDue + 10, 10);
    await h.sync();
    const refused = await h.mediation!.refuse(loanId, "clerk-7");
    expect(refused.status).to.equal("refused");
    expect(refused.evidence.map((e) => e.what)).to.deep.equal(["opened", "answer"]);
    // answered once: a second answer is refused with the case's status
    const error = await h.mediation!.refuse(loanId, "clerk-7").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MediationError);
    expect((error as MediationError).code).to.equal("NODE_ERR_MEDIATION_STATE");
    await lc.timeTo(firstDue + 15, 10);
    await h.sync();
    const round = await h.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(await h.stage(loanId)).to.equal(3);
  });

  it("no answer by the deadline: the case lapses and arbitration follows", async function () {
    const { loanId, firstDue } = await inMediation();
    await lc.timeTo(firstDue + 12, 10); // answer window: 5 days from day 8 (opened 10:00)
    await h.sync();
    expect(await h.mediation!.mayArbitrate(loanId)).to.equal(false);
    await lc.timeTo(firstDue + 15, 10);
    await h.sync();
    expect((await h.keeper.runOnce()).escalated).to.include(loanId);
    expect((await h.mediation!.get(loanId))!.status).to.equal("lapsed");
  });

  it("accepted with a signed agreement: registered against the loan on chain, escalation stops while performed, a breach lets arbitration follow", async function () {
    const { loanId, firstDue } = await inMediation();
    const draft = await h.mediation!.agreementDraft(loanId);
    // another text signed in its place (the days past due changed) is refused
    const c = (await h.mediation!.get(loanId))!;
    const other = await sign(await agreementPdf({ ...c, daysPastDue: 1 }, new Date(c.openedAt * 1000)));
    const mismatch = await h.mediation!.accept(loanId, other, "clerk-7").catch((e: unknown) => e);
    expect((mismatch as MediationError).code).to.equal("NODE_ERR_MEDIATION_AGREEMENT_MISMATCH");
    const accepted = await h.mediation!.accept(loanId, await sign(draft), "clerk-7");
    expect(accepted.status).to.equal("accepted");
    expect(accepted.evidence.map((e) => e.what)).to.deep.equal(["opened", "answer", "agreement"]);
    expect(
      h.anchored.some((r) => r.kind === EvidenceKind.Contract && r.digest === accepted.evidence[2]!.digest),
    ).to.equal(true);
    // no committed head holds the agreement's leaf yet: its registration waits for a later round
    const leafHash = accepted.evidence[2]!.leafHash;
    expect(accepted.agreementRegistration).to.equal(undefined);
    expect(registered).to.deep.equal([]);
    committed.add(leafHash);
    // 20 days late on the old schedule: the keeper holds arbitration while the plan is performed
    await lc.timeTo(firstDue + 20, 10);
    await h.sync();
    let round = await h.keeper.runOnce();
    expect(registered).to.deep.equal([{ loanId, leafHash }]);
    expect((await h.mediation!.get(loanId))!.agreementRegistration).to.equal(`evidence-register:${leafHash}`);
    expect(round.escalated).to.not.include(loanId);
    expect(round.held).to.deep.include({ loanId, waitingFor: "mediation" });
    expect(await h.stage(loanId)).to.equal(2);
    // the plan's first installment paid on time: still held after its due day
    const first = accepted.plan.installments[0]!;
    await lc.repay(loanId, first.totalFen);
    await lc.timeTo(first.dueDay + 1, 10);
    await h.sync();
    round = await h.keeper.runOnce();
    expect(round.held).to.deep.include({ loanId, waitingFor: "mediation" });
    expect(await h.stage(loanId)).to.equal(2);
    // the second left unpaid past its due day: breached, and the keeper goes on to arbitration
    await lc.timeTo(accepted.plan.installments[1]!.dueDay + 1, 10);
    await h.sync();
    round = await h.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(await h.stage(loanId)).to.equal(3);
    const breached = (await h.mediation!.get(loanId))!;
    expect(breached.status).to.equal("breached");
    expect(breached.breach!.paidFen).to.equal(first.totalFen);
    // registered once, whatever rounds followed
    expect(registered).to.deep.equal([{ loanId, leafHash }]);
  });

  it("accepted and adopted on chain: the ledger's schedule is the plan, paid on its dates the escalation ends in the ledger, a breach goes to arbitration", async function () {
    // a keeper whose mediation adopts the plan through DisputeResolution (the node: its outbox)
    const adoptions: PlanAdoption[] = [];
    const chained = await keeperHarness(lc, {
      verifyAgreement: agreementVerifier(ca),
      registerLeaf: (_loanId, leafHash) => Promise.resolve(`evidence-register:${leafHash}`),
      adoptPlan: async (adoption) => {
        adoptions.push(adoption);
        // the agreement's leaf in a committed head and registered, as the outbox's registration does
        await sendAdoption(lc, adoption);
        return `settlement-adopt:${adoption.leafHash}`;
      },
    });
    const { loanId, firstDue } = await chained.overdueLoan();
    await lc.timeTo(firstDue + 8, 10);
    await chained.sync();
    expect((await chained.keeper.runOnce()).mediationsOpened).to.include(loanId);
    const accepted = await chained.mediation!.accept(
      loanId,
      await sign(await chained.mediation!.agreementDraft(loanId)),
      "clerk-9",
    );
    // adopted once, right behind the registration: the chain's schedule is the plan
    expect(adoptions).to.have.length(1);
    expect(accepted.planAdoption).to.equal(`settlement-adopt:${adoptions[0]!.leafHash}`);
    const schedule = (
      (await lc.ledger.getFunction("schedule")(loanId)) as Array<{
        dueDay: bigint;
        principal: bigint;
        interest: bigint;
      }>
    ).map((i) => ({ dueDay: Number(i.dueDay), principalFen: i.principal, interestFen: i.interest }));
    expect(schedule).to.deep.equal(
      accepted.plan.installments.map((i) => ({
        dueDay: i.dueDay,
        principalFen: i.principalFen,
        interestFen: i.interestFen,
      })),
    );
    expect(await chained.stage(loanId)).to.equal(2);
    // as the node's outbox sends it: the entry's call is this adoption, and its effect is done
    const a = adoptions[0]!;
    const entry = normalizeEntry({
      serial: `settlement-adopt:${a.leafHash}`,
      kind: "adoptSettlement",
      args: { loanId: a.loanId, leaf: a.leaf, startDay: a.startDay, installments: a.installments },
    });
    const call = disputeInterface.parseTransaction({ data: calldataOf(entry) })!;
    expect(call.name).to.equal("adoptSettlement");
    expect(call.args[3].map((i: bigint[]) => [Number(i[0]), i[1], i[2]])).to.deep.equal(
      a.installments.map((i) => [i.dueDay, i.principal, i.interest]),
    );
    const effects = new FlowEffects({
      provider: lc.provider,
      ledger: lc.addresses.jointLoanLedger,
      disputeResolution: lc.addresses.disputeResolution,
    });
    const now = new Date().toISOString();
    const stored = { ...entry, state: "sent" as const, seq: 1, attempts: 1, createdAt: now, updatedAt: now };
    expect((await effects.effect(stored)).kind).to.equal("done");
    // the plan's first installment paid on its date: nothing late on chain, the ledger ends the escalation
    const [first, second] = accepted.plan.installments;
    await lc.timeTo(first!.dueDay, 10);
    await lc.repay(loanId, first!.totalFen);
    expect(await chained.stage(loanId)).to.equal(0);
    await lc.timeTo(first!.dueDay + 20, 10);
    await chained.sync();
    let round = await chained.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(Number((await lc.ledger.getFunction("overdue")(loanId))[0])).to.equal(0);
    // the second unpaid the day after its due day: a breach, and the keeper goes on to arbitration
    await lc.timeTo(second!.dueDay + 1, 10);
    await chained.sync();
    round = await chained.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(await chained.stage(loanId)).to.equal(3);
    expect((await chained.mediation!.get(loanId))!.status).to.equal("breached");
    // adopted once, whatever rounds followed
    expect(adoptions).to.have.length(1);
  });

  // escalate moves a loan straight to the stage its days reach: one first seen 15 days late never
  // stood at Mediation on chain, and must still be reminded and mediated before arbitration
  /** A new loan first seen by the keeper `days` late at `hour`: its first round. */
  async function firstSeen(days: number, hour: number) {
    const loan = await h.overdueLoan();
    await lc.timeTo(loan.firstDue + days, hour);
    await h.sync();
    return { ...loan, round: await h.keeper.runOnce() };
  }

  it("first seen 15 days late: reminded, a mediation case opened, no arbitration until it is refused", async function () {
    const { loanId, firstDue, round: first } = await firstSeen(15, 10);
    let round = first;
    expect(round.remindersSent).to.equal(1);
    expect(round.mediationsOpened).to.include(loanId);
    expect(round.escalated).to.not.include(loanId);
    expect(round.held).to.deep.include({ loanId, waitingFor: "mediation" });
    expect(await h.stage(loanId)).to.be.below(3);
    expect(h.events.filter((e) => e.includes(loanId))).to.deep.equal([
      `reminder:${loanId}`,
      `mediation-opened:${loanId}`,
    ]);
    expect((await h.mediation!.get(loanId))!.status).to.equal("proposed");
    // the next day, still waiting for the borrower's answer: held
    await lc.timeTo(firstDue + 16, 10);
    await h.sync();
    round = await h.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(round.mediationsOpened).to.not.include(loanId);
    // refused: arbitration follows
    await h.mediation!.refuse(loanId, "clerk-7");
    round = await h.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(await h.stage(loanId)).to.equal(3);
    expect(h.events.filter((e) => e.includes(loanId))).to.deep.equal([
      `reminder:${loanId}`,
      `mediation-opened:${loanId}`,
      `escalate:${loanId}:3`,
    ]);
  });

  it("first seen 20 days late at 22:00: nothing at night; at 08:00 the reminder, then mediation, not arbitration", async function () {
    const { loanId, firstDue, round: first } = await firstSeen(20, 22);
    let round = first;
    expect(round.held).to.deep.include({ loanId, waitingFor: "reminder" });
    expect(round.mediationsOpened).to.not.include(loanId);
    expect(h.events.filter((e) => e.includes(loanId))).to.deep.equal([]);
    await lc.timeTo(firstDue + 21, 8);
    await h.sync();
    round = await h.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(h.events.filter((e) => e.includes(loanId))).to.deep.equal([
      `reminder:${loanId}`,
      `mediation-opened:${loanId}`,
    ]);
    expect(await h.stage(loanId)).to.be.below(3);
  });
});
