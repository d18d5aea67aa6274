// What the node's HTTP layer is built from: the domain rooms (plain modules under nodes/src),
// the API users, limits, metrics and readiness. service.ts builds one; tests pass
// stubs of the rooms a test reaches.
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { ApiUser } from "../config.ts";
import type { CaseOperations } from "../cases.ts";
import type { NodeOperations } from "../operations.ts";
import type { MandateOperations } from "../mandates.ts";
import type { BranchLimitsOperations } from "../branch-limits.ts";
import type { ReceivingAccounts } from "../entrusted-payment.ts";
import type { IncomeSplitOperations } from "../income-split.ts";
import type { PrepaymentOperations } from "../prepayment.ts";
import type { CreditDecisions } from "../credit-decision/decisions.ts";
import type { UnionCreditService } from "../credit-service/union-credit.ts";
import type { BranchObjections, UnionObjections } from "../credit-service/objections.ts";
import type { LoanContracts } from "../e-contract/contracts.ts";
import type { ContractEndorsements } from "../e-contract/endorsements.ts";
import type { FailedTokenLimiter } from "./auth.ts";
import type { OpsAccess } from "../../../common/service/ops-access.ts";
import type { NodeMetricSources, NodeMetrics } from "../metrics.ts";
import type { Witness } from "../witness/witness.ts";
import type { StaffRoom } from "./routes/staff.ts";
import type { BatchFiles } from "../batch-files/batches.ts";
import type { CourtPageOptions } from "../../../anchor-service/web/src/serve.ts";
import type { VerificationReports } from "../court-page/reports.ts";
import type { ServerTls } from "../../../common/service/tls.ts";
import type { ConsortiumView } from "../member-names.ts";

/** What /readyz answers: whether the node can serve now, and why not. */
export type ReadyAnswer = { ready: boolean; reasons?: string[]; detail: unknown };

export type NodeDeps = {
  logger: Logger | false;
  memberId: number;
  users: readonly ApiUser[];
  ops: NodeOperations;
  cases: CaseOperations;
  /** Mandates for this branch's loans (absent: the routes are not served). */
  mandates?: MandateOperations;
  /** The branch's own quotas (absent: the routes are not served). */
  branchLimits?: BranchLimitsOperations;
  /** Which account each loan approved or agreed to here pays (absent: the route is not served). */
  receiving?: ReceivingAccounts;
  /** Joint loans' income splits (absent: the routes are not served). */
  incomeSplit?: IncomeSplitOperations;
  /** Partial prepayments (absent: the routes are not served). */
  prepayments?: PrepaymentOperations;
  /** Credit decisions, the review queue and the policy (absent: the routes are not served). */
  decisions?: CreditDecisions;
  /** The union's credit-query service for branches (the union's node only; absent: the route is not served). */
  creditService?: UnionCreditService;
  /** Credit objections at the union (its node only) and at a branch that queries through it (absent: the routes are not served). */
  unionObjections?: UnionObjections;
  branchObjections?: BranchObjections;
  /** Electronic contracts: drafts and signed-contract verification (absent: no trust anchors configured; the routes are not served). */
  eContracts?: LoanContracts;
  /** Signed contracts registered and endorsed on chain (absent: the routes are not served). */
  contractEndorsements?: ContractEndorsements;
  /** A branch's daily repayment and disbursement files (batch-files/; absent: the routes are not served). */
  batchFiles?: BatchFiles;
  /** The node's C2SP witness of the evidence log (absent: the witness routes are not served). */
  witness?: Witness;
  /** The court verification page (/verify), its chain checks run in the browser against this node's chosen endpoints (absent: not served). */
  courtPage?: Omit<CourtPageOptions, "notFound">;
  /** Signed verification certificates and their reports, looked up by report id (absent: the routes are not served). */
  verificationReports?: VerificationReports;
  /** The chain's environment and the governed member directory, for the console (absent: the routes are not served). */
  consortium?: ConsortiumView;
  /** Staff accounts, console sessions and the audit trail (staff/; absent: the routes and the console are not served). */
  staff?: StaffRoom;
  /** Serve HTTPS with this certificate and key (common/service/tls.ts); absent: HTTP. */
  https?: ServerTls | undefined;
  /** POST /ops/backups: an online backup into a new folder under `dir` (absent: not served). */
  backup?: { dir: string; run: (target: string) => Promise<unknown> };
  /** /readyz: ready or not, with the reasons (readiness.ts); answered 200 or 503 with this body. */
  ready: () => ReadyAnswer | Promise<ReadyAnswer>;
  /** The node's Prometheus metrics (metrics.ts; absent: a registry of its own, nothing read before a scrape). */
  metrics?: NodeMetrics;
  /** What /metrics reads before each scrape: the outbox's counts, the indexer's position. */
  metricSources?: NodeMetricSources;
  /** Refused API tokens per source address before 429 (default 10 per 60 s: auth.ts). */
  tokenLimiter?: FailedTokenLimiter;
  /** Body limits in bytes: every route (default 16 MiB), POST /v1/reconciliations (default 32 MiB). */
  limits?: { maxBodyBytes?: number; reconcileMaxBodyBytes?: number };
  /** Who may read /metrics and /readyz (token, addresses); absent: anyone. */
  opsAccess?: OpsAccess;
};

/** The app as route files see it: zod schemas type each handler's request and reply. */
export type NodeApi = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** One resource's routes: registers them on `api` (and registers none when its room is absent from `deps`). */
export type RouteFile = (api: NodeApi, deps: NodeDeps) => void;
