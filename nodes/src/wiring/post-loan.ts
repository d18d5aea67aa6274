// The rooms after disbursement: notices to borrowers (gateway, contact window and cap, evidence),
// mediation, the keeper (overdue reminders and escalation, mediation cases, expiry) and cases
// (arbitration, the court's document fetch, ruling, closing).
import { VoidSigner } from "ethers";
import type { Logger } from "pino";
import { DisputeResolution } from "../../../common/chain/generated/contracts.ts";
import { openBureauSublevels, queryWithConsent, type CreditQueryDeps } from "../bureau/consent.ts";
import {
  SECONDS_PER_DAY,
  SHANGHAI_OFFSET_SECONDS,
  dayToDate,
  shanghaiDay,
} from "../../../common/lending/dates.ts";
import type { NodeMetrics } from "../metrics.ts";
import { postLoanBatchMetrics } from "../post-loan/metrics.ts";
import { CaseOperations, outboxEscalator, outboxExpirer } from "../cases.ts";
import { creditRecordsOf, unionPostLoanAsksOf } from "../court-package/credit-records.ts";
import type { UnionCreditDeps } from "../credit-service/union-credit.ts";
import { DecisionRecords } from "../credit-decision/records.ts";
import { documentSublevels } from "../documents/keys.ts";
import { registrationEntry } from "../e-contract/endorsements.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import type { LoanContracts } from "../e-contract/contracts.ts";
import { COURT, UNION } from "../members.ts";
import type { NodeRequests, SignedHeaders } from "../node-requests.ts";
import { Keeper } from "../keeper/keeper.ts";
import { MediationError, isCodedError } from "../errors.ts";
import { caseHolderMediation, keeperStepPath } from "../mediation/holder.ts";
import { MediationService } from "../mediation/mediation.ts";
import { type NotificationGateway, SimulatedGateway } from "../notices/gateway.ts";
import { NoticeService } from "../notices/notices.ts";
import { PostLoanBatch, type CreditRequery } from "../post-loan/batch.ts";
import { type EnforcementList, SimulatedEnforcementList } from "../post-loan/enforcement.ts";
import type { ChainWriters, NodeChain } from "./chain.ts";
import type { NodeServiceOptions } from "./options.ts";
import type { NodeStorage, SharedStores } from "./storage.ts";

export type PostLoanRooms = ReturnType<typeof postLoanRooms>;

