// The node's audit trail of back-office actions: who (user and role), what (method and route,
// the path it was called on), when, and how it ended (the HTTP status), for every request a staff
// token or console session made, and every console login, logout and account change. Kept in
// memory for the admin's screen and appended to a JSON-lines file when the node has a data
// directory, so the trail outlives a restart; exported as CSV or JSON lines.
import { appendFile, readFile } from "node:fs/promises";

export type AuditEntry = {
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  user: string;
  role: string;
  action: string;
  path: string;
  status: number;
  /** What the action changed or why it was refused (no token, no personal data). */
  note?: string;
};

/** Entries kept in memory; the file keeps them all. */
export const MEMORY_ENTRIES = 50_000;

export class AuditTrail {
  readonly #entries: AuditEntry[] = [];
  readonly #file: string | undefined;
  readonly #now: () => number;
  #seq = 0;
  /** Appends in order: each waits for the one before. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string | undefined, now: () => number) {
    this.#file = file;
    this.#now = now;
  }

  static async open(options: { file?: string; now?: () => number } = {}): Promise<AuditTrail> {
    const trail = new AuditTrail(options.file, options.now ?? Date.now);
    if (options.file !== undefined) {
      const text = await readFile(options.file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      // only the newest MEMORY_ENTRIES stay in memory, so older lines are not parsed at all: a
      // node's start does not grow with its history (every staff request is a line)
      const lines = text.split("\n").filter((line) => line.trim() !== "");
      for (const line of lines.slice(-MEMORY_ENTRIES)) trail.#keep(JSON.parse(line) as AuditEntry);
    }
    return trail;
  }

  record(entry: Omit<AuditEntry, "seq" | "at">): AuditEntry {
    const full: AuditEntry = { seq: this.#seq + 1, at: this.#now(), ...entry };
    this.#keep(full);
    const file = this.#file;
    if (file !== undefined)
      this.#writing = this.#writing.then(() =>
        appendFile(file, `${JSON.stringify(full)}\n`, { mode: 0o600 }),
      );
    return full;
  }

  /** Entries newest first, at most `limit`, optionally only `user`'s and only before `beforeSeq`. */
  read(query: { limit: number; user?: string; beforeSeq?: number }): AuditEntry[] {
    const out: AuditEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0 && out.length < query.limit; i--) {
      const e = this.#entries[i]!;
      if (query.beforeSeq !== undefined && e.seq >= query.beforeSeq) continue;
      if (query.user !== undefined && e.user !== query.user) continue;
      out.push(e);
    }
    return out;
  }

  /** Every entry in memory, oldest first, as CSV (times in Beijing time, ISO 8601 with +08:00). */
  csv(): string {
    const header = "seq,time,user,role,action,path,status,note";
    const rows = this.#entries.map((e) =>
      [String(e.seq), beijingIso(e.at), e.user, e.role, e.action, e.path, String(e.status), e.note ?? ""]
        .map(csvField)
        .join(","),
    );
    return `${[header, ...rows].join("\n")}\n`;
  }

  /** Waits for the file appends so far (tests, the node's close). */
  async flushed(): Promise<void> {
    await this.#writing;
  }

  #keep(entry: AuditEntry): void {
    this.#seq = Math.max(this.#seq, entry.seq);
    this.#entries.push(entry);
    if (this.#entries.length > MEMORY_ENTRIES) this.#entries.shift();
  }
}

function csvField(value: string): string {
  // a cell a spreadsheet would run as a formula is quoted with a leading apostrophe
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function beijingIso(ms: number): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}
