// A joint loan's agreed income split through the nodes over a real Anvil chain: the branch's node
// proposes a per-funder split, the platform's node signs it (its income share at least its
// funding share, or what its admin accepted at its own node), agreeIncomeSplit goes through the
// outbox and the loan's output shows each funder's funding and income share. Refused before
// anything is written, with the ledger's values: shares that do not sum to 10,000 bps or name a
// non-funder, a node whose member is no funder, a split after money went out. The joint loan pays
// an entrusted payee, which the platform's node checks with the agreement. Unit part: the share
// check and the view.
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { receivingAccountOf } from "../../nodes/src/entrusted-payment.ts";
import { checkShares, splitView } from "../../nodes/src/income-split.ts";
import { ledgerInterface } from "../../nodes/src/outbox/entry.ts";
import { type NodeService } from "../../nodes/src/service.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import {
  SETTLEMENT,
  approveLoan,
  submitJointApplication,
  outboxConfirmed,
} from "../support/institution-node.ts";
import { jiedaibaoPayload, PAYEE_ACCOUNT } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, expectRefusal, okBody, callsAs } from "../support/node-calls.ts";

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };

describe("income split: the share check and the view", function () {
  const loanId = `0x${"ab".repeat(32)}`;
  const funders = [
    { memberId: 2, shareBps: 7000 },
    { memberId: 4, shareBps: 3000 },
  ];
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return { code: (error as { code: string }).code, details: (error as { details: unknown }).details };
    }
    return "accepted";
  };

  /** Income shares from [memberId, incomeShareBps] pairs. */
  const shares = (...pairs: Array<[number, number]>) =>
    pairs.map(([memberId, incomeShareBps]) => ({ memberId, incomeShareBps }));

  it("takes the two funders once each summing to 10,000 bps, and answers the platform's share", function () {
    expect(checkShares(loanId, funders, 4, shares([4, 2000], [2, 8000]))).to.equal(2000);
    expect(codeOf(() => checkShares(loanId, funders, 4, shares([2, 5000], [4, 4000])))).to.deep.equal({
      code: "NODE_ERR_BAD_INCOME_SPLIT",
      details: { loanId, platformIncomeShareBps: 4000, sumBps: 9000, funders: [2, 4] },
    });
    const refused: Array<[what: string, fundedBy: typeof funders, split: ReturnType<typeof shares>]> = [
      ["a member who funds nothing", funders, shares([2, 5000], [3, 5000])],
      ["a funder twice", funders, shares([2, 5000], [2, 5000])],
      // a loan the branch funds alone takes no split (the ledger's LedgerBadIncomeSplit)
      ["a loan one member funds", [{ memberId: 2, shareBps: 10_000 }], shares([2, 10_000])],
    ];
    for (const [what, fundedBy, split] of refused)
      expect(
        codeOf(() => checkShares(loanId, fundedBy, 4, split)),
        what,
      ).to.have.property("code", "NODE_ERR_BAD_INCOME_SPLIT");
  });

  it("shows income by funding share until a split is agreed, then the agreed shares", function () {
    expect(splitView(loanId, funders, undefined).shares).to.deep.equal([
      { memberId: 2, fundingShareBps: 7000, incomeShareBps: 7000 },
      { memberId: 4, fundingShareBps: 3000, incomeShareBps: 3000 },
    ]);
    expect(splitView(loanId, funders, 2000)).to.deep.equal({
      loanId,
      agreed: true,
      shares: [
        { memberId: 2, fundingShareBps: 7000, incomeShareBps: 8000 },
        { memberId: 4, fundingShareBps: 3000, incomeShareBps: 2000 },
      ],
    });
  });
});

