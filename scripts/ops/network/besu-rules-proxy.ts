// A JSON-RPC proxy that holds any chain (Anvil in the tests) to the rules the services meet on the
// consortium's Besu network, and records every call so a test can show they were kept:
//   - eth_sendTransaction does not exist (Besu: -32604); clients must sign and send raw;
//   - eth_getLogs over more blocks than the nodes' rpc-max-logs-range is refused (Besu: -32005);
//   - a transaction offering any gas price is refused: on the free-gas network no account holds
//     ether, so Besu would refuse it for its upfront cost (-32004).
// Used by test/network/free-gas-chain.test.ts; also handy to try a service against a strict RPC:
//   node scripts/ops/network/besu-rules-proxy.ts <upstream URL> <max logs range> [port]
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Transaction } from "ethers";

type RpcRequest = { jsonrpc?: string; id?: unknown; method?: string; params?: unknown[] };
type RpcResponse = {
  jsonrpc: "2.0";
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string };
};

export type RecordedCall = { method: string; params: unknown[]; refused?: string };
/** An eth_getLogs request as block numbers (tags resolved against the chain head when it arrived). */
export type LogRange = { from: number; to: number; blocks: number; refused: boolean };

export type BesuRulesProxy = {
  url: string;
  calls: RecordedCall[];
  logRanges: LogRange[];
  /** The block hashes of eth_getLogs requests by blockHash (one block each, within any range rule). */
  logBlockHashes: string[];
  /** Every raw transaction that passed through, decoded. */
  transactions: Transaction[];
  close(): Promise<void>;
};

/** Besu's errors for the same conditions (RpcErrorType). */
export const BESU_ERRORS = {
  sendTransaction: {
    code: -32604,
    message:
      "The method eth_sendTransaction is not supported. Use eth_sendRawTransaction to send a signed transaction to Besu.",
  },
  logRange: { code: -32005, message: "Requested range exceeds maximum RPC range limit" },
  upfrontCost: { code: -32004, message: "Upfront cost exceeds account balance" },
} as const;

export async function startBesuRulesProxy(options: {
  upstream: string;
  maxLogsRange: number;
  port?: number;
  host?: string;
}): Promise<BesuRulesProxy> {
  const calls: RecordedCall[] = [];
  const logRanges: LogRange[] = [];
  const logBlockHashes: string[] = [];
  const transactions: Transaction[] = [];

  async function forward(request: RpcRequest): Promise<RpcResponse> {
    const response = await fetch(options.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    return (await response.json()) as RpcResponse;
  }

  async function blockNumberOf(tag: unknown, head: () => Promise<number>): Promise<number> {
    if (
      tag === undefined ||
      tag === null ||
      tag === "latest" ||
      tag === "pending" ||
      tag === "safe" ||
      tag === "finalized"
    )
      return head();
    if (tag === "earliest") return 0;
    return Number(BigInt(tag as string));
  }

  /** The rule a request breaks, if any. */
  async function check(request: RpcRequest): Promise<{ code: number; message: string } | null> {
    const params = request.params ?? [];
    if (request.method === "eth_sendTransaction") return BESU_ERRORS.sendTransaction;
    if (request.method === "eth_sendRawTransaction") {
      const tx = Transaction.from(params[0] as string);
      transactions.push(tx);
      const price =
        tx.type === 2 || tx.type === 3 || tx.type === 4
          ? (tx.maxFeePerGas ?? 0n) + (tx.maxPriorityFeePerGas ?? 0n)
          : (tx.gasPrice ?? 0n);
      if (price !== 0n)
        return {
          code: BESU_ERRORS.upfrontCost.code,
          message: `${BESU_ERRORS.upfrontCost.message} (free-gas network: gas price must be 0)`,
        };
    }
    if (request.method === "eth_getLogs") {
      const filter = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
      if (filter.blockHash !== undefined) {
        logBlockHashes.push(filter.blockHash);
        return null;
      }
      let latest: number | undefined;
      const head = async () =>
        (latest ??= Number(
          BigInt(
            (await forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }))
              .result as string,
          ),
        ));
      const from = await blockNumberOf(filter.fromBlock, head);
      const to = await blockNumberOf(filter.toBlock, head);
      const blocks = to - from + 1;
      const refused = blocks > options.maxLogsRange;
      logRanges.push({ from, to, blocks, refused });
      if (refused) return BESU_ERRORS.logRange;
    }
    return null;
  }

  async function handle(request: RpcRequest): Promise<RpcResponse> {
    const call: RecordedCall = { method: String(request.method), params: request.params ?? [] };
    calls.push(call);
    const broken = await check(request);
    if (broken !== null) {
      call.refused = broken.message;
      return { jsonrpc: "2.0", id: request.id ?? null, error: broken };
    }
    return forward(request);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          res
            .writeHead(400, { "content-type": "application/json" })
            .end(
              JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
            );
          return;
        }
        try {
          const reply = Array.isArray(body)
            ? await Promise.all(body.map((r) => handle(r as RpcRequest)))
            : await handle(body as RpcRequest);
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
        } catch (error) {
          res.writeHead(502, { "content-type": "application/json" }).end(
            JSON.stringify({
              jsonrpc: "2.0",
              id: null,
              error: { code: -32603, message: `upstream: ${(error as Error).message}` },
            }),
          );
        }
      })();
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    calls,
    logRanges,
    logBlockHashes,
    transactions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e === undefined ? resolve() : reject(e)));
      }),
  };
}

if (import.meta.main) {
  const [upstream, range, port] = process.argv.slice(2);
  if (upstream === undefined || range === undefined || !(Number(range) >= 1)) {
    process.stderr.write(
      "usage: node scripts/ops/network/besu-rules-proxy.ts <upstream URL> <max logs range> [port]\n",
    );
    process.exit(2);
  }
  const proxy = await startBesuRulesProxy({ upstream, maxLogsRange: Number(range), port: Number(port ?? 0) });
  process.stdout.write(
    `Besu-rules proxy on ${proxy.url} → ${upstream} (eth_getLogs ≤ ${range} blocks, no eth_sendTransaction, gas price 0)\n`,
  );
}
