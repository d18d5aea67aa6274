// A small filesystem of its own for a service's data directory, to run out of space on purpose:
// a size-limited tmpfs mounted on a fresh temporary directory. Needs root (or CAP_SYS_ADMIN), as
// this project's machines and CI have; chmod cannot stand in for it there, since root writes
// through any permission bits. What works and what does not here (test/README.md, "Faults"):
//   - a full disk: fill() writes a filler file until ENOSPC; free() deletes it;
//   - a read-only remount of a filesystem that a running LevelDB writes to is refused (EBUSY,
//     its log file is open for writing), so a read-only data directory is tested at start-up:
//     readOnly() remounts while the service is stopped.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type SmallFs = {
  dir: string;
  /** Fill every free byte; returns the bytes written. */
  fill(): number;
  /** Delete the filler. */
  free(): Promise<void>;
  readOnly(): void;
  readWrite(): void;
  unmount(): Promise<void>;
};

export async function mountSmallFs(sizeMb: number): Promise<SmallFs> {
  const dir = await mkdtemp(join(tmpdir(), "fault-fs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0755`, "tmpfs", dir], {
      stdio: "pipe",
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a ${sizeMb} MB tmpfs for the disk-full test (needs root or CAP_SYS_ADMIN): ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
  const filler = join(dir, "filler");
  const remount = (mode: "ro" | "rw") =>
    execFileSync("mount", ["-o", `remount,${mode}`, dir], { stdio: "pipe" });
  return {
    dir,
    fill() {
      const fd = openSync(filler, "a");
      const chunk = Buffer.alloc(256 * 1024);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      } finally {
        closeSync(fd);
      }
      // the last partial chunk
      try {
        const fd2 = openSync(filler, "a");
        try {
          for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
            try {
              for (;;) written += writeSync(fd2, Buffer.alloc(n));
            } catch {
              // smaller pieces next
            }
          }
        } finally {
          closeSync(fd2);
        }
      } catch {
        // nothing left at all
      }
      return written;
    },
    free: () => unlink(filler),
    readOnly: () => remount("ro"),
    readWrite: () => remount("rw"),
    async unmount() {
      try {
        execFileSync("umount", [dir], { stdio: "pipe" });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
