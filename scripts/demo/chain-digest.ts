// The ledger digest computed straight from the chain, without any node: the JointLoanLedger's
// events read in pages from its deployment block, each loan's state, stage, start day, evidence
// chain and funders from the ledger's own views at the same block. A node's GET /v1/index/digest
// must give the same digest once it has indexed that block (nodes/src/indexer/ledger-digest.ts
// defines the records and the hashing). The views are read several at a time: a chain that keeps
// only its recent blocks' states (npm start's Anvil, Besu's Bonsai) must still hold that block's
// when the last one is read.
import type { JsonRpcProvider } from "ethers";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { pagedLogs } from "../../common/chain/logs.ts";
import {
  ledgerDigest,
  type DigestFlow,
  type DigestLoan,
  type LedgerDigest,
} from "../../nodes/src/indexer/ledger-digest.ts";
import { DISPUTE_STAGES, LOAN_STATES, REPAYMENT_METHODS } from "../../nodes/src/indexer/model.ts";

export type ChainDigest = LedgerDigest & {
  toBlock: number;
  loanRecords: DigestLoan[];
  flowRecords: DigestFlow[];
};

/** Loan views read at once: a large ledger is read in seconds, not one round trip after another. */
const VIEW_READS_AT_ONCE = 16;
/** Blocks a followHead digest tries before a failed read is taken as what it says. */
const FOLLOW_ATTEMPTS = 4;

/**
 * `work` over `items`, `limit` at a time, results in item order. The first failure stops the
 * starting of more and rejects once the running ones have ended: none outlives the call.
 */
async function inGroups<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await work(items[i]!);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed.error;
  return out;
}

type Totals = {
  disbursed: bigint;
  principal: bigint;
  interest: bigint;
  penalty: bigint;
  funders: Map<number, { disbursed: bigint; principal: bigint; income: bigint }>;
};

