// BureauSimulator: a deterministic population of credit files, a stable subset without a file,
// inquiry counts that grow, and the latency/timeout/outage/slow behaviours the client must survive.
import { expect } from "chai";
import type { BureauQuery } from "../../../nodes/src/bureau/bureau.ts";
import { BureauError, reportDigest } from "../../../nodes/src/bureau/bureau.ts";
import { BureauSimulator, SIMULATED_REPORT_FORMAT } from "../../../nodes/src/bureau/simulator.ts";
import { FakeClock, codeOf, keyN, rejectionOf, sha256Hex } from "./fixtures.ts";

function queryFor(borrowerKey: string): BureauQuery {
  return { borrowerKey, purpose: "LOAN_APPROVAL", operator: "officer-07", institution: 3 };
}

/** A simulator on a fake clock with no latency unless told. */
function simulator(
  clock: FakeClock,
  options: Partial<ConstructorParameters<typeof BureauSimulator>[0]> = {},
): BureauSimulator {
  return new BureauSimulator({
    seed: "test-seed",
    latencyMs: 0,
    mode: "normal",
    now: clock.now,
    sleep: clock.sleep,
    ...options,
  });
}

/** The fields that describe the file, not the query. */
function fileOf(report: {
  score: number;
  activeLoans: number;
  totalOutstandingFen: bigint;
  overdueAccounts: number;
  worstOverdueDays: number;
}) {
  const { score, activeLoans, totalOutstandingFen, overdueAccounts, worstOverdueDays } = report;
  return { score, activeLoans, totalOutstandingFen, overdueAccounts, worstOverdueDays };
}

