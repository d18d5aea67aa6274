// The launcher's wait for a child (scripts/ops/local/service-process.ts): a service that never
// becomes ready fails the start with LOCAL_NOT_READY naming the service, what the launcher waited
// for and what the service last answered; each start's timing (spawned, first answer, ready) is
// kept; a /readyz refusal is read as its status and reasons; a child's "boot timings" log line is
// found in its log.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  DEFAULT_READY_TIMEOUT_MS,
  ServiceProcess,
  httpReadiness,
} from "../../scripts/ops/local/service-process.ts";
import { BOOT_TIMINGS_MESSAGE, StartupClock, startupTables } from "../../scripts/ops/local/timings.ts";

describe("local consortium: waiting for a child to be ready", function () {
  this.timeout(30_000);
  let dir: string;
  let server: Server | undefined;
  let child: ServiceProcess | undefined;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "jl-service-process-"));
    server = undefined;
    child = undefined;
  });
  afterEach(async function () {
    await child?.kill("SIGKILL");
    await new Promise((r) => (server === undefined ? r(undefined) : server.close(r)));
    await rm(dir, { recursive: true, force: true });
  });

  /** A child that runs until killed, its readiness decided by `ready`. */
  const idleChild = (ready: ServiceProcess["spec"]["ready"], readyTimeoutMs?: number) =>
    new ServiceProcess({
      name: "branchB",
      command: process.execPath,
      args: ["-e", "setInterval(() => {}, 1000)"],
      cwd: dir,
      env: process.env,
      logFile: path.join(dir, "branchB.log"),
      ready,
      waitingFor: "GET https://127.0.0.1:1/readyz to answer 200",
      ...(readyTimeoutMs === undefined ? {} : { readyTimeoutMs }),
    });

  /** An HTTP server answering every request with `status` and `body`; its URL. */
  async function answering(status: number, body: string): Promise<string> {
    server = createServer((_request, response) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("waits as long as the fault suite gives a service by default (120 s)", function () {
    expect(DEFAULT_READY_TIMEOUT_MS).to.equal(120_000);
  });

  it("fails a child never ready with LOCAL_NOT_READY: the service, what it waited for, its last answer", async function () {
    const url = await answering(503, JSON.stringify({ ready: false, reasons: ["indexer: not synced yet"] }));
    child = idleChild(() => httpReadiness(`${url}/readyz`), 600);
    const error = (await child.start().then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; message?: string } | undefined;
    expect(error?.code).to.equal("LOCAL_NOT_READY");
    expect(error?.message).to.match(/^branchB was not ready within 1 s \(JL_READY_TIMEOUT_SECONDS\)/);
    expect(error?.message).to.contain("waiting for GET https://127.0.0.1:1/readyz to answer 200");
    expect(error?.message).to.contain("the last check: 503 (indexer: not synced yet)");
    expect(child.running, "stopped after the timeout").to.equal(false);
    // it answered from the first check on, and was never ready
    expect(child.lastStart?.answeredAt).to.be.a("number");
    expect(child.lastStart?.readyAt).to.equal(undefined);
    expect(child.lastStart?.checks).to.be.greaterThan(1);
  });

  it("says why a check got no answer, and keeps when the child answered and when it was ready", async function () {
    let checks = 0;
    child = idleChild(async () => {
      checks++;
      if (checks <= 2) throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      return { ready: checks >= 4, answer: checks >= 4 ? "200" : "503" };
    });
    await child.start();
    const t = child.lastStart!;
    expect(t.checks).to.equal(4);
    expect(t.answeredAt).to.be.greaterThan(t.spawnedAt);
    expect(t.readyAt).to.be.greaterThan(t.answeredAt!);

    const refused = idleChild(async () => {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    }, 300);
    const error = (await refused.start().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(error?.message).to.contain("the last check: no answer (ECONNREFUSED)");
    expect(refused.lastStart?.answeredAt).to.equal(undefined);
  });

  it("reads a /readyz answer: 200 is ready; otherwise the status and the reasons, or the body's start", async function () {
    expect(await httpReadiness(`${await answering(200, "{}")}/readyz`)).to.deep.equal({
      ready: true,
      answer: "200",
    });
    await new Promise((r) => server!.close(r));
    const reasons = ["chain: unreachable (ECONNREFUSED)", "anchor: unreachable (503)"];
    expect(
      await httpReadiness(`${await answering(503, JSON.stringify({ ready: false, reasons }))}/readyz`),
    ).to.deep.equal({ ready: false, answer: `503 (${reasons.join("; ")})` });
    await new Promise((r) => server!.close(r));
    expect(await httpReadiness(`${await answering(502, "bad gateway")}/readyz`)).to.deep.equal({
      ready: false,
      answer: "502 (bad gateway)",
    });
  });

  it("finds the last boot-timings line of a child's log since its spawn, and tabulates a start", async function () {
    child = idleChild(async () => true);
    const line = (boot: Record<string, number>) =>
      JSON.stringify({ level: 30, time: Date.now(), boot, msg: BOOT_TIMINGS_MESSAGE });
    // an earlier start's line, then this start's
    await writeFile(child.spec.logFile, `${line({ modulesLoaded: 9000, listening: 9900 })}\n`);
    const clock = new StartupClock();
    await clock.time("keys: keystores decrypted", async () => undefined);
    await child.start();
    await appendFile(
      child.spec.logFile,
      [
        line({ modulesLoaded: 1000, listening: 1500 }),
        JSON.stringify({ level: 30, msg: "institution node listening" }),
        line({ modulesLoaded: 2100, serviceCreated: 3000, listening: 3200 }),
        '{"level":30,"msg":"request completed"}',
      ].join("\n"),
    );
    await clock.service(child, { bootLine: true });
    const t = clock.timings();
    expect(t.phases.map((p) => p.phase)).to.deep.equal(["keys: keystores decrypted"]);
    expect(t.services).to.have.length(1);
    expect(t.services[0]!.service).to.equal("branchB");
    expect(t.services[0]!.inside).to.deep.equal({
      modulesLoaded: 2100,
      serviceCreated: 3000,
      listening: 3200,
    });
    const tables = startupTables(t).join("\n");
    expect(tables).to.contain("| keys: keystores decrypted |");
    expect(tables).to.match(
      /\| branchB \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 1 \| modulesLoaded 2\.1 · serviceCreated 3\.0 · listening 3\.2 \|/,
    );
    // spawned again: nothing logged since, so no boot line (not the earlier start's)
    await child.kill("SIGKILL");
    await child.start();
    expect(await child.lastLogged(BOOT_TIMINGS_MESSAGE)).to.equal(undefined);
  });
});
