// The decision engine's rules, pure: approve, every decline reason, referral reasons, and the
// committed default policy valid under its schema.
import { expect } from "chai";
import {
  decide,
  declineNotice,
  DECISION_REASONS,
  termInMonths,
  type DecisionInputs,
} from "../../../nodes/src/credit-decision/engine.ts";
import { CreditPolicy, defaultPolicy, parsePolicy } from "../../../nodes/src/credit-decision/policy.ts";
import { NodeError } from "../../../nodes/src/errors.ts";
import { expectCode } from "../../support/expect-error.ts";

const policy = defaultPolicy();
const good: DecisionInputs = {
  principalFen: 5_000_000n,
  termMonths: 12,
  aprBps: 1825,
  monthlyIncomeFen: 2_000_000n,
  report: {
    score: 720,
    totalOutstandingFen: 0n,
    overdueAccounts: 0,
    worstOverdueDays: 0,
    queriesLast6Months: 1,
  },
  consortiumExposureFen: 0n,
};

/** decide() on `inputs` under `rules`: the `outcome` with exactly these `reasons`, in this order. */
function expectDecision(
  inputs: DecisionInputs,
  rules: typeof policy,
  outcome: "approve" | "refer" | "decline",
  reasons: string[],
): ReturnType<typeof decide> {
  const d = decide(inputs, rules);
  expect(d.outcome).to.equal(outcome);
  expect(d.reasons).to.deep.equal(reasons);
  return d;
}

describe("credit-decision/engine", () => {
  it("the committed default policy is version 1 and valid; below its hard limits a weak credit history goes to an approver, not to a decline", () => {
    expect(policy.version).to.equal(1);
    const weak = decide(
      {
        ...good,
        report: {
          score: 300,
          totalOutstandingFen: 0n,
          overdueAccounts: 4,
          worstOverdueDays: 181,
          queriesLast6Months: 20,
        },
      },
      policy,
    );
    expect(weak.outcome).to.equal("refer");
    expect(CreditPolicy.safeParse(policy).success).to.equal(true);
  });

  it("approves a loan within every rule, with no reasons", () => {
    const d = expectDecision(good, policy, "approve", []);
    // 5,000,000/12 rounded up + a month's interest on the whole principal, over 20,000 yuan a month
    expect(d.figures.monthlyDebtServiceFen).to.equal(416_667n + 76_042n);
    expect(d.figures.debtToIncomeBps).to.equal(2463);
  });

  it("declines with every broken rule as a reason the borrower is told", () => {
    const strict = { ...policy, minScore: 450 };
    expectDecision(
      {
        ...good,
        principalFen: 40_000_000n,
        termMonths: 48,
        report: { ...good.report, score: 400, overdueAccounts: 7, worstOverdueDays: 400 },
        consortiumExposureFen: 80_000_000n,
      },
      strict,
      "decline",
      [
        "AMOUNT_ABOVE_LIMIT",
        "TERM_ABOVE_LIMIT",
        "EXPOSURE_ABOVE_LIMIT",
        "SCORE_TOO_LOW",
        "OVERDUE_ACCOUNTS",
        "SERIOUS_DELINQUENCY",
        "DEBT_TO_INCOME_TOO_HIGH",
      ],
    );
  });

  it("declines an unverified income and a debt-to-income above the maximum; refers the borderline", () => {
    expect(decide({ ...good, monthlyIncomeFen: 0n }, policy).reasons).to.deep.equal(["INCOME_NOT_VERIFIED"]);
    expect(decide({ ...good, monthlyIncomeFen: 600_000n }, policy)).to.include({ outcome: "decline" });
    expectDecision(
      {
        ...good,
        monthlyIncomeFen: 900_000n,
        report: {
          ...good.report,
          score: 550,
          queriesLast6Months: 9,
          overdueAccounts: 2,
          worstOverdueDays: 120,
        },
      },
      policy,
      "refer",
      ["SCORE_BORDERLINE", "DEBT_TO_INCOME_BORDERLINE", "OVERDUE_HISTORY", "MANY_RECENT_INQUIRIES"],
    );
    expect(
      decide({ ...good, principalFen: 25_000_000n, monthlyIncomeFen: 10_000_000n }, policy).reasons,
    ).to.deep.equal(["LARGE_AMOUNT"]);
  });

  it("counts the larger of the bureau's and the consortium's outstanding, not both", () => {
    const both = decide(
      {
        ...good,
        report: { ...good.report, totalOutstandingFen: 1_000_000n },
        consortiumExposureFen: 1_000_000n,
      },
      policy,
    );
    const one = decide({ ...good, report: { ...good.report, totalOutstandingFen: 1_000_000n } }, policy);
    expect(both.figures.monthlyDebtServiceFen).to.equal(one.figures.monthlyDebtServiceFen);
  });

  it("a bullet loan's days count as whole months, rounded up", () => {
    expect(termInMonths({ termDays: 31 })).to.equal(2);
    expect(termInMonths({ termMonths: 12 })).to.equal(12);
  });

  it("a decline notice lists every reason in Chinese and English", () => {
    const notice = declineNotice(["SCORE_TOO_LOW", "DEBT_TO_INCOME_TOO_HIGH"]);
    expect(notice.reasons.map((r) => r.code)).to.deep.equal(["SCORE_TOO_LOW", "DEBT_TO_INCOME_TOO_HIGH"]);
    expect(notice.zh).to.include(DECISION_REASONS.SCORE_TOO_LOW.zh);
    expect(notice.en).to.include(DECISION_REASONS.DEBT_TO_INCOME_TOO_HIGH.en);
  });

  it("a policy breaking the schema is NODE_ERR_BAD_POLICY, naming the rule", () => {
    expectCode(() => parsePolicy({ ...policy, minScore: 700 }), NodeError, "NODE_ERR_BAD_POLICY");
    expectCode(() => parsePolicy({ ...policy, extra: 1 }), NodeError, "NODE_ERR_BAD_POLICY");
    expectCode(() => parsePolicy({ ...policy, maxPrincipalFen: 1 }), NodeError, "NODE_ERR_BAD_POLICY");
  });
});