describe("bureau simulator", () => {
  describe("reports", () => {
    it("gives the same file for the same key, across queries and across simulators with the same seed", async () => {
      const clock = new FakeClock();
      const a = simulator(clock);
      const b = simulator(clock);
      for (let n = 0; n < 20; n++) {
        const first = await clock.run(a.query(queryFor(keyN(n)), {}));
        const again = await clock.run(a.query(queryFor(keyN(n)), {}));
        const other = await clock.run(b.query(queryFor(keyN(n)), {}));
        expect(fileOf(again)).to.deep.equal(fileOf(first));
        expect(fileOf(other)).to.deep.equal(fileOf(first));
      }
    });

    it("replays byte for byte: the same seed, clock and call sequence give the same report bytes", async () => {
      const run = async (): Promise<string[]> => {
        const clock = new FakeClock();
        const sim = simulator(clock, { latencyMs: [10, 90] });
        const digests: string[] = [];
        for (let n = 0; n < 10; n++)
          digests.push(reportDigest((await clock.run(sim.query(queryFor(keyN(n % 4)), {}))).raw));
        return digests;
      };
      const first = await run();
      expect(new Set(first).size).to.equal(10);
      expect(await run()).to.deep.equal(first);
    });

    it("gives a varied, plausible population, and another one under another seed", async () => {
      const clock = new FakeClock();
      const a = simulator(clock);
      const b = simulator(clock, { seed: "other-seed" });
      const scores: number[] = [];
      let differ = 0;
      for (let n = 0; n < 200; n++) {
        const r = await clock.run(a.query(queryFor(keyN(n)), {}));
        const s = await clock.run(b.query(queryFor(keyN(n)), {}));
        scores.push(r.score);
        if (r.score !== s.score) differ++;
        expect(Number.isInteger(r.score) && r.score >= 300 && r.score <= 900).to.equal(true);
        expect(r.activeLoans >= 0 && r.activeLoans <= 5).to.equal(true);
        expect(
          r.activeLoans === 0
            ? r.totalOutstandingFen === 0n
            : r.totalOutstandingFen >= BigInt(r.activeLoans) * 300_000n,
        ).to.equal(true);
        expect(r.overdueAccounts === 0 ? r.worstOverdueDays === 0 : r.worstOverdueDays > 0).to.equal(true);
        if (r.score >= 700) expect(r.overdueAccounts).to.equal(0);
      }
      expect(new Set(scores).size > 50).to.equal(true);
      expect(Math.min(...scores) < 500 && Math.max(...scores) > 700).to.equal(true);
      expect(differ > 180).to.equal(true);
    });

    it("issues a new report per query: its own id, time and bytes, whose SHA-256 is the digest", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock);
      const key = keyN(1);
      const first = await clock.run(sim.query(queryFor(key), {}));
      await clock.advance(60_000);
      const second = await clock.run(sim.query(queryFor(key), {}));
      expect(second.reportId).to.not.equal(first.reportId);
      expect(first.generatedAt).to.equal("2025-06-01T02:00:00.000Z");
      expect(second.generatedAt).to.equal("2025-06-01T02:01:00.000Z");
      expect(reportDigest(first.raw)).to.equal(sha256Hex(first.raw));
      expect(reportDigest(second.raw)).to.not.equal(reportDigest(first.raw));

      const doc = JSON.parse(new TextDecoder().decode(first.raw));
      expect(doc.format).to.equal(SIMULATED_REPORT_FORMAT);
      expect(doc.reportId).to.equal(first.reportId);
      expect(doc.borrowerKey).to.equal(key);
      expect(doc.summary).to.deep.equal({
        score: first.score,
        activeLoans: first.activeLoans,
        totalOutstandingFen: first.totalOutstandingFen.toString(),
        overdueAccounts: first.overdueAccounts,
        worstOverdueDays: first.worstOverdueDays,
        queriesLast6Months: first.queriesLast6Months,
      });
      expect(
        doc.accounts.reduce(
          (s: bigint, a: { outstandingFen: string }) => s + BigInt(a.outstandingFen),
          0n,
        ) === first.totalOutstandingFen,
      ).to.equal(true);
    });

    it("counts each served query in queriesLast6Months, per key, and forgets queries older than six months", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock);
      const counts: number[] = [];
      for (let i = 0; i < 4; i++)
        counts.push((await clock.run(sim.query(queryFor(keyN(5)), {}))).queriesLast6Months);
      expect(counts.slice(1).map((c, i) => c - counts[i]!)).to.deep.equal([1, 1, 1]);
      expect(counts[0]! >= 1).to.equal(true);

      // Another key has its own count.
      const other = await clock.run(sim.query(queryFor(keyN(6)), {}));
      const fresh = await clock.run(simulator(clock).query(queryFor(keyN(6)), {}));
      expect(other.queriesLast6Months).to.equal(fresh.queriesLast6Months);

      await clock.advance(184 * 24 * 3600 * 1000);
      const later = await clock.run(sim.query(queryFor(keyN(5)), {}));
      expect(later.queriesLast6Months).to.equal(counts[0]);
    });

    it("refuses a malformed request with NODE_ERR_BUREAU_BAD_REQUEST", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock);
      expect(
        await codeOf(sim.query({ ...queryFor(keyN(1)), borrowerKey: "110101199003071234" }, {})),
      ).to.equal("NODE_ERR_BUREAU_BAD_REQUEST");
      expect(await codeOf(sim.query({ ...queryFor(keyN(1)), purpose: "MARKETING" as never }, {}))).to.equal(
        "NODE_ERR_BUREAU_BAD_REQUEST",
      );
      expect(await codeOf(sim.query({ ...queryFor(keyN(1)), operator: " " }, {}))).to.equal(
        "NODE_ERR_BUREAU_BAD_REQUEST",
      );
      expect(await codeOf(sim.query({ ...queryFor(keyN(1)), institution: 0 }, {}))).to.equal(
        "NODE_ERR_BUREAU_BAD_REQUEST",
      );
      expect(sim.stats.served).to.equal(0);
    });

    it("rejects impossible options at construction", () => {
      expect(() => new BureauSimulator({ seed: 1, latencyMs: [50, 10] })).to.throw(RangeError);
      expect(() => new BureauSimulator({ seed: 1, latencyMs: -1 })).to.throw(RangeError);
      expect(() => new BureauSimulator({ seed: 1, latencyMs: 0, timeoutRate: 1.5 })).to.throw(RangeError);
      expect(() => new BureauSimulator({ seed: 1, latencyMs: 0, notFoundRate: -0.1 })).to.throw(RangeError);
    });
  });

  describe("people without a credit file", () => {
    it("is a stable subset of keys chosen by hash, close to notFoundRate, and nested as the rate grows", async () => {
      const clock = new FakeClock();
      const keys = Array.from({ length: 1000 }, (_, n) => keyN(n));
      const at30 = simulator(clock, { notFoundRate: 0.3 });
      const at30again = simulator(clock, { notFoundRate: 0.3 });
      const at10 = simulator(clock, { notFoundRate: 0.1 });
      const missing30 = keys.filter((k) => !at30.hasFile(k));
      const missing10 = keys.filter((k) => !at10.hasFile(k));
      expect(keys.filter((k) => !at30again.hasFile(k))).to.deep.equal(missing30);
      expect(missing30.length >= 250 && missing30.length <= 350).to.equal(true);
      expect(missing10.length >= 70 && missing10.length <= 130).to.equal(true);
      expect(missing10.every((k) => missing30.includes(k))).to.equal(true);
      expect(simulator(clock, { notFoundRate: 0 }).hasFile(missing30[0]!)).to.equal(true);
      expect(simulator(clock, { notFoundRate: 1 }).hasFile(keys[0]!)).to.equal(false);
    });

    it("answers NODE_ERR_BUREAU_NOT_FOUND for those keys every time, and counts no query for them", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock, { notFoundRate: 0.3 });
      const keys = Array.from({ length: 60 }, (_, n) => keyN(n));
      for (const key of keys) {
        for (let i = 0; i < 2; i++) {
          const outcome = await clock.run(
            sim.query(queryFor(key), {}).then(
              () => "report",
              (e: BureauError) => e.code,
            ),
          );
          expect(outcome).to.equal(sim.hasFile(key) ? "report" : "NODE_ERR_BUREAU_NOT_FOUND");
        }
      }
      const missing = keys.filter((k) => !sim.hasFile(k)).length;
      expect(missing > 0).to.equal(true);
      expect(sim.stats).to.deep.include({ notFound: 2 * missing, served: 2 * (keys.length - missing) });
    });
  });

  describe("latency, timeouts, modes", () => {
    it("waits the fixed latency, or a seeded draw within [min, max]", async () => {
      const clock = new FakeClock();
      const fixed = simulator(clock, { latencyMs: 120 });
      const start = clock.now();
      await clock.run(fixed.query(queryFor(keyN(1)), {}));
      expect(clock.now() - start).to.equal(120);

      const draws = async (seed: string): Promise<number[]> => {
        const c = new FakeClock();
        const sim = new BureauSimulator({
          seed,
          latencyMs: [100, 300],
          mode: "normal",
          now: c.now,
          sleep: c.sleep,
        });
        for (let n = 0; n < 50; n++) await c.run(sim.query(queryFor(keyN(n)), {}));
        return c.sleeps;
      };
      const a = await draws("s1");
      expect(a.every((ms) => ms >= 100 && ms <= 300)).to.equal(true);
      expect(new Set(a).size > 20).to.equal(true);
      expect(await draws("s1")).to.deep.equal(a);
      expect(await draws("s2")).to.not.deep.equal(a);
    });

    it("takes real time on the system clock", async () => {
      const sim = new BureauSimulator({ seed: "real", latencyMs: [30, 40], mode: "normal" });
      const start = performance.now();
      await sim.query(queryFor(keyN(1)), {});
      const elapsed = performance.now() - start;
      expect(elapsed >= 29 && elapsed < 500).to.equal(true);
    });

    it("times out a timeoutRate share of calls after the gateway timeout, from a seeded stream", async () => {
      const clock = new FakeClock();
      const always = simulator(clock, { timeoutRate: 1, gatewayTimeoutMs: 5_000 });
      const start = clock.now();
      expect(await clock.run(codeOf(always.query(queryFor(keyN(1)), {})))).to.equal(
        "NODE_ERR_BUREAU_TIMEOUT",
      );
      expect(clock.now() - start).to.equal(5_000);

      const outcomes = async (): Promise<string[]> => {
        const c = new FakeClock();
        const sim = new BureauSimulator({
          seed: "t",
          latencyMs: 10,
          timeoutRate: 0.25,
          gatewayTimeoutMs: 1_000,
          now: c.now,
          sleep: c.sleep,
        });
        const out: string[] = [];
        for (let n = 0; n < 400; n++)
          out.push(
            await c.run(
              sim.query(queryFor(keyN(n)), {}).then(
                () => "ok",
                (e: BureauError) => e.code,
              ),
            ),
          );
        return out;
      };
      const first = await outcomes();
      const timeouts = first.filter((o) => o === "NODE_ERR_BUREAU_TIMEOUT").length;
      expect(timeouts >= 70 && timeouts <= 130).to.equal(true);
      expect(await outcomes()).to.deep.equal(first);
    });

    it("is slowFactor times slower in slow mode", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock, { latencyMs: 100, mode: "slow", slowFactor: 15 });
      const start = clock.now();
      const report = await clock.run(sim.query(queryFor(keyN(1)), {}));
      expect(clock.now() - start).to.equal(1_500);
      expect(report.score >= 300).to.equal(true);
    });

    it("refuses every call in outage mode, and serves again once switched back", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock, { latencyMs: 50 });
      await clock.run(sim.query(queryFor(keyN(1)), {}));
      sim.setMode("outage");
      expect(sim.mode).to.equal("outage");
      const start = clock.now();
      for (let i = 0; i < 3; i++)
        expect(await clock.run(codeOf(sim.query(queryFor(keyN(1)), {})))).to.equal(
          "NODE_ERR_BUREAU_UNAVAILABLE",
        );
      expect(clock.now()).to.equal(start); // refused at once
      sim.setMode("normal");
      await clock.run(sim.query(queryFor(keyN(1)), {}));
      expect(sim.stats).to.deep.include({ served: 2, unavailable: 3 });
    });

    it("fails an in-flight call when an outage begins during it", async () => {
      const clock = new FakeClock();
      const sim = simulator(clock, { latencyMs: 1_000 });
      const pending = codeOf(sim.query(queryFor(keyN(1)), {}));
      await clock.advance(500);
      sim.setMode("outage");
      await clock.advance(500);
      expect(await pending).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(sim.stats.served).to.equal(0);
    });

    it("honours AbortSignal: an aborted call rejects at once with the signal's reason and counts no query", async () => {
      const sim = new BureauSimulator({ seed: "abort", latencyMs: 5_000, mode: "normal" });
      const pre = new AbortController();
      const reason = new Error("caller gave up");
      pre.abort(reason);
      expect(await rejectionOf(sim.query(queryFor(keyN(1)), { signal: pre.signal }))).to.equal(reason);

      const mid = new AbortController();
      const start = performance.now();
      const pending = rejectionOf(sim.query(queryFor(keyN(1)), { signal: mid.signal }));
      setTimeout(() => mid.abort(reason), 20);
      expect(await pending).to.equal(reason);
      expect(performance.now() - start < 1_000).to.equal(true);
      expect(sim.stats).to.deep.include({ served: 0, aborted: 2 });
    });
  });
});
