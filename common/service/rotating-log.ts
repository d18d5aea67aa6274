// Log rotation for a service that writes its own log file: pino's lines appended to `file`; once
// it would grow past `maxBytes`, it becomes file.1 (file.1 becomes file.2, …, the oldest beyond
// `keep` removed) and a fresh file starts. Without a file the service logs to stdout as before
// (a supervisor or `npm start` collects it). Writes are synchronous, so a line is on disk before
// the next one and nothing is lost on a crash.
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { z } from "zod";

export type RotatingLogOptions = { file: string; maxBytes: number; keep: number };

/** A pino destination (anything with write(line)) that rotates `file` by size. */
export class RotatingLog {
  readonly options: RotatingLogOptions;
  #fd: number;
  #size: number;

  constructor(options: RotatingLogOptions) {
    this.options = options;
    this.#fd = openSync(options.file, "a", 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(line: string): boolean {
    const bytes = Buffer.from(line, "utf8");
    if (this.#size > 0 && this.#size + bytes.length > this.options.maxBytes) this.rotate();
    writeSync(this.#fd, bytes);
    this.#size += bytes.length;
    return true;
  }

  /** file → file.1 → … → file.keep; the oldest is dropped. */
  rotate(): void {
    const { file, keep } = this.options;
    closeSync(this.#fd);
    rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--)
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    if (keep >= 1) renameSync(file, `${file}.1`);
    else rmSync(file, { force: true });
    this.#fd = openSync(file, "a", 0o600);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

const LogFileEnv = z.object({
  file: z.string().min(1).optional(),
  maxBytes: z.coerce
    .number()
    .int()
    .min(4096)
    .default(100 * 1024 * 1024),
  keep: z.coerce.number().int().min(0).max(100).default(10),
});

/**
 * `<PREFIX>_LOG_FILE` (unset: stdout), `<PREFIX>_LOG_MAX_BYTES` (default 100 MiB, at least 4096)
 * and `<PREFIX>_LOG_KEEP` (default 10 rotated files): the destination for pino, or undefined for stdout.
 */
export function logDestination(env: NodeJS.ProcessEnv, prefix: "NODE" | "ANCHOR"): RotatingLog | undefined {
  const parsed = LogFileEnv.safeParse({
    file: env[`${prefix}_LOG_FILE`] || undefined,
    maxBytes: env[`${prefix}_LOG_MAX_BYTES`] || undefined,
    keep: env[`${prefix}_LOG_KEEP`] || undefined,
  });
  if (!parsed.success)
    throw new Error(
      `${prefix}_LOG_MAX_BYTES must be a whole number ≥ 4096 and ${prefix}_LOG_KEEP 0..100: ${parsed.error.issues
        .map((i) => i.message)
        .join("; ")}`,
    );
  const { file, maxBytes, keep } = parsed.data;
  return file === undefined ? undefined : new RotatingLog({ file, maxBytes, keep });
}
