// The read model's storage without a chain: synthetic events applied through PageWriter, run as
// one suite against an in-memory level and a real LevelDB in a temp directory (and under a parent
// sublevel, as a node sharing one database would mount it). Checks the index bookkeeping (no stale
// entries), fen amounts beyond 2^53, exposure, page-independence of the digest, key order.
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import {
  dateToDay,
  dayToDate,
  SECONDS_PER_DAY,
  SHANGHAI_OFFSET_SECONDS,
} from "../../../common/lending/dates.ts";
import { applyEvent, type ChainEvent, type RegistrationFacts } from "../../../nodes/src/indexer/apply.ts";
import { indexerSublevels, PageWriter, type IndexerDb } from "../../../nodes/src/indexer/db.ts";
import { dayFlowKey, id32, prefixRange, uintBytes } from "../../../nodes/src/indexer/keys.ts";
import { canonicalJson, LedgerModel } from "../../../nodes/src/indexer/model.ts";

const h = (s: string) => keccak256(toUtf8Bytes(s));
const LOAN = h("loan 1");
const OTHER = h("loan 2");
const BORROWER = h("borrower");
const DAY = dateToDay("2026-03-15");
const at = (day: number, hour: number) => day * SECONDS_PER_DAY - SHANGHAI_OFFSET_SECONDS + hour * 3600;
// an amount no JSON number holds exactly
const HUGE = 2n ** 60n + 7n;

let block = 100;
function event(name: string, args: Record<string, unknown>, timestamp = at(DAY, 10)): ChainEvent {
  block += 1;
  return {
    contract: "ledger",
    name,
    args,
    blockNumber: block,
    logIndex: 0,
    txHash: h(`tx ${block}`),
    timestamp,
  };
}

function registered(loanId: string, principal: bigint, platform = 4n): ChainEvent {
  return event("LoanRegistered", {
    loanId,
    branch: 2n,
    platform,
    borrowerKey: BORROWER,
    principal,
    aprBps: 1800n,
    method: 0n,
    contractLeaf: h(`contract ${loanId}`),
    consentLeaf: h(`consent ${loanId}`),
  });
}

const facts = new Map<string, RegistrationFacts>([
  [
    LOAN,
    {
      funders: [
        { memberId: 2, shareBps: 7000 },
        { memberId: 4, shareBps: 3000 },
      ],
      startDay: DAY,
    },
  ],
  [OTHER, { funders: [{ memberId: 2, shareBps: 10_000 }], startDay: DAY }],
]);

/** A joint loan of HUGE fen disbursed, repaid in full and settled; a second loan registered and cancelled. */
function lifeOfTwoLoans(): ChainEvent[] {
  block = 100;
  const branchPart = (HUGE * 7000n) / 10_000n;
  return [
    registered(LOAN, HUGE),
    registered(OTHER, 500_000n, 0n),
    event("FundsDisbursed", {
      loanId: LOAN,
      funder: 2n,
      amount: branchPart,
      accountHash: h("acct"),
      serial: h("d1"),
      voucher: h("v1"),
    }),
    event("FundsDisbursed", {
      loanId: LOAN,
      funder: 4n,
      amount: HUGE - branchPart,
      accountHash: h("acct"),
      serial: h("d2"),
      voucher: h("v2"),
    }),
    event("LoanActivated", { loanId: LOAN }),
    event("LoanCancelled", { loanId: OTHER, reasonCode: 3n }),
    event(
      "RepaymentReceived",
      { loanId: LOAN, serial: h("r1"), voucher: h("v3"), penalty: 5n, interest: 100n, principal: HUGE },
      at(DAY + 31, 9),
    ),
    event(
      "RepaymentShared",
      { loanId: LOAN, funder: 2n, serial: h("r1"), principal: branchPart, income: 74n },
      at(DAY + 31, 9),
    ),
    event(
      "RepaymentShared",
      { loanId: LOAN, funder: 4n, serial: h("r1"), principal: HUGE - branchPart, income: 31n },
      at(DAY + 31, 9),
    ),
    event("LoanSettled", { loanId: LOAN }, at(DAY + 31, 9)),
  ];
}

async function applyPages(db: IndexerDb, events: ChainEvent[], pageSize: number): Promise<void> {
  for (let i = 0; i < events.length; i += pageSize) {
    const w = new PageWriter(db);
    for (const e of events.slice(i, i + pageSize))
      expect(await applyEvent(w, e, facts), e.name).to.equal("applied");
    await w.commit({
      cursor: {
        blockNumber: events[Math.min(i + pageSize, events.length) - 1]!.blockNumber,
        blockHash: h("b"),
      },
    });
  }
}

