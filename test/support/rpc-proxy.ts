// A JSON-RPC proxy in front of a chain for tests of what a client sends it: forwards each request,
// records its method, and lets the test act before one is forwarded (`before`: mine a block, hold
// the request until it says so).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonRpcProvider } from "ethers";

export type RpcProxy = {
  /** A provider whose requests pass through the proxy. */
  provider: JsonRpcProvider;
  /** The method of every request forwarded so far, in order. */
  methods: string[];
  close(): void;
};

export async function rpcProxy(
  targetUrl: string,
  before?: (method: string) => Promise<void>,
): Promise<RpcProxy> {
  const methods: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        const { method } = JSON.parse(body) as { method: string };
        await before?.(method);
        methods.push(method);
        const answer = await fetch(targetUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const provider = new JsonRpcProvider(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    undefined,
    { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 },
  );
  return {
    provider,
    methods,
    close() {
      provider.destroy();
      server.close();
    },
  };
}
