// The escalation order holds whatever day the keeper first sees a loan late: a friendly reminder,
// then a mediation case, and arbitration only after mediation was refused, lapsed or breached. The
// chain's escalate moves a loan straight to the stage its days past due reach, so a loan first
// seen 15 days late would otherwise go from no stage to arbitration in one round.
import { expect } from "chai";
import { type DemoCa, DEMO_POLICY, createDemoCa } from "../../../common/pki/demo-ca.ts";
import { trustAnchorsFromPem } from "../../../common/pki/trust-anchors.ts";
import { verifySignedContract } from "../../../nodes/src/e-contract/verify.ts";
import { startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";
import { keeperHarness } from "./keeper-harness.ts";

describe("escalation order: reminder, then mediation, then arbitration, from any first sighting", function () {
  this.timeout(240_000);
  let lc: LendingChain;
  let ca: DemoCa;
  let h: Awaited<ReturnType<typeof keeperHarness>>;

  before(async function () {
    lc = await startLendingChain();
    ca = await createDemoCa();
    const anchors = trustAnchorsFromPem([ca.certificatePem]);
    h = await keeperHarness(lc, {
      verifyAgreement: (pdf) =>
        verifySignedContract(pdf, anchors, {
          borrower: [DEMO_POLICY.borrowerSignature],
          branchSeal: [DEMO_POLICY.branchSeal],
        }),
    });
  });
  after(async function () {
    await lc?.stop();
  });

  const ofLoan = (loanId: string) => h.events.filter((e) => e.endsWith(loanId) || e.includes(`${loanId}:`));

  it("first seen 15 days late: reminded, a mediation case opened, no arbitration until it is refused", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    await lc.timeTo(firstDue + 15, 10);
    await h.sync();
    let round = await h.keeper.runOnce();
    expect(round.remindersSent).to.equal(1);
    expect(round.mediationsOpened).to.include(loanId);
    expect(round.escalated).to.not.include(loanId);
    expect(round.held).to.deep.include({ loanId, waitingFor: "mediation" });
    expect(await h.stage(loanId)).to.be.below(3);
    expect(ofLoan(loanId)).to.deep.equal([`reminder:${loanId}`, `mediation-opened:${loanId}`]);
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
    expect(ofLoan(loanId)).to.deep.equal([
      `reminder:${loanId}`,
      `mediation-opened:${loanId}`,
      `escalate:${loanId}:3`,
    ]);
  });

  it("first seen 20 days late at 22:00: nothing at night; at 08:00 the reminder, then mediation, not arbitration", async function () {
    const { loanId, firstDue } = await h.overdueLoan();
    await lc.timeTo(firstDue + 20, 22);
    await h.sync();
    let round = await h.keeper.runOnce();
    expect(round.held).to.deep.include({ loanId, waitingFor: "reminder" });
    expect(round.mediationsOpened).to.not.include(loanId);
    expect(ofLoan(loanId)).to.deep.equal([]);
    await lc.timeTo(firstDue + 21, 8);
    await h.sync();
    round = await h.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(ofLoan(loanId)).to.deep.equal([`reminder:${loanId}`, `mediation-opened:${loanId}`]);
    expect(await h.stage(loanId)).to.be.below(3);
  });
});
