// BureauClient: per-call timeout, retries with exponential backoff and jitter for transient
// errors only, and the circuit breaker — all on a fake clock.
import { expect } from "chai";
import type { BureauQuery, BureauReport, CreditBureau } from "../../../nodes/src/bureau/bureau.ts";
import { bureauError } from "../../../nodes/src/bureau/bureau.ts";
import type { BureauClientEvent, BureauClientOptions } from "../../../nodes/src/bureau/client.ts";
import { BureauClient } from "../../../nodes/src/bureau/client.ts";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import { FakeClock, RecordingBureau, clientOnClock, codeOf, keyN, rejectionOf } from "./fixtures.ts";

const QUERY: BureauQuery = {
  borrowerKey: keyN(1),
  purpose: "LOAN_APPROVAL",
  operator: "officer-07",
  institution: 3,
};

type Step =
  | "ok"
  | "NODE_ERR_BUREAU_UNAVAILABLE"
  | "NODE_ERR_BUREAU_TIMEOUT"
  | "NODE_ERR_BUREAU_NOT_FOUND"
  | "NODE_ERR_BUREAU_BAD_REQUEST"
  | "hang"
  | "deaf"
  | "bug";

/** A bureau that plays a script, one step per call (the last step repeats). */
class ScriptedBureau implements CreditBureau {
  readonly script: Step[];
  readonly signals: AbortSignal[] = [];
  calls = 0;
  readonly #report: BureauReport;

  constructor(script: Step[], report: BureauReport) {
    this.script = script;
    this.#report = report;
  }

  async query(_request: BureauQuery, options: { signal?: AbortSignal }): Promise<BureauReport> {
    const step = this.script[Math.min(this.calls, this.script.length - 1)]!;
    this.calls++;
    if (options.signal) this.signals.push(options.signal);
    switch (step) {
      case "ok":
        return this.#report;
      case "hang": // answers only by honouring the abort
        return new Promise((_, reject) =>
          options.signal?.addEventListener("abort", () => reject(options.signal!.reason)),
        );
      case "deaf": // ignores the signal and never answers
        return new Promise(() => {});
      case "bug":
        throw new TypeError("adapter bug");
      default:
        throw bureauError(step, `scripted ${step}`);
    }
  }
}

async function aReport(): Promise<BureauReport> {
  return new BureauSimulator({ seed: "client", latencyMs: 0 }).query(QUERY, {});
}

function setup(script: Step[], report: BureauReport, options: BureauClientOptions = {}) {
  const clock = new FakeClock();
  const events: BureauClientEvent[] = [];
  const bureau = new ScriptedBureau(script, report);
  const client = clientOnClock(bureau, clock, {
    retries: 2,
    backoff: { baseMs: 200, maxMs: 2_000 },
    onEvent: (e) => events.push(e),
    ...options,
  });
  const count = (type: BureauClientEvent["type"]): number => events.filter((e) => e.type === type).length;
  const retryDelays = (): number[] => events.flatMap((e) => (e.type === "retry" ? [e.delayMs] : []));
  return { clock, events, bureau, client, count, retryDelays };
}

