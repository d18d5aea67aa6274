// One child service of the local consortium (Anvil, the anchor service, an institution node):
// spawned in its own process group (so a terminal's Ctrl-C reaches only the launcher, which then
// stops the children in order), its stdout and stderr appended to a log file, started again with
// the same command on restart(), and waited for until its readiness check passes.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Agent, fetch as undiciFetch } from "undici";
import { LocalConsortiumError } from "./errors.ts";

export type ServiceSpec = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Resolves true once the service answers (e.g. GET /readyz is 200). */
  ready: () => Promise<boolean>;
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
      `\n=== ${new Date().toISOString()} launcher: starting ${this.spec.name}: ${this.spec.command} ${this.spec.args.join(" ")}\n`,
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
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (!this.running) return this.#exited;
      if (await this.spec.ready().catch(() => false)) return undefined;
      if (Date.now() > deadline) {
        await this.stop();
        throw new LocalConsortiumError(
          "LOCAL_NOT_READY",
          `${this.spec.name} did not become ready in ${Math.round((this.spec.readyTimeoutMs ?? 60_000) / 1000)} s; ${this.spec.logFile} ends with:\n${await this.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
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
}

const exitedError = (spec: ServiceSpec, info: ExitInfo, logTail: string) =>
  new LocalConsortiumError(
    "LOCAL_EXITED",
    `${spec.name} exited during start-up (code ${info.code}, signal ${info.signal}); ${spec.logFile} ends with:\n${logTail}`,
  );

/** GET `url` answers 200; with `ca`, an https URL only from a server with a certificate it issued. */
export async function httpReady(url: string, ca?: string): Promise<boolean> {
  return (await getTrusting(url, ca, async () => undefined)).status === 200;
}

/** GET `url` (verified against `ca` alone when given): its status and what `read` makes of the body. */
export async function getTrusting<T>(
  url: string,
  ca: string | undefined,
  read: (response: { json(): Promise<unknown> }) => Promise<T>,
): Promise<{ status: number; body: T }> {
  const dispatcher = ca === undefined ? undefined : new Agent({ connect: { ca, rejectUnauthorized: true } });
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
