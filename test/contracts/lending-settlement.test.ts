// Early settlement in full on the deployed ledger: interest accrued to the day, not all future
// interest (DOMAIN.md, prepayment). The chain's settlementOwed equals common/lending/settlement.ts
// after random repayment histories, and settle() books it like a repayment: split exactly, quotas
// released, the loan settled.
import { expect } from "chai";
import fc from "fast-check";
import { divRoundHalfUp } from "../../common/lending/money.ts";
import { settlementOwed } from "../../common/lending/settlement.ts";
import { RepaymentMethod } from "../../common/lending/schedule.ts";
import { BRANCH_A, PLATFORM } from "./consortium.fixture.ts";
import * as fixture from "./lending.fixture.ts";

const RUNS = fixture.LEDGER_PROPERTY_RUNS;

describe("JointLoanLedger: early settlement, interest accrued to the day (deployed)", function () {
  let l: fixture.Lending;
  before(async function () {
    l = await fixture.deployLending();
  });

  /** The usual joint loan (jointTerms) at 24% for 12 months. */
  function terms(overrides: Partial<fixture.TermsInput> = {}) {
    return fixture.jointTerms(l, { aprBps: 2400, termMonths: 12, ...overrides });
  }

  async function chainOwed(loanId: string) {
    const [penalty, interest, principal] = (await l.ledger.getFunction("settlementOwed")(loanId)) as [
      bigint,
      bigint,
      bigint,
    ];
    return {
      penaltyFen: penalty,
      interestFen: interest,
      principalFen: principal,
      totalFen: penalty + interest + principal,
    };
  }

  async function tsOwed(loanId: string, t: ReturnType<typeof terms>) {
    const penaltyAprBps = Math.min(
      fixture.DEFAULT_PARAMS.penaltyAprBps,
      Math.max(0, fixture.DEFAULT_PARAMS.aprCapBps - t.aprBps),
    );
    return settlementOwed({
      ...(await fixture.ledgerProgress(l, loanId)),
      schedule: t.schedule,
      startDay: t.startDay,
      penaltyAprBps,
      day: await l.chainDay(),
    });
  }

  async function withinCap(loanId: string, amount: bigint): Promise<boolean> {
    try {
      await l
        .ledgerAs(BRANCH_A)
        .getFunction("repay")
        .staticCall(loanId, amount, l.serial("TRY"), fixture.voucherOf("try"));
      return true;
    } catch (e) {
      if (String(e).includes("LedgerPaymentAheadAboveCap")) return false;
      throw e;
    }
  }

  async function settle(loanId: string, amount: bigint) {
    const serial = l.serial("SET");
    return l.ledgerAs(BRANCH_A).getFunction("settle")(loanId, amount, serial, fixture.voucherOf(serial));
  }

  it("10,000 yuan at 24% for 12 months settled the day after disbursement owes one day of interest, not a year's", async function () {
    const t = terms();
    await l.timeTo(t.startDay, 9);
    const { loanId } = await l.register(t);
    await l.disburseAll(loanId);
    await l.timeTo(t.startDay + 1, 10);
    const first = t.schedule[0]!;
    expect(first.interest).to.equal(20_000n); // 200 yuan: one month at 2%
    const oneDay = divRoundHalfUp(20_000n * 1n, BigInt(first.dueDay - t.startDay)); // 6.45 yuan in a 31-day month
    const owed = await chainOwed(loanId);
    expect(owed).to.deep.equal({
      penaltyFen: 0n,
      interestFen: oneDay,
      principalFen: 1_000_000n,
      totalFen: 1_000_000n + oneDay,
    });
    expect(owed).to.deep.equal(await tsOwed(loanId, t));
    // all future interest (what repaying everything owed would take) is not owed
    const [, allInterest] = (await l.ledger.getFunction("amountOwed")(loanId)) as [bigint, bigint, bigint];
    expect(allInterest).to.equal(t.schedule.reduce((a, i) => a + i.interest, 0n));
    // one fen more or less is refused and changes nothing
    for (const amount of [owed.totalFen + 1n, owed.totalFen - 1n]) {
      await expect(settle(loanId, amount))
        .to.be.revertedWithCustomError(l.ledger, "LedgerSettlementMismatch")
        .withArgs(loanId, amount, owed.totalFen);
    }
    const tx = await settle(loanId, owed.totalFen);
    await expect(tx).to.emit(l.ledger, "RepaymentReceived");
    await expect(tx).to.emit(l.ledger, "LoanSettled").withArgs(loanId);
    expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(fixture.LoanState.Settled);
    expect(await l.ledger.getFunction("borrowerOutstanding")(t.borrowerKey)).to.equal(0n);
    expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_A, PLATFORM)).to.equal(0n);
    await expect(settle(loanId, 1n)).to.be.revertedWithCustomError(l.ledger, "LedgerWrongState");
  });

  it(`settlementOwed equals settlement.ts after random repayment histories, and settle() settles (${RUNS} runs)`, async function () {
    this.timeout(0);
    let borrower = 0;
    const seen = { settled: 0, penalty: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ...fixture.RANDOM_LOAN,
          // each step: days to move on, then a repayment as a fraction (per mille) of what is owed now (0: none)
          steps: fc.array(
            fc.record({ days: fc.integer({ min: 0, max: 45 }), perMille: fc.integer({ min: 0, max: 1000 }) }),
            { maxLength: 4 },
          ),
          finalDays: fc.integer({ min: 0, max: 40 }),
        }),
        async ({ method, months, aprBps, steps, finalDays }) => {
          const start = (await l.chainDay()) + 1;
          const t = terms({
            method,
            termMonths: months,
            aprBps,
            startDate: (await import("../../common/lending/dates.ts")).dayToDate(start),
            borrower: fixture.numberedBorrower(String(borrower++)),
          });
          await l.timeTo(start, 9);
          const { loanId } = await l.register(t);
          await l.disburseAll(loanId);
          let day = start;
          for (const step of steps) {
            day += step.days;
            if (step.days > 0) await l.timeTo(day, 10);
            if (Number((await l.ledger.getFunction("loan")(loanId)).state) !== fixture.LoanState.Active)
              return;
            const [p, i, q] = (await l.ledger.getFunction("amountOwed")(loanId)) as [bigint, bigint, bigint];
            const amount = ((p + i + q) * BigInt(step.perMille)) / 1000n;
            // paying ahead of a due day is charged to the loan's headroom under the cap; beyond
            // it the repayment is refused and the history goes on without it
            if (amount > 0n && (await withinCap(loanId, amount))) await l.repay(loanId, amount);
          }
          if (Number((await l.ledger.getFunction("loan")(loanId)).state) !== fixture.LoanState.Active) return;
          if (finalDays > 0) await l.timeTo(day + finalDays, 11);
          const owed = await chainOwed(loanId);
          expect(owed).to.deep.equal(await tsOwed(loanId, t));
          seen.penalty += owed.penaltyFen > 0n ? 1 : 0;
          seen.settled += 1;
          await settle(loanId, owed.totalFen);
          expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(
            fixture.LoanState.Settled,
          );
        },
      ),
      {
        numRuns: RUNS,
        // always among them: a partial payment 10 days after the first installment fell due, settled 10 days later
        examples: [
          [
            {
              method: RepaymentMethod.EqualInstallment,
              months: 6,
              aprBps: 1800,
              steps: [{ days: 41, perMille: 30 }],
              finalDays: 10,
            },
          ],
        ],
      },
    );
    // the histories reach the interesting cases: late installments with penalty, and settlements
    expect(seen.settled, "settlements checked").to.be.greaterThan(RUNS / 2);
    expect(seen.penalty, "settlements with penalty").to.be.greaterThan(0);
  });
});
