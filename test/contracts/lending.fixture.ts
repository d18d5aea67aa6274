// The demo consortium (consortium.fixture.ts) plus the JointLoanLedger and DisputeResolution with
// DOMAIN.md defaults, wired up through governance: the dispute resolution set on the ledger,
// quotas for branch A (region 330102) and branch B (330681), and one whitelisted salted account
// hash per branch. Helpers build LoanTerms from common/lending/schedule.ts, disburse every
// funder's exact share, move chain time to an Asia/Shanghai day, and hand out serials.
//
// Personal data stays in TypeScript: a borrower is a FakeBorrower (name, ID number, bank account),
// and only derived values reach the chain (the HMAC borrower key, salted account hashes).
import type { IJointLoanLedger } from "../../common/chain/generated/typechain/lending/JointLoanLedger.ts";
import fc from "fast-check";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { createHash, createHmac } from "node:crypto";
import type { Contract, ContractTransactionResponse } from "ethers";
import { encodeBytes32String, keccak256, toUtf8Bytes } from "ethers";
import { splitByShares } from "../../common/lending/allocation.ts";
import {
  dateToDay,
  dayToDate,
  SECONDS_PER_DAY,
  SHANGHAI_OFFSET_SECONDS,
  shanghaiDay,
} from "../../common/lending/dates.ts";
import { generateSchedule, RepaymentMethod, type ScheduleInput } from "../../common/lending/schedule.ts";
import { type LoanTermsForAgreement, signLoanAgreement } from "../../common/lending/agreement.ts";
import type { ChainFee } from "../../common/lending/fees.ts";
import { BRANCH_A, BRANCH_B, COURT, deployConsortium, PLATFORM, UNION } from "./consortium.fixture.ts";
import { DEFAULT_LEDGER_PARAMS } from "../../scripts/ops/deploy/consortium.ts";

export const REGION_A = 330102;
export const REGION_B = 330681;
export const REGION_OF: Readonly<Record<number, number>> = Object.freeze({
  [BRANCH_A]: REGION_A,
  [BRANCH_B]: REGION_B,
});

/** IJointLoanLedger.LoanState / DisputeStage, numbered as on chain (generated from the contracts). */
export { DisputeStage, LoanState } from "../../common/chain/generated/enums.ts";

/** DOMAIN.md defaults (IJointLoanLedger.LedgerParams). */
export const DEFAULT_PARAMS = DEFAULT_LEDGER_PARAMS;

/** IJointLoanLedger.BranchLimits as the generated typings name its fields, in fen. */
export type BranchLimits = { [K in keyof IJointLoanLedger.BranchLimitsStruct]: bigint };

/** Quotas for both branches (IJointLoanLedger.BranchLimits). */
export const DEFAULT_LIMITS: Readonly<BranchLimits> = Object.freeze({
  singleLoanMax: 20_000_000n,
  dailyDisbursementLimit: 100_000_000n,
  outstandingLimit: 1_000_000_000n,
  netTier1Capital: 400_000_000n,
});

/** Days past due for reminder, mediation, arbitration (IDisputeResolution.Thresholds). */
export const THRESHOLDS = Object.freeze({ reminderDays: 3, mediationDays: 7, arbitrationDays: 15 });

// ------------------------------------------------------------------ fake personal data

/** A borrower as a branch's systems know it. Never sent to the chain. */
export type FakeBorrower = { name: string; idNumber: string; accountNumber: string };

/** HMAC key of the test deployment (a real node keeps its key in an HSM). */
const TEST_BORROWER_KEY = Buffer.from("jointledger test borrower-key HMAC key, not for production", "utf8");

/** GB 11643-1999 check character of the first 17 digits. */
function idCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i]!;
  return "10X98765432"[sum % 11]!;
}

/** A well-formed but fictitious resident ID number (18 characters, valid check character). */
export function fakeIdNumber(region: number, birth: string, sequence: number): string {
  const first17 = `${region}${birth}${String(sequence).padStart(3, "0")}`;
  return first17 + idCheckChar(first17);
}

