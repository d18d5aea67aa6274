// Every API route file, registered in this order by buildNodeApp (http/app.ts). A new resource:
// add routes/<resource>.ts exporting a RouteFile and schemas/<resource>.ts, then list it here.
import type { RouteFile } from "../deps.ts";
import { applicationRoutes } from "./applications.ts";
import { approvalRoutes } from "./approval.ts";
import { batchFileRoutes } from "./batch-files.ts";
import { branchLimitRoutes } from "./branch-limits.ts";
import { caseRoutes } from "./cases.ts";
import { mediationStepRoutes } from "./mediation-steps.ts";
import { creditRoutes } from "./credit.ts";
import { creditServiceRoutes } from "./credit-service.ts";
import { decisionRoutes } from "./decisions.ts";
import { documentRoutes } from "./documents.ts";
import { eContractRoutes } from "./e-contracts.ts";
import { entrustedPaymentRoutes } from "./entrusted-payment.ts";
import { fundFlowRoutes } from "./fund-flows.ts";
import { incomeSplitRoutes } from "./income-split.ts";
import { ledgerRoutes } from "./ledger.ts";
import { mandateRoutes } from "./mandates.ts";
import { prepaymentRoutes } from "./prepayments.ts";
import { reportRoutes } from "./reports.ts";
import { witnessRoutes } from "./witness.ts";
import { staffRoutes } from "./staff.ts";
import { courtPageRoutes } from "./court-page.ts";
import { consortiumRoutes } from "./consortium.ts";

/** The loan road's order: applications, credit, decisions, approval, money, mandates and quotas, the ledger, reports, documents, cases. */
export const ROUTE_FILES: readonly RouteFile[] = [
  applicationRoutes,
  creditRoutes,
  decisionRoutes,
  eContractRoutes,
  creditServiceRoutes,
  approvalRoutes,
  fundFlowRoutes,
  batchFileRoutes,
  entrustedPaymentRoutes,
  prepaymentRoutes,
  incomeSplitRoutes,
  mandateRoutes,
  branchLimitRoutes,
  ledgerRoutes,
  reportRoutes,
  documentRoutes,
  caseRoutes,
  mediationStepRoutes,
  witnessRoutes,
  staffRoutes,
  courtPageRoutes,
  consortiumRoutes,
];
