// One child service of the local consortium (Anvil, the anchor service, an institution node):
// spawned in its own process group (so a terminal's Ctrl-C reaches only the launcher, which then
// stops the children in order), its stdout and stderr appended to a log file, started again with
// the same command on restart(), and waited for until its readiness check passes. Each start's
// timing is kept (spawn, first answer, ready) for the launcher's start-up breakdown.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Agent, fetch as undiciFetch } from "undici";
import { LocalConsortiumError } from "./errors.ts";

/**
 * How long a service may take to become ready, unless its spec or the launcher says otherwise:
 * as long as the fault suite gives a service on a loaded machine (a node's first start compiles
 * hundreds of modules and a restarted one catches up with the chain).
 */
export const DEFAULT_READY_TIMEOUT_MS = 120_000;
/** How the log line the launcher writes before each spawn begins. */
const SPAWN_MARK = "===";
/** Between two readiness checks. */
export const READY_POLL_MS = 100;

/** One readiness check: ready or not, and what the service answered (or why it did not), for the error. */
export type ReadyAnswer = { ready: boolean; answer: string };

/** One start's timing, in ms of this process's performance clock. */
export type StartTiming = {
  spawnedAt: number;
  /** The first readiness check that got an answer (ready or not): the process was up and listening. */
  answeredAt?: number;
  readyAt?: number;
  /** Readiness checks made. */
  checks: number;
};

export type ServiceSpec = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /**
   * Resolves true once the service answers (e.g. GET /readyz is 200); with a ReadyAnswer, what it
   * answered too. A rejection means no answer (not listening yet).
   */
  ready: () => Promise<boolean | ReadyAnswer>;
  /** What ready() waits for, for the error when it never comes (e.g. "GET …/readyz to answer 200"). */
  waitingFor?: string;
  /** Default DEFAULT_READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
  /** The signal that makes it shut down cleanly (Anvil dumps its state on SIGINT). */
  stopSignal?: NodeJS.Signals;
  /** Runs before every spawn (first start and restarts). */
  beforeStart?: () => Promise<void>;
  /**
   * It exited during start-up (`logTail`: its log's last lines): true when this removed the cause
   * and it may be spawned once more.
   */
  recover?: (exit: ExitInfo, logTail: string) => Promise<boolean>;
  /** Runs once it is ready, before start() returns. */
  afterReady?: () => Promise<void>;
};

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

export class ServiceProcess {
  readonly spec: ServiceSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> | undefined;
  #expectedExit = false;
  /** Called when the process exits without stop() or kill() having been asked for. */
  onUnexpectedExit: ((info: ExitInfo) => void) | undefined;
  /** The last spawn's timing (a start that recovered once: the second spawn's). */
  lastStart: StartTiming | undefined;

  constructor(spec: ServiceSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawn and wait until ready; a process that exits or stays unready fails with its log's tail. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    await this.spec.beforeStart?.();
    const exited = await this.#spawnUntilReady();
    if (exited !== undefined) {
      const tail = await this.logTail();
      if (!(await this.spec.recover?.(exited, tail))) throw exitedError(this.spec, exited, tail);
      const again = await this.#spawnUntilReady();
      if (again !== undefined) throw exitedError(this.spec, again, await this.logTail());
    }
    await this.spec.afterReady?.();
  }

