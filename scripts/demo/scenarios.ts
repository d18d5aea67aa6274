// The five-node scenarios, driven over HTTP against the nodes a ConsortiumManifest lists:
//   (a) a joint loan: a platform's application through its own node to the union's (signed with
//       the platform's chain key, so it is credited to the platform), routed to branch A, consent,
//       credit query, approval with a 30% platform share, disbursement by both funders from their
//       own nodes, then the borrower repays its first installment at branch A on day one (ahead
//       of its due day, within the all-in cap's headroom): the loan stays Active, partly repaid,
//       on a chain whose clock is never moved;
//   (b) an assisted loan at branch B (the branch funds it alone), settled early in full the same way;
//   (c) an overdue loan (only on a disposable local chain, `disposableChain`: its time is moved forward): keeper rounds take it
//       through reminder, mediation and arbitration, the union assigns the court, the court
//       fetches the documents, accepts, records a ruling and closes the case. Before each move of
//       the chain's clock, everything the anchor service received is anchored; after it, this
//       process and every service of the consortium read the time as the chain's (clock.ts,
//       `clockFile`), so receipts, TSA tokens, cosignatures and blocks agree as in production and
//       the court's package check must say `verified`.
// Then each funder's core-banking books of the days involved are reconciled on its node (zero
// differences expected), and every node's index digest is compared with every other node's and
// with the digest computed straight from the chain's events.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import {
  dayToDate,
  SECONDS_PER_DAY,
  SHANGHAI_OFFSET_SECONDS,
  shanghaiDay,
} from "../../common/lending/dates.ts";
import { splitByShares } from "../../common/lending/allocation.ts";
import type { ConsortiumManifest, NodeName } from "../ops/local/manifest.ts";
import { NODE_NAMES } from "../ops/local/manifest.ts";
import {
  authorizationLetter,
  huinongApplication,
  jiedaibaoApplication,
  maskedAccount,
  newBorrower,
  personalData,
  rongyitongApplication,
  type Borrower,
} from "../../nodes/client/borrowers.ts";
import { chainLedgerDigest } from "./chain-digest.ts";
import { CoreBanking } from "./core-banking.ts";
import { NodeApi, NodeApiError, sleep } from "../../nodes/client/node-api.ts";
import { contractEndorsed, signedAndSealed, signedContract } from "./contracts.ts";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { chainAdoption } from "./chain-adoption.ts";
import { CLOCK_POLL_MS, moveClock, wallNow } from "./clock.ts";

export type ScenarioHooks = {
  /** Before scenario (a)'s repayment is submitted to branch A. */
  beforeRepayments?: (context: { loanId: string }) => Promise<void>;
  /** Once scenario (a)'s repayment is in branch A's outbox, before the driver waits for it. */
  repaymentsEnqueued?: (context: { loanId: string; serials: string[] }) => Promise<void>;
};

export type ScenarioOptions = {
  log?: (line: string) => void;
  hooks?: ScenarioHooks;
  /** Where the simulated core-banking books live (default <manifest.dataDir>/demo/books). */
  booksDir?: string;
  /**
   * The chain was started for this run and is thrown away after it, so the overdue scenario may
   * move its clock. A persistent chain's clock is never moved: everything anchored on it afterwards
   * would be dated in the future (trustedTime fails it, and npm start refuses such a chain).
   */
  disposableChain?: boolean;
  /**
   * The file the disposable consortium's services follow for their clock (clock.ts: started with
   * chainClockEnv(file)); each move of the chain's clock is written there. Required with
   * disposableChain for the overdue scenario.
   */
  clockFile?: string;
};

export type ScenarioId = "joint" | "assisted" | "overdue";
export type ScenarioRun = { id: ScenarioId; title: string; ms: number; loanId: string };

export type DemoResult = {
  runId: string;
  scenarios: ScenarioRun[];
  /** repaymentSerials: the first installment's repayment; the loan stays Active. */
  joint: { loanId: string; repaymentSerials: string[]; state: string; repaidFen: string };
  assisted: { loanId: string; state: string };
  overdue:
    | {
        loanId: string;
        caseId: string;
        ruling: string;
        rulingLeaf: string;
        stage: string;
        courtDocuments: Array<{ kind: string; from: number }>;
        keeper: Array<{
          stage: string;
          escalated: boolean;
          remindersScheduled: number;
          remindersSent: number;
        }>;
        mediation: { node: NodeName; status: string };
        /**
         * The second late loan: mediation accepted at its branch's node, the plan adopted on chain
         * (the ledger's schedule replaced), its first installment paid on the plan's due day; the
         * keeper's next round leaves it there. `stage`: the chain's after that round.
         */
        mediated: {
          loanId: string;
          stage: string;
          status: string;
          paidFen: string;
          paidOn: string;
          adopted: { blockNumber: number; installments: number; firstDueDate: string; firstTotalFen: string };
        };
        courtPackage: { ok: boolean; verdict: string; items: number; roles: string[]; archive: string };
      }
    | { skipped: string };
  borrowers: Borrower[];
  /** Every name, ID number, phone and account number the scenarios used. */
  personalData: string[];
  reconciliations: Array<{ node: NodeName; day: string; rows: number; matched: number; balanced: boolean }>;
  digests: {
    chain: { digest: string; loans: number; flows: number; toBlock: number };
    nodes: Record<NodeName, { digest: string; loans: number; flows: number; cursor: number }>;
    agree: boolean;
  };
  evidence: {
    loanId: string;
    links: Array<{ what: string; leafHash: string; status: string; bundleUrl: string; verifyUrl: string }>;
  };
  /**
   * The chain time (unix seconds) from which blocks are stamped on a clock moved ahead of real
   * time: the overdue scenario's first move, or this run's start when an earlier run had moved it
   * already; undefined if the chain's clock kept real time. Without `clockFile` following it, a
   * record anchored from then on is anchored, by the chain's clock, long after its intake receipt.
   */
  chainClockMovedAt?: number;
};

