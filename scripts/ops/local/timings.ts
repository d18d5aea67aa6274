// The launcher's start-up, timed: each step of startLocalConsortium (a phase, with when it began,
// so steps that overlap show it) and each child's boot (spawned, first answer to a readiness check,
// ready), with the child's own account of its start-up where its log has one ("boot timings":
// nodes/src/server.ts, anchor-service/src/server.ts). A slow restart shows where its seconds went;
// the soak prints it as "restart, by phase" (bench/soak.ts).
import os from "node:os";
import { performance } from "node:perf_hooks";
import type { ServiceProcess } from "./service-process.ts";

/** The message of the line a child logs once it has started, its `boot` object ms since it was spawned. */
export const BOOT_TIMINGS_MESSAGE = "boot timings";

export type StartupPhase = { phase: string; fromSeconds: number; seconds: number };

export type ServiceStartup = {
  service: string;
  /** When it was spawned, seconds into the start. */
  fromSeconds: number;
  /** Spawned → its first answer (listening). */
  answerSeconds: number | undefined;
  /** Spawned → ready. */
  readySeconds: number | undefined;
  checks: number;
  /** The child's own marks (ms since its process began), from its "boot timings" log line. */
  inside: Record<string, number> | undefined;
};

export type StartupTimings = {
  totalSeconds: number;
  /** The 1-minute load average as the start began and as it ended. */
  load: { before: number; after: number };
  cores: number;
  phases: StartupPhase[];
  services: ServiceStartup[];
};

export class StartupClock {
  readonly #origin = performance.now();
  readonly #load = os.loadavg()[0]!;
  readonly phases: StartupPhase[] = [];
  readonly services: ServiceStartup[] = [];

  /** Seconds since the start began (at `at`, default now). */
  seconds(at = performance.now()): number {
    return (at - this.#origin) / 1000;
  }

  since(): string {
    return `${this.seconds().toFixed(1)} s`;
  }

  /** `work` as one phase of the start: its beginning and its length kept, even when it fails. */
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const from = performance.now();
    try {
      return await work();
    } finally {
      this.phases.push({
        phase,
        fromSeconds: this.seconds(from),
        seconds: (performance.now() - from) / 1000,
      });
    }
  }

  /**
   * A child just started: its last start's timing and, with `bootLine`, what its log says about its
   * boot (the line may come a moment after its first ready answer: looked for up to 2 s).
   */
  async service(child: ServiceProcess, options: { bootLine?: boolean } = {}): Promise<void> {
    const t = child.lastStart;
    if (t === undefined) return;
    let inside: Record<string, number> | undefined;
    for (let tries = 0; options.bootLine === true && tries < 20; tries++) {
      inside = await child.lastLogged(BOOT_TIMINGS_MESSAGE).catch(() => undefined);
      if (inside !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = (at: number | undefined) => (at === undefined ? undefined : (at - t.spawnedAt) / 1000);
    this.services.push({
      service: child.spec.name,
      fromSeconds: this.seconds(t.spawnedAt),
      answerSeconds: after(t.answeredAt),
      readySeconds: after(t.readyAt),
      checks: t.checks,
      inside,
    });
  }

  timings(): StartupTimings {
    return {
      totalSeconds: this.seconds(),
      load: { before: this.#load, after: os.loadavg()[0]! },
      cores: os.cpus().length,
      phases: [...this.phases].sort((a, b) => a.fromSeconds - b.fromSeconds),
      services: [...this.services].sort((a, b) => a.fromSeconds - b.fromSeconds),
    };
  }
}

const s = (n: number | undefined) => (n === undefined ? "–" : n.toFixed(1));
const ms = (n: number | undefined) => (n === undefined ? "–" : (n / 1000).toFixed(1));

/** The children's own marks in the order they come, e.g. "modules 2.1 · created 3.0 · listening 3.1". */
export function insideMarks(inside: Record<string, number> | undefined): string {
  if (inside === undefined) return "–";
  return Object.entries(inside)
    .sort(([, a], [, b]) => a - b)
    .map(([mark, at]) => `${mark} ${ms(at)}`)
    .join(" · ");
}

/** The timings as two Markdown tables: the launcher's phases, then each child's boot. */
export function startupTables(t: StartupTimings): string[] {
  return [
    `Start-up ${s(t.totalSeconds)} s; load average ${t.load.before.toFixed(2)} → ${t.load.after.toFixed(2)} on ${t.cores} cores.`,
    "",
    "| phase (the launcher) | from (s) | took (s) |",
    "|---|---:|---:|",
    ...t.phases.map((p) => `| ${p.phase} | ${s(p.fromSeconds)} | ${s(p.seconds)} |`),
    "",
    "| service | spawned at (s) | → listening (s) | → ready (s) | checks | inside the process, s since its spawn |",
    "|---|---:|---:|---:|---:|---|",
    ...t.services.map(
      (v) =>
        `| ${v.service} | ${s(v.fromSeconds)} | ${s(v.answerSeconds)} | ${s(v.readySeconds)} | ${v.checks} | ${insideMarks(v.inside)} |`,
    ),
  ];
}
