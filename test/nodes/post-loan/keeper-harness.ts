// A keeper on a real lending chain with the notice service on a simulated gateway, for the
// post-loan tests: the keeper's clock follows the chain's latest block, and every reminder
// delivered (`reminder:<loanId>`, `mediation-opened:<loanId>`…) and every escalation sent
// (`escalate:<loanId>:<stage>`) is recorded in order in `events`; anchoring is a recording fake.
import { createHash } from "node:crypto";
import type { Contract } from "ethers";
import { MemoryLevel } from "memory-level";
import type { Sublevel } from "../../../common/level.ts";
import { DisputeResolution, JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { dayToDate } from "../../../common/lending/dates.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import { LedgerIndexer } from "../../../nodes/src/indexer/indexer.ts";
import { indexerSublevels } from "../../../nodes/src/indexer/db.ts";
import type { EvidenceRecordInput } from "../../../nodes/src/bureau/consent.ts";
import type { ContractVerification } from "../../../nodes/src/e-contract/verify.ts";
import { Keeper, type KeeperMediation, type ReminderRecord } from "../../../nodes/src/keeper/keeper.ts";
import { MediationService, type PlanAdoption } from "../../../nodes/src/mediation/mediation.ts";
import { SimulatedGateway } from "../../../nodes/src/notices/gateway.ts";
import { NoticeService, type NoticeRequest, type StoredNotice } from "../../../nodes/src/notices/notices.ts";
import { BORROWERS, termsFor } from "../../contracts/lending.fixture.ts";
import { BRANCH_A, type LendingChain } from "../indexer/lending-chain.ts";

export async function keeperHarness(
  lc: LendingChain,
  opts: {
    verifyAgreement?: (pdf: Uint8Array) => Promise<ContractVerification>;
    registerLeaf?: (loanId: string, leafHash: string) => Promise<string>;
    adoptPlan?: (adoption: PlanAdoption) => Promise<string | undefined>;
    /** The member whose node the mediation room is: it holds its own loans' cases only. */
    memberId?: number;
    /** The keeper's mediation port made from the local room (as a node routes the others' cases). */
    mediationPort?: (local: MediationService) => KeeperMediation;
  } = {},
) {
  const db = new MemoryLevel();
  const indexer = new LedgerIndexer({
    provider: lc.provider,
    addresses: lc.addresses,
    fromBlock: lc.fromBlock,
    db: indexerSublevels(db),
  });
  let clock = 0;
  const events: string[] = [];
  const gateway = new SimulatedGateway({ now: () => clock });
  const notices = new NoticeService({
    gateway,
    anchor: (records) => anchor(records),
    notices: db.sublevel("notices", { valueEncoding: "json" }) as Sublevel<string, StoredNotice>,
    contacts: db.sublevel("contacts", { valueEncoding: "json" }) as Sublevel<string, number>,
    policy: { maxContactsPerDay: 20, channels: ["sms", "app"] },
    now: () => clock,
  });
  const ledger = JointLoanLedger.at(await lc.ledger.getAddress(), lc.ledger.runner);
  const anchored: EvidenceRecordInput[] = [];
  const anchor = (records: EvidenceRecordInput[]) => {
    anchored.push(...records);
    return Promise.resolve(
      records.map((r, i) => ({
        leafHash: `0x${createHash("sha256").update(`${r.digest}${r.salt}`).digest("hex")}`,
        sequence: anchored.length - records.length + i,
      })),
    );
  };
  const recordedNotices = {
    deliver: async (request: NoticeRequest) => {
      const outcome = await notices.deliver(request);
      if (outcome.status === "delivered" && gateway.sent.at(-1)?.noticeId === request.noticeId)
        events.push(`${request.noticeId.split(":")[0]}:${request.loanId}`);
      return outcome;
    },
  };
  const mediation =
    opts.verifyAgreement === undefined
      ? undefined
      : new MediationService({
          ...(opts.memberId !== undefined ? { memberId: opts.memberId } : {}),
          ledger,
          model: indexer.model,
          cases: db.sublevel("mediation", { valueEncoding: "utf8" }) as Sublevel<string, string>,
          notices: recordedNotices,
          anchor,
          verifyAgreement: opts.verifyAgreement,
          ...(opts.registerLeaf !== undefined ? { registerLeaf: opts.registerLeaf } : {}),
          ...(opts.adoptPlan !== undefined ? { adoptPlan: opts.adoptPlan } : {}),
          now: () => clock,
        });
  const keeper = new Keeper({
    model: indexer.model,
    ledger,
    disputes: DisputeResolution.at(await lc.disputes.getAddress(), lc.wallets.unionOps),
    escalate: async (loanId, stage) => {
      events.push(`escalate:${loanId}:${stage}`);
      await (
        await (lc.disputes.connect(lc.wallets.unionOps) as Contract).getFunction("escalate")(loanId)
      ).wait();
    },
    reminders: db.sublevel("reminders", { valueEncoding: "json" }) as Sublevel<string, ReminderRecord>,
    notices: recordedNotices,
    ...(mediation !== undefined ? { mediation: opts.mediationPort?.(mediation) ?? mediation } : {}),
    now: () => clock,
  });
  let borrower = 0;
  return {
    keeper,
    mediation,
    anchored,
    anchor,
    recordedNotices,
    gateway,
    notices,
    events,
    indexer,
    /** Keeper clock = the chain's latest block, plus `extraSeconds`; index synced. */
    async sync(extraSeconds = 0) {
      clock = (await lc.latest()).timestamp + extraSeconds;
      await indexer.syncOnce();
    },
    clock: () => clock,
    /** A 6-month loan of its own borrower starting tomorrow at 09:00, disbursed; its first due day. */
    async overdueLoan(): Promise<{ loanId: string; firstDue: number }> {
      const start = (await lc.today()) + 1;
      await lc.timeTo(start, 9);
      const { loanId } = await lc.register(
        termsFor({
          serial: lc.serial("APP"),
          principalFen: 1_000_000n,
          aprBps: 1800,
          method: RepaymentMethod.EqualInstallment,
          startDate: dayToDate(start),
          termMonths: 6,
          platformShareBps: 0,
          branch: BRANCH_A,
          borrower: BORROWERS[borrower++ % BORROWERS.length]!,
        }),
      );
      await lc.disburseAll(loanId);
      const schedule = (await lc.ledger.getFunction("schedule")(loanId)) as Array<{ dueDay: bigint }>;
      return { loanId, firstDue: Number(schedule[0]!.dueDay) };
    },
    async stage(loanId: string): Promise<number> {
      const [, , stage] = (await lc.ledger.getFunction("overdue")(loanId)) as [bigint, bigint, bigint];
      return Number(stage);
    },
  };
}