export function postLoanRooms(
  options: NodeServiceOptions,
  parts: {
    storage: NodeStorage;
    chain: NodeChain;
    writers: ChainWriters;
    stores: SharedStores;
    log: Logger;
    /** Signed-agreement verification, as a contract's (absent: no trust anchors; agreements refused). */
    eContracts?: LoanContracts | undefined;
    /** The SMS / app gateway (absent: the simulator, which delivers nothing). */
    gateway?: NotificationGateway;
    /** The node's signed-request checker (the court's evidence-set requests). */
    requests?: NodeRequests;
    /** The courts' enforcement lists (absent: the simulator, which lists nobody). */
    enforcement?: EnforcementList;
    /** The credit room's query dependencies: the batch's post-loan re-queries (absent: none). */
    creditDeps?: CreditQueryDeps;
    /** The node's metrics registry: the batch's runs counted there. */
    metrics?: NodeMetrics;
  },
) {
  const { config } = options;
  const { storage, chain, writers, log, eContracts } = parts;
  const { model } = writers.indexer;
  // The post-loan rooms' clock: the later of the node's and the chain's latest block (read before
  // each keeper round). Days past due are the ledger's, by block time; a chain whose time runs
  // ahead of this machine (a test or demo chain moved forward) is contacted by its own daytime.
  let chainTime = 0;
  const now = () => Math.max(chainTime, Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
  const readChainTime = async () => {
    chainTime = Math.max(chainTime, (await chain.provider.getBlock("latest"))?.timestamp ?? 0);
  };
  const notices = new NoticeService({
    gateway: parts.gateway ?? new SimulatedGateway({ now }),
    anchor: chain.anchorRecords,
    notices: storage.sublevel("notices"),
    contacts: storage.sublevel("noticeContacts"),
    now,
    log,
  });
  // this node holds the mediation cases of the loans it is the branch of; the union's keeper takes
  // its steps on the others' at their branches' nodes (mediation/holder.ts)
  const mediation = new MediationService({
    memberId: config.memberId,
    ...(parts.requests === undefined
      ? {}
      : { verifyKeeperRequest: (headers: SignedHeaders) => parts.requests!.verify(headers, UNION) }),
    beforeStep: readChainTime,
    ledger: chain.ledger,
    model,
    cases: storage.sublevel("mediation"),
    notices,
    anchor: chain.anchorRecords,
    verifyAgreement: (pdf) => {
      if (eContracts === undefined)
        throw new MediationError(
          "NODE_ERR_MEDIATION_SIGNING_OFF",
          "this node verifies no signed documents (NODE_CONTRACT_TRUST_ANCHOR_FILES is not set)",
        );
      return eContracts.verify(pdf);
    },
    // the signed agreement's leaf, registered against the loan as the contract's is
    registerLeaf: async (loanId, leafHash) =>
      (await writers.outbox.enqueue(registrationEntry(loanId, leafHash, await chain.anchor.bundle(leafHash))))
        .serial,
    // the accepted plan as the loan's schedule on chain, sent after the registration it relies on;
    // only the loan's own branch may (DisputeResolution.adoptSettlement), with the leaf it anchored
    adoptPlan: async ({ loanId, branch, leafHash, leaf, startDay, installments }) =>
      config.memberKind !== "branch" || branch !== config.memberId
        ? undefined
        : (
            await writers.outbox.enqueue({
              serial: `settlement-adopt:${leafHash}`,
              kind: "adoptSettlement",
              args: { loanId, leaf, startDay, installments },
            })
          ).serial,
    now,
  });
  // any node may run the keeper: it previews escalate as this member and writes through the outbox
  const keeper = new Keeper({
    model,
    ledger: chain.ledger,
    disputes: DisputeResolution.at(
      config.disputeResolution,
      new VoidSigner(storage.wallet.address, chain.provider),
    ),
    escalate: outboxEscalator(writers.outbox, chain.ledger),
    expire: outboxExpirer(writers.outbox),
    reminders: storage.sublevel("reminders"),
    notices,
    mediation: caseHolderMediation({
      memberId: config.memberId,
      branchOf: async (loanId) => Number((await chain.ledger.loan(loanId)).branch),
      local: mediation,
      atBranch: async (branch, loanId, step) =>
        (
          await chain.peers.call<{ answer: boolean }>(branch, "POST", keeperStepPath(loanId), {
            step,
          })
        ).answer,
      log,
    }),
    now,
    beforeRound: readChainTime,
    log,
  });
  // the nightly batch: a branch watches its own loans, the union every active loan
  const batch = new PostLoanBatch({
    ...(config.memberKind === "union" ? {} : { branch: config.memberId }),
    model,
    daysPastDue: async (loanId) => Number((await chain.ledger.overdue(loanId))[0]),
    enforcement: parts.enforcement ?? new SimulatedEnforcementList(),
    store: storage.sublevel("postLoan"),
    ...(parts.creditDeps === undefined ? {} : { creditReport: postLoanCreditReport(parts.creditDeps) }),
    ...(parts.metrics === undefined ? {} : { onFinished: postLoanBatchMetrics(parts.metrics.registry) }),
    now,
  });
  const cases = new CaseOperations({
    memberId: config.memberId,
    memberKind: config.memberKind,
    documents: parts.stores.documents,
    outbox: writers.outbox,
    model,
    ledger: chain.ledger,
    disputes: chain.disputes,
    registry: chain.registry,
    anchor: chain.anchorRecords,
    peers: chain.peers,
    keeper,
    notices,
    mediation,
    batch,
    ...(parts.requests === undefined
      ? {}
      : { verifyCourtRequest: (headers: SignedHeaders) => parts.requests!.verify(headers, COURT) }),
    bundle: (leafHash) => chain.anchor.bundle(leafHash),
    leavesOfDigest: async (digest) => {
      // the anchor service's digest index (GET /v1/digests/:digest), this member's leaves only
      const reply = await fetch(new URL(`/v1/digests/${digest}`, config.anchorUrl));
      if (!reply.ok) return [];
      const { leaves } = (await reply.json()) as { leaves: Array<{ leafHash: string; submitter: number }> };
      return leaves.filter((l) => l.submitter === config.memberId).map((l) => l.leafHash);
    },
    documentByDigest: (sha256) => documentByDigest(storage, parts.stores.documents, config.memberId, sha256),
    creditRecords: loanCreditRecords(storage, parts.stores, chain),
    ...(config.memberKind === "union" ? { unionAsks: unionPostLoanAsks(storage) } : {}),
    unionId: async () => (await chain.members.active()).union,
  });
  return { keeper, cases, notices, mediation, batch };
}

const CONSENT_REFUSALS = new Set([
  "NODE_ERR_CONSENT_REQUIRED",
  "NODE_ERR_CONSENT_EXPIRED",
  "NODE_ERR_CONSENT_SCOPE",
]);

/**
 * The batch's post-loan credit re-query: the node's consented query (through the union's node
 * where the branch is configured so), purpose POST_LOAN_MANAGEMENT, logged and anchored like any
 * other; a borrower whose consent in force does not cover it is out of scope, and nothing is asked.
 */
function postLoanCreditReport(deps: CreditQueryDeps) {
  return async (borrowerKey: string): Promise<CreditRequery> => {
    try {
      const { report } = await queryWithConsent(
        { borrowerKey, purpose: "POST_LOAN_MANAGEMENT", operator: "post-loan-batch" },
        deps,
      );
      return report;
    } catch (error) {
      if (isCodedError(error) && CONSENT_REFUSALS.has(error.code)) return "out-of-scope";
      throw error;
    }
  };
}

/** The union's logs of a branch's post-loan re-queries (read only here: the union's credit service writes them). */
function unionPostLoanAsks(storage: NodeStorage) {
  const logs: UnionCreditDeps["logs"] = storage.sublevel("creditServiceLogs");
  return unionPostLoanAsksOf((borrowerKey) =>
    logs.values({ gt: `${borrowerKey.toLowerCase()}!`, lt: `${borrowerKey.toLowerCase()}!~` }).all(),
  );
}

/**
 * Runs the post-loan batch each night at `config.postLoanBatchHour` Asia/Shanghai (the run id is
 * that night's date, so a restart the same night resumes the run); returns its stop. Unset: the
 * batch runs on request only.
 */
export function scheduleBatch(options: NodeServiceOptions, batch: PostLoanBatch, log: Logger): () => void {
  const hour = options.config.postLoanBatchHour;
  if (hour === undefined) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const now = Math.floor(Date.now() / 1000);
    const wait = secondsUntilShanghaiHour(now, hour);
    timer = setTimeout(() => {
      const runId = dayToDate(shanghaiDay(Math.floor(Date.now() / 1000)));
      batch
        .run(runId)
        .then((run) =>
          log.info({ runId, scanned: run.scanned, warnings: run.warnings }, "post-loan batch finished"),
        )
        .catch((error) =>
          log.warn(
            { runId, err: (error as Error).message },
            "post-loan batch failed; resumed on the next run",
          ),
        )
        .finally(arm);
    }, wait * 1000);
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/** Seconds from `now` (Unix) to the next `hour`:00 Asia/Shanghai (a whole day when it is that moment). */
export function secondsUntilShanghaiHour(now: number, hour: number): number {
  const sinceMidnight = (now + SHANGHAI_OFFSET_SECONDS) % SECONDS_PER_DAY;
  const wait = (hour * 3600 - sinceMidnight + SECONDS_PER_DAY) % SECONDS_PER_DAY;
  return wait === 0 ? SECONDS_PER_DAY : wait;
}

/** Runs a keeper round every interval (the union's node hourly by default; others only when configured); returns its stop. */
export function scheduleKeeper(options: NodeServiceOptions, keeper: Keeper, log: Logger): () => void {
  const { config } = options;
  const interval = config.keeperIntervalMs ?? (config.memberKind === "union" ? 3_600_000 : 0);
  if (interval <= 0) return () => {};
  const round = () =>
    keeper
      .runOnce()
      .catch((error) =>
        log.warn({ err: (error as Error).message }, "keeper round failed; retried next interval"),
      );
  const timer = setInterval(round, interval);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The application a loan was approved from (the contract's filing names it), its decision records
 * and the credit queries they were made on, read from the stores the credit rooms write.
 */
function loanCreditRecords(storage: NodeStorage, stores: SharedStores, chain: NodeChain) {
  // read only here: the credit room's DecisionRecords writes these sublevels
  const decisions = new DecisionRecords(storage.sublevel("creditDecisions"), chain.anchorRecords);
  const { queryLogs } = openBureauSublevels(storage.root);
  return creditRecordsOf({
    applicationOfLoan: async (loanId) => {
      for await (const value of documentSublevels(storage.root).records.values()) {
        const record = value as { kind: string; loanId?: string; meta?: { applicationId?: unknown } };
        if (record.kind === "contract" && record.loanId?.toLowerCase() === loanId.toLowerCase())
          if (typeof record.meta?.applicationId === "string") return record.meta.applicationId;
      }
      return undefined;
    },
    application: async (recordId) => {
      const stored = await stores.applications.get(recordId);
      return {
        applicationId: stored.application.applicationId,
        originator: stored.application.platformMemberId,
        borrowerKey: stored.borrowerKey,
      };
    },
    decisions: (recordId) => decisions.forApplication(recordId),
    queryLogs: (borrowerKey) =>
      queryLogs.values({ gt: `${borrowerKey.toLowerCase()}!`, lt: `${borrowerKey.toLowerCase()}!~` }).all(),
  });
}

/**
 * An original this member holds that is filed under no loan (the borrower's consent letter), by
 * its SHA-256: a scan of the document records, read through the store (access logged).
 */
async function documentByDigest(
  storage: NodeStorage,
  documents: DocumentStore,
  memberId: number,
  sha256: string,
): Promise<Uint8Array | undefined> {
  for await (const value of documentSublevels(storage.root).records.values()) {
    const record = value as { documentId: string; sha256: string; owner: number };
    if (record.sha256.toLowerCase() !== sha256.toLowerCase() || record.owner !== memberId) continue;
    return documents.get(record.documentId, {
      actor: { userId: "court-package", role: "admin", memberId },
      purpose: "the evidence set of a loan in a case assigned to a court",
    });
  }
  return undefined;
}
