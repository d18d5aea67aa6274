// The decision engine (授信决策引擎): pure rules over what the decision is made from — the
// canonical application's amount and term, the bureau report's figures, the borrower's
// outstanding principal across the consortium (read from the chain's index), the declared
// monthly income and the debt-to-income it gives — under one policy version. No I/O, no clock:
// the same inputs and policy always give the same outcome and reasons.
import type { CreditPolicy } from "./policy.ts";

export type DecisionOutcome = "approve" | "decline" | "refer";

/** Reasons a borrower may be told (a decline notice lists them), each in Chinese and English. */
export const DECISION_REASONS = {
  AMOUNT_ABOVE_LIMIT: {
    zh: "申请金额超过本行单笔授信上限",
    en: "The amount applied for is above the branch's limit for one loan",
  },
  TERM_ABOVE_LIMIT: {
    zh: "申请期限超过本行授信期限上限",
    en: "The term applied for is longer than the branch grants",
  },
  EXPOSURE_ABOVE_LIMIT: {
    zh: "在联合贷款联盟内的借款余额加本笔借款超过上限",
    en: "Your outstanding loans across the consortium plus this loan are above the limit",
  },
  SCORE_TOO_LOW: { zh: "征信评分低于本行准入标准", en: "Your credit score is below the branch's minimum" },
  OVERDUE_ACCOUNTS: {
    zh: "征信报告中逾期账户数过多",
    en: "Your credit report shows too many accounts with overdue payments",
  },
  SERIOUS_DELINQUENCY: {
    zh: "征信报告中存在严重逾期记录",
    en: "Your credit report shows a serious overdue record",
  },
  DEBT_TO_INCOME_TOO_HIGH: {
    zh: "月还款额占月收入比例过高",
    en: "Your monthly repayments would be too high a share of your monthly income",
  },
  INCOME_NOT_VERIFIED: { zh: "未能核实收入", en: "Your income could not be verified" },
  // reasons for a referral: an approver looks; never the sole text of a decline notice
  SCORE_BORDERLINE: { zh: "征信评分需人工复核", en: "Your credit score needs a manual review" },
  DEBT_TO_INCOME_BORDERLINE: {
    zh: "收入负债比需人工复核",
    en: "Your debt-to-income ratio needs a manual review",
  },
  OVERDUE_HISTORY: {
    zh: "征信报告中的逾期记录需人工复核",
    en: "The overdue records in your credit report need a manual review",
  },
  MANY_RECENT_INQUIRIES: {
    zh: "近六个月征信查询次数较多",
    en: "Many lenders queried your credit in the last six months",
  },
  LARGE_AMOUNT: { zh: "大额借款需人工审核", en: "A loan of this size is reviewed by an approver" },
  MANUAL_DECLINE: { zh: "经人工审核未予通过", en: "An approver reviewed the application and declined it" },
} as const;
export type DecisionReason = keyof typeof DECISION_REASONS;

export type DecisionInputs = {
  principalFen: bigint;
  /** Months; a bullet loan's days as whole months, rounded up. */
  termMonths: number;
  aprBps: number;
  /** Declared by the applicant, checked by the clerk; 0 when it could not be verified. */
  monthlyIncomeFen: bigint;
  report: {
    score: number;
    totalOutstandingFen: bigint;
    overdueAccounts: number;
    worstOverdueDays: number;
    queriesLast6Months: number;
  };
  /** Outstanding principal of the borrower's loans across the consortium, from the chain's index. */
  consortiumExposureFen: bigint;
};

export type Decision = {
  outcome: DecisionOutcome;
  reasons: DecisionReason[];
  /** The figures the rules compared, for the record. */
  figures: { debtToIncomeBps: number | null; monthlyDebtServiceFen: bigint; exposureAfterFen: bigint };
};

/**
 * The new loan's monthly service, bounded from above: its principal over the term plus a month's
 * interest on the whole principal (so any repayment method is covered); existing debt at the
 * policy's monthly rate of the larger of the bureau's and the consortium's outstanding figures
 * (the consortium's loans are in the bureau's too, so the two are not added).
 */
