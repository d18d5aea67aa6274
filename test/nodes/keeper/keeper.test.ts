// The keeper on a real chain: it escalates overdue loans to the stage their days past due reach,
// leaves current loans alone, and sends borrower reminders only inside 08:00–21:00 Beijing time.
import { expect } from "chai";
import { Contract } from "ethers";
import { MemoryLevel } from "memory-level";
import { LedgerIndexer } from "../../../nodes/src/indexer/indexer.ts";
import { indexerSublevels } from "../../../nodes/src/indexer/db.ts";
import { DisputeResolution, JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { Keeper } from "../../../nodes/src/keeper/keeper.ts";
import { isContactAllowed } from "../../../nodes/src/reconcile/contact-window.ts";
import { termsFor } from "../../contracts/lending.fixture.ts";
import { BRANCH_A, startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";

describe("keeper: daily escalation and reminders in the contact window", function () {
  this.timeout(120_000);
  let lc: LendingChain;

  before(async function () {
    lc = await startLendingChain();
  });
  after(async function () {
    await lc?.stop();
  });

  it("escalates an overdue loan stage by stage, leaves a current one alone, reminds only between 08:00 and 21:00", async function () {
    const start = (await lc.today()) + 1;
    await lc.timeTo(start, 9);
    const { dayToDate } = await import("../../../common/lending/dates.ts");
    const late = await lc.register(
      termsFor({
        serial: lc.serial("APP"),
        principalFen: 1_000_000n,
        aprBps: 1800,
        method: 0,
        startDate: dayToDate(start),
        termMonths: 6,
        platformShareBps: 0,
        branch: BRANCH_A,
      } as never) as never,
    );
    await lc.disburseAll(late.loanId);
    const db = new MemoryLevel();
    const indexer = new LedgerIndexer({
      provider: lc.provider,
      addresses: lc.addresses,
      fromBlock: lc.fromBlock,
      db: indexerSublevels(db as never),
    } as never);
    const sent: Array<{ loanId: string; at: number }> = [];
    let clock = 0;
    const keeper = new Keeper({
      model: indexer.model,
      ledger: JointLoanLedger.at(await lc.ledger.getAddress(), lc.ledger.runner),
      disputes: DisputeResolution.at(await lc.disputes.getAddress(), lc.wallets.unionOps),
      escalate: async (loanId) =>
        void (await (
          await (lc.disputes.connect(lc.wallets.unionOps) as Contract).getFunction("escalate")(loanId)
        ).wait()),
      reminders: db.sublevel("reminders", { valueEncoding: "json" }) as never,
      send: async (r) => void sent.push({ loanId: r.loanId, at: r.at }),
      now: () => clock,
    });
    const schedule = (await lc.ledger.getFunction("schedule")(late.loanId)) as Array<{ dueDay: bigint }>;
    const firstDue = Number(schedule[0]!.dueDay);

    // 4 days late, 22:00 Beijing: escalated to Reminder; the reminder waits for 08:00
    await lc.timeTo(firstDue + 4, 22);
    // a current loan, disbursed today: nothing to escalate
    const current = await lc.register(
      termsFor({
        serial: lc.serial("APP"),
        principalFen: 2_000_000n,
        aprBps: 1800,
        method: 0,
        startDate: dayToDate(firstDue + 4),
        termMonths: 6,
        platformShareBps: 0,
        branch: BRANCH_A,
      } as never) as never,
    );
    await lc.disburseAll(current.loanId);
    clock = (await lc.latest()).timestamp;
    await indexer.syncOnce();
    let round = await keeper.runOnce();
    expect(round.checked).to.equal(2);
    expect(round.escalated).to.deep.equal([late.loanId]);
    expect(round.remindersScheduled).to.equal(1);
    expect(round.remindersSent).to.equal(0);
    // 07:30 the next morning: still outside the window
    clock += 9.5 * 3600;
    expect((await keeper.runOnce()).remindersSent).to.equal(0);
    // 08:00: sent, once
    clock += 30 * 60;
    expect((await keeper.runOnce()).remindersSent).to.equal(1);
    expect((await keeper.runOnce()).remindersSent).to.equal(0);
    expect(sent.every((s) => isContactAllowed(s.at))).to.equal(true);

    // 20 days late: one round takes it to arbitration
    await lc.timeTo(firstDue + 20, 10);
    clock = (await lc.latest()).timestamp;
    round = await keeper.runOnce();
    expect(round.escalated).to.deep.equal([late.loanId]);
    const [, , stage] = (await lc.ledger.getFunction("overdue")(late.loanId)) as [bigint, bigint, bigint];
    expect(Number(stage)).to.equal(3);
    expect((await keeper.runOnce()).escalated).to.deep.equal([]);
  });
});
