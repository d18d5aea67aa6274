// Log rotation (common/service/rotating-log.ts): a service with <PREFIX>_LOG_FILE writes pino's
// lines there, and past <PREFIX>_LOG_MAX_BYTES the file moves to .1, .1 to .2, …, keeping
// <PREFIX>_LOG_KEEP; every line is in exactly one file, whole, in order. Unset: stdout.
import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { logDestination } from "../../../common/service/rotating-log.ts";

describe("service log rotation", function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "jl-log-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("rotates by size, keeps the newest files, loses and splits no line", async function () {
    const file = join(dir, "node.log");
    const destination = logDestination(
      { NODE_LOG_FILE: file, NODE_LOG_MAX_BYTES: "4096", NODE_LOG_KEEP: "3" },
      "NODE",
    )!;
    const logger = pino({ level: "info", base: null, timestamp: false }, destination);
    for (let i = 0; i < 400; i++) logger.info({ i }, "x".repeat(40));
    destination.close();

    expect((await readdir(dir)).sort()).to.deep.equal(["node.log", "node.log.1", "node.log.2", "node.log.3"]);
    const lines: number[] = [];
    for (const name of ["node.log.3", "node.log.2", "node.log.1", "node.log"]) {
      const text = await readFile(join(dir, name), "utf8");
      expect(Buffer.byteLength(text), name).to.be.at.most(4096);
      for (const line of text.trimEnd().split("\n")) lines.push((JSON.parse(line) as { i: number }).i);
    }
    // the newest lines, consecutive, ending with the last
    expect(lines.at(-1)).to.equal(399);
    expect(lines).to.deep.equal(lines.map((_, k) => 400 - lines.length + k));
  });

  it("unset: stdout (no destination); bad limits are refused with the variable named", function () {
    expect(logDestination({}, "ANCHOR")).to.equal(undefined);
    expect(() =>
      logDestination({ ANCHOR_LOG_FILE: join(dir, "a.log"), ANCHOR_LOG_MAX_BYTES: "10" }, "ANCHOR"),
    ).to.throw(/ANCHOR_LOG_MAX_BYTES must be a whole number ≥ 4096/);
    expect(() => logDestination({ NODE_LOG_FILE: join(dir, "n.log"), NODE_LOG_KEEP: "-1" }, "NODE")).to.throw(
      /NODE_LOG_KEEP 0..100/,
    );
  });
});