describe("node API: a joint loan's income split over Anvil", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-income-split-", { joint: { tokens: CLERK_APPROVER_TOKENS } });
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);

  const confirmed = (serial: string) => outboxConfirmed(suite.branch, as, serial);

  /** Split writes in the branch's outbox (a refused request writes none). */
  async function splitWrites(): Promise<number> {
    return (await suite.branch.outbox.list()).filter((e) => e.kind === "agreeIncomeSplit").length;
  }

  /** The approver at `service` asks for a split of [memberId, incomeShareBps] pairs (the reply is the caller's to check). */
  const put = (service: NodeService, loanId: string, ...shares: Array<[number, number]>) =>
    api(service, "approver", "PUT", `/v1/loans/${loanId}/income-split`, {
      shares: shares.map(([memberId, incomeShareBps]) => ({ memberId, incomeShareBps })),
    });

  it("agrees 80/20 on a 70/30 joint loan paying an entrusted payee, after refusing what the ledger would, and refuses once money is out", async function () {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = "JDB-SPLIT-1";
    const { atBranch, consentLeafHash } = await submitJointApplication(suite.platform, suite.branch, as, {
      payload,
      letter: "授权书 split",
    });
    const { approved } = await approveLoan(suite.branch, suite.chain, as, {
      applicationId: atBranch,
      consentLeafHash,
      contract: "联合贷合同 受托支付",
      platformShareBps: 3000,
      extra: { entrustedPayee: { accountNumber: PAYEE_ACCOUNT } },
    });
    const { loanId, serial, receiving } = okBody<{
      loanId: string;
      serial: string;
      receiving: { kind: string; receivingAccount: string };
    }>(approved);
    // the platform's node agreed to pay its share to the payee, and keeps which account the loan pays
    const payeeHash = receivingAccountOf(
      suite.branch.ops.deps.consortiumKey,
      keccak256(toUtf8Bytes("JDB-SPLIT-1")),
      PAYEE_ACCOUNT,
    );
    expect(receiving).to.deep.equal({ kind: "entrusted-payee", receivingAccount: payeeHash });
    const atPlatform = await api(suite.platform, "clerk", "GET", `/v1/loans/${loanId}/receiving-account`);
    expect(atPlatform.json()).to.deep.equal({ loanId, kind: "entrusted-payee", receivingAccount: payeeHash });
    await confirmed(serial);

    const before = await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}/income-split`);
    expect(before.json()).to.deep.include({ agreed: false });

    // shares that do not sum to 10,000 bps, or name a member that does not fund the loan
    const short = await put(suite.branch, loanId, [MEMBERS.branchA, 5000], [MEMBERS.platform, 4000]);
    expectRefusal(short, 422, {
      code: "NODE_ERR_BAD_INCOME_SPLIT",
      details: {
        loanId,
        platformIncomeShareBps: 4000,
        sumBps: 9000,
        funders: [MEMBERS.branchA, MEMBERS.platform],
      },
    });
    const stranger = await put(suite.branch, loanId, [MEMBERS.branchA, 5000], [MEMBERS.branchB, 5000]);
    expect([stranger.statusCode, (stranger.json() as ErrorBody).error.code]).to.deep.equal([
      422,
      "NODE_ERR_BAD_INCOME_SPLIT",
    ]);
    // the union funds nothing of this loan
    const split8020: Array<[number, number]> = [
      [MEMBERS.branchA, 8000],
      [MEMBERS.platform, 2000],
    ];
    const byUnion = await put(suite.union, loanId, ...split8020);
    expectRefusal(byUnion, 403, {
      code: "NODE_ERR_NOT_FUNDER",
      details: { funders: [MEMBERS.branchA, MEMBERS.platform] },
    });
    // less income for the platform than its 30% funding share: its node does not sign unasked
    const unasked = await put(suite.branch, loanId, ...split8020);
    expect(unasked.statusCode, unasked.body).to.equal(502);
    expect((unasked.json() as ErrorBody).error.details).to.deep.include({
      code: "NODE_ERR_AGREEMENT_REFUSED",
    });
    expect(await splitWrites()).to.equal(0);

    // the platform's admin accepts 20% at its own node; then the branch's request is signed and sent
    expect(okBody(await put(suite.platform, loanId, ...split8020))).to.deep.include({
      platformIncomeShareBps: 2000,
    });
    const body = okBody<{ outbox: { kind: string; state: string }; incomeSplit: unknown }>(
      await put(suite.branch, loanId, ...split8020),
    );
    expect(body.outbox).to.include({ kind: "agreeIncomeSplit", state: "confirmed" });
    const shares = [
      { memberId: MEMBERS.branchA, fundingShareBps: 7000, incomeShareBps: 8000 },
      { memberId: MEMBERS.platform, fundingShareBps: 3000, incomeShareBps: 2000 },
    ];
    expect(body.incomeSplit).to.deep.equal({ loanId, agreed: true, shares });
    const onChain = ledgerInterface.decodeFunctionResult(
      "incomeShare",
      await suite.chain.anvil.provider.call({
        to: suite.lending.addresses.jointLoanLedger,
        data: ledgerInterface.encodeFunctionData("incomeShare", [loanId]),
      }),
    );
    expect([onChain[0], Number(onChain[1])]).to.deep.equal([true, 2000]);

    await suite.branch.indexer.syncOnce();
    const loan = (await api(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`)).json() as Record<
      string,
      unknown
    >;
    expect(loan.incomeSplit).to.deep.equal({ agreed: true, shares });
    expect(loan.receiving).to.deep.equal({ kind: "entrusted-payee", receivingAccount: payeeHash });

    // the branch's share goes out: the split is fixed from then on
    await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
      serial: "DSB-SPLIT-1",
      amountFen: "3500000",
      accountHash: SETTLEMENT,
      toAccount: PAYEE_ACCOUNT,
    });
    await confirmed("DSB-SPLIT-1");
    const late = await put(suite.branch, loanId, [MEMBERS.branchA, 7000], [MEMBERS.platform, 3000]);
    expectRefusal(late, 409, {
      code: "NODE_ERR_LOAN_DISBURSED",
      details: { state: "Registered", disbursedMask: 1 },
    });
    expect(await splitWrites()).to.equal(1);
  });
});