/** Fictitious borrowers; BORROWERS[0] is the default. */
export const BORROWERS: readonly FakeBorrower[] = Object.freeze([
  { name: "张测试", idNumber: fakeIdNumber(REGION_A, "19900307", 123), accountNumber: "6228480329000012345" },
  { name: "李测试", idNumber: fakeIdNumber(REGION_A, "19851120", 456), accountNumber: "6228480329000067890" },
  { name: "王测试", idNumber: fakeIdNumber(REGION_B, "19790615", 789), accountNumber: "6217001234000054321" },
  { name: "赵测试", idNumber: fakeIdNumber(REGION_B, "20000229", 24), accountNumber: "6217001234000098765" },
]);
export const BORROWER = BORROWERS[0]!;

/** Upper case, no surrounding spaces: the form the HMAC is taken over. */
export function normalizeIdNumber(idNumber: string): string {
  return idNumber.trim().toUpperCase();
}

/** The borrower key on chain: HMAC-SHA256(test key, normalized ID number). */
export function borrowerKeyOf(idNumber: string): string {
  return `0x${createHmac("sha256", TEST_BORROWER_KEY).update(normalizeIdNumber(idNumber), "utf8").digest("hex")}`;
}

/** A branch's salted hash of a bank account number: SHA-256(salt ‖ account number). */
export function saltedAccountHash(salt: string, accountNumber: string): string {
  return `0x${createHash("sha256").update(salt, "utf8").update(accountNumber, "utf8").digest("hex")}`;
}

const ACCOUNT_SALT: Readonly<Record<number, string>> = Object.freeze({
  [BRANCH_A]: "branch-a account salt 7f3c",
  [BRANCH_B]: "branch-b account salt 19d2",
  [PLATFORM]: "platform account salt 5b81",
});

/** Each funder's own settlement account, whitelisted for it: the account its disbursements leave. */
export const ACCOUNT_OF: Readonly<Record<number, string>> = Object.freeze({
  [BRANCH_A]: saltedAccountHash(ACCOUNT_SALT[BRANCH_A]!, "33010200000000000001"),
  [BRANCH_B]: saltedAccountHash(ACCOUNT_SALT[BRANCH_B]!, "33068100000000000001"),
  [PLATFORM]: saltedAccountHash(ACCOUNT_SALT[PLATFORM]!, "33010600000000000001"),
});

/** The receiving account every test loan is bound to: BORROWER's bank account, salted. */
export const RECEIVING_ACCOUNT = saltedAccountHash("receiving account salt 4e0a", BORROWER.accountNumber);

// ------------------------------------------------------------------ serials and loan terms

/** Readable bytes32 serials, unique across the whole test run: "APP-000001", "DIS-000002", ... */
export function serialGenerator(): (prefix: string) => string {
  let n = 0;
  return (prefix: string) => encodeBytes32String(`${prefix}-${String(++n).padStart(6, "0")}`);
}
export const nextSerial = serialGenerator();

/** A voucher digest standing in for the hash of a fund-flow voucher document. */
export function voucherOf(serial: string): string {
  return keccak256(toUtf8Bytes(`voucher document for ${serial}`));
}

export type Funder = { memberId: number; shareBps: number };
export type InstallmentTerms = { dueDay: number; principal: bigint; interest: bigint };
export type FeeTerms = ChainFee;
/** IJointLoanLedger.LoanTerms, field for field: registerLoan's terms (agreement.ts), amounts as bigint. */
export type LoanTerms = Omit<
  LoanTermsForAgreement,
  "funders" | "principal" | "method" | "schedule" | "fees"
> & {
  funders: Funder[];
  principal: bigint;
  method: RepaymentMethod;
  schedule: InstallmentTerms[];
  fees: FeeTerms[];
};

/** A loan's schedule input (schedule.ts) and who funds it. */
export type TermsInput = ScheduleInput & {
  /** bytes32 application serial (see nextSerial). */
  serial: string;
  /** The platform's share of a joint loan; 0 = assisted (the branch funds 100%). */
  platformShareBps: number;
  branch: number;
  borrower?: FakeBorrower;
  /** Fees as the ledger registers them (default none). */
  fees?: FeeTerms[];
};

