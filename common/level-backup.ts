// Online backup of a service's data directory: its LevelDB copied from one snapshot while the
// service keeps writing, and the directory's other files (the node's staff accounts and audit
// trail) copied beside it, with a manifest of what was copied and its SHA-256.
//
// Consistency: a LevelDB iterator reads from a snapshot taken when it is created (classic-level;
// memory-level alike), so every entry is read as of one instant however long the copy takes and
// whatever is written meanwhile. That is the store's own point-in-time view: no pause of writes,
// no file copy of a database in motion (whose table files and manifest may disagree). The other
// files are written whole (staff accounts) or appended a line at a time (the audit trail), so a
// copy holds a complete version or a prefix of whole lines.
//
// Layout of a backup folder:  backup.json   the manifest
//                             data/…        a data directory, ready to start a service on
// Restore copies data/ into a new data directory, then opens the copy and checks every entry and
// file against the manifest.
import { createHash } from "node:crypto";
import { copyFile, cp, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { Level } from "level";
import type { LevelRoot } from "./level.ts";

export const BACKUP_FORMAT = "jointledger-backup/1";

export type BackupManifest = {
  format: typeof BACKUP_FORMAT;
  /** ISO time the snapshot was taken. */
  takenAt: string;
  /** The LevelDB, at this path inside the data directory ("" : the directory is the database). */
  level: { path: string; entries: number; sha256: string };
  /** Every other file of the data directory, by path inside it. */
  files: Array<{ path: string; bytes: number; sha256: string }>;
};

export class BackupError extends Error {
  override name = "BackupError";
}

const BYTES = { keyEncoding: "buffer", valueEncoding: "buffer" } as const;

/** Entries are hashed as length-prefixed key and value, in key order. */
function entryHasher() {
  const hash = createHash("sha256");
  const length = Buffer.alloc(4);
  const part = (bytes: Uint8Array) => {
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  let entries = 0;
  return {
    add(key: Uint8Array, value: Uint8Array) {
      part(key);
      part(value);
      entries++;
    },
    done: () => ({ entries, sha256: hash.digest("hex") }),
  };
}

async function emptyOrAbsent(dir: string, what: string): Promise<void> {
  const present = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  if (present.length > 0) throw new BackupError(`${what} ${dir} is not empty; choose a new folder`);
}

/** Regular files under `dir`, relative paths, leaving out the subtree `skip`. */
async function filesUnder(dir: string, skip: string | undefined): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((path) => skip === undefined || !(path === skip || path.startsWith(`${skip}/`)))
    .sort();
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Copies the open database `db` (at `levelPath` inside `dataDir`; "" when the directory is the
 * database) and the directory's other files into `target`, which must be new or empty, while the
 * service keeps running.
 */
export async function backupDataDir(options: {
  db: LevelRoot;
  dataDir: string;
  levelPath: string;
  target: string;
  now?: () => Date;
}): Promise<BackupManifest> {
  const { db, dataDir, levelPath, target } = options;
  await emptyOrAbsent(target, "backup folder");
  // the snapshot is taken here, before anything else is read
  const iterator = db.iterator(BYTES);
  const takenAt = (options.now ?? (() => new Date()))().toISOString();
  const copy = new Level<Buffer, Buffer>(join(target, "data", levelPath), BYTES);
  const hasher = entryHasher();
  try {
    await copy.open();
    for (;;) {
      const page = (await iterator.nextv(1_000)) as Array<[Buffer, Buffer]>;
      if (page.length === 0) break;
      for (const [key, value] of page) hasher.add(key, value);
      await copy.batch(page.map(([key, value]) => ({ type: "put" as const, key, value })));
    }
  } finally {
    await iterator.close();
    await copy.close();
  }
  const files: BackupManifest["files"] = [];
  for (const path of levelPath === "" ? [] : await filesUnder(dataDir, levelPath)) {
    const to = join(target, "data", path);
    await mkdir(join(to, ".."), { recursive: true });
    await copyFile(join(dataDir, path), to);
    const bytes = await readFile(to);
    files.push({ path, bytes: bytes.length, sha256: sha256(bytes) });
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    takenAt,
    level: { path: levelPath, ...hasher.done() },
    files,
  };
  await writeFile(join(target, "backup.json"), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

export async function readManifest(backup: string): Promise<BackupManifest> {
  const manifest = JSON.parse(await readFile(join(backup, "backup.json"), "utf8")) as { format?: unknown };
  if (manifest.format !== BACKUP_FORMAT)
    throw new BackupError(`${backup}: not a ${BACKUP_FORMAT} backup (format ${String(manifest.format)})`);
  return manifest as BackupManifest;
}

/** What differs between the data directory `dataDir` and `manifest`; empty when it matches. */
export async function checkAgainst(dataDir: string, manifest: BackupManifest): Promise<string[]> {
  const problems: string[] = [];
  const db = new Level<Buffer, Buffer>(join(dataDir, manifest.level.path), {
    ...BYTES,
    createIfMissing: false,
  });
  const hasher = entryHasher();
  try {
    await db.open();
    for await (const [key, value] of db.iterator()) hasher.add(key, value);
  } finally {
    await db.close();
  }
  const level = hasher.done();
  if (level.entries !== manifest.level.entries || level.sha256 !== manifest.level.sha256)
    problems.push(
      `database: ${level.entries} entries, SHA-256 ${level.sha256}; the backup recorded ${manifest.level.entries}, ${manifest.level.sha256}`,
    );
  for (const file of manifest.files) {
    const bytes = await readFile(join(dataDir, file.path)).catch(() => undefined);
    if (bytes === undefined) problems.push(`${file.path}: missing`);
    else if (sha256(bytes) !== file.sha256) problems.push(`${file.path}: not the file backed up`);
  }
  return problems;
}

/**
 * Restores `backup` into `dataDir` (new or empty) and checks the copy against the manifest; a
 * copy that does not match is removed and refused.
 */
export async function restoreDataDir(backup: string, dataDir: string): Promise<BackupManifest> {
  const manifest = await readManifest(backup);
  await emptyOrAbsent(dataDir, "data directory");
  await stat(join(backup, "data"));
  await cp(join(backup, "data"), dataDir, { recursive: true, errorOnExist: true, force: false });
  const problems = await checkAgainst(dataDir, manifest);
  if (problems.length > 0) {
    await rm(dataDir, { recursive: true, force: true });
    throw new BackupError(`the restored copy does not match the backup: ${problems.join("; ")}`);
  }
  return manifest;
}
