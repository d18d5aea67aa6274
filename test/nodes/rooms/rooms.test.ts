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
import { CreditReporting } from "../../../nodes/src/reporting.ts";

const ACTOR = { userId: "clerk", role: "clerk" as const, memberId: 2 };
const LOAN = `0x${"aa".repeat(32)}`;
const OTHER = `0x${"bb".repeat(32)}`;
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
      receiving: { kind: "borrower-account" },
    });
  });

  it("an outbox serial it does not hold is NODE_ERR_NOT_FOUND", async function () {
    const reads = new LedgerReads({ outbox: { status: async () => undefined } } as never);
    expect(await codeOf(reads.outboxStatus(ACTOR, "NOPE-1"))).to.equal("NODE_ERR_NOT_FOUND");
  });
});

describe("node rooms: credit reporting (征信报送)", function () {
  it("reads days overdue and the next due day from the ledger for active loans only; a closed loan owes nothing", async function () {
    const loans = [
      {
        loanId: LOAN,
        borrowerKey: `0x${"11".repeat(32)}`,
        principalFen: 1_000_000n,
        disbursedFen: 1_000_000n,
        principalRepaidFen: 250_000n,
        state: "Active",
      },
      {
        loanId: OTHER,
        borrowerKey: `0x${"22".repeat(32)}`,
        principalFen: 500_000n,
        disbursedFen: 500_000n,
        principalRepaidFen: 500_000n,
        state: "Settled",
      },
    ];
    const asked: string[] = [];
    const ledger = {
      overdue: async (id: string) => (asked.push(`overdue ${id}`), [3n, 0n, 0n]),
      schedule: async () => [{ dueDay: 20_030n }, { dueDay: 20_060n }],
      progress: async () => ({ nextInstallment: 1n }),
    };
    const csv = await new CreditReporting({
      memberId: 2,
      model: { loansByBranch: async () => loans },
      ledger,
    } as never).creditReport(ACTOR, "2026-11");
    expect(asked, "the ledger is asked about the active loan only").to.deep.equal([`overdue ${LOAN}`]);
    const [header, ...rows] = csv
      .trim()
      .split(/\r?\n/)
      .map((r) => r.split(","));
    const column = (row: string[] | undefined, name: string) => row?.[header!.indexOf(name)];
    const active = rows.find((r) => r.includes(LOAN));
    const settled = rows.find((r) => r.includes(OTHER));
    expect(column(active, "days_overdue")).to.equal("3");
    expect(Number(column(active, "balance")), "principal disbursed less repaid").to.be.greaterThan(0);
    expect(Number(column(settled, "balance"))).to.equal(0);
    expect(column(settled, "days_overdue")).to.equal("0");
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
