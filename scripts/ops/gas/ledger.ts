// Gas of the ledger's hot paths: registerLoan (2 funders, 12 installments, two fees, the
// platform's signed agreement), disburse (each
// funder), repay (2 funders, on time and late), escalate (first stage and straight to
// arbitration), prepay (part of the principal, a new schedule of 11 installments), settle (early,
// in full). Shared by `npm run gas:snapshot` and the gas test.
import { keccak256, toUtf8Bytes, zeroPadValue, type Signer } from "ethers";
import {
  ConsortiumRegistry,
  DisputeResolution,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import { operations } from "../../../common/consortium/members.ts";
import { dueTimestamp } from "../../../common/lending/dates.ts";
import { RepaymentMethod, generateSchedule } from "../../../common/lending/schedule.ts";
import { signLoanAgreement } from "../../../common/lending/agreement.ts";
import { DEFAULT_LEDGER_PARAMS, DEFAULT_STAGE_THRESHOLDS } from "../deploy/consortium.ts";
import { typed } from "./commit-head.ts";

/** Budgets from the ledger issue. */
export const LEDGER_GAS_BUDGET: Record<string, number> = {
  registerLoan: 380_000,
  disburse: 90_000,
  repay: 125_000,
  settle: 150_000,
  prepay: 250_000,
  escalate: 60_000,
};

type Account = Signer & { address: string };
type Ethers = {
  deployContract: (name: string, args: unknown[]) => Promise<unknown>;
  getSigners: () => Promise<Account[]>;
};
type TimeHelpers = { increaseTo: (timestamp: number) => Promise<void> };

export const BRANCH = 2;
export const PLATFORM = 3;
const COURT = 4;
const ACCOUNT = keccak256(toUtf8Bytes("salted hash of the branch's settlement account"));
const PLATFORM_ACCOUNT = keccak256(toUtf8Bytes("salted hash of the platform's settlement account"));
const bytes32 = (s: string) => keccak256(toUtf8Bytes(s));

/**
 * A loan of `principalFen` at 18% in 12 equal monthly installments the platform brought to the
 * branch, from a fixed day in the future, so the chain can always be moved to it (a past day broke
 * this the day after it was written); 28 years on from 2026-11-22, the same calendar, so the same
 * schedule. `terms(serial, funders, fees)`: its LoanTerms under an application serial.
 */
export function gasLoan(principalFen: bigint) {
  const startDate = "2054-11-22";
  const schedule = generateSchedule({
    principalFen,
    aprBps: 1800,
    method: RepaymentMethod.EqualInstallment,
    startDate,
    termMonths: 12,
  });
  const startDay = schedule[0]!.dueDay - 30; // day number of startDate (the first due day is a month later)
  const terms = (
    serial: string,
    funders: Array<{ memberId: number; shareBps: number }>,
    fees: Array<{ installment: number; amount: bigint }>,
  ) => ({
    originator: PLATFORM,
    applicationSerial: bytes32(serial),
    borrowerKey: bytes32(`borrower ${serial}`),
    borrowerRegion: 330102,
    branch: BRANCH,
    platform: PLATFORM,
    funders,
    principal: principalFen,
    aprBps: 1800,
    method: RepaymentMethod.EqualInstallment,
    startDay,
    schedule: schedule.map((i) => ({ dueDay: i.dueDay, principal: i.principalFen, interest: i.interestFen })),
    fees,
    contractLeaf: bytes32(`contract ${serial}`),
    consentLeaf: bytes32(`consent ${serial}`),
    receivingAccount: bytes32(`receiving account ${serial}`),
  });
  return { schedule, startDay, terms };
}

/** Measure each operation once on a fresh ledger; names are the snapshot's keys. */
export async function measureLedgerGas(ethers: Ethers, time: TimeHelpers): Promise<Record<string, number>> {
  const [governorAndUnion, branch, platform, court] = (await ethers.getSigners()) as [
    Account,
    Account,
    Account,
    Account,
  ];
  const registry = await typed(ethers.deployContract("ConsortiumRegistry", []), ConsortiumRegistry);
  const members = [
    { id: 1, kind: 1, regionCode: 330000, name: "Union", accounts: [operations(governorAndUnion.address)] },
    { id: BRANCH, kind: 2, regionCode: 330102, name: "Branch", accounts: [operations(branch.address)] },
    { id: PLATFORM, kind: 3, regionCode: 330106, name: "Platform", accounts: [operations(platform.address)] },
    { id: COURT, kind: 4, regionCode: 330100, name: "Court", accounts: [operations(court.address)] },
  ];
  // the first signer acts as governor (the registry's governor address, not a member role):
  // this measures the ledger, not governance
  await (await registry.bootstrap(governorAndUnion.address, members)).wait();
  const ledger = await typed(
    ethers.deployContract("JointLoanLedger", [await registry.getAddress(), DEFAULT_LEDGER_PARAMS]),
    JointLoanLedger,
  );
  const disputes = await typed(
    ethers.deployContract("DisputeResolution", [
      await registry.getAddress(),
      await ledger.getAddress(),
      DEFAULT_STAGE_THRESHOLDS,
    ]),
    DisputeResolution,
  );
  await (await ledger.setDisputeResolution(await disputes.getAddress())).wait();
  const limits = {
    singleLoanMax: 20_000_000n,
    dailyDisbursementLimit: 100_000_000n,
    outstandingLimit: 1_000_000_000n,
    netTier1Capital: 400_000_000n,
  };
  await (await ledger.setBranchLimits(BRANCH, limits)).wait();
  await (await ledger.setAccountWhitelisted(BRANCH, ACCOUNT, true)).wait();
  await (await ledger.setAccountWhitelisted(PLATFORM, PLATFORM_ACCOUNT, true)).wait();

  const { schedule, startDay, terms: termsOf } = gasLoan(10_000_000n);
  const terms = (serial: string) =>
    termsOf(
      serial,
      [
        { memberId: BRANCH, shareBps: 7000 },
        { memberId: PLATFORM, shareBps: 3000 },
      ],
      // a service fee at disbursement and a guarantee fee with the first installment
      [
        { installment: 0, amount: 20_000n },
        { installment: 1, amount: 10_000n },
      ],
    );
  let serials = 0;
  const nextSerial = () => zeroPadValue(`0x${(++serials).toString(16).padStart(2, "0")}`, 32);
  const gasOf = async (promise: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>) =>
    Number((await (await promise).wait())!.gasUsed);
  const asBranch = ledger.connect(branch);
  const asPlatform = ledger.connect(platform);
  const asUnion = disputes.connect(governorAndUnion);

  await time.increaseTo(dueTimestamp(startDay) - 3600);
  const chainId = BigInt(
    await (
      ledger.runner as unknown as { provider: { send: (m: string, p: unknown[]) => Promise<string> } }
    ).provider.send("eth_chainId", []),
  );
  const gas: Record<string, number> = {};
  const ids: string[] = [];
  for (const serial of ["A", "B"]) {
    const id = await ledger.loanIdOf(PLATFORM, bytes32(serial));
    ids.push(id);
    const agreement = await signLoanAgreement(platform, chainId, await ledger.getAddress(), terms(serial));
    gas[`registerLoan (2 funders, 12 installments, 2 fees) #${serial}`] = await gasOf(
      asBranch.registerLoan(terms(serial), agreement),
    );
    gas[`disburse (branch 70%) #${serial}`] = await gasOf(
      asBranch.disburse(id, 7_000_000n, ACCOUNT, nextSerial(), bytes32("voucher")),
    );
    gas[`disburse (platform 30%, activates) #${serial}`] = await gasOf(
      asPlatform.disburse(id, 3_000_000n, PLATFORM_ACCOUNT, nextSerial(), bytes32("voucher")),
    );
  }
  const [a, b] = ids as [string, string];
  const first = schedule[0]!;
  await time.increaseTo(dueTimestamp(first.dueDay) - 3600);
  gas["repay (2 funders, one installment on time)"] = await gasOf(
    asBranch.repay(a, first.totalFen, nextSerial(), bytes32("repayment")),
  );
  await time.increaseTo(dueTimestamp(first.dueDay + 4));
  gas["escalate (to reminder)"] = await gasOf(asUnion.escalate(b));
  await time.increaseTo(dueTimestamp(first.dueDay + 8));
  gas["escalate (reminder to mediation)"] = await gasOf(asUnion.escalate(b));
  await time.increaseTo(dueTimestamp(first.dueDay + 16));
  gas["escalate (mediation to arbitration, opens the case)"] = await gasOf(asUnion.escalate(b));
  const [penalty] = await ledger.amountOwed(b);
  gas["repay (2 funders, late: penalty, interest, principal)"] = await gasOf(
    asBranch.repay(
      b,
      penalty + first.interestFen + first.principalFen,
      nextSerial(),
      bytes32("late repayment"),
    ),
  );
  // loan A, its first installment paid on time: 20,000 yuan of principal prepaid 16 days into the
  // second month (interest to the day on it, the 11 installments left recomputed on chain: lower
  // installments, then a shorter term), then settled in full the same day (interest to the day,
  // the all-in allowance evaluated)
  for (const [mode, label] of [
    [1, "lower installments"],
    [0, "shorter term"],
  ] as const) {
    const [interest, principalPaid] = await ledger.prepaymentOwed(a, 2_000_000n, mode, 0n);
    gas[`prepay (2 funders, part of the principal, ${label}, 11 installments recomputed)`] = await gasOf(
      asBranch.prepay(
        a,
        2_000_000n,
        mode,
        0n,
        interest + principalPaid,
        nextSerial(),
        bytes32(`prepayment ${label}`),
      ),
    );
  }
  const owed = await ledger.settlementOwed(a);
  gas["settle (2 funders, early in full, after the prepayments)"] = await gasOf(
    asBranch.settle(a, owed[0] + owed[1] + owed[2], nextSerial(), bytes32("settlement")),
  );
  return gas;
}

/** The budget that applies to a snapshot key. */
export function ledgerBudgetFor(name: string): number {
  const op = name.split(" ")[0]!;
  const budget = LEDGER_GAS_BUDGET[op];
  if (budget === undefined) throw new Error(`no gas budget for ${name}`);
  return budget;
}
