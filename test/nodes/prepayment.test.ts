// Partial prepayment (提前部分还款) through the node over a real Anvil chain: the quote is the
// ledger's own prepaymentOwed (interest to the day on the part prepaid, the principal paid, the
// largest fee the cap allows, the schedule it leaves); lower-installments keeps the term,
// shorten-term ends sooner; the prepayment goes through the outbox once by serial (the same
// request again answers the same entry) and the loan's output shows the new schedule and the
// prepayment. Refused before anything is written, with the ledger's values: all of the principal
// (that is an early settlement), a fee above what the cap allows, an amount received that is not
// the quote, a loan that is not active. Unit part: every ledger refusal mapped to its code.
import { expect } from "chai";
import { calldataOf, ledgerInterface, normalizeEntry, onChainSerial } from "../../nodes/src/outbox/entry.ts";
import { refusalOf } from "../../nodes/src/prepayment.ts";
import { chainLedgerDigest } from "../../scripts/demo/chain-digest.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { chainToday, SETTLEMENT, approveAssistedLoan, outboxSettled } from "../support/institution-node.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, expectRefusal, callsAs } from "../support/node-calls.ts";

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };
type Quote = {
  principalFen: string;
  principalPaidFen: string;
  interestFen: string;
  feeFen: string;
  maxFeeFen: string;
  totalFen: string;
  date: string;
  schedule: Array<{
    installment: number;
    dueDay: number;
    principalFen: string;
    interestFen: string;
    totalFen: string;
  }>;
};

describe("partial prepayment: the ledger's refusals as the node's codes", function () {
  const loanId = `0x${"ab".repeat(32)}`;
  it("maps each refusal of prepaymentOwed / prepay to a stable code carrying the ledger's values", function () {
    const map = (name: string, args: unknown[]) => {
      const e = refusalOf(loanId, { name, args }, new Error("reverted"));
      return { code: e.code, details: e.details };
    };
    expect(map("LedgerBadPrepayment", [loanId, 1_000_000n, 1_000_000n])).to.deep.equal({
      code: "NODE_ERR_BAD_PREPAYMENT",
      details: { principalFen: "1000000", outstandingFen: "1000000" },
    });
    expect(map("LedgerInstallmentOpen", [loanId, 2n])).to.deep.equal({
      code: "NODE_ERR_INSTALLMENT_OPEN",
      details: { installment: 2 },
    });
    expect(map("LedgerPrepaymentFeeAboveCap", [loanId, 5000n, 1234n])).to.deep.equal({
      code: "NODE_ERR_PREPAYMENT_FEE_ABOVE_CAP",
      details: { feeFen: "5000", maxFeeFen: "1234" },
    });
    expect(map("LedgerPrepaymentMismatch", [loanId, 10n, 11n])).to.deep.equal({
      code: "NODE_ERR_PREPAYMENT_MISMATCH",
      details: { receivedFen: "10", owedFen: "11" },
    });
    expect(map("LedgerWrongState", [loanId, 1n])).to.deep.equal({
      code: "NODE_ERR_LOAN_STATE",
      details: { state: "Registered" },
    });
    expect(map("LedgerUnknownLoan", [loanId]).code).to.equal("NODE_ERR_UNKNOWN_LOAN");
    expect(map("LedgerNotBranchOperations", ["0x0", 2n]).code).to.equal("NODE_ERR_CHAIN_REFUSED");
    expect(refusalOf(loanId, undefined, new Error("connection refused")).code).to.equal(
      "NODE_ERR_CHAIN_UNAVAILABLE",
    );
  });

  it("stores a prepay entry canonically and encodes the ledger's prepay call", function () {
    const voucher = `0x${"11".repeat(32)}`;
    const entry = normalizeEntry({
      serial: "PRE-1",
      kind: "prepay",
      args: {
        loanId: loanId.toUpperCase().replace("0X", "0x"),
        principal: 300_000n,
        mode: 1,
        fee: 0,
        amount: "300645",
        voucher,
      },
    });
    expect(entry.args).to.deep.equal({
      loanId,
      principal: "300000",
      mode: 1,
      fee: "0",
      amount: "300645",
      voucher,
    });
    const call = ledgerInterface.decodeFunctionData("prepay", calldataOf(entry));
    expect(call.toArray()).to.deep.equal([
      loanId,
      300_000n,
      1n,
      0n,
      300_645n,
      onChainSerial("PRE-1"),
      voucher,
    ]);
    expect(() =>
      normalizeEntry({
        serial: "PRE-2",
        kind: "prepay",
        args: { loanId, principal: 1n, mode: 2, fee: 0n, amount: 1n, voucher },
      }),
    )
      .to.throw()
      .with.property("code", "NODE_ERR_OUTBOX_BAD_ENTRY");
  });
});