type Application = {
  applicationId: string;
  borrowerKey: string;
  assignedBranch: number;
  submittedTo?: { member: number; applicationId: string };
  forwardedTo?: { member: number; applicationId: string };
};
type Approved = {
  loanId: string;
  serial: string;
  schedule: Array<{ dueDay: number; principalFen: string; interestFen: string; totalFen: string }>;
};
type Flow = { serial: string; voucher: string; outbox: { serial: string } };
/** A fund flow's route under /v1/loans/:loanId/ is its type with an s. */
type FlowType = "disbursement" | "repayment" | "settlement";
/** The node's /readyz: the index's cursor block in `detail.indexer.cursorBlock`. */
type Readyz = { detail?: { indexer?: { cursorBlock?: number } } };

const JOINT_PLATFORM_SHARE_BPS = 3000;
const COURT_STEP_TIMEOUT_MS = 120_000;
/** The borrower's monthly income as the demo's clerk verified it (100,000 yuan): no debt-to-income rule refuses it. */
const DEMO_MONTHLY_INCOME_FEN = "10000000";
/** A chain whose latest block is this far ahead of real time had its clock moved (Anvil stamps blocks at real time otherwise). */
const CLOCK_AHEAD_SECONDS = 300;

export async function runScenarios(
  manifest: ConsortiumManifest,
  options: ScenarioOptions = {},
): Promise<DemoResult> {
  const driver = new Driver(manifest, options);
  try {
    return await driver.run();
  } finally {
    driver.close();
  }
}

