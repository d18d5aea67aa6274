// A stand-in anchor service for client tests: forwards every request to the real one listening on
// `targetPort` and answers its JSON replies rewritten by `rewrite` (an impostor, a liar).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type RewritingProxy = { port: number; close(): void };

export async function rewritingProxy(
  targetPort: number,
  rewrite: (url: string, json: Record<string, unknown>) => Record<string, unknown>,
): Promise<RewritingProxy> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void fetch(`http://127.0.0.1:${targetPort}${req.url}`, {
        method: req.method!,
        headers: req.headers as Record<string, string>,
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      }).then(async (answer) => {
        const json = (await answer.json()) as Record<string, unknown>;
        res
          .writeHead(answer.status, { "content-type": "application/json" })
          .end(JSON.stringify(rewrite(req.url!, json)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}
