// Online backup and restore of the anchor service's and a node's data directories on a real chain
// (common/level-backup.ts, scripts/ops/backup.ts). The anchor is backed up while records keep
// arriving; restored into a fresh directory, a service opened on it builds every committed leaf's
// bundle, each verifying, and its tree holds exactly the records it stored. The node is backed up
// through POST /ops/backups by `npm run backup -- take`, restored by `… restore` into a fresh
// directory, and a node opened there has the same index digest and the files beside its database.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createAnchorService } from "../../anchor-service/src/service.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { overall, verifyOffline } from "../../common/formats/bundle/verify.ts";
import { backupDataDir, restoreDataDir } from "../../common/level-backup.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { recordFor } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";

const TOKENS = { clerk: "clerk-token-1", admin: "admin-token-1" } as const;

function backupCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/ops/backup.ts", ...args], (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

describe("online backup and restore of the anchor's and a node's data directories", function () {
  this.timeout(180_000);
  const suite = lendingSuite("backup-", { anchor: { onDisk: true } });

  /** `count` records submitted to the anchor service by branch A; their leaf hashes. */
  async function submit(count: number, tag: string): Promise<string[]> {
    const body = JSON.stringify({
      records: Array.from({ length: count }, (_, i) => recordFor(`${tag} ${i}`)),
    });
    const headers = await suite.chain.sign(suite.chain.wallets.branchA, body);
    const answer = await fetch(`${suite.anchorUrl}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    expect(answer.status, await answer.clone().text()).to.equal(200);
    return ((await answer.json()) as { receipts: Array<{ leafHash: string }> }).receipts.map(
      (r) => r.leafHash,
    );
  }

  it("backs the anchor up while records arrive; the restored copy builds and verifies every committed bundle", async function () {
    const committed = [...(await submit(20, "before")), ...(await submit(20, "before, second request"))];
    await suite.anchor.committer.runOnce();
    // requests keep arriving while the snapshot is copied
    const target = join(suite.dir, "anchor-backup");
    const [manifest, during] = await Promise.all([
      backupDataDir({ db: suite.anchor.db.root, dataDir: join(suite.dir, "anchor"), levelPath: "", target }),
      Promise.all([1, 2, 3, 4].map((n) => submit(25, `during ${n}`))),
    ]);
    expect(manifest.level.entries).to.be.greaterThan(0);

    const fresh = join(suite.dir, "anchor-restored");
    await restoreDataDir(target, fresh);
    const restored = await createAnchorService({
      config: suite.chain.config({ dataDir: fresh }),
      logger: false,
    });
    try {
      // a consistent copy: the tree holds exactly the records stored, a prefix of what was sent
      const size = restored.merkle.size;
      expect(size)
        .to.be.at.least(committed.length)
        .and.at.most(committed.length + 100);
      expect(await restored.records.count()).to.equal(size);
      for (const leafHash of committed) {
        const bundle = parseBundle(await restored.queries.bundle(leafHash));
        expect(overall(verifyOffline(bundle), ["leafEncoding", "merklePath"]), leafHash).to.equal("pass");
      }
      const later = during.flat();
      const kept = (
        await Promise.all(
          later.map((leafHash) =>
            restored.queries.leaf(leafHash).then(
              () => true,
              () => false,
            ),
          ),
        )
      ).filter(Boolean).length;
      expect(committed.length + kept).to.equal(size);
    } finally {
      await restored.close();
    }
  });

  it("backs a node up through npm run backup -- take and restores it with the same index digest", async function () {
    const config = await suite.config({ tokens: TOKENS, sub: "branch" });
    const node: NodeService = await suite.node({
      config,
      wallet: suite.chain.wallets.branchA,
      inMemory: false,
      backupDir: join(suite.dir, "node-backups"),
    });
    await node.indexer.syncOnce();
    const url = await node.app.listen({ host: "127.0.0.1", port: 0 });
    const digest = await node.indexer.model.digest();

    const taken = await backupCli(["take", "--url", url]);
    expect(taken.code, taken.stderr).to.equal(0);
    const { backup, manifest } = JSON.parse(taken.stdout) as {
      backup: string;
      manifest: { files: Array<{ path: string }> };
    };
    const fresh = join(suite.dir, "branch-restored");
    const restoredCli = await backupCli(["restore", "--from", backup, "--to", fresh]);
    expect(restoredCli.code, restoredCli.stderr).to.equal(0);
    expect(restoredCli.stdout).to.match(/all match the manifest/);
    // a second restore into a directory now in use is refused
    const again = await backupCli(["restore", "--from", backup, "--to", fresh]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("is not empty");

    // the files beside the database (the staff directory's), as they were
    for (const { path } of manifest.files)
      expect(await readFile(join(fresh, path), "utf8"), path).to.equal(
        await readFile(join(config.dataDir, path), "utf8"),
      );
    const restored = await createNodeService({
      config: { ...config, dataDir: fresh },
      wallet: suite.chain.wallets.branchA,
      logger: false,
    });
    try {
      expect(await restored.indexer.model.digest()).to.equal(digest);
    } finally {
      await restored.close();
    }
  });
});
