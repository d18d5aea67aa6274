// Wires the anchor service together: storage, Merkle log, chain client, intake, committer,
// queries and the HTTP app. server.ts (production) and the tests both start it through here.
import type { JsonRpcApiProvider } from "ethers";
import type { Logger } from "pino";
import pino from "pino";
import type { ReceiptDomain } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain } from "../../common/formats/receipt/receipts.ts";
import type { RequestDomain } from "../../common/auth/request-signing.ts";
import { requestDomain } from "../../common/auth/request-signing.ts";
import { buildApp, type AppDeps } from "./app.ts";
import type { ChainIdentity } from "./chain/evidence-log-client.ts";
import { EvidenceLogClient } from "./chain/evidence-log-client.ts";
import { Committer } from "./committer/committer.ts";
import type { Config } from "./config.ts";
import { publicUrlOf } from "./config.ts";
import { EvidenceQueries } from "./evidence/queries.ts";
import { CryptoPool } from "./intake/crypto-pool.ts";
import { submissionDomain, type SubmissionDomain } from "../../common/formats/receipt/submission.ts";
import { Intake } from "./intake/intake.ts";
import { IntakeQuotas, quotaLimits, type QuotaLimits } from "./intake/quota.ts";
import { MerkleStore } from "./log/merkle-store.ts";
import { createMetrics, type AnchorMetrics } from "./metrics.ts";
import { openDb, type AnchorDb } from "./store/db.ts";
import { DigestIndex } from "./store/digests.ts";
import { HeadsCache } from "./store/heads-cache.ts";
import { LeafFilter } from "./store/leaf-filter.ts";
import { RecordStore } from "./store/records.ts";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { HeadStamper } from "./tsa/stamper.ts";
import { TsaExchangeWorker } from "./tsa/exchange-worker.ts";
import { createC2sp } from "./c2sp/service.ts";
import { fromHex, toHex } from "../../common/bytes.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import type { ServerTls } from "../../common/service/tls.ts";
import { backupDataDir } from "../../common/level-backup.ts";

export type ServiceOptions = {
  config: Config;
  /** null: an in-memory database (tests); otherwise config.dataDir. */
  inMemory?: boolean;
  provider?: JsonRpcApiProvider;
  logger?: Logger | false;
  /** Unix seconds; tests move the clock. */
  now?: () => number;
  defaultMetrics?: boolean;
  /** Serve HTTPS with this certificate and key (ANCHOR_TLS_*, common/service/tls.ts); absent: HTTP. */
  tls?: ServerTls;
  /** Where POST /ops/backups writes online backups of the data directory (ANCHOR_BACKUP_DIR); absent: none over HTTP. */
  backupDir?: string;
};

export type AnchorService = Awaited<ReturnType<typeof createAnchorService>>;

/** The lowest Merkle level the service stores (see MerkleStore). */
export const MERKLE_STORED_FROM_LEVEL = 3;

