// `npm start` as a user runs it: scripts/ops/local/start.ts as its own process, every port left to
// the launcher (0), its data in `dataDir`; what it printed once it is ready (the line naming the
// logs is its last), and Ctrl-C (SIGINT) to stop it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

export type NpmStart = {
  /** Everything it printed (stdout and stderr) up to and including the ready line. */
  printed: string;
  /** Ctrl-C; resolves with its exit code and everything it printed since it started. */
  stop(): Promise<{ code: number | null; output: string }>;
};

export function npmStart(
  dataDir: string,
  env: Record<string, string> = {},
  withinMs = 600_000,
): Promise<NpmStart> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO_ROOT, "scripts", "ops", "local", "start.ts")],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        JL_DATA_DIR: dataDir,
        JL_CHAIN_PORT: "0",
        JL_ANCHOR_PORT: "0",
        JL_TSA_PORT: "0",
        JL_NODE_PORT_BASE: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`npm start not ready within ${withinMs} ms:\n${output}`));
    }, withinMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!/^logs: .*stop: Ctrl-C$/m.test(output)) return;
      clearTimeout(timer);
      resolve({
        printed: output,
        async stop() {
          child.kill("SIGINT");
          return { code: await exited, output };
        },
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`));
    });
  });
}
