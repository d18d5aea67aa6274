// Wires an institution node from its pieces, each in wiring/ (one file per concern):
//   options.ts    what a node is started with
//   storage.ts    the LevelDB (sublevels by catalogue name), the data key, the chain key, shared stores
//   chain.ts      provider and contracts, anchor service, peers; the indexer, the outbox and its sender
//   credit.ts     consent and the bureau, the union's credit-query service and objections, credit decisions
//   lending.ts    the core rooms (operations.ts), e-contracts, income split, prepayments, mandates, limits,
//                 daily batch files
//   post-loan.ts  after disbursement: the keeper, notices, cases
// with the staff directory (staff/room.ts) and the witness (witness/wiring.ts) beside them; and,
// here, readiness, the HTTP API over the rooms and the node's start and close. server.ts and the
// tests start nodes through here.
import pino, { type Logger } from "pino";
import type { CaseOperations } from "./cases.ts";
import type { NodeConfig } from "./config.ts";
import { buildNodeApp } from "./http/app.ts";
import { createNodeMetrics, type NodeMetrics } from "./metrics.ts";
import { PII_LOG_OPTIONS } from "./privacy/mask.ts";
import {
  createReadiness,
  DEFAULT_READINESS_LIMITS,
  nodeReadinessProbes,
  type ReadinessLimits,
} from "./readiness.ts";
import { chainReadModelAndWriters, connectChain, type ChainWriters, type NodeChain } from "./wiring/chain.ts";
import { creditRooms, type CreditRooms } from "./wiring/credit.ts";
import { lendingRooms, type LendingRooms } from "./wiring/lending.ts";
import type { NodeServiceOptions } from "./wiring/options.ts";
import { backupDataDir } from "../../common/level-backup.ts";
import type { LevelRoot } from "../../common/level.ts";
import type { NodeDeps } from "./http/deps.ts";
import { postLoanRooms, scheduleBatch, scheduleKeeper } from "./wiring/post-loan.ts";
import { openSharedStores, openStorage, type SharedStores } from "./wiring/storage.ts";
import { openWitness } from "./witness/wiring.ts";
import { openStaffRoom } from "./staff/room.ts";
import { openCourtPage } from "./court-page/wiring.ts";
import { consortiumView, type ConsortiumView } from "./member-names.ts";

export type { NodeServiceOptions } from "./wiring/options.ts";

export type NodeService = Awaited<ReturnType<typeof createNodeService>>;

/** How often query logs whose anchoring failed are anchored again (credit-service/pending.ts). */
const PENDING_ANCHORING_INTERVAL_MS = 10_000;

export async function createNodeService(options: NodeServiceOptions) {
  const { config } = options;
  const logger =
    options.logger === undefined ? pino({ level: config.logLevel, ...PII_LOG_OPTIONS }) : options.logger;
  const log = logger === false ? pino({ level: "silent" }) : logger;
  // the node's Prometheus metrics: the bureau client's events as they happen, the outbox and the index before each scrape
  const metrics = createNodeMetrics({ defaultMetrics: true });

  const storage = await openStorage(options);
  const chain = await connectChain(config, storage.wallet);
  const writers = await chainReadModelAndWriters(options, storage, chain, log);
  const { indexer, outbox, sender, governance } = writers;
  const stores = await openSharedStores(storage, indexer.model);
  const staff = await openStaffRoom(config, options.inMemory === true, stores.applications);
  const parts = { storage, chain, writers, stores, model: indexer.model, log, metrics };
  const credit = creditRooms(options, parts);
  const lending = await lendingRooms(options, { ...parts, credit });
  const { keeper, cases, notices, batch } = postLoanRooms(options, {
    ...parts,
    creditDeps: credit.creditDeps,
    eContracts: lending.eContracts,
    requests: lending.ops.requests,
  });
  // the credit report's negative-data pre-notices go out through the post-loan notice service
  lending.ops.reporting.deps.notices = notices;
  // the court's and the union's nodes witness the evidence log (C2SP tlog-witness; witness/)
  const witness = await openWitness(config, storage, log);
  // the court verification page, its chain checks run in the clerk's browser (court-page/)
  const courtPage = await openCourtPage(config, chain.provider, storage);
  // the court's package check runs its chain checks against this node's chain too
  cases.deps.packageChain = courtPage.packageChain;

  const readiness = await nodeReadiness(config, chain, writers, options.readinessLimits);

  const app = await nodeApp(logger, options, {
    staff,
    stores,
    writers,
    credit,
    lending,
    cases,
    witness,
    courtPage,
    metrics,
    ready: () => readiness.check(),
    backup: nodeBackup(options, storage.root),
    // the console's test-environment banner and member names
    consortium: consortiumView({
      chainId: chain.chainId,
      testChainIds: config.testChainIds,
      directoryFile: config.memberDirectoryFile,
      provider: chain.provider,
      consortiumRegistry: config.consortiumRegistry,
    }),
  });

  let stopKeeper = () => {};
  let stopBatch = () => {};
  return {
    app,
    root: storage.root,
    ops: lending.ops,
    creditService: credit.creditService,
    cases,
    indexer,
    outbox,
    sender,
    documents: stores.documents,
    anchor: chain.anchor,
    wallet: storage.wallet,
    keeper,
    contractEndorsements: lending.contractEndorsements,
    pendingAnchoring: credit.pendingAnchoring,
    async start(): Promise<void> {
      indexer.start();
      sender.start();
      credit.pendingAnchoring.start(PENDING_ANCHORING_INTERVAL_MS);
      lending.contractEndorsements.start(1_000, (error) =>
        log.warn(
          { err: (error as Error).message },
          "contract endorsement pass failed; retried next interval",
        ),
      );
      governance?.sender.start();
      // daily batch files whose rows were not all taken before a restart carry on
      lending.batchFiles
        .resume()
        .catch((error) => log.warn({ err: (error as Error).message }, "daily batch files not resumed"));
      stopKeeper = scheduleKeeper(options, keeper, log);
      stopBatch = scheduleBatch(options, batch, log);
    },
    async close(): Promise<void> {
      stopKeeper();
      stopBatch();
      await lending.contractEndorsements.stop();
      await lending.batchFiles.stop();
      await credit.pendingAnchoring.stop();
      await app.close();
      await staff.close();
      await sender.stop();
      await governance?.sender.stop();
      await indexer.stop();
      chain.provider.destroy();
      await storage.root.close();
    },
  };
}

