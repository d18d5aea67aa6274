// `npm run demo`: the five-node scenarios (scenarios.ts) against the consortium `npm start` runs,
// found through <JL_DATA_DIR or ./data>/consortium.json. Ends with the durations, the checks and
// links to one loan's evidence, each anchored bundle verified against the chain with the
// consortium's trust anchor (<data>/trust-anchor.json) and its demo TSA's root, as a court would.
// The persistent chain's clock is never moved, so the overdue scenario (16 days must pass) runs
// only with `--disposable`: the whole demo on a consortium started in a temporary directory and
// removed afterwards, whose services (and this process) read the time as its chain's (clock.ts),
// so everything anchored after a move passes every check as it would in production. Exit code 1
// when a check fails.
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { type LocalConsortium, startLocalConsortium } from "../ops/local/consortium.ts";
import { NODE_NAMES } from "../ops/local/manifest.ts";
import { tsaDir } from "../ops/local/tsa.ts";
import { trustConsortium } from "../ops/local/tls.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { loadTrustAnchor, trustAnchorFingerprint } from "../../common/formats/bundle/trust-anchor.ts";
import { type CheckResult, overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { readManifest } from "../ops/local/manifest.ts";
import { runScenarios } from "./scenarios.ts";
import { chainClockEnv } from "./clock.ts";
import { printUsageIfAsked } from "../ops/usage.ts";

printUsageIfAsked(
  process.argv.slice(2),
  `usage: npm run demo [-- --disposable]

Runs the five-node scenarios (a joint loan, an assisted loan) against the consortium npm start
runs, found through <JL_DATA_DIR or ./data>/consortium.json, and verifies their evidence.

  --disposable   on a throw-away consortium in a temporary directory whose clock may be moved:
                 also the overdue loan through to a court ruling
  -h, --help     this text

Environment: JL_DATA_DIR (default ./data). Exit code 1 when a check fails.
`,
);

const disposable = process.argv.slice(2).includes("--disposable");
const dataDir = disposable
  ? await mkdtemp(path.join(tmpdir(), "jl-demo-"))
  : path.resolve(process.env.JL_DATA_DIR ?? "data");
let manifest;
let consortium: LocalConsortium | undefined;
// the disposable consortium's services follow the chain's clock through this file
const clockFile = path.join(dataDir, "chain-clock");
try {
  if (disposable) {
    console.log(`disposable consortium in ${dataDir} (its chain's clock will be moved; removed at the end)`);
    consortium = await startLocalConsortium({
      dataDir,
      ports: { chain: 0, anchor: 0, tsa: 0, nodes: Object.fromEntries(NODE_NAMES.map((n) => [n, 0])) },
      tls: true,
      env: chainClockEnv(clockFile),
    });
  }
  manifest = consortium?.manifest ?? (await readManifest(dataDir));
  // npm start serves HTTPS from its local CA: the demo's requests trust that CA alone
  await trustConsortium(manifest);
} catch (error) {
  console.error(
    `no running consortium found: ${(error as Error).message}\nstart one with \`npm start\` (data directory ${dataDir}; set JL_DATA_DIR for another)`,
  );
  process.exit(2);
}

/** The disposable consortium stopped and its directory removed (also when a scenario fails). */
const discard = async () => {
  if (consortium === undefined) return;
  await consortium.stop();
  await rm(dataDir, { recursive: true, force: true });
  consortium = undefined;
};
const result = await runScenarios(manifest, {
  disposableChain: disposable,
  ...(disposable ? { clockFile } : {}),
}).catch(async (error: unknown) => {
  await discard();
  throw error;
});
console.log("\nscenarios");
for (const s of result.scenarios)
  console.log(
    `  ${s.id.padEnd(9)} ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.title}\n            loan ${s.loanId}`,
  );
// the joint loan as its branch's staff see it (branch A's console, logged in as branchA.approver)
console.log(`  console   ${manifest.nodes.branchA.url}/console/#/loans/${result.joint.loanId}`);
if ("skipped" in result.overdue) console.log(`  overdue   skipped: ${result.overdue.skipped}`);
const balanced = result.reconciliations.every((r) => r.balanced && r.matched === r.rows);
console.log(
  `\nreconciliation: ${result.reconciliations.length} books files, ${balanced ? "zero differences" : "DIFFERENCES FOUND"}`,
);
console.log(
  `index agreement: ${result.digests.agree ? `all five nodes = the chain (${result.digests.chain.loans} loans, ${result.digests.chain.flows} fund flows)` : "NODES DISAGREE"}`,
);
const trustAnchor = await loadTrustAnchor(manifest.trustAnchor.file);
console.log(
  `\nevidence of loan ${result.evidence.loanId}, verified with the trust anchor ${manifest.trustAnchor.file} (fingerprint ${trustAnchorFingerprint(trustAnchor)})`,
);
const provider = new JsonRpcProvider(manifest.chain.rpcUrl, undefined, { staticNetwork: true });
// the demo TSA's root, as npm start keeps it (absent when ANCHOR_TSA_URLS named other TSAs)
const tsaRoot = path.join(tsaDir(manifest.dataDir), "demo-root-ca.pem");
const tsaTrustAnchors = await access(tsaRoot).then(
  () => loadTrustAnchors([tsaRoot]),
  () => null,
);
let evidenceOk = true;
const notPassed = (checks: CheckResult[]) =>
  checks
    .filter((c) => c.outcome !== "pass")
    .map((c) => `${c.id} ${c.reason}`)
    .join("; ");
for (const link of result.evidence.links) {
  console.log(`  ${link.what} (${link.status})`);
  console.log(`    bundle  ${link.bundleUrl}`);
  console.log(`    verify  ${link.verifyUrl}`);
  if (link.status !== "anchored") continue;
  const bundle = parseBundle(await (await fetch(link.bundleUrl)).json());
  // no document here: the chain checks decide (the CLI and the page also compare the document)
  const checks = await verifyOnline(bundle, {
    trustAnchor,
    providers: [provider],
    trustedTime: { tsaTrustAnchors },
  });
  const outcome = overall(checks);
  if (outcome !== "pass") evidenceOk = false;
  console.log(`    chain   ${outcome.toUpperCase()}${outcome === "pass" ? "" : `: ${notPassed(checks)}`}`);
}
provider.destroy();
await discard();
console.log(
  `\na court verifies a saved bundle with: npm run verify -- <document> <bundle.json> --trust ${manifest.trustAnchor.file} --rpc ${manifest.chain.rpcUrl}`,
);
process.exit(balanced && result.digests.agree && evidenceOk ? 0 : 1);
