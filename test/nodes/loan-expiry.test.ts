// The keeper expires a loan that missed its start day undisbursed, through the node's API over a
// real Anvil chain: on the start day the round leaves the registered loan alone (it can still be
// disbursed); the day after, POST /v1/keeper/rounds sends expireLoan through the outbox, the ledger
// gives back the branch's outstanding quota and the borrower's exposure, and the index books the
// loan as cancelled with reason 65535 (expired). A second round finds nothing more to do.
import { expect } from "chai";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approveAssistedLoan, bearerAs } from "../support/institution-node.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1", admin: "admin-token-1" } as const;

describe("node API: the keeper expires loans that missed their start day", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-expiry-", { branch: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function indexedState(
    loanId: string,
  ): Promise<{ state: string; cancelReason?: number | null } | undefined> {
    const reply = await suite.branch.app.inject({
      method: "GET",
      url: `/v1/loans/${loanId}`,
      headers: as("clerk"),
    });
    return reply.statusCode === 200
      ? (reply.json() as { state: string; cancelReason?: number | null })
      : undefined;
  }

  async function round(): Promise<{ checked: number; escalated: string[]; expired: string[] }> {
    const reply = await suite.branch.app.inject({
      method: "POST",
      url: "/v1/keeper/rounds",
      headers: as("admin"),
    });
    expect(reply.statusCode, reply.body).to.equal(200);
    return reply.json() as { checked: number; escalated: string[]; expired: string[] };
  }

  it("expires the registered loan the day after its start day and releases its quotas", async function () {
    const ledger = suite.lending.ledger;
    const outstandingBefore = BigInt(
      ((await ledger.getFunction("branchBook")(MEMBERS.branchA)) as { outstanding: bigint }).outstanding,
    );
    const { approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      letter: "授权书 EXPIRE",
      contract: "借款合同 EXPIRE",
    });
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId } = approved.json() as { loanId: string };
    await waitFor("the loan in the index", async () =>
      (await indexedState(loanId))?.state === "Registered" ? true : undefined,
    );
    const onChain = (await ledger.getFunction("loan")(loanId)) as { principal: bigint; borrowerKey: string };
    const principal = BigInt(onChain.principal);
    expect(
      BigInt(
        ((await ledger.getFunction("branchBook")(MEMBERS.branchA)) as { outstanding: bigint }).outstanding,
      ),
    ).to.equal(outstandingBefore + principal);
    expect(BigInt(await ledger.getFunction("borrowerOutstanding")(onChain.borrowerKey))).to.equal(principal);

    // the start day itself: the loan can still be disbursed, so nothing is expired
    expect((await round()).expired).to.deep.equal([]);
    expect(Number(((await ledger.getFunction("loan")(loanId)) as { state: bigint }).state)).to.equal(1);

    // the day after: expired through the outbox, quotas back
    await suite.chain.anvil.provider.send("evm_increaseTime", [86_400]);
    await suite.chain.anvil.provider.send("evm_mine", []);
    expect((await round()).expired).to.deep.equal([loanId]);
    expect(Number(((await ledger.getFunction("loan")(loanId)) as { state: bigint }).state)).to.equal(4); // Cancelled
    expect(
      BigInt(
        ((await ledger.getFunction("branchBook")(MEMBERS.branchA)) as { outstanding: bigint }).outstanding,
      ),
    ).to.equal(outstandingBefore);
    expect(BigInt(await ledger.getFunction("borrowerOutstanding")(onChain.borrowerKey))).to.equal(0n);
    const outbox = await suite.branch.app.inject({
      method: "GET",
      url: `/v1/outbox/${encodeURIComponent(`expire:${loanId}`)}`,
      headers: as("clerk"),
    });
    expect(outbox.statusCode, outbox.body).to.equal(200);
    expect(outbox.json() as { kind: string; state: string }).to.include({
      kind: "expireLoan",
      state: "confirmed",
    });

    // the index books the expiry as a cancellation with reason 65535
    const indexed = await waitFor("the expiry in the index", async () => {
      const loan = await indexedState(loanId);
      return loan?.state === "Cancelled" ? loan : undefined;
    });
    expect(indexed.cancelReason).to.equal(65535);
    // nothing left to expire
    expect((await round()).expired).to.deep.equal([]);
  });
});
