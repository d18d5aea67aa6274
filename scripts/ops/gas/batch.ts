// Gas per flow when a branch's account batches its ledger calls (EIP-7702 + BatchExecutor,
// common/chain/batch.ts) against the same flow sent alone: registerLoan, disburse and repay of an
// assisted loan (one funder), each alone and 16 in one transaction. The account is delegated once
// beforehand, as a node's is, so the figures are the steady state. Shared by
// `npm run gas:snapshot` and the gas test.
import {
  HDNodeWallet,
  Mnemonic,
  keccak256,
  toUtf8Bytes,
  zeroPadValue,
  type Provider,
  type Signer,
} from "ethers";
import { encodeBatch } from "../../../common/chain/batch.ts";
import {
  BatchExecutor,
  ConsortiumRegistry,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import { operations } from "../../../common/consortium/members.ts";
import { dueTimestamp } from "../../../common/lending/dates.ts";
import { DEFAULT_LEDGER_PARAMS } from "../deploy/consortium.ts";
import { typed } from "./commit-head.ts";
import { BRANCH, PLATFORM, gasLoan } from "./ledger.ts";

/** How many flows of one kind a batch carries here. */
export const BATCH_SIZE = 16;

type Account = Signer & { address: string };
type Ethers = {
  deployContract: (name: string, args: unknown[]) => Promise<unknown>;
  getSigners: () => Promise<Account[]>;
  provider: Provider;
};
type TimeHelpers = { increaseTo: (timestamp: number) => Promise<void> };

const ACCOUNT = keccak256(toUtf8Bytes("salted hash of the branch's settlement account"));
const bytes32 = (s: string) => keccak256(toUtf8Bytes(s));
/** The simulated network's development accounts (Hardhat's and Anvil's default mnemonic). */
const MNEMONIC = "test test test test test test test test test test test junk";

/** Gas of each flow alone and per flow in a batch of BATCH_SIZE; names are the snapshot's keys. */
export async function measureBatchGas(ethers: Ethers, time: TimeHelpers): Promise<Record<string, number>> {
  const [governor, branchSigner, platform] = (await ethers.getSigners()) as [Account, Account, Account];
  // the branch signs an EIP-7702 authorization: its key, not the network's signer
  const branch = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), "m/44'/60'/0'/0/1").connect(
    ethers.provider,
  );
  if (branch.address !== branchSigner.address)
    throw new Error("the network's accounts are not the default ones");
  const registry = await typed(ethers.deployContract("ConsortiumRegistry", []), ConsortiumRegistry);
  await (
    await registry.bootstrap(governor.address, [
      { id: 1, kind: 1, regionCode: 330000, name: "Union", accounts: [operations(governor.address)] },
      { id: BRANCH, kind: 2, regionCode: 330102, name: "Branch", accounts: [operations(branch.address)] },
      {
        id: PLATFORM,
        kind: 3,
        regionCode: 330106,
        name: "Platform",
        accounts: [operations(platform.address)],
      },
    ])
  ).wait();
  const ledger = await typed(
    ethers.deployContract("JointLoanLedger", [await registry.getAddress(), DEFAULT_LEDGER_PARAMS]),
    JointLoanLedger,
  );
  await (
    await ledger.setBranchLimits(BRANCH, {
      singleLoanMax: 20_000_000n,
      dailyDisbursementLimit: 1_000_000_000n,
      outstandingLimit: 10_000_000_000n,
      netTier1Capital: 40_000_000_000n,
    })
  ).wait();
  await (await ledger.setAccountWhitelisted(BRANCH, ACCOUNT, true)).wait();
  const executor = await typed(ethers.deployContract("BatchExecutor", []), BatchExecutor);
  const ledgerAddress = await ledger.getAddress();

  const { schedule, startDay, terms: termsOf } = gasLoan(1_000_000n);
  const terms = (serial: string) => termsOf(serial, [{ memberId: BRANCH, shareBps: 10_000 }], []);
  let serials = 0;
  const nextSerial = () => zeroPadValue(`0x${(++serials).toString(16).padStart(4, "0")}`, 32);
  const loans = Array.from({ length: 1 + BATCH_SIZE }, (_, i) => `loan ${i}`);
  const ids = await Promise.all(loans.map((serial) => ledger.loanIdOf(PLATFORM, bytes32(serial))));
  const iface = JointLoanLedger.interface;
  const flows = {
    registerLoan: (i: number) => iface.encodeFunctionData("registerLoan", [terms(loans[i]!), "0x"]),
    disburse: (i: number) =>
      iface.encodeFunctionData("disburse", [ids[i]!, 1_000_000n, ACCOUNT, nextSerial(), bytes32("voucher")]),
    repay: (i: number) =>
      iface.encodeFunctionData("repay", [ids[i]!, schedule[0]!.totalFen, nextSerial(), bytes32("repayment")]),
  };

  const gasOf = async (data: string, to: string) =>
    Number((await (await branch.sendTransaction({ to, data })).wait())!.gasUsed);
  // delegated once, as a node's account is before its batches (to the executor deployed here: the
  // simulated network has no CREATE2 factory at the usual address)
  const nonce = await branch.getNonce();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const authorization = await branch.authorize({
    address: await executor.getAddress(),
    chainId,
    nonce: nonce + 1,
  });
  await (
    await branch.sendTransaction({
      type: 4,
      to: branch.address,
      data: encodeBatch([]),
      authorizationList: [authorization],
    })
  ).wait();

  await time.increaseTo(dueTimestamp(startDay) - 3600);
  const gas: Record<string, number> = {};
  const batched = Array.from({ length: BATCH_SIZE }, (_, k) => k + 1);
  for (const [flow, data] of Object.entries(flows)) {
    if (flow === "repay") await time.increaseTo(dueTimestamp(schedule[0]!.dueDay) - 3600);
    gas[`${flow} alone`] = await gasOf(data(0), ledgerAddress);
    const total = await gasOf(
      encodeBatch(batched.map((i) => ({ to: ledgerAddress, data: data(i) }))),
      branch.address,
    );
    gas[`${flow} per flow in a batch of ${BATCH_SIZE}`] = Math.round(total / BATCH_SIZE);
  }
  return gas;
}
