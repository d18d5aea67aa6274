// Approval through the node's API computes the all-in annual cost (common/lending/apr.ts, every
// fee) and sends the application's fees to the ledger with the loan: a loan above the cap is
// refused at approval with NODE_ERR_ALL_IN_APR_ABOVE_CAP and the figure, writing nothing (the
// ledger would refuse it too, LedgerAllInAprAboveCap); one within it is registered with its fees.
import { expect } from "chai";
import { Contract } from "ethers";
import { JOINT_LOAN_LEDGER_ABI } from "../../common/chain/generated/abis.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approveAssistedLoan } from "../support/institution-node.ts";
import { dateToDay } from "../../common/lending/dates.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, expectRefusal, okBody, callsAs } from "../support/node-calls.ts";

describe("node approval: the all-in cost cap and the fees on chain", function () {
  this.timeout(120_000);
  const suite = lendingSuite("node-all-in-", { branch: { tokens: CLERK_APPROVER_TOKENS } }); // outbox sender and indexer
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);
  /** The loan's LoanFeesRegistered events on the ledger. */
  const feeEvents = (loanId: string) => {
    const ledger = new Contract(
      suite.lending.addresses.jointLoanLedger,
      JOINT_LOAN_LEDGER_ABI,
      suite.chain.anvil.provider,
    );
    return ledger.queryFilter(ledger.filters.LoanFeesRegistered!(loanId));
  };

  it("refuses 100,000 yuan at 23% for 12 months with a 6,000-yuan fee with the first installment: 3488 bps (was registered on its nominal 23%)", async function () {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = "JDB-ALL-IN-OVER-CAP";
    payload.daikuan.jine = "100000.00";
    payload.daikuan.nianLilv = "23.00";
    payload.daikuan.feiyong = [{ mingcheng: "服务费", jine: "6000", shouquFangshi: "shouqi" }];
    const { approved: refused } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      payload,
      letter: "授权书",
      contract: "借款合同",
    });
    expectRefusal(refused, 422, {
      code: "NODE_ERR_ALL_IN_APR_ABOVE_CAP",
      details: { allInAprBps: 3488, capBps: 2400 },
    });
    // nothing written: no outbox entry for the application
    expect(
      (await api(suite.branch, "approver", "GET", "/v1/outbox/JDB-ALL-IN-OVER-CAP")).statusCode,
    ).to.equal(404);
  });

  it("registers a loan within the cap with the application's fees, and reports its all-in APR", async function () {
    const { approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      letter: "授权书 2",
      contract: "借款合同 signed",
    });
    const body = okBody<{
      loanId: string;
      serial: string;
      allInAprBps: number;
      fees: Array<{ installment: number; amount: string }>;
    }>(approved);
    // 50,000 yuan at 18.25% with 300.50 yuan of guarantee fee with the first installment
    expect(body.fees).to.deep.equal([{ installment: 1, amount: "30050" }]);
    expect(body.allInAprBps).to.be.within(1826, 2400);
    let onChain = false;
    for (let i = 0; i < 100 && !onChain; i++) {
      const logs = await feeEvents(body.loanId);
      if (logs.length > 0) {
        expect((logs[0] as unknown as { args: unknown[] }).args[1]).to.deep.equal([[1n, 30_050n]]);
        onChain = true;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(onChain, "the loan's fees reached the chain").to.equal(true);
    // the indexed loan shows them too
    for (let i = 0; i < 100; i++) {
      const loan = await api(suite.branch, "approver", "GET", `/v1/loans/${body.loanId}`);
      if (loan.statusCode === 200) {
        const indexed = loan.json() as { fees?: unknown; allInAprBps?: unknown };
        expect(indexed.fees).to.deep.equal([{ installment: 1, amountFen: "30050" }]);
        // the loan's output shows the all-in APR approval computed, recomputed from the chain's schedule and the indexed fees
        expect(indexed.allInAprBps).to.equal(body.allInAprBps);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect.fail("the loan never reached the node's index");
  });

  it("sends an upfront fee and a monthly fee to the chain as the application states them, and shows the all-in APR apr.ts computes from them", async function () {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = "JDB-ALL-IN-FEES";
    payload.daikuan.feiyong = [
      { mingcheng: "服务费", jine: "100", shouquFangshi: "fangkuan" },
      { mingcheng: "账户管理费", jine: "10", shouquFangshi: "anyue" },
    ];
    const { startDate, approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      payload,
      letter: "授权书 3",
      contract: "借款合同 3",
    });
    const body = okBody<{
      loanId: string;
      allInAprBps: number;
      schedule: Array<{ dueDay: number; totalFen: string }>;
    }>(approved);
    // 100 yuan at disbursement, 10 yuan with each of the twelve installments: nothing dropped, merged or moved
    const expected = [[0n, 10_000n], ...Array.from({ length: 12 }, (_, k) => [BigInt(k + 1), 1_000n])];
    const { allInAprBps } = await import("../../common/lending/apr.ts");
    const installments = body.schedule.map((i) => ({ dueDay: i.dueDay, totalFen: BigInt(i.totalFen) }));
    const fees = [
      { dueDay: dateToDay(startDate), amountFen: 10_000n },
      ...installments.map((i) => ({ dueDay: i.dueDay, amountFen: 1_000n })),
    ];
    expect(body.allInAprBps).to.equal(
      allInAprBps({
        method: 0,
        principalFen: 5_000_000n,
        installments,
        fees,
        startDay: dateToDay(startDate),
      }),
    );
    for (let i = 0; i < 100; i++) {
      const logs = await feeEvents(body.loanId);
      if (logs.length > 0) {
        expect((logs[0] as unknown as { args: unknown[] }).args[1]).to.deep.equal(expected);
        await suite.branch.indexer.syncOnce();
        const loan = await ok<{ allInAprBps: number }>(
          suite.branch,
          "approver",
          "GET",
          `/v1/loans/${body.loanId}`,
        );
        expect(loan.allInAprBps).to.equal(body.allInAprBps);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect.fail("the loan's fees never reached the chain");
  });
});
