// A mediation plan's adoption as the chain records it: the SettlementAdopted event of the loan in
// the block its branch's outbox confirmed, and the ledger's schedule from then on (the adopted
// installments at its tail), read straight from the contracts, not from any node's index.
import { Interface, type JsonRpcProvider } from "ethers";
import { DISPUTE_RESOLUTION_ABI } from "../../common/chain/generated/abis.ts";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import type { ConsortiumManifest } from "../ops/local/manifest.ts";

const disputes = new Interface(DISPUTE_RESOLUTION_ABI);

export async function chainAdoption(
  provider: JsonRpcProvider,
  manifest: ConsortiumManifest,
  loanId: string,
  blockNumber: number,
): Promise<{ agreementLeaf: string; schedule: Array<{ dueDay: number; totalFen: bigint }> }> {
  const logs = await provider.getLogs({
    address: manifest.contracts.disputeResolution,
    topics: [disputes.getEvent("SettlementAdopted")!.topicHash, loanId],
    fromBlock: blockNumber,
    toBlock: blockNumber,
  });
  const event = logs.map((l) => disputes.parseLog(l)!).at(-1);
  if (event === undefined) throw new Error(`no SettlementAdopted for loan ${loanId} in block ${blockNumber}`);
  const adopted = (event.args.installments as Array<{ dueDay: bigint }>).length;
  const schedule = await JointLoanLedger.at(manifest.contracts.jointLoanLedger, provider).schedule(loanId);
  return {
    agreementLeaf: event.args.agreementLeaf as string,
    schedule: schedule.slice(-adopted).map((i) => ({
      dueDay: Number(i.dueDay),
      totalFen: BigInt(i.principal) + BigInt(i.interest),
    })),
  };
}
