// Task rules on the deployed ledger: a joint loan needs its platform's signed agreement, and the
// all-in annual cost (interest and every fee) is capped on chain, agreeing with
// common/lending/apr.ts for every schedule (property test below; FUZZ_RUNS runs, 200 by default,
// 20,000 under `npm run test:deep`).
import { expect } from "chai";
import fc from "fast-check";
import type { Contract } from "ethers";
import { Interface } from "ethers";
import { allInAprBps, AprError, exceedsCap } from "../../common/lending/apr.ts";
import { addMonths, dateToDay, dayToDate } from "../../common/lending/dates.ts";
import { aprFeesOf, chainFeesOf, type ChainFee } from "../../common/lending/fees.ts";
import { generateSchedule, RepaymentMethod } from "../../common/lending/schedule.ts";
import { loanAgreementDigest } from "../../common/lending/agreement.ts";
import { JOINT_LOAN_LEDGER_ABI } from "../../common/chain/generated/abis.ts";
import { BRANCH_A, PLATFORM } from "./consortium.fixture.ts";
import {
  DEFAULT_PARAMS,
  deployLendingAtStart,
  jointTerms as joint,
  type Lending,
  LoanState,
  termsFor,
} from "./lending.fixture.ts";

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const ledgerErrors = new Interface(JOINT_LOAN_LEDGER_ABI as never);