  /** Spawns; undefined once ready, its exit if it exited first. */
  async #spawnUntilReady(): Promise<ExitInfo | undefined> {
    const fd = openSync(this.spec.logFile, "a", 0o600);
    writeSync(
      fd,
      `\n${SPAWN_MARK} ${new Date().toISOString()} launcher: starting ${this.spec.name}: ${this.spec.command} ${this.spec.args.join(" ")}\n`,
    );
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env,
        stdio: ["ignore", fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#expectedExit = false;
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        const info = { code, signal };
        if (!this.#expectedExit) this.onUnexpectedExit?.(info);
        resolve(info);
      });
      child.once("error", () => resolve({ code: -1, signal: null }));
    });
    const timing: StartTiming = { spawnedAt: performance.now(), checks: 0 };
    this.lastStart = timing;
    const timeoutMs = this.spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) return this.#exited;
      timing.checks++;
      let answered = true;
      const check = await this.spec.ready().then(
        (r): ReadyAnswer => (typeof r === "boolean" ? { ready: r, answer: r ? "ready" : "not ready" } : r),
        (error: unknown) => {
          answered = false;
          return { ready: false, answer: `no answer (${causeOf(error)})` };
        },
      );
      if (answered) timing.answeredAt ??= performance.now();
      if (check.ready) {
        timing.readyAt = performance.now();
        return undefined;
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new LocalConsortiumError(
          "LOCAL_NOT_READY",
          `${this.spec.name} was not ready within ${Math.round(timeoutMs / 1000)} s (JL_READY_TIMEOUT_SECONDS): waiting for ${this.spec.waitingFor ?? "its readiness check to pass"}; the last check: ${check.answer}; ${this.spec.logFile} ends with:\n${await this.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  /** Ask it to shut down cleanly and wait; SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<ExitInfo | undefined> {
    return this.kill(this.spec.stopSignal ?? "SIGTERM", timeoutMs);
  }

  /** Send `signal` and wait for the exit (escalating to SIGKILL after `timeoutMs`). */
  async kill(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<ExitInfo | undefined> {
    const child = this.#child;
    if (child === undefined || !this.running) return undefined;
    this.#expectedExit = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort when the launcher itself is exiting: no waiting. */
  killNow(): void {
    if (!this.running) return;
    this.#expectedExit = true;
    this.#child?.kill("SIGKILL");
  }

  async logTail(lines = 20): Promise<string> {
    const text = await readFile(this.spec.logFile, "utf8").catch(() => "");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /**
   * The `boot` object of the last log line whose message is `message` since this process was last
   * spawned, in the log's last 256 kB (a child's own account of its start-up: server.ts logs
   * "boot timings"); undefined if none.
   */
  async lastLogged(message: string): Promise<Record<string, number> | undefined> {
    const text = await tailOf(this.spec.logFile, 256 * 1024);
    const marker = `"msg":${JSON.stringify(message)}`;
    for (const line of text.split("\n").reverse()) {
      if (line.startsWith(SPAWN_MARK)) return undefined;
      if (!line.includes(marker)) continue;
      try {
        const boot = (JSON.parse(line) as { boot?: unknown }).boot;
        if (typeof boot === "object" && boot !== null) return boot as Record<string, number>;
      } catch {
        // a line cut by the tail's start
      }
    }
    return undefined;
  }
}

const exitedError = (spec: ServiceSpec, info: ExitInfo, logTail: string) =>
  new LocalConsortiumError(
    "LOCAL_EXITED",
    `${spec.name} exited during start-up (code ${info.code}, signal ${info.signal}); ${spec.logFile} ends with:\n${logTail}`,
  );

/** fetch's "fetch failed" says little: its cause (ECONNREFUSED, a certificate refused) says why. */
const causeOf = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
};

async function tailOf(file: string, bytes: number): Promise<string> {
  const handle = await open(file, "r").catch(() => undefined);
  if (handle === undefined) return "";
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

/** GET `url` answers 200; with `ca`, an https URL only from a server with a certificate it issued. */
export async function httpReady(url: string, ca?: string): Promise<boolean> {
  return (await getTrusting(url, ca, async () => undefined)).status === 200;
}

/**
 * A readiness check over HTTP for a ServiceSpec: GET `url` answers 200, and what it answered
 * otherwise (the status and the reasons a /readyz body gives). `agent`: a kept-alive connection
 * across checks (one TLS handshake per service rather than one per check; readinessAgent).
 */
export async function httpReadiness(url: string, agent?: Agent): Promise<ReadyAnswer> {
  const response = await undiciFetch(url, {
    ...(agent === undefined ? {} : { dispatcher: agent }),
    signal: AbortSignal.timeout(2000),
  });
  if (response.status === 200) {
    await response.body?.cancel();
    return { ready: true, answer: "200" };
  }
  const text = await response.text().catch(() => "");
  let reasons = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { reasons?: unknown };
    if (Array.isArray(body.reasons)) reasons = body.reasons.map(String).join("; ");
  } catch {
    // not JSON: the text as it is
  }
  return { ready: false, answer: `${response.status}${reasons === "" ? "" : ` (${reasons})`}` };
}

/** The dispatcher for a launcher's readiness checks: trusting `ca` alone when given, connections kept. */
export const readinessAgent = (ca?: string): Agent =>
  new Agent({
    // idle a second at most, whatever the service's Keep-Alive hint: checks come every
    // READY_POLL_MS while a service starts, then stop
    keepAliveTimeout: 1_000,
    keepAliveMaxTimeout: 1_000,
    ...(ca === undefined ? {} : { connect: { ca, rejectUnauthorized: true } }),
  });

/** GET `url` (verified against `ca` alone when given): its status and what `read` makes of the body. */
export async function getTrusting<T>(
  url: string,
  ca: string | undefined,
  read: (response: { json(): Promise<unknown> }) => Promise<T>,
): Promise<{ status: number; body: T }> {
  const dispatcher = ca === undefined ? undefined : readinessAgent(ca);
  try {
    const response = await undiciFetch(url, {
      ...(dispatcher === undefined ? {} : { dispatcher }),
      signal: AbortSignal.timeout(2000),
    });
    const body = await read(response);
    if (!response.bodyUsed) await response.body?.cancel();
    return { status: response.status, body };
  } finally {
    await dispatcher?.destroy();
  }
}

/** A JSON-RPC endpoint answers eth_chainId. */
export async function rpcReady(url: string): Promise<boolean> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(2000),
  });
  const body = (await response.json().catch(() => ({}))) as { result?: string };
  return response.ok && typeof body.result === "string";
}
