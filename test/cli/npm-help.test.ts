// `npm run anchor -- --help` and `npm run verify -- --help`, exactly as the README tells a user to
// run them: usage on stdout, exit 0.
import { expect } from "chai";
import { execFile } from "node:child_process";

function npmRun(
  script: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", script, "--", ...args],
      { env: { ...process.env, npm_config_update_notifier: "false" } },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe("the CLIs through npm run", function () {
  this.timeout(60_000);

  for (const [script, usage] of [
    ["anchor", "usage: node scripts/cli/anchor.ts <file or folder>..."],
    ["verify", "usage: node scripts/cli/verify.ts <file> <bundle.json>"],
  ] as const) {
    it(`npm run ${script} -- --help prints its usage and exits 0`, async function () {
      const { code, stdout, stderr } = await npmRun(script, ["--help"]);
      expect(code, stderr).to.equal(0);
      expect(stdout.startsWith(usage), stdout).to.equal(true);
      expect(stdout).to.match(/-h, --help/);
    });
  }
});