/**
 * LoanTerms for a loan the platform brought to `branch`: the schedule from generateSchedule,
 * the borrower as an HMAC key, the borrower in the branch's region, and contract and consent
 * leaves standing in for anchored evidence leaves.
 */
/** The tests' usual joint loan: 10,000 yuan at 18% for 6 months, equal installments, the platform funding 30%, at branch A from the ledger's today; `overrides` change any of it. */
export function jointTerms(l: Lending, overrides: Partial<TermsInput> = {}): LoanTerms {
  return termsFor({
    serial: l.serial("APP"),
    principalFen: 1_000_000n,
    aprBps: 1800,
    method: RepaymentMethod.EqualInstallment,
    startDate: l.startDate,
    termMonths: 6,
    platformShareBps: 3000,
    branch: BRANCH_A,
    ...overrides,
  });
}

/** The fixture borrower under another ID number (`suffix` appended), so each random loan has its own quota. */
export function numberedBorrower(suffix: string): FakeBorrower {
  return { ...BORROWER, idNumber: `${BORROWER.idNumber}-${suffix}` };
}

export function termsFor(input: TermsInput): LoanTerms {
  const { serial, principalFen, aprBps, method, startDate, platformShareBps, branch } = input;
  const borrower = input.borrower ?? BORROWER;
  const installments = generateSchedule({
    principalFen,
    aprBps,
    method,
    startDate,
    ...(input.termMonths !== undefined ? { termMonths: input.termMonths } : {}),
    ...(input.termDays !== undefined ? { termDays: input.termDays } : {}),
  });
  const funders: Funder[] =
    platformShareBps === 0
      ? [{ memberId: branch, shareBps: 10_000 }]
      : [
          { memberId: branch, shareBps: 10_000 - platformShareBps },
          { memberId: PLATFORM, shareBps: platformShareBps },
        ];
  return {
    originator: PLATFORM,
    applicationSerial: serial,
    borrowerKey: borrowerKeyOf(borrower.idNumber),
    borrowerRegion: REGION_OF[branch] ?? 0,
    branch,
    platform: PLATFORM,
    funders,
    principal: principalFen,
    aprBps,
    method,
    startDay: dateToDay(startDate),
    schedule: installments.map((i) => ({
      dueDay: i.dueDay,
      principal: i.principalFen,
      interest: i.interestFen,
    })),
    fees: input.fees ?? [],
    contractLeaf: keccak256(toUtf8Bytes(`contract leaf of ${serial}`)),
    consentLeaf: keccak256(toUtf8Bytes(`consent leaf of ${serial}`)),
    receivingAccount: RECEIVING_ACCOUNT,
  };
}

// ------------------------------------------------------------------ deployment

/** A random loan's repayment method, term and rate, for fc.record: equal installments or interest first, 2 to 12 months, 6% to 24%. */
export const RANDOM_LOAN = {
  method: fc.constantFrom(RepaymentMethod.EqualInstallment, RepaymentMethod.InterestFirst),
  months: fc.integer({ min: 2, max: 12 }),
  aprBps: fc.integer({ min: 600, max: 2400 }),
};

/** Property runs on the deployed ledger: a tenth of FUZZ_RUNS (each run is many transactions), at least 10. */
export const LEDGER_PROPERTY_RUNS = Math.max(10, Math.floor(Number(process.env.FUZZ_RUNS ?? 200) / 10));

/** A loan's progress through its schedule and its all-in headroom, as the ledger reports them (prepayment.ts and settlement.ts inputs). */
export async function ledgerProgress(l: Lending, loanId: string) {
  const loan = await l.ledger.getFunction("loan")(loanId);
  const p = await l.ledger.getFunction("progress")(loanId);
  return {
    progress: {
      nextInstallment: Number(p.nextInstallment),
      currentPrincipalPaid: p.currentPrincipalPaid as bigint,
      currentInterestPaid: p.currentInterestPaid as bigint,
      penaltyDue: p.penaltyDue as bigint,
      penaltyAccruedDay: Number(p.penaltyAccruedDay),
    },
    allIn: {
      capBps: DEFAULT_PARAMS.aprCapBps,
      slackFen: loan.allInSlack as bigint,
      bullet: Number(loan.method) === RepaymentMethod.Bullet,
    },
  };
}

