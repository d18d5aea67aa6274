// Entrusted payment (受托支付) through the node over a real Anvil chain: an approval that names a
// payee binds the payee's salted account hash on chain (LoanRegistered.receivingAccount) instead
// of the borrower's; the loan's output says which without the account number; a disbursement
// naming another destination, or leaving from an account that is not the funder's own
// settlement account, is refused by the node before anything is written — and the latter by the
// chain too (LedgerAccountNotWhitelisted) when sent past the node. Unit part: binding and the
// disbursement check without a chain.
import { expect } from "chai";
import { Contract, keccak256, toUtf8Bytes } from "ethers";
import { MemoryLevel } from "memory-level";
import {
  bindReceivingAccount,
  checkDisbursement,
  ReceivingAccounts,
  receivingAccountOf,
} from "../../nodes/src/entrusted-payment.ts";
import { JOINT_LOAN_LEDGER_ABI } from "../../common/chain/generated/abis.ts";
import { FundFlows } from "../../nodes/src/fund-flows.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { SETTLEMENT, approveAssistedLoan, outboxSettled } from "../support/institution-node.ts";
import { jiedaibaoPayload, PAYEE_ACCOUNT } from "../support/channel-fixtures.ts";
import { CLERK_APPROVER_TOKENS, expectRefusal, okBody, callsAs } from "../support/node-calls.ts";

/** The borrower's bank account in jiedaibaoPayload(). */
const BORROWER_ACCOUNT = "6222021001123456789";
const KEY = new Uint8Array(32).fill(7);

/**
 * A loan's JSON without what differs from run to run: its 0x values (random keys and hashes), its
 * times (ISO, or unix seconds as a JSON number) and its amounts (a schedule follows the start day).
 */
function withoutRunValues(json: string): string {
  return json
    .replace(/0x[0-9a-f]+/gi, "0x")
    .replace(/\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?/g, "date")
    .replace(/:\d{10}(?=[,}\]])/g, ":time")
    .replace(/("\w+Fen":)"\d+"/g, '$1"fen"');
}

