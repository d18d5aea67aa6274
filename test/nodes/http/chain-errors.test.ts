// A chain read that gets no answer in time (the chain busy writing a large state, restarting) is
// the node's retryable 503 NODE_ERR_CHAIN_UNAVAILABLE with a Retry-After, never a 500 "internal
// error": a core-banking client asks again. Over a real socket to an endpoint that never answers.
// A peer's node answering 503 is relayed as unavailable too, not as a refusal.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FetchRequest, JsonRpcProvider, Wallet } from "ethers";
import type { NodeError } from "../../../nodes/src/errors.ts";
import { renderNodeError } from "../../../nodes/src/http/app.ts";
import { PeerNodes } from "../../../nodes/src/peers.ts";

describe("node API: a chain that does not answer", function () {
  let silent: Server;
  let url: string;
  before(async function () {
    // accepts each request and never answers it
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(function () {
    silent.closeAllConnections();
    silent.close();
  });

  it("renders a read that timed out as 503 NODE_ERR_CHAIN_UNAVAILABLE, to be asked again", async function () {
    const request = new FetchRequest(url);
    request.timeout = 300;
    const provider = new JsonRpcProvider(request, 31337, { staticNetwork: true });
    const error = await provider.getBlockNumber().then(
      () => undefined,
      (e: unknown) => e,
    );
    provider.destroy();
    const rendered = renderNodeError(error);
    expect(rendered).to.deep.include({ status: 503, code: "NODE_ERR_CHAIN_UNAVAILABLE" });
    expect(rendered!.details).to.deep.equal({ retryAfterSeconds: 5 });
    expect(rendered!.message).to.include("timeout");
  });

  it("renders an endpoint answering 502 the same way, and leaves a plain bug a 500", async function () {
    // a proxy in front of the chain whose upstream is down
    const gateway = createServer((_request, response) => response.writeHead(502).end("bad gateway"));
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    const provider = new JsonRpcProvider(
      `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
      31337,
      { staticNetwork: true },
    );
    const error = await provider.getBlockNumber().then(
      () => undefined,
      (e: unknown) => e,
    );
    provider.destroy();
    gateway.close();
    expect(renderNodeError(error)).to.deep.include({ status: 503, code: "NODE_ERR_CHAIN_UNAVAILABLE" });
    expect(renderNodeError(new TypeError("cannot read properties of undefined"))).to.equal(undefined);
  });
});

describe("node API: a peer's node that cannot serve for now", function () {
  it("relays a peer's 503 as NODE_ERR_PEER_UNAVAILABLE (ask again), and its 409 as NODE_ERR_PEER_REFUSED", async function () {
    const peer = createServer((request, response) => {
      const busy = request.url!.endsWith("/busy");
      response.writeHead(busy ? 503 : 409, { "content-type": "application/json" }).end(
        JSON.stringify({
          error: busy
            ? { code: "NODE_ERR_CHAIN_UNAVAILABLE", message: "the chain did not answer" }
            : { code: "NODE_ERR_DUPLICATE", message: "already submitted" },
        }),
      );
    });
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    const peers = new PeerNodes({
      signer: Wallet.createRandom(),
      directory: { "1": `http://127.0.0.1:${(peer.address() as AddressInfo).port}` },
      chainId: async () => 31337n,
      registryAddress: async () => "0x0000000000000000000000000000000000000001",
    });
    try {
      const busy = await peers.call(1, "POST", "/v1/busy", {}).then(
        () => undefined,
        (e: NodeError) => e,
      );
      expect(busy).to.deep.include({ code: "NODE_ERR_PEER_UNAVAILABLE" });
      expect(busy!.details).to.deep.equal({ member: 1, status: 503, code: "NODE_ERR_CHAIN_UNAVAILABLE" });
      const refused = await peers.call(1, "POST", "/v1/duplicate", {}).then(
        () => undefined,
        (e: NodeError) => e,
      );
      expect(refused).to.deep.include({ code: "NODE_ERR_PEER_REFUSED" });
    } finally {
      peer.close();
    }
  });
});
