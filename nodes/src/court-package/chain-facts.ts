// What the chain says about a loan, read from JointLoanLedger alone over any JSON-RPC provider:
// its branch, borrower key and evidence chain (`loan`, `evidenceChain`), and what the chain
// commits to — the contract's and the consent's leaves (LoanRegistered) and every fund-flow
// voucher in chain order (FundsDisbursed, RepaymentReceived, PrepaymentReceived: each extends the
// evidence chain). The court's own check reads the same facts from its node's index; this reader
// serves the court page, which checks a case archive against the court's chain endpoints without
// any service. Browser-safe: ethers and the generated contract handle only.
import type { Provider } from "ethers";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import type { ChainFacts } from "./check.ts";

/** The ledger events whose voucher extends the loan's evidence chain. */
const VOUCHER_EVENTS = ["FundsDisbursed", "RepaymentReceived", "PrepaymentReceived"] as const;
const EVENTS = ["LoanRegistered", ...VOUCHER_EVENTS] as const;

export class UnknownLoanError extends Error {}

/** The loan's facts from the ledger at `ledgerAddress`; UnknownLoanError when it holds no such loan. */
export async function readChainFacts(
  provider: Provider,
  ledgerAddress: string,
  loanId: string,
): Promise<ChainFacts> {
  const id = loanId.toLowerCase();
  const ledger = JointLoanLedger.at(ledgerAddress, provider);
  const topic = (name: (typeof EVENTS)[number]) => JointLoanLedger.interface.getEvent(name).topicHash;
  const [loan, evidenceChain, logs] = await Promise.all([
    ledger.loan(id),
    ledger.evidenceChain(id),
    provider.getLogs({
      address: ledgerAddress,
      topics: [EVENTS.map(topic), id],
      fromBlock: 0,
      toBlock: "latest",
    }),
  ]);
  const registered = logs.find((l) => l.topics[0] === topic("LoanRegistered"));
  if (/^0x0{64}$/.test(loan.borrowerKey) || registered === undefined)
    throw new UnknownLoanError(`the ledger ${ledgerAddress} holds no loan ${id}`);
  const registration = JointLoanLedger.interface.parseLog(registered)!;
  const vouchers = logs
    .filter((l) => l !== registered)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
    .map((l) => JointLoanLedger.interface.parseLog(l)!)
    .map((e) => ({ serial: String(e.args.getValue("serial")), digest: String(e.args.getValue("voucher")) }));
  return {
    loanId: id,
    borrowerKey: loan.borrowerKey.toLowerCase(),
    branch: Number(loan.branch),
    evidenceChain: evidenceChain.toLowerCase(),
    contractLeaf: String(registration.args.getValue("contractLeaf")).toLowerCase(),
    consentLeaf: String(registration.args.getValue("consentLeaf")).toLowerCase(),
    vouchers: vouchers.map((v) => ({ serial: v.serial.toLowerCase(), digest: v.digest.toLowerCase() })),
  };
}