export function monthlyDebtService(inputs: DecisionInputs, policy: CreditPolicy): bigint {
  const months = BigInt(Math.max(1, inputs.termMonths));
  const principalPart = (inputs.principalFen + months - 1n) / months;
  const interestPart = (inputs.principalFen * BigInt(inputs.aprBps) + 119_999n) / 120_000n;
  const existing =
    inputs.report.totalOutstandingFen > inputs.consortiumExposureFen
      ? inputs.report.totalOutstandingFen
      : inputs.consortiumExposureFen;
  const existingPart = (existing * BigInt(policy.existingDebtMonthlyBps) + 9_999n) / 10_000n;
  return principalPart + interestPart + existingPart;
}

/** Approve, decline (every rule broken, as reasons) or refer (why an approver must look). */
export function decide(inputs: DecisionInputs, policy: CreditPolicy): Decision {
  const declines: DecisionReason[] = [];
  const refers: DecisionReason[] = [];
  const service = monthlyDebtService(inputs, policy);
  const exposureAfter = inputs.consortiumExposureFen + inputs.principalFen;
  const dti = inputs.monthlyIncomeFen > 0n ? Number((service * 10_000n) / inputs.monthlyIncomeFen) : null;
  const { report } = inputs;

  if (inputs.principalFen > BigInt(policy.maxPrincipalFen)) declines.push("AMOUNT_ABOVE_LIMIT");
  if (inputs.termMonths > policy.maxTermMonths) declines.push("TERM_ABOVE_LIMIT");
  if (exposureAfter > BigInt(policy.maxConsortiumExposureFen)) declines.push("EXPOSURE_ABOVE_LIMIT");
  if (report.score < policy.minScore) declines.push("SCORE_TOO_LOW");
  if (report.overdueAccounts > policy.maxOverdueAccounts) declines.push("OVERDUE_ACCOUNTS");
  if (report.worstOverdueDays > policy.maxWorstOverdueDays) declines.push("SERIOUS_DELINQUENCY");
  if (dti === null) declines.push("INCOME_NOT_VERIFIED");
  else if (dti > policy.maxDebtToIncomeBps) declines.push("DEBT_TO_INCOME_TOO_HIGH");

  if (report.score < policy.referBelowScore && report.score >= policy.minScore)
    refers.push("SCORE_BORDERLINE");
  if (dti !== null && dti > policy.referAboveDebtToIncomeBps && dti <= policy.maxDebtToIncomeBps)
    refers.push("DEBT_TO_INCOME_BORDERLINE");
  const overdueWithinMax =
    report.overdueAccounts <= policy.maxOverdueAccounts &&
    report.worstOverdueDays <= policy.maxWorstOverdueDays;
  if (
    overdueWithinMax &&
    (report.overdueAccounts > policy.referAboveOverdueAccounts ||
      report.worstOverdueDays > policy.referAboveWorstOverdueDays)
  )
    refers.push("OVERDUE_HISTORY");
  if (report.queriesLast6Months > policy.referAboveQueriesLast6Months) refers.push("MANY_RECENT_INQUIRIES");
  if (
    inputs.principalFen > BigInt(policy.referAbovePrincipalFen) &&
    inputs.principalFen <= BigInt(policy.maxPrincipalFen)
  )
    refers.push("LARGE_AMOUNT");

  const figures = { debtToIncomeBps: dti, monthlyDebtServiceFen: service, exposureAfterFen: exposureAfter };
  if (declines.length > 0) return { outcome: "decline", reasons: declines, figures };
  if (refers.length > 0) return { outcome: "refer", reasons: refers, figures };
  return { outcome: "approve", reasons: [], figures };
}

/** A loan's term in whole months: termMonths, or a bullet loan's days rounded up to 30-day months. */
export function termInMonths(loan: {
  termMonths?: number | undefined;
  termDays?: number | undefined;
}): number {
  if (loan.termMonths !== undefined) return loan.termMonths;
  return Math.ceil((loan.termDays ?? 0) / 30);
}

/** The decline notice a borrower is given: every reason, in Chinese and English. */
export function declineNotice(reasons: readonly DecisionReason[]): {
  zh: string;
  en: string;
  reasons: Array<{ code: DecisionReason; zh: string; en: string }>;
} {
  const listed = reasons.map((code) => ({ code, ...DECISION_REASONS[code] }));
  return {
    zh: `很抱歉，您的借款申请未获批准。原因：${listed.map((r) => r.zh).join("；")}。如对征信信息有异议，可向本行提出。`,
    en: `We are sorry: your loan application was declined. Reasons: ${listed.map((r) => r.en).join("; ")}. You may object to the credit information at the branch.`,
    reasons: listed,
  };
}
