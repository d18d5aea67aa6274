// Early settlement (提前结清) and cancellation through the node's API over a real Anvil chain:
// a loan settled the day after disbursement owes that one day of interest, not the schedule's
// (10,000 yuan at 24% for 12 months: 6.45 yuan, where a full payoff owed 1,347.15); the amount
// must be exactly what settles it today; the index, the loan's output and the day's
// reconciliation show the settlement. A registered, undisbursed loan is cancelled by its branch's
// approver; a disbursed one is refused with NODE_ERR_LOAN_DISBURSED, writing nothing, and so is a
// cancellation the chain refuses because a disbursement landed first.
import { expect } from "chai";
import { NodeOperations } from "../../nodes/src/operations.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { chainToday, SETTLEMENT, approveAssistedLoan, outboxConfirmed } from "../support/institution-node.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, expectRefusal, reconcileBooks, callsAs } from "../support/node-calls.ts";

type Approved = {
  loanId: string;
  serial: string;
  schedule: Array<{ principalFen: string; interestFen: string; totalFen: string }>;
};

describe("node API: early settlement and cancellation", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-settlement-", { branch: { tokens: CLERK_APPROVER_TOKENS } });
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);

  /** An assisted loan of `yuan` at `rate`% for 12 months, equal installments, no fees, starting on the chain's today; registered. */
  async function registeredLoan(
    applicationSerial: string,
    yuan: string,
    rate: string,
  ): Promise<Approved & { startDate: string }> {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = applicationSerial;
    payload.daikuan.jine = yuan;
    payload.daikuan.nianLilv = rate;
    payload.daikuan.feiyong = [];
    const { submitted, startDate, approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      payload,
      letter: `授权书 ${applicationSerial}`,
      contract: `借款合同 ${applicationSerial}`,
    });
    expect(submitted.statusCode, submitted.body).to.equal(200);
    expect(approved.statusCode, approved.body).to.equal(200);
    const body = approved.json() as Approved;
    await waitConfirmed(body.serial);
    return { ...body, startDate };
  }

  const waitConfirmed = (serial: string) => outboxConfirmed(suite.branch, as, serial);

  async function disburse(loanId: string, serial: string, amountFen: string): Promise<void> {
    await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
      serial,
      amountFen,
      accountHash: SETTLEMENT,
    });
    await waitConfirmed(serial);
  }

  async function outboxStatus(serial: string): Promise<number> {
    return (await api(suite.branch, "clerk", "GET", `/v1/outbox/${encodeURIComponent(serial)}`)).statusCode;
  }

  it("settles 10,000 yuan at 24% the day after disbursement for one day of interest (6.45 yuan, not the schedule's 1,347.15)", async function () {
    const { loanId, schedule } = await registeredLoan("JDB-SETTLE-NEXT-DAY", "10000.00", "24.00");
    // the schedule's interest over twelve months: what a payoff in full owed before
    expect(schedule.reduce((sum, i) => sum + BigInt(i.interestFen), 0n)).to.equal(134_715n);
    // nothing to settle before the money is out
    const early = await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}/settlement`);
    expect(early.statusCode, early.body).to.equal(409);
    expect((early.json() as { error: { code: string } }).error.code).to.equal("NODE_ERR_LOAN_STATE");
    await disburse(loanId, "DSB-SETTLE-1", "1000000");

    // the next day on the chain's clock
    await suite.chain.anvil.provider.send("evm_increaseTime", [86_400]);
    await suite.chain.anvil.provider.send("evm_mine", []);
    const settlementDate = await chainToday(suite.chain);

    // round_half_up(20,000 fen × 1 day / 31 days) = 645 fen: the first period is 31 days from the start day
    const owed = await ok<{
      penaltyFen: string;
      interestFen: string;
      principalFen: string;
      totalFen: string;
      date: string;
    }>(suite.branch, "clerk", "GET", `/v1/loans/${loanId}/settlement`);
    expect(owed.date).to.equal(settlementDate);
    expect({
      penaltyFen: owed.penaltyFen,
      principalFen: owed.principalFen,
      totalFen: owed.totalFen,
    }).to.deep.equal({
      penaltyFen: "0",
      principalFen: "1000000",
      totalFen: (1_000_000n + BigInt(owed.interestFen)).toString(),
    });
    const firstPeriodDays = (await firstDueDay(loanId)) - (await startDay(loanId));
    expect(BigInt(owed.interestFen)).to.equal(
      (2n * BigInt(schedule[0]!.interestFen) + BigInt(firstPeriodDays)) / (2n * BigInt(firstPeriodDays)),
    );
    // 2% of 10,000 yuan a month: 200 yuan in the first installment; over a 31-day first period, 6.45 yuan
    expect(schedule[0]!.interestFen).to.equal("20000");
    if (firstPeriodDays === 31) expect(owed.interestFen).to.equal("645");

    // a fen short is refused with the figure, and nothing is written
    const short = await api(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/settlements`, {
      serial: "STL-SHORT",
      amountFen: (BigInt(owed.totalFen) - 1n).toString(),
    });
    expect(short.statusCode, short.body).to.equal(409);
    const refusal = short.json() as { error: { code: string; details: Record<string, string> } };
    expect(refusal.error.code).to.equal("NODE_ERR_SETTLEMENT_MISMATCH");
    expect(refusal.error.details).to.include({
      owedFen: owed.totalFen,
      interestFen: owed.interestFen,
      principalFen: "1000000",
    });
    expect(await outboxStatus("STL-SHORT")).to.equal(404);

    type Settled = { serial: string; voucher: string; outbox: { kind: string } };
    const settle = { serial: "STL-0001", amountFen: owed.totalFen };
    const reply = await ok<Settled>(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/settlements`, settle);
    expect(reply.outbox.kind).to.equal("settle");
    await waitConfirmed("STL-0001");
    // the same request again answers the same entry (the loan is settled by now)
    const again = await ok<Settled>(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/settlements`, settle);
    expect(again.voucher).to.equal(reply.voucher);

    await suite.branch.indexer.syncOnce();
    const loan = (await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`)).json() as Record<
      string,
      unknown
    >;
    expect(loan.state).to.equal("Settled");
    expect(loan.interestRepaidFen).to.equal(owed.interestFen);
    expect(loan.principalRepaidFen).to.equal("1000000");
    expect(loan.settlement).to.deep.include({
      serial: (loan.settlement as { serial: string }).serial,
      date: settlementDate,
      amountFen: owed.totalFen,
      interestFen: owed.interestFen,
      principalFen: "1000000",
      penaltyFen: "0",
    });
    expect((loan.settled as { date: string }).date).to.equal(settlementDate);
    // settled: nothing more to quote or settle
    const after = await api(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/settlements`, {
      serial: "STL-0002",
      amountFen: "1",
    });
    expect((after.json() as { error: { code: string } }).error.code, after.body).to.equal(
      "NODE_ERR_LOAN_STATE",
    );

    // the branch's books of the settlement day book it as a repayment: they reconcile
    const books = [
      "serial,loan_id,type,amount,value_date,account_masked",
      `STL-0001,${loanId},repayment,${(Number(owed.totalFen) / 100).toFixed(2)},${settlementDate},**** **** **** 6789`,
    ].join("\n");
    const report = await reconcileBooks(suite.branch, as("clerk"), settlementDate, books);
    expect(report, JSON.stringify(report)).to.include({ matched: 1, balanced: true });
  });

  it("cancels a registered, undisbursed loan through the approver, and refuses a disbursed one with NODE_ERR_LOAN_DISBURSED, writing nothing", async function () {
    const { loanId } = await registeredLoan("JDB-CANCEL-1", "10000.00", "12.00");
    const byClerk = await api(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/cancellation`, {
      reasonCode: 3,
    });
    expect(byClerk.statusCode, byClerk.body).to.equal(403);
    const cancel = () =>
      ok<{ outbox: { state: string; kind: string } }>(
        suite.branch,
        "approver",
        "POST",
        `/v1/loans/${loanId}/cancellation`,
        { reasonCode: 3 },
      );
    expect((await cancel()).outbox).to.include({ state: "confirmed", kind: "cancelLoan" });
    // the same request again: the same answer; another reason for the same loan: a conflict
    await cancel();
    const otherReason = await api(suite.branch, "approver", "POST", `/v1/loans/${loanId}/cancellation`, {
      reasonCode: 4,
    });
    expect((otherReason.json() as { error: { code: string } }).error.code, otherReason.body).to.equal(
      "NODE_ERR_OUTBOX_CONFLICT",
    );
    await suite.branch.indexer.syncOnce();
    const loan = (await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`)).json() as {
      state: string;
      cancelReason: number;
    };
    expect(loan).to.include({ state: "Cancelled", cancelReason: 3 });

    const { loanId: disbursedLoan } = await registeredLoan("JDB-CANCEL-2", "10000.00", "12.00");
    await disburse(disbursedLoan, "DSB-CANCEL-2", "1000000");
    const refused = await api(suite.branch, "approver", "POST", `/v1/loans/${disbursedLoan}/cancellation`, {
      reasonCode: 3,
    });
    expectRefusal(refused, 409, {
      code: "NODE_ERR_LOAN_DISBURSED",
      details: { state: "Active", disbursedMask: 1 },
    });
    expect(await outboxStatus(`cancel:${disbursedLoan}`)).to.equal(404);

    const unknown = `0x${"ab".repeat(32)}`;
    for (const [url, payload] of [
      [`/v1/loans/${unknown}/cancellation`, { reasonCode: 1 }],
      [`/v1/loans/${unknown}/settlements`, { serial: "STL-UNKNOWN", amountFen: "1" }],
    ] as const) {
      expectRefusal(await api(suite.branch, "approver", "POST", url, payload), 404, {
        code: "NODE_ERR_UNKNOWN_LOAN",
      });
    }
    expect(await outboxStatus("STL-UNKNOWN")).to.equal(404);
  });

  async function firstDueDay(loanId: string): Promise<number> {
    const ledger = suite.branch.ops.deps.ledger;
    const schedule = (await ledger.getFunction("schedule")(loanId)) as Array<{ dueDay: bigint }>;
    return Number(schedule[0]!.dueDay);
  }

  async function startDay(loanId: string): Promise<number> {
    return Number(
      ((await suite.branch.ops.deps.ledger.getFunction("loan")(loanId)) as { startDay: bigint }).startDay,
    );
  }
});

