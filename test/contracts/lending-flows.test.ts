// Whole lending flows on the deployed JointLoanLedger and DisputeResolution: a joint loan and
// assisted loans repaid to settlement with every fen accounted for, overdue escalation to a court
// and its cure, every registration and fund-flow rule refused with its custom error and values,
// and a scan of everything that reached the chain for the borrowers' personal data.
import { expect } from "chai";
import type { Contract, Log, TransactionReceipt } from "ethers";
import { AbiCoder, hexlify, keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import { principalCredits, splitByShares } from "../../common/lending/allocation.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import { caseIdOf, loanIdOf } from "../../common/lending/ids.ts";
import { divRoundHalfUp, parseYuan } from "../../common/lending/money.ts";
import { generateSchedule, RepaymentMethod } from "../../common/lending/schedule.ts";
import { BRANCH_A, BRANCH_B, COURT, PLATFORM, UNION } from "./consortium.fixture.ts";
import {
  ACCOUNT_OF,
  BORROWER,
  BORROWERS,
  borrowerKeyOf,
  DEFAULT_LIMITS,
  DEFAULT_PARAMS,
  deployLending,
  DisputeStage,
  type FlowRecord,
  jointTerms as joint,
  type Lending,
  LoanState,
  REGION_A,
  REGION_B,
  termsFor,
  voucherOf,
} from "./lending.fixture.ts";

const abi = AbiCoder.defaultAbiCoder();

/** Every chain deployed in this file, so the privacy scan can read all of them at the end. */
const deployed: Lending[] = [];
async function fresh(): Promise<Lending> {
  const l = await deployLending();
  deployed.push(l);
  return l;
}

type Parsed = { name: string; args: Record<string, unknown> & unknown[] };

/** The receipt's logs emitted by `contract` with event `name`, decoded, in order. */
async function eventsOf(receipt: TransactionReceipt, contract: Contract, name: string): Promise<Parsed[]> {
  const address = (await contract.getAddress()).toLowerCase();
  const out: Parsed[] = [];
  for (const log of receipt.logs as readonly Log[]) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed !== null && parsed.name === name)
      out.push({ name: parsed.name, args: parsed.args as unknown as Parsed["args"] });
  }
  return out;
}

/**
 * The loan's evidence chain as a court recomputes it from the documents: chain_0 =
 * keccak256(abi.encode("JointLedger.evidence.v1", contractLeaf, consentLeaf)), then
 * chain_n = keccak256(abi.encode(chain_{n-1}, voucher_n)) over the fund-flow vouchers in order.
 */
function evidenceChainOf(
  terms: { contractLeaf: string; consentLeaf: string },
  flows: readonly FlowRecord[],
): string {
  const start = keccak256(
    abi.encode(
      ["string", "bytes32", "bytes32"],
      ["JointLedger.evidence.v1", terms.contractLeaf, terms.consentLeaf],
    ),
  );
  return flows.reduce((head, f) => keccak256(abi.encode(["bytes32", "bytes32"], [head, f.voucher])), start);
}

/** The quota books a rejected call must leave untouched. */
async function books(
  l: Lending,
  borrowerKeys: readonly string[] = BORROWERS.map((b) => borrowerKeyOf(b.idNumber)),
) {
  const get = (name: string, ...args: unknown[]) => l.ledger.getFunction(name)(...args);
  const bookA = await get("branchBook", BRANCH_A);
  const bookB = await get("branchBook", BRANCH_B);
  return {
    a: [bookA.outstanding, bookA.disbursedToday, bookA.day],
    b: [bookB.outstanding, bookB.disbursedToday, bookB.day],
    coA: await get("coFundedOutstanding", BRANCH_A, PLATFORM),
    coB: await get("coFundedOutstanding", BRANCH_B, PLATFORM),
    borrowers: await Promise.all(borrowerKeys.map((k) => get("borrowerOutstanding", k))),
  };
}

async function stageOf(l: Lending, loanId: string): Promise<number> {
  return Number((await l.ledger.getFunction("loan")(loanId)).stage);
}

