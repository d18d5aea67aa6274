// The soak (bench/soak.ts) at a tiny size: the local consortium as npm start runs it, a few loans'
// operations through the nodes, the memory and state-file samples, the stop and timed restart, and
// the checks afterwards (every loan and flow on chain, every node's index equal to it, bundles
// verifying); the report's CSV and charts. The bounded-growth rule on made-up curves: a leak and
// a state file that keeps a state per block fail it, memory that levels off passes it.
import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pool } from "../../bench/pool.ts";
import { NodeApi, NodeApiError } from "../../nodes/client/node-api.ts";
import {
  DEFAULT_LIMITS,
  type Sample,
  type SoakOptions,
  growthVerdicts,
  keyedWrite,
  runSoak,
  samplesCsv,
  writeSoakReport,
} from "../../bench/soak.ts";

/** `n` samples over `ops` operations; `rss(ops)` and `state(ops)` give each curve. */
function curve(n: number, ops: number, rss: (x: number) => number, state: (x: number) => number): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const x = Math.round((ops * i) / (n - 1));
    return { seconds: i, ops: x, rssMb: { chain: rss(x), union: 150 }, stateBytes: state(x) };
  });
}

describe("soak: bounded growth, restart, nothing lost", function () {
  describe("the growth rule", function () {
    it("passes memory that levels off and a state file that grows by its loans' data", function () {
      const samples = curve(
        40,
        100_000,
        (x) => 300 + 400 * (1 - Math.exp(-x / 10_000)),
        (x) => 1e6 + 3_000 * x,
      );
      const verdicts = growthVerdicts(samples, DEFAULT_LIMITS);
      expect(verdicts.map((v) => [v.curve, v.bounded])).to.deep.equal([
        ["chain RSS", true],
        ["union RSS", true],
        ["chain state file", true],
      ]);
      // (Hardhat's chai matchers take closeTo for bigints: integers only)
      expect(Math.abs((verdicts[2]!.slope ?? Number.NaN) - 3_000)).to.be.at.most(1);
    });

    it("fails a leak that keeps its slope to the end and a state file that keeps a state per block", function () {
      // Anvil with --preserve-historical-states: about 100 kB a block, one block per operation
      const samples = curve(
        40,
        2_000,
        (x) => 300 + 0.02 * x,
        (x) => 1e6 + 100_000 * x,
      );
      const byCurve = Object.fromEntries(growthVerdicts(samples, DEFAULT_LIMITS).map((v) => [v.curve, v]));
      expect(byCurve["chain RSS"]!.bounded).to.equal(false);
      expect(Math.abs((byCurve["chain RSS"]!.slope ?? Number.NaN) - 20)).to.be.at.most(0.01); // MB per 1,000 ops
      expect(byCurve["union RSS"]!.bounded).to.equal(true);
      expect(byCurve["chain state file"]!.bounded).to.equal(false);
    });

    it("does not judge a run with fewer than four samples in its last quarter", function () {
      const verdicts = growthVerdicts(
        curve(
          6,
          100,
          (x) => x,
          (x) => x * 1e6,
        ),
        DEFAULT_LIMITS,
      );
      expect(verdicts.map((v) => v.bounded)).to.deep.equal([undefined, undefined, undefined]);
      expect(
        samplesCsv(
          curve(
            2,
            10,
            () => 1,
            () => 5,
          ),
        ).split("\n")[0],
      ).to.equal("seconds,ops,chain_rss_mb,union_rss_mb,state_bytes");
    });
  });

  describe("a ledger write that got no answer (keyedWrite)", function () {
    // a node whose first POST's connection is reset mid-request, having taken the write or not
    let server: Server;
    let posts = 0;
    let taken = new Set<string>();
    let takeBeforeReset = false;
    let api: NodeApi;
    beforeEach(async function () {
      posts = 0;
      taken = new Set();
      server = createServer((request, response) => {
        let body = "";
        request.on("data", (c: Buffer) => (body += c.toString()));
        request.on("end", () => {
          if (request.method === "GET") {
            const serial = decodeURIComponent(request.url!.split("/").pop()!);
            if (taken.has(serial)) response.end(JSON.stringify({ serial, kind: "repayment", state: "sent" }));
            else
              response
                .writeHead(404, { "content-type": "application/json" })
                .end('{"error":{"code":"NODE_ERR_NOT_FOUND","message":"no such serial"}}');
            return;
          }
          const { serial } = JSON.parse(body) as { serial: string };
          posts++;
          if (serial === "RPY-BUSY" && posts === 1) {
            response
              .writeHead(503, { "content-type": "application/json", "retry-after": "5" })
              .end('{"error":{"code":"NODE_ERR_CHAIN_UNAVAILABLE","message":"the chain did not answer"}}');
            return;
          }
          if (serial === "RPY-CONFLICT") {
            response
              .writeHead(409, { "content-type": "application/json" })
              .end('{"error":{"code":"NODE_ERR_OUTBOX_CONFLICT","message":"taken"}}');
            return;
          }
          if (posts === 1) {
            if (takeBeforeReset) taken.add(serial);
            request.socket.resetAndDestroy();
            return;
          }
          taken.add(serial);
          response.end(JSON.stringify({ serial, state: "queued" }));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      api = new NodeApi("branchA", `http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        clerk: "token",
      });
    });
    afterEach(async function () {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const write = (serial: string, lines: string[]) =>
      keyedWrite(
        api,
        serial,
        () => api.post<{ serial: string; state: string }>("/v1/loans/0xab/repayments", "clerk", { serial }),
        (line) => lines.push(line),
      );

    it("sends it again when the node's outbox does not have its serial, and says so", async function () {
      takeBeforeReset = false;
      const lines: string[] = [];
      expect(await write("RPY-1", lines)).to.deep.equal({ serial: "RPY-1", state: "queued" });
      expect(posts).to.equal(2);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(
        /^branchA: POST \/v1\/loans\/:param\/repayments got no answer: .*not taken, sent again$/,
      );
    });

    it("does not send it again when the outbox has it: the first attempt stands, its answer lost", async function () {
      takeBeforeReset = true;
      const lines: string[] = [];
      expect(await write("RPY-2", lines)).to.equal(undefined);
      expect(posts).to.equal(1);
      expect(lines[0]).to.match(/the first attempt had been taken$/);
    });

    it("asks again when the node answered 503 (its chain busy for now), as after no answer", async function () {
      const lines: string[] = [];
      expect(await write("RPY-BUSY", lines)).to.deep.equal({ serial: "RPY-BUSY", state: "queued" });
      expect(posts).to.equal(2);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/NODE_ERR_CHAIN_UNAVAILABLE.*not taken, sent again$/);
    });

    it("never repeats a request the node answered, even with a refusal", async function () {
      const lines: string[] = [];
      const refused = await write("RPY-CONFLICT", lines).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).to.be.instanceOf(NodeApiError);
      expect((refused as NodeApiError).code).to.equal("NODE_ERR_OUTBOX_CONFLICT");
      expect(posts).to.equal(1);
      expect(lines).to.deep.equal([]);
    });
  });

  it("stops the other loans at the first failure and rejects with that one", async function () {
    const started: number[] = [];
    const stopped: number[] = [];
    const failure = new Error("loan 1: registration refused");
    const load = pool([0, 1, 2, 3, 4, 5], 3, async (i, _index, signal) => {
      started.push(i);
      if (i === 1) throw failure;
      // a loan waiting for its confirmation until told to stop
      await new Promise<void>((_resolve, reject) =>
        signal.addEventListener("abort", () => {
          stopped.push(i);
          reject(signal.reason as Error);
        }),
      );
    });
    const error = await load.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.equal(failure);
    expect(started).to.deep.equal([0, 1, 2]); // nothing started after the failure
    expect(stopped.sort()).to.deep.equal([0, 2]);
  });

  it("ends the load when its budget runs out: the running loans finish, the result is the loans started", async function () {
    const finished: number[] = [];
    let budget = 4;
    const results = await pool(
      [0, 1, 2, 3, 4, 5, 6, 7],
      3,
      async (i) => {
        budget--;
        // the later starters finish first: the result is still in item order
        await new Promise((resolve) => setTimeout(resolve, 20 - i * 2));
        finished.push(i);
        return `loan ${i}`;
      },
      () => budget > 0,
    );
    expect(results).to.deep.equal(["loan 0", "loan 1", "loan 2", "loan 3"]);
    expect(finished.sort()).to.deep.equal([0, 1, 2, 3]);
    // without a budget every item runs
    expect(await pool([0, 1, 2], 2, async (i) => i * 10)).to.deep.equal([0, 10, 20]);
  });

  it("runs the soak's pieces on the local consortium at 20 operations", async function () {
    this.timeout(240_000);
    const out = await mkdtemp(path.join(tmpdir(), "soak-report-"));
    // its own data directory, removed below: the soak keeps a temporary one when it fails (the
    // restart alone may take longer than 30 s on a loaded machine)
    const dataDir = path.join(out, "data");
    const lines: string[] = [];
    const options: SoakOptions = {
      ops: 20,
      repaymentsPerLoan: 3,
      concurrency: 4,
      principalYuan: 3_000,
      dataDir,
      sampleMs: 500,
      bundles: 3,
      tls: true,
      limits: DEFAULT_LIMITS,
      log: (line) => lines.push(line),
    };
    try {
      const result = await runSoak(options);
      const problems = [...result.lost, ...result.problems].join("\n");
      // 20 operations: 3 loans of 6 (a registration, 2 disbursements, 3 repayments) and one of 2
      expect(result.ops).to.equal(20);
      expect(result.loans).to.equal(4);
      expect(result.loansOnChain, problems).to.equal(4);
      expect(result.flowsOnChain, problems).to.equal(20 - 4);
      expect(result.lost, problems).to.deep.equal([]);
      expect(result.indexes).to.have.all.keys("union", "branchA", "branchB", "platform", "court");
      expect(Object.values(result.indexes).every(Boolean), problems).to.equal(true);
      expect(result.bundlesChecked).to.equal(3);
      expect(result.bundlesVerified, problems).to.equal(3);
      expect(result.restartSeconds).to.be.greaterThan(0);
      // the restart by phase: the launcher's steps, and every child's boot with its own marks
      expect(result.restarts).to.have.length(1);
      const startup = result.restarts[0]!.startup;
      expect(startup.phases.map((p) => p.phase)).to.include.members([
        "chain: state.json checked (parsed, call traces left out, kept as state.prev.json)",
        "chain: Anvil started, state loaded, answering",
        "anchor service and nodes: spawned side by side, all ready",
      ]);
      expect(startup.services.map((v) => v.service).sort()).to.deep.equal(
        ["anchor", "branchA", "branchB", "chain", "court", "platform", "union"].sort(),
      );
      for (const v of startup.services) {
        expect(v.readySeconds, `${v.service} ready`).to.be.a("number");
        if (v.service === "chain") continue;
        expect(v.answerSeconds, `${v.service} listening`).to.be.at.most(v.readySeconds!);
        expect(v.inside, `${v.service}'s boot timings`).to.include.keys("modulesLoaded", "listening");
      }
      for (const node of ["union", "branchA", "branchB", "platform", "court"])
        expect(startup.services.find((v) => v.service === node)!.inside).to.include.keys("indexerFirstSync");
      expect(result.stateBytesAfterStop).to.be.greaterThan(0);
      const names = new Set(result.samples.flatMap((s) => Object.keys(s.rssMb)));
      for (const n of ["chain", "anchor", "union", "branchA", "branchB", "platform", "court", "launcher"])
        expect(names.has(n), `${n}'s memory sampled`).to.equal(true);
      expect(result.samples[result.samples.length - 1]!.ops).to.equal(20);
      expect(
        result.samples.some((s) => s.stateBytes > 0),
        "the state file sampled",
      ).to.equal(true);

      const report = path.join(out, "soak-report.md");
      const markdown = await writeSoakReport(result, options, report);
      expect(markdown).to.contain("Bounded growth").and.to.contain("restart to ready");
      expect(markdown)
        .to.contain("## Restart, by phase")
        .and.to.contain("| chain: Anvil started, state loaded, answering |");
      const csv = (await readFile(path.join(out, "soak-report.csv"), "utf8")).trim().split("\n");
      expect(csv).to.have.length(result.samples.length + 1);
      for (const png of ["soak-report-memory.png", "soak-report-nodes.png", "soak-report-state.png"])
        expect((await readFile(path.join(out, png))).subarray(1, 4).toString()).to.equal("PNG");
    } catch (error) {
      console.log(lines.slice(-40).join("\n"));
      throw error;
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
