// Wires an institution node from its pieces, each in wiring/ (one file per concern):
//   storage.ts    the LevelDB (sublevels by catalogue name), the data key, the chain key, shared stores
//   chain.ts      provider and contracts, anchor service, peers; the indexer, the outbox and its sender
//   credit.ts     consent and the bureau, the union's credit-query service and objections, credit decisions
//   lending.ts    the core rooms (operations.ts), e-contracts, income split, prepayments, mandates, limits
//   post-loan.ts  the keeper and cases
// and, here, the HTTP API over the rooms and the node's start and close. server.ts and the tests
// start nodes through here.
import pino from "pino";
import { buildNodeApp } from "./http/app.ts";
import { createNodeMetrics } from "./metrics.ts";
import { PII_LOG_OPTIONS } from "./privacy/mask.ts";
import { anchorHealthz, createReadiness } from "./readiness.ts";
import { chainReadModelAndWriters, connectChain } from "./wiring/chain.ts";
import { creditRooms } from "./wiring/credit.ts";
import { lendingRooms } from "./wiring/lending.ts";
import type { NodeServiceOptions } from "./wiring/options.ts";
import { postLoanRooms, scheduleKeeper } from "./wiring/post-loan.ts";
import { openSharedStores, openStorage } from "./wiring/storage.ts";
import { openWitness } from "./witness/wiring.ts";
import { openStaffRoom } from "./staff/room.ts";

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
  const { keeper, cases, notices } = postLoanRooms(options, {
    ...parts,
    eContracts: lending.eContracts,
    requests: lending.ops.requests,
  });
  // the credit report's negative-data pre-notices go out through the post-loan notice service
  lending.ops.reporting.deps.notices = notices;
  // the court's and the union's nodes witness the evidence log (C2SP tlog-witness; witness/)
  const witness = await openWitness(config, storage, log);

  // /readyz: the chain (still the one started on), the index's lag, the outbox's backlog, the anchor service
  const genesis = await chain.provider.getBlock(0);
  const readiness = createReadiness(
    {
      chainId: async () => BigInt((await chain.provider.send("eth_chainId", [])) as string),
      genesisHash: async () => (await chain.provider.getBlock(0))?.hash ?? "none",
      indexer: () => {
        const status = indexer.status();
        return { cursorBlock: status.cursor?.blockNumber, head: status.head, lastError: status.lastError };
      },
      outboxBacklog: async () => {
        const counts = await outbox.counts();
        return counts.queued + counts.sent;
      },
      anchorHealthy: () => anchorHealthz(config.anchorUrl),
    },
    { chainId: chain.chainId, ...(genesis?.hash == null ? {} : { genesisHash: genesis.hash }) },
  );

  const app = await buildNodeApp({
    logger,
    memberId: config.memberId,
    users: staff.directory.users,
    staff,
    ops: lending.ops,
    cases,
    mandates: lending.mandates,
    branchLimits: lending.branchLimits,
    receiving: stores.receiving,
    incomeSplit: lending.incomeSplit,
    prepayments: lending.prepayments,
    decisions: credit.decisions,
    ...(credit.creditService === undefined ? {} : { creditService: credit.creditService }),
    ...(lending.eContracts === undefined ? {} : { eContracts: lending.eContracts }),
    contractEndorsements: lending.contractEndorsements,
    ...(credit.unionObjections === undefined ? {} : { unionObjections: credit.unionObjections }),
    ...(credit.branchObjections === undefined ? {} : { branchObjections: credit.branchObjections }),
    limits: { maxBodyBytes: config.maxBodyBytes, reconcileMaxBodyBytes: config.reconcileMaxBodyBytes },
    opsAccess: { token: config.metricsToken, allowedAddresses: config.metricsAllowedAddresses },
    ready: () => readiness.check(),
    ...(witness === undefined ? {} : { witness }),
    metrics,
    metricSources: { outboxCounts: () => outbox.counts(), indexerStatus: () => indexer.status() },
  });

  let stopKeeper = () => {};
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
      stopKeeper = scheduleKeeper(options, keeper, log);
    },
    async close(): Promise<void> {
      stopKeeper();
      await lending.contractEndorsements.stop();
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
