// Wires an institution node: its LevelDB (applications, documents, consents, query logs, outbox,
// index), the chain key, the anchor client, the credit bureau (simulator), the indexer, the
// outbox sender and the HTTP API. server.ts and the tests start nodes through here.
import { readFile } from "node:fs/promises";
import { JsonRpcProvider, VoidSigner, Wallet } from "ethers";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import type { Logger } from "pino";
import pino from "pino";
import { AnchorClient } from "../../common/anchor/client.ts";
import {
  ConsortiumRegistry,
  DisputeResolution,
  JointLoanLedger,
} from "../../common/chain/generated/contracts.ts";
import { ApplicationStore } from "./applications.ts";
import type { CreditBureau } from "./bureau/bureau.ts";
import { BureauClient, type BureauClientEvent } from "./bureau/client.ts";
import { openBureauSublevels, type CreditQueryDeps } from "./bureau/consent.ts";
import { FallbackBureau } from "./bureau/fallback.ts";
import { unionCreditQuery } from "./credit-service/union-client.ts";
import { UnionCreditService } from "./credit-service/union-credit.ts";
import { BranchObjections, UnionObjections } from "./credit-service/objections.ts";
import { BureauSimulator } from "./bureau/simulator.ts";
import type { NodeConfig } from "./config.ts";
import { DocumentStore } from "./documents/document-store.ts";
import { documentSublevels } from "./documents/keys.ts";
import type { DocumentKind } from "./documents/policy.ts";
import { buildNodeApp } from "./http/app.ts";
import { indexerSublevels } from "./indexer/db.ts";
import { LedgerIndexer } from "./indexer/indexer.ts";
import { BRANCH, ConsortiumMembers } from "./members.ts";
import type { SignedHeaders } from "./node-requests.ts";
import { NodeOperations } from "./operations.ts";
import { Outbox } from "./outbox/outbox.ts";
import { Keeper } from "./keeper/keeper.ts";
import { CaseOperations, outboxEscalator, outboxExpirer } from "./cases.ts";
import { MandateOperations } from "./mandates.ts";
import { BranchLimitsOperations } from "./branch-limits.ts";
import { ReceivingAccounts } from "./entrusted-payment.ts";
import { IncomeSplitOperations } from "./income-split.ts";
import { PrepaymentOperations } from "./prepayment.ts";
import { OutboxSender } from "./outbox/sender.ts";
import { PeerNodes } from "./peers.ts";
import { deriveKey, loadMasterKey } from "./privacy/crypto-box.ts";
import { PII_LOG_OPTIONS } from "./privacy/mask.ts";
import { createNodeMetrics } from "./metrics.ts";
import { NODE_SUBLEVELS, type NodeSublevel } from "./keys.ts";
import { CreditDecisions } from "./credit-decision/decisions.ts";
import { CreditPolicies } from "./credit-decision/policy.ts";
import { DecisionRecords } from "./credit-decision/records.ts";
import { ReviewQueue } from "./credit-decision/review-queue.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { AnchorEvidence } from "./bureau/consent.ts";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { LoanContracts } from "./e-contract/contracts.ts";

export type NodeServiceOptions = {
  config: NodeConfig;
  inMemory?: boolean;
  logger?: Logger | false;
  /** The member's wallet, when the caller already has it (tests); otherwise the keystore file. */
  wallet?: Wallet;
  /** The credit bureau adapter; a deterministic simulator by default (no real bureau here). */
  bureau?: CreditBureau;
  /** The union's fallback bureau channel (备用查询通道); a simulator of its own by default. */
  bureauFallback?: CreditBureau;
  now?: () => Date;
  /** The branch's governance-role key (tests); else from config.governanceKeystoreFile, if set. */
  governanceWallet?: Wallet;
};

export type NodeService = Awaited<ReturnType<typeof createNodeService>>;

