// The anchor benchmark's "witnesses and TSA on" setting (BENCH_WITNESSED): the court's and the
// union's C2SP witnesses (2 of 2, test/support/witnesses.ts: the node's own Witness code behind
// tlog-witness HTTP) and a demo RFC 3161 TSA (common/pki/demo-tsa.ts), and the anchor service
// configuration that uses them: every committed head stamped, every checkpoint published only once
// both witnesses cosigned it. They run in a process of their own, as they would on the nodes'
// and the TSA's machines, so the saturated service's event loop does not hold up their answers.
//
// `node bench/witnessed.ts <dir>` is that process: it writes the policy and the TSA root into
// <dir>, prints the configuration as one JSON line, and serves until it gets SIGTERM.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Config } from "../anchor-service/src/config.ts";
import { createDemoCa, saveDemoCa } from "../common/pki/demo-ca.ts";
import { createDemoTsa, serveDemoTsa } from "../common/pki/demo-tsa.ts";
import { startWitnessPair } from "../test/support/witnesses.ts";

const THIS_FILE = fileURLToPath(import.meta.url);

export type WitnessedSetting = {
  /** What the service is configured with on top of the chain's own settings. */
  config: Partial<Config>;
  describe: string;
  close(): Promise<void>;
};

/** Starts the witnesses and the TSA in a child process; their files (policy, TSA root) go in `dir`. */
export async function startWitnessedSetting(dir: string): Promise<WitnessedSetting> {
  const child = spawn(process.execPath, [THIS_FILE, dir], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the witnesses' and TSA's process exited (${code})`)));
  });
  lines.close();
  const config = JSON.parse(first) as Partial<Config>;
  return {
    config,
    describe: `witnesses court and union over tlog-witness HTTP (2 of 2, memory-level state) and a demo TSA (${config.tsaUrls?.join(", ")}), in a process of their own (pid ${child.pid})`,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function serve(dir: string): Promise<void> {
  const witnesses = await startWitnessPair();
  const policyFile = join(dir, "witness-policy.txt");
  await writeFile(policyFile, witnesses.policyText);
  const ca = await createDemoCa({ name: "JointLedger Bench TSA Root CA 演示用" });
  const rootFile = await saveDemoCa(ca, join(dir, "tsa"));
  const tsa = await serveDemoTsa(await createDemoTsa(ca, { name: "JointLedger Bench TSA" }));
  const config: Partial<Config> = {
    checkpointOrigin: witnesses.checkpointOrigin,
    checkpointKey: witnesses.checkpointKey,
    witnessUrls: witnesses.witnessUrls,
    witnessPolicyFile: policyFile,
    tsaUrls: [tsa.url],
    tsaTrustAnchorFiles: [rootFile],
  };
  process.once("SIGTERM", () => {
    setTimeout(() => process.exit(0), 1000); // a client's kept-alive socket must not hold it open
    void Promise.all([witnesses.close(), tsa.close()]).finally(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify(config)}\n`);
}

if (process.argv[1] === THIS_FILE) {
  serve(process.argv[2]!).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
