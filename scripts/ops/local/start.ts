// `npm start`: compile the contracts if needed, start the local consortium, print where
// everything is, and on Ctrl-C (SIGINT) or SIGTERM stop it cleanly. Configuration by environment
// variables (scripts/ops/local/README.md):
//   JL_DATA_DIR (./data)  JL_CHAIN_PORT (8545)  JL_ANCHOR_PORT (9545)  JL_NODE_PORT_BASE (9600)
//   JL_TSA_PORT (9546: the demo TSA)  JL_RPC_URL (unset: a local Anvil)  JL_KEYSTORE_PASSWORD (unset: generated into the data dir)
//   JL_TLS (on: HTTPS with a local CA in <data>/tls; off: plain HTTP)
//   JL_READY_TIMEOUT_SECONDS (120: how long each service may take to become ready)
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseEnvConfig } from "../../../common/config/env.ts";
import { type LocalConsortium, DEFAULT_PORTS, startLocalConsortium } from "./consortium.ts";
import { NODE_NAMES, type ConsortiumManifest } from "./manifest.ts";
import { DEFAULT_READY_TIMEOUT_MS } from "./service-process.ts";
import { serviceTable } from "./table.ts";
import { witnessPolicyPath } from "./witnesses.ts";
import { tsaDir } from "./tsa.ts";
import { trustHint } from "./tls.ts";
import { TEST_ENVIRONMENT_NOTICE } from "../../../nodes/src/court-page/report.ts";
import { DEVELOPMENT_CHAIN_IDS } from "../../cli/verify.ts";
import { printUsageIfAsked } from "../usage.ts";

printUsageIfAsked(
  process.argv.slice(2),
  `usage: npm start (node scripts/ops/local/start.ts)

Starts the local consortium: a chain (Anvil), the contracts, the anchor service, the demo TSA and
five institution nodes (union, branchA, branchB, platform, court); Ctrl-C stops them. Everything is
kept in the data directory: consortium.json (URLs, member ids, demo API tokens), trust-anchor.json,
keys/<name>.json (each account's encrypted keystore) and keys/.password (their password).

Environment:
  JL_DATA_DIR            the data directory (default ./data)
  JL_CHAIN_PORT          the local chain's port (default 8545)
  JL_ANCHOR_PORT         the anchor service's port (default 9545)
  JL_TSA_PORT            the demo TSA's port (default 9546)
  JL_NODE_PORT_BASE      the first node's port; the five nodes take base … base+4 (default 9600)
  JL_RPC_URL             an external chain instead of the local Anvil (default unset)
  JL_KEYSTORE_PASSWORD   the keystores' password (default: generated into keys/.password)
  JL_TLS                 on: every service over HTTPS, certificates from a local CA kept in tls/
                         (clients trust tls/demo-root-ca.pem: curl --cacert); off: plain HTTP (default on)
  JL_READY_TIMEOUT_SECONDS  how long the chain and each service may take to become ready before
                         the start fails, naming it and what it last answered (default 120)
`,
);

const port = z.coerce.number().int().min(0).max(65535);
const LauncherConfig = z.object({
  dataDir: z.string().min(1).default("data"),
  chainPort: port.default(DEFAULT_PORTS.chain),
  anchorPort: port.default(DEFAULT_PORTS.anchor),
  tsaPort: port.default(DEFAULT_PORTS.tsa),
  nodePortBase: port.max(65535 - NODE_NAMES.length).default(DEFAULT_PORTS.nodeBase),
  rpcUrl: z.url().optional(),
  tls: z.enum(["on", "off"]).default("on"),
  readyTimeoutSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(DEFAULT_READY_TIMEOUT_MS / 1000),
});
const ENV = {
  dataDir: "JL_DATA_DIR",
  chainPort: "JL_CHAIN_PORT",
  anchorPort: "JL_ANCHOR_PORT",
  tsaPort: "JL_TSA_PORT",
  nodePortBase: "JL_NODE_PORT_BASE",
  rpcUrl: "JL_RPC_URL",
  tls: "JL_TLS",
  readyTimeoutSeconds: "JL_READY_TIMEOUT_SECONDS",
};

const REPO_ROOT = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