describe("entrusted payment: binding and the disbursement check", function () {
  const serial = keccak256(toUtf8Bytes("JDB-UNIT-1"));

  it("binds the borrower's account without a payee, the payee's with one, and refuses the borrower's own account as a payee", function () {
    expect(bindReceivingAccount(KEY, serial, BORROWER_ACCOUNT, undefined)).to.deep.equal({
      kind: "borrower-account",
      receivingAccount: receivingAccountOf(KEY, serial, BORROWER_ACCOUNT),
    });
    const payee = bindReceivingAccount(KEY, serial, BORROWER_ACCOUNT, { accountNumber: PAYEE_ACCOUNT });
    expect(payee).to.deep.equal({
      kind: "entrusted-payee",
      receivingAccount: receivingAccountOf(KEY, serial, PAYEE_ACCOUNT),
    });
    expect(payee.receivingAccount).to.not.equal(receivingAccountOf(KEY, serial, BORROWER_ACCOUNT));
    // the same digits spelled with spaces are the same account
    expect(() =>
      bindReceivingAccount(KEY, serial, BORROWER_ACCOUNT, { accountNumber: "6222 0210 0112 3456 789" }),
    )
      .to.throw()
      .with.property("code", "NODE_ERR_BAD_PAYEE");
  });

  it("refuses a source the ledger does not whitelist for this funder and a destination that is not the bound account; passes the bound one", async function () {
    const accounts = new ReceivingAccounts(
      new MemoryLevel<string, never>({ valueEncoding: "json" }) as never,
    );
    const loanId = `0x${"ab".repeat(32)}`;
    await accounts.record({
      loanId,
      applicationSerial: serial,
      ...bindReceivingAccount(KEY, serial, BORROWER_ACCOUNT, { accountNumber: PAYEE_ACCOUNT }),
    });
    const asked: unknown[] = [];
    const deps = (whitelisted: boolean) => ({
      memberId: 2,
      consortiumKey: KEY,
      accounts,
      isWhitelisted: async (memberId: number, accountHash: string) => {
        asked.push([memberId, accountHash]);
        return whitelisted;
      },
    });
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "passed",
        (e: { code: string }) => e.code,
      );
    expect(
      await codeOf(
        checkDisbursement(deps(false), loanId, { accountHash: SETTLEMENT, toAccount: PAYEE_ACCOUNT }),
      ),
    ).to.equal("NODE_ERR_ACCOUNT_NOT_WHITELISTED");
    expect(asked[0]).to.deep.equal([2, SETTLEMENT]);
    expect(
      await codeOf(
        checkDisbursement(deps(true), loanId, { accountHash: SETTLEMENT, toAccount: BORROWER_ACCOUNT }),
      ),
    ).to.equal("NODE_ERR_RECEIVING_ACCOUNT_MISMATCH");
    expect(
      await checkDisbursement(deps(true), loanId, { accountHash: SETTLEMENT, toAccount: PAYEE_ACCOUNT }),
    ).to.deep.equal({
      paidTo: { kind: "entrusted-payee", receivingAccount: receivingAccountOf(KEY, serial, PAYEE_ACCOUNT) },
    });
    // a loan this node never approved: nothing to check a named destination against
    expect(
      await codeOf(
        checkDisbursement(deps(true), `0x${"cd".repeat(32)}`, {
          accountHash: SETTLEMENT,
          toAccount: PAYEE_ACCOUNT,
        }),
      ),
    ).to.equal("NODE_ERR_UNKNOWN_LOAN");
  });

  it("a funder's node takes an account its indexed ledger whitelists without a chain read, and asks the ledger of any other", async function () {
    const indexed = `0x${"1a".repeat(32)}`;
    const listedSince = `0x${"1b".repeat(32)}`;
    const never = `0x${"1c".repeat(32)}`;
    const chainReads: string[] = [];
    const flows = new FundFlows({
      memberId: 2,
      consortiumKey: KEY,
      model: {
        isWhitelisted: async (memberId: number, accountHash: string) =>
          memberId === 2 && accountHash === indexed,
      },
      // the chain's word differs from the index for `indexed`: consulting it would refuse
      ledger: {
        isWhitelisted: async (_memberId: number, accountHash: string) => {
          chainReads.push(accountHash);
          return accountHash === listedSince;
        },
      },
      signer: { getAddress: async () => `0x${"00".repeat(20)}` },
    } as unknown as ConstructorParameters<typeof FundFlows>[0]);
    // past the whitelist, a named destination of a loan this node never approved stops it, before anything is written
    const codeOf = (accountHash: string) =>
      flows
        .record({ userId: "clerk" } as never, `0x${"cd".repeat(32)}`, {
          type: "disbursement",
          serial: "DSB-WL",
          amountFen: 1n,
          accountHash,
          toAccount: PAYEE_ACCOUNT,
        })
        .then(
          () => "passed",
          (e: { code: string }) => e.code,
        );
    expect(await codeOf(indexed)).to.equal("NODE_ERR_UNKNOWN_LOAN");
    expect(chainReads, "no chain read for an indexed account").to.deep.equal([]);
    // whitelisted on chain after the index's last block: the ledger's word, not a refusal
    expect(await codeOf(listedSince)).to.equal("NODE_ERR_UNKNOWN_LOAN");
    expect(await codeOf(never)).to.equal("NODE_ERR_ACCOUNT_NOT_WHITELISTED");
    expect(chainReads).to.deep.equal([listedSince, never]);
  });
});

