// How busy the whole machine was (Linux /proc/stat), to tell the benchmark's CPU (this process and
// its Anvil child) from everyone else's: on a shared 2-core machine another process's build or
// test run halves the numbers.
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";

export type CpuSnapshot =
  { busy: number; total: number; self: NodeJS.CpuUsage; children: number; at: number } | undefined;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds (0 if it is gone). */
function processSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A pid and all its descendants (Anvil runs as a Node wrapper that spawns the native binary). */
function withDescendants(roots: readonly number[]): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(name));
      parents.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return out;
}

/** `children`: pids of the benchmark's own child processes (Anvil), counted with their descendants. */
export function cpuSnapshot(children: readonly number[] = []): CpuSnapshot {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return {
      busy: total - idle,
      total,
      self: process.cpuUsage(),
      children: withDescendants(children).reduce((a, pid) => a + processSeconds(pid), 0),
      at: Date.now(),
    };
  } catch {
    return undefined;
  }
}

/** Cores used between two snapshots: by the whole machine, by the benchmark, by everything else. */
export function cpuBetween(
  a: CpuSnapshot,
  b: CpuSnapshot,
): { machine: number; self: number; children: number; others: number } | undefined {
  if (a === undefined || b === undefined || b.total === a.total) return undefined;
  const cores = os.cpus().length;
  const machine = ((b.busy - a.busy) / (b.total - a.total)) * cores;
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return undefined;
  const self = (b.self.user - a.self.user + b.self.system - a.self.system) / 1e6 / seconds;
  const children = (b.children - a.children) / seconds;
  return { machine, self, children, others: Math.max(0, machine - self - children) };
}

/** CPU seconds of this process's threads (user + system, and system alone), summed by thread name (/proc/self/task/<tid>/comm). */
export function threadCpuByName(): Map<string, { total: number; system: number }> {
  const out = new Map<string, { total: number; system: number }>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8")
          .trim()
          .replace(/[0-9]+$/, "");
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const user = Number(fields[11]) / TICKS_PER_SECOND;
        const system = Number(fields[12]) / TICKS_PER_SECOND;
        const sum = out.get(name) ?? { total: 0, system: 0 };
        out.set(name, { total: sum.total + user + system, system: sum.system + system });
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Per thread name, the CPU seconds (and system seconds) used between two threadCpuByName snapshots (threads that ended are lost). */
export function threadCpuBetween(
  a: Map<string, { total: number; system: number }>,
  b: Map<string, { total: number; system: number }>,
): Array<[string, number, number]> {
  return [...b]
    .map(([name, s]): [string, number, number] => [
      name,
      s.total - (a.get(name)?.total ?? 0),
      s.system - (a.get(name)?.system ?? 0),
    ])
    .filter(([, total]) => total > 0)
    .sort((x, y) => y[1] - x[1]);
}