function buildContracts(): void {
  say("contracts: compiling (hardhat build; nothing to do when the artifacts are current)");
  const hardhat = path.join(REPO_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const result = spawnSync(process.execPath, [hardhat, "build", "--quiet"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`hardhat build failed:\n${result.stdout}${result.stderr}`);
}

/** The court's verify command for this consortium, every file and URL filled in. */
function verifyCommand(m: ConsortiumManifest): string {
  return [
    "npm run verify -- <document> <bundle.json>",
    `--trust ${m.trustAnchor.file}`,
    `--rpc ${m.chain.rpcUrl}`,
    `--tsa-trust ${path.join(tsaDir(m.dataDir), "demo-root-ca.pem")}`,
    `--witness-policy ${witnessPolicyPath(m.dataDir)}`,
    `--member-directory ${m.memberDirectory.file}`,
  ].join(" ");
}

/**
 * What in this consortium is test data, said once: a development chain (whose blocks anyone holding
 * its keys can rewrite), a member directory of fictional members, the demo CAs. Undefined for none.
 */
async function testEnvironmentLine(m: ConsortiumManifest): Promise<string | undefined> {
  const directory = JSON.parse(await readFile(m.memberDirectory.file, "utf8")) as { testData?: boolean };
  const reasons = [
    ...(DEVELOPMENT_CHAIN_IDS.includes(m.chain.chainId)
      ? [`chain id ${m.chain.chainId} is a development chain, its finality only the local node's word`]
      : []),
    ...(directory.testData === true
      ? ["the member directory's names and credit codes are fictional (testData)"]
      : []),
  ];
  if (reasons.length === 0) return undefined;
  return `${TEST_ENVIRONMENT_NOTICE}: ${reasons.join("; ")}; the TSA, TLS and contract CAs are demo CAs (演示用)`;
}

async function main(): Promise<void> {
  const config = parseEnvConfig(LauncherConfig, ENV, process.env, "npm start");
  const nodePort = (i: number) => (config.nodePortBase === 0 ? 0 : config.nodePortBase + i);
  buildContracts();
  // assigned once start-up begins; a signal before that finds it undefined (const would throw there)
  // eslint-disable-next-line prefer-const
  let starting: Promise<LocalConsortium> | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: already stopping; waiting for the services to exit`);
      return;
    }
    stopping = true;
    say(`${signal}: stopping the nodes, the anchor service, then the chain`);
    // during start-up: let it finish (or fail and clean up), then stop what it started
    const stopped =
      starting === undefined
        ? Promise.resolve()
        : starting.then(
            (c) => c.stop(),
            () => undefined,
          );
    void stopped.then(
      () => {
        say(`stopped; everything is kept in ${path.resolve(config.dataDir)} (npm start resumes it)`);
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  starting = startLocalConsortium({
    dataDir: config.dataDir,
    ports: {
      chain: config.chainPort,
      anchor: config.anchorPort,
      tsa: config.tsaPort,
      nodes: Object.fromEntries(NODE_NAMES.map((n, i) => [n, nodePort(i)])),
    },
    ...(config.rpcUrl === undefined ? {} : { rpcUrl: config.rpcUrl }),
    tls: config.tls === "on",
    readyTimeoutMs: config.readyTimeoutSeconds * 1000,
    log: say,
  });
  const consortium = await starting;
  if (stopping) return; // Ctrl-C during start-up: the handler above stops what has started
  const m = consortium.manifest;
  console.log(`\n${serviceTable(m)}\n`);
  console.log(
    `API tokens (clerk, approver, admin; court-clerk on the court node): ${path.join(m.dataDir, "consortium.json")}`,
  );
  // the SM2 receipt key (国密) is bound through the governed member directory, not taken from the
  // anchor service's word: the verifier checks the file's digest on chain and the key it names
  console.log(
    `verify a bundle as a court: ${m.tls !== undefined && m.chain.rpcUrl.startsWith("https:") ? `NODE_EXTRA_CA_CERTS=${m.tls.caFile} ` : ""}${verifyCommand(m)}`,
  );
  if (m.tls !== undefined) console.log(trustHint(m.tls.caFile, m.anchor.url));
  else console.log(`HTTP: JL_TLS=off, every service over plain http (${m.anchor.url}); nothing is encrypted`);
  const testNotice = await testEnvironmentLine(m);
  if (testNotice !== undefined) console.log(testNotice);
  console.log(
    `logs: ${path.join(m.dataDir, "logs")}/<service>.log     scenarios: npm run demo (another terminal)     stop: Ctrl-C`,
  );
}

main().catch((error: unknown) => {
  const coded = error as { code?: string; message?: string };
  console.error(
    `\nnpm start failed${coded.code === undefined ? "" : ` (${coded.code})`}: ${coded.message ?? String(error)}`,
  );
  process.exit(1);
});