describe("cancellation: the chain's refusal after the node's checks passed", function () {
  const loanId = `0x${"cd".repeat(32)}`;
  const actor = { userId: "test.approver", role: "approver" as const, memberId: 2 };
  /** Branch 2's node; the ledger shows the loan registered and undisbursed, and the outbox ends the write as `final`. */
  function opsEndingWith(final: Record<string, unknown>): NodeOperations {
    const ledger = { loan: async () => ({ branch: 2n, state: 1n, disbursedMask: 0n }) };
    const outbox = {
      status: async () => undefined,
      enqueue: async () => ({}),
      settled: async () => ({ serial: `cancel:${loanId}`, kind: "cancelLoan", ...final }),
    };
    return new NodeOperations({ memberId: 2, ledger, outbox, chainWriteTimeoutMs: 10 } as never);
  }
  async function codeOf(final: Record<string, unknown>): Promise<string> {
    try {
      await opsEndingWith(final).flows.cancel(actor, loanId, 3);
    } catch (error) {
      return (error as { code: string }).code;
    }
    return "accepted";
  }

  it("maps a disbursement that landed first (LedgerPartlyDisbursed, LedgerWrongState Active or Settled) to NODE_ERR_LOAN_DISBURSED", async function () {
    expect(
      await codeOf({ state: "failed", failure: { code: "LedgerPartlyDisbursed", args: [loanId] } }),
    ).to.equal("NODE_ERR_LOAN_DISBURSED");
    expect(
      await codeOf({ state: "failed", failure: { code: "LedgerWrongState", args: [loanId, "2"] } }),
    ).to.equal("NODE_ERR_LOAN_DISBURSED");
    expect(
      await codeOf({ state: "failed", failure: { code: "LedgerWrongState", args: [loanId, "3"] } }),
    ).to.equal("NODE_ERR_LOAN_DISBURSED");
  });

  it("answers any other refusal as NODE_ERR_CHAIN_REFUSED, a write still under way as NODE_ERR_OUTBOX_PENDING, a confirmed one with the entry", async function () {
    expect(
      await codeOf({ state: "failed", failure: { code: "LedgerNotBranchOrUnion", args: ["0x0", "2"] } }),
    ).to.equal("NODE_ERR_CHAIN_REFUSED");
    expect(await codeOf({ state: "sent" })).to.equal("NODE_ERR_OUTBOX_PENDING");
    expect(await codeOf({ state: "confirmed" })).to.equal("accepted");
  });
});
