// Partial prepayment on the deployed ledger against common/lending/prepayment.ts: on random loans
// (method, term, rate, fees), after random on-time repayments and on a random day of the period in
// progress, the chain's prepaymentOwed (interest, principal paid, largest fee, new installments)
// equals the TypeScript computation in both modes; prepay() then leaves exactly the TypeScript
// schedule and headroom, and a fee one fen above the largest is refused by both.
import { expect } from "chai";
import fc from "fast-check";
import { dayToDate } from "../../common/lending/dates.ts";
import { PrepaymentError, PrepaymentMode, prepaymentOwed } from "../../common/lending/prepayment.ts";
import { BRANCH_A } from "./consortium.fixture.ts";
import * as fixture from "./lending.fixture.ts";

const RUNS = fixture.LEDGER_PROPERTY_RUNS;

type Installment = { dueDay: number; principal: bigint; interest: bigint };

describe("JointLoanLedger: partial prepayment equals prepayment.ts (deployed)", function () {
  let l: fixture.Lending;
  before(async function () {
    l = await fixture.deployLending();
  });

  async function chainState(loanId: string) {
    const loan = await l.ledger.getFunction("loan")(loanId);
    const schedule = (
      (await l.ledger.getFunction("schedule")(loanId)) as Array<{
        dueDay: bigint;
        principal: bigint;
        interest: bigint;
      }>
    ).map((i): Installment => ({ dueDay: Number(i.dueDay), principal: i.principal, interest: i.interest }));
    return {
      schedule,
      startDay: Number(loan.startDay),
      ...(await fixture.ledgerProgress(l, loanId)),
    };
  }

  it(`prepaymentOwed and prepay equal prepayment.ts on random loans, histories, days and both modes (${RUNS} runs)`, async function () {
    this.timeout(0);
    let borrower = 0;
    const seen = { prepaid: 0, shortened: 0, withFee: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ...fixture.RANDOM_LOAN,
          principalFen: fc.bigInt({ min: 300_000n, max: 5_000_000n }),
          repaid: fc.integer({ min: 0, max: 2 }),
          intoPeriod: fc.double({ min: 0, max: 1, noNaN: true }),
          fraction: fc.integer({ min: 1, max: 999 }),
          mode: fc.constantFrom(PrepaymentMode.ShortenTerm, PrepaymentMode.LowerInstallments),
          feePerMille: fc.integer({ min: 0, max: 1000 }),
        }),
        async ({ method, months, aprBps, principalFen, repaid, intoPeriod, fraction, mode, feePerMille }) => {
          const start = (await l.chainDay()) + 1;
          const t = fixture.jointTerms(l, {
            principalFen,
            aprBps,
            method,
            startDate: dayToDate(start),
            termMonths: months,
            borrower: fixture.numberedBorrower(`p${borrower++}`),
          });
          await l.timeTo(start, 9);
          const { loanId } = await l.register(t);
          await l.disburseAll(loanId);
          // on-time repayments of the first installments, then a day of the period in progress
          const k = Math.min(repaid, months - 1);
          for (let i = 0; i < k; i++) {
            await l.timeTo(t.schedule[i]!.dueDay, 10);
            await l.repay(loanId, t.schedule[i]!.principal + t.schedule[i]!.interest);
          }
          const from = k === 0 ? start : t.schedule[k - 1]!.dueDay;
          const day = from + Math.floor(intoPeriod * (t.schedule[k]!.dueDay - from));
          if (day > (await l.chainDay())) await l.timeTo(day, 11);
          const state = await chainState(loanId);
          const open = state.schedule.slice(k).reduce((sum, i) => sum + i.principal, 0n);
          const principal = (open * BigInt(fraction)) / 1000n || 1n;
          const input = { ...state, day: await l.chainDay(), principalFen: principal, mode, feeFen: 0n };

          const quote = async (fee: bigint) =>
            (await l.ledger.getFunction("prepaymentOwed")(loanId, principal, mode, fee)) as [
              bigint,
              bigint,
              bigint,
              Array<{ dueDay: bigint; principal: bigint; interest: bigint }>,
            ];
          const ts = prepaymentOwed(input);
          const [interest, principalPaid, maxFee, installments] = await quote(0n);
          expect([interest, principalPaid, maxFee]).to.deep.equal([
            ts.interestFen,
            ts.principalPaidFen,
            ts.maxFeeFen,
          ]);
          expect(
            installments.map((i) => ({
              dueDay: Number(i.dueDay),
              principal: i.principal,
              interest: i.interest,
            })),
          ).to.deep.equal(ts.schedule.slice(k));

          // one fen above the largest fee: refused by both, naming the largest
          await expect(quote(maxFee + 1n))
            .to.be.revertedWithCustomError(l.ledger, "LedgerPrepaymentFeeAboveCap")
            .withArgs(loanId, maxFee + 1n, maxFee);
          expect(() => prepaymentOwed({ ...input, feeFen: maxFee + 1n }))
            .to.throw(PrepaymentError)
            .with.property("limit", maxFee);

          const fee = (maxFee * BigInt(feePerMille)) / 1000n;
          const withFee = prepaymentOwed({ ...input, feeFen: fee });
          const serial = l.serial("PRE");
          const tx = await l.ledgerAs(BRANCH_A).getFunction("prepay")(
            loanId,
            principal,
            mode,
            fee,
            withFee.totalFen,
            serial,
            fixture.voucherOf(serial),
          );
          await expect(tx)
            .to.emit(l.ledger, "PrepaymentReceived")
            .withArgs(
              loanId,
              serial,
              fixture.voucherOf(serial),
              mode,
              principal,
              withFee.principalPaidFen,
              withFee.interestFen,
              fee,
            );
          const after = await chainState(loanId);
          expect(after.schedule).to.deep.equal(withFee.schedule);
          expect(after.allIn.slackFen).to.equal(withFee.slackFen);
          expect(after.progress.nextInstallment).to.equal(k);
          expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(
            fixture.LoanState.Active,
          );
          seen.prepaid += 1;
          seen.shortened += withFee.schedule.length < months ? 1 : 0;
          seen.withFee += fee > 0n ? 1 : 0;
        },
      ),
      { numRuns: RUNS },
    );
    expect(seen.prepaid).to.equal(RUNS);
    expect(seen.shortened, "some prepayments shortened the term").to.be.greaterThan(0);
    expect(seen.withFee, "some prepayments carried a fee").to.be.greaterThan(0);
  });
});