describe("JointLoanLedger flows (deployed)", function () {
  this.timeout(60_000);

  describe("a joint loan: branch 70% / platform 30%, 100,000.00 yuan at 18%, 12 equal installments", function () {
    it("registers, disburses exact shares, splits every installment to the fen and settles", async function () {
      const l = await fresh();
      const principal = parseYuan("100000.00");
      expect(principal).to.equal(10_000_000n);
      const shares = [7000, 3000];
      const serial = l.serial("APP");
      const input = {
        principalFen: principal,
        aprBps: 1800,
        method: RepaymentMethod.EqualInstallment,
        startDate: l.startDate,
        termMonths: 12,
      };
      const schedule = generateSchedule(input);
      const terms = termsFor({ ...input, serial, platformShareBps: 3000, branch: BRANCH_A });
      expect(terms.borrowerKey).to.equal(borrowerKeyOf(BORROWER.idNumber));

      // register: the id is known off chain before the transaction
      const loanId = loanIdOf(PLATFORM, serial);
      expect(await l.ledger.getFunction("loanIdOf")(PLATFORM, serial)).to.equal(loanId);
      await l.timeTo(l.startDay, 9);
      const registered = await l.register(terms);
      expect(registered.loanId).to.equal(loanId);
      await expect(registered.tx)
        .to.emit(l.ledger, "LoanRegistered")
        .withArgs(
          loanId,
          BRANCH_A,
          PLATFORM,
          terms.borrowerKey,
          principal,
          1800,
          RepaymentMethod.EqualInstallment,
          terms.contractLeaf,
          terms.consentLeaf,
          terms.receivingAccount,
        );
      const [branchPart, platformPart] = splitByShares(principal, shares) as [bigint, bigint];
      expect(platformPart).to.equal(3_000_000n);
      expect(branchPart).to.equal(7_000_000n);
      let loan = await l.ledger.getFunction("loan")(loanId);
      expect(Number(loan.state)).to.equal(LoanState.Registered);
      expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(principal);
      expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_A, PLATFORM)).to.equal(branchPart);
      expect(await l.ledger.getFunction("borrowerOutstanding")(terms.borrowerKey)).to.equal(principal);
      const onChain = (await l.ledger.getFunction("schedule")(loanId)) as {
        dueDay: bigint;
        principal: bigint;
        interest: bigint;
      }[];
      expect(onChain.map((i) => [Number(i.dueDay), i.principal, i.interest])).to.deep.equal(
        schedule.map((i) => [i.dueDay, i.principalFen, i.interestFen]),
      );

      // disburse: each funder exactly its share; active only once both have
      const sBranch = l.serial("DIS");
      const txBranch = await l.disburse(BRANCH_A, loanId, branchPart, ACCOUNT_OF[BRANCH_A]!, sBranch);
      await expect(txBranch)
        .to.emit(l.ledger, "FundsDisbursed")
        .withArgs(loanId, BRANCH_A, branchPart, ACCOUNT_OF[BRANCH_A], sBranch, voucherOf(sBranch));
      await expect(txBranch).not.to.emit(l.ledger, "LoanActivated");
      expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(LoanState.Registered);
      const sPlatform = l.serial("DIS");
      const txPlatform = await l.disburse(PLATFORM, loanId, platformPart, ACCOUNT_OF[PLATFORM]!, sPlatform);
      await expect(txPlatform)
        .to.emit(l.ledger, "FundsDisbursed")
        .withArgs(loanId, PLATFORM, platformPart, ACCOUNT_OF[PLATFORM], sPlatform, voucherOf(sPlatform));
      await expect(txPlatform).to.emit(l.ledger, "LoanActivated").withArgs(loanId);
      loan = await l.ledger.getFunction("loan")(loanId);
      expect(Number(loan.state)).to.equal(LoanState.Active);
      expect(loan.disbursedMask).to.equal(3n);

      // repay each installment on its due day
      const recovered = new Map<number, bigint>([
        [BRANCH_A, 0n],
        [PLATFORM, 0n],
      ]);
      const income = new Map<number, bigint>([
        [BRANCH_A, 0n],
        [PLATFORM, 0n],
      ]);
      let principalBefore = 0n;
      let interestReceived = 0n;
      for (const inst of schedule) {
        await l.timeTo(inst.dueDay, 10);
        const [penaltyOwed] = (await l.ledger.getFunction("amountOwed")(loanId)) as bigint[];
        expect(penaltyOwed, `no penalty on the due day of #${inst.index}`).to.equal(0n);
        const { receipt, serial: repSerial } = await l.repay(loanId, inst.totalFen);

        const [received, ...more] = await eventsOf(receipt, l.ledger, "RepaymentReceived");
        expect(more).to.have.length(0);
        expect([received!.args.penalty, received!.args.interest, received!.args.principal]).to.deep.equal([
          0n,
          inst.interestFen,
          inst.principalFen,
        ]);
        interestReceived += received!.args.interest as bigint;

        const shared = await eventsOf(receipt, l.ledger, "RepaymentShared");
        expect(shared.map((e) => Number(e.args.funder))).to.deep.equal([BRANCH_A, PLATFORM]);
        expect(shared.every((e) => e.args.serial === repSerial)).to.equal(true);
        const principals = shared.map((e) => e.args.principal as bigint);
        const incomes = shared.map((e) => e.args.income as bigint);
        expect(
          principals.reduce((a, b) => a + b) + incomes.reduce((a, b) => a + b),
          `installment ${inst.index}`,
        ).to.equal(inst.totalFen);
        expect(principals, `principal credits of #${inst.index}`).to.deep.equal(
          principalCredits(principalBefore, inst.principalFen, shares),
        );
        expect(incomes, `income split of #${inst.index}`).to.deep.equal(
          splitByShares(inst.interestFen, shares),
        );
        principalBefore += inst.principalFen;
        for (const [i, e] of shared.entries()) {
          const funder = Number(e.args.funder);
          recovered.set(funder, recovered.get(funder)! + principals[i]!);
          income.set(funder, income.get(funder)! + incomes[i]!);
        }

        const settled = await eventsOf(receipt, l.ledger, "LoanSettled");
        expect(settled, `LoanSettled after #${inst.index}`).to.have.length(
          inst.index === schedule.length ? 1 : 0,
        );
      }

      loan = await l.ledger.getFunction("loan")(loanId);
      expect(Number(loan.state)).to.equal(LoanState.Settled);
      expect(recovered.get(BRANCH_A)).to.equal(branchPart);
      expect(recovered.get(PLATFORM)).to.equal(platformPart);
      const totalInterest = schedule.reduce((a, i) => a + i.interestFen, 0n);
      expect(income.get(BRANCH_A)! + income.get(PLATFORM)!).to.equal(totalInterest);
      const progress = await l.ledger.getFunction("progress")(loanId);
      expect([progress.principalRepaid, Number(progress.nextInstallment)]).to.deep.equal([
        principal,
        schedule.length,
      ]);
      expect(interestReceived).to.equal(totalInterest);
      expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(0n);
      expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_A, PLATFORM)).to.equal(0n);
      expect(await l.ledger.getFunction("borrowerOutstanding")(terms.borrowerKey)).to.equal(0n);
      const owed = (await l.ledger.getFunction("amountOwed")(loanId)) as bigint[];
      expect([...owed]).to.deep.equal([0n, 0n, 0n]);
      expect(await l.ledger.getFunction("evidenceChain")(loanId)).to.equal(
        evidenceChainOf(terms, [
          {
            kind: "disbursement",
            funder: BRANCH_A,
            amount: branchPart,
            serial: sBranch,
            voucher: voucherOf(sBranch),
          },
          {
            kind: "disbursement",
            funder: PLATFORM,
            amount: platformPart,
            serial: sPlatform,
            voucher: voucherOf(sPlatform),
          },
          ...l.flows.get(loanId)!,
        ]),
      );
    });
  });

  describe("assisted loans: the platform brings the borrower, the branch funds 100%", function () {
    it("interest-first at branch B: one funder gets every fen, principal with the last installment", async function () {
      const l = await fresh();
      const borrower = BORROWERS[2]!;
      const terms = termsFor({
        serial: l.serial("APP"),
        principalFen: parseYuan("50000"),
        aprBps: 2000,
        method: RepaymentMethod.InterestFirst,
        startDate: l.startDate,
        termMonths: 6,
        platformShareBps: 0,
        branch: BRANCH_B,
        borrower,
      });
      expect(terms.borrowerRegion).to.equal(REGION_B);
      await l.timeTo(l.startDay, 9);
      const { loanId } = await l.register(terms);
      const funders = await l.ledger.getFunction("funders")(loanId);
      expect(
        funders.map((f: { memberId: bigint; shareBps: bigint }) => [Number(f.memberId), Number(f.shareBps)]),
      ).to.deep.equal([[BRANCH_B, 10_000]]);
      // co-funding (共同出资) limits joint loans only: the platform funds nothing of an assisted loan
      expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_B, PLATFORM)).to.equal(0n);

      const [disbursed, ...others] = await l.disburseAll(loanId);
      expect(others).to.have.length(0);
      await expect(disbursed!).to.emit(l.ledger, "LoanActivated").withArgs(loanId);
      await expect(disbursed!)
        .to.emit(l.ledger, "FundsDisbursed")
        .withArgs(
          loanId,
          BRANCH_B,
          terms.principal,
          ACCOUNT_OF[BRANCH_B],
          l.flows.get(loanId)![0]!.serial,
          l.flows.get(loanId)![0]!.voucher,
        );

      let recovered = 0n;
      for (const [k, inst] of terms.schedule.entries()) {
        expect(inst.principal, `principal only with the last installment (#${k + 1})`).to.equal(
          k === terms.schedule.length - 1 ? terms.principal : 0n,
        );
        await l.timeTo(inst.dueDay, 15);
        const amount = inst.principal + inst.interest;
        const { receipt } = await l.repay(loanId, amount);
        const shared = await eventsOf(receipt, l.ledger, "RepaymentShared");
        expect(shared).to.have.length(1);
        expect(Number(shared[0]!.args.funder)).to.equal(BRANCH_B);
        expect([shared[0]!.args.principal, shared[0]!.args.income]).to.deep.equal([
          inst.principal,
          inst.interest,
        ]);
        recovered += shared[0]!.args.principal as bigint;
      }
      expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(LoanState.Settled);
      expect(recovered).to.equal(terms.principal);
      expect((await l.ledger.getFunction("branchBook")(BRANCH_B)).outstanding).to.equal(0n);
      expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_B, PLATFORM)).to.equal(0n);
      expect(await l.ledger.getFunction("borrowerOutstanding")(terms.borrowerKey)).to.equal(0n);
    });

    it("bullet over 90 days at branch A: actual/365 interest, settled in one repayment", async function () {
      const l = await fresh();
      const terms = termsFor({
        serial: l.serial("APP"),
        principalFen: 1_000_000n,
        aprBps: 1500,
        method: RepaymentMethod.Bullet,
        startDate: l.startDate,
        termDays: 90,
        platformShareBps: 0,
        branch: BRANCH_A,
        borrower: BORROWERS[1]!,
      });
      expect(terms.schedule).to.have.length(1);
      const [only] = terms.schedule as [(typeof terms.schedule)[number]];
      expect(only.dueDay).to.equal(l.startDay + 90);
      expect(only.interest).to.equal(divRoundHalfUp(1_000_000n * 1500n * 90n, 3_650_000n)); // 36,986 fen
      await l.timeTo(l.startDay, 9);
      const { loanId } = await l.register(terms);
      await l.disburseAll(loanId);
      await l.timeTo(only.dueDay, 20);
      const { receipt } = await l.repay(loanId, only.principal + only.interest);
      const shared = await eventsOf(receipt, l.ledger, "RepaymentShared");
      expect(shared.map((e) => [Number(e.args.funder), e.args.principal, e.args.income])).to.deep.equal([
        [BRANCH_A, only.principal, only.interest],
      ]);
      expect(await eventsOf(receipt, l.ledger, "LoanSettled")).to.have.length(1);
      expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(0n);
      expect(await l.ledger.getFunction("borrowerOutstanding")(terms.borrowerKey)).to.equal(0n);
    });
  });

  describe("overdue escalation to arbitration", function () {
    async function overdueLoan(l: Lending, borrowerIndex: number) {
      const terms = joint(l, {
        principalFen: parseYuan("50000"),
        termMonths: 12,
        borrower: BORROWERS[borrowerIndex]!,
      });
      await l.timeTo(l.startDay, 9);
      const { loanId } = await l.register(terms);
      await l.disburseAll(loanId);
      return { loanId, terms, first: terms.schedule[0]! };
    }

    it("reminder, mediation and arbitration in one call at 20 days; the assigned court accepts, rules and closes", async function () {
      const l = await fresh();
      const { loanId, terms, first } = await overdueLoan(l, 0);
      const keeper = l.disputesAs(UNION);

      // a small partial payment the day after the due day: installment 1 stays unpaid
      await l.timeTo(first.dueDay + 1, 10);
      await l.repay(loanId, 1000n);

      await l.timeTo(first.dueDay + 2, 10);
      const firstRead = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
      let [days, , stage] = firstRead;
      expect([days, firstRead[1], stage]).to.deep.equal([
        2n,
        BigInt(LoanState.Active),
        BigInt(DisputeStage.None),
      ]);
      expect(await keeper.getFunction("escalate").staticCall(loanId)).to.equal(BigInt(DisputeStage.None));
      await expect(keeper.getFunction("escalate")(loanId)).not.to.emit(l.ledger, "DisputeStageChanged");
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.None);

      await l.timeTo(first.dueDay + 20, 10);
      [days] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
      expect(days).to.equal(20n);
      const tx = await keeper.getFunction("escalate")(loanId);
      const receipt = (await tx.wait())!;
      const changes = await eventsOf(receipt, l.ledger, "DisputeStageChanged");
      expect(changes.map((e) => [Number(e.args.previousStage), Number(e.args.newStage)])).to.deep.equal([
        [DisputeStage.None, DisputeStage.Reminder],
        [DisputeStage.Reminder, DisputeStage.Mediation],
        [DisputeStage.Mediation, DisputeStage.Arbitration],
      ]);
      expect(changes.every((e) => e.args.loanId === loanId)).to.equal(true);

      const flows = l.flows.get(loanId)!;
      expect(flows.map((f) => f.kind)).to.deep.equal(["disbursement", "disbursement", "repayment"]);
      // the evidence set handed to the court: contract leaf, consent leaf, then every voucher in order
      const chain = evidenceChainOf(terms, flows);
      expect(await l.ledger.getFunction("evidenceChain")(loanId)).to.equal(chain);
      expect(
        await l.ledger.getFunction("evidenceChainStart")(terms.contractLeaf, terms.consentLeaf),
      ).to.equal(evidenceChainOf(terms, []));
      // the case id derives from the time arbitration was reached (not an ordinal)
      const triggeredAt = (await l.ethers.provider.getBlock(receipt.blockNumber))!.timestamp;
      const caseId = caseIdOf(loanId, triggeredAt);
      expect(await l.disputes.getFunction("caseIdOf")(loanId, triggeredAt)).to.equal(caseId);
      expect(caseId).not.to.equal(caseIdOf(loanId, 0));
      const triggered = await eventsOf(receipt, l.disputes, "ArbitrationTriggered");
      expect(triggered.map((e) => [...e.args])).to.deep.equal([[caseId, loanId, chain]]);
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Arbitration);
      expect((await l.ledger.getFunction("loan")(loanId)).stageChangedAt).to.equal(BigInt(triggeredAt));
      let kase = await l.disputes.getFunction("caseOf")(loanId);
      expect([
        kase.caseId,
        kase.court,
        kase.triggeredAt,
        kase.acceptedAt,
        kase.closedAt,
        kase.ruling,
      ]).to.deep.equal([caseId, 0n, BigInt(triggeredAt), 0n, 0n, ZeroHash]);
      // escalating again changes nothing
      await expect(keeper.getFunction("escalate")(loanId)).not.to.emit(l.ledger, "DisputeStageChanged");

      // nobody can accept before the union assigns a court; only the union assigns, only a court
      await expect(l.disputesAs(COURT).getFunction("acceptCase")(loanId))
        .to.be.revertedWithCustomError(l.disputes, "DisputeNotAssignedCourt")
        .withArgs(loanId, l.signers.courtOps.address, 0);
      await expect(l.disputesAs(BRANCH_A).getFunction("assignCourt")(loanId, COURT))
        .to.be.revertedWithCustomError(l.disputes, "DisputeNotUnion")
        .withArgs(l.signers.branchAOps.address);
      await expect(l.disputesAs(UNION).getFunction("assignCourt")(loanId, PLATFORM))
        .to.be.revertedWithCustomError(l.disputes, "DisputeNotCourt")
        .withArgs(PLATFORM);
      await expect(l.disputesAs(UNION).getFunction("assignCourt")(loanId, COURT))
        .to.emit(l.disputes, "CourtAssigned")
        .withArgs(caseId, COURT);

      for (const [who, signer] of [
        ["branch A", l.signers.branchAOps],
        ["platform", l.signers.platformOps],
        ["union", l.signers.unionOps],
        ["outsider", l.signers.outsider],
      ] as const) {
        await expect(l.disputesAs(signer).getFunction("acceptCase")(loanId), who)
          .to.be.revertedWithCustomError(l.disputes, "DisputeNotAssignedCourt")
          .withArgs(loanId, signer.address, COURT);
      }
      await expect(
        l.disputesAs(COURT).getFunction("recordRuling")(loanId, keccak256(toUtf8Bytes("too early"))),
      )
        .to.be.revertedWithCustomError(l.disputes, "DisputeWrongStage")
        .withArgs(loanId, DisputeStage.Arbitration);

      const court = l.disputesAs(COURT);
      const accept = await court.getFunction("acceptCase")(loanId);
      await expect(accept).to.emit(l.disputes, "CaseAccepted").withArgs(caseId, COURT);
      await expect(accept)
        .to.emit(l.ledger, "DisputeStageChanged")
        .withArgs(loanId, DisputeStage.Arbitration, DisputeStage.Accepted);
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Accepted);

      // after acceptance, paying what is late no longer ends the case
      const [penalty] = (await l.ledger.getFunction("amountOwed")(loanId)) as [bigint, bigint, bigint];
      const progress = await l.ledger.getFunction("progress")(loanId);
      const late =
        penalty +
        first.interest +
        first.principal -
        BigInt(progress.currentInterestPaid) -
        BigInt(progress.currentPrincipalPaid);
      const cure = await l.repay(loanId, late);
      expect(await eventsOf(cure.receipt, l.ledger, "DisputeStageChanged")).to.have.length(0);
      expect(Number((await l.ledger.getFunction("progress")(loanId)).nextInstallment)).to.equal(1);
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Accepted);

      await expect(court.getFunction("recordRuling")(loanId, ZeroHash)).to.be.revertedWithCustomError(
        l.disputes,
        "DisputeMissingRuling",
      );
      const ruling = keccak256(toUtf8Bytes("ruling document digest, case (2026) 浙0192 民初 1 号"));
      const ruled = await court.getFunction("recordRuling")(loanId, ruling);
      await expect(ruled).to.emit(l.disputes, "RulingRecorded").withArgs(caseId, COURT, ruling);
      await expect(ruled)
        .to.emit(l.ledger, "DisputeStageChanged")
        .withArgs(loanId, DisputeStage.Accepted, DisputeStage.Ruled);
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Ruled);

      const closed = await court.getFunction("closeCase")(loanId);
      await expect(closed).to.emit(l.disputes, "CaseClosed").withArgs(caseId, COURT);
      await expect(closed)
        .to.emit(l.ledger, "DisputeStageChanged")
        .withArgs(loanId, DisputeStage.Ruled, DisputeStage.Closed);
      [, , stage] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
      expect(stage).to.equal(BigInt(DisputeStage.Closed));
      kase = await l.disputes.getFunction("caseOf")(loanId);
      expect(kase.court).to.equal(BigInt(COURT));
      expect(kase.ruling).to.equal(ruling);
      expect(kase.acceptedAt > 0n && kase.closedAt >= kase.acceptedAt).to.equal(true);
      await expect(court.getFunction("closeCase")(loanId))
        .to.be.revertedWithCustomError(l.disputes, "DisputeWrongStage")
        .withArgs(loanId, DisputeStage.Closed);
    });

    it("repaying the late amount in full before acceptance ends the escalation", async function () {
      const l = await fresh();
      const { loanId, first } = await overdueLoan(l, 1);
      await l.timeTo(first.dueDay + 20, 10);
      await (await l.disputesAs(BRANCH_B).getFunction("escalate")(loanId)).wait(); // any active member's keeper
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Arbitration);
      await (await l.disputesAs(UNION).getFunction("assignCourt")(loanId, COURT)).wait();

      // penalty: min(12%, 24% − 18%) = 6% a year on the late principal, 20 days
      const [penalty] = (await l.ledger.getFunction("amountOwed")(loanId)) as [bigint, bigint, bigint];
      expect(penalty).to.equal((first.principal * 600n * 20n) / 3_650_000n);
      const late = penalty! + first.interest + first.principal;

      // one fen short: still late, still in arbitration
      const short = await l.repay(loanId, late - 1n);
      expect(await eventsOf(short.receipt, l.ledger, "DisputeStageChanged")).to.have.length(0);
      expect(await stageOf(l, loanId)).to.equal(DisputeStage.Arbitration);
      // the last fen cures it
      const cure = await l.repay(loanId, 1n);
      const changes = await eventsOf(cure.receipt, l.ledger, "DisputeStageChanged");
      expect(changes.map((e) => [Number(e.args.previousStage), Number(e.args.newStage)])).to.deep.equal([
        [DisputeStage.Arbitration, DisputeStage.None],
      ]);
      const [days, state, stage] = (await l.ledger.getFunction("overdue")(loanId)) as bigint[];
      expect([days, state, stage]).to.deep.equal([0n, BigInt(LoanState.Active), BigInt(DisputeStage.None)]);
      await expect(l.disputesAs(COURT).getFunction("acceptCase")(loanId))
        .to.be.revertedWithCustomError(l.disputes, "DisputeWrongStage")
        .withArgs(loanId, DisputeStage.None);
      await expect(l.disputesAs(UNION).getFunction("escalate")(loanId)).not.to.emit(
        l.ledger,
        "DisputeStageChanged",
      );
    });
  });

  describe("registration rules, each refused with its values", function () {
    let l: Lending;
    beforeEach(async function () {
      l = await fresh();
      await l.timeTo(l.startDay, 9);
    });

    async function refused(
      terms: ReturnType<typeof joint>,
      error: string,
      args: unknown[],
      as: number = terms.branch,
    ) {
      const before = await books(l);
      await expect(l.ledgerAs(as).getFunction("registerLoan")(terms, await l.agreementOf(terms)))
        .to.be.revertedWithCustomError(l.ledger, error)
        .withArgs(...args);
      expect(await books(l), `${error} changed nothing`).to.deep.equal(before);
    }

    async function setLimits(branch: number, changes: Partial<typeof DEFAULT_LIMITS>) {
      await l.govern(l.ledger, "setBranchLimits", [branch, { ...DEFAULT_LIMITS, ...changes }]);
    }

    it("LedgerRateAboveCap, LedgerPlatformShareBelowFloor, LedgerRegionMismatch", async function () {
      await refused(joint(l, { aprBps: 2401 }), "LedgerRateAboveCap", [2401, DEFAULT_PARAMS.aprCapBps]);
      await refused(joint(l, { platformShareBps: 2999 }), "LedgerPlatformShareBelowFloor", [2999, 3000]);
      await refused({ ...joint(l), borrowerRegion: REGION_B }, "LedgerRegionMismatch", [REGION_B, REGION_A]);
      // the boundaries themselves are accepted
      await l.register(joint(l, { aprBps: 2400, platformShareBps: 3000 }));
    });

    it("LedgerPrincipalOutOfRange below and above", async function () {
      await refused(joint(l, { principalFen: 299_999n }), "LedgerPrincipalOutOfRange", [
        299_999n,
        300_000n,
        20_000_000n,
      ]);
      await refused(joint(l, { principalFen: 20_000_001n }), "LedgerPrincipalOutOfRange", [
        20_000_001n,
        300_000n,
        20_000_000n,
      ]);
      await l.register(joint(l, { principalFen: 300_000n }));
    });

    it("LedgerTermOutOfRange below 7 days and above 1,096 days", async function () {
      const short = joint(l, { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 7 });
      short.schedule[0]!.dueDay -= 1;
      await refused(short, "LedgerTermOutOfRange", [6, 7, 1096]);
      const long = joint(l, { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 1096 });
      long.schedule[0]!.dueDay += 1;
      await refused(long, "LedgerTermOutOfRange", [1097, 7, 1096]);
      await l.register(joint(l, { method: RepaymentMethod.Bullet, termMonths: undefined, termDays: 7 }));
      await l.register(
        joint(l, {
          method: RepaymentMethod.Bullet,
          termMonths: undefined,
          termDays: 1096,
          borrower: BORROWERS[1]!,
        }),
      );
    });

    it("LedgerAboveSingleLoanMax after governance lowers the limit", async function () {
      await setLimits(BRANCH_A, { singleLoanMax: 999_999n });
      await refused(joint(l), "LedgerAboveSingleLoanMax", [1_000_000n, 999_999n]);
      await l.register(joint(l, { principalFen: 999_999n }));
      await l.register(joint(l, { principalFen: 1_000_000n, branch: BRANCH_B, borrower: BORROWERS[2]! })); // branch B keeps its limit
    });

    it("LedgerBranchOutstandingExceeded counts what the branch already has outstanding", async function () {
      await setLimits(BRANCH_A, { outstandingLimit: 1_500_000n });
      await l.register(joint(l));
      await refused(joint(l, { borrower: BORROWERS[1]! }), "LedgerBranchOutstandingExceeded", [
        BRANCH_A,
        2_000_000n,
        1_500_000n,
      ]);
      await l.register(joint(l, { principalFen: 500_000n, borrower: BORROWERS[1]! })); // exactly at the limit
    });

    it("LedgerCoFundingExceeded: the branch's part with one platform ≤ 25% of net tier-1 capital", async function () {
      await setLimits(BRANCH_A, { netTier1Capital: 4_000_000n }); // 25% = 1,000,000 fen
      await l.register(joint(l)); // branch part 700,000
      await refused(joint(l, { borrower: BORROWERS[1]! }), "LedgerCoFundingExceeded", [
        BRANCH_A,
        PLATFORM,
        1_400_000n,
        1_000_000n,
      ]);
      // 60/40 of 750,000 adds 450,000 of the branch's money: too much; 50/50 of 600,000 adds 300,000: exactly the limit
      await refused(
        joint(l, { principalFen: 750_000n, platformShareBps: 4000, borrower: BORROWERS[1]! }),
        "LedgerCoFundingExceeded",
        [BRANCH_A, PLATFORM, 1_150_000n, 1_000_000n],
      );
      await l.register(joint(l, { principalFen: 600_000n, platformShareBps: 5000, borrower: BORROWERS[1]! }));
      expect(await l.ledger.getFunction("coFundedOutstanding")(BRANCH_A, PLATFORM)).to.equal(1_000_000n);
    });

    it("LedgerBorrowerOutstandingExceeded: one borrower key across two branches (multi-lending check)", async function () {
      await l.register(joint(l, { principalFen: 20_000_000n, termMonths: 12 }));
      const atB = joint(l, { principalFen: 10_000_001n, termMonths: 12, branch: BRANCH_B });
      expect(atB.borrowerKey).to.equal(borrowerKeyOf(BORROWER.idNumber));
      expect(atB.borrowerRegion).to.equal(REGION_B);
      await refused(atB, "LedgerBorrowerOutstandingExceeded", [atB.borrowerKey, 30_000_001n, 30_000_000n]);
      expect((await l.ledger.getFunction("branchBook")(BRANCH_B)).outstanding).to.equal(0n);
      expect(await l.ledger.getFunction("borrowerOutstanding")(atB.borrowerKey)).to.equal(20_000_000n);
      await l.register(joint(l, { principalFen: 10_000_000n, termMonths: 12, branch: BRANCH_B }));
      expect(await l.ledger.getFunction("borrowerOutstanding")(atB.borrowerKey)).to.equal(30_000_000n);
    });

    it("LedgerDuplicateLoan, LedgerScheduleSumMismatch, LedgerBadFunders", async function () {
      const terms = joint(l);
      const { loanId } = await l.register(terms);
      await refused(terms, "LedgerDuplicateLoan", [loanId]);

      const short = joint(l);
      short.schedule.at(-1)!.principal -= 1n;
      await refused(short, "LedgerScheduleSumMismatch", [999_999n, 1_000_000n]);

      const over = joint(l);
      over.funders[1]!.shareBps = 3001;
      await refused(over, "LedgerBadFunders", [2, 10_001]);
      const wrongBranch = joint(l);
      wrongBranch.funders[0]!.memberId = BRANCH_B;
      await refused(wrongBranch, "LedgerBadFunders", [2, 10_000]);
      const three = joint(l);
      three.funders = [
        { memberId: BRANCH_A, shareBps: 5000 },
        { memberId: PLATFORM, shareBps: 3000 },
        { memberId: BRANCH_B, shareBps: 2000 },
      ];
      await refused(three, "LedgerBadFunders", [3, 10_000]);
    });

    it("LedgerNotBranchOperations: only the loan's branch registers (the union only under the branch's mandate)", async function () {
      const terms = joint(l);
      await refused(terms, "LedgerNotBranchOperations", [l.signers.platformOps.address, BRANCH_A], PLATFORM);
      await refused(terms, "LedgerNotBranchOperations", [l.signers.branchBOps.address, BRANCH_A], BRANCH_B);
      await refused(terms, "LedgerNotBranchOperations", [l.signers.courtOps.address, BRANCH_A], COURT);
      const before = await books(l);
      await expect(
        l.ledgerAs(l.signers.outsider).getFunction("registerLoan")(terms, await l.agreementOf(terms)),
      )
        .to.be.revertedWithCustomError(l.ledger, "LedgerNotBranchOperations")
        .withArgs(l.signers.outsider.address, BRANCH_A);
      expect(await books(l)).to.deep.equal(before);
      await refused(terms, "LedgerNotBranchOperations", [l.signers.unionOps.address, BRANCH_A], UNION);
      const id = await l.ledger.getFunction("loanIdOf")(terms.originator, terms.applicationSerial);
      const expiry = (await l.ethers.provider.getBlock("latest"))!.timestamp + 3600;
      await (
        await l.ledgerAs(BRANCH_A).getFunction("grantMandate")(id, l.signers.unionOps.address, expiry)
      ).wait();
      const { loanId } = await l.register(terms, UNION); // under the branch's mandate for this loan
      expect(Number((await l.ledger.getFunction("loan")(loanId)).state)).to.equal(LoanState.Registered);
    });
  });

  describe("fund-flow rules", function () {
    let l: Lending;
    beforeEach(async function () {
      l = await fresh();
      await l.timeTo(l.startDay, 9);
    });

    it("LedgerDisbursementMismatch: an up-front interest deduction (砍头息) is refused", async function () {
      const terms = joint(l);
      const { loanId } = await l.register(terms);
      const [branchPart, platformPart] = splitByShares(terms.principal, [7000, 3000]) as [bigint, bigint];
      const deduction = splitByShares(terms.schedule[0]!.interest, [7000, 3000])[0]!; // the branch's first month's interest
      expect(deduction > 0n).to.equal(true);
      const before = await books(l);
      const serial = l.serial("DIS");
      await expect(l.disburse(BRANCH_A, loanId, branchPart - deduction, ACCOUNT_OF[BRANCH_A]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerDisbursementMismatch")
        .withArgs(loanId, BRANCH_A, branchPart - deduction, branchPart);
      await expect(l.disburse(PLATFORM, loanId, platformPart + 1n, ACCOUNT_OF[PLATFORM]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerDisbursementMismatch")
        .withArgs(loanId, PLATFORM, platformPart + 1n, platformPart);
      expect(await books(l)).to.deep.equal(before);
      expect(await l.ledger.getFunction("serialUsed")(serial)).to.equal(false);
      const loan = await l.ledger.getFunction("loan")(loanId);
      expect([Number(loan.state), loan.disbursedMask]).to.deep.equal([LoanState.Registered, 0n]);
      expect(await l.ledger.getFunction("evidenceChain")(loanId)).to.equal(evidenceChainOf(terms, []));
    });

    it("LedgerAccountNotWhitelisted: a branch cannot disburse its share from (or to) the platform's account", async function () {
      const { loanId } = await l.register(joint(l));
      const serial = l.serial("DIS");
      await expect(l.disburse(BRANCH_A, loanId, 700_000n, ACCOUNT_OF[PLATFORM]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerAccountNotWhitelisted")
        .withArgs(BRANCH_A, ACCOUNT_OF[PLATFORM]);
      await expect(l.disburse(PLATFORM, loanId, 300_000n, ACCOUNT_OF[BRANCH_A]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerAccountNotWhitelisted")
        .withArgs(PLATFORM, ACCOUNT_OF[BRANCH_A]);
      expect(await l.ledger.getFunction("serialUsed")(serial)).to.equal(false);
    });

    it("LedgerAccountNotWhitelisted: another branch's whitelisted account does not count", async function () {
      const { loanId } = await l.register(joint(l));
      const serial = l.serial("DIS");
      expect(await l.ledger.getFunction("isWhitelisted")(BRANCH_B, ACCOUNT_OF[BRANCH_B])).to.equal(true);
      await expect(l.disburse(BRANCH_A, loanId, 700_000n, ACCOUNT_OF[BRANCH_B]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerAccountNotWhitelisted")
        .withArgs(BRANCH_A, ACCOUNT_OF[BRANCH_B]);
      // removing the branch's own account through governance refuses it too
      await l.govern(l.ledger, "setAccountWhitelisted", [BRANCH_A, ACCOUNT_OF[BRANCH_A], false]);
      await expect(l.disburse(BRANCH_A, loanId, 700_000n, ACCOUNT_OF[BRANCH_A]!, serial))
        .to.be.revertedWithCustomError(l.ledger, "LedgerAccountNotWhitelisted")
        .withArgs(BRANCH_A, ACCOUNT_OF[BRANCH_A]);
      expect(await l.ledger.getFunction("serialUsed")(serial)).to.equal(false);
    });

    it("LedgerDuplicateSerial: a serial is unique across loans and kinds of flow", async function () {
      const first = await l.register(joint(l));
      const second = await l.register(joint(l, { borrower: BORROWERS[1]! }));
      const serial = l.serial("DIS");
      await (await l.disburse(BRANCH_A, first.loanId, 700_000n, ACCOUNT_OF[BRANCH_A]!, serial)).wait();
      expect(await l.ledger.getFunction("serialUsed")(serial)).to.equal(true);
      const before = await books(l);
      await expect(
        l.ledgerAs(BRANCH_A).getFunction("disburse")(
          second.loanId,
          700_000n,
          ACCOUNT_OF[BRANCH_A],
          serial,
          voucherOf(`${serial}/2`),
        ),
      )
        .to.be.revertedWithCustomError(l.ledger, "LedgerDuplicateSerial")
        .withArgs(serial);
      expect(await books(l)).to.deep.equal(before);
      expect((await l.ledger.getFunction("loan")(second.loanId)).disbursedMask).to.equal(0n);
      // and a repayment cannot reuse a disbursement's serial
      await l.disburseAll(second.loanId);
      await expect(
        l.ledgerAs(BRANCH_A).getFunction("repay")(second.loanId, 100n, serial, voucherOf(`${serial}/3`)),
      )
        .to.be.revertedWithCustomError(l.ledger, "LedgerDuplicateSerial")
        .withArgs(serial);
    });

    it("LedgerDailyLimitExceeded: the daily limit resets at Beijing midnight, not UTC midnight", async function () {
      await l.govern(l.ledger, "setBranchLimits", [
        BRANCH_A,
        { ...DEFAULT_LIMITS, dailyDisbursementLimit: 1_000_000n },
      ]);
      const day = Number(await l.ledger.getFunction("today")()) + 1;
      const a = await l.register(joint(l, { platformShareBps: 0, startDate: dayToDate(day) }));
      const b = await l.register(
        joint(l, { platformShareBps: 0, borrower: BORROWERS[1]!, startDate: dayToDate(day) }),
      );
      // a third loan starting the next day: disbursement must happen on a loan's start day
      const c = await l.register(
        joint(l, { platformShareBps: 0, borrower: BORROWERS[2]!, startDate: dayToDate(day + 1) }),
      );
      const utcDate = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

      const t0 = await l.timeTo(day, 7, 0); // 07:00 Beijing = 23:00 UTC the day before
      expect(utcDate(t0)).to.equal(dayToDate(day - 1));
      await l.disburseAll(a.loanId);
      let book = await l.ledger.getFunction("branchBook")(BRANCH_A);
      expect([book.disbursedToday, Number(book.day)]).to.deep.equal([1_000_000n, day]);

      const serial = l.serial("DIS");
      const tryB = () => l.disburse(BRANCH_A, b.loanId, 1_000_000n, ACCOUNT_OF[BRANCH_A]!, serial);
      const t1 = await l.timeTo(day, 8, 30); // 00:30 UTC: a new UTC day, the same Beijing day
      expect(utcDate(t1)).to.equal(dayToDate(day));
      await expect(tryB())
        .to.be.revertedWithCustomError(l.ledger, "LedgerDailyLimitExceeded")
        .withArgs(BRANCH_A, day, 2_000_000n, 1_000_000n);
      await l.timeTo(day, 23, 30);
      await expect(tryB())
        .to.be.revertedWithCustomError(l.ledger, "LedgerDailyLimitExceeded")
        .withArgs(BRANCH_A, day, 2_000_000n, 1_000_000n);
      book = await l.ledger.getFunction("branchBook")(BRANCH_A);
      expect([book.disbursedToday, Number(book.day)]).to.deep.equal([1_000_000n, day]);
      expect(Number((await l.ledger.getFunction("loan")(b.loanId)).state)).to.equal(LoanState.Registered);

      const t2 = await l.timeTo(day + 1, 0, 5); // 16:05 UTC: still the same UTC day as t1, a new Beijing day
      expect(utcDate(t2)).to.equal(utcDate(t1));
      await l.disburseAll(c.loanId);
      book = await l.ledger.getFunction("branchBook")(BRANCH_A);
      expect([book.disbursedToday, Number(book.day)]).to.deep.equal([1_000_000n, day + 1]);
      expect(Number((await l.ledger.getFunction("loan")(c.loanId)).state)).to.equal(LoanState.Active);
      // b missed its start day: it can no longer be disbursed, only cancelled, which frees its quota
      await expect(tryB())
        .to.be.revertedWithCustomError(l.ledger, "LedgerDisbursementDateMismatch")
        .withArgs(b.loanId, day + 1, day);
      const outstanding = (await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding as bigint;
      await (await l.ledgerAs(BRANCH_A).getFunction("cancelLoan")(b.loanId, 1)).wait();
      expect((await l.ledger.getFunction("branchBook")(BRANCH_A)).outstanding).to.equal(
        outstanding - 1_000_000n,
      );
    });

    it("LedgerOverpayment at owed + 1 fen; the rejected repayment changes nothing", async function () {
      const terms = joint(l, { principalFen: 600_000n, termMonths: 3, platformShareBps: 0 });
      const { loanId } = await l.register(terms);
      await l.disburseAll(loanId);
      const [penalty, interest, principal] = (await l.ledger.getFunction("amountOwed")(loanId)) as [
        bigint,
        bigint,
        bigint,
      ];
      expect([penalty, interest, principal]).to.deep.equal([
        0n,
        terms.schedule.reduce((a, i) => a + i.interest, 0n),
        600_000n,
      ]);
      const owed = penalty + interest + principal;
      const before = await books(l);
      const progressBefore = [...(await l.ledger.getFunction("progress")(loanId))];
      const chainBefore = await l.ledger.getFunction("evidenceChain")(loanId);
      const serial = l.serial("REP");
      await expect(l.ledgerAs(BRANCH_A).getFunction("repay")(loanId, owed + 1n, serial, voucherOf(serial)))
        .to.be.revertedWithCustomError(l.ledger, "LedgerOverpayment")
        .withArgs(loanId, owed + 1n, owed);
      expect(await books(l)).to.deep.equal(before);
      expect([...(await l.ledger.getFunction("progress")(loanId))]).to.deep.equal(progressBefore);
      expect(await l.ledger.getFunction("evidenceChain")(loanId)).to.equal(chainBefore);
      expect(await l.ledger.getFunction("serialUsed")(serial)).to.equal(false);
      await expect(l.ledgerAs(BRANCH_A).getFunction("repay")(loanId, 0n, serial, voucherOf(serial)))
        .to.be.revertedWithCustomError(l.ledger, "LedgerZeroRepayment")
        .withArgs(loanId);

      // every installment's interest paid on the day of disbursement is far above the all-in cap:
      // refused (the borrower settles early, with interest to the day, instead)
      const ahead = l.serial("REP");
      await expect(
        l.ledgerAs(BRANCH_A).getFunction("repay")(loanId, owed, ahead, voucherOf(ahead)),
      ).to.be.revertedWithCustomError(l.ledger, "LedgerPaymentAheadAboveCap");
      const [sp, si, sq] = (await l.ledger.getFunction("settlementOwed")(loanId)) as [bigint, bigint, bigint];
      const settled = l.serial("SET");
      const receipt = await (
        await l.ledgerAs(BRANCH_A).getFunction("settle")(loanId, sp + si + sq, settled, voucherOf(settled))
      ).wait();
      expect(await eventsOf(receipt!, l.ledger, "LoanSettled")).to.have.length(1);
      await expect(l.ledgerAs(BRANCH_A).getFunction("repay")(loanId, 1n, l.serial("REP"), voucherOf("late")))
        .to.be.revertedWithCustomError(l.ledger, "LedgerWrongState")
        .withArgs(loanId, LoanState.Settled);
    });

    it("LedgerNotBranchOperations: only the loan's branch (or its mandated agent) records repayments", async function () {
      const { loanId } = await l.register(joint(l));
      await l.disburseAll(loanId);
      const before = await books(l);
      for (const [signer, id] of [
        [l.signers.branchBOps, BRANCH_B],
        [l.signers.platformOps, PLATFORM],
        [l.signers.courtOps, COURT],
        [l.signers.unionOps, UNION],
        [l.signers.outsider, 0],
      ] as const) {
        const serial = l.serial("REP");
        await expect(
          l.ledgerAs(signer).getFunction("repay")(loanId, 1000n, serial, voucherOf(serial)),
          `member ${id}`,
        )
          .to.be.revertedWithCustomError(l.ledger, "LedgerNotBranchOperations")
          .withArgs(signer.address, BRANCH_A);
      }
      expect(await books(l)).to.deep.equal(before);
      const expiry = (await l.ethers.provider.getBlock("latest"))!.timestamp + 3600;
      await (
        await l.ledgerAs(BRANCH_A).getFunction("grantMandate")(loanId, l.signers.unionOps.address, expiry)
      ).wait();
      const { receipt } = await l.repay(loanId, 1000n, UNION); // on the branch's behalf, under its mandate
      expect(await eventsOf(receipt, l.ledger, "RepaymentReceived")).to.have.length(1);
    });
  });

  describe("privacy: no personal data on chain", function () {
    const utf8Hex = (s: string) => hexlify(toUtf8Bytes(s)).slice(2).toLowerCase();
    const needles = BORROWERS.flatMap((b) => [
      { what: `ID number of ${b.name}`, hex: utf8Hex(b.idNumber) },
      ...(b.idNumber.toLowerCase() === b.idNumber
        ? []
        : [{ what: `ID number of ${b.name} (lower case)`, hex: utf8Hex(b.idNumber.toLowerCase()) }]),
      {
        what: `ID number digits of ${b.name} as an integer`,
        hex: BigInt(b.idNumber.slice(0, 17)).toString(16),
      },
      { what: `name ${b.name}`, hex: utf8Hex(b.name) },
      { what: `bank account of ${b.name}`, hex: utf8Hex(b.accountNumber) },
    ]);
    const findings = (hex: string) =>
      needles.filter((n) => hex.toLowerCase().includes(n.hex)).map((n) => n.what);

    it("finds no borrower ID number, name or account in any log or calldata of any transaction", async function () {
      // a flow of its own, so the scan is meaningful even when run alone
      const l = await fresh();
      await l.timeTo(l.startDay, 9);
      const { loanId } = await l.register(joint(l, { borrower: BORROWERS[3]!, branch: BRANCH_B }));
      await l.disburseAll(loanId);
      await l.timeTo(l.startDay + 40, 10);
      await (await l.disputesAs(UNION).getFunction("escalate")(loanId)).wait();
      await l.repay(loanId, 5000n);

      // the scanner does see what it looks for
      const planted = l.ledger.interface.encodeFunctionData("repay", [
        ZeroHash,
        1n,
        hexlify(toUtf8Bytes(BORROWER.idNumber)).padEnd(66, "0"),
        ZeroHash,
      ]);
      expect(findings(planted)).to.include(`ID number of ${BORROWER.name}`);

      let transactions = 0;
      let logs = 0;
      let borrowerKeysSeen = 0;
      const keys = BORROWERS.map((b) => borrowerKeyOf(b.idNumber).slice(2));
      const problems: string[] = [];
      for (const [n, chain] of deployed.entries()) {
        const provider = chain.ethers.provider;
        const latest = await provider.getBlockNumber();
        for (let number = 0; number <= latest; number++) {
          const block = await provider.getBlock(number, true);
          for (const tx of block!.prefetchedTransactions) {
            transactions++;
            for (const what of findings(tx.data)) problems.push(`chain ${n} tx ${tx.hash} calldata: ${what}`);
            const receipt = await provider.getTransactionReceipt(tx.hash);
            for (const log of receipt!.logs) {
              logs++;
              const hex = [...log.topics, log.data].join("");
              for (const what of findings(hex))
                problems.push(`chain ${n} tx ${tx.hash} log ${log.index}: ${what}`);
              if (keys.some((k) => hex.includes(k))) borrowerKeysSeen++;
            }
          }
        }
      }
      expect(deployed.length).to.be.greaterThan(0);
      expect(transactions).to.be.at.least(23 * deployed.length); // at least the deployment and governance of each chain
      expect(logs).to.be.greaterThan(10 * deployed.length);
      // what does reach the chain is the HMAC key (LoanRegistered), proving the logs were read
      expect(borrowerKeysSeen).to.be.greaterThan(0);
      expect(problems).to.deep.equal([]);
    });
  });
});
