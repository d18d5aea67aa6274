// The loan road's rooms one by one, over stubs of what each names in its dependencies (the API
// tests over a real chain cover them together): routing's view of the registry, the ledger reads,
// the credit-reporting file's figures from the ledger, a member's side of the day for 对账, and
// the node's LevelDB catalogue.
import { expect } from "chai";
import { readdir, readFile } from "node:fs/promises";
import { MemberKind, MemberStatus } from "../../../common/consortium/members.ts";
import { NODE_SUBLEVELS } from "../../../nodes/src/keys.ts";
import { LedgerReads } from "../../../nodes/src/ledger-reads.ts";
import { BRANCH, ConsortiumMembers, UNION } from "../../../nodes/src/members.ts";
import { Reconciliation } from "../../../nodes/src/reconciliation.ts";
import { dateToDay, dueTimestamp } from "../../../common/lending/dates.ts";
import { CreditReporting, fiveLevelClass } from "../../../nodes/src/reporting.ts";

const ACTOR = { userId: "clerk", role: "clerk" as const, memberId: 2 };
const LOAN = `0x${"aa".repeat(32)}`;
const OTHER = `0x${"bb".repeat(32)}`;
const LATER = `0x${"cc".repeat(32)}`;
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => "passed",
    (e: { code?: string }) => e.code,
  );

describe("node rooms: members (routing by the registry)", function () {
  function registry(profiles: Record<number, [number, number, number]>, calls: string[] = []) {
    return {
      memberIds: async () => (calls.push("memberIds"), Object.keys(profiles).map(BigInt)),
      profileOf: async (id: bigint | number) => (
        calls.push(`profileOf(${id})`),
        (profiles[Number(id)] ?? [0, 0, 0]).map(BigInt)
      ),
    };
  }

  it("routes a region to its active branch, names the union, skips suspended members and reads the registry once per 30 s", async function () {
    const calls: string[] = [];
    const members = new ConsortiumMembers(
      registry(
        {
          1: [MemberKind.Union, MemberStatus.Active, 0],
          2: [MemberKind.Branch, MemberStatus.Active, 110105],
          3: [MemberKind.Branch, MemberStatus.Suspended, 330106],
        },
        calls,
      ) as never,
    );
    expect(await members.branchForRegion(110105)).to.equal(2);
    expect((await members.active()).union).to.equal(1);
    expect(await codeOf(members.branchForRegion(330106)), "a suspended branch serves no region").to.equal(
      "NODE_ERR_NO_BRANCH_FOR_REGION",
    );
    expect(calls.filter((c) => c === "memberIds")).to.have.length(1);
    expect(await members.kindOf(3), "a member's kind, active or not").to.equal(BRANCH);
    expect(await members.kindOf(9)).to.equal(0);
    expect(UNION).to.equal(MemberKind.Union);
  });

  it("a registry that cannot be read is NODE_ERR_CHAIN_UNAVAILABLE", async function () {
    const members = new ConsortiumMembers({
      memberIds: async () => Promise.reject(new Error("connection refused")),
      profileOf: async () => Promise.reject(new Error("connection refused")),
    } as never);
    expect(await codeOf(members.active())).to.equal("NODE_ERR_CHAIN_UNAVAILABLE");
    expect(await codeOf(members.kindOf(2))).to.equal("NODE_ERR_CHAIN_UNAVAILABLE");
  });
});

describe("node rooms: ledger reads", function () {
  const loan = {
    loanId: LOAN,
    branch: 2,
    platform: 4,
    method: "EqualInstallment",
    principalFen: 1_000_000n,
    principalRepaidFen: 250_000n,
    startDay: 20_000,
    fees: [],
    state: "Active",
  };
  const model = {
    loan: async (id: string) => (id === LOAN ? loan : undefined),
    loansByState: async (state: string) => [`state:${state}`],
    loansByBranch: async (branch: number) => [`branch:${branch}`],
    loansByPlatform: async (platform: number) => [`platform:${platform}`],
    borrowerExposure: async () => 5n,
  };

  it("lists by state, branch or platform, and by default this member's loans", async function () {
    const reads = new LedgerReads({ memberId: 2, model } as never);
    expect(await reads.loans(ACTOR, {})).to.deep.equal(["branch:2"]);
    expect(await reads.loans(ACTOR, { state: "Active" })).to.deep.equal(["state:Active"]);
    expect(await reads.loans(ACTOR, { platform: 4 })).to.deep.equal(["platform:4"]);
    expect(await reads.exposure(ACTOR, `0x${"CC".repeat(32)}`)).to.deep.equal({
      borrowerKey: `0x${"cc".repeat(32)}`,
      outstandingFen: 5n,
    });
  });

  it("one loan: unknown is NODE_ERR_UNKNOWN_LOAN; the all-in APR is null while the chain's schedule cannot be read; each module's details join it", async function () {
    const reads = new LedgerReads({
      memberId: 2,
      model,
      ledger: { schedule: async () => Promise.reject(new Error("chain down")) },
      loanDetails: [async () => ({ receiving: { kind: "borrower-account" } })],
    } as never);
    expect(await codeOf(reads.loan(ACTOR, OTHER))).to.equal("NODE_ERR_UNKNOWN_LOAN");
    expect(await reads.loan(ACTOR, LOAN.toUpperCase().replace("0X", "0x"))).to.deep.include({
      loanId: LOAN,
      allInAprBps: null,
      outstandingFen: 750_000n,
      receiving: { kind: "borrower-account" },
    });
  });

  it("an outbox serial it does not hold is NODE_ERR_NOT_FOUND", async function () {
    const reads = new LedgerReads({ outbox: { status: async () => undefined } } as never);
    expect(await codeOf(reads.outboxStatus(ACTOR, "NOPE-1"))).to.equal("NODE_ERR_NOT_FOUND");
  });
});

