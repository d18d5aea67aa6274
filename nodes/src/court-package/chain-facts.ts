// What the chain says about a loan, read from JointLoanLedger alone over any JSON-RPC provider:
// its branch, borrower key and evidence chain (`loan`, `evidenceChain`), and what the chain
// commits to — the contract's and the consent's leaves (LoanRegistered) and every fund-flow
// voucher in chain order (FundsDisbursed, RepaymentReceived, PrepaymentReceived: each extends the
// evidence chain). The court's node and the court page read the same facts here, each over its
// own endpoints: the logs from the contracts' deployment block on, in bounded windows (a Besu
// node refuses an unbounded eth_getLogs range, and block 0 to now is all of the chain's history),
// all at one block; with more than one endpoint every endpoint is asked and a disagreement is
// named, never resolved by picking one. Browser-safe: ethers and the generated contract handle only.
import type { Provider } from "ethers";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import type { ChainFacts } from "./check.ts";

/** The ledger events whose voucher extends the loan's evidence chain. */
const VOUCHER_EVENTS = ["FundsDisbursed", "RepaymentReceived", "PrepaymentReceived"] as const;
const EVENTS = ["LoanRegistered", ...VOUCHER_EVENTS] as const;

/** Blocks per eth_getLogs call: Besu's default range limit is 1,000 blocks per request. */
export const LOG_WINDOW_BLOCKS = 1000;

export class UnknownLoanError extends Error {}

/** Two endpoints answered differently: the facts are not decided, whichever is right. */
export class ChainDisagreementError extends Error {
  readonly endpoints: [string, string];
  readonly field: string;
  constructor(endpoints: [string, string], field: string, values: [string, string]) {
    super(
      `the chain endpoints disagree on the loan's ${field}: ${endpoints[0]} answers ${values[0]}, ${endpoints[1]} answers ${values[1]}`,
    );
    // the page reads the name: a bundler may rename the class
    this.name = "ChainDisagreementError";
    this.endpoints = endpoints;
    this.field = field;
  }
}

export type FactsRange = {
  /** The block the ledger was deployed in (NODE_DEPLOY_BLOCK): no loan's event is older. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call (default LOG_WINDOW_BLOCKS). */
  window?: number;
};

/** The loan's facts from the ledger at `ledgerAddress`; UnknownLoanError when it holds no such loan. */
export async function readChainFacts(
  provider: Provider,
  ledgerAddress: string,
  loanId: string,
  range: FactsRange = {},
  /** The block to read at (default: the endpoint's latest). */
  atBlock?: number,
): Promise<ChainFacts> {
  const id = loanId.toLowerCase();
  const ledger = JointLoanLedger.at(ledgerAddress, provider);
  const topic = (name: (typeof EVENTS)[number]) => JointLoanLedger.interface.getEvent(name).topicHash;
  const toBlock = atBlock ?? (await provider.getBlockNumber());
  // the state at toBlock first: a node keeps only its recent blocks' states (Besu's Bonsai
  // layers, the local Anvil's last 64), and the scan below may take longer than they last
  const [loan, evidenceChain] = await Promise.all([
    ledger.loan(id, { blockTag: toBlock }),
    ledger.evidenceChain(id, { blockTag: toBlock }),
  ]);
  const window = Math.max(1, range.window ?? LOG_WINDOW_BLOCKS);
  const logs = [];
  for (let from = range.fromBlock ?? 0; from <= toBlock; from += window)
    logs.push(
      ...(await provider.getLogs({
        address: ledgerAddress,
        topics: [EVENTS.map(topic), id],
        fromBlock: from,
        toBlock: Math.min(from + window - 1, toBlock),
      })),
    );
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

/**
 * The loan's facts from the first of `providers` (the endpoint the court chose), each other one
 * asked the same at the same block: ChainDisagreementError naming both endpoints and the first
 * fact they differ on. A block the chosen endpoint has and another does not yet is a disagreement
 * too: the court asks again, or drops the lagging endpoint.
 */
export async function readAgreedChainFacts(
  providers: ReadonlyArray<{ provider: Provider; name: string }>,
  ledgerAddress: string,
  loanId: string,
  range: FactsRange = {},
): Promise<ChainFacts> {
  const [chosen, ...others] = providers;
  if (chosen === undefined) throw new Error("no chain endpoint to read the loan's facts from");
  const atBlock = await chosen.provider.getBlockNumber();
  // every endpoint asked at once, each reading the state at atBlock while it still keeps it
  const [facts, ...answers] = await Promise.all([
    readChainFacts(chosen.provider, ledgerAddress, loanId, range, atBlock),
    ...others.map((other) =>
      readChainFacts(other.provider, ledgerAddress, loanId, range, atBlock).catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      })),
    ),
  ]);
  for (const [i, other] of others.entries()) {
    const theirs = answers[i]!;
    const field =
      "error" in theirs
        ? (["answer", theirs.error] as const)
        : (Object.keys(facts) as Array<keyof ChainFacts>)
            .map((k) => [k, JSON.stringify(theirs[k])] as const)
            .find(([k, value]) => JSON.stringify(facts[k]) !== value);
    if (field !== undefined) {
      const [name, value] = field;
      const mine = name === "answer" ? "the facts" : JSON.stringify(facts[name]);
      throw new ChainDisagreementError([chosen.name, other.name], name, [mine, value]);
    }
  }
  return facts;
}