export async function chainLedgerDigest(
  provider: JsonRpcProvider,
  ledgerAddress: string,
  fromBlock: number,
  options: { toBlock?: number; pageBlocks?: number; followHead?: boolean } = {},
): Promise<ChainDigest> {
  const iface = JointLoanLedger.interface;
  const ledger = JointLoanLedger.at(ledgerAddress, provider);
  let toBlock = options.toBlock ?? (await provider.getBlockNumber());
  const page = options.pageBlocks ?? 2000;
  const registered = new Map<
    string,
    {
      branch: number;
      platform: number;
      borrowerKey: string;
      principal: bigint;
      aprBps: number;
      method: number;
    }
  >();
  const totals = new Map<string, Totals>();
  const flows = new Map<string, DigestFlow>();
  const totalsOf = (loanId: string): Totals => {
    let t = totals.get(loanId);
    if (t === undefined)
      totals.set(
        loanId,
        (t = { disbursed: 0n, principal: 0n, interest: 0n, penalty: 0n, funders: new Map() }),
      );
    return t;
  };
  const funderOf = (t: Totals, member: number) => {
    let f = t.funders.get(member);
    if (f === undefined) t.funders.set(member, (f = { disbursed: 0n, principal: 0n, income: 0n }));
    return f;
  };
  const scan = async (from: number, to: number) => {
    for await (const logs of pagedLogs(
      provider,
      { address: ledgerAddress },
      { fromBlock: from, toBlock: to, pageBlocks: page },
    )) {
      for (const log of logs) {
        const parsed = iface.parseLog(log);
        if (parsed === null) continue;
        const a = parsed.args;
        const loanId = String(a.loanId ?? "").toLowerCase();
        // a flow's common fields; the caller adds the disbursement's or the repayment's own
        const flow = (type: DigestFlow["type"], amount: bigint, own: Partial<DigestFlow>) => {
          const serial = String(a.serial).toLowerCase();
          flows.set(serial, {
            serial,
            loanId,
            type,
            amountFen: String(amount),
            voucher: String(a.voucher).toLowerCase(),
            blockNumber: log.blockNumber,
            logIndex: log.index,
            txHash: log.transactionHash.toLowerCase(),
            ...own,
          });
        };
        // a repayment's parts (split among the funders by the RepaymentShared events that follow it)
        // and the principal it takes off the loan
        const repayment = (
          penalty: bigint,
          interest: bigint,
          principal: bigint,
          principalOff = principal,
        ) => {
          const t = totalsOf(loanId);
          t.penalty += penalty;
          t.interest += interest;
          t.principal += principalOff;
          flow("repayment", penalty + interest + principal, {
            penaltyFen: String(penalty),
            interestFen: String(interest),
            principalFen: String(principal),
            split: [],
          });
        };
        switch (parsed.name) {
          case "LoanRegistered":
            registered.set(loanId, {
              branch: Number(a.branch),
              platform: Number(a.platform),
              borrowerKey: String(a.borrowerKey).toLowerCase(),
              principal: a.principal as bigint,
              aprBps: Number(a.aprBps),
              method: Number(a.method),
            });
            break;
          case "FundsDisbursed": {
            const t = totalsOf(loanId);
            t.disbursed += a.amount as bigint;
            funderOf(t, Number(a.funder)).disbursed += a.amount as bigint;
            flow("disbursement", a.amount as bigint, {
              funder: Number(a.funder),
              accountHash: String(a.accountHash).toLowerCase(),
            });
            break;
          }
          case "RepaymentReceived":
            repayment(a.penalty as bigint, a.interest as bigint, a.principal as bigint);
            break;
          case "PrepaymentReceived":
            // as the node's indexer books it (nodes/src/indexer/apply.ts): a repayment of what was
            // paid, the whole principal off the loan
            repayment(
              0n,
              (a.interest as bigint) + (a.fee as bigint),
              a.principalPaid as bigint,
              a.principal as bigint,
            );
            break;
          case "RepaymentShared": {
            const f = funderOf(totalsOf(loanId), Number(a.funder));
            f.principal += a.principal as bigint;
            f.income += a.income as bigint;
            flows.get(String(a.serial).toLowerCase())?.split!.push({
              funder: Number(a.funder),
              principalFen: String(a.principal),
              incomeFen: String(a.income),
            });
            break;
          }
        }
      }
    }
  };
  const loanAt = async (loanId: string, at: number): Promise<DigestLoan> => {
    const r = registered.get(loanId)!;
    const [view, shares] = await Promise.all([
      ledger.loan(loanId, { blockTag: at }),
      ledger.funders(loanId, { blockTag: at }),
    ]);
    const t = totalsOf(loanId);
    return {
      loanId,
      branch: r.branch,
      platform: r.platform,
      borrowerKey: r.borrowerKey,
      principalFen: r.principal.toString(),
      aprBps: r.aprBps,
      method: REPAYMENT_METHODS[r.method]!,
      state: LOAN_STATES[Number(view.state)]!,
      stage: DISPUTE_STAGES[Number(view.stage)]!,
      startDay: Number(view.startDay),
      evidenceChain: view.evidenceChain.toLowerCase(),
      disbursedFen: t.disbursed.toString(),
      principalRepaidFen: t.principal.toString(),
      interestRepaidFen: t.interest.toString(),
      penaltyRepaidFen: t.penalty.toString(),
      funders: shares
        .map((s) => {
          const f = funderOf(t, Number(s.memberId));
          return {
            memberId: Number(s.memberId),
            shareBps: Number(s.shareBps),
            disbursedFen: f.disbursed.toString(),
            principalRepaidFen: f.principal.toString(),
            incomeFen: f.income.toString(),
          };
        })
        .sort((x, y) => x.memberId - y.memberId),
    };
  };
  await scan(fromBlock, toBlock);
  let loans: DigestLoan[];
  let firstError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      loans = await inGroups([...registered.keys()], VIEW_READS_AT_ONCE, (id) => loanAt(id, toBlock));
      break;
    } catch (error) {
      // followHead: the chain dropped toBlock's state while the views were read; the digest moves
      // on to the head (its logs scanned too), and says which block it is for in toBlock. A read
      // that fails for another reason fails at each block: the first error is the one thrown.
      firstError ??= error;
      const head =
        options.followHead && attempt < FOLLOW_ATTEMPTS ? await provider.getBlockNumber() : toBlock;
      if (head <= toBlock) throw firstError;
      await scan(toBlock + 1, head);
      toBlock = head;
    }
  }
  const flowRecords = [...flows.values()].map((f) =>
    f.split === undefined ? f : { ...f, split: [...f.split].sort((x, y) => x.funder - y.funder) },
  );
  return { ...ledgerDigest(loans, flowRecords), toBlock, loanRecords: loans, flowRecords };
}