describe("bureau client", () => {
  let report: BureauReport;
  before(async () => {
    report = await aReport();
  });

  describe("timeout", () => {
    it("passes a report through and counts the call", async () => {
      const { clock, client, events } = setup(["ok"], report);
      expect(await clock.run(client.query(QUERY))).to.equal(report);
      expect(events.map((e) => e.type)).to.deep.equal(["call", "attempt", "success"]);
      expect(clock.pendingTimers).to.equal(0); // the timeout timer was cancelled
    });

    it("aborts a try after timeoutMs with NODE_ERR_BUREAU_TIMEOUT, through the bureau's signal", async () => {
      const { clock, client, bureau } = setup(["hang"], report, { retries: 0 });
      const start = clock.now();
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_TIMEOUT");
      expect(clock.now() - start).to.equal(1_000);
      expect(bureau.signals[0]!.aborted).to.equal(true);
    });

    it("times out even a bureau adapter that ignores the abort", async () => {
      const { clock, client } = setup(["deaf"], report, { retries: 0 });
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_TIMEOUT");
    });

    it("times out the simulator in slow mode and counts the aborted call there", async () => {
      const clock = new FakeClock();
      const sim = new BureauSimulator({
        seed: "slow",
        latencyMs: 200,
        mode: "slow",
        slowFactor: 20,
        now: clock.now,
        sleep: clock.sleep,
      });
      const client = new BureauClient(sim, {
        timeoutMs: 1_000,
        retries: 0,
        now: clock.now,
        sleep: clock.sleep,
      });
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_TIMEOUT");
      expect(sim.stats).to.deep.include({ served: 0, aborted: 1 });
      sim.setMode("normal");
      expect((await clock.run(client.query(QUERY))).borrowerKey).to.equal(QUERY.borrowerKey);
    });
  });

  describe("retries", () => {
    it("retries unavailable and timeout with exponential backoff and jitter, then succeeds", async () => {
      const { clock, client, bureau, count, retryDelays } = setup(
        ["NODE_ERR_BUREAU_UNAVAILABLE", "hang", "NODE_ERR_BUREAU_UNAVAILABLE", "ok"],
        report,
        { retries: 3, failureThreshold: 10 },
      );
      const start = clock.now();
      expect(await clock.run(client.query(QUERY))).to.equal(report);
      expect(bureau.calls).to.equal(4);
      // caps 200, 400, 800; equal jitter with random 0.5 → 3/4 of each cap
      expect(retryDelays()).to.deep.equal([150, 300, 600]);
      expect(clock.now() - start).to.equal(150 + 1_000 + 300 + 600); // the hung try cost its timeout
      expect(count("failure")).to.equal(3);
      expect(count("success")).to.equal(1);
    });

    it("keeps jitter within [cap/2, cap] and the cap within maxMs", async () => {
      // five retries of an always-unavailable bureau, caps 200, 400, 500, 500, 500
      const delaysWith = async (random: () => number) => {
        const { clock, client, retryDelays } = setup(["NODE_ERR_BUREAU_UNAVAILABLE"], report, {
          retries: 5,
          failureThreshold: 10,
          random,
          backoff: { baseMs: 200, maxMs: 500 },
        });
        await clock.run(codeOf(client.query(QUERY)));
        return retryDelays();
      };
      expect(await delaysWith(() => 0)).to.deep.equal([100, 200, 250, 250, 250]);
      expect(await delaysWith(() => 0.999999)).to.deep.equal([200, 400, 500, 500, 500]);
    });

    it("gives up after `retries` retries with the last error", async () => {
      const { clock, client, bureau, count } = setup(["NODE_ERR_BUREAU_UNAVAILABLE"], report, {
        retries: 2,
        failureThreshold: 10,
      });
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(bureau.calls).to.equal(3);
      expect(count("retry")).to.equal(2);
    });

    for (const step of ["NODE_ERR_BUREAU_NOT_FOUND", "NODE_ERR_BUREAU_BAD_REQUEST"] as const) {
      it(`does not retry ${step}, nor count it against the bureau`, async () => {
        const { clock, client, bureau, count } = setup([step], report, { retries: 3, failureThreshold: 1 });
        for (let i = 0; i < 3; i++) expect(await clock.run(codeOf(client.query(QUERY)))).to.equal(step);
        expect(bureau.calls).to.equal(3);
        expect(count("retry")).to.equal(0);
        expect(client.state).to.equal("closed");
      });
    }

    it("does not retry an unexpected adapter error, nor count it against the bureau", async () => {
      const { clock, client, bureau, events } = setup(["bug"], report, { failureThreshold: 1 });
      expect(await clock.run(rejectionOf(client.query(QUERY)))).to.be.instanceOf(TypeError);
      expect(bureau.calls).to.equal(1);
      expect(events).to.deep.include({ type: "failure", code: "UNEXPECTED", transient: false });
      expect(client.state).to.equal("closed");
    });

    it("stops at once when the caller aborts, during a try or during the backoff", async () => {
      const during = setup(["hang"], report, { timeoutMs: 10_000 });
      const ctrl = new AbortController();
      const reason = new Error("request closed");
      const pending = rejectionOf(during.client.query(QUERY, { signal: ctrl.signal }));
      await during.clock.advance(100);
      ctrl.abort(reason);
      expect(await pending).to.equal(reason);
      expect(during.bureau.calls).to.equal(1);

      const backoff = setup(["NODE_ERR_BUREAU_UNAVAILABLE"], report, {
        retries: 5,
        failureThreshold: 10,
        backoff: { baseMs: 1_000 },
      });
      const ctrl2 = new AbortController();
      const pending2 = rejectionOf(backoff.client.query(QUERY, { signal: ctrl2.signal }));
      await backoff.clock.advance(100); // in the first backoff (750 ms)
      ctrl2.abort(reason);
      expect(await pending2).to.equal(reason);
      expect(backoff.bureau.calls).to.equal(1);
    });
  });

  describe("circuit breaker", () => {
    it("opens after N consecutive failures, rejects fast while open, half-opens after the cool-down and closes on success", async () => {
      const clock = new FakeClock();
      const events: BureauClientEvent[] = [];
      const sim = new BureauSimulator({
        seed: "breaker",
        latencyMs: 100,
        now: clock.now,
        sleep: clock.sleep,
      });
      const bureau = new RecordingBureau(sim);
      const client = new BureauClient(bureau, {
        timeoutMs: 1_000,
        retries: 0,
        failureThreshold: 3,
        coolDownMs: 30_000,
        now: clock.now,
        sleep: clock.sleep,
        onEvent: (e) => events.push(e),
      });
      await clock.run(client.query(QUERY));
      sim.setMode("outage");
      for (let i = 0; i < 3; i++)
        expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(client.state).to.equal("open");

      // Open: refused without reaching the bureau, without waiting.
      const sent = bureau.queries.length;
      const at = clock.now();
      for (let i = 0; i < 5; i++)
        expect(await codeOf(client.query(QUERY))).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");
      expect(bureau.queries.length).to.equal(sent);
      expect(clock.now()).to.equal(at);

      await clock.advance(29_999);
      expect(await codeOf(client.query(QUERY))).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");
      sim.setMode("normal");
      await clock.advance(1);
      const trial = await clock.run(client.query(QUERY));
      expect(trial.borrowerKey).to.equal(QUERY.borrowerKey);
      expect(client.state).to.equal("closed");
      expect(bureau.queries.length).to.equal(sent + 1);
      expect(events.filter((e) => e.type === "state")).to.deep.equal([
        { type: "state", from: "closed", to: "open" },
        { type: "state", from: "open", to: "half-open" },
        { type: "state", from: "half-open", to: "closed" },
      ]);
      expect(events.filter((e) => e.type === "rejected").length).to.equal(6);
    });

    it("lets exactly one trial call through while half-open", async () => {
      const { clock, client, bureau } = setup(
        ["NODE_ERR_BUREAU_UNAVAILABLE", "NODE_ERR_BUREAU_UNAVAILABLE", "NODE_ERR_BUREAU_UNAVAILABLE", "ok"],
        report,
        { retries: 0 },
      );
      for (let i = 0; i < 3; i++) await clock.run(codeOf(client.query(QUERY)));
      await clock.advance(30_000);
      const trial = client.query(QUERY); // takes the trial permit synchronously, answers later
      expect(client.state).to.equal("half-open");
      expect(await codeOf(client.query(QUERY))).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");
      expect(await clock.run(trial)).to.equal(report);
      expect(client.state).to.equal("closed");
      expect(bureau.calls).to.equal(4);
    });

    it("re-opens for another cool-down when the trial fails", async () => {
      const { clock, client, bureau, events } = setup(["NODE_ERR_BUREAU_UNAVAILABLE"], report, {
        retries: 2,
      });
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(await codeOf(client.query(QUERY))).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");
      expect(bureau.calls).to.equal(3);
      expect(client.state).to.equal("open");
      await clock.advance(30_000);
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE"); // the trial, not retried
      expect(bureau.calls).to.equal(4);
      expect(client.state).to.equal("open");
      await clock.advance(29_000);
      expect(await codeOf(client.query(QUERY))).to.equal("NODE_ERR_BUREAU_CIRCUIT_OPEN");
      expect(
        events.filter((e) => e.type === "state").map((e) => (e.type === "state" ? e.to : "")),
      ).to.deep.equal(["open", "half-open", "open"]);
    });

    it("stops a call's retries as soon as the breaker opens", async () => {
      const { clock, client, bureau } = setup(["NODE_ERR_BUREAU_UNAVAILABLE"], report, {
        retries: 5,
        failureThreshold: 2,
      });
      expect(await clock.run(codeOf(client.query(QUERY)))).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
      expect(bureau.calls).to.equal(2);
      expect(client.state).to.equal("open");
    });

    it("counts consecutive failures only: a success in between resets the count", async () => {
      const { clock, client } = setup(
        [
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "ok",
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "ok",
        ],
        report,
        { retries: 0 },
      );
      for (let i = 0; i < 6; i++) await clock.run(client.query(QUERY).catch(() => undefined));
      expect(client.state).to.equal("closed");
    });

    it("leaves the breaker alone when the caller aborts the trial", async () => {
      const { clock, client, bureau } = setup(
        [
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "NODE_ERR_BUREAU_UNAVAILABLE",
          "hang",
          "ok",
        ],
        report,
        { retries: 0 },
      );
      for (let i = 0; i < 3; i++) await clock.run(codeOf(client.query(QUERY)));
      await clock.advance(30_000);
      const ctrl = new AbortController();
      const trial = rejectionOf(client.query(QUERY, { signal: ctrl.signal }));
      ctrl.abort(new Error("gone"));
      await trial;
      expect(client.state).to.equal("half-open");
      expect(await clock.run(client.query(QUERY))).to.equal(report); // the next caller gets the trial
      expect(client.state).to.equal("closed");
      expect(bureau.calls).to.equal(5);
    });

    it("survives a metrics callback that throws", async () => {
      const { clock, client } = setup(["ok"], report, {
        onEvent: () => {
          throw new Error("metrics down");
        },
      });
      expect(await clock.run(client.query(QUERY))).to.equal(report);
    });
  });
});
