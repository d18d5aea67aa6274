// One launcher per data directory: <dataDir>/launcher.lock names the launcher's pid and its
// children's. A second `npm start` on a directory in use is refused; so is a start while children
// of a launcher that was killed outright (SIGKILL) are still running, with their pids.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { LocalConsortiumError } from "./errors.ts";

type LockContent = { pid: number; children: Record<string, number> };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
}

export class LauncherLock {
  readonly file: string;
  readonly #children: Record<string, number> = {};
  // writes are chained: children start concurrently
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string) {
    this.file = file;
  }

  static async acquire(dataDir: string): Promise<LauncherLock> {
    const file = path.join(dataDir, "launcher.lock");
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined) {
      let previous: LockContent | undefined;
      try {
        previous = JSON.parse(text) as LockContent;
      } catch {
        previous = undefined;
      }
      if (previous !== undefined) {
        if (previous.pid !== process.pid && alive(previous.pid)) {
          throw new LocalConsortiumError(
            "LOCAL_ALREADY_RUNNING",
            `another launcher (pid ${previous.pid}) is running on ${dataDir}; stop it (Ctrl-C in its terminal, or kill -INT ${previous.pid}) or use another JL_DATA_DIR`,
          );
        }
        const orphans: string[] = [];
        for (const [name, pid] of Object.entries(previous.children)) {
          const cmd = await commandLine(pid);
          if (alive(pid) && /anvil|server\.ts/.test(cmd)) orphans.push(`${name} (pid ${pid})`);
        }
        if (orphans.length > 0) {
          const pids = Object.values(previous.children).join(" ");
          throw new LocalConsortiumError(
            "LOCAL_ORPHANS_RUNNING",
            `a previous launcher on ${dataDir} was killed and left ${orphans.join(", ")} running; stop them (kill -INT ${pids}) and start again`,
          );
        }
      }
    }
    const lock = new LauncherLock(file);
    await lock.#write();
    return lock;
  }

  async setChild(name: string, pid: number | undefined): Promise<void> {
    if (pid === undefined) delete this.#children[name];
    else this.#children[name] = pid;
    await this.#write();
  }

  async release(): Promise<void> {
    await this.#writing.catch(() => undefined);
    await rm(this.file, { force: true });
  }

  #write(): Promise<void> {
    this.#writing = this.#writing.then(() =>
      writeFile(
        this.file,
        `${JSON.stringify({ pid: process.pid, children: this.#children } satisfies LockContent)}\n`,
      ),
    );
    return this.#writing;
  }
}
