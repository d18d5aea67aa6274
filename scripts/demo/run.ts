// `npm run demo`: the five-node scenarios (scenarios.ts) against the consortium `npm start` runs,
// found through <JL_DATA_DIR or ./data>/consortium.json. Ends with the durations, the checks and
// links to one loan's evidence, each anchored bundle verified against the chain with the
// consortium's trust anchor (<data>/trust-anchor.json), as a court would. Evidence anchored after
// the overdue scenario moved the local chain's clock ahead of real time is stamped weeks after its
// intake receipt, which the verifier rightly fails (blockAndTime: beyond the receipt's promised
// merge delay); for it every other check must pass. Exit code 1 when a check fails.
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { loadTrustAnchor, trustAnchorFingerprint } from "../../common/formats/bundle/trust-anchor.ts";
import { type CheckResult, overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { readManifest } from "../ops/local/manifest.ts";
import { runScenarios } from "./scenarios.ts";

const dataDir = path.resolve(process.env.JL_DATA_DIR ?? "data");
let manifest;
try {
  manifest = await readManifest(dataDir);
} catch (error) {
  console.error(
    `no running consortium found: ${(error as Error).message}\nstart one with \`npm start\` (data directory ${dataDir}; set JL_DATA_DIR for another)`,
  );
  process.exit(2);
}

const result = await runScenarios(manifest);
console.log("\nscenarios");
for (const s of result.scenarios)
  console.log(`  ${s.id.padEnd(9)} ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.title}`);
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
  const checks = await verifyOnline(bundle, { trustAnchor, providers: [provider] });
  const outcome = overall(checks);
  const movedClock =
    result.chainClockMovedAt !== undefined && bundle.anchor.blockTimestamp >= result.chainClockMovedAt;
  if (outcome === "pass" || !movedClock) {
    if (outcome !== "pass") evidenceOk = false;
    console.log(`    chain   ${outcome.toUpperCase()}${outcome === "pass" ? "" : `: ${notPassed(checks)}`}`);
    continue;
  }
  const rest = overall(checks.filter((c) => c.id !== "blockAndTime"));
  if (rest !== "pass") evidenceOk = false;
  const timing = checks.find((c) => c.id === "blockAndTime");
  console.log(
    `    chain   ${outcome.toUpperCase()} on the moved clock: anchored in a block the demo stamped ahead of real time; blockAndTime ${timing?.outcome}: ${timing?.reason}`,
  );
  console.log(
    `            every other check: ${rest.toUpperCase()}${rest === "pass" ? "" : `: ${notPassed(checks.filter((c) => c.id !== "blockAndTime"))}`}`,
  );
}
provider.destroy();
console.log(
  `\na court verifies a saved bundle with: npm run verify -- <document> <bundle.json> --trust ${manifest.trustAnchor.file} --rpc ${manifest.chain.rpcUrl}`,
);
process.exit(balanced && result.digests.agree && evidenceOk ? 0 : 1);