/** The chain (still the one started on), the index's lag, the outbox's backlog, the anchor service: what /readyz checks. */
async function nodeReadiness(
  config: NodeConfig,
  chain: NodeChain,
  writers: ChainWriters,
  limits: ReadinessLimits = DEFAULT_READINESS_LIMITS,
) {
  const genesis = await chain.provider.getBlock(0);
  return createReadiness(
    nodeReadinessProbes({
      provider: chain.provider,
      indexer: writers.indexer,
      outbox: writers.outbox,
      anchorUrl: config.anchorUrl,
    }),
    { chainId: chain.chainId, ...(genesis?.hash == null ? {} : { genesisHash: genesis.hash }) },
    limits,
  );
}

/** POST /ops/backups with NODE_BACKUP_DIR: the LevelDB in <dataDir>/node from one snapshot, the staff files beside it. */
function nodeBackup(options: NodeServiceOptions, root: LevelRoot): NodeDeps["backup"] {
  const { backupDir } = options;
  if (backupDir === undefined) return undefined;
  const dataDir = options.config.dataDir;
  return { dir: backupDir, run: (target) => backupDataDir({ db: root, dataDir, levelPath: "node", target }) };
}

/** The HTTP API over the rooms (http/app.ts), not listening. */
async function nodeApp(
  logger: Logger | false,
  options: NodeServiceOptions,
  rooms: {
    staff: Awaited<ReturnType<typeof openStaffRoom>>;
    stores: SharedStores;
    writers: ChainWriters;
    credit: CreditRooms;
    lending: LendingRooms;
    cases: CaseOperations;
    witness: Awaited<ReturnType<typeof openWitness>>;
    courtPage: Awaited<ReturnType<typeof openCourtPage>>;
    metrics: NodeMetrics;
    ready: () => ReturnType<ReturnType<typeof createReadiness>["check"]>;
    consortium: ConsortiumView;
    backup: NodeDeps["backup"];
  },
) {
  const { config } = options;
  return buildNodeApp({
    logger,
    memberId: config.memberId,
    users: rooms.staff.directory.users,
    staff: rooms.staff,
    ops: rooms.lending.ops,
    cases: rooms.cases,
    mandates: rooms.lending.mandates,
    branchLimits: rooms.lending.branchLimits,
    receiving: rooms.stores.receiving,
    incomeSplit: rooms.lending.incomeSplit,
    prepayments: rooms.lending.prepayments,
    decisions: rooms.credit.decisions,
    ...(rooms.credit.creditService === undefined ? {} : { creditService: rooms.credit.creditService }),
    ...(rooms.lending.eContracts === undefined ? {} : { eContracts: rooms.lending.eContracts }),
    contractEndorsements: rooms.lending.contractEndorsements,
    batchFiles: rooms.lending.batchFiles,
    ...(rooms.credit.unionObjections === undefined ? {} : { unionObjections: rooms.credit.unionObjections }),
    ...(rooms.credit.branchObjections === undefined
      ? {}
      : { branchObjections: rooms.credit.branchObjections }),
    limits: { maxBodyBytes: config.maxBodyBytes, reconcileMaxBodyBytes: config.reconcileMaxBodyBytes },
    https: options.tls,
    ...(rooms.backup === undefined ? {} : { backup: rooms.backup }),
    opsAccess: { token: config.metricsToken, allowedAddresses: config.metricsAllowedAddresses },
    ready: rooms.ready,
    ...(rooms.witness === undefined ? {} : { witness: rooms.witness }),
    courtPage: rooms.courtPage.page,
    verificationReports: rooms.courtPage.reports,
    consortium: rooms.consortium,
    metrics: rooms.metrics,
    metricSources: {
      outboxCounts: () => rooms.writers.outbox.counts(),
      indexerStatus: () => rooms.writers.indexer.status(),
    },
  });
}
