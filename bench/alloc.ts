// Allocation sampling of the service's thread over a window (BENCH_ALLOC_PROFILE=path): V8's
// sampling heap profiler, counting objects the garbage collector has already freed as well, so the
// output says where the bytes that keep the collector busy are allocated. Written as a
// .heapprofile (Chrome DevTools → Memory → load) and summarised by allocating function.
import { Session } from "node:inspector/promises";
import { writeFile } from "node:fs/promises";

type ProfileNode = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
};

export async function startAllocationSampling(): Promise<() => Promise<Array<[string, number]>>> {
  const session = new Session();
  session.connect();
  // V8 takes the two include flags that @types/node does not list yet; passed as a variable, the
  // extra fields need no cast
  const sampling = {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  };
  await session.post("HeapProfiler.startSampling", sampling);
  return async () => {
    const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as {
      profile: { head: ProfileNode };
    };
    session.disconnect();
    const path = process.env.BENCH_ALLOC_PROFILE!;
    await writeFile(path, JSON.stringify(profile));
    const bySite = new Map<string, number>();
    const walk = (n: ProfileNode) => {
      const site = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
      n.children.forEach(walk);
    };
    walk(profile.head);
    return [...bySite].sort((a, b) => b[1] - a[1]);
  };
}
