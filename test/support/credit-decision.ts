// The credit decision an approval needs (nodes/src/credit-decision/), through a node's API: a
// fresh LOAN_APPROVAL credit query under the application's anchored consent, the engine's
// decision with a verified income that no debt-to-income rule refuses, and — when the engine
// refers the application — an approver's manual approval. Fails the test unless the result is an
// approving decision. (No describe/it here: Hardhat mocha loads it like a test.)
import { expect } from "chai";

/** One request to a node's API as a role; answers the status and the parsed body. */
export type AsRole = (
  method: "POST",
  url: string,
  role: "approver",
  body: object,
) => Promise<{ status: number; body: unknown }>;

/** A monthly income (10 million yuan) under which the default policy's debt-to-income rules never refuse. */
export const AMPLE_MONTHLY_INCOME_FEN = "1000000000";

/** The application's approving decision record id (querying the bureau, deciding, approving a referral). */
export async function approvingDecision(call: AsRole, applicationId: string): Promise<string> {
  const query = await call("POST", "/v1/credit-queries", "approver", {
    applicationId,
    purpose: "LOAN_APPROVAL",
  });
  expect(query.status, JSON.stringify(query.body)).to.equal(200);
  const run = await call("POST", "/v1/decisions", "approver", {
    applicationId,
    monthlyIncomeFen: AMPLE_MONTHLY_INCOME_FEN,
  });
  expect(run.status, JSON.stringify(run.body)).to.equal(200);
  const { record } = run.body as { record: { decisionId: string; outcome: string; reasons: string[] } };
  if (record.outcome === "approve") return record.decisionId;
  expect(record.outcome, `the engine declined ${applicationId}: ${record.reasons.join(", ")}`).to.equal(
    "refer",
  );
  const answer = await call("POST", `/v1/decisions/queue/${encodeURIComponent(applicationId)}`, "approver", {
    outcome: "approve",
  });
  expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
  const manual = (answer.body as { record?: { decisionId: string; outcome: string } }).record;
  expect(manual?.outcome, "a referral above the dual-approval threshold needs a second approver").to.equal(
    "approve",
  );
  return manual!.decisionId;
}

/** `approvingDecision` over a Fastify app's inject with bearer headers by role. */
export function injectAs(
  app: {
    inject(options: {
      method: "POST";
      url: string;
      headers: Record<string, string>;
      payload: object;
    }): Promise<{ statusCode: number; body: string }>;
  },
  headers: (role: "approver") => { authorization: string },
): AsRole {
  return async (method, url, role, body) => {
    const reply = await app.inject({ method, url, headers: headers(role), payload: body });
    return { status: reply.statusCode, body: JSON.parse(reply.body) as unknown };
  };
}
