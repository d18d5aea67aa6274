// A real lending chain for the indexer tests: the Anvil consortium (test/support/consortium-chain.ts)
// plus a platform member added through governance, the ledger and dispute resolution deployed
// with deployLending, and helpers that move chain time to an Asia/Shanghai day (evm_increaseTime +
// evm_mine), register, disburse, repay, escalate, and anchor and register evidence leaves.
// Loan terms come from the contract tests' fixture (termsFor), so both test suites build the
// same kind of loans.
import { createHash } from "node:crypto";
import type { Contract, ContractTransactionResponse, TransactionReceipt, Wallet } from "ethers";
import { JsonRpcProvider } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import {
  DigestAlgorithm,
  encodeLeaf,
  leafHashOf,
  type EvidenceKind,
  type EvidenceRecord,
} from "../../../common/formats/leaf/leaf.ts";
import { splitByShares } from "../../../common/lending/allocation.ts";
import { SECONDS_PER_DAY, SHANGHAI_OFFSET_SECONDS, shanghaiDay } from "../../../common/lending/dates.ts";
import {
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../common/formats/merkle/rfc9162.ts";
import { deployLending, type LendingDeployment } from "../../../scripts/ops/deploy/consortium.ts";
import {
  ACCOUNT_OF,
  DEFAULT_LIMITS,
  serialGenerator,
  voucherOf,
  type LoanTerms,
} from "../../contracts/lending.fixture.ts";
import { signLoanAgreement } from "../../../common/lending/agreement.ts";
import {
  MEMBERS,
  startConsortiumChain,
  UNION_LOG,
  type ConsortiumChain,
} from "../../support/consortium-chain.ts";

export const PLATFORM = 4;
export const { union: UNION, branchA: BRANCH_A, branchB: BRANCH_B, court: COURT } = MEMBERS;

/** A JSON-RPC provider that counts the requests it sends, by method. */
export class CountingProvider extends JsonRpcProvider {
  readonly calls = new Map<string, number>();

  constructor(url: string) {
    super(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  }

  override async send(method: string, params: Array<unknown> | Record<string, unknown>): Promise<any> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    return super.send(method, params);
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }
}

export type LendingChain = Awaited<ReturnType<typeof startLendingChain>>;

export async function startLendingChain() {
  const chain: ConsortiumChain = await startConsortiumChain();
  const { anvil, deployment, wallets } = chain;
  // the harness's founders include the platform (member 4, region 330106)
  const platform = wallets.platform;
  const lending: LendingDeployment = await deployLending(wallets.deployer, deployment, chain.approvers, [
    { memberId: BRANCH_A, limits: { ...DEFAULT_LIMITS }, whitelist: [ACCOUNT_OF[BRANCH_A]!] },
    { memberId: BRANCH_B, limits: { ...DEFAULT_LIMITS }, whitelist: [ACCOUNT_OF[BRANCH_B]!] },
    { memberId: PLATFORM, whitelist: [ACCOUNT_OF[PLATFORM]!] },
  ]);
  const provider = anvil.provider;
  const walletOf: Record<number, Wallet> = {
    [UNION]: wallets.unionOps,
    [BRANCH_A]: wallets.branchA,
    [BRANCH_B]: wallets.branchB,
    [PLATFORM]: platform,
    [COURT]: wallets.court,
  };
  const ledgerAs = (member: number) => lending.ledger.connect(walletOf[member]!) as Contract;
  const disputesAs = (member: number) => lending.disputes.connect(walletOf[member]!) as Contract;
  const registryAs = (member: number) => deployment.evidenceRegistry.connect(walletOf[member]!) as Contract;
  const serial = serialGenerator();

  async function send(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    const receipt = await (await tx).wait();
    if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
    return receipt;
  }

  async function latest(): Promise<{ number: number; timestamp: number }> {
    const block = await provider.getBlock("latest");
    return { number: block!.number, timestamp: block!.timestamp };
  }

  /** Move chain time forward to `hour`:00 Asia/Shanghai on `day` and mine a block there. */
  async function timeTo(day: number, hour: number): Promise<void> {
    const target = day * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS + hour * 3600;
    const now = (await latest()).timestamp;
    if (target <= now) throw new Error(`timeTo: ${target} is not after the latest block (${now})`);
    await provider.send("evm_increaseTime", [target - now]);
    await provider.send("evm_mine", []);
  }

  return {
    chain,
    anvil,
    provider,
    deployment,
    lending,
    wallets: { ...wallets, platform },
    addresses: {
      jointLoanLedger: lending.addresses.jointLoanLedger,
      disputeResolution: lending.addresses.disputeResolution,
      evidenceRegistry: deployment.addresses.evidenceRegistry,
    },
    /** The first block that can hold an event of the three contracts. */
    fromBlock: deployment.blockNumber,
    ledger: lending.ledger,
    disputes: lending.disputes,
    evidenceRegistry: deployment.evidenceRegistry,
    ledgerAs,
    disputesAs,
    registryAs,
    serial,
    send,
    latest,
    timeTo,
    async today(): Promise<number> {
      return shanghaiDay((await latest()).timestamp);
    },
    /** Register as the branch, with the platform's signed agreement for a joint loan. */
    async register(terms: LoanTerms): Promise<{ loanId: string; receipt: TransactionReceipt }> {
      const l = ledgerAs(terms.branch);
      const { chainId } = await provider.getNetwork();
      const agreement =
        terms.funders.length === 2
          ? await signLoanAgreement(platform, chainId, await lending.ledger.getAddress(), terms)
          : "0x";
      const loanId: string = await l.getFunction("registerLoan").staticCall(terms, agreement);
      return { loanId, receipt: await send(l.getFunction("registerLoan")(terms, agreement)) };
    },
    /** Every funder disburses exactly its share from its own whitelisted settlement account. */
    async disburseAll(loanId: string): Promise<TransactionReceipt[]> {
      const loan = await lending.ledger.getFunction("loan")(loanId);
      const funders = (await lending.ledger.getFunction("funders")(loanId)) as Array<{
        memberId: bigint;
        shareBps: bigint;
      }>;
      const parts = splitByShares(
        loan.principal as bigint,
        funders.map((f) => Number(f.shareBps)),
      );
      const receipts: TransactionReceipt[] = [];
      for (const [i, f] of funders.entries()) {
        const s = serial("DIS");
        receipts.push(
          await send(
            ledgerAs(Number(f.memberId)).getFunction("disburse")(
              loanId,
              parts[i]!,
              ACCOUNT_OF[Number(f.memberId)]!,
              s,
              voucherOf(s),
            ),
          ),
        );
      }
      return receipts;
    },
    async repay(loanId: string, amount: bigint): Promise<{ serial: string; receipt: TransactionReceipt }> {
      const branch = Number((await lending.ledger.getFunction("loan")(loanId)).branch);
      const s = serial("REP");
      return {
        serial: s,
        receipt: await send(ledgerAs(branch).getFunction("repay")(loanId, amount, s, voucherOf(s))),
      };
    },
    /** What is owed now on the loan's earliest unpaid installment: its penalty, interest and principal left. */
    async installmentDue(loanId: string, index: number): Promise<bigint> {
      const schedule = (await lending.ledger.getFunction("schedule")(loanId)) as Array<{
        principal: bigint;
        interest: bigint;
      }>;
      const progress = await lending.ledger.getFunction("progress")(loanId);
      const [penalty] = (await lending.ledger.getFunction("amountOwed")(loanId)) as bigint[];
      const inst = schedule[index]!;
      return (
        penalty! +
        inst.principal -
        (progress.currentPrincipalPaid as bigint) +
        inst.interest -
        (progress.currentInterestPaid as bigint)
      );
    },
    async escalate(loanId: string): Promise<TransactionReceipt> {
      return send(disputesAs(BRANCH_A).getFunction("escalate")(loanId));
    },
    /** Commit one head over `records` to the union's log and register the leaves at `register`. */
    async anchorEvidence(records: EvidenceRecord[], register: number[]): Promise<string[]> {
      const hashes = records.map(leafHashOf);
      const log = deployment.evidenceLog.connect(wallets.anchor) as Contract;
      await send(
        log.getFunction("commitHead")(UNION_LOG, records.length, toHex(rootFromLeafHashes(hashes)), []),
      );
      const hasher = memoRangeHasher(hashes);
      for (const i of register) {
        const proof = inclusionProof(i, records.length, hasher).map(toHex);
        await send(
          registryAs(BRANCH_A).getFunction("register")(
            encodeLeaf(records[i]!),
            UNION_LOG,
            records.length,
            i,
            proof,
          ),
        );
      }
      return hashes.map(toHex);
    },
    stop: () => chain.stop(),
  };
}

/** An evidence record standing in for a document of `label` about `subject`. */
export function evidenceRecord(
  label: string,
  kind: EvidenceKind,
  submitter: number,
  subject: string,
): EvidenceRecord {
  const h = (s: string) => `0x${createHash("sha256").update(s).digest("hex")}`;
  return {
    version: 1,
    kind,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: h(`digest ${label}`),
    salt: h(`salt ${label}`),
    submitter,
    subject,
  };
}
