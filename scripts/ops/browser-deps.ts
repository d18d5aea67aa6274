// What the browser tests (test/browser/) need beyond npm: Debian's Chromium and a CJK font for the
// Chinese labels, and Poppler's pdfsig and pdftoppm, with which the PDF tests open the signed
// certificates as a real parser does. `npm test` runs this first: it finds both, or installs the missing Debian
// packages with apt-get (as root, or through sudo), or stops with what to run — so the README's
// two commands, `npm ci` and `npm test`, are enough on a fresh Debian machine.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { printUsageIfAsked } from "./usage.ts";

/** Where the browser tests look for Chromium (test/support/chromium.ts). */
export const chromiumPath = (env: NodeJS.ProcessEnv) => env.JL_CHROMIUM_PATH ?? "/usr/bin/chromium";

export type Probe = { chromium: boolean; cjkFont: boolean; poppler: boolean };

/** The Debian packages to install for what the probe did not find. */
export function missingPackages(found: Probe): string[] {
  return [
    ...(found.chromium ? [] : ["chromium"]),
    ...(found.cjkFont ? [] : ["fonts-noto-cjk"]),
    ...(found.poppler ? [] : ["poppler-utils"]),
  ];
}

/** The commands that install `packages`: as root directly, else through sudo; undefined if neither can. */
export function installCommands(
  packages: readonly string[],
  asRoot: boolean,
  hasSudo: boolean,
): string[][] | undefined {
  if (packages.length === 0) return [];
  if (!asRoot && !hasSudo) return undefined;
  const prefix = asRoot ? [] : ["sudo"];
  return [
    [...prefix, "apt-get", "update"],
    [...prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", ...packages],
  ];
}

const succeeds = (command: string, args: string[]) =>
  spawnSync(command, args, { stdio: ["ignore", "pipe", "ignore"] }).status === 0;

function probe(env: NodeJS.ProcessEnv): Probe {
  const fonts = spawnSync("fc-list", [":lang=zh"], { encoding: "utf8" });
  return {
    chromium: existsSync(chromiumPath(env)),
    cjkFont: fonts.status === 0 && fonts.stdout.trim() !== "",
    poppler: succeeds("which", ["pdfsig"]) && succeeds("which", ["pdftoppm"]),
  };
}

if (import.meta.main) {
  printUsageIfAsked(
    process.argv.slice(2),
    `usage: node scripts/ops/browser-deps.ts

Finds what the browser tests need (Chromium at JL_CHROMIUM_PATH, default /usr/bin/chromium; a CJK
font; Poppler's pdfsig and pdftoppm) and installs the missing Debian packages (chromium,
fonts-noto-cjk, poppler-utils) with apt-get, as root or through sudo. npm test runs it first.
`,
  );
  const missing = missingPackages(probe(process.env));
  if (missing.length > 0) {
    const commands = installCommands(
      missing,
      process.getuid?.() === 0,
      succeeds("sudo", ["-n", "true"]) && succeeds("which", ["apt-get"]),
    );
    const manual = `apt-get update && apt-get install -y ${missing.join(" ")}`;
    if (commands === undefined || !succeeds("which", ["apt-get"])) {
      process.stderr.write(
        `browser tests: ${missing.join(" and ")} missing and this user cannot install Debian packages; run as root: ${manual} (or set JL_CHROMIUM_PATH to a Chromium)\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`browser tests: installing ${missing.join(", ")} from Debian's packages\n`);
    for (const [command, ...args] of commands) {
      if (spawnSync(command!, args, { stdio: "inherit" }).status !== 0) {
        process.stderr.write(`browser tests: ${[command, ...args].join(" ")} failed; run: ${manual}\n`);
        process.exit(1);
      }
    }
  }
}
