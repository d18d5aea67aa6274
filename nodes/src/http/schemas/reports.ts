// Reconciliation (对账) and the credit-reporting file (征信报送): files in, files out.
import { z } from "zod";
import { day } from "./common.ts";

export const ReconcileQuery = z.strictObject({ day, format: z.enum(["json", "csv"]).default("json") });
export const ReconciliationReport = z
  .any()
  .describe("the day's reconciliation report: JSON (application/json) or CSV (text/csv), as ?format= asks");
export const CreditReportQuery = z.strictObject({ month: z.string().regex(/^\d{4}-\d{2}$/, "YYYY-MM") });
export const CreditReportFile = z.string().describe("the month's credit-reporting file (text/csv)");