export type Lending = Awaited<ReturnType<typeof deployLending>>;

/** One fund flow as sent: used to recompute the loan's voucher chain. */
export type FlowRecord = {
  kind: "disbursement" | "repayment";
  funder: number;
  amount: bigint;
  serial: string;
  voucher: string;
};

/** A deployment whose chain clock stands at 09:00 of its start day, when a loan starting that day may be registered. */
export async function deployLendingAtStart(): Promise<Lending> {
  const l = await deployLending();
  await l.timeTo(l.startDay, 9);
  return l;
}

export async function deployLending() {
  const c = await deployConsortium();
  const { ethers, signers, connection } = c;
  const { networkHelpers } = connection;
  const registryAddress = await c.registry.getAddress();
  const params = { ...DEFAULT_PARAMS };
  const ledger = (await ethers.deployContract(
    "JointLoanLedger",
    [registryAddress, params],
    signers.deployer,
  )) as unknown as Contract;
  const disputes = (await ethers.deployContract(
    "DisputeResolution",
    [registryAddress, await ledger.getAddress(), THRESHOLDS],
    signers.deployer,
  )) as unknown as Contract;

  await c.govern(ledger, "setDisputeResolution", [await disputes.getAddress()]);
  for (const branch of [BRANCH_A, BRANCH_B]) {
    await c.govern(ledger, "setBranchLimits", [branch, DEFAULT_LIMITS]);
    await c.govern(ledger, "setAccountWhitelisted", [branch, ACCOUNT_OF[branch], true]);
  }
  await c.govern(ledger, "setAccountWhitelisted", [PLATFORM, ACCOUNT_OF[PLATFORM], true]);

  const signerOfMember: Readonly<Record<number, HardhatEthersSigner>> = {
    [UNION]: signers.unionOps,
    [BRANCH_A]: signers.branchAOps,
    [BRANCH_B]: signers.branchBOps,
    [PLATFORM]: signers.platformOps,
    [COURT]: signers.courtOps,
  };
  function signerOf(memberId: number): HardhatEthersSigner {
    const s = signerOfMember[memberId];
    if (s === undefined) throw new Error(`no signer for member ${memberId}`);
    return s;
  }
  /** The ledger as seen by a member's operator (or any signer). */
  function ledgerAs(who: number | HardhatEthersSigner): Contract {
    return ledger.connect(typeof who === "number" ? signerOf(who) : who) as Contract;
  }
  function disputesAs(who: number | HardhatEthersSigner): Contract {
    return disputes.connect(typeof who === "number" ? signerOf(who) : who) as Contract;
  }

  /** Every fund flow sent through these helpers, per loan id, in order. */
  const flows = new Map<string, FlowRecord[]>();
  function record(loanId: string, flow: FlowRecord): void {
    const list = flows.get(loanId) ?? [];
    list.push(flow);
    flows.set(loanId, list);
  }

  /** The platform operator's agreement to a joint loan's terms ("0x" for a loan the branch funds alone). */
  async function agreementOf(
    terms: LoanTerms,
    signer: HardhatEthersSigner = signers.platformOps,
  ): Promise<string> {
    if (terms.funders.length !== 2) return "0x";
    const { chainId } = await ethers.provider.getNetwork();
    return signLoanAgreement(signer, chainId, await ledger.getAddress(), terms);
  }

  /**
   * Register `terms` as the branch's operator, with the platform's agreement for a joint loan
   * (or `agreement` as given); returns the loan id and the transaction.
   */
  async function register(
    terms: LoanTerms,
    as: number | HardhatEthersSigner = terms.branch,
    agreement?: string,
  ) {
    const l = ledgerAs(as);
    const signature = agreement ?? (await agreementOf(terms));
    const loanId: string = await l.getFunction("registerLoan").staticCall(terms, signature);
    const tx: ContractTransactionResponse = await l.getFunction("registerLoan")(terms, signature);
    await tx.wait();
    return { loanId, tx };
  }

  /** `funder` disburses `amount` of the loan from `account` under `serial` (its voucher derived): the transaction, unchecked. */
  function disburse(
    funder: number,
    loanId: string,
    amount: bigint,
    account: string,
    serial: string,
  ): Promise<ContractTransactionResponse> {
    return ledgerAs(funder).getFunction("disburse")(
      loanId,
      amount,
      account,
      serial,
      voucherOf(serial),
    ) as Promise<ContractTransactionResponse>;
  }

  /** Every funder disburses exactly its share (split as the ledger splits) from its own account. */
  async function disburseAll(loanId: string): Promise<ContractTransactionResponse[]> {
    const loan = await ledger.getFunction("loan")(loanId);
    const funders = (await ledger.getFunction("funders")(loanId)) as { memberId: bigint; shareBps: bigint }[];
    const parts = splitByShares(
      loan.principal as bigint,
      funders.map((f) => Number(f.shareBps)),
    );
    const txs: ContractTransactionResponse[] = [];
    for (const [i, f] of funders.entries()) {
      const funder = Number(f.memberId);
      const serial = nextSerial("DIS");
      const voucher = voucherOf(serial);
      const tx = await disburse(funder, loanId, parts[i]!, ACCOUNT_OF[funder]!, serial);
      await tx.wait();
      record(loanId, { kind: "disbursement", funder, amount: parts[i]!, serial, voucher });
      txs.push(tx);
    }
    return txs;
  }

  /** The loan's branch records a repayment of `amount` fen with a fresh serial and voucher. */
  async function repay(loanId: string, amount: bigint, as?: number | HardhatEthersSigner) {
    const loan = await ledger.getFunction("loan")(loanId);
    const branch = Number(loan.branch);
    const serial = nextSerial("REP");
    const voucher = voucherOf(serial);
    const tx: ContractTransactionResponse = await ledgerAs(as ?? branch).getFunction("repay")(
      loanId,
      amount,
      serial,
      voucher,
    );
    const receipt = await tx.wait();
    record(loanId, { kind: "repayment", funder: branch, amount, serial, voucher });
    return { tx, receipt: receipt!, serial, voucher };
  }

  /** Unix seconds of `hour`:`minute` Asia/Shanghai on Shanghai day `day`. */
  function shanghaiTime(day: number, hour = 0, minute = 0): number {
    return day * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS + hour * 3600 + minute * 60;
  }

  /**
   * Mine a block at `hour`:`minute` Asia/Shanghai on Shanghai day `day` (forward only). The next
   * transactions follow it within seconds, so pick a time not just before midnight.
   */
  async function timeTo(day: number, hour = 0, minute = 0): Promise<number> {
    const target = shanghaiTime(day, hour, minute);
    const latest = await networkHelpers.time.latest();
    if (target <= latest) {
      throw new Error(
        `timeTo: ${dayToDate(day)} ${hour}:${minute} (${target}) is not after the latest block (${latest})`,
      );
    }
    await networkHelpers.time.increaseTo(target);
    return target;
  }

  /** The Shanghai day of the latest block. */
  async function chainDay(): Promise<number> {
    return shanghaiDay(await networkHelpers.time.latest());
  }

  /** A start date for new loans: the Shanghai day after the latest block. */
  const startDay = (await chainDay()) + 1;
  const startDate = dayToDate(startDay);

  return {
    ...c,
    ledger,
    disputes,
    networkHelpers,
    signerOf,
    ledgerAs,
    disputesAs,
    register,
    agreementOf,
    disburse,
    disburseAll,
    repay,
    flows,
    timeTo,
    shanghaiTime,
    chainDay,
    startDay,
    startDate,
    serial: nextSerial,
  };
}