const backends: Array<[string, () => Promise<{ db: IndexerDb; close(): Promise<void> }>]> = [
  [
    "memory-level",
    async () => {
      const root = new MemoryLevel();
      await root.open();
      return { db: indexerSublevels(root), close: () => root.close() };
    },
  ],
  [
    "LevelDB in a temp directory, under a parent sublevel",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "indexer-model-"));
      const root = new Level(dir);
      await root.open();
      return {
        db: indexerSublevels(root.sublevel("indexer") as never),
        close: async () => {
          await root.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

for (const [backend, open] of backends) {
  describe(`nodes/indexer: read model storage (${backend})`, function () {
    let store: { db: IndexerDb; close(): Promise<void> };
    let model: LedgerModel;
    beforeEach(async function () {
      store = await open();
      model = new LedgerModel(store.db);
    });
    afterEach(async function () {
      await store.close();
    });

    it("keeps fen amounts beyond 2^53 exact and moves index entries with the state (none left stale)", async function () {
      await applyPages(store.db, lifeOfTwoLoans(), 100);
      const loan = (await model.loan(LOAN))!;
      expect([loan.state, loan.principalFen, loan.disbursedFen, loan.principalRepaidFen]).to.deep.equal([
        "Settled",
        HUGE,
        HUGE,
        HUGE,
      ]);
      expect(loan.funders.map((f) => f.incomeFen)).to.deep.equal([74n, 31n]);
      expect((await model.loansByState("Settled")).map((l) => l.loanId)).to.deep.equal([LOAN]);
      expect((await model.loansByState("Cancelled")).map((l) => l.loanId)).to.deep.equal([OTHER]);
      for (const state of ["Registered", "Active"] as const)
        expect(await model.loansByState(state), state).to.deep.equal([]);
      let entries = 0;
      for await (const _ of store.db.model.loansByState.keys()) entries++;
      expect(entries, "one state entry per loan").to.equal(2);
      expect((await model.loansByPlatform(4)).map((l) => l.loanId)).to.deep.equal([LOAN]);
      expect(
        (await model.loansByPlatform(0)).map((l) => l.loanId),
        "an assisted loan brought by no platform",
      ).to.deep.equal([OTHER]);
    });

    it("drops a borrower's exposure entry when nothing is outstanding (absent means zero)", async function () {
      const events = lifeOfTwoLoans();
      await applyPages(store.db, events.slice(0, 2), 100);
      expect(await model.borrowerExposure(BORROWER)).to.equal(HUGE + 500_000n);
      await applyPages(store.db, events.slice(2), 100);
      expect(await model.borrowerExposure(BORROWER)).to.equal(0n);
      expect(await store.db.model.exposure.get(id32(BORROWER))).to.equal(undefined);
    });

    it("gives the same digest however the events are paged, and a different one for a different model", async function () {
      await applyPages(store.db, lifeOfTwoLoans(), 1);
      const onePerPage = await model.digest();
      const other = await open();
      try {
        await applyPages(other.db, lifeOfTwoLoans(), 100);
        expect(await new LedgerModel(other.db).digest()).to.equal(onePerPage);
      } finally {
        await other.close();
      }
      const w = new PageWriter(store.db);
      const loan = (await model.loan(LOAN))!;
      w.put("loans", id32(LOAN), { ...loan, interestRepaidFen: loan.interestRepaidFen + 1n });
      await w.commit({});
      expect(await model.digest()).to.not.equal(onePerPage);
    });

    it("stages a page in memory: reads see its own writes, the database sees nothing before commit", async function () {
      const w = new PageWriter(store.db);
      const [reg] = lifeOfTwoLoans();
      await applyEvent(w, reg!, facts);
      expect((await w.get<{ state: string }>("loans", id32(LOAN)))!.state).to.equal("Registered");
      expect(await model.loan(LOAN)).to.equal(undefined);
      expect(await store.db.meta.get("cursor")).to.equal(undefined);
      await w.commit({ cursor: { blockNumber: 1, blockHash: h("b1") } });
      expect((await model.loan(LOAN))!.state).to.equal("Registered");
      expect(await store.db.meta.get("cursor")).to.deep.equal({ blockNumber: 1, blockHash: h("b1") });
    });

    it("lists a day's flows in chain order and a neighbouring day's not at all", async function () {
      await applyPages(store.db, lifeOfTwoLoans(), 3);
      expect((await model.flowsByDay(dayToDate(DAY))).map((f) => f.serial)).to.deep.equal([h("d1"), h("d2")]);
      expect((await model.flowsByDay(dayToDate(DAY + 31))).map((f) => [f.type, f.amountFen])).to.deep.equal([
        ["repayment", HUGE + 105n],
      ]);
      expect(await model.flowsByDay(dayToDate(DAY + 1))).to.deep.equal([]);
      expect((await model.loan(LOAN))!.lastFlowDay).to.equal(DAY + 31);
    });

    it("skips, and reports, events of loans it never saw registered", async function () {
      const w = new PageWriter(store.db);
      const result = await applyEvent(w, event("LoanActivated", { loanId: h("unknown") }), facts);
      expect(result)
        .to.have.property("skipped")
        .that.matches(/unknown loan/);
      expect(w.size).to.equal(0);
    });
  });
}

describe("nodes/indexer: keys and canonical JSON", function () {
  it("big-endian fixed-width keys sort numerically", function () {
    const keys = [256, 255, 1, 65_536, 0].map((d) => dayFlowKey(d, 7, 1));
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted.map((k) => Buffer.from(k.subarray(0, 4)).readUInt32BE(0))).to.deep.equal([
      0, 1, 255, 256, 65_536,
    ]);
    expect(() => uintBytes(2 ** 32, 4)).to.throw(RangeError);
    expect(() => uintBytes(-1, 4)).to.throw(RangeError);
  });

  it("a prefix range covers exactly the keys with that prefix", function () {
    const { gte, lt } = prefixRange(Uint8Array.from([1, 255]));
    expect([...gte]).to.deep.equal([1, 255]);
    expect([...lt]).to.deep.equal([2]);
  });

  it("canonical JSON sorts keys at every level and writes bigints as strings", function () {
    expect(canonicalJson({ b: 1n, a: [{ d: null, c: "x" }] })).to.equal('{"a":[{"c":"x","d":null}],"b":"1"}');
  });
});
