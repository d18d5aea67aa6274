// A loan's mediation case is held by its branch's node, the lender of record: the union's keeper,
// whose rounds go across branches, opens the case at the branch's node and asks it before any
// arbitration; the union's own room refuses to show or answer another member's case. The branch
// records the acceptance and adopts the plan on chain; an adoption still queued is no breach, the
// plan's installment paid on its due day holds the loan off arbitration, and a breach lets it go on.
import { expect } from "chai";
import { type DemoCa, createDemoCa } from "../../../common/pki/demo-ca.ts";
import { MediationError } from "../../../nodes/src/errors.ts";
import { answerKeeperStep, caseHolderMediation } from "../../../nodes/src/mediation/holder.ts";
import type { MediationService, PlanAdoption } from "../../../nodes/src/mediation/mediation.ts";
import type { SignedHeaders } from "../../../nodes/src/node-requests.ts";
import { BRANCH_A, UNION, startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";
import { keeperHarness } from "./keeper-harness.ts";
import { agreementVerifier, sendAdoption, signAgreement } from "./mediation-fixture.ts";

describe("mediation: the loan's branch node holds the case, the union's keeper reaches it there", function () {
  this.timeout(240_000);
  let lc: LendingChain;
  let ca: DemoCa;
  let branch: Awaited<ReturnType<typeof keeperHarness>>;
  let union: Awaited<ReturnType<typeof keeperHarness>>;
  /** The adoptions the branch's room queued (its outbox), not yet sent. */
  const queued: PlanAdoption[] = [];
  /** Headers a node-to-node check accepts as the union's (the node checks the signature and the member's kind). */
  const fromUnion = { kind: UNION } as unknown as SignedHeaders;
  const fromOther = { kind: BRANCH_A } as unknown as SignedHeaders;

  const branchRoom = (): MediationService => branch.mediation!;
  let clockSyncs = 0;

  before(async function () {
    lc = await startLendingChain();
    ca = await createDemoCa();
    branch = await keeperHarness(lc, {
      memberId: BRANCH_A,
      verifyAgreement: agreementVerifier(ca),
      registerLeaf: (_loanId, leafHash) => Promise.resolve(`evidence-register:${leafHash}`),
      adoptPlan: (adoption) => {
        queued.push(adoption);
        return Promise.resolve(`settlement-adopt:${adoption.leafHash}`);
      },
    });
    // the branch's node brings its clock up to the chain's before each step (its plan starts on the chain's today)
    branchRoom().deps.beforeStep = () => {
      clockSyncs++;
      return Promise.resolve();
    };
    branchRoom().deps.verifyKeeperRequest = (headers) =>
      headers === fromUnion
        ? Promise.resolve({ memberId: UNION })
        : Promise.reject(new Error("not the union's node"));
    union = await keeperHarness(lc, {
      memberId: UNION,
      verifyAgreement: agreementVerifier(ca),
      mediationPort: (local) =>
        caseHolderMediation({
          memberId: UNION,
          branchOf: async (loanId) => Number((await lc.ledger.getFunction("loan")(loanId)).branch),
          local,
          atBranch: async (_branch, loanId, step) =>
            (await answerKeeperStep(branchRoom(), fromUnion, loanId, step)).answer,
        }),
    });
  });
  after(async function () {
    await lc?.stop();
  });

  const sync = async () => {
    await union.sync();
    await branch.sync();
  };

  it("opened by the union's round at branch A's node; the union refuses to show or answer it; only the union's node may ask a step", async function () {
    const { loanId, firstDue } = await union.overdueLoan();
    await lc.timeTo(firstDue + 8, 10);
    await sync();
    // another member's node asking for a step is refused before anything is opened
    const refusedStep = await answerKeeperStep(branchRoom(), fromOther, loanId, "open").catch(
      (e: unknown) => e,
    );
    expect((refusedStep as Error).message).to.equal("not the union's node");
    expect(await branchRoom().get(loanId)).to.equal(undefined);
    const round = await union.keeper.runOnce();
    expect(round.mediationsOpened).to.include(loanId);
    expect(clockSyncs).to.be.greaterThan(0);
    expect((await branchRoom().get(loanId))!.status).to.equal("proposed");
    expect(await union.mediation!.get(loanId)).to.equal(undefined);
    // the union's room: neither the case, nor its draft, nor an answer to it
    const draft = await branchRoom().agreementDraft(loanId);
    const signed = await signAgreement(ca, draft);
    for (const attempt of [
      () => union.mediation!.require(loanId),
      () => union.mediation!.agreementDraft(loanId),
      () => union.mediation!.accept(loanId, signed, "union-clerk"),
      () => union.mediation!.refuse(loanId, "union-clerk"),
      () => union.mediation!.open(loanId),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(MediationError);
      expect((error as MediationError).code).to.equal("NODE_ERR_MEDIATION_HELD_BY_BRANCH");
      expect((error as MediationError).details).to.deep.equal({ branch: BRANCH_A });
    }
    // nothing written at the union's node
    expect(await union.mediation!.deps.cases.keys().all()).to.deep.equal([]);
    expect((await branchRoom().get(loanId))!.status).to.equal("proposed");
  });

  it("accepted at the branch: adopted on chain by it, no breach while the adoption is queued, paid on its due day it stops escalation, a breach goes on to arbitration", async function () {
    const { loanId, firstDue } = await union.overdueLoan();
    await lc.timeTo(firstDue + 8, 10);
    await sync();
    expect((await union.keeper.runOnce()).mediationsOpened).to.include(loanId);
    const accepted = await branchRoom().accept(
      loanId,
      await signAgreement(ca, await branchRoom().agreementDraft(loanId)),
      "clerk-9",
    );
    expect(accepted.planAdoption).to.equal(`settlement-adopt:${accepted.evidence[2]!.leafHash}`);
    const adoption = queued.find((a) => a.loanId === loanId)!;
    expect(adoption.branch).to.equal(BRANCH_A);
    // 16 days late on the old schedule while the adoption is still in the outbox: held, not breached
    await lc.timeTo(firstDue + 16, 10);
    await sync();
    let round = await union.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(round.held).to.deep.include({ loanId, waitingFor: "mediation" });
    expect((await branchRoom().get(loanId))!.status).to.equal("accepted");
    // the outbox sends it: registration, then the adoption from the branch's account
    await sendAdoption(lc, adoption);
    // the plan's first installment paid on its due day, not ahead of it
    const [first, second] = accepted.plan.installments;
    await lc.timeTo(first!.dueDay, 10);
    await lc.repay(loanId, first!.totalFen);
    await lc.timeTo(first!.dueDay + 1, 10);
    await sync();
    round = await union.keeper.runOnce();
    expect(round.escalated).to.not.include(loanId);
    expect(Number((await lc.ledger.getFunction("overdue")(loanId))[0])).to.equal(0);
    expect((await branchRoom().get(loanId))!.status).to.equal("accepted");
    // the second unpaid the day after its due day: breached at the branch, arbitration follows
    await lc.timeTo(second!.dueDay + 1, 10);
    await sync();
    round = await union.keeper.runOnce();
    expect(round.escalated).to.include(loanId);
    expect(await union.stage(loanId)).to.equal(3);
    expect((await branchRoom().get(loanId))!.status).to.equal("breached");
  });
});