describe("node rooms: credit reporting (征信报送) at the month's end", function () {
  // Shanghai end of day (23:59:59) of a date, and noon of it
  const endOf = (date: string) => dueTimestamp(dateToDay(date));
  const noonOf = (date: string) => endOf(date) - 12 * 3600 + 1;
  const flow = (type: string, date: string, amountFen: bigint, principalFen = 0n, interestFen = 0n) => ({
    type,
    loanId: LOAN,
    serial: `${type}-${date}`,
    amountFen,
    principalFen,
    interestFen,
    penaltyFen: 0n,
    timestamp: noonOf(date),
  });
  const schedule = ["2026-10-10", "2026-11-10", "2026-12-10"].map((d, i) => ({
    dueDay: BigInt(dateToDay(d)),
    principal: i === 0 ? 333_334n : 333_333n,
    interest: 10_000n,
  }));

  async function report(month: string) {
    const loans = [
      // late since its November installment; its December repayment comes after November's end
      {
        loanId: LOAN,
        borrowerKey: `0x${"11".repeat(32)}`,
        principalFen: 1_000_000n,
        state: "Active",
        registeredAt: noonOf("2026-09-09"),
      },
      // settled in full on 15 November
      {
        loanId: OTHER,
        borrowerKey: `0x${"22".repeat(32)}`,
        principalFen: 500_000n,
        state: "Settled",
        registeredAt: noonOf("2026-09-09"),
        settled: { timestamp: noonOf("2026-11-15") },
      },
      // registered after November's end
      {
        loanId: LATER,
        borrowerKey: `0x${"33".repeat(32)}`,
        principalFen: 900_000n,
        state: "Active",
        registeredAt: noonOf("2026-12-02"),
      },
    ];
    const flows: Record<string, unknown[]> = {
      [LOAN]: [
        flow("disbursement", "2026-09-10", 1_000_000n),
        flow("repayment", "2026-10-10", 343_334n, 333_334n, 10_000n),
        flow("repayment", "2026-12-03", 343_333n, 333_333n, 10_000n),
      ],
      [OTHER]: [
        flow("disbursement", "2026-09-10", 500_000n),
        flow("repayment", "2026-11-15", 505_000n, 500_000n, 5_000n),
      ],
      [LATER]: [flow("disbursement", "2026-12-02", 900_000n)],
    };
    const notified: string[] = [];
    const csv = await new CreditReporting({
      memberId: 2,
      model: { loansByBranch: async () => loans, flowsByLoan: async (id: string) => flows[id] ?? [] },
      // the settled loan: one installment due at November's end
      ledger: {
        schedule: async (id: string) =>
          id === OTHER
            ? [{ dueDay: BigInt(dateToDay("2026-11-30")), principal: 500_000n, interest: 5_000n }]
            : schedule,
      },
      notices: {
        deliver: async (r: { noticeId: string; templateId: string }) => (
          notified.push(`${r.templateId} ${r.noticeId}`),
          { status: "delivered" }
        ),
      },
    } as never).creditReport(ACTOR, month);
    const [header, ...rows] = csv
      .trim()
      .split(/\r?\n/)
      .map((r) => r.split(","));
    const row = (id: string) => rows.find((r) => r.includes(id));
    const column = (id: string, name: string) => row(id)?.[header!.indexOf(name)];
    return { rows, row, column, notified };
  }

  it("reports each loan as it stood at 23:59:59 on the month's last day, whatever day it is built", async function () {
    const nov = await report("2026-11");
    expect(nov.column(LOAN, "days_overdue"), "30 Nov − 10 Nov").to.equal("20");
    expect(nov.column(LOAN, "balance"), "the December repayment is not November's").to.equal("6666.66");
    expect(nov.column(LOAN, "next_due_date")).to.equal("2026-11-10");
    expect(nov.row(LATER), "registered in December").to.equal(undefined);
    // a month earlier: nothing late yet, the full balance less October's principal
    const oct = await report("2026-10");
    expect(oct.column(LOAN, "days_overdue")).to.equal("0");
    expect(oct.column(LOAN, "balance")).to.equal("6666.66");
    expect(oct.column(LOAN, "next_due_date")).to.equal("2026-11-10");
  });

  it("a loan settled mid-month is reported settled with nothing owed; the month before, as it then stood", async function () {
    const nov = await report("2026-11");
    expect(nov.column(OTHER, "status")).to.equal("C");
    expect(nov.column(OTHER, "balance")).to.equal("0.00");
    const oct = await report("2026-10");
    expect(oct.column(OTHER, "status")).to.equal("N");
    expect(oct.column(OTHER, "balance")).to.equal("5000.00");
  });

  it("notifies the borrower before the loan is first reported overdue (征信业管理条例 Art. 15)", async function () {
    expect((await report("2026-11")).notified).to.deep.equal([`credit-negative.v1 credit-negative:${LOAN}`]);
    expect((await report("2026-10")).notified).to.deep.equal([]);
  });

  it("grades a loan in five levels by days overdue (五级分类)", function () {
    expect([0, 1, 90, 91, 180, 181, 360, 361].map(fiveLevelClass)).to.deep.equal([
      "正常",
      "关注",
      "关注",
      "次级",
      "次级",
      "可疑",
      "可疑",
      "损失",
    ]);
  });
});