class Driver {
  readonly manifest: ConsortiumManifest;
  readonly log: (line: string) => void;
  readonly hooks: ScenarioHooks;
  readonly disposableChain: boolean;
  readonly clockFile: string | undefined;
  readonly provider: JsonRpcProvider;
  readonly api: Record<NodeName, NodeApi>;
  readonly books: CoreBanking;
  readonly runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, "0")}`.toUpperCase();
  readonly borrowers: Borrower[] = [];
  /** (node, day) pairs this run booked flows on. */
  readonly bookedDays = new Map<string, { node: NodeName; day: string }>();
  /** Evidence anchored per loan beyond its contract and consent: vouchers (by digest), the ruling (by leaf). */
  readonly anchored = new Map<string, Array<{ what: string; digest?: string; leafHash?: string }>>();
  #serialSeq = 0;
  #clockMovedAt: number | undefined;

  constructor(manifest: ConsortiumManifest, options: ScenarioOptions) {
    this.manifest = manifest;
    this.log = options.log ?? ((line) => console.log(line));
    this.hooks = options.hooks ?? {};
    this.disposableChain = options.disposableChain === true;
    this.clockFile = options.clockFile;
    this.provider = new JsonRpcProvider(manifest.chain.rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    this.api = Object.fromEntries(
      NODE_NAMES.map((n) => [n, new NodeApi(n, manifest.nodes[n].url, manifest.nodes[n].tokens)]),
    ) as Record<NodeName, NodeApi>;
    this.books = new CoreBanking(options.booksDir ?? `${manifest.dataDir}/demo/books`);
  }

  close(): void {
    this.provider.destroy();
  }

  async run(): Promise<DemoResult> {
    this.log(
      `JointLedger five-node scenarios (run ${this.runId}) against ${this.manifest.chain.rpcUrl}, chain ${this.manifest.chain.chainId}`,
    );
    for (const n of NODE_NAMES)
      this.log(
        `  ${n.padEnd(8)} member ${this.manifest.nodes[n].memberId} (${this.manifest.nodes[n].kind}) ${this.manifest.nodes[n].url}`,
      );
    const latest = (await this.provider.getBlock("latest"))!.timestamp;
    if (latest > Date.now() / 1000 + CLOCK_AHEAD_SECONDS) {
      this.#clockMovedAt = latest;
      this.log(
        `  the chain's clock is ${((latest - Date.now() / 1000) / 86_400).toFixed(1)} days ahead of real time (an earlier run moved it): evidence anchored on it is stamped long after its receipts`,
      );
    }
    const scenarios: ScenarioRun[] = [];
    const timed = async <T extends { loanId: string }>(
      id: ScenarioId,
      title: string,
      body: () => Promise<T>,
    ): Promise<T> => {
      this.log(`\n(${String.fromCharCode(97 + scenarios.length)}) ${title}`);
      const started = performance.now();
      const result = await body();
      const ms = Math.round(performance.now() - started);
      scenarios.push({ id, title, ms, loanId: result.loanId });
      this.log(`    done in ${(ms / 1000).toFixed(1)} s`);
      return result;
    };
    const joint = await timed(
      "joint",
      "joint loan: platform application → union → branch A, 30% platform share, first installment repaid",
      () => this.jointLoan(),
    );
    const assisted = await timed(
      "assisted",
      "assisted loan at branch B: the branch funds it alone, settled early",
      () => this.assistedLoan(),
    );
    let overdue: DemoResult["overdue"];
    if (this.manifest.chain.local && this.disposableChain) {
      overdue = await timed("overdue", "overdue loan: reminder, mediation, arbitration, court", () =>
        this.overdueLoan(),
      );
    } else {
      overdue = {
        skipped: !this.manifest.chain.local
          ? "the chain is not a local Anvil the launcher started: its time cannot be moved forward"
          : "it needs 16 days to pass, and the persistent chain's clock is never moved; run it on a disposable chain: npm run demo -- --disposable",
      };
      this.log(`\n(c) overdue loan skipped: ${overdue.skipped}`);
    }
    this.log("\nchecks");
    const head = await this.provider.getBlockNumber();
    await this.waitIndexed(NODE_NAMES, head);
    const reconciliations = await this.reconcile();
    const digests = await this.compareDigests(head);
    const evidenceLoan = "loanId" in overdue ? overdue.loanId : joint.loanId;
    const evidence = await this.evidenceLinks(evidenceLoan);
    return {
      runId: this.runId,
      scenarios,
      joint,
      assisted,
      overdue,
      borrowers: this.borrowers,
      personalData: this.borrowers.flatMap(personalData),
      reconciliations,
      digests,
      evidence,
      ...(this.#clockMovedAt === undefined ? {} : { chainClockMovedAt: this.#clockMovedAt }),
    };
  }

  // ------------------------------------------------------------------ (a) joint loan

  async jointLoan() {
    const applicationId = `JDB${this.runId}A`;
    const { borrower, loanId, schedule } = await this.apply(
      { branch: "branchA", channel: "jiedaibao", applicationNo: applicationId, minutesAgo: 10 },
      JOINT_PLATFORM_SHARE_BPS,
      (b, authorization) =>
        jiedaibaoApplication(b, {
          applicationId,
          principalYuan: "60000.00",
          termMonths: 12,
          annualPercent: "14.4",
          ...authorization,
        }),
    );
    const principal = schedule.reduce((sum, i) => sum + BigInt(i.principalFen), 0n);
    const [branchPart, platformPart] = splitByShares(principal, [
      10_000 - JOINT_PLATFORM_SHARE_BPS,
      JOINT_PLATFORM_SHARE_BPS,
    ]) as [bigint, bigint];
    // each funder disburses its exact share from its own node, on the loan's start day
    await Promise.all([
      this.flow(
        "branchA",
        loanId,
        "disbursement",
        branchPart,
        borrower,
        this.manifest.nodes.branchA.settlementAccounts[0],
      ),
      this.flow(
        "platform",
        loanId,
        "disbursement",
        platformPart,
        borrower,
        this.manifest.nodes.platform.settlementAccounts[0],
      ),
    ]);
    this.log(
      `    disbursed: branch A ${yuan(branchPart)} + platform ${yuan(platformPart)} = ${yuan(principal)} yuan; loan Active`,
    );
    await this.hooks.beforeRepayments?.({ loanId });
    // the borrower repays the first installment at branch A, which services the loan: the loan
    // stays Active, partly repaid (the persistent chain's clock is never moved, so it is paid on
    // day one, ahead of its due day; the ledger charges that to the all-in cap's headroom)
    const amount = BigInt(schedule[0]!.totalFen);
    const repayment = await this.submitFlow("branchA", loanId, "repayment", amount);
    this.log(
      `    first installment (due ${dayToDate(schedule[0]!.dueDay)}) of ${yuan(amount)} yuan in branch A's outbox (${repayment.serial})`,
    );
    await this.hooks.repaymentsEnqueued?.({ loanId, serials: [repayment.serial] });
    await this.booked("branchA", loanId, "repayment", repayment, amount, borrower);
    const loan = await this.loanOn("branchA", loanId, "Active");
    this.log(`    repayment confirmed; loan ${loan.state}, ${schedule.length - 1} installments outstanding`);
    return { loanId, repaymentSerials: [repayment.serial], state: loan.state, repaidFen: amount.toString() };
  }

  // ------------------------------------------------------------------ (b) assisted loan

  async assistedLoan() {
    const orderNo = `HN-${this.runId}-B`;
    const { borrower, loanId } = await this.apply(
      { branch: "branchB", channel: "huinong", applicationNo: orderNo, minutesAgo: 5 },
      0,
      (b, authorization) =>
        huinongApplication(b, {
          orderNo,
          amountFen: 1_500_000n,
          termDays: 30,
          monthlyRatePermille: "10",
          ...authorization,
        }),
    );
    await this.flow(
      "branchB",
      loanId,
      "disbursement",
      1_500_000n,
      borrower,
      this.manifest.nodes.branchB.settlementAccounts[0],
    );
    this.log("    branch B disbursed 15000.00 yuan alone");
    // the bullet falls due in 30 days: the borrower settles early at today's figure instead
    const amount = await this.settlementFigure("branchB", loanId);
    await this.flow("branchB", loanId, "settlement", amount, borrower);
    const loan = await this.loanOn("branchB", loanId, "Settled");
    this.log(`    early settlement ${yuan(amount)} yuan; loan ${loan.state}`);
    return { loanId, state: loan.state };
  }

  // ------------------------------------------------------------------ (c) overdue loan

  /** A 20,000 yuan loan at branch A, disbursed; its first installment is never paid. */
  async lateLoan(suffix: string) {
    const applyNo = `RYT${this.runId}${suffix}`;
    const { borrower, loanId, schedule } = await this.apply(
      { branch: "branchA", channel: "rongyitong", applicationNo: applyNo, minutesAgo: 3 },
      0,
      (b, authorization) =>
        rongyitongApplication(b, {
          applyNo,
          amountFen: 2_000_000n,
          termMonths: 6,
          rateBps: 1500,
          ...authorization,
        }),
    );
    await this.flow(
      "branchA",
      loanId,
      "disbursement",
      2_000_000n,
      borrower,
      this.manifest.nodes.branchA.settlementAccounts[0],
    );
    return { loanId, schedule, borrower };
  }

  async overdueLoan() {
    if (this.clockFile === undefined)
      throw new Error(
        "the overdue scenario moves the chain's clock: its consortium must follow it (start it with chainClockEnv(file) and pass clockFile)",
      );
    const { loanId, schedule } = await this.lateLoan("C");
    // a second late loan whose borrower accepts the mediation plan and pays it
    const mediated = await this.lateLoan("D");
    const firstDue = schedule[0]!.dueDay;
    this.log(`    disbursed 20000.00 yuan; the first installment (due ${dayToDate(firstDue)}) is never paid`);
    const keeper: Array<{
      stage: string;
      escalated: boolean;
      remindersScheduled: number;
      remindersSent: number;
    }> = [];
    let mediation: { node: NodeName; status: string } | undefined;
    let agreed: Awaited<ReturnType<Driver["acceptMediation"]>> | undefined;
    for (const [days, expected] of [
      [4, "Reminder"],
      [8, "Mediation"],
      [16, "Arbitration"],
    ] as const) {
      await this.travelTo(firstDue + days, 10);
      await this.waitIndexed(["union"], await this.provider.getBlockNumber());
      const round = await this.keeperRound();
      const c = await this.api.union.get<{ stage: string }>(`/v1/cases/${loanId}`);
      if (c.stage !== expected)
        throw new Error(
          `after the keeper round ${days} days past due the loan is at ${c.stage}, not ${expected}`,
        );
      keeper.push({
        stage: c.stage,
        escalated: round.escalated.includes(loanId),
        remindersScheduled: round.remindersScheduled,
        remindersSent: round.remindersSent,
      });
      this.log(
        `    chain time ${dayToDate(firstDue + days)} 10:00 (${days} days past due): union's keeper round → ${c.stage}` +
          (expected === "Reminder"
            ? ` (${round.remindersScheduled} reminder scheduled, ${round.remindersSent} sent inside 08:00–21:00)`
            : ""),
      );
      if (expected === "Mediation") {
        mediation = await this.refuseMediation(loanId);
        agreed = await this.acceptMediation(mediated.loanId, mediated.borrower);
      }
    }
    if (agreed === undefined) throw new Error("the second loan's mediation was never answered");
    // the adopted plan is the ledger's schedule: 16 days after the old due day nothing is late
    const between = await this.api.union.get<{ stage: string }>(`/v1/cases/${mediated.loanId}`);
    if (between.stage === "Arbitration")
      throw new Error("the loan whose mediation plan was adopted was taken to arbitration");
    this.log(
      `    the second loan's adopted plan holds it: the same round left it at ${between.stage}, no arbitration`,
    );
    const court = this.manifest.nodes.court.memberId;
    const assigned = await this.api.union.post<{ caseId: string; outbox: { serial: string } }>(
      `/v1/cases/${loanId}/court`,
      "admin",
      { court },
    );
    const assignedAt = await this.api.union.confirmed(assigned.outbox.serial, COURT_STEP_TIMEOUT_MS);
    this.log(`    union assigned case ${short(assigned.caseId)} to the court (member ${court})`);
    // the members holding the documents check the assignment against their own index
    await this.waitIndexed(["branchA", "court"], assignedAt.blockNumber!);
    const refused = await this.api.branchB.post(`/v1/cases/${loanId}/document-fetches`, "admin").then(
      () => undefined,
      (error: unknown) => (error instanceof NodeApiError ? error.code : String(error)),
    );
    this.log(`    branch B's node asking for the case's documents: refused (${refused})`);
    const fetched = await this.api.court.post<{
      stored: Array<{ kind: string; from: number; sha256: string }>;
      sources: unknown[];
    }>(`/v1/cases/${loanId}/document-fetches`, "court-clerk");
    this.log(
      `    court fetched ${fetched.stored.length} documents (${fetched.stored.map((d) => d.kind).join(", ")}) from branch A's node, stored encrypted`,
    );
    const courtPackage = await this.courtPackage(loanId);
    const accepted = await this.api.court.post<{ outbox: { serial: string } }>(
      `/v1/cases/${loanId}/acceptance`,
      "court-clerk",
    );
    await this.api.court.confirmed(accepted.outbox.serial, COURT_STEP_TIMEOUT_MS);
    const rulingBytes = Buffer.from(
      `(${new Date().getUTCFullYear()}) 浙0192民初 demo ${this.runId} 民事判决书 — the borrower shall repay the outstanding principal with interest (demo document)\n`,
      "utf8",
    );
    const ruled = await this.api.court.post<{
      ruling: string;
      leafHash: string;
      caseId: string;
      outbox: { serial: string };
    }>(`/v1/cases/${loanId}/ruling`, "court-clerk", { rulingBase64: rulingBytes.toString("base64") });
    await this.api.court.confirmed(ruled.outbox.serial, COURT_STEP_TIMEOUT_MS);
    const closed = await this.api.court.post<{ outbox: { serial: string } }>(
      `/v1/cases/${loanId}/closure`,
      "court-clerk",
    );
    await this.api.court.confirmed(closed.outbox.serial, COURT_STEP_TIMEOUT_MS);
    const final = await this.api.union.get<{ stage: string; ruling: string | null }>(`/v1/cases/${loanId}`);
    if (final.ruling !== ruled.ruling)
      throw new Error(`the chain holds ruling ${final.ruling}, not ${ruled.ruling}`);
    this.#anchoredAbout(loanId, { what: "court ruling", leafHash: ruled.leafHash });
    this.log(
      `    court accepted, recorded ruling ${short(ruled.ruling)} (anchored as leaf ${short(ruled.leafHash)}) and closed the case: stage ${final.stage}`,
    );
    const performed = await this.performPlan(mediated.loanId, mediated.borrower, agreed.first);
    return {
      loanId,
      caseId: ruled.caseId,
      ruling: ruled.ruling,
      rulingLeaf: ruled.leafHash,
      stage: final.stage,
      courtDocuments: fetched.stored.map((d) => ({ kind: d.kind, from: d.from })),
      keeper,
      mediation: mediation ?? { node: "branchA", status: "none" },
      mediated: {
        loanId: mediated.loanId,
        stage: performed.stage,
        status: performed.status,
        paidFen: agreed.first.totalFen.toString(),
        paidOn: dayToDate(agreed.first.dueDay),
        adopted: agreed.adopted,
      },
      courtPackage,
    };
  }

  /** A keeper round at the union's node (across branches; the cases' steps taken at their branches' nodes). */
  async keeperRound() {
    return this.api.union.post<{
      checked: number;
      escalated: string[];
      remindersScheduled: number;
      remindersSent: number;
      held: Array<{ loanId: string; waitingFor: string }>;
    }>("/v1/keeper/rounds", "admin");
  }

  /**
   * The borrower refuses the mediation plan, at branch A's node: the loan's branch holds its case
   * (the union's keeper opened it there), and the union's node refuses to show it.
   */
  async refuseMediation(loanId: string): Promise<{ node: NodeName; status: string }> {
    const atUnion = await this.api.union.get(`/v1/loans/${loanId}/mediation`, "approver").then(
      () => "shown",
      (error: unknown) => (error instanceof NodeApiError ? error.code : String(error)),
    );
    if (atUnion !== "NODE_ERR_MEDIATION_HELD_BY_BRANCH")
      throw new Error(`the union's node answered for branch A's mediation case: ${atUnion}`);
    const open = await this.api.branchA.get<{ status: string; plan: { installments: unknown[] } }>(
      `/v1/loans/${loanId}/mediation`,
      "approver",
    );
    const refused = await this.api.branchA.post<{ status: string }>(
      `/v1/loans/${loanId}/mediation/refusal`,
      "approver",
    );
    this.log(
      `    mediation case opened by the union's round at branch A's node, the loan's branch (the union's node: ${atUnion}); plan of ${open.plan.installments.length} installments; the borrower refused: ${refused.status}`,
    );
    return { node: "branchA", status: refused.status };
  }

  /**
   * The borrower accepts the plan at branch A's node: its draft of the settlement agreement signed
   * by the borrower and sealed by branch A. Branch A registers the agreement and adopts the plan
   * through its outbox once the anchor service committed the agreement's leaf (each keeper round
   * asks it again): waited for here, and the new schedule read back from the chain.
   */
  async acceptMediation(loanId: string, borrower: Borrower) {
    const draft = await this.api.branchA.get<{ agreementPdfBase64: string }>(
      `/v1/loans/${loanId}/mediation/agreement`,
      "approver",
    );
    const signed = await signedAndSealed(
      this.manifest.dataDir,
      "branchA",
      borrower,
      Buffer.from(draft.agreementPdfBase64, "base64"),
    );
    const answer = await this.api.branchA.post<{ status: string }>(
      `/v1/loans/${loanId}/mediation/acceptance`,
      "approver",
      { signedAgreementBase64: Buffer.from(signed).toString("base64") },
    );
    this.log(
      `    second loan: the borrower accepted the plan at branch A's node (agreement signed and sealed, ${answer.status})`,
    );
    let serial: string | undefined;
    for (const deadline = Date.now() + COURT_STEP_TIMEOUT_MS; ;) {
      serial = (
        await this.api.branchA.get<{ planAdoption?: string }>(`/v1/loans/${loanId}/mediation`, "approver")
      ).planAdoption;
      if (serial !== undefined) break;
      if (Date.now() > deadline)
        throw new Error(`branch A never queued the adoption of loan ${loanId}'s plan`);
      await sleep(2_000);
      await this.keeperRound();
    }
    const adoptedAt = await this.api.branchA.confirmed(serial, COURT_STEP_TIMEOUT_MS);
    const adopted = await chainAdoption(this.provider, this.manifest, loanId, adoptedAt.blockNumber!);
    const first = adopted.schedule[0]!;
    this.log(
      `    branch A adopted the plan on chain (outbox ${serial}): SettlementAdopted in block ${adoptedAt.blockNumber}, the ledger's schedule replaced by ${adopted.schedule.length} installments, the first due ${dayToDate(first.dueDay)}, ${yuan(first.totalFen)} yuan`,
    );
    return {
      node: "branchA" as const,
      status: answer.status,
      first,
      adopted: {
        blockNumber: adoptedAt.blockNumber!,
        installments: adopted.schedule.length,
        firstDueDate: dayToDate(first.dueDay),
        firstTotalFen: first.totalFen.toString(),
      },
    };
  }

  /**
   * On the adopted plan's first due day the borrower pays that installment at branch A (not ahead
   * of it); the day after, the union's keeper round leaves the loan alone: nothing late on the
   * plan, its case performing, no arbitration.
   */
  async performPlan(loanId: string, borrower: Borrower, first: { dueDay: number; totalFen: bigint }) {
    await this.travelTo(first.dueDay, 10);
    await this.flow("branchA", loanId, "repayment", first.totalFen, borrower);
    this.log(
      `    chain time ${dayToDate(first.dueDay)} 10:00, the plan's first due day: the borrower paid its first installment, ${yuan(first.totalFen)} yuan`,
    );
    await this.travelTo(first.dueDay + 1, 10);
    await this.waitIndexed(["union", "branchA"], await this.provider.getBlockNumber());
    const round = await this.keeperRound();
    const c = await this.api.union.get<{ stage: string }>(`/v1/cases/${loanId}`);
    const mediation = await this.api.branchA.get<{ status: string }>(
      `/v1/loans/${loanId}/mediation`,
      "approver",
    );
    const [daysPastDue] = await JointLoanLedger.at(
      this.manifest.contracts.jointLoanLedger,
      this.provider,
    ).overdue(loanId);
    if (round.escalated.includes(loanId) || c.stage === "Arbitration" || mediation.status !== "accepted")
      throw new Error(
        `the second loan, its plan paid on the due day, is at ${c.stage} with its mediation ${mediation.status}`,
      );
    this.log(
      `    chain time ${dayToDate(first.dueDay + 1)} 10:00: union's keeper round → the second loan at ${c.stage} (${daysPastDue} days past due on the plan; the ledger ended the escalation when it was paid on time), mediation ${mediation.status} and performing: no arbitration`,
    );
    return { stage: c.stage, status: mediation.status };
  }

  /**
   * The court fetches the loan's complete evidence set from branch A's node and checks it against
   * the chain, then exports the case archive (manifest, bilingual certificate, originals, bundles).
   */
  async courtPackage(loanId: string) {
    type Check = {
      ok: boolean;
      verdict: string;
      evidenceChain: { matches: boolean };
      items: Array<{ role: string; outcome: string; label: string; reason: string }>;
      missing: Array<{ role: string; label: string }>;
      pending: Array<{ role: string; label: string; since: string | null }>;
    };
    // The nodes hand over notices and mediation records only once each is anchored
    // under a committed head; until then the package names them pending: ask again a while
    let check: Check;
    for (const deadline = Date.now() + 60_000; ;) {
      check = await this.api.court.post<Check>(`/v1/cases/${loanId}/package-checks`, "court-clerk");
      const held = new Set(check.items.map((i) => i.role));
      const complete = check.pending.length === 0 && held.has("notice") && held.has("mediation");
      if (complete || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const roles = [...new Set(check.items.map((i) => i.role))];
    this.log(
      `    court package from branch A's node (mediation records with it; reminders from the union's): ${check.items.length} items (${roles.join(", ")}), evidence chain ${check.evidenceChain.matches ? "reproduced" : "NOT reproduced"}, ${check.ok ? check.verdict : `FAILED (${check.verdict})`}`,
    );
    const bad = check.items.filter((i) => i.outcome !== "verified");
    // on the chain's clock every item passes every check, the chain's time checks included
    if (!check.ok || check.verdict !== "verified")
      throw new Error(
        `the court's package check is ${check.verdict}: ${JSON.stringify({ missing: check.missing, pending: check.pending, bad: bad.map((i) => [i.role, i.label, i.outcome, i.reason]) })}`,
      );
    // the archive is a ZIP, not JSON: fetched as bytes with the court clerk's token
    const court = this.api.court;
    const reply = await fetch(`${court.url}/v1/cases/${loanId}/package-archive`, {
      method: "POST",
      headers: { authorization: `Bearer ${court.tokens["court-clerk"] ?? ""}` },
    });
    if (!reply.ok) throw new Error(`the case archive: ${reply.status} ${await reply.text()}`);
    const zip = Buffer.from(await reply.arrayBuffer());
    const dir = path.join(this.manifest.dataDir, "demo", "cases");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${loanId}.zip`);
    await writeFile(file, zip);
    this.log(`    case archive (manifest, 电子证据核验证书 certificate, originals, bundles): ${file}`);
    return { ok: check.ok, verdict: check.verdict, items: check.items.length, roles, archive: file };
  }

  // ------------------------------------------------------------------ steps

  borrower(regionCode: number): Borrower {
    const b = newBorrower(regionCode);
    this.borrowers.push(b);
    return b;
  }

  /**
   * A new borrower of the branch's region applies through `channel`: `build` writes the channel's
   * application from the borrower and the authorization letter they signed `minutesAgo`; it is
   * submitted on the platform's node, routed to the branch and approved there.
   */
  async apply(
    on: { branch: "branchA" | "branchB"; channel: string; applicationNo: string; minutesAgo: number },
    platformShareBps: number,
    build: (borrower: Borrower, authorization: { signedAt: Date; letterSha256: string }) => unknown,
  ): Promise<Approved & { borrower: Borrower }> {
    const borrower = this.borrower(this.manifest.nodes[on.branch].regionCode);
    const letter = authorizationLetter(borrower, on.applicationNo);
    const signedAt = new Date(Date.now() - on.minutesAgo * 60_000);
    const atBranch = await this.submit(
      on.channel,
      build(borrower, { signedAt, letterSha256: letter.sha256 }),
      on.branch,
    );
    const approved = await this.consentQueryApprove(
      on.branch,
      atBranch,
      borrower,
      letter.bytes,
      platformShareBps,
    );
    return { ...approved, borrower };
  }

  /**
   * The platform's clerk submits the application on the platform's own node, which sends it,
   * signed with the platform's chain key, to the union's node; the union credits it to that
   * platform and routes it to the branch's node.
   */
  async submit(channel: string, payload: unknown, expected: NodeName): Promise<Application> {
    const routed = await this.api.platform.post<Application>(`/v1/applications/${channel}`, "clerk", payload);
    const branch = this.manifest.nodes[expected];
    if (routed.assignedBranch !== branch.memberId || routed.forwardedTo === undefined) {
      throw new Error(
        `the union routed the ${channel} application to member ${routed.assignedBranch} (forwarded: ${JSON.stringify(routed.forwardedTo)}), expected ${branch.memberId}`,
      );
    }
    this.log(
      `    ${channel} application → platform's node → union's node (signed by the platform): routed by region to member ${routed.assignedBranch} (${branch.name}), forwarded as ${routed.forwardedTo.applicationId}`,
    );
    return { ...routed, applicationId: routed.forwardedTo.applicationId };
  }

  /**
   * At the branch: consent stored and anchored, credit query, credit decision, the contract drafted,
   * signed by the borrower and sealed by the branch (demo CA), approval registered through the
   * outbox, the contract registered on chain by the branch and endorsed by a joint loan's platform.
   */
  async consentQueryApprove(
    node: NodeName,
    application: Application,
    borrower: Borrower,
    letter: Buffer,
    platformShareBps: number,
  ): Promise<Approved> {
    const api = this.api[node];
    const signedAt = new Date(Date.now() - 60_000);
    const consent = await api.post<{ consent: { leafHash: string } }>("/v1/consents", "clerk", {
      applicationId: application.applicationId,
      letterBase64: letter.toString("base64"),
      signedAt: signedAt.toISOString(),
      validUntil: new Date(signedAt.getTime() + 365 * 86_400_000).toISOString(),
      scope: ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT"],
    });
    const query = await api.post<{ queryLeafHash: string }>("/v1/credit-queries", "approver", {
      applicationId: application.applicationId,
      purpose: "LOAN_APPROVAL",
    });
    this.log(
      `    consent anchored (leaf ${short(consent.consent.leafHash)}), credit query anchored (leaf ${short(query.queryLeafHash)})`,
    );
    // the branch's credit decision (授信决策), recorded and anchored; a referral is answered by the approver
    const decided = await api.post<{ record: { outcome: string; reasons: string[]; decisionId: string } }>(
      "/v1/decisions",
      "approver",
      { applicationId: application.applicationId, monthlyIncomeFen: DEMO_MONTHLY_INCOME_FEN },
    );
    if (decided.record.outcome === "decline")
      throw new Error(
        `the credit decision declined ${application.applicationId}: ${decided.record.reasons.join(", ")}`,
      );
    const decision =
      decided.record.outcome === "approve"
        ? decided.record
        : (
            await api.post<{ record?: { outcome: string; decisionId: string } }>(
              `/v1/decisions/queue/${application.applicationId}`,
              "approver",
              { outcome: "approve" },
            )
          ).record;
    if (decision?.outcome !== "approve")
      throw new Error(`the referred application ${application.applicationId} needs a second approver`);
    this.log(
      `    credit decision: ${decided.record.outcome}${decided.record.outcome === "refer" ? ` (${decided.record.reasons.join(", ")}) → approved by the approver` : ""}, record ${short(decision.decisionId)} anchored`,
    );
    const startDate = await this.chainToday();
    const contract = await signedContract(api, this.manifest.dataDir, node, {
      applicationId: application.applicationId,
      borrower,
      startDate,
      platformShareBps,
    });
    this.log(
      `    contract ${contract.contractNumber} drafted (all-in annual cost ${contract.allInAprBps / 100}%), signed by the borrower and sealed by ${this.manifest.nodes[node].name} (demo CA 演示用): ${contract.file}`,
    );
    const approved = await api.post<Approved>("/v1/loans", "approver", {
      applicationId: application.applicationId,
      contractBase64: Buffer.from(contract.pdf).toString("base64"),
      consentLeafHash: consent.consent.leafHash,
      platformShareBps,
      startDate,
    });
    await api.confirmed(approved.serial);
    this.log(
      `    approved (${platformShareBps === 0 ? "branch funds 100%" : `platform share ${platformShareBps / 100}%`}), both signatures verified, contract anchored, loan ${short(approved.loanId)} registered on chain`,
    );
    const onChain = await contractEndorsed(api, approved.loanId);
    this.log(
      `    contract registered in the EvidenceRegistry by member ${onChain.chain.submitter}${onChain.chain.endorsers.length === 0 ? "" : `, endorsed by member ${onChain.chain.endorsers.join(", ")}`}`,
    );
    return approved;
  }

  #serial(prefix: string): string {
    this.#serialSeq += 1;
    return `${prefix}-${this.runId}-${String(this.#serialSeq).padStart(3, "0")}`;
  }

  async submitFlow(
    node: NodeName,
    loanId: string,
    type: FlowType,
    amount: bigint,
    accountHash?: string,
  ): Promise<Flow> {
    const serial = this.#serial(type === "disbursement" ? "DSB" : type === "repayment" ? "RPY" : "STL");
    const body = {
      serial,
      amountFen: amount.toString(),
      ...(accountHash === undefined ? {} : { accountHash }),
    };
    return this.api[node].post<Flow>(`/v1/loans/${loanId}/${type}s`, "clerk", body);
  }

  /** What settles the loan in full today (the ledger's settlementOwed), as `node` quotes it. */
  async settlementFigure(node: NodeName, loanId: string): Promise<bigint> {
    const quote = await this.api[node].get<{ totalFen: string }>(`/v1/loans/${loanId}/settlement`);
    return BigInt(quote.totalFen);
  }

  /** Wait for the flow on chain, then book it in the member's core-banking books with its value date. */
  async booked(
    node: NodeName,
    loanId: string,
    type: "disbursement" | "repayment",
    flow: Flow,
    amount: bigint,
    borrower: Borrower,
  ): Promise<void> {
    const entry = await this.api[node].confirmed(flow.outbox.serial);
    const day = await this.dayOfBlock(entry.blockNumber!);
    await this.books.book(node, {
      serial: flow.serial,
      loanId,
      type,
      amountFen: amount.toString(),
      valueDate: day,
      accountMasked: maskedAccount(borrower),
    });
    this.#anchoredAbout(loanId, { what: `${type} voucher ${flow.serial} (${node})`, digest: flow.voucher });
    this.bookedDays.set(`${node}:${day}`, { node, day });
  }

  #anchoredAbout(loanId: string, item: { what: string; digest?: string; leafHash?: string }): void {
    const list = this.anchored.get(loanId) ?? [];
    list.push(item);
    this.anchored.set(loanId, list);
  }

  async flow(
    node: NodeName,
    loanId: string,
    type: FlowType,
    amount: bigint,
    borrower: Borrower,
    accountHash?: string,
  ): Promise<void> {
    // an early settlement is money received: the books hold it as a repayment
    await this.booked(
      node,
      loanId,
      type === "disbursement" ? "disbursement" : "repayment",
      await this.submitFlow(node, loanId, type, amount, accountHash),
      amount,
      borrower,
    );
  }

  /** The loan as `node` has indexed it, once it reaches `state`. */
  async loanOn(node: NodeName, loanId: string, state: string): Promise<{ state: string }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const loan = await this.api[node]
        .get<{ state: string }>(`/v1/loans/${loanId}`)
        .catch((error: unknown) => {
          if (error instanceof NodeApiError && error.code === "NODE_ERR_UNKNOWN_LOAN")
            return { state: "not indexed" };
          throw error;
        });
      if (loan.state === state) return loan;
      if (Date.now() > deadline)
        throw new Error(`${node}: loan ${loanId} is ${loan.state}, expected ${state}`);
      await sleep(200);
    }
  }

  // ------------------------------------------------------------------ chain time and indexes

  /**
   * The chain's today, the start day of a loan about to be approved and disbursed: a Shanghai
   * midnight near enough to fall in between is first passed, the clocks moved on a disposable
   * chain whose clock this run moves, waited out (logged) otherwise.
   */
  async chainToday(): Promise<string> {
    const latest = (await this.provider.getBlock("latest"))!.timestamp;
    // an idle chain's latest block may be minutes old: its next one is stamped now
    const now = Math.max(latest, Math.floor(Date.now() / 1000));
    const midnight = (shanghaiDay(now) + 1) * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS;
    const movable = this.manifest.chain.local && this.disposableChain && this.clockFile !== undefined;
    if (midnight - now > (movable ? 900 : 180)) return dayToDate(shanghaiDay(now));
    this.log(
      `    Shanghai midnight is ${midnight - now} s away: ${movable ? "the clocks moved to it" : "waiting until just after it"}`,
    );
    if (movable) await this.travelTo(shanghaiDay(midnight), 0);
    else await sleep((midnight - now + 5) * 1000);
    return this.chainToday();
  }

  async dayOfBlock(blockNumber: number): Promise<string> {
    const block = await this.provider.getBlock(blockNumber);
    return dayToDate(shanghaiDay(block!.timestamp));
  }

  /**
   * Move the local chain's clock to `hour`:00 Beijing time of Shanghai day `day` (never
   * backwards), and this process's and the consortium's clocks with it (clock.ts). Each move
   * waits until the anchor service has anchored everything it received: anchored afterwards, a
   * record would be stamped days after its receipt.
   */
  async travelTo(day: number, hour: number): Promise<void> {
    const target = day * 86_400 - 8 * 3600 + hour * 3600;
    const now = (await this.provider.getBlock("latest"))!.timestamp;
    if (target > now) {
      await this.allAnchored();
      this.#clockMovedAt ??= target;
      await this.provider.send("evm_increaseTime", [target - now]);
    }
    await this.provider.send("evm_mine", []);
    if (this.clockFile === undefined) return;
    const mined = (await this.provider.getBlock("latest"))!.timestamp;
    moveClock(this.clockFile, mined * 1000 - wallNow());
    // the services pick the new offset up within a poll or two
    await sleep(3 * CLOCK_POLL_MS);
  }

  /** Until the anchor service reports nothing waiting to be anchored. */
  async allAnchored(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await getJson<{ ready?: boolean; pendingLeaves?: number }>(
        `${this.manifest.anchor.url.replace(/\/$/, "")}/readyz`,
      );
      if (ready?.ready === true && ready.pendingLeaves === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `the anchor service still had ${ready?.pendingLeaves ?? "an unknown number of"} records to anchor after ${timeoutMs} ms`,
        );
      await sleep(200);
    }
  }

  /** Until each node's index has committed `block`. */
  async waitIndexed(nodes: readonly NodeName[], block: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const node of nodes) {
      for (;;) {
        const ready = await fetch(`${this.manifest.nodes[node].url}/readyz`)
          .then((r) => r.json() as Promise<Readyz>)
          .catch(() => undefined);
        if ((ready?.detail?.indexer?.cursorBlock ?? -1) >= block) break;
        if (Date.now() > deadline)
          throw new Error(`${node}'s index did not reach block ${block} within ${timeoutMs} ms`);
        await sleep(150);
      }
    }
  }

  // ------------------------------------------------------------------ checks

  /** Each funder's books of each day this run booked flows on, reconciled on its own node. */
  async reconcile(): Promise<DemoResult["reconciliations"]> {
    const out: DemoResult["reconciliations"] = [];
    for (const { node, day } of this.bookedDays.values()) {
      const { csv, rows } = await this.books.dayCsv(node, day);
      const report = await this.api[node].postCsv<{
        matched: number;
        balanced: boolean;
        missingOnChain: unknown[];
        missingInBooks: unknown[];
        amountMismatch: unknown[];
      }>(`/v1/reconciliations?day=${day}`, "clerk", csv);
      out.push({ node, day, rows, matched: report.matched, balanced: report.balanced });
      this.log(
        `    对账 ${node} ${day}: ${rows} book rows, ${report.matched} matched, ${report.missingOnChain.length} missing on chain, ${report.missingInBooks.length} missing in books, ${report.amountMismatch.length} amount mismatches → ${report.balanced ? "balanced" : "DIFFERENCES"}`,
      );
    }
    return out;
  }

  /** Every node's index digest against the others' and the one computed from the chain's events. */
  async compareDigests(head: number): Promise<DemoResult["digests"]> {
    const nodes = {} as DemoResult["digests"]["nodes"];
    for (const node of NODE_NAMES) {
      const d = await this.api[node].get<{
        digest: string;
        loans: number;
        flows: number;
        cursor: { blockNumber: number };
      }>("/v1/index/digest");
      nodes[node] = { digest: d.digest, loans: d.loans, flows: d.flows, cursor: d.cursor.blockNumber };
    }
    const chain = await chainLedgerDigest(
      this.provider,
      this.manifest.contracts.jointLoanLedger,
      this.manifest.contracts.deployBlock,
      { toBlock: head, followHead: true },
    );
    const agree = NODE_NAMES.every(
      (n) =>
        nodes[n].digest === chain.digest && nodes[n].loans === chain.loans && nodes[n].flows === chain.flows,
    );
    this.log(
      `    chain (events to block ${head}): ${chain.loans} loans, ${chain.flows} fund flows, digest ${short(chain.digest)}`,
    );
    for (const n of NODE_NAMES)
      this.log(
        `    ${n.padEnd(8)} index at block ${nodes[n].cursor}: ${nodes[n].loans} loans, ${nodes[n].flows} flows, digest ${short(nodes[n].digest)} ${nodes[n].digest === chain.digest ? "= chain" : "≠ chain"}`,
      );
    return {
      chain: { digest: chain.digest, loans: chain.loans, flows: chain.flows, toBlock: head },
      nodes,
      agree,
    };
  }

  /**
   * The loan's evidence in the union's log: contract, consent, every voucher (found by digest)
   * and the ruling, each with its bundle and verification-page links once anchored on chain.
   */
  async evidenceLinks(loanId: string): Promise<DemoResult["evidence"]> {
    const anchor = this.manifest.anchor.url.replace(/\/$/, "");
    const loan = await this.api.union.get<{ evidence: { contractLeaf: string; consentLeaf: string } }>(
      `/v1/loans/${loanId}`,
    );
    const items = [
      { what: "loan contract", leafHash: loan.evidence.contractLeaf },
      { what: "borrower consent", leafHash: loan.evidence.consentLeaf },
    ];
    for (const a of this.anchored.get(loanId) ?? []) {
      if (a.leafHash !== undefined) items.push({ what: a.what, leafHash: a.leafHash });
      else {
        const found = await getJson<{ leaves?: Array<{ leafHash: string }> }>(
          `${anchor}/v1/digests/${a.digest}`,
        );
        if (found?.leaves?.[0] !== undefined)
          items.push({ what: a.what, leafHash: found.leaves[0].leafHash });
      }
    }
    // the committer puts new leaves on chain every few seconds: give it a little time
    const deadline = Date.now() + 30_000;
    let statuses: string[] = [];
    for (;;) {
      statuses = await Promise.all(
        items.map(
          async (i) =>
            (await getJson<{ status?: string }>(`${anchor}/v1/leaves/${i.leafHash}`))?.status ?? "unknown",
        ),
      );
      if (statuses.every((s) => s === "anchored") || Date.now() > deadline) break;
      await sleep(500);
    }
    const links = items.map((i, n) => ({
      ...i,
      status: statuses[n]!,
      bundleUrl: `${anchor}/v1/bundles/${i.leafHash}`,
      verifyUrl: `${this.manifest.anchor.verifyPageUrl}?leaf=${i.leafHash}`,
    }));
    return { loanId, links };
  }
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

function yuan(fen: bigint): string {
  return `${fen / 100n}.${(fen % 100n).toString().padStart(2, "0")}`;
}

function short(hex: string): string {
  return `${hex.slice(0, 10)}…`;
}
