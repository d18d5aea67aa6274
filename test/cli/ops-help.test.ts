// Every command of scripts/cli and scripts/ops a user runs prints its usage on --help (stdout,
// exit 0) before it reads its environment or starts anything: each run here as a child process,
// with no data directory, chain or network folder around it.
import { expect } from "chai";
import { execFile } from "node:child_process";

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { ...process.env, JL_DATA_DIR: "/nonexistent/jl-help-test" } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        }),
    );
  });
}

/** script, what the usage starts with, what it must name. */
const COMMANDS: [string, string, string[]][] = [
  [
    "scripts/cli/anchor.ts",
    "usage: node scripts/cli/anchor.ts",
    ["--as NAME", "JL_PRIVATE_KEY", "JL_ANCHOR_URL"],
  ],
  ["scripts/cli/verify.ts", "usage: node scripts/cli/verify.ts", ["--trust", "--rpc"]],
  [
    "scripts/ops/local/start.ts",
    "usage: npm start",
    [
      "JL_DATA_DIR",
      "JL_CHAIN_PORT",
      "JL_ANCHOR_PORT",
      "JL_TSA_PORT",
      "JL_NODE_PORT_BASE",
      "JL_RPC_URL",
      "JL_KEYSTORE_PASSWORD",
      "keys/.password",
    ],
  ],
  ["scripts/demo/run.ts", "usage: npm run demo", ["--disposable", "JL_DATA_DIR"]],
  ["scripts/ops/network/deploy.ts", "usage: node scripts/ops/network/deploy.ts", ["--network", "--rpc"]],
  ["scripts/ops/network/besu.ts", "usage:", ["--validators", "--out"]],
  [
    "scripts/ops/browser-deps.ts",
    "usage: node scripts/ops/browser-deps.ts",
    ["JL_CHROMIUM_PATH", "fonts-noto-cjk"],
  ],
];

describe("operations commands: --help", function () {
  this.timeout(60_000);
  for (const [script, usage, names] of COMMANDS)
    it(`${script} --help prints its usage and exits 0`, async function () {
      for (const flag of ["--help", "-h"]) {
        const { code, stdout, stderr } = await run(script, [flag]);
        expect(code, stderr).to.equal(0);
        expect(stdout.startsWith(usage), stdout).to.equal(true);
        for (const name of names) expect(stdout, name).to.include(name);
      }
    });
});