export async function createAnchorService(options: ServiceOptions) {
  const { config } = options;
  const logger = options.logger === undefined ? pino({ level: config.logLevel }) : options.logger;
  const log = logger === false ? pino({ level: "silent" }) : logger;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const storage = await openStorage(config, options.inMemory === true);
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  metrics.logSize.set(storage.merkle.size);
  const chain = chainClient(config, options.provider);
  const signing = await signingDomains(config, storage.db);
  const core: Core = { config, log, now, ...storage, metrics, chain, signing };
  const { stamper, tsaTrustAnchors, tsaWorker } = await trustedTime(core);
  // C2SP checkpoints of committed heads, cosigned by the witnesses, off the intake path (c2sp/)
  const c2sp = await createC2sp({ config, db: core.db, merkle: core.merkle, records: core.records, log });
  const committer = headCommitter(core, stamper, c2sp);
  // request signatures are recovered, and receipt batches signed, on a worker thread
  const crypto = new CryptoPool(config.operatorKey);
  const receiptSm2Key = receiptSm2KeyOf(config);
  const intake = durableIntake(core, crypto, receiptSm2Key, committer);
  const queries = evidenceQueries(core, stamper, c2sp);
  const app = await httpApp(core, logger, {
    intake,
    queries,
    committer,
    crypto,
    receiptSm2Key,
    tsa: { stamper, logId: config.logId, trustedTime: { tsaTrustAnchors: tsaTrustAnchors ?? null } },
    c2sp: { ...c2sp.routes, bundle: (leafHash) => queries.bundle(leafHash) },
    https: options.tls,
    // the whole data directory is the LevelDB, copied from one snapshot (common/level-backup.ts)
    backup:
      options.backupDir === undefined || options.inMemory === true
        ? undefined
        : {
            dir: options.backupDir,
            run: (target: string) =>
              backupDataDir({ db: storage.db.root, dataDir: config.dataDir, levelPath: "", target }),
          },
  });

  let started = false;
  return {
    app,
    ...storage,
    chain,
    intake,
    committer,
    stamper,
    c2sp,
    queries,
    metrics,
    /** First chain sync (if the chain answers), then the committer's schedule. */
    async start(): Promise<void> {
      try {
        await committer.sync();
      } catch (error) {
        log.warn(
          { err: (error as Error).message },
          "chain not reachable at start; intake continues, heads wait",
        );
      }
      committer.start();
      tsaWorker?.start();
      await stamper.start();
      started = true;
    },
    /** Stop taking requests, finish the write in flight, commit nothing new, close storage. */
    async close(): Promise<void> {
      await app.close();
      await intake.close();
      await crypto.close();
      if (started) await committer.stop();
      await stamper.stop();
      await tsaWorker?.close();
      await c2sp.settled();
      await chain.destroy();
      await storage.db.root.close();
    },
  };
}

/** What every wiring step below may use: settings, log and clock, storage, metrics and the chain. */
type Core = Awaited<ReturnType<typeof openStorage>> & {
  config: Config;
  log: Logger;
  /** Unix seconds. */
  now: () => number;
  metrics: AnchorMetrics;
  chain: EvidenceLogClient;
  signing: Awaited<ReturnType<typeof signingDomains>>;
};
type C2sp = Awaited<ReturnType<typeof createC2sp>>;

/** Commits heads to the chain; each head is checkpointed (c2sp/) and queued for the TSAs as it is sent. */
function headCommitter(core: Core, stamper: HeadStamper, c2sp: C2sp): Committer {
  const { config, log, metrics } = core;
  return new Committer({
    db: core.db,
    merkle: core.merkle,
    chain: core.chain,
    log,
    intervalMs: config.commitIntervalMs,
    commitLeaves: config.commitLeaves,
    // witnesses and TSAs need only the log's head: asked while its transaction is mined
    onHead: (head) => {
      c2sp.onHead(head.treeSize);
      stamper
        .enqueue(head)
        .catch((err: unknown) =>
          log.warn({ err: String(err), treeSize: head.treeSize }, "could not queue the head for a TSA"),
        );
    },
    onCommit: (head, latencyMs) => {
      metrics.commitLatency.observe(latencyMs / 1000);
      metrics.committedSize.set(head.treeSize);
      // against the head's first block: that is the one its bundles name (a re-anchored head keeps
      // the tokens that matched it)
      stamper
        .confirm(head, head.commits[0]!.blockTimestamp)
        .catch((err: unknown) =>
          log.warn({ err: String(err), treeSize: head.treeSize }, "could not check the head's time-stamps"),
        );
    },
    onRpcError: () => metrics.rpcErrors.inc(),
    onSynced: (id) => core.signing.setIdentity(id),
  });
}

/** The intake: durable writes with signed receipts, each write nudging the committer. */
function durableIntake(
  core: Core,
  crypto: CryptoPool,
  receiptSm2Key: Uint8Array | undefined,
  committer: Committer,
): Intake {
  const { config, metrics, merkle, signing } = core;
  return new Intake({
    db: core.db,
    records: core.records,
    merkle,
    receiptSigner: crypto.signer(),
    receiptDomain: () => signing.domains()?.receipt,
    submissionDomain: () => signing.domains()?.submission,
    recoverSubmission: (domain, logId, batchRoot, signature) =>
      crypto.recoverSubmission(domain, logId, batchRoot, signature),
    logId: config.logId,
    maxMergeDelaySeconds: config.maxMergeDelaySeconds,
    receiptSm2Key,
    now: core.now,
    onAppended: (leaves) => {
      metrics.intakeRecords.inc(leaves);
      metrics.logSize.set(merkle.size);
      committer.nudge();
    },
  });
}