describe("node API: entrusted payment over Anvil", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-entrusted-", { branch: { tokens: CLERK_APPROVER_TOKENS } });
  const { as, api, ok } = callsAs(CLERK_APPROVER_TOKENS);

  /** An application with consent, and its approval (the caller's to check), starting on the chain's today. */
  async function approve(applicationSerial: string, extra: Record<string, unknown>) {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = applicationSerial;
    payload.daikuan.jine = "10000.00";
    payload.daikuan.feiyong = [];
    return (
      await approveAssistedLoan(suite.branch, suite.chain, as, {
        payload,
        letter: `授权书 ${applicationSerial}`,
        contract: `借款合同 ${applicationSerial}`,
        extra,
      })
    ).approved;
  }

  const settled = (serial: string) => outboxSettled(suite.branch, as, serial);

  async function outboxStatus(serial: string): Promise<number> {
    return (await api(suite.branch, "clerk", "GET", `/v1/outbox/${encodeURIComponent(serial)}`)).statusCode;
  }

  async function indexedLoan(loanId: string): Promise<Record<string, unknown>> {
    await suite.branch.indexer.syncOnce();
    return ok(suite.branch, "clerk", "GET", `/v1/loans/${loanId}`);
  }

  /** A disbursement of the loan by the branch's clerk (the reply is the caller's to check). */
  const disburse = (loanId: string, payload: object) =>
    api(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, payload);

  it("binds the payee on chain, shows which account without its number, and pays only there", async function () {
    const consortiumKey = suite.branch.ops.deps.consortiumKey;
    const serial = keccak256(toUtf8Bytes("JDB-ENTRUSTED-1"));
    const payeeHash = receivingAccountOf(consortiumKey, serial, PAYEE_ACCOUNT);

    // the borrower's own account named as a payee: refused, nothing written
    const ownAccount = await approve("JDB-ENTRUSTED-OWN", {
      entrustedPayee: { accountNumber: BORROWER_ACCOUNT },
    });
    expectRefusal(ownAccount, 422, { code: "NODE_ERR_BAD_PAYEE" });
    expect(await outboxStatus("JDB-ENTRUSTED-OWN")).to.equal(404);

    const approved = await approve("JDB-ENTRUSTED-1", { entrustedPayee: { accountNumber: PAYEE_ACCOUNT } });
    const body = okBody<{ loanId: string; serial: string; receiving: unknown }>(approved);
    expect(body.receiving).to.deep.equal({ kind: "entrusted-payee", receivingAccount: payeeHash });
    expect((await settled(body.serial)).state).to.equal("confirmed");
    const ledger = new Contract(
      suite.lending.addresses.jointLoanLedger,
      JOINT_LOAN_LEDGER_ABI,
      suite.chain.anvil.provider,
    );
    const [registered] = await ledger.queryFilter(ledger.filters.LoanRegistered!(body.loanId));
    expect(
      String(
        (registered as unknown as { args: { receivingAccount: string } }).args.receivingAccount,
      ).toLowerCase(),
    ).to.equal(payeeHash);

    const loan = await indexedLoan(body.loanId);
    expect(loan.receiving).to.deep.equal({ kind: "entrusted-payee", receivingAccount: payeeHash });
    const shown = JSON.stringify(loan);
    for (const digits of [PAYEE_ACCOUNT, BORROWER_ACCOUNT]) expect(shown).to.not.include(digits);
    // nor its last four digits (a masked ****5678), looked for where they cannot occur by chance
    expect(withoutRunValues(shown)).to.not.include(PAYEE_ACCOUNT.slice(-4));

    // paid to the borrower's own account instead of the payee: refused, nothing written
    const toBorrower = await disburse(body.loanId, {
      serial: "DSB-ENT-WRONG",
      amountFen: "1000000",
      accountHash: SETTLEMENT,
      toAccount: BORROWER_ACCOUNT,
    });
    expectRefusal(toBorrower, 422, {
      code: "NODE_ERR_RECEIVING_ACCOUNT_MISMATCH",
      details: { kind: "entrusted-payee", receivingAccount: payeeHash },
    });
    expect(await outboxStatus("DSB-ENT-WRONG")).to.equal(404);
    // the money leaving from an account that is not branch A's own settlement account: refused by the node…
    const fromPayee = await disburse(body.loanId, {
      serial: "DSB-ENT-SOURCE",
      amountFen: "1000000",
      accountHash: payeeHash,
    });
    expectRefusal(fromPayee, 422, {
      code: "NODE_ERR_ACCOUNT_NOT_WHITELISTED",
      details: { funder: 2, accountHash: payeeHash },
    });
    expect(await outboxStatus("DSB-ENT-SOURCE")).to.equal(404);
    // …and by the chain when sent past the node
    await suite.branch.outbox.enqueue({
      serial: "DSB-ENT-PAST-NODE",
      kind: "disburse",
      args: {
        loanId: body.loanId,
        amount: 1_000_000n,
        accountHash: payeeHash,
        voucher: `0x${"11".repeat(32)}`,
      },
    });
    const refused = await settled("DSB-ENT-PAST-NODE");
    expect(refused.state).to.equal("failed");
    expect(refused.failure).to.deep.include({ code: "LedgerAccountNotWhitelisted", args: ["2", payeeHash] });

    const paid = okBody<{ paidTo: unknown }>(
      await disburse(body.loanId, {
        serial: "DSB-ENT-1",
        amountFen: "1000000",
        accountHash: SETTLEMENT,
        toAccount: PAYEE_ACCOUNT,
      }),
    );
    expect(paid.paidTo).to.deep.equal({
      kind: "entrusted-payee",
      receivingAccount: payeeHash,
    });
    expect((await settled("DSB-ENT-1")).state).to.equal("confirmed");
    expect((await indexedLoan(body.loanId)).state).to.equal("Active");
  });

  it("shows a loan without a payee as paying the borrower's own account", async function () {
    const approved = await approve("JDB-ENTRUSTED-NONE", {});
    const body = okBody<{ loanId: string; serial: string }>(approved);
    expect((await settled(body.serial)).state).to.equal("confirmed");
    const borrowerHash = receivingAccountOf(
      suite.branch.ops.deps.consortiumKey,
      keccak256(toUtf8Bytes("JDB-ENTRUSTED-NONE")),
      BORROWER_ACCOUNT,
    );
    expect((await indexedLoan(body.loanId)).receiving).to.deep.equal({
      kind: "borrower-account",
      receivingAccount: borrowerHash,
    });
  });
  it("a settlement account delisted on chain is refused at the node's next disbursement once its block is indexed", async function () {
    const approved = await approve("JDB-ENTRUSTED-DELIST", {});
    const body = okBody<{ loanId: string; serial: string }>(approved);
    expect((await settled(body.serial)).state).to.equal("confirmed");
    await suite.branch.indexer.syncOnce();
    expect(await suite.branch.ops.deps.model.isWhitelisted(2, SETTLEMENT)).to.equal(true);
    const ledger = new Contract(suite.lending.addresses.jointLoanLedger, JOINT_LOAN_LEDGER_ABI);
    const list = (allowed: boolean) =>
      govern(suite.chain.deployment.governor, suite.chain.approvers, [
        {
          target: suite.lending.addresses.jointLoanLedger,
          data: ledger.interface.encodeFunctionData("setAccountWhitelisted", [2, SETTLEMENT, allowed]),
        },
      ]);
    await list(false);
    await suite.branch.indexer.syncOnce();
    expect(await suite.branch.ops.deps.model.isWhitelisted(2, SETTLEMENT)).to.equal(false);
    expectRefusal(
      await disburse(body.loanId, { serial: "DSB-DELISTED", amountFen: "1000000", accountHash: SETTLEMENT }),
      422,
      { code: "NODE_ERR_ACCOUNT_NOT_WHITELISTED", details: { funder: 2, accountHash: SETTLEMENT } },
    );
    expect(await outboxStatus("DSB-DELISTED")).to.equal(404);
    // listed again: taken at once, before the node has indexed it (the ledger answers)
    await list(true);
    okBody(
      await disburse(body.loanId, { serial: "DSB-RELISTED", amountFen: "1000000", accountHash: SETTLEMENT }),
    );
    expect((await settled("DSB-RELISTED")).state).to.equal("confirmed");
  });
});
