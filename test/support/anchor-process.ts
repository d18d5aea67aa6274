// The anchor service as a child process (anchor-service/src/server.ts with its ANCHOR_*
// variables), for tests that kill it: test/anchor-service/crash.test.ts and test/faults/.
import { type ChildProcess, spawn } from "node:child_process";
import { ENV, type Config } from "../../anchor-service/src/config.ts";

export type AnchorProcess = {
  process: ChildProcess;
  url: string;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL (a crash) or another signal; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export function anchorEnv(config: Config, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [field, name] of Object.entries(ENV)) {
    const value = config[field as keyof Config];
    if (value !== undefined) env[name] = String(value);
  }
  return env;
}

/** Spawn the service with `config` and wait until GET /readyz answers 200 (30 s at most). */
export async function startAnchorProcess(
  config: Config,
  options: { readyTimeoutMs?: number; requireReady?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<AnchorProcess> {
  const child = spawn(process.execPath, ["anchor-service/src/server.ts"], {
    // `env`: variables beyond the config's (e.g. ANCHOR_TLS_CA_FILE)
    env: anchorEnv(config, { ...process.env, ...options.env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${config.port}`;
  const running: AnchorProcess = {
    process: child,
    url,
    exited,
    stderr: () => stderr,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const requireReady = options.requireReady ?? true;
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`);
      await response.body?.cancel();
      // a service that cannot reach its chain listens but is not ready (503)
      if (response.ok || (!requireReady && response.status === 503)) return running;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await running.kill();
      throw new Error(`anchor service did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
