// Wires the anchor service together: storage, Merkle log, chain client, intake, committer,
// queries and the HTTP app. server.ts (production) and the tests both start it through here.
import type { JsonRpcApiProvider } from "ethers";
import type { Logger } from "pino";
import pino from "pino";
import type { ReceiptDomain } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain } from "../../common/formats/receipt/receipts.ts";
import type { RequestDomain } from "../../common/auth/request-signing.ts";
import { requestDomain } from "../../common/auth/request-signing.ts";
import { buildApp } from "./app.ts";
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
import { createMetrics } from "./metrics.ts";
import { openDb } from "./store/db.ts";
import { DigestIndex } from "./store/digests.ts";
import { HeadsCache } from "./store/heads-cache.ts";
import { LeafFilter } from "./store/leaf-filter.ts";
import { RecordStore } from "./store/records.ts";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { HeadStamper } from "./tsa/stamper.ts";
import { createC2sp } from "./c2sp/service.ts";
import { fromHex, toHex } from "../../common/bytes.ts";
import { sm2 } from "../../common/crypto/sm2.ts";

export type ServiceOptions = {
  config: Config;
  /** null: an in-memory database (tests); otherwise config.dataDir. */
  inMemory?: boolean;
  provider?: JsonRpcApiProvider;
  logger?: Logger | false;
  /** Unix seconds; tests move the clock. */
  now?: () => number;
  defaultMetrics?: boolean;
};

export type AnchorService = Awaited<ReturnType<typeof createAnchorService>>;

/** The lowest Merkle level the service stores (see MerkleStore). */
export const MERKLE_STORED_FROM_LEVEL = 3;

