// Bytes per leaf on disk: a fresh service database filled to `total` leaves in-process (no HTTP,
// no chain calls: IntakeRequest objects built directly, one per 1,000 records, each with its own
// nonce key), closed, compacted, and measured as the sum of its files' sizes.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Level } from "level";
import { createAnchorService } from "../anchor-service/src/service.ts";
import type { Config } from "../anchor-service/src/config.ts";
import type { IntakeRequest } from "../anchor-service/src/intake/intake.ts";
import { openDb } from "../anchor-service/src/store/db.ts";
import { SUBLEVELS } from "../anchor-service/src/store/keys.ts";
import type { ChainIdentity } from "../anchor-service/src/chain/evidence-log-client.ts";
import { evidenceRecord } from "./data.ts";
import { dirBreakdown, dirBytes } from "./disk.ts";

type LevelDbExtras = {
  open(): Promise<void>;
  close(): Promise<void>;
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void>;
  approximateSize(start: Uint8Array, end: Uint8Array): Promise<number>;
};

export type StorageResult = {
  leaves: number;
  fillMs: number;
  bytesBeforeCompaction: number;
  bytesAfterCompaction: number;
  compactionMs: number;
  files: { tables: number; log: number; other: number; files: number };
  /** Approximate bytes of each sublevel after compaction (LevelDB's approximateSize). */
  sublevels: Record<string, number>;
};

export async function measureStorage(opts: {
  config: (dataDir: string) => Config;
  identity: ChainIdentity;
  signer: string;
  memberId: number;
  total: number;
  perRequest: number;
  inFlight: number;
  keepData: boolean;
  log: (line: string) => void;
}): Promise<StorageResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-storage-"));
  // The service signs receipts under the chain's EIP-712 domain, known from the last run: seed it,
  // so the service can take requests without being started (no committer, no chain calls).
  const seeded = await openDb(dir);
  await seeded.meta.put("chainIdentity", opts.identity);
  await seeded.root.close();

  const service = await createAnchorService({ config: opts.config(dir), logger: false });
  const signerBytes = Buffer.from(opts.signer.slice(2), "hex");
  const expiresAt = Math.floor(Date.now() / 1000) + 300;
  let submitted = 0;
  let requestNo = 0;
  let done = 0;
  let lastLog = 0;
  const started = performance.now();
  const next = async (): Promise<void> => {
    for (;;) {
      if (submitted >= opts.total) return;
      const count = Math.min(opts.perRequest, opts.total - submitted);
      submitted += count;
      const nonceKey = new Uint8Array(36);
      nonceKey.set(signerBytes, 0);
      new DataView(nonceKey.buffer).setUint32(32, requestNo++);
      const seeds = randomBytes(count * 96);
      const records = Array.from({ length: count }, (_, i) => evidenceRecord(seeds, i, opts.memberId));
      const request: IntakeRequest = {
        signer: opts.signer,
        memberId: opts.memberId,
        nonceKey,
        expiresAt,
        records,
      };
      await service.intake.submit(request);
      done += count;
      if (done - lastLog >= 100_000 || done === opts.total) {
        lastLog = done;
        const s = (performance.now() - started) / 1000;
        opts.log(
          `storage: ${done.toLocaleString("en-US")} leaves durable (${Math.round(done / s).toLocaleString("en-US")} leaves/s in-process)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight }, next));
  const fillMs = performance.now() - started;
  if (service.merkle.size !== opts.total)
    throw new Error(`expected ${opts.total} leaves, the log has ${service.merkle.size}`);
  await service.close();

  const bytesBeforeCompaction = await dirBytes(dir);
  // level's Level is classic-level's ClassicLevel on Node, which adds compactRange and approximateSize
  const db = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: "view",
    valueEncoding: "view",
  }) as unknown as LevelDbExtras;
  await db.open();
  const c0 = performance.now();
  await db.compactRange(new Uint8Array([0x00]), new Uint8Array(64).fill(0xff));
  const compactionMs = performance.now() - c0;
  // sublevel keys are "!name!" ‖ key: each sublevel is the range ["!name!", "!name"")
  const sublevels: Record<string, number> = {};
  for (const name of SUBLEVELS) {
    sublevels[name] = await db.approximateSize(Buffer.from(`!${name}!`), Buffer.from(`!${name}"`));
  }
  await db.close();
  const bytesAfterCompaction = await dirBytes(dir);
  const files = await dirBreakdown(dir);
  if (!opts.keepData) await rm(dir, { recursive: true, force: true });
  return {
    leaves: opts.total,
    fillMs,
    bytesBeforeCompaction,
    bytesAfterCompaction,
    compactionMs,
    files,
    sublevels,
  };
}
