// A loan's all-in APR is computed from the schedule in its registration transaction (a later
// partial prepayment rewrites the ledger's). A node account that batches its calls registers
// several loans in one transaction: the reader finds this loan's registerLoan among the batch's
// calls. Real transactions mined on Anvil; the "ledger" has no code, so the fallback to the
// ledger's own schedule cannot answer and only the registration's calldata can.
import { expect } from "chai";
import { Wallet, encodeBytes32String, keccak256, toUtf8Bytes } from "ethers";
import { deployBatchExecutor, delegationAuthorization, encodeBatch } from "../../common/chain/batch.ts";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { dateToDay } from "../../common/lending/dates.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { generateSchedule, RepaymentMethod } from "../../common/lending/schedule.ts";
import type { Actor } from "../../nodes/src/actor.ts";
import type { LedgerModel, Loan } from "../../nodes/src/indexer/model.ts";
import { LedgerReads } from "../../nodes/src/ledger-reads.ts";
import type { Outbox } from "../../nodes/src/outbox/outbox.ts";
import { startAnvil, type AnvilNode } from "../support/anvil.ts";

const START = "2026-03-10";

function registration(serial: string, principalFen: bigint, aprBps: number) {
  const schedule = generateSchedule({
    principalFen,
    aprBps,
    method: RepaymentMethod.EqualInstallment,
    startDate: START,
    termMonths: 6,
  });
  const terms = {
    originator: 3,
    applicationSerial: encodeBytes32String(serial),
    borrowerKey: keccak256(toUtf8Bytes(`borrower of ${serial}`)),
    borrowerRegion: 330100,
    branch: 2,
    platform: 3,
    funders: [{ memberId: 2, shareBps: 10_000 }],
    principal: principalFen,
    aprBps,
    method: RepaymentMethod.EqualInstallment,
    startDay: dateToDay(START),
    schedule: schedule.map((i) => ({ dueDay: i.dueDay, principal: i.principalFen, interest: i.interestFen })),
    fees: [],
    contractLeaf: keccak256(toUtf8Bytes(`contract of ${serial}`)),
    consentLeaf: keccak256(toUtf8Bytes(`consent of ${serial}`)),
    receivingAccount: keccak256(toUtf8Bytes(`account of ${serial}`)),
  };
  return {
    loanId: loanIdOf(terms.originator, terms.applicationSerial),
    principalFen,
    startDay: terms.startDay,
    data: JointLoanLedger.interface.encodeFunctionData("registerLoan", [terms, "0x"]),
  };
}

describe("node ledger reads: the registered schedule of a loan registered in a batch", function () {
  this.timeout(60_000);
  let anvil: AnvilNode;
  const ledgerAddress = Wallet.createRandom().address;
  const loans = new Map<string, Loan>();

  before(async function () {
    anvil = await startAnvil();
    await deployBatchExecutor(anvil.wallet(0));
  });
  after(async function () {
    await anvil?.stop();
  });

  function reads(): LedgerReads {
    const model = {
      loan: async (loanId: string) => loans.get(loanId),
      flowsByLoan: async () => [],
    } as unknown as LedgerModel;
    return new LedgerReads({
      memberId: 2,
      model,
      ledger: JointLoanLedger.at(ledgerAddress, anvil.provider),
      outbox: {} as Outbox,
      cursor: async () => undefined,
    });
  }

  function index(r: ReturnType<typeof registration>, txHash: string) {
    loans.set(r.loanId, {
      loanId: r.loanId,
      principalFen: r.principalFen,
      method: "EqualInstallment",
      state: "Registered",
      startDay: r.startDay,
      fees: [],
      principalRepaidFen: 0n,
      registeredTx: txHash,
    } as unknown as Loan);
  }

  it("finds this loan's registerLoan among the batch's calls, as for a plain registration", async function () {
    const member = anvil.wallet(2);
    // the same terms as `batched` under another serial, registered alone: the APR to expect
    const twin = registration("TWIN", 2_000_000n, 2000);
    index(twin, (await member.sendTransaction({ to: ledgerAddress, data: twin.data })).hash);
    const other = registration("OTHER", 5_000_000n, 900);
    const batched = registration("BATCHED", 2_000_000n, 2000);
    const nonce = await anvil.provider.getTransactionCount(member.address);
    const tx = await member.sendTransaction({
      type: 4,
      to: member.address,
      nonce,
      authorizationList: [await delegationAuthorization(member, { chainId: 31337n, nonce: nonce + 1 })],
      data: encodeBatch([
        { to: ledgerAddress, data: other.data },
        { to: ledgerAddress, data: batched.data },
      ]),
    });
    expect((await tx.wait())?.status).to.equal(1);
    index(other, tx.hash);
    index(batched, tx.hash);

    const actor = {} as Actor;
    const twinApr = (await reads().loan(actor, twin.loanId)).allInAprBps;
    const otherApr = (await reads().loan(actor, other.loanId)).allInAprBps;
    expect(twinApr).to.be.a("number");
    expect((await reads().loan(actor, batched.loanId)).allInAprBps).to.equal(twinApr);
    expect(otherApr).to.be.a("number").and.not.equal(twinApr);
  });
});
