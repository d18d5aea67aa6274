// The institution node's ledger indexer against a real chain (Anvil): real joint and assisted
// loans, fund flows, an overdue escalation to a court and evidence lifecycle events, each checked
// field by field against the contracts' own views; paging and a second node give the identical
// model; a restart fetches only new blocks; a chain that lost blocks, or another chain, is
// detected and the model rebuilt to what the chain holds now.
import { expect } from "chai";
import type { Contract, Log, TransactionReceipt } from "ethers";
import { ZeroHash, encodeBytes32String, keccak256, toUtf8Bytes } from "ethers";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployBatchExecutor, delegationAuthorization, encodeBatch } from "../../../common/chain/batch.ts";
import { EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import { signLoanAgreement } from "../../../common/lending/agreement.ts";
import { principalCredits } from "../../../common/lending/allocation.ts";
import { dayToDate } from "../../../common/lending/dates.ts";
import { caseIdOf, loanIdOf } from "../../../common/lending/ids.ts";
import { RepaymentMethod, generateSchedule } from "../../../common/lending/schedule.ts";
import { openIndexerDb } from "../../../nodes/src/indexer/db.ts";
import { LedgerIndexer, type IndexerLog } from "../../../nodes/src/indexer/indexer.ts";
import {
  DISPUTE_STAGES,
  EVIDENCE_STATES,
  LIFECYCLE_ACTIONS,
  LOAN_STATES,
  REPAYMENT_METHODS,
  type FundFlow,
} from "../../../nodes/src/indexer/model.ts";
import {
  ACCOUNT_OF,
  BORROWERS,
  borrowerKeyOf,
  termsFor,
  voucherOf,
  type LoanTerms,
} from "../../contracts/lending.fixture.ts";
import {
  BRANCH_A,
  BRANCH_B,
  COURT,
  CountingProvider,
  PLATFORM,
  UNION,
  evidenceRecord,
  startLendingChain,
  type LendingChain,
} from "./lending-chain.ts";

type Logged = { level: string; obj: object; msg: string };
function memoryLog(): IndexerLog & { entries: Logged[] } {
  const entries: Logged[] = [];
  const at = (level: string) => (obj: object, msg: string) => void entries.push({ level, obj, msg });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("nodes/indexer: LedgerIndexer on a real chain", function () {
  this.timeout(180_000);
  let c: LendingChain;
  const providers: CountingProvider[] = [];
  const closers: Array<() => Promise<void>> = [];

  // the scenario's loans: joint 70/30 (J), assisted (S, goes to arbitration), cancelled (X)
  let J: string;
  let S: string;
  let X: string;
  let termsJ: LoanTerms;
  let termsS: LoanTerms;
  let termsX: LoanTerms;
  let startDay: number;
  let dueDays: number[];
  let leaves: string[];
  const ruling = keccak256(toUtf8Bytes("ruling document of case S"));
  /** Every fund-flow transaction the test sent, by serial. */
  const sent = new Map<string, TransactionReceipt>();
  /** Interest and penalty received per loan, from the test's own receipts. */
  const income = new Map<string, { interest: bigint; penalty: bigint }>();

  function provider(): CountingProvider {
    const p = new CountingProvider(c.anvil.url);
    providers.push(p);
    return p;
  }

  async function indexer(
    options: {
      pageBlocks?: number;
      confirmations?: number;
      dir?: string;
      provider?: CountingProvider;
      log?: IndexerLog;
    } = {},
  ) {
    const db = await openIndexerDb(options.dir ?? null);
    closers.push(() => db.close());
    const p = options.provider ?? provider();
    const idx = new LedgerIndexer({
      provider: p,
      addresses: c.addresses,
      fromBlock: c.fromBlock,
      db,
      ...(options.pageBlocks === undefined ? {} : { pageBlocks: options.pageBlocks }),
      ...(options.confirmations === undefined ? {} : { confirmations: options.confirmations }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    return { idx, db, provider: p };
  }

  /** The digest of a fresh indexer over the chain as it is now. */
  async function freshDigest(): Promise<string> {
    const { idx } = await indexer();
    await idx.syncOnce();
    return idx.model.digest();
  }

  function parse(receipt: TransactionReceipt, contract: Contract, name: string) {
    return (receipt.logs as readonly Log[])
      .map((l) => contract.interface.parseLog({ topics: [...l.topics], data: l.data }))
      .filter((e) => e !== null && e.name === name)
      .map((e) => e!.args);
  }

  /** The test's income totals as they were (after a revert the lost repayments must not count). */
  function restoreIncome(saved: Map<string, { interest: bigint; penalty: bigint }>): void {
    income.clear();
    for (const [k, v] of saved) income.set(k, v);
  }

  async function repay(loanId: string, amount: bigint): Promise<string> {
    const { serial, receipt } = await c.repay(loanId, amount);
    sent.set(serial, receipt);
    const [received] = parse(receipt, c.ledger, "RepaymentReceived");
    const totals = income.get(loanId) ?? { interest: 0n, penalty: 0n };
    income.set(loanId, {
      interest: totals.interest + (received!.interest as bigint),
      penalty: totals.penalty + (received!.penalty as bigint),
    });
    return serial;
  }

  before(async function () {
    c = await startLendingChain();
    startDay = (await c.today()) + 1;
    const startDate = dayToDate(startDay);
    const base = { aprBps: 1800, method: RepaymentMethod.EqualInstallment, startDate };
    const serialJ = c.serial("APP");
    const loanJ = loanIdOf(PLATFORM, serialJ);

    // the joint loan's contract and consent as anchored, registered evidence about it
    const records = [
      evidenceRecord("contract J", EvidenceKind.Contract, BRANCH_A, loanJ),
      evidenceRecord("consent J", EvidenceKind.Consent, BRANCH_A, loanJ),
      evidenceRecord("contract J, amended", EvidenceKind.Contract, BRANCH_A, loanJ),
      evidenceRecord("a note about nothing", EvidenceKind.Document, BRANCH_A, ZeroHash),
    ];
    leaves = await c.anchorEvidence(records, [0, 1, 2, 3]);
    termsJ = {
      ...termsFor({
        ...base,
        serial: serialJ,
        principalFen: 1_000_000n,
        termMonths: 6,
        platformShareBps: 3000,
        branch: BRANCH_A,
      }),
      contractLeaf: leaves[0]!,
      consentLeaf: leaves[1]!,
    };
    termsS = termsFor({
      ...base,
      serial: c.serial("APP"),
      principalFen: 500_000n,
      termMonths: 3,
      platformShareBps: 0,
      branch: BRANCH_A,
    });
    termsX = termsFor({
      ...base,
      serial: c.serial("APP"),
      principalFen: 800_000n,
      termMonths: 12,
      platformShareBps: 3000,
      branch: BRANCH_B,
      borrower: BORROWERS[2]!,
    });
    dueDays = generateSchedule({ ...base, principalFen: 1_000_000n, termMonths: 6 }).map((i) => i.dueDay);

    // start day: register, disburse, cancel one
    await c.timeTo(startDay, 9);
    J = (await c.register(termsJ)).loanId;
    expect(J).to.equal(loanJ);
    S = (await c.register(termsS)).loanId;
    X = (await c.register(termsX)).loanId;
    for (const loanId of [J, S]) {
      for (const r of await c.disburseAll(loanId)) {
        const [e] = parse(r, c.ledger, "FundsDisbursed");
        sent.set(e!.serial as string, r);
      }
    }
    await c.send(c.ledgerAs(BRANCH_B).getFunction("cancelLoan")(X, 7));

    // evidence lifecycle: endorsements, a legal hold placed and released, a supersession, a revocation
    await c.send(c.registryAs(BRANCH_B).getFunction("endorse")(leaves[0]!));
    await c.send(c.registryAs(PLATFORM).getFunction("endorse")(leaves[0]!));
    await c.send(c.registryAs(COURT).getFunction("placeLegalHold")(leaves[0]!, 11));
    await c.send(c.registryAs(COURT).getFunction("releaseLegalHold")(leaves[0]!, 12));
    await c.send(c.registryAs(BRANCH_A).getFunction("supersede")(leaves[0]!, leaves[2]!, 3));
    await c.send(c.registryAs(COURT).getFunction("revoke")(leaves[3]!, 4));

    // J pays its first installment on time; S pays nothing and escalates to arbitration
    await c.timeTo(dueDays[0]!, 10);
    await repay(J, await c.installmentDue(J, 0));
    for (const days of [3, 7, 15]) {
      await c.timeTo(dueDays[0]! + days, 10);
      await c.escalate(S);
    }
    await c.send(c.disputesAs(UNION).getFunction("assignCourt")(S, COURT));
    await c.send(c.disputesAs(COURT).getFunction("acceptCase")(S));
    await c.send(c.disputesAs(COURT).getFunction("recordRuling")(S, ruling));

    // J pays its second installment three days late (with penalty), then part of the third early
    await c.timeTo(dueDays[1]! + 3, 10);
    await repay(J, await c.installmentDue(J, 1));
    await repay(J, 12_345n);
  });

  after(async function () {
    for (const close of closers) await close().catch(() => undefined);
    for (const p of providers) p.destroy();
    await c?.stop();
  });

  /** Every field of the loan in the model against ledger.loan/progress/funders and the test's receipts. */
  async function expectLoanAsOnChain(idx: LedgerIndexer, loanId: string, terms: LoanTerms): Promise<void> {
    const m = await idx.model.loan(loanId);
    expect(m, loanId).to.not.equal(undefined);
    const loan = await c.ledger.getFunction("loan")(loanId);
    const progress = await c.ledger.getFunction("progress")(loanId);
    const funders = (await c.ledger.getFunction("funders")(loanId)) as Array<{
      memberId: bigint;
      shareBps: bigint;
    }>;
    expect(m!.loanId).to.equal(loanId);
    expect(m!.branch).to.equal(Number(loan.branch));
    expect(m!.platform).to.equal(Number(loan.platform));
    expect(m!.borrowerKey).to.equal(loan.borrowerKey);
    expect(m!.principalFen).to.equal(loan.principal);
    expect(m!.aprBps).to.equal(Number(loan.aprBps));
    expect(m!.method).to.equal(REPAYMENT_METHODS[Number(loan.method)]);
    expect(m!.state).to.equal(LOAN_STATES[Number(loan.state)]);
    expect(m!.stage).to.equal(DISPUTE_STAGES[Number(loan.stage)]);
    expect(m!.stageChangedAt ?? 0).to.equal(Number(loan.stageChangedAt));
    expect(m!.startDay).to.equal(Number(loan.startDay));
    expect(m!.funders.map((f) => [f.memberId, f.shareBps])).to.deep.equal(
      funders.map((f) => [Number(f.memberId), Number(f.shareBps)]),
    );
    expect(m!.evidence.contractLeaf).to.equal(terms.contractLeaf);
    expect(m!.evidence.consentLeaf).to.equal(terms.consentLeaf);
    expect(m!.evidence.chain, "the recomputed evidence chain").to.equal(loan.evidenceChain);
    expect(m!.principalRepaidFen).to.equal(progress.principalRepaid);
    // a funder disbursed iff its bit is set; the loan's disbursed total is the sum of theirs
    const mask = Number(loan.disbursedMask);
    m!.funders.forEach((f, i) =>
      expect(f.disbursedFen > 0n, `funder ${f.memberId} disbursed`).to.equal((mask & (1 << i)) !== 0),
    );
    expect(m!.disbursedFen).to.equal(m!.funders.reduce((a, f) => a + f.disbursedFen, 0n));
    expect(m!.funders.reduce((a, f) => a + f.principalRepaidFen, 0n)).to.equal(m!.principalRepaidFen);
    const shares = m!.funders.map((f) => f.shareBps);
    expect(
      m!.funders.map((f) => f.principalRepaidFen),
      "cumulative principal split",
    ).to.deep.equal(principalCredits(0n, m!.principalRepaidFen, shares));
    expect(m!.interestRepaidFen).to.equal(income.get(loanId)?.interest ?? 0n);
    expect(m!.penaltyRepaidFen).to.equal(income.get(loanId)?.penalty ?? 0n);
    expect(m!.funders.reduce((a, f) => a + f.incomeFen, 0n)).to.equal(
      m!.interestRepaidFen + m!.penaltyRepaidFen,
    );
    const block = await c.provider.getBlock(m!.registeredBlock);
    expect(m!.registeredAt).to.equal(block!.timestamp);
  }

  describe("the read model", function () {
    let idx: LedgerIndexer;
    before(async function () {
      ({ idx } = await indexer());
      const result = await idx.syncOnce();
      expect(result.reset).to.equal(null);
      expect(result.skipped).to.equal(0);
      expect(result.interrupted).to.equal(null);
    });

    it("holds every loan field by field as ledger.loan, progress and funders report it", async function () {
      await expectLoanAsOnChain(idx, J, termsJ);
      await expectLoanAsOnChain(idx, S, termsS);
      await expectLoanAsOnChain(idx, X, termsX);
      const j = (await idx.model.loan(J))!;
      expect(j.state).to.equal("Active");
      expect(j.funders.map((f) => [f.memberId, f.shareBps, f.disbursedFen])).to.deep.equal([
        [BRANCH_A, 7000, 700_000n],
        [PLATFORM, 3000, 300_000n],
      ]);
      expect(j.penaltyRepaidFen > 0n, "the late installment paid a penalty").to.equal(true);
      expect(j.lastFlowDay).to.equal(dueDays[1]! + 3);
      expect(j.evidence.vouchers).to.equal(5);
      const x = (await idx.model.loan(X))!;
      expect([x.state, x.cancelReason, x.disbursedFen, x.lastFlowDay]).to.deep.equal([
        "Cancelled",
        7,
        0n,
        null,
      ]);
      expect(await idx.model.loan(loanIdOf(PLATFORM, encodeBytes32String("never registered")))).to.equal(
        undefined,
      );
    });

    it("indexes loans by state, branch and platform", async function () {
      const ids = async (loans: Promise<Array<{ loanId: string }>>) =>
        (await loans).map((l) => l.loanId).sort();
      expect(await ids(idx.model.loansByState("Active"))).to.deep.equal([J, S].sort());
      expect(await ids(idx.model.loansByState("Cancelled"))).to.deep.equal([X]);
      expect(await ids(idx.model.loansByState("Registered"))).to.deep.equal([]);
      expect(await ids(idx.model.loansByBranch(BRANCH_A))).to.deep.equal([J, S].sort());
      expect(await ids(idx.model.loansByBranch(BRANCH_B))).to.deep.equal([X]);
      expect(await ids(idx.model.loansByPlatform(PLATFORM))).to.deep.equal([J, S, X].sort());
      expect(await ids(idx.model.loansByPlatform(BRANCH_A))).to.deep.equal([]);
      expect(await ids(idx.model.loansByBorrower(termsJ.borrowerKey))).to.deep.equal([J, S].sort());
    });

    it("books each fund flow on its Shanghai day with its funder or split, voucher and transaction", async function () {
      const start = await idx.model.flowsByDay(dayToDate(startDay));
      expect(
        start.map((f) => [f.type, f.loanId, f.type === "disbursement" ? f.funder : 0, f.amountFen]),
      ).to.deep.equal([
        ["disbursement", J, BRANCH_A, 700_000n],
        ["disbursement", J, PLATFORM, 300_000n],
        ["disbursement", S, BRANCH_A, 500_000n],
      ]);
      const all: FundFlow[] = [...start];
      for (const day of [dueDays[0]!, dueDays[1]! + 3])
        all.push(...(await idx.model.flowsByDay(dayToDate(day))));
      expect(all.length).to.equal(sent.size);
      for (const flow of all) {
        const receipt = sent.get(flow.serial)!;
        expect(flow.txHash).to.equal(receipt.hash);
        expect(flow.blockNumber).to.equal(receipt.blockNumber);
        expect(flow.voucher).to.equal(voucherOf(flow.serial));
        expect(flow.date).to.equal(dayToDate(flow.day));
        if (flow.type === "disbursement") {
          // each funder's own settlement account
          expect(flow.accountHash).to.equal(ACCOUNT_OF[flow.funder]);
          continue;
        }
        const [received] = parse(receipt, c.ledger, "RepaymentReceived");
        expect([flow.penaltyFen, flow.interestFen, flow.principalFen]).to.deep.equal([
          received!.penalty,
          received!.interest,
          received!.principal,
        ]);
        expect(flow.amountFen).to.equal(flow.penaltyFen + flow.interestFen + flow.principalFen);
        const shared = parse(receipt, c.ledger, "RepaymentShared");
        expect(flow.split).to.deep.equal(
          shared.map((e) => ({ funder: Number(e.funder), principalFen: e.principal, incomeFen: e.income })),
        );
        expect(flow.split.reduce((a, s) => a + s.principalFen + s.incomeFen, 0n)).to.equal(flow.amountFen);
      }
      expect((await idx.model.flowsByLoan(J)).map((f) => f.serial)).to.deep.equal(
        all.filter((f) => f.loanId === J).map((f) => f.serial),
      );
      expect(await idx.model.flowsByDay(dayToDate(startDay + 1))).to.deep.equal([]);
    });

    it("keeps each borrower's exposure equal to the ledger's borrowerOutstanding", async function () {
      for (const borrower of BORROWERS) {
        const key = borrowerKeyOf(borrower.idNumber);
        expect(await idx.model.borrowerExposure(key), borrower.name).to.equal(
          await c.ledger.getFunction("borrowerOutstanding")(key),
        );
      }
      const j = (await idx.model.loan(J))!;
      expect(await idx.model.borrowerExposure(termsJ.borrowerKey)).to.equal(
        1_500_000n - j.principalRepaidFen,
      );
      expect(await idx.model.borrowerExposure(termsX.borrowerKey), "the cancelled loan's borrower").to.equal(
        0n,
      );
    });

    it("follows the overdue escalation stage by stage and holds the case as DisputeResolution.caseOf reports it", async function () {
      expect((await idx.model.stageHistory(S)).map((s) => [s.previous, s.stage])).to.deep.equal([
        ["None", "Reminder"],
        ["Reminder", "Mediation"],
        ["Mediation", "Arbitration"],
        ["Arbitration", "Accepted"],
        ["Accepted", "Ruled"],
      ]);
      const onChain = await c.disputes.getFunction("caseOf")(S);
      const m = (await idx.model.caseOf(S))!;
      expect([
        m.caseId,
        m.court,
        m.triggeredAt,
        m.acceptedAt ?? 0,
        m.closedAt ?? 0,
        m.ruling ?? ZeroHash,
      ]).to.deep.equal([
        onChain.caseId,
        Number(onChain.court),
        Number(onChain.triggeredAt),
        Number(onChain.acceptedAt),
        Number(onChain.closedAt),
        onChain.ruling,
      ]);
      expect(m.caseId).to.equal(caseIdOf(S, m.triggeredAt));
      expect(m.loanId).to.equal(S);
      expect(m.evidenceChain, "the case carries the loan's evidence chain").to.equal(
        await c.ledger.getFunction("evidenceChain")(S),
      );
      expect(m.ruling).to.equal(ruling);
      expect(await idx.model.caseOf(J)).to.equal(undefined);
    });

    it("follows evidence registration, endorsement, legal holds, supersession and revocation as the registry reports them", async function () {
      for (const leaf of leaves) {
        const m = (await idx.model.evidence(leaf))!;
        const status = await c.evidenceRegistry.getFunction("status")(leaf);
        const records = (await c.evidenceRegistry.getFunction("records")(leaf)) as Array<
          Record<string, unknown>
        >;
        const endorsers = (await c.evidenceRegistry.getFunction("endorsers")(leaf)) as bigint[];
        expect([
          m.state,
          m.legalHold,
          m.submitter,
          m.kind,
          m.registeredAt,
          m.logId,
          m.leafIndex,
          m.replacement ?? ZeroHash,
        ]).to.deep.equal([
          EVIDENCE_STATES[Number(status.state)],
          status.legalHold,
          Number(status.submitter),
          Number(status.kind),
          Number(status.registeredAt),
          status.logId,
          Number(status.leafIndex),
          status.replacement,
        ]);
        expect(m.endorsers).to.deep.equal(endorsers.map(Number));
        expect(
          m.records.map((r) => [r.action, r.reasonCode, r.byMember, r.timestamp, r.replacement ?? ZeroHash]),
        ).to.deep.equal(
          records.map((r) => [
            LIFECYCLE_ACTIONS[Number(r.action)],
            Number(r.reasonCode),
            Number(r.byMember),
            Number(r.timestamp),
            r.replacement,
          ]),
        );
      }
      expect((await idx.model.evidence(leaves[0]!))!.records.map((r) => r.action)).to.deep.equal([
        "Registered",
        "LegalHoldPlaced",
        "LegalHoldReleased",
        "Superseded",
      ]);
      expect((await idx.model.evidenceOf(J)).map((e) => e.leafHash).sort()).to.deep.equal(
        leaves.slice(0, 3).sort(),
      );
      expect(await idx.model.evidence(keccak256(toUtf8Bytes("unknown leaf")))).to.equal(undefined);
    });
  });

  describe("paging, agreement, restart and chain loss", function () {
    it("builds the identical model with pages of 1, 3 and 5000 blocks, one eth_getLogs per page", async function () {
      const digests: string[] = [];
      for (const pageBlocks of [5000, 3, 1]) {
        const { idx, provider: p } = await indexer({ pageBlocks });
        const result = await idx.syncOnce();
        const blocks = result.target - c.fromBlock + 1;
        expect(result.pages, `pages of ${pageBlocks}`).to.equal(Math.ceil(blocks / pageBlocks));
        expect(p.count("eth_getLogs"), `getLogs with pages of ${pageBlocks}`).to.equal(result.pages);
        digests.push(await idx.model.digest());
      }
      expect(new Set(digests).size, digests.join(" ")).to.equal(1);
    });

    it("halves a page the endpoint refuses (a lower range limit than configured) and builds the same model", async function () {
      class LimitedProvider extends CountingProvider {
        refused = 0;
        override async send(method: string, params: Array<unknown> | Record<string, unknown>): Promise<any> {
          if (method === "eth_getLogs") {
            const { fromBlock, toBlock } = (params as Array<{ fromBlock: string; toBlock: string }>)[0]!;
            if (Number(toBlock) - Number(fromBlock) + 1 > 8) {
              this.refused++;
              throw new Error("block range too large: at most 8 blocks");
            }
          }
          return super.send(method, params);
        }
      }
      const limited = new LimitedProvider(c.anvil.url);
      providers.push(limited);
      const log = memoryLog();
      const { idx } = await indexer({ provider: limited, pageBlocks: 5000, log });
      const result = await idx.syncOnce();
      expect(limited.refused).to.be.greaterThan(0);
      expect(result.cursor!.blockNumber).to.equal(result.target);
      expect(
        log.entries.some((e) => e.msg === "eth_getLogs refused the range; retrying with a smaller page"),
      ).to.equal(true);
      expect(await idx.model.digest()).to.equal(await freshDigest());
    });

    it("two nodes over the same chain agree: one in memory, one on a real LevelDB", async function () {
      const dir = await mkdtemp(join(tmpdir(), "indexer-agree-"));
      try {
        const a = await indexer({ pageBlocks: 7 });
        const b = await indexer({ pageBlocks: 2000, dir });
        await a.idx.syncOnce();
        await b.idx.syncOnce();
        expect(await a.idx.model.digest()).to.equal(await b.idx.model.digest());
        expect(await b.idx.model.loan(J)).to.deep.equal(await a.idx.model.loan(J));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("resumes from its cursor after a restart and fetches only the new blocks", async function () {
      const dir = await mkdtemp(join(tmpdir(), "indexer-restart-"));
      try {
        const first = await openIndexerDb(dir);
        const before = new LedgerIndexer({
          provider: provider(),
          addresses: c.addresses,
          fromBlock: c.fromBlock,
          db: first,
          pageBlocks: 4,
        });
        const cursor = (await before.syncOnce()).cursor!;
        expect(cursor.blockNumber).to.equal((await c.latest()).number);
        await first.close();

        // while the node is down: the rest of J's third installment, and the court closes S's case
        await repay(J, await c.installmentDue(J, 2));
        await c.send(c.disputesAs(COURT).getFunction("closeCase")(S));
        const head = (await c.latest()).number;

        const db = await openIndexerDb(dir);
        closers.push(() => db.close());
        const p = provider();
        const after = new LedgerIndexer({
          provider: p,
          addresses: c.addresses,
          fromBlock: c.fromBlock,
          db,
          pageBlocks: 4,
        });
        expect(await after.cursor()).to.deep.equal(cursor);
        const result = await after.syncOnce();
        expect(result.reset).to.equal(null);
        expect(p.count("eth_getLogs"), "one page per 4 new blocks").to.equal(
          Math.ceil((head - cursor.blockNumber) / 4),
        );
        expect(result.cursor!.blockNumber).to.equal(head);
        expect((await after.model.caseOf(S))!.closedAt).to.not.equal(null);
        await expectLoanAsOnChain(after, J, termsJ);
        expect(await after.model.digest()).to.equal(await freshDigest());

        // nothing new: no getLogs at all
        const again = await after.syncOnce();
        expect([again.pages, p.count("eth_getLogs")]).to.deep.equal([
          0,
          Math.ceil((head - cursor.blockNumber) / 4),
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("a sync past its cursor reads each header it needs once, and the genesis not at all", async function () {
      const p = provider();
      const { idx } = await indexer({ provider: p });
      await idx.syncOnce();
      await repay(J, 100n); // one new block, with logs
      const before = p.count("eth_getBlockByNumber");
      const result = await idx.syncOnce();
      expect(result.logs).to.be.greaterThan(0);
      // the new block only: its parent is the cursor's block, and its logs are read by its hash
      expect(p.count("eth_getBlockByNumber") - before, "headers read for one new block").to.equal(1);
      await repay(J, 100n);
      await repay(J, 100n); // two new blocks: the page's last, the cursor's, and the last again after the reads
      const two = p.count("eth_getBlockByNumber");
      expect((await idx.syncOnce()).logs).to.be.greaterThan(0);
      expect(p.count("eth_getBlockByNumber") - two, "headers read for two new blocks").to.equal(4);
      const idle = p.count("eth_getBlockByNumber");
      expect((await idx.syncOnce()).pages).to.equal(0);
      expect(p.count("eth_getBlockByNumber") - idle, "headers read with nothing new: the cursor's").to.equal(
        1,
      );
      expect(await idx.model.digest()).to.equal(await freshDigest());
    });

    it("indexes the registrations of a batched transaction as the ledger states them", async function () {
      await deployBatchExecutor(c.wallets.deployer);
      const p = provider();
      const { idx } = await indexer({ provider: p });
      await idx.syncOnce();
      const base = {
        aprBps: 1500,
        method: RepaymentMethod.EqualInstallment,
        startDate: dayToDate(await c.today()),
        principalFen: 400_000n,
        termMonths: 3,
        branch: BRANCH_A,
      };
      const batch = [
        termsFor({ ...base, serial: c.serial("APP"), platformShareBps: 3000, borrower: BORROWERS[1]! }),
        termsFor({ ...base, serial: c.serial("APP"), platformShareBps: 0, borrower: BORROWERS[2]! }),
      ];
      const { chainId } = await c.provider.getNetwork();
      const ledger = c.addresses.jointLoanLedger;
      const calls = [];
      for (const t of batch) {
        const agreement =
          t.funders.length === 2 ? await signLoanAgreement(c.wallets.platform, chainId, ledger, t) : "0x";
        calls.push({
          to: ledger,
          data: c.ledger.interface.encodeFunctionData("registerLoan", [t, agreement]),
        });
      }
      const branch = c.wallets.branchA;
      const nonce = await c.provider.getTransactionCount(branch.address);
      const tx = await branch.sendTransaction({
        type: 4,
        authorizationList: [await delegationAuthorization(branch, { chainId, nonce: nonce + 1 })],
        to: branch.address,
        data: encodeBatch(calls),
        nonce,
      });
      expect((await tx.wait())?.status).to.equal(1);
      await idx.syncOnce();
      for (const t of batch) await expectLoanAsOnChain(idx, loanIdOf(t.originator, t.applicationSerial), t);
      expect(await idx.model.digest()).to.equal(await freshDigest());
    });

    it("reads a new block's logs by number where the endpoint refuses logs by block hash", async function () {
      const p = new (class extends CountingProvider {
        override async send(method: string, params: Array<unknown> | Record<string, unknown>) {
          if (method === "eth_getLogs" && Array.isArray(params) && "blockHash" in (params[0] as object))
            throw new Error("blockHash filters are not supported");
          return super.send(method, params);
        }
      })(c.anvil.url);
      providers.push(p);
      const { idx } = await indexer({ provider: p });
      await idx.syncOnce();
      const serial = await repay(J, 100n);
      const result = await idx.syncOnce();
      expect([result.pages, result.interrupted]).to.deep.equal([1, null]);
      expect((await idx.model.flow(serial))!.amountFen).to.equal(100n);
      expect(await idx.model.digest()).to.equal(await freshDigest());
    });

    it("stays `confirmations` blocks behind the head", async function () {
      const { idx } = await indexer({ confirmations: 3 });
      const result = await idx.syncOnce();
      expect(result.cursor!.blockNumber).to.equal(result.head - 3);
      expect(idx.status().cursor).to.deep.equal(result.cursor);
    });

    it("polls with start() until stop(), and never runs two syncs at once", async function () {
      const { idx, provider: p } = await indexer({ pageBlocks: 5000 });
      const [a, b] = await Promise.all([idx.syncOnce(), idx.syncOnce()]);
      expect([a.pages, b.pages]).to.deep.equal([1, 0]);
      expect(p.count("eth_getLogs")).to.equal(1);

      const polling = new LedgerIndexer({
        provider: p,
        addresses: c.addresses,
        fromBlock: c.fromBlock,
        db: idx.db,
        pollMs: 20,
      });
      polling.start();
      const serial = await repay(J, 100n);
      const deadline = Date.now() + 10_000;
      while ((await polling.model.flow(serial)) === undefined) {
        expect(Date.now() < deadline, "the poller indexed the new repayment").to.equal(true);
        await new Promise((r) => setTimeout(r, 20));
      }
      await polling.stop();
      const calls = p.count("eth_getLogs");
      await new Promise((r) => setTimeout(r, 100));
      expect(p.count("eth_getLogs"), "no polling after stop()").to.equal(calls);
      expect(polling.status().lastError).to.equal(null);
      await expectLoanAsOnChain(polling, J, termsJ);
    });

    /**
     * A started indexer over a synced store, its head read every 20 ms and a sync of its own every
     * `pollMs`: after `idleMs` with no block, `whileIdle` gets the head reads it made meanwhile;
     * then a repayment must be indexed within seconds of its block.
     */
    async function indexesTheNextBlock(pollMs: number, idleMs: number, whileIdle = (_reads: number) => {}) {
      const { idx, provider: p } = await indexer({ pageBlocks: 5000 });
      await idx.syncOnce();
      const watching = new LedgerIndexer({
        provider: p,
        addresses: c.addresses,
        fromBlock: c.fromBlock,
        db: idx.db,
        pollMs,
        headPollMs: 20,
      });
      const before = p.count("eth_blockNumber");
      watching.start();
      try {
        await new Promise((r) => setTimeout(r, idleMs));
        whileIdle(p.count("eth_blockNumber") - before);
        const serial = await repay(J, 100n);
        const mined = Date.now();
        while ((await watching.model.flow(serial)) === undefined) {
          expect(Date.now() - mined < 5_000, "indexed within seconds of its block").to.equal(true);
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await watching.stop();
      }
      expect(watching.status().lastError).to.equal(null);
    }

    it("syncs as soon as a new block arrives, not at the next poll", async function () {
      // a sync of its own only every minute: what starts the next one is the head read
      await indexesTheNextBlock(60_000, 100);
    });

    it("reads the head less often while the chain is idle, and still indexes the next block", async function () {
      // a read every 20 ms would be about 75 in 1.5 s; doubling while idle: 20, 40, … up to
      // pollMs, with a sync (one head read) at each pollMs
      await indexesTheNextBlock(1_000, 1_500, (reads) =>
        expect(reads, "head reads on an idle chain").to.be.at.most(12),
      );
    });

    it("drops a page when the chain changes while it is being read, and commits nothing of it", async function () {
      const snapshot = (await c.provider.send("evm_snapshot", [])) as string;
      const incomeAtSnapshot = structuredClone(income);
      const lost = await repay(J, 300n);
      let kept = "";
      // an endpoint whose chain is restored (and grows again) right after it answered eth_getLogs
      class ShiftingProvider extends CountingProvider {
        override async send(method: string, params: Array<unknown> | Record<string, unknown>): Promise<any> {
          const result = await super.send(method, params);
          if (method === "eth_getLogs" && kept === "") {
            expect(await c.provider.send("evm_revert", [snapshot])).to.equal(true);
            restoreIncome(incomeAtSnapshot);
            kept = await repay(J, 400n);
          }
          return result;
        }
      }
      const shifting = new ShiftingProvider(c.anvil.url);
      providers.push(shifting);
      const { idx } = await indexer({ provider: shifting });
      const first = await idx.syncOnce();
      expect(first.interrupted).to.match(/changed while blocks .* were read|is from block/);
      expect([first.pages, first.cursor, await idx.cursor(), await idx.model.loan(J)]).to.deep.equal([
        0,
        undefined,
        undefined,
        undefined,
      ]);

      const second = await idx.syncOnce();
      expect(second.interrupted).to.equal(null);
      expect(await idx.model.flow(lost)).to.equal(undefined);
      expect((await idx.model.flow(kept))!.amountFen).to.equal(400n);
      expect(await idx.model.digest()).to.equal(await freshDigest());
    });

    it("detects that the chain lost the blocks under its cursor and re-indexes to the chain's state", async function () {
      const log = memoryLog();
      const { idx } = await indexer({ log, pageBlocks: 10 });
      await idx.syncOnce();
      const digestBefore = await idx.model.digest();
      const jBefore = await idx.model.loan(J);
      const snapshot = (await c.provider.send("evm_snapshot", [])) as string;
      const incomeAtSnapshot = structuredClone(income);

      await c.timeTo(dueDays[3]!, 10);
      const lost = [await repay(J, await c.installmentDue(J, 3)), await repay(J, 5_000n)];
      await idx.syncOnce();
      for (const serial of lost) expect(await idx.model.flow(serial), serial).to.not.equal(undefined);
      expect(await idx.model.flowsByDay(dayToDate(dueDays[3]!))).to.have.length(2);

      expect(await c.provider.send("evm_revert", [snapshot])).to.equal(true);
      const result = await idx.syncOnce();
      expect(result.reset).to.match(/no longer on the chain/);
      expect(log.entries.filter((e) => e.level === "warn").map((e) => e.msg)).to.include(
        "chain reset: wiping the read model and re-indexing from fromBlock",
      );
      for (const serial of lost) expect(await idx.model.flow(serial), serial).to.equal(undefined);
      expect(await idx.model.flowsByDay(dayToDate(dueDays[3]!))).to.deep.equal([]);
      expect(await idx.model.loan(J)).to.deep.equal(jBefore);
      expect(await idx.model.digest()).to.equal(digestBefore);
      expect(await idx.model.digest()).to.equal(await freshDigest());
      restoreIncome(incomeAtSnapshot);
      await expectLoanAsOnChain(idx, J, termsJ);
    });

    it("detects replaced blocks at its cursor's height (reverted, then other blocks mined past it)", async function () {
      const { idx } = await indexer();
      const snapshot = (await c.provider.send("evm_snapshot", [])) as string;
      const incomeAtSnapshot = structuredClone(income);
      const lost = await repay(J, 1_000n);
      const { cursor } = await idx.syncOnce();
      expect(await idx.model.flow(lost)).to.not.equal(undefined);

      expect(await c.provider.send("evm_revert", [snapshot])).to.equal(true);
      restoreIncome(incomeAtSnapshot);
      while ((await c.latest()).number < cursor!.blockNumber) await c.provider.send("evm_mine", []);
      const kept = await repay(J, 2_000n);
      expect((await c.latest()).number).to.be.greaterThan(cursor!.blockNumber);

      const result = await idx.syncOnce();
      expect(result.reset).to.match(new RegExp(`block ${cursor!.blockNumber} \\(the cursor\\) changed`));
      expect(await idx.model.flow(lost)).to.equal(undefined);
      expect((await idx.model.flow(kept))!.amountFen).to.equal(2_000n);
      expect(await idx.model.digest()).to.equal(await freshDigest());
      await expectLoanAsOnChain(idx, J, termsJ);
    });
  });

  describe("another chain behind the same endpoint", function () {
    it("notices the genesis changed and rebuilds from the new chain", async function () {
      const dir = await mkdtemp(join(tmpdir(), "indexer-genesis-"));
      let other: LendingChain | undefined;
      try {
        const db = await openIndexerDb(dir);
        closers.push(() => db.close());
        await new LedgerIndexer({
          provider: provider(),
          addresses: c.addresses,
          fromBlock: c.fromBlock,
          db,
        }).syncOnce();
        expect(
          await new LedgerIndexer({
            provider: provider(),
            addresses: c.addresses,
            fromBlock: c.fromBlock,
            db,
          }).model.loan(J),
        ).to.not.equal(undefined);

        other = await startLendingChain();
        const p = new CountingProvider(other.anvil.url);
        providers.push(p);
        const idx = new LedgerIndexer({
          provider: p,
          addresses: other.addresses,
          fromBlock: other.fromBlock,
          db,
        });
        const result = await idx.syncOnce();
        expect(result.reset).to.match(/genesis block changed/);
        expect(await idx.model.loan(J)).to.equal(undefined);
        expect(await idx.model.loansByState("Active")).to.deep.equal([]);
        const fresh = await openIndexerDb(null);
        closers.push(() => fresh.close());
        const reference = new LedgerIndexer({
          provider: p,
          addresses: other.addresses,
          fromBlock: other.fromBlock,
          db: fresh,
        });
        await reference.syncOnce();
        expect(await idx.model.digest()).to.equal(await reference.model.digest());
      } finally {
        await other?.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