describe("JointLoanLedger: the platform's agreement and the all-in cost cap (deployed)", function () {
  let l: Lending;
  before(async function () {
    l = await deployLendingAtStart();
  });

  it("refuses a joint loan naming the platform as co-funder without its agreement (was registered before)", async function () {
    const terms = joint(l);
    const loanId = await l.ledger.getFunction("loanIdOf")(terms.originator, terms.applicationSerial);
    await expect(l.ledgerAs(BRANCH_A).getFunction("registerLoan")(terms, "0x"))
      .to.be.revertedWithCustomError(l.ledger, "LedgerPlatformAgreementMissing")
      .withArgs(loanId, PLATFORM, "0x0000000000000000000000000000000000000000");
    // the branch signing for the platform is no agreement either
    const forged = await l.agreementOf(terms, l.signers.branchAOps);
    await expect(l.ledgerAs(BRANCH_A).getFunction("registerLoan")(terms, forged))
      .to.be.revertedWithCustomError(l.ledger, "LedgerPlatformAgreementMissing")
      .withArgs(loanId, PLATFORM, l.signers.branchAOps.address);
    expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(0n);
    const { loanId: registered } = await l.register(terms);
    expect(Number((await l.ledger.getFunction("loan")(registered)).state)).to.equal(LoanState.Registered);
  });

  it("the ledger's verifier's agreementDigest equals the TypeScript typed-data digest", async function () {
    const terms = joint(l, {
      fees: [
        { installment: 0, amount: 1_000n },
        { installment: 6, amount: 2_000n },
      ],
    });
    const { chainId } = await l.ethers.provider.getNetwork();
    const verifier = await l.ethers.getContractAt(
      "LoanTermsVerifier",
      await l.ledger.getFunction("termsVerifier")(),
    );
    expect(await verifier.getFunction("agreementDigest")(terms)).to.equal(
      loanAgreementDigest(chainId, await l.ledger.getAddress(), terms),
    );
  });

  it("refuses 100,000 yuan at 23% nominal for 12 months with a 6,000-yuan fee: all-in 34.88% (was registered on the nominal rate)", async function () {
    const start = l.startDay;
    const schedule = generateSchedule({
      principalFen: 10_000_000n,
      aprBps: 2300,
      method: RepaymentMethod.EqualInstallment,
      startDate: dayToDate(start),
      termMonths: 12,
    });
    const fees = chainFeesOf([{ amountFen: 600_000n, due: "with-first-installment" }], schedule.length);
    const apr = allInAprBps({
      method: RepaymentMethod.EqualInstallment,
      principalFen: 10_000_000n,
      installments: schedule.map((i) => ({ dueDay: i.dueDay, totalFen: i.totalFen })),
      fees: aprFeesOf(fees, schedule, start),
      startDay: start,
    });
    expect(apr).to.equal(3488);
    const terms = joint(l, { principalFen: 10_000_000n, aprBps: 2300, termMonths: 12, fees });
    await expect(l.ledgerAs(BRANCH_A).getFunction("registerLoan")(terms, await l.agreementOf(terms)))
      .to.be.revertedWithCustomError(l.ledger, "LedgerAllInAprAboveCap")
      .withArgs(3488, DEFAULT_PARAMS.aprCapBps);
    // without the fee the same loan is within the cap, and its fees are recorded when it has any
    const plain = joint(l, { principalFen: 10_000_000n, aprBps: 2300, termMonths: 12 });
    await l.register(plain);
    const small = joint(l, { aprBps: 1800, fees: [{ installment: 1, amount: 1_000n }] });
    const { tx, loanId } = await l.register(small);
    await expect(tx)
      .to.emit(l.ledger, "LoanFeesRegistered")
      .withArgs(loanId, [[1n, 1_000n]]);
  });

  describe("the chain's decision equals exceedsCap(allInAprBps(…), cap) for every schedule", function () {
    let verifier: Contract;
    before(async function () {
      // the ledger's own verifier: the parties it checks (branch A, no co-funder) are members
      verifier = (await l.ethers.getContractAt(
        "LoanTermsVerifier",
        await l.ledger.getFunction("termsVerifier")(),
      )) as unknown as Contract;
    });

    const feeArb = (n: number, principal: bigint) =>
      fc.array(
        fc.record({
          installment: fc.integer({ min: 0, max: n }),
          amount: fc.bigInt({ min: 1n, max: principal / 8n }),
        }),
        { maxLength: 5 },
      );
    const loanArb = fc
      .record({
        method: fc.constantFrom(
          RepaymentMethod.EqualInstallment,
          RepaymentMethod.InterestFirst,
          RepaymentMethod.Bullet,
        ),
        principal: fc.bigInt({ min: 300_000n, max: 20_000_000n }),
        aprBps: fc.integer({ min: 0, max: 3600 }),
        months: fc.integer({ min: 1, max: 36 }),
        days: fc.option(fc.integer({ min: 7, max: 1096 }), { nil: undefined }),
        startOffset: fc.integer({ min: 0, max: 3000 }),
        capBps: fc.oneof(fc.constant(2400), fc.integer({ min: 1, max: 6000 })),
      })
      .chain((loan) => {
        const n = loan.method === RepaymentMethod.Bullet ? 1 : loan.months;
        return fc.record({ loan: fc.constant(loan), fees: feeArb(n, loan.principal) });
      });

    it(`agrees on refusal and on the reported all-in APR (${FUZZ_RUNS} runs)`, async function () {
      this.timeout(0);
      const epoch = dateToDay("2026-01-01");
      await fc.assert(
        fc.asyncProperty(loanArb, async ({ loan, fees }) => {
          const startDate = dayToDate(epoch + loan.startOffset);
          const bulletInDays = loan.method === RepaymentMethod.Bullet && loan.days !== undefined;
          const schedule = generateSchedule({
            principalFen: loan.principal,
            aprBps: loan.aprBps,
            method: loan.method,
            startDate,
            ...(bulletInDays ? { termDays: loan.days } : { termMonths: loan.months }),
          });
          const startDay = dateToDay(startDate);
          const chainFees: ChainFee[] = fees;
          // the TypeScript reference: undefined when it cannot give a rate (fees use up the loan)
          let expected: { refused: boolean; apr?: number };
          try {
            const apr = allInAprBps({
              method: loan.method,
              principalFen: loan.principal,
              installments: schedule.map((i) => ({ dueDay: i.dueDay, totalFen: i.totalFen })),
              fees: aprFeesOf(chainFees, schedule, startDay),
              startDay,
            });
            expected = { refused: exceedsCap(apr, loan.capBps), apr };
          } catch (error) {
            if (!(error instanceof AprError) || error.code !== "APR_OUT_OF_RANGE") throw error;
            expected = { refused: true };
          }
          const terms = {
            ...termsFor({
              serial: l.serial("FUZZ"),
              principalFen: loan.principal,
              aprBps: loan.aprBps,
              method: loan.method,
              startDate,
              termMonths: 1,
              platformShareBps: 0,
              branch: BRANCH_A,
            }),
            schedule: schedule.map((i) => ({
              dueDay: i.dueDay,
              principal: i.principalFen,
              interest: i.interestFen,
            })),
            fees: chainFees,
          };
          const rules = BigInt(loan.capBps) | (1n << 16n) | (65_535n << 32n);
          let refusal: { name: string; args: readonly unknown[] } | undefined;
          try {
            await verifier.getFunction("check").staticCall(terms, rules, "0x");
          } catch (error) {
            const data = (error as { data?: string }).data;
            const parsed = data === undefined ? null : ledgerErrors.parseError(data);
            if (parsed === null) throw error;
            refusal = { name: parsed.name, args: [...parsed.args] };
          }
          expect(
            refusal !== undefined,
            `refused (${JSON.stringify({ expected, refusal: refusal?.name })})`,
          ).to.equal(expected.refused);
          if (refusal === undefined) return;
          if (expected.apr === undefined) {
            expect(refusal.name).to.equal("LedgerUpfrontFeesTooHigh");
          } else {
            expect(refusal.name).to.equal("LedgerAllInAprAboveCap");
            expect(refusal.args).to.deep.equal([BigInt(expected.apr), BigInt(loan.capBps)]);
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
    });

    it("a monthly fee becomes one ledger fee per installment; upfront fees are period 0", function () {
      expect(
        chainFeesOf(
          [
            { amountFen: 500n, due: "monthly" },
            { amountFen: 900n, due: "upfront" },
          ],
          3,
        ),
      ).to.deep.equal([
        { installment: 1, amount: 500n },
        { installment: 2, amount: 500n },
        { installment: 3, amount: 500n },
        { installment: 0, amount: 900n },
      ]);
      expect(dateToDay(addMonths("2026-01-31", 1))).to.equal(20_512);
    });
  });
});
