// A mediation's settlement on the deployed contracts: DisputeResolution.adoptSettlement replaces
// the ledger's schedule with the plan the borrower accepted (nodes/src/mediation/plan.ts) — only
// from the loan's branch, in Mediation, with the signed agreement's leaf registered about the loan,
// the outstanding principal unchanged and the all-in cost within the cap, each refusal a custom
// error with its values; only DisputeResolution reaches the ledger's entry. Then, on random plans
// and histories, the money: the chain's schedule is the plan, paying it on its dates ends the
// escalation and settles the loan with every funder's principal back exactly and the quotas
// released; an installment of it left unpaid is a breach escalate takes to arbitration.
import { expect } from "chai";
import { type Contract, type ContractTransactionResponse, Interface, concat, sha256 } from "ethers";
import fc from "fast-check";
import {
  DigestAlgorithm,
  EvidenceKind,
  type EvidenceRecord,
  encodeLeaf,
  leafHashOf,
} from "../../common/formats/leaf/leaf.ts";
import { dateToDay, dayToDate } from "../../common/lending/dates.ts";
import { overdueInterest, proposePlan, type ProposedPlan } from "../../nodes/src/mediation/plan.ts";
import { BRANCH_A, BRANCH_B, PLATFORM, UNION } from "./consortium.fixture.ts";
import * as fixture from "./lending.fixture.ts";

const RUNS = fixture.LEDGER_PROPERTY_RUNS;
const toHex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

type ChainInstallment = { dueDay: number; principal: bigint; interest: bigint };
const chainForm = (plan: ProposedPlan): ChainInstallment[] =>
  plan.installments.map((i) => ({ dueDay: i.dueDay, principal: i.principalFen, interest: i.interestFen }));

