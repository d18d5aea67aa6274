// An agreed income split on the deployed ledger: the platform signs the typed data
// common/lending/agreement.ts builds, the branch records it, and each repayment's income splits by
// the agreed shares (principal by funding share), as incomeShares and allocation.ts compute.
import { expect } from "chai";
import { incomeShares, incomeSplitDigest, incomeSplitTypedData } from "../../common/lending/agreement.ts";
import { splitByShares } from "../../common/lending/allocation.ts";
import { BRANCH_A, PLATFORM } from "./consortium.fixture.ts";
import { deployLending, jointTerms, type Lending } from "./lending.fixture.ts";

describe("JointLoanLedger: agreed income split (deployed)", function () {
  let l: Lending;
  before(async function () {
    l = await deployLending();
  });

  it("the verifier's incomeSplitDigest equals the TypeScript typed-data digest, and a signed split moves the income", async function () {
    const terms = jointTerms(l, { serial: l.serial("INC") });
    await l.timeTo(l.startDay, 9);
    const { loanId } = await l.register(terms);
    const { chainId } = await l.ethers.provider.getNetwork();
    const ledgerAddress = await l.ledger.getAddress();
    const verifier = await l.ethers.getContractAt(
      "LoanTermsVerifier",
      await l.ledger.getFunction("termsVerifier")(),
    );
    expect(await verifier.getFunction("incomeSplitDigest")(loanId, 6000)).to.equal(
      incomeSplitDigest(chainId, ledgerAddress, loanId, 6000),
    );
    const { domain, types, value } = incomeSplitTypedData(chainId, ledgerAddress, loanId, 6000);
    const signature = await l.signers.platformOps.signTypedData(domain, types, value);
    await (await l.ledgerAs(BRANCH_A).getFunction("agreeIncomeSplit")(loanId, 6000, signature)).wait();
    await l.disburseAll(loanId);
    const first = terms.schedule[0]!;
    await l.timeTo(first.dueDay, 10);
    const { receipt } = await l.repay(loanId, BigInt(first.principal) + BigInt(first.interest));
    const shared = receipt.logs
      .map((log) => {
        try {
          return l.ledger.interface.parseLog(log);
        } catch {
          return null;
        }
      })
      .filter((e) => e?.name === "RepaymentShared");
    const byFunder = new Map(
      shared.map((e) => [
        Number(e!.args.funder),
        { principal: e!.args.principal as bigint, income: e!.args.income as bigint },
      ]),
    );
    const income = splitByShares(BigInt(first.interest), incomeShares([7000, 3000], 6000));
    const principal = splitByShares(BigInt(first.principal), [7000, 3000]);
    expect(byFunder.get(BRANCH_A)).to.deep.equal({ principal: principal[0], income: income[0] });
    expect(byFunder.get(PLATFORM)).to.deep.equal({ principal: principal[1], income: income[1] });
  });
});
