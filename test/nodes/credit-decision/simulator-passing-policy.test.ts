// The loosened policy the node tests run against the bureau simulator: whatever file the simulator
// draws for a borrower (borrower keys come from a consortium key drawn afresh for each run), a
// loan of the test fixtures' size is approved, and a loan within the product's limits is at most
// referred for its size, never for the borrower's file.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import { decide, type DecisionInputs } from "../../../nodes/src/credit-decision/engine.ts";
import { defaultPolicy } from "../../../nodes/src/credit-decision/policy.ts";
import { simulatorPassingPolicy } from "../../support/credit-policy.ts";

const KEYS = 2_000;
const INCOME_FEN = 5_000_000n; // the decision tests' monthly income, 50,000 yuan

describe("test support: simulatorPassingPolicy against the bureau simulator's files", function () {
  it(`approves a 50,000-yuan loan and at most refers the largest one as LARGE_AMOUNT, for ${KEYS} random borrowers`, async function () {
    const policy = simulatorPassingPolicy();
    const bureau = new BureauSimulator({ seed: `node-${randomBytes(4).toString("hex")}`, latencyMs: 0 });
    const outcomes = { approve: 0, refer: 0 };
    // borrowers whose file the default policy would refer or decline on debt-to-income
    let indebted = 0;
    for (let i = 0; i < KEYS; i++) {
      const report = await bureau.query({
        borrowerKey: `0x${randomBytes(32).toString("hex")}`,
        purpose: "LOAN_APPROVAL",
        operator: "test.approver",
        institution: 2,
      });
      const inputs = (principalFen: bigint): DecisionInputs => ({
        principalFen,
        termMonths: 12,
        aprBps: 2400,
        monthlyIncomeFen: INCOME_FEN,
        report,
        consortiumExposureFen: 0n,
      });
      const usual = decide(inputs(5_000_000n), policy);
      expect(usual.reasons, `borrower ${i}: ${usual.figures.debtToIncomeBps} bps`).to.deep.equal([]);
      const largest = decide(inputs(BigInt(policy.maxPrincipalFen)), policy);
      expect(largest.reasons, `borrower ${i}: ${largest.figures.debtToIncomeBps} bps`).to.deep.equal([
        "LARGE_AMOUNT",
      ]);
      if (
        decide(inputs(BigInt(policy.maxPrincipalFen)), defaultPolicy()).reasons.some((r) =>
          r.startsWith("DEBT_TO_INCOME"),
        )
      )
        indebted++;
      outcomes[usual.outcome as "approve"]++;
      outcomes[largest.outcome as "refer"]++;
    }
    expect(outcomes).to.deep.equal({ approve: KEYS, refer: KEYS });
    expect(indebted, "borrowers the default policy refers or declines on debt-to-income").to.be.greaterThan(
      0,
    );
  });
});
