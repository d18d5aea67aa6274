// What makes the local consortium's restart fast enough for the soak's target (≤ 30 s), without
// changing what it loads (the keystores: test/common/chain/keystore.test.ts): a node booting without fontkit, the largest module it
// loaded, until it makes its first PDF; a node's audit trail reopened from its newest lines only.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AuditTrail, MEMORY_ENTRIES } from "../../nodes/src/staff/audit.ts";

describe("local consortium restart: boot", function () {
  it("boots a node without loading fontkit, which its first PDF loads", async function () {
    this.timeout(120_000);
    const repo = fileURLToPath(new URL("../..", import.meta.url));
    const loaded = async (script: string) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { createRequire } from "node:module";\n${script}\nconsole.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((m) => m.includes("fontkit"))));`,
        ],
        { cwd: repo },
      );
      return JSON.parse(stdout.trim().split("\n").pop()!) as string[];
    };
    expect(await loaded(`await import("./nodes/src/service.ts");`)).to.deep.equal([]);
    const pdf = await loaded(
      `const { PDFDocument } = await import("pdf-lib"); const { embedCjkFont } = await import("./nodes/src/court-package/cjk-font.ts"); await embedCjkFont(await PDFDocument.create());`,
    );
    expect(pdf).to.have.length(1);
  });

  it("reopens a node's audit trail from the newest entries it keeps, not its whole history", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "soak-audit-"));
    try {
      const file = path.join(dir, "audit.jsonl");
      const entry = (seq: number) =>
        JSON.stringify({
          seq,
          at: seq,
          user: "branchA.clerk",
          role: "clerk",
          action: "GET /v1/outbox/:serial",
          path: `/v1/outbox/S-${seq}`,
          status: 200,
        });
      // older lines a start need not read: not even parsed (these would not parse)
      const old = Array.from({ length: 1_000 }, () => "{not json");
      const kept = Array.from({ length: MEMORY_ENTRIES }, (_, i) => entry(1_001 + i));
      await writeFile(file, `${[...old, ...kept].join("\n")}\n`);
      const trail = await AuditTrail.open({ file });
      const newest = trail.read({ limit: 1 })[0]!;
      expect(newest.seq).to.equal(1_000 + MEMORY_ENTRIES);
      expect(trail.read({ limit: MEMORY_ENTRIES + 10 })).to.have.length(MEMORY_ENTRIES);
      expect(
        trail.record({ user: "u", role: "clerk", action: "GET /x", path: "/x", status: 200 }).seq,
      ).to.equal(newest.seq + 1);
      await trail.flushed();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
