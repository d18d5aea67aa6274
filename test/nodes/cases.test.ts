// The keeper's escalate port in a node (cases.ts outboxEscalator): one outbox entry per loan,
// target stage and last stage change, awaited; a refusal of the chain and a write that does not
// settle in time are errors of the round with their codes. Storage only (memory-level), no chain.
import { expect } from "chai";
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { outboxEscalator } from "../../nodes/src/cases.ts";
import { memoryOutbox, bytes32, type Store } from "./outbox/fixture.ts";

const LOAN = bytes32("an overdue loan");
const ledger = { loan: async () => ({ stageChangedAt: 1_800_000_000n }) } as unknown as JointLoanLedger;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  throw new Error("expected a rejection");
}

describe("keeper escalations through the outbox", function () {
  let store: Store;
  beforeEach(async function () {
    store = await memoryOutbox();
  });
  afterEach(async function () {
    await store.close();
  });

  it("enqueues one escalate entry per loan, stage and stage change, and resolves once it is confirmed", async function () {
    const escalate = outboxEscalator(store.outbox, ledger, 10_000);
    const done = escalate(LOAN, 3);
    const serial = `escalate:${LOAN}:3:1800000000`;
    for (;;) {
      if ((await store.outbox.status(serial)) !== undefined) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await store.outbox.status(serial))!.args).to.deep.equal({ loanId: LOAN, stage: 3 });
    await store.outbox.update(serial, { state: "confirmed", blockNumber: 7 });
    await done;
    // the same escalation again is the same, already confirmed entry
    await escalate(LOAN, 3);
    expect((await store.outbox.list()).length).to.equal(1);
  });

  it("fails the round with NODE_ERR_CHAIN_REFUSED when the chain refuses, NODE_ERR_OUTBOX_PENDING when it does not settle", async function () {
    const escalate = outboxEscalator(store.outbox, ledger, 50);
    expect(await codeOf(escalate(LOAN, 1))).to.equal("NODE_ERR_OUTBOX_PENDING");
    await store.outbox.update(`escalate:${LOAN}:1:1800000000`, {
      state: "failed",
      failure: { code: "DisputeNotActiveMember", args: [] },
    });
    expect(await codeOf(escalate(LOAN, 1))).to.equal("NODE_ERR_CHAIN_REFUSED");
  });
});
