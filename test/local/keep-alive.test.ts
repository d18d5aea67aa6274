// The soak driver's `fetch failed` (read ECONNRESET): a kept-alive connection the service closed
// as the driver reused it. undici keeps an idle connection as long as the server's
// `Keep-Alive: timeout=N` hint allows less 2 s (70 s against the services' 72 s), so a driver whose
// timers run late on a loaded machine reuses one just as the service's own timeout closes it.
// Such a failure names the node, the method and the route pattern, not the ids in the path; the
// driver's dispatcher gives up an idle connection after 10 s however long the server would keep it.
import { expect } from "chai";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { DRIVER_KEEP_ALIVE } from "../../bench/soak.ts";
import { NodeApi, NodeUnreachableError, routePattern } from "../../nodes/client/node-api.ts";

describe("the node client and the soak driver: kept-alive connections", function () {
  this.timeout(60_000);
  let dispatcher: ReturnType<typeof getGlobalDispatcher>;
  beforeEach(() => (dispatcher = getGlobalDispatcher()));
  afterEach(() => setGlobalDispatcher(dispatcher));

  it("names the node, method and route of a request whose kept-alive connection the server closed", async function () {
    // the server's keep-alive timeout firing just as the client reuses the connection: the second
    // request on a connection gets the connection closed instead of an answer
    const server = createServer((request, response) => {
      const socket = request.socket as typeof request.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) socket.destroy();
      else response.end('{"state":"queued"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    // one connection: the POST waits for the kept-alive one rather than opening another
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
    setGlobalDispatcher(agent);
    try {
      const api = new NodeApi("branchA", `http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        clerk: "token",
      });
      const serial = "RPY-SOAK-0A1B2C-000012-0";
      expect(await api.get(`/v1/outbox/${serial}`)).to.deep.equal({ state: "queued" });
      // a POST: undici sends an idempotent GET again on a new connection by itself, never a POST
      const failed = await api.post(`/v1/loans/${serial}/repayments`, "clerk", { serial }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).to.be.instanceOf(NodeUnreachableError);
      const error = failed as NodeUnreachableError;
      expect([error.service, error.method, error.route]).to.deep.equal([
        "branchA",
        "POST",
        "/v1/loans/:param/repayments",
      ]);
      expect(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE"]).to.include(error.code);
      expect(error.message).to.match(/^branchA: POST \/v1\/loans\/:param\/repayments got no answer: /);
      expect(error.message).not.to.contain(serial);
    } finally {
      await agent.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("drops an idle connection after 10 s although the service's hint would keep it 70 s", async function () {
    const server = createServer((_q, r) => r.end("{}"));
    server.keepAliveTimeout = 72_000; // Fastify's default, the services'
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const agent = new Agent(DRIVER_KEEP_ALIVE);
    setGlobalDispatcher(agent);
    try {
      const closed = new Promise<void>((resolve) =>
        server.once("connection", (socket) => socket.once("close", () => resolve())),
      );
      const api = new NodeApi("union", `http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        clerk: "token",
      });
      expect(await api.get("/v1/index/digest")).to.deep.equal({});
      await closed; // by the client: the server would wait 72 s (past this test's timeout)
    } finally {
      await agent.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("leaves every parameter out of the route it names", function () {
    expect(routePattern("/v1/loans/0xAB12/repayments?x=1")).to.equal("/v1/loans/:param/repayments");
    expect(routePattern("/v1/applications/jiedaibao")).to.equal("/v1/applications/jiedaibao");
    expect(routePattern("/v1/exposure/张三")).to.equal("/v1/exposure/:param");
    expect(routePattern("/v1/outbox/RPY-SOAK-1-0")).to.equal("/v1/outbox/:param");
  });
});