export async function createAnchorService(options: ServiceOptions) {
  const { config } = options;
  const logger = options.logger === undefined ? pino({ level: config.logLevel }) : options.logger;
  const log = logger === false ? pino({ level: "silent" }) : logger;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const db = await openDb(options.inMemory === true ? null : config.dataDir);
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
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  metrics.logSize.set(merkle.size);
  const chain = new EvidenceLogClient({
    rpcUrl: config.rpcUrl,
    ...(options.provider === undefined ? {} : { provider: options.provider }),
    operatorKey: config.operatorKey,
    evidenceLog: config.evidenceLog,
    consortiumRegistry: config.consortiumRegistry,
    evidenceRegistry: config.evidenceRegistry,
    logId: config.logId,
    confirmations: config.confirmations,
    membershipCacheMs: config.membershipCacheMs,
    logPageBlocks: config.logPageBlocks,
  });

  // the chain's id fixes both EIP-712 domains; known from the last run until the chain answers
  let identity = (await db.meta.get("chainIdentity")) as ChainIdentity | undefined;
  let domains: { request: RequestDomain; receipt: ReceiptDomain; submission: SubmissionDomain } | undefined;
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
  setIdentity(identity);

  // trusted time: every committed head goes to the configured TSAs, off the intake path (tsa/)
  const tsaTrustAnchors =
    config.tsaTrustAnchorFiles.length === 0 ? undefined : await loadTrustAnchors(config.tsaTrustAnchorFiles);
  const stamper = new HeadStamper({
    db,
    logId: config.logId,
    tsaUrls: config.tsaUrls,
    ...(tsaTrustAnchors === undefined ? {} : { trustAnchors: tsaTrustAnchors }),
    log,
    timeoutMs: config.tsaTimeoutMs,
    onToken: (tsa) => metrics.tsaTokens.inc({ tsa }),
    onFailure: (tsa) => metrics.tsaFailures.inc({ tsa }),
  });
  // C2SP checkpoints of committed heads, cosigned by the witnesses, off the intake path (c2sp/)
  const c2sp = await createC2sp({ config, db, merkle, records, log });
  const committer = new Committer({
    db,
    merkle,
    chain,
    log,
    intervalMs: config.commitIntervalMs,
    commitLeaves: config.commitLeaves,
    onCommit: (head, latencyMs) => {
      metrics.commitLatency.observe(latencyMs / 1000);
      metrics.committedSize.set(head.treeSize);
      c2sp.onCommit(head.treeSize);
      stamper
        .enqueue(head)
        .catch((err: unknown) =>
          log.warn({ err: String(err), treeSize: head.treeSize }, "could not queue the head for a TSA"),
        );
    },
    onRpcError: () => metrics.rpcErrors.inc(),
    onSynced: (id) => setIdentity(id),
  });
  // request signatures are recovered, and receipt batches signed, on a worker thread
  const crypto = new CryptoPool(config.operatorKey);
  const receiptSm2Key = receiptSm2KeyOf(config);
  const intake = new Intake({
    db,
    records,
    merkle,
    receiptSigner: crypto.signer(),
    receiptDomain: () => domains?.receipt,
    submissionDomain: () => domains?.submission,
    recoverSubmission: (domain, logId, batchRoot, signature) =>
      crypto.recoverSubmission(domain, logId, batchRoot, signature),
    logId: config.logId,
    maxMergeDelaySeconds: config.maxMergeDelaySeconds,
    receiptSm2Key,
    now,
    onAppended: (leaves) => {
      metrics.intakeRecords.inc(leaves);
      metrics.logSize.set(merkle.size);
      committer.nudge();
    },
  });
  const queries = new EvidenceQueries({
    db,
    records,
    heads: HeadsCache.follow(db), // proof lookups find their head without a LevelDB iterator
    merkle,
    chain,
    addresses: {
      evidenceLog: config.evidenceLog,
      evidenceRegistry: config.evidenceRegistry,
      consortiumRegistry: config.consortiumRegistry,
    },
    logId: config.logId,
    chainId: () => identity?.chainId,
    timestamps: (treeSize) => stamper.tokensFor(treeSize),
    witnessed: (seq) => c2sp.witnessed(seq),
  });
  // per-member quotas: the governed parameters (read like membership), the configured defaults where unset
  const quotaDefaults: QuotaLimits = {
    recordsPerSecond: config.intakeRecordsPerSecond,
    recordsPerDay: config.intakeRecordsPerDay,
  };
  let governed: Awaited<ReturnType<EvidenceLogClient["intakeQuota"]>>;
  let limits = quotaDefaults;
  const currentLimits = async (): Promise<QuotaLimits> => {
    const read = await chain.intakeQuota();
    if (read !== governed) {
      governed = read;
      limits = quotaLimits(read, quotaDefaults);
    }
    return limits;
  };
  const app = await buildApp({
    info: () => ({
      chainId: identity?.chainId,
      logId: config.logId,
      operator: chain.operator,
      evidenceLog: config.evidenceLog,
      evidenceRegistry: config.evidenceRegistry,
      consortiumRegistry: config.consortiumRegistry,
      maxRecordsPerRequest: config.maxRecordsPerRequest,
      maxMergeDelaySeconds: config.maxMergeDelaySeconds,
      ...(receiptSm2Key === undefined ? {} : { receiptSm2PublicKey: toHex(sm2.publicKeyOf(receiptSm2Key)) }),
      // links and QR codes lead here, never to a request's Host header
      publicUrl: publicUrlOf(config),
    }),
    logger,
    intake,
    queries,
    tsa: { stamper, logId: config.logId, trustedTime: { tsaTrustAnchors: tsaTrustAnchors ?? null } },
    c2sp: { ...c2sp.routes, bundle: (leafHash) => queries.bundle(leafHash) },
    digests,
    committer,
    chain,
    metrics,
    recoverSigner: (pending) => crypto.recover(pending),
    requestDomain: () => domains?.request,
    quotas: { quotas: new IntakeQuotas(() => performance.now(), now), limits: currentLimits },
    ops: { token: config.metricsToken, allowedAddresses: config.metricsAllowedAddresses },
    limits: {
      maxRecordsPerRequest: config.maxRecordsPerRequest,
      maxBodyBytes: config.maxBodyBytes,
      maxRequestTtlSeconds: config.maxRequestTtlSeconds,
    },
    now,
  });

  let started = false;
  return {
    app,
    db,
    records,
    merkle,
    chain,
    intake,
    committer,
    stamper,
    c2sp,
    queries,
    digests,
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
      await c2sp.settled();
      await chain.destroy();
      await db.root.close();
    },
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
