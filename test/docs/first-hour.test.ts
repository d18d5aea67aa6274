// The first hour on a fresh machine: the README's set-up and test commands are all it takes, and
// CI runs exactly them. `npm test` starts by finding or installing what the browser tests need
// (scripts/ops/browser-deps.ts), so a machine without Chromium is not a failing browser test.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { chromiumPath, installCommands, missingPackages } from "../../scripts/ops/browser-deps.ts";

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

/** The commands in the README's "Set up and test" block, comments stripped. */
async function readmeCommands(): Promise<string[]> {
  const readme = await read("README.md");
  const section = readme.slice(readme.indexOf("## Set up and test"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "");
}

describe("the first hour: the README's two commands", function () {
  it("are npm ci and npm test, and .ci/run runs exactly those", async function () {
    expect(await readmeCommands()).to.deep.equal(["npm ci", "npm test"]);
    const ci = (await read(".ci/run"))
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("npm "));
    expect(ci).to.deep.equal(["npm ci", "npm test"]);
    expect(await read(".ci/run")).to.not.match(/apt-get/);
  });

  it("npm test first finds or installs the browser tests' Chromium, CJK font and Poppler", async function () {
    const scripts = (JSON.parse(await read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test!.startsWith("node scripts/ops/browser-deps.ts && ")).to.equal(true);
    const support = await read("test/support/chromium.ts");
    expect(support).to.include('process.env.JL_CHROMIUM_PATH ?? "/usr/bin/chromium"');
    expect(chromiumPath({})).to.equal("/usr/bin/chromium");
    expect(chromiumPath({ JL_CHROMIUM_PATH: "/opt/chromium/chrome" })).to.equal("/opt/chromium/chrome");
  });

  it("installs only what is missing: as root directly, else through sudo, else names the command", function () {
    expect(missingPackages({ chromium: true, cjkFont: true, poppler: true })).to.deep.equal([]);
    expect(missingPackages({ chromium: false, cjkFont: true, poppler: true })).to.deep.equal(["chromium"]);
    expect(missingPackages({ chromium: false, cjkFont: false, poppler: true })).to.deep.equal([
      "chromium",
      "fonts-noto-cjk",
    ]);
    expect(missingPackages({ chromium: true, cjkFont: true, poppler: false })).to.deep.equal([
      "poppler-utils",
    ]);
    expect(installCommands([], false, false)).to.deep.equal([]);
    expect(installCommands(["chromium"], true, false)).to.deep.equal([
      ["apt-get", "update"],
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "chromium"],
    ]);
    expect(installCommands(["fonts-noto-cjk"], false, true)).to.deep.equal([
      ["sudo", "apt-get", "update"],
      ["sudo", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "fonts-noto-cjk"],
    ]);
    expect(installCommands(["chromium"], false, false)).to.equal(undefined);
  });
});