function evidenceQueries(core: Core, stamper: HeadStamper, c2sp: C2sp): EvidenceQueries {
  return new EvidenceQueries({
    db: core.db,
    records: core.records,
    heads: HeadsCache.follow(core.db), // proof lookups find their head without a LevelDB iterator
    merkle: core.merkle,
    chain: core.chain,
    addresses: contractAddresses(core.config),
    logId: core.config.logId,
    chainId: () => core.signing.identity()?.chainId,
    timestamps: (treeSize) => stamper.tokensFor(treeSize),
    witnessed: (seq) => c2sp.witnessed(seq),
    witnessedSize: () => c2sp.routes.published()?.size,
  });
}

/** The HTTP app over the service's parts, with /v1/info and the request limits from the config. */
function httpApp(
  core: Core,
  logger: Logger | false,
  parts: Pick<AppDeps, "intake" | "queries" | "committer" | "tsa" | "c2sp"> & {
    crypto: CryptoPool;
    receiptSm2Key: Uint8Array | undefined;
    https: ServerTls | undefined;
    backup: AppDeps["backup"];
  },
) {
  const { config, chain, signing, now } = core;
  const { crypto, receiptSm2Key, ...routes } = parts;
  return buildApp({
    info: () => ({
      chainId: signing.identity()?.chainId,
      logId: config.logId,
      operator: chain.operator,
      ...contractAddresses(config),
      maxRecordsPerRequest: config.maxRecordsPerRequest,
      maxMergeDelaySeconds: config.maxMergeDelaySeconds,
      ...(receiptSm2Key === undefined ? {} : { receiptSm2PublicKey: toHex(sm2.publicKeyOf(receiptSm2Key)) }),
      // links and QR codes lead here, never to a request's Host header
      publicUrl: publicUrlOf(config),
    }),
    pageChainEndpoints: config.verifyPageRpcUrls,
    logger,
    ...routes,
    digests: core.digests,
    chain,
    metrics: core.metrics,
    recoverSigner: (pending) => crypto.recover(pending),
    requestDomain: () => signing.domains()?.request,
    quotas: { quotas: new IntakeQuotas(() => performance.now(), now), limits: governedQuotas(config, chain) },
    ops: { token: config.metricsToken, allowedAddresses: config.metricsAllowedAddresses },
    limits: {
      maxRecordsPerRequest: config.maxRecordsPerRequest,
      maxBodyBytes: config.maxBodyBytes,
      maxRequestTtlSeconds: config.maxRequestTtlSeconds,
    },
    now,
  });
}

/**
 * The database (in memory, or config.dataDir) brought up to the current layout, its records,
 * digest index and Merkle store.
 */
async function openStorage(config: Config, inMemory: boolean) {
  const db = await openDb(inMemory ? null : config.dataDir);
  const records = new RecordStore(db);
  await records.upgradeLayout(); // databases written before records were kept in blocks
  records.filter = await LeafFilter.load(db.leafIndex); // the intake reads only leaves that may be stored
  const digests = new DigestIndex(db, records);
  await digests.backfill(); // databases written before the digest index existed
  // nodes are stored from level 3 (subtrees of 8 leaves): one node put per 4 records instead of
  // per 2 (intake cost, ~12 bytes a leaf less); a proof recomputes its lowest levels from at
  // most 8 leaves. A log is never opened below the level it was written with (meta): raising
  // the level is harmless, lowering it would miss nodes.
  const written = (await db.meta.get("merkleStoredFromLevel")) as number | undefined;
  const storedFromLevel = Math.max(MERKLE_STORED_FROM_LEVEL, written ?? 0);
  if (written !== storedFromLevel) await db.meta.put("merkleStoredFromLevel", storedFromLevel);
  const merkle = await MerkleStore.open(db.nodes, records, { size: await records.count(), storedFromLevel });
  return { db, records, digests, merkle };
}

/** The three contracts the service answers for, as /v1/info and bundles name them. */
function contractAddresses(config: Config) {
  return {
    evidenceLog: config.evidenceLog,
    evidenceRegistry: config.evidenceRegistry,
    consortiumRegistry: config.consortiumRegistry,
  };
}

