// Runs after `npm install` / `npm ci`. A .mjs file on purpose: it may run on the system Node
// (possibly 20), so it must be plain JavaScript. Two jobs: Hardhat's native EDR package, and
// TypeChain's types of the committed ABIs (common/chain/generated/typechain, gitignored), without
// which a fresh clone does not type-check.
//
// EDR: npm runs on the system Node during install and marks optional dependencies whose
// `engines` exclude that Node as inert. Hardhat's native EDR package needs Node >= 22, so on a
// Node 20 machine it is silently skipped. When the pinned Node 24 from devDependencies is
// present, we re-run npm under it (node_modules/.bin is first on PATH inside npm scripts) so the
// platform package gets installed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function edrPresent() {
  try {
    require.resolve("@nomicfoundation/edr");
    const edr = require("@nomicfoundation/edr");
    return typeof edr === "object" && edr !== null;
  } catch {
    return false;
  }
}

/** Hardhat's EDR: re-run npm under the pinned Node when the install skipped it; the exit status. */
function fixEdr() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22 && edrPresent()) return 0;
  if (!existsSync(pinned)) {
    console.warn("postinstall: pinned Node not found; skipping EDR fix-up");
    return 0;
  }
  console.log("postinstall: re-running npm under the pinned Node so Hardhat's native EDR installs");
  const npmCli = process.env.npm_execpath;
  const args = npmCli
    ? [npmCli, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"]
    : null;
  const result = args
    ? spawnSync(pinned, args, {
        stdio: "inherit",
        env: { ...process.env, JOINTLEDGER_POSTINSTALL_NESTED: "1" },
      })
    : spawnSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"], {
        stdio: "inherit",
        env: { ...process.env, JOINTLEDGER_POSTINSTALL_NESTED: "1" },
        shell: true,
      });
  return result.status ?? 1;
}

/** TypeChain's types from the committed common/chain/generated/abis.ts (no build needed); the exit status. */
function chainTypings() {
  // the generator is TypeScript: the pinned Node (24) runs it as it is
  const node = existsSync(pinned) ? pinned : process.execPath;
  const result = spawnSync(node, ["common/chain/generate.ts", "--typings"], { stdio: "inherit" });
  if (result.status !== 0)
    console.error("postinstall: writing the chain types failed; run `npm run postinstall`");
  return result.status ?? 1;
}

/** The court page's signature module (anchor-service/web/pdf-signatures.js, gitignored); the exit status. */
function pageBundle() {
  const node = existsSync(pinned) ? pinned : process.execPath;
  const result = spawnSync(node, ["anchor-service/web/src/build.ts"], { stdio: "inherit" });
  if (result.status !== 0)
    console.error(
      "postinstall: bundling the court page's signature module failed; run `npm run postinstall`",
    );
  return result.status ?? 1;
}

/** The back-office console the node serves under /console/ (nodes/console/dist, gitignored); the exit status. */
function consoleBundle() {
  const node = existsSync(pinned) ? pinned : process.execPath;
  const result = spawnSync(node, ["nodes/console/build.ts"], { stdio: "inherit" });
  if (result.status !== 0)
    console.error("postinstall: bundling the back-office console failed; run `npm run postinstall`");
  return result.status ?? 1;
}

if (process.env.JOINTLEDGER_POSTINSTALL_NESTED === "1") process.exit(0);
const pinned = "node_modules/.bin/node";
const edr = fixEdr();
process.exit(edr !== 0 ? edr : chainTypings() || pageBundle() || consoleBundle());