describe("node rooms: reconciliation (对账) takes this member's side of the day", function () {
  it("its own disbursements and the repayments of loans it services, nothing of other members'", async function () {
    const flows = [
      {
        type: "disbursement",
        serial: "D-MINE",
        loanId: LOAN,
        amountFen: 100n,
        date: "2026-11-22",
        funder: 2,
      },
      {
        type: "disbursement",
        serial: "D-PLATFORM",
        loanId: LOAN,
        amountFen: 50n,
        date: "2026-11-22",
        funder: 4,
      },
      { type: "repayment", serial: "R-MINE", loanId: LOAN, amountFen: 30n, date: "2026-11-22" },
      { type: "repayment", serial: "R-OTHER", loanId: OTHER, amountFen: 20n, date: "2026-11-22" },
    ];
    const model = {
      flowsByDay: async () => flows,
      loan: async (id: string) => ({ branch: id === LOAN ? 2 : 3 }),
    };
    const books =
      "serial,loan_id,type,amount,value_date,account_masked\r\nD-MINE," +
      LOAN +
      ",disbursement,1.00,2026-11-22,6222****1234\r\nR-MINE," +
      LOAN +
      ",repayment,0.30,2026-11-22,6222****1234\r\n";
    const report = JSON.parse(
      Buffer.from(
        await new Reconciliation({ memberId: 2, model } as never).reconcile(
          ACTOR,
          "2026-11-22",
          books,
          "json",
        ),
      ).toString("utf8"),
    ) as Record<string, unknown>;
    const text = JSON.stringify(report);
    expect(text, "other members' flows are not in this member's books")
      .to.not.include("D-PLATFORM")
      .and.not.include("R-OTHER");
    expect(report).to.have.property("balanced", true);
  });
});

describe("node rooms: the LevelDB catalogue (keys.ts)", function () {
  it("names each root sublevel once, and the wiring opens sublevels only by their catalogue name", async function () {
    const names = Object.values(NODE_SUBLEVELS).map((s) => s.name);
    expect(new Set(names).size).to.equal(names.length);
    const wiring = new URL("../../../nodes/src/wiring/", import.meta.url);
    const files = (await readdir(wiring)).filter((f) => f.endsWith(".ts"));
    const texts = await Promise.all(files.map((f) => readFile(new URL(f, wiring), "utf8")));
    const service = texts.join("\n");
    expect(service.match(/sublevel\("[^"]+"/g)?.length ?? 0, "the wiring opens sublevels").to.be.greaterThan(
      10,
    );
    expect(
      service.match(/sublevel\("[^"]+"/g)?.map((m) => m.slice(10, -1)) ?? [],
      "every sublevel(...) call names a catalogue entry",
    ).to.satisfy((used: string[]) => used.every((u) => u in NODE_SUBLEVELS));
    expect(service, "no sublevel opened by a raw name and encoding").to.not.match(/sublevel\("[^"]+", "/);
  });
});
