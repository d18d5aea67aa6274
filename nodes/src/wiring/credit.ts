// The credit rooms: consent and the credit bureau (its two channels, their events counted), the
// union's credit-query service and credit objections (征信查询系统单元, 征信异议), and the credit
// decision (授信决策) that approval asks first.
import type { Logger } from "pino";
import type { CreditBureau } from "../bureau/bureau.ts";
import { BureauClient, type BureauClientEvent } from "../bureau/client.ts";
import {
  anchorPendingQueryLogs,
  openBureauSublevels,
  type AnchorEvidence,
  type CreditQueryDeps,
} from "../bureau/consent.ts";
import { FallbackBureau } from "../bureau/fallback.ts";
import { BureauSimulator } from "../bureau/simulator.ts";
import type { NodeConfig } from "../config.ts";
import { CreditDecisions } from "../credit-decision/decisions.ts";
import { CreditPolicies } from "../credit-decision/policy.ts";
import { DecisionRecords } from "../credit-decision/records.ts";
import { ReviewQueue } from "../credit-decision/review-queue.ts";
import { BranchObjections, UnionObjections } from "../credit-service/objections.ts";
import { PendingCreditAnchoring } from "../credit-service/pending.ts";
import { unionCreditQuery } from "../credit-service/union-client.ts";
import { UnionCreditService } from "../credit-service/union-credit.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import type { DocumentKind } from "../documents/policy.ts";
import type { LedgerModel } from "../indexer/model.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { NodeChain } from "./chain.ts";
import type { NodeServiceOptions } from "./options.ts";
import type { NodeStorage, SharedStores } from "./storage.ts";

export type CreditRooms = ReturnType<typeof creditRooms>;

/** Every credit room this member's kind runs (the union's service and objections at the union only). */
export function creditRooms(
  options: NodeServiceOptions,
  parts: {
    storage: NodeStorage;
    chain: NodeChain;
    stores: SharedStores;
    model: LedgerModel;
    log: Logger;
    metrics: NodeMetrics;
  },
) {
  const { config } = options;
  const { storage, chain, stores, log } = parts;
  const { sublevel } = storage;
  const { consentDeps, creditDeps, channels } = bureauDeps({
    root: storage.root,
    config,
    documents: stores.documents,
    anchor: chain.anchorRecords,
    log,
    metrics: parts.metrics,
    bureau: options.bureau,
    bureauFallback: options.bureauFallback,
  });
  // a branch configured so queries the bureau, and sends its borrowers' objections, through the union's node
  const unionId = async () => (await chain.members.active()).union;
  const viaUnion = config.memberKind === "branch" && config.creditQueryVia === "union";
  if (viaUnion) creditDeps.viaUnion = unionCreditQuery(chain.peers, unionId);
  const branchObjections = viaUnion
    ? new BranchObjections({
        memberId: config.memberId,
        applications: stores.applications,
        queryLogs: creditDeps.queryLogs,
        objections: sublevel("creditObjections"),
        documents: stores.documents,
        anchor: chain.anchorRecords,
        peers: chain.peers,
        unionId,
      })
    : undefined;
  // 授信决策: the engine under the anchored policy, the review queue, the records; approval asks it first
  const decisions = new CreditDecisions({
    memberId: config.memberId,
    applications: stores.applications,
    policies: new CreditPolicies(
      sublevel("creditPolicies"),
      chain.anchorRecords,
      () => options.now?.() ?? new Date(),
    ),
    records: new DecisionRecords(sublevel("creditDecisions"), chain.anchorRecords),
    queue: new ReviewQueue(sublevel("creditReviewQueue")),
    bureau: creditDeps,
    documents: stores.documents,
    exposure: (borrowerKey) => parts.model.borrowerExposure(borrowerKey),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const union = config.memberKind === "union" ? unionRooms(options, parts, channels) : undefined;
  // query logs whose anchoring failed (the anchor service away, the node stopped) are anchored later
  const pendingAnchoring = new PendingCreditAnchoring(
    [
      () => anchorPendingQueryLogs(creditDeps),
      ...(union === undefined ? [] : [() => union.creditService.anchorPendingLogs()]),
    ],
    (error) => log.warn({ err: (error as Error).message }, "pending credit query logs not anchored yet"),
  );
  return { consentDeps, creditDeps, decisions, branchObjections, pendingAnchoring, ...union };
}

/** The union's credit-query service for branches, on its two bureau channels, and the objections sent to it. */
function unionRooms(
  options: NodeServiceOptions,
  parts: { storage: NodeStorage; chain: NodeChain; stores: SharedStores; log: Logger },
  channels: FallbackBureau,
) {
  const { config } = options;
  const { sublevel } = parts.storage;
  const { documents } = parts.stores;
  const anchor = parts.chain.anchorRecords;
  const reports = sublevel("creditServiceReports");
  const logs = sublevel("creditServiceLogs");
  const creditService = new UnionCreditService({
    memberId: config.memberId,
    bureau: channels,
    leafKnown: async (leafHash) =>
      (
        await fetch(`${config.anchorUrl.replace(/\/$/, "")}/v1/leaves/${leafHash}`, {
          signal: AbortSignal.timeout(10_000),
        })
      ).status === 200,
    anchor,
    documents,
    reports,
    logs,
    freshnessDays: config.creditReportFreshnessDays,
    log: parts.log,
    ...(options.now === undefined ? {} : { now: () => options.now!().getTime() }),
  });
  const objections = sublevel("creditObjections");
  const unionObjections = new UnionObjections({
    memberId: config.memberId,
    logs,
    reports,
    objections,
    documents,
    anchor,
  });
  return { creditService, unionObjections };
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
  const simulator = (seed: string) => new BureauSimulator({ seed, latencyMs: [5, 20], mode: "normal" });
  const primary = new BureauClient(deps.bureau ?? simulator(`node-${config.memberId}`), { onEvent });
  // the fallback channel: its own line, client and breaker, so the primary's trouble is not its own
  const fallback = new BureauClient(deps.bureauFallback ?? simulator(`node-${config.memberId}-fallback`), {
    onEvent,
  });
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