describe("node API: partial prepayment over Anvil", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-prepayment-", { branch: { tokens: CLERK_APPROVER_TOKENS } });
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);

  const settled = (serial: string) => outboxSettled(suite.branch, as, serial);

  /** 10,000 yuan at 12% for 12 months, equal installments, no fees, registered on the chain's today (and disbursed unless told). */
  async function loan(
    applicationSerial: string,
    disburse = true,
  ): Promise<{ loanId: string; allInAprBps: number }> {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = applicationSerial;
    payload.daikuan.jine = "10000.00";
    payload.daikuan.nianLilv = "12.00";
    payload.daikuan.feiyong = [];
    const { approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      payload,
      letter: `授权书 ${applicationSerial}`,
      contract: `借款合同 ${applicationSerial}`,
    });
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId, serial, allInAprBps } = approved.json() as {
      loanId: string;
      serial: string;
      allInAprBps: number;
    };
    expect((await settled(serial)).state).to.equal("confirmed");
    if (disburse) {
      await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
        serial: `DSB-${applicationSerial}`,
        amountFen: "1000000",
        accountHash: SETTLEMENT,
      });
      expect((await settled(`DSB-${applicationSerial}`)).state).to.equal("confirmed");
    }
    return { loanId, allInAprBps };
  }

  const quote = (loanId: string, query: string) =>
    api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}/prepayment-quote?${query}`);
  const outboxStatus = async (serial: string) =>
    (await api(suite.branch, "clerk", "GET", `/v1/outbox/${encodeURIComponent(serial)}`)).statusCode;
  const prepay = (loanId: string, body: object) =>
    api(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/prepayments`, body);

  it("quotes from the chain, refuses what the ledger would, prepays once and shows the new schedule", async function () {
    const { loanId: registered } = await loan("JDB-PREPAY-REGISTERED", false);
    const early = await quote(registered, "amount=100000&mode=lower-installments");
    expect([early.statusCode, (early.json() as ErrorBody).error.code]).to.deep.equal([
      409,
      "NODE_ERR_LOAN_STATE",
    ]);
    const unknown = await quote(`0x${"ef".repeat(32)}`, "amount=100000&mode=lower-installments");
    expect([unknown.statusCode, (unknown.json() as ErrorBody).error.code]).to.deep.equal([
      404,
      "NODE_ERR_UNKNOWN_LOAN",
    ]);

    const { loanId, allInAprBps } = await loan("JDB-PREPAY-1");
    await suite.chain.anvil.provider.send("evm_increaseTime", [86_400]);
    await suite.chain.anvil.provider.send("evm_mine", []);

    // the quote is the ledger's prepaymentOwed, read as it stands
    const lower = await quote(loanId, "amount=300000&mode=lower-installments");
    expect(lower.statusCode, lower.body).to.equal(200);
    const q = lower.json() as Quote;
    const [interest, principalPaid, maxFee, installments] = ledgerInterface.decodeFunctionResult(
      "prepaymentOwed",
      await suite.chain.anvil.provider.call({
        to: suite.lending.addresses.jointLoanLedger,
        data: ledgerInterface.encodeFunctionData("prepaymentOwed", [loanId, 300_000n, 1, 0n]),
      }),
    ) as unknown as [bigint, bigint, bigint, Array<{ dueDay: bigint; principal: bigint; interest: bigint }>];
    expect(q).to.deep.include({
      principalFen: "300000",
      principalPaidFen: principalPaid.toString(),
      interestFen: interest.toString(),
      feeFen: "0",
      maxFeeFen: maxFee.toString(),
      totalFen: (interest + principalPaid).toString(),
      date: await chainToday(suite.chain),
    });
    // one day of interest on 3,000 yuan: far below a month's
    expect(BigInt(q.interestFen)).to.be.greaterThan(0n).and.lessThan(3_000n);
    // lower installments keep the twelve; shortening the term keeps the installment and ends sooner
    expect(q.schedule.map((i) => i.dueDay)).to.deep.equal(installments.map((i) => Number(i.dueDay)));
    expect(q.schedule).to.have.length(12);
    expect(q.schedule.reduce((sum, i) => sum + BigInt(i.principalFen), 0n)).to.equal(700_000n);
    const shorter = (await quote(loanId, "amount=300000&mode=shorten-term")).json() as Quote;
    expect(shorter.schedule.length).to.be.lessThan(12);
    expect(shorter.schedule.reduce((sum, i) => sum + BigInt(i.principalFen), 0n)).to.equal(700_000n);

    // all of the principal is an early settlement; a fee above what the cap allows; the wrong amount received
    const all = await quote(loanId, "amount=1000000&mode=lower-installments");
    expect([all.statusCode, (all.json() as ErrorBody).error]).to.deep.equal([
      422,
      {
        code: "NODE_ERR_BAD_PREPAYMENT",
        message: (all.json() as ErrorBody & { error: { message: string } }).error.message,
        details: { principalFen: "1000000", outstandingFen: "1000000" },
      },
    ]);
    const dearFee = (BigInt(q.maxFeeFen) + 1n).toString();
    const fee = await quote(loanId, `amount=300000&mode=lower-installments&fee=${dearFee}`);
    expectRefusal(fee, 422, {
      code: "NODE_ERR_PREPAYMENT_FEE_ABOVE_CAP",
      details: { feeFen: dearFee, maxFeeFen: q.maxFeeFen },
    });
    const wrong = await prepay(loanId, {
      serial: "PRE-WRONG",
      amountFen: "300000",
      mode: "lower-installments",
      receivedFen: "300000",
    });
    expectRefusal(wrong, 409, { code: "NODE_ERR_PREPAYMENT_MISMATCH" });
    expect((wrong.json() as ErrorBody).error.details).to.include({
      receivedFen: "300000",
      owedFen: q.totalFen,
    });
    expect(await outboxStatus("PRE-WRONG")).to.equal(404);
    const badMode = await prepay(loanId, { serial: "PRE-MODE", amountFen: "300000", mode: "ShortenTerm" });
    expect([badMode.statusCode, (badMode.json() as ErrorBody).error.code]).to.deep.equal([
      400,
      "NODE_ERR_VALIDATION",
    ]);

    const body = {
      serial: "PRE-0001",
      amountFen: "300000",
      mode: "lower-installments",
      receivedFen: q.totalFen,
    };
    type Prepaid = { voucher: string; outbox: { kind: string } };
    const url = `/v1/loans/${loanId}/prepayments`;
    const reply = await ok<Prepaid>(suite.branch, "clerk", "POST", url, body);
    expect(reply.outbox.kind).to.equal("prepay");
    expect((await settled("PRE-0001")).state).to.equal("confirmed");
    // the same request again: the same entry, nothing sent twice
    const again = await ok<Prepaid>(suite.branch, "clerk", "POST", url, body);
    expect(again.voucher).to.equal(reply.voucher);
    const ledger = suite.lending.addresses.jointLoanLedger;
    const events = await suite.chain.anvil.provider.getLogs({
      address: ledger,
      topics: [ledgerInterface.getEvent("PrepaymentReceived")!.topicHash, loanId],
      fromBlock: 0,
    });
    expect(events).to.have.length(1);

    await suite.branch.indexer.syncOnce();
    const view = (
      await suite.branch.app.inject({ method: "GET", url: `/v1/loans/${loanId}`, headers: as("clerk") })
    ).json() as {
      schedule: Quote["schedule"];
      prepayments: Array<Record<string, unknown>>;
      allInAprBps: number;
    };
    // the all-in APR approval computed, from the schedule as registered (not the rewritten one)
    expect(view.allInAprBps).to.equal(allInAprBps);
    expect(view.schedule.map((i) => [i.dueDay, i.principalFen, i.interestFen])).to.deep.equal(
      q.schedule.map((i) => [i.dueDay, i.principalFen, i.interestFen]),
    );
    expect(view.prepayments).to.have.length(1);
    expect(view.prepayments[0]).to.deep.include({
      mode: "lower-installments",
      principalFen: "300000",
      principalPaidFen: q.principalPaidFen,
      interestFen: q.interestFen,
      feeFen: "0",
    });
    // the index books it as a repayment: principal off the loan and the borrower's exposure, the flow on the day, the same digest as the chain's
    const indexed = view as unknown as {
      principalRepaidFen: string;
      interestRepaidFen: string;
      borrowerKey: string;
      funders: Array<{ principalRepaidFen: string; incomeFen: string }>;
    };
    expect({
      principalRepaidFen: indexed.principalRepaidFen,
      interestRepaidFen: indexed.interestRepaidFen,
    }).to.deep.equal({ principalRepaidFen: "300000", interestRepaidFen: q.interestFen });
    expect(indexed.funders[0]).to.deep.include({ principalRepaidFen: "300000", incomeFen: q.interestFen });
    const exposure = await ok<{ outstandingFen: string }>(
      suite.branch,
      "approver",
      "GET",
      `/v1/exposure/${indexed.borrowerKey}`,
    );
    // 7,000 yuan still open here, and the same borrower's 10,000-yuan loan registered above
    expect(exposure.outstandingFen).to.equal("1700000");
    const flows = (
      await suite.branch.app.inject({ method: "GET", url: `/v1/flows?day=${q.date}`, headers: as("clerk") })
    ).json() as { flows: Array<{ loanId: string; type: string; amountFen: string }> };
    expect(
      flows.flows.filter((f) => f.loanId === loanId && f.type === "repayment").map((f) => f.amountFen),
    ).to.deep.equal([q.totalFen]);
    const digest = (
      await suite.branch.app.inject({ method: "GET", url: "/v1/index/digest", headers: as("clerk") })
    ).json() as { digest: string; cursor: { blockNumber: number } };
    const fromChain = await chainLedgerDigest(
      suite.chain.anvil.provider,
      ledger,
      suite.chain.deployment.blockNumber,
      { toBlock: digest.cursor.blockNumber },
    );
    expect(digest.digest).to.equal(fromChain.digest);
  });
});