export async function createNodeService(options: NodeServiceOptions) {
  const { config } = options;
  const logger =
    options.logger === undefined ? pino({ level: config.logLevel, ...PII_LOG_OPTIONS }) : options.logger;
  const log = logger === false ? pino({ level: "silent" }) : logger;
  const { root, sublevel } = await openStore(config, options.inMemory === true);
  const master = await loadMasterKey(config.masterKeyFile);
  const dataKey = deriveKey(master, "documents");
  const wallet = options.wallet ?? (await loadWallet(config.keystoreFile, config.keystorePassword));

  const provider = new JsonRpcProvider(config.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const chainId = (await provider.getNetwork()).chainId;
  const registry = ConsortiumRegistry.at(config.consortiumRegistry, provider);
  const anchor = new AnchorClient(config.anchorUrl, wallet, config.memberId);

  const documents = await DocumentStore.open({
    sublevels: documentSublevels(root),
    key: dataKey,
    // a court reads a loan's documents once the loan's case is assigned to it (from the index)
    courtMayRead: async (court, loanId) => {
      const c = await indexer.model.caseOf(loanId);
      return c !== undefined && c !== null && (c as { court: number | null }).court === court;
    },
  });
  // the node's Prometheus metrics: the bureau client's events as they happen, the outbox and the index before each scrape
  const metrics = createNodeMetrics({ defaultMetrics: true });
  const anchorRecords = async (records: Parameters<AnchorClient["submit"]>[0]) =>
    (await anchor.submit(records)).map((r) => ({ leafHash: r.leafHash, sequence: r.sequence }));
  const peers = new PeerNodes({
    signer: wallet,
    directory: config.directory,
    chainId: async () => chainId,
    registryAddress: async () => config.consortiumRegistry,
  });
  const { consentDeps, creditDeps, channels } = bureauDeps({
    root,
    config,
    documents,
    anchor: anchorRecords,
    log,
    metrics,
    bureau: options.bureau,
    bureauFallback: options.bureauFallback,
  });
  // a branch configured so queries the bureau through the union's credit-query service
  const members = new ConsortiumMembers(registry);
  const unionId = async () => (await members.active()).union;
  const viaUnion = config.memberKind === "branch" && config.creditQueryVia === "union";
  if (viaUnion) creditDeps.viaUnion = unionCreditQuery(peers, unionId);
  // the union's credit-query service for branches, on its two bureau channels, and the credit objections (征信异议) sent to it
  const creditServiceReports = sublevel("creditServiceReports");
  const creditServiceLogs = sublevel("creditServiceLogs");
  const creditService =
    config.memberKind === "union"
      ? new UnionCreditService({
          memberId: config.memberId,
          bureau: channels,
          leafKnown: async (leafHash) =>
            (
              await fetch(`${config.anchorUrl.replace(/\/$/, "")}/v1/leaves/${leafHash}`, {
                signal: AbortSignal.timeout(10_000),
              })
            ).status === 200,
          anchor: anchorRecords,
          documents,
          reports: creditServiceReports,
          logs: creditServiceLogs,
          freshnessDays: config.creditReportFreshnessDays,
          log,
          ...(options.now === undefined ? {} : { now: () => options.now!().getTime() }),
        })
      : undefined;
  const unionObjections =
    config.memberKind === "union"
      ? new UnionObjections({
          memberId: config.memberId,
          logs: creditServiceLogs,
          reports: creditServiceReports,
          objections: sublevel("creditObjections"),
          documents,
          anchor: anchorRecords,
        })
      : undefined;

  const indexer = new LedgerIndexer({
    provider,
    addresses: {
      jointLoanLedger: config.jointLoanLedger,
      disputeResolution: config.disputeResolution,
      evidenceRegistry: config.evidenceRegistry,
    },
    fromBlock: config.deployBlock,
    db: indexerSublevels(sublevel("indexer")),
    pageBlocks: config.logPageBlocks,
    pollMs: config.indexerPollMs,
    log,
    // flows the outbox confirmed in blocks the chain lost go back to be sent again
    onChainLoss: (reason: string) => recheckAfterChainLoss(sender, log, reason),
  });
  const outbox = new Outbox(sublevel("outbox"), { sync: options.inMemory !== true });
  const sender = new OutboxSender({
    outbox,
    provider,
    chainId,
    privateKey: wallet.privateKey,
    ledger: config.jointLoanLedger,
    disputeResolution: config.disputeResolution,
    fromBlock: config.deployBlock,
    logPageBlocks: config.logPageBlocks,
  });

  const ledger = JointLoanLedger.at(config.jointLoanLedger, provider);
  // which account each loan approved or agreed to here pays (受托支付 or the borrower's own)
  const receiving = new ReceivingAccounts(sublevel("receivingAccounts"));
  const ledgerCall = (data: string) => provider.call({ to: config.jointLoanLedger, data });
  const chainNow = async () => (await provider.getBlock("latest"))!.timestamp;
  const incomeSplit = new IncomeSplitOperations({
    memberId: config.memberId,
    call: ledgerCall,
    outbox,
    peers,
    signer: wallet,
    chainId: async () => chainId,
    ledgerAddress: config.jointLoanLedger,
    // a branch's signed request, its nonce spent by the operations' one nonce store
    verifyBranchRequest: (request): Promise<{ memberId: number }> =>
      ops.requests.verify(request as SignedHeaders, BRANCH),
    acceptances: sublevel("incomeSplitAcceptances"),
    blockNumber: () => provider.getBlockNumber(),
  });
  const prepayments = new PrepaymentOperations({
    memberId: config.memberId,
    call: ledgerCall,
    provider,
    ledgerAddress: config.jointLoanLedger,
    logPageBlocks: config.logPageBlocks,
    outbox,
    documents,
    anchor: anchorRecords,
    account: async () => wallet.address,
    chainNow,
  });
  const applications = new ApplicationStore(sublevel("applications"), dataKey);
  // a branch that queries through the union sends its borrowers' credit objections there too
  const branchObjections = viaUnion
    ? new BranchObjections({
        memberId: config.memberId,
        applications,
        queryLogs: creditDeps.queryLogs,
        objections: sublevel("creditObjections"),
        documents,
        anchor: anchorRecords,
        peers,
        unionId,
      })
    : undefined;
  // 授信决策: the engine under the anchored policy, the review queue, the records; approval asks it first
  const decisions = new CreditDecisions({
    memberId: config.memberId,
    applications,
    policies: new CreditPolicies(
      sublevel("creditPolicies"),
      anchorRecords,
      () => options.now?.() ?? new Date(),
    ),
    records: new DecisionRecords(sublevel("creditDecisions"), anchorRecords),
    queue: new ReviewQueue(sublevel("creditReviewQueue")),
    bureau: creditDeps,
    documents,
    exposure: (borrowerKey) => indexer.model.borrowerExposure(borrowerKey),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  // 电子合同: drafts and signed-contract verification, when the node names the CA roots it trusts
  const eContracts =
    config.contractTrustAnchorFiles === undefined
      ? undefined
      : new LoanContracts({
          memberId: config.memberId,
          applications,
          partyOf: async (memberId) =>
            config.contractParties[String(memberId)] ?? { name: `成员 ${memberId}`, identifier: "—" },
          disputeResolution: config.contractDispute,
          // the ledger charges min(governed penalty rate, cap − contract rate): the contract says the same
          penaltyAprBps: async (contractAprBps) => {
            const p = await ledger.params();
            return Math.max(0, Math.min(Number(p.penaltyAprBps), Number(p.aprCapBps) - contractAprBps));
          },
          place: config.contractPlace,
          anchors: await loadTrustAnchors(config.contractTrustAnchorFiles),
          roles: config.contractRolePolicies,
        });
  const ops = new NodeOperations({
    memberId: config.memberId,
    consortiumKey: Buffer.from(config.consortiumKey.slice(2), "hex"),
    applications,
    decisionGate: (applicationId, borrowerKey) => decisions.approvalGate(applicationId, borrowerKey),
    ...(eContracts === undefined ? {} : { verifyContract: (pdf: Uint8Array) => eContracts.verify(pdf) }),
    documents,
    consent: consentDeps,
    creditQuery: creditDeps,
    model: indexer.model,
    registry,
    outbox,
    anchor: anchorRecords,
    ledger,
    chainId: async () => chainId,
    signer: wallet,
    peers,
    cursor: () => indexer.cursor(),
    nonces: sublevel("requestNonces"),
    receiving,
    loanDetails: [
      async (loan) => ({ receiving: await receiving.view(loan.loanId) }),
      (loan) => incomeSplit.loanDetail(loan),
      (loan) => prepayments.loanDetail(loan),
    ],
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  // any node may run the keeper: it previews escalate as this member and writes through the outbox
  const keeper = new Keeper({
    model: indexer.model,
    ledger,
    disputes: DisputeResolution.at(config.disputeResolution, new VoidSigner(wallet.address, provider)),
    escalate: outboxEscalator(outbox, ledger),
    expire: outboxExpirer(outbox),
    reminders: sublevel("reminders"),
    // no SMS gateway here: reminders are logged (the borrower key only) for the back office
    send: async (r) =>
      log.info(
        { loanId: r.loanId, borrowerKey: r.borrowerKey, daysPastDue: r.daysPastDue },
        "reminder due to the borrower",
      ),
    now: () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000),
    log,
  });
  const cases = new CaseOperations({
    memberId: config.memberId,
    memberKind: config.memberKind,
    documents,
    outbox,
    model: indexer.model,
    ledger,
    disputes: DisputeResolution.at(config.disputeResolution, provider),
    registry,
    anchor: anchorRecords,
    peers,
    keeper,
  });
  const mandates = new MandateOperations({
    memberId: config.memberId,
    ledger,
    registry,
    outbox,
    chainNow: async () => (await provider.getBlock("latest"))!.timestamp,
    call: (data) => provider.call({ to: config.jointLoanLedger, data }),
  });
  // the governance key writes through its own outbox and sender: one sender per key, so no nonce contention
  const governance = await governanceWriter(options, sublevel, provider, chainId);
  const governanceSender = governance?.sender;
  const branchLimits = new BranchLimitsOperations({
    memberId: config.memberId,
    memberKind: config.memberKind,
    call: (data) => provider.call({ to: config.jointLoanLedger, data }),
    ...(governance === undefined
      ? {}
      : { governance: { outbox: governance.outbox, address: governance.address } }),
    blockNumber: () => provider.getBlockNumber(),
  });
  let keeperTimer: NodeJS.Timeout | undefined;

  const app = await buildNodeApp({
    logger,
    memberId: config.memberId,
    users: config.users,
    ops,
    cases,
    mandates,
    branchLimits,
    receiving,
    incomeSplit,
    prepayments,
    decisions,
    ...(creditService === undefined ? {} : { creditService }),
    ...(eContracts === undefined ? {} : { eContracts }),
    ...(unionObjections === undefined ? {} : { unionObjections }),
    ...(branchObjections === undefined ? {} : { branchObjections }),
    limits: { maxBodyBytes: config.maxBodyBytes, reconcileMaxBodyBytes: config.reconcileMaxBodyBytes },
    opsAccess: { token: config.metricsToken, allowedAddresses: config.metricsAllowedAddresses },
    ready: () => ({ ready: true, detail: { indexer: indexer.status(), chainId: chainId.toString() } }),
    metrics,
    metricSources: { outboxCounts: () => outbox.counts(), indexerStatus: () => indexer.status() },
  });

  return {
    app,
    root,
    ops,
    creditService,
    cases,
    indexer,
    outbox,
    sender,
    documents,
    anchor,
    wallet,
    keeper,
    async start(): Promise<void> {
      indexer.start();
      sender.start();
      governanceSender?.start();
      const interval = config.keeperIntervalMs ?? (config.memberKind === "union" ? 3_600_000 : 0);
      if (interval > 0) {
        const round = () =>
          keeper
            .runOnce()
            .catch((error) =>
              log.warn({ err: (error as Error).message }, "keeper round failed; retried next interval"),
            );
        keeperTimer = setInterval(round, interval);
        keeperTimer.unref();
      }
    },
    async close(): Promise<void> {
      if (keeperTimer !== undefined) clearInterval(keeperTimer);
      await app.close();
      await sender.stop();
      await governanceSender?.stop();
      await indexer.stop();
      provider.destroy();
      await root.close();
    },
  };
}

/** The node's LevelDB (in memory for tests), and its root sublevels by their catalogue names (keys.ts). */
async function openStore(config: NodeConfig, inMemory: boolean) {
  const root = inMemory
    ? new MemoryLevel<string, Uint8Array>({ valueEncoding: "view" })
    : new Level<string, Uint8Array>(`${config.dataDir}/node`, { valueEncoding: "view" });
  await root.open();
  // each module declares the sublevel types it needs; the root hands them out by name and encoding
  const rootLevel = root as unknown as { sublevel(name: string, options?: { valueEncoding: string }): never };
  const sublevel = (which: NodeSublevel) => {
    const { name, valueEncoding } = NODE_SUBLEVELS[which];
    return rootLevel.sublevel(name, valueEncoding === undefined ? undefined : { valueEncoding });
  };
  return { root, sublevel };
}

async function loadWallet(file: string, password: string): Promise<Wallet> {
  return (await Wallet.fromEncryptedJson(await readFile(file, "utf8"), password)) as Wallet;
}

/** Consent and credit-query dependencies: their sublevels, the bureau client (its events counted), the anchor, the document store. */
function bureauDeps(deps: {
  root: Parameters<typeof openBureauSublevels>[0];
  config: NodeConfig;
  documents: DocumentStore;
  anchor: AnchorEvidence;
  log: Logger;
  metrics: NodeMetrics;
  bureau: CreditBureau | undefined;
  bureauFallback: CreditBureau | undefined;
}) {
  const { config, documents } = deps;
  const bureauDb = openBureauSublevels(deps.root);
  const onEvent = (event: BureauClientEvent) => deps.metrics.bureauEvent(event);
  const primary = new BureauClient(
    deps.bureau ??
      new BureauSimulator({ seed: `node-${config.memberId}`, latencyMs: [5, 20], mode: "normal" }),
    { onEvent },
  );
  // the fallback channel: its own line, client and breaker, so the primary's trouble is not its own
  const fallback = new BureauClient(
    deps.bureauFallback ??
      new BureauSimulator({ seed: `node-${config.memberId}-fallback`, latencyMs: [5, 20], mode: "normal" }),
    { onEvent },
  );
  const channels = new FallbackBureau(primary, fallback, {
    onFallback: (error) =>
      deps.log.warn(
        { code: error.code },
        "credit bureau primary channel down: querying on the fallback channel",
      ),
  });
  const client = config.memberKind === "union" ? channels : primary;
  const consentDeps = { consents: bureauDb.consents, anchor: deps.anchor, log: deps.log };
  const refused =
    config.memberKind === "platform" || config.memberKind === "court"
      ? `member ${config.memberId} is a ${config.memberKind}: only branches query the credit bureau, through the union's node`
      : undefined;
  const creditDeps: CreditQueryDeps = {
    ...(refused === undefined ? {} : { queriesRefused: refused }),
    ...consentDeps,
    queryLogs: bureauDb.queryLogs,
    client,
    institution: config.memberId,
    documents: {
      put: async (kind: DocumentKind, bytes: Uint8Array, meta: Record<string, string>) =>
        (await documents.put({ kind, bytes, owner: config.memberId, meta })).documentId,
    },
  };
  return { consentDeps, creditDeps, channels };
}

/** After the chain lost blocks: the outbox's confirmed flows are checked again (retried every 2 s, 30 times). */
function recheckAfterChainLoss(sender: OutboxSender, log: Logger, reason: string): void {
  log.warn({ reason }, "the chain lost blocks: rechecking the outbox's confirmed flows");
  const recheck = (attempt: number): void => {
    sender.recheck().then(
      (back) => back.length > 0 && log.warn({ flows: back.length }, "flows the chain lost are sent again"),
      (error: unknown) => {
        log.warn({ err: (error as Error).message, attempt }, "outbox recheck failed; retrying");
        if (attempt < 30) setTimeout(() => recheck(attempt + 1), 2_000).unref();
      },
    );
  };
  recheck(1);
}

/** A branch's governance-role key with its own outbox and sender, when one is given or configured. */
async function governanceWriter(
  options: NodeServiceOptions,
  sublevel: (which: NodeSublevel) => never,
  provider: JsonRpcProvider,
  chainId: bigint,
) {
  const { config } = options;
  const file = config.governanceKeystoreFile;
  const wallet =
    options.governanceWallet ??
    (file === undefined
      ? undefined
      : await loadWallet(file, config.governanceKeystorePassword ?? config.keystorePassword));
  if (wallet === undefined) return undefined;
  const outbox = new Outbox(sublevel("governanceOutbox"), { sync: options.inMemory !== true });
  const sender = new OutboxSender({
    outbox,
    provider,
    chainId,
    privateKey: wallet.privateKey,
    ledger: config.jointLoanLedger,
    disputeResolution: config.disputeResolution,
    fromBlock: config.deployBlock,
    logPageBlocks: config.logPageBlocks,
  });
  return { address: wallet.address, outbox, sender };
}