describe("DisputeResolution.adoptSettlement: a mediation's plan becomes the loan's schedule (deployed)", function () {
  this.timeout(0);
  let l: fixture.Lending;
  let disputes: Contract;

  before(async function () {
    l = await fixture.deployLending();
    disputes = l.disputes;
    await (
      await (l.registry.connect(l.signers.deployer) as Contract).getFunction("bootstrapEvidenceContracts")(
        await l.evidenceLog.getAddress(),
        await l.evidenceRegistry.getAddress(),
      )
    ).wait();
  });

  const leafOf = (loanId: string, overrides: { submitter?: number; kind?: number; salt?: string } = {}) => {
    const record: EvidenceRecord = {
      version: 1,
      kind: (overrides.kind ?? EvidenceKind.Contract) as EvidenceKind,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: `0x${"ab".repeat(32)}`,
      salt: overrides.salt ?? `0x${"5a".repeat(32)}`,
      submitter: overrides.submitter ?? BRANCH_A,
      subject: loanId,
    };
    return { leaf: toHex(encodeLeaf(record)), leafHash: toHex(leafHashOf(record)) };
  };

  let heads = 0;
  const logged: string[] = [];
  /** Anchor `leaf` (a log of its own holding it alone, the proofs trivial) and register it as branch A. */
  async function registerAgreement(leaf: string, submitter = l.signers.branchAOps): Promise<void> {
    const logId = `0x${(++heads).toString(16).padStart(64, "0")}`;
    await l.govern(l.evidenceLog, "openLog", [logId, UNION, l.signers.unionAnchor.address]);
    const leafHash = sha256(concat(["0x00", leaf]));
    await (
      await (l.evidenceLog.connect(l.signers.unionAnchor) as Contract).getFunction("commitHead")(
        logId,
        1,
        leafHash,
        [],
      )
    ).wait();
    await (
      await (l.evidenceRegistry.connect(submitter) as Contract).getFunction("register")(leaf, logId, 1, 0, [])
    ).wait();
    logged.push(leafHash);
  }

  /** A joint loan whose first installment is `daysLate` days late, escalated to Mediation. */
  async function loanInMediation(daysLate = 8, borrower = "m") {
    const start = (await l.chainDay()) + 1;
    const t = fixture.jointTerms(l, {
      startDate: dayToDate(start),
      termMonths: 6,
      borrower: fixture.numberedBorrower(`${borrower}${heads}-${logged.length}-${start}`),
    });
    await l.timeTo(start, 9);
    const { loanId } = await l.register(t);
    await l.disburseAll(loanId);
    await l.timeTo(t.schedule[0]!.dueDay + daysLate, 10);
    await (await l.disputesAs(UNION).getFunction("escalate")(loanId)).wait();
    return { loanId, terms: t };
  }

  /** The plan the node proposes from the chain's state today. */
  async function planFor(loanId: string, termMonths: number, startDate?: string, aprBps?: number) {
    const loan = await l.ledger.getFunction("loan")(loanId);
    const progress = await l.ledger.getFunction("progress")(loanId);
    const schedule = await chainSchedule(loanId);
    return proposePlan({
      outstandingPrincipalFen: (loan.principal as bigint) - (progress.principalRepaid as bigint),
      overdueInterestFen: overdueInterest(schedule, progress, await l.chainDay()),
      aprBps: aprBps ?? Number(loan.aprBps),
      capBps: fixture.DEFAULT_PARAMS.aprCapBps,
      startDate: startDate ?? dayToDate(await l.chainDay()),
      termMonths,
    });
  }

  const adopt = (
    as: number,
    loanId: string,
    leaf: string,
    plan: ProposedPlan,
    installments = chainForm(plan),
  ): Promise<ContractTransactionResponse> =>
    l.disputesAs(as).getFunction("adoptSettlement")(loanId, leaf, dateToDay(plan.startDate), installments);

  it("refuses every caller but the loan's branch, every stage but Mediation, and an unregistered or foreign agreement, each with its values", async function () {
    const { loanId } = await loanInMediation(8, "r");
    const plan = await planFor(loanId, 6);
    const own = leafOf(loanId);
    const revert = (as: number, leaf = own.leaf, installments = chainForm(plan)) =>
      expect(adopt(as, loanId, leaf, plan, installments));

    // the union, the platform (a funder) and another branch are not the loan's branch
    for (const [member, account] of [
      [UNION, l.signers.unionOps.address],
      [PLATFORM, l.signers.platformOps.address],
      [BRANCH_B, l.signers.branchBOps.address],
    ] as const) {
      void member;
      await revert(member)
        .to.be.revertedWithCustomError(disputes, "DisputeNotLoanBranch")
        .withArgs(loanId, account, BRANCH_A);
    }
    // the agreement not registered yet
    await revert(BRANCH_A)
      .to.be.revertedWithCustomError(disputes, "DisputeAgreementNotRegistered")
      .withArgs(loanId, own.leafHash);
    // registered, but another loan's, another member's, or not a contract
    const other = `0x${"77".repeat(32)}`;
    const foreign = [
      { leaf: leafOf(other).leaf, args: [other, BRANCH_A, EvidenceKind.Contract] },
      { leaf: leafOf(loanId, { submitter: PLATFORM }).leaf, args: [loanId, PLATFORM, EvidenceKind.Contract] },
      {
        leaf: leafOf(loanId, { kind: EvidenceKind.Document }).leaf,
        args: [loanId, BRANCH_A, EvidenceKind.Document],
      },
    ];
    for (const { leaf, args } of foreign) {
      await registerAgreement(leaf, args[1] === PLATFORM ? l.signers.platformOps : l.signers.branchAOps);
      await revert(BRANCH_A, leaf)
        .to.be.revertedWithCustomError(disputes, "DisputeAgreementNotForLoan")
        .withArgs(loanId, ...args);
    }
    await registerAgreement(own.leaf);

    // the principal changed: one fen more, one fen less
    const more = chainForm(plan).map((i, k) => (k === 0 ? { ...i, principal: i.principal + 1n } : i));
    await revert(BRANCH_A, own.leaf, more)
      .to.be.revertedWithCustomError(disputes, "DisputePrincipalChanged")
      .withArgs(
        loanId,
        plan.principalFen - plan.overdueInterestFen + 1n,
        plan.principalFen - plan.overdueInterestFen,
      );
    // above the cap: 50 yuan more interest on every installment
    const dear = chainForm(plan).map((i) => ({ ...i, interest: i.interest + 5_000n }));
    const rejected = await adopt(BRANCH_A, loanId, own.leaf, plan, dear).catch((e: unknown) => e);
    const parsed = disputes.interface.parseError((rejected as { data: string }).data)!;
    expect(parsed.name).to.equal("DisputeAllInAprAboveCap");
    expect(parsed.args[0]).to.equal(loanId);
    expect(parsed.args[1]).to.be.above(2400n);
    expect(parsed.args[2]).to.equal(2400n);
    // off the plan's monthly calendar, or starting in the future
    const shifted = chainForm(plan).map((i, k) => (k === 2 ? { ...i, dueDay: i.dueDay + 1 } : i));
    await revert(BRANCH_A, own.leaf, shifted)
      .to.be.revertedWithCustomError(disputes, "DisputeBadSettlementSchedule")
      .withArgs(loanId, 2);
    await revert(BRANCH_A, own.leaf, [])
      .to.be.revertedWithCustomError(disputes, "DisputeBadSettlementSchedule")
      .withArgs(loanId, 0);

    // only DisputeResolution reaches the ledger's entry (through the fallback), for anyone else it is unknown
    const settlement = new Interface([
      "function replaceSchedule(bytes32 loanId, uint256 installmentCount, uint256[] words)",
    ]);
    const call = settlement.encodeFunctionData("replaceSchedule", [loanId, 6, [0, 0]]);
    await expect(l.signers.branchAOps.sendTransaction({ to: await l.ledger.getAddress(), data: call }))
      .to.be.revertedWithCustomError(l.ledger, "LedgerUnknownCall")
      .withArgs(call.slice(0, 10));

    // adopted: the schedule from the installment in progress on is the plan
    const tx = await adopt(BRANCH_A, loanId, own.leaf, plan);
    const installments = chainForm(plan).map((i) => [BigInt(i.dueDay), i.principal, i.interest]);
    await expect(tx)
      .to.emit(disputes, "SettlementAdopted")
      .withArgs(loanId, own.leafHash, 0, plan.principalFen - plan.overdueInterestFen, installments);
    expect(await disputes.getFunction("settlementOf")(loanId)).to.equal(own.leafHash);
    expect(await chainSchedule(loanId)).to.deep.equal(chainForm(plan));
    const [days, , stage] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
    expect(days).to.equal(0n);
    expect(stage).to.equal(BigInt(fixture.DisputeStage.Mediation));
    // the plan's first installment paid on its date ends the escalation: no second adoption
    await l.timeTo(plan.installments[0]!.dueDay, 10);
    await l.repay(loanId, plan.installments[0]!.totalFen);
    await revert(BRANCH_A)
      .to.be.revertedWithCustomError(disputes, "DisputeWrongStage")
      .withArgs(loanId, fixture.DisputeStage.None);
  });

  it("a loan never in mediation is refused: DisputeWrongStage with its stage", async function () {
    const start = (await l.chainDay()) + 1;
    const t = fixture.jointTerms(l, {
      startDate: dayToDate(start),
      borrower: fixture.numberedBorrower(`w${start}`),
    });
    await l.timeTo(start, 9);
    const { loanId } = await l.register(t);
    await l.disburseAll(loanId);
    await l.timeTo(t.schedule[0]!.dueDay + 4, 10);
    await (await l.disputesAs(UNION).getFunction("escalate")(loanId)).wait();
    const plan = await planFor(loanId, 6);
    await expect(adopt(BRANCH_A, loanId, leafOf(loanId).leaf, plan))
      .to.be.revertedWithCustomError(disputes, "DisputeWrongStage")
      .withArgs(loanId, fixture.DisputeStage.Reminder);
  });

  async function chainSchedule(loanId: string, from = 0): Promise<ChainInstallment[]> {
    const list = (await l.ledger.getFunction("schedule")(loanId)) as Array<{
      dueDay: bigint;
      principal: bigint;
      interest: bigint;
    }>;
    return list
      .slice(from)
      .map((i) => ({ dueDay: Number(i.dueDay), principal: i.principal, interest: i.interest }));
  }

  it(`on random plans and histories the chain's schedule is the plan, performing it settles the loan exactly, a breach goes to arbitration (${RUNS} runs)`, async function () {
    let run = 0;
    const seen = { performed: 0, breached: 0, partlyPaid: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          daysLate: fc.integer({ min: 7, max: 14 }),
          partPerMille: fc.integer({ min: 0, max: 900 }),
          termMonths: fc.integer({ min: 1, max: 24 }),
          aprBps: fc.integer({ min: 0, max: 2400 }),
          startBack: fc.integer({ min: 0, max: 5 }),
          breachAt: fc.option(fc.integer({ min: 0, max: 23 }), { nil: undefined }),
        }),
        async ({ daysLate, partPerMille, termMonths, aprBps, startBack, breachAt }) => {
          run++;
          const { loanId } = await loanInMediation(daysLate, `f${run}`);
          // part of the late installment paid while in mediation: the installment in progress is touched
          const late = (await chainSchedule(loanId))[0]!;
          const part = ((late.principal + late.interest) * BigInt(partPerMille)) / 1000n;
          if (part > 0n) {
            await l.repay(loanId, part);
            seen.partlyPaid++;
          }
          const before = {
            branch: (await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding as bigint,
            progress: await l.ledger.getFunction("progress")(loanId),
          };
          const today = await l.chainDay();
          const plan = await planFor(loanId, termMonths, dayToDate(today - startBack), aprBps);
          if (plan.installments[0]!.dueDay <= today) return;
          const own = leafOf(loanId, { salt: `0x${run.toString(16).padStart(64, "0")}` });
          await registerAgreement(own.leaf);
          await (await adopt(BRANCH_A, loanId, own.leaf, plan)).wait();
          const next = Number(before.progress.nextInstallment);
          expect(await chainSchedule(loanId, next)).to.deep.equal(chainForm(plan));
          const progress = await l.ledger.getFunction("progress")(loanId);
          expect(progress.principalRepaid).to.equal(before.progress.principalRepaid);
          expect([
            progress.currentPrincipalPaid,
            progress.currentInterestPaid,
            progress.penaltyDue,
          ]).to.deep.equal([0n, 0n, 0n]);
          expect((await l.ledger.getFunction("loan")(loanId)).allInSlack).to.equal(0n);
          const stop =
            breachAt === undefined
              ? plan.installments.length
              : Math.min(breachAt, plan.installments.length - 1);
          for (const [k, inst] of plan.installments.entries()) {
            if (k === stop) break;
            await l.timeTo(inst.dueDay, 10);
            await l.repay(loanId, inst.totalFen);
            // paid on its date: nothing late on the plan, so the escalation ended
            const [, , stage] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
            expect(stage).to.equal(BigInt(fixture.DisputeStage.None));
          }
          const loan = await l.ledger.getFunction("loan")(loanId);
          if (stop === plan.installments.length) {
            seen.performed++;
            expect(loan.state).to.equal(BigInt(fixture.LoanState.Settled));
            // every funder's principal back exactly as it disbursed, the quotas released in full
            const shares = (await l.ledger.getFunction("funders")(loanId)) as Array<{ memberId: bigint }>;
            const recovered = new Map<bigint, bigint>();
            const logs = await l.ledger.queryFilter(l.ledger.filters.RepaymentShared!(loanId));
            for (const log of logs) {
              const args = (log as unknown as { args: { funder: bigint; principal: bigint } }).args;
              recovered.set(args.funder, (recovered.get(args.funder) ?? 0n) + args.principal);
            }
            const disbursed = l.flows.get(loanId)!.filter((f) => f.kind === "disbursement");
            for (const f of shares) {
              expect(recovered.get(f.memberId)).to.equal(
                disbursed.find((d) => BigInt(d.funder) === f.memberId)!.amount,
              );
            }
            const outstandingBefore =
              (loan.principal as bigint) - (before.progress.principalRepaid as bigint);
            expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(
              before.branch - outstandingBefore,
            );
          } else {
            seen.breached++;
            // the plan's installment `stop` unpaid the day after it fell due: a breach
            await l.timeTo(plan.installments[stop]!.dueDay + 1, 10);
            await (await l.disputesAs(BRANCH_B).getFunction("escalate")(loanId)).wait();
            const [days, , stage] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
            expect(days).to.equal(1n);
            expect(stage).to.equal(BigInt(fixture.DisputeStage.Arbitration));
          }
        },
      ),
      {
        numRuns: RUNS,
        // both endings and a touched installment every time, whatever the random runs draw
        examples: [
          [
            {
              daysLate: 9,
              partPerMille: 400,
              termMonths: 6,
              aprBps: 1800,
              startBack: 2,
              breachAt: undefined,
            },
          ],
          [{ daysLate: 8, partPerMille: 0, termMonths: 12, aprBps: 2400, startBack: 0, breachAt: 1 }],
        ],
      },
    );
    expect(seen.performed).to.be.above(0);
    expect(seen.breached).to.be.above(0);
    expect(seen.partlyPaid).to.be.above(0);
  });
});
