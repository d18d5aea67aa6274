// BENCH_RPC_COUNT=1: each service process reaches Anvil through a JSON-RPC relay of its own in
// the benchmark's process, which counts the calls by method, so a phase can say how many chain
// calls (estimates, eth_calls, log queries, receipt polls) each flow cost each process. Off by
// default: the relay's own CPU is the benchmark's, and it adds a hop to every call.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CONTRACTS } from "../../common/chain/generated/contracts.ts";
import { HOST } from "./anchor-process.ts";

/** Every contract function's name by selector: an eth_call or estimate is counted by what it asks. */
const FUNCTIONS = new Map<string, string>();
for (const contract of Object.values(CONTRACTS))
  contract.interface.forEachFunction((f) => FUNCTIONS.set(f.selector, f.name));

type Call = { method?: string; params?: Array<{ data?: string; input?: string }> };

/** eth_call and eth_estimateGas by the function called ("eth_call loan"), other methods by name. */
function keyOf(call: Call): string {
  const method = call.method ?? "?";
  if (method !== "eth_call" && method !== "eth_estimateGas") return method;
  const data = call.params?.[0]?.data ?? call.params?.[0]?.input ?? "";
  const selector = data.slice(0, 10).toLowerCase();
  return `${method} ${FUNCTIONS.get(selector) ?? selector}`;
}

/** Calls by method so far. */
export type RpcCounts = Record<string, number>;

export type RpcRelay = { url: string; counts: () => RpcCounts; close: () => Promise<void> };

/** A relay to `target` on a free port of 127.0.0.1, counting each call (a batch's calls one by one). */
export async function rpcRelay(target: string): Promise<RpcRelay> {
  const counts: RpcCounts = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString("utf8")) as Call | Call[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          const key = keyOf(call);
          counts[key] = (counts[key] ?? 0) + 1;
        }
      } catch {
        counts["(unparsed)"] = (counts["(unparsed)"] ?? 0) + 1;
      }
      const upstream = http.request(
        target,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, { "content-type": "application/json" });
          reply.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    counts: () => ({ ...counts }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Calls per flow by method between two readings, largest first, and their total. */
export function rpcPerFlow(before: RpcCounts, after: RpcCounts, flows: number): Array<[string, number]> {
  const rows = Object.entries(after)
    .map(([method, n]): [string, number] => [method, (n - (before[method] ?? 0)) / flows])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return [["total", rows.reduce((s, [, n]) => s + n, 0)], ...rows];
}