function chainClient(config: Config, provider: JsonRpcApiProvider | undefined): EvidenceLogClient {
  return new EvidenceLogClient({
    rpcUrl: config.rpcUrl,
    ...(provider === undefined ? {} : { provider }),
    operatorKey: config.operatorKey,
    ...contractAddresses(config),
    logId: config.logId,
    confirmations: config.confirmations,
    membershipCacheMs: config.membershipCacheMs,
    logPageBlocks: config.logPageBlocks,
  });
}

type Domains = { request: RequestDomain; receipt: ReceiptDomain; submission: SubmissionDomain };

/**
 * The chain's identity and the EIP-712 domains its id fixes; known from the last run (db meta)
 * until the chain answers, then whatever the committer last synced.
 */
async function signingDomains(config: Config, db: AnchorDb) {
  let identity: ChainIdentity | undefined;
  let domains: Domains | undefined;
  const setIdentity = (id: ChainIdentity | undefined) => {
    identity = id;
    domains =
      id === undefined
        ? undefined
        : {
            request: requestDomain(BigInt(id.chainId), config.consortiumRegistry),
            receipt: receiptDomain(BigInt(id.chainId), config.evidenceLog),
            submission: submissionDomain(BigInt(id.chainId), config.evidenceLog),
          };
  };
  setIdentity((await db.meta.get("chainIdentity")) as ChainIdentity | undefined);
  return { setIdentity, identity: () => identity, domains: () => domains };
}

/** Trusted time: every committed head goes to the configured TSAs, off the intake path (tsa/). */
async function trustedTime({ config, db, log, metrics }: Core) {
  const tsaTrustAnchors =
    config.tsaTrustAnchorFiles.length === 0 ? undefined : await loadTrustAnchors(config.tsaTrustAnchorFiles);
  // the exchanges (HTTP, and parsing and checking the tokens) run on a thread of their own (tsa/)
  const tsaWorker =
    config.tsaUrls.length === 0
      ? undefined
      : new TsaExchangeWorker({
          trustAnchorFiles: config.tsaTrustAnchorFiles,
          timeoutMs: config.tsaTimeoutMs,
        });
  const stamper = new HeadStamper({
    db,
    logId: config.logId,
    tsaUrls: config.tsaUrls,
    ...(tsaTrustAnchors === undefined ? {} : { trustAnchors: tsaTrustAnchors }),
    ...(tsaWorker === undefined ? {} : { exchange: tsaWorker.exchange }),
    log,
    timeoutMs: config.tsaTimeoutMs,
    onToken: (tsa) => metrics.tsaTokens.inc({ tsa }),
    onFailure: (tsa) => metrics.tsaFailures.inc({ tsa }),
  });
  return { stamper, tsaTrustAnchors, tsaWorker };
}

/**
 * Per-member intake quotas: the governed parameters (read like membership, re-derived only when
 * they change), the configured defaults where governance left them unset.
 */
function governedQuotas(config: Config, chain: EvidenceLogClient): () => Promise<QuotaLimits> {
  const defaults: QuotaLimits = {
    recordsPerSecond: config.intakeRecordsPerSecond,
    recordsPerDay: config.intakeRecordsPerDay,
  };
  let governed: Awaited<ReturnType<EvidenceLogClient["intakeQuota"]>>;
  let limits = defaults;
  return async () => {
    const read = await chain.intakeQuota();
    if (read !== governed) {
      governed = read;
      limits = quotaLimits(read, defaults);
    }
    return limits;
  };
}

/** The receipts' SM2 key when ANCHOR_RECEIPT_SIGNATURES asks for SM2; refused without a valid key. */
function receiptSm2KeyOf(config: Config): Uint8Array | undefined {
  if (config.receiptSignatures === "eip712") return undefined;
  if (config.receiptSm2Key === undefined)
    throw new Error("ANCHOR_RECEIPT_SIGNATURES=eip712,sm2 needs ANCHOR_RECEIPT_SM2_KEY (an SM2 private key)");
  const key = fromHex(config.receiptSm2Key);
  sm2.publicKeyOf(key); // a key out of SM2's range fails here, at start, not at the first request
  return key;
}
