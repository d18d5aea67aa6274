// jsonRpcProvider (common/chain/provider.ts) encodes its requests and decodes its replies with
// Node's UTF-8 codec instead of ethers' own: against a recording JSON-RPC server it must send the
// bytes ethers' provider sends and read every reply as ethers' provider reads it — non-ASCII
// text, batches of replies, JSON-RPC errors — and refuse what ethers refuses (malformed UTF-8, a
// byte-order mark, text that is not JSON) with ethers' own error.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonRpcProvider, Network } from "ethers";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";

type Reply = { status?: number; body: Buffer };

describe("common/chain/provider: jsonRpcProvider's bodies through Node's UTF-8 codec", () => {
  let server: Server;
  let url: string;
  const received: Buffer[] = [];
  let reply: (request: { id: number; method: string }) => Reply;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        received.push(body);
        const { status, body: answer } = reply(
          JSON.parse(body.toString("utf8")) as { id: number; method: string },
        );
        res.writeHead(status ?? 200, { "content-type": "application/json" }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const network = Network.from(31337n);
  /** What ethers' own provider and ours make of one call answered by `answer`: the result, or the error's code and message. */
  async function both(method: string, params: unknown[], answer: (id: number) => Reply) {
    reply = ({ id }) => answer(id);
    const outcomes = [];
    received.length = 0;
    for (const provider of [
      new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 }),
      jsonRpcProvider(url, { chainId: 31337n }),
    ]) {
      try {
        outcomes.push({ result: (await provider.send(method, params)) as unknown });
      } catch (error) {
        const e = error as { code?: string; shortMessage?: string };
        outcomes.push({ code: e.code, message: e.shortMessage });
      } finally {
        provider.destroy();
      }
    }
    return { ethers: outcomes[0]!, ours: outcomes[1]!, requests: [...received] };
  }

  const json = (id: number, value: unknown) =>
    Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, ...(value as object) }));

  it("sends the same request bytes as ethers' provider, non-ASCII parameters included", async () => {
    const { requests, ethers, ours } = await both(
      "eth_echo",
      ["0xabc", "贷款 — ✓", { nested: ["é"] }],
      (id) => ({
        body: json(id, { result: "ok" }),
      }),
    );
    expect(requests).to.have.length(2);
    // the ids of the two providers' first requests are the same (each starts its own count)
    expect(requests[1]!.equals(requests[0]!)).to.equal(true);
    expect(JSON.parse(requests[1]!.toString("utf8")).params).to.deep.equal([
      "0xabc",
      "贷款 — ✓",
      { nested: ["é"] },
    ]);
    expect(ours).to.deep.equal(ethers).and.deep.equal({ result: "ok" });
  });

  it("reads a reply with non-ASCII text, and a large one, as ethers' provider does", async () => {
    const text = `征信 ${"0123456789abcdef".repeat(4096)} ✓ 😀`;
    const { ethers, ours } = await both("eth_text", [], (id) => ({ body: json(id, { result: text }) }));
    expect(ours).to.deep.equal(ethers).and.deep.equal({ result: text });
  });

  it("passes a JSON-RPC error on as ethers' provider does", async () => {
    const call = { to: "0x000000000000000000000000000000000000dEaD", data: "0x12345678" };
    const { ethers, ours } = await both("eth_call", [call, "latest"], (id) => ({
      body: json(id, { error: { code: 3, message: "execution reverted", data: "0x08c379a0" } }),
    }));
    expect(ethers.code).to.equal("CALL_EXCEPTION");
    expect(ours).to.deep.equal(ethers);
  });

  it("refuses malformed UTF-8, a byte-order mark and text that is not JSON with ethers' own error", async () => {
    const bad: Array<(id: number) => Buffer> = [
      (id) =>
        Buffer.concat([
          json(id, { result: "x" }).subarray(0, -3),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]),
      (id) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(id, { result: "x" })]),
      () => Buffer.from("<html>bad gateway</html>"),
    ];
    for (const body of bad) {
      const { ethers, ours } = await both("eth_bad", [], (id) => ({ body: body(id) }));
      expect(ethers.code).to.equal("UNSUPPORTED_OPERATION");
      expect(ours).to.deep.equal(ethers);
    }
  });

  it("refuses an HTTP error status as ethers' provider does", async () => {
    const { ethers, ours } = await both("eth_down", [], (id) => ({
      status: 502,
      body: json(id, { result: "x" }),
    }));
    expect(ethers.code).to.equal("SERVER_ERROR");
    expect(ours).to.deep.equal(ethers);
  });
});
