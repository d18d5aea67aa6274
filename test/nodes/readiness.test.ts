// The node's /readyz is real: not ready, with a reason naming the check, when the chain is
// unreachable or is no longer the chain the node started on (another chain id, another genesis
// block), when the index lags or its last sync failed, when the outbox's backlog is past its
// bound, or when the anchor service is away; a dependency that hangs reads as not ready within
// the timeout. Over HTTP: 503 with the reasons, 200 when every check passes.
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildNodeApp, type NodeDeps } from "../../nodes/src/http/app.ts";
import {
  anchorHealthz,
  createReadiness,
  DEFAULT_READINESS_LIMITS,
  type ReadinessProbes,
} from "../../nodes/src/readiness.ts";

const GENESIS = `0x${"ab".repeat(32)}`;

function healthy(): ReadinessProbes {
  return {
    chainId: async () => 31337n,
    genesisHash: async () => GENESIS,
    indexer: () => ({ cursorBlock: 120, head: 125, lastError: null }),
    outboxBacklog: async () => 3,
    anchorHealthy: async () => {},
  };
}

const check = (probes: Partial<ReadinessProbes>) =>
  createReadiness(
    { ...healthy(), ...probes },
    { chainId: 31337n, genesisHash: GENESIS },
    {
      ...DEFAULT_READINESS_LIMITS,
      timeoutMs: 200,
    },
  ).check();

describe("node readiness (/readyz)", function () {
  it("ready when every check passes, with what each saw", async function () {
    const state = await check({});
    expect(state.ready).to.equal(true);
    expect(state.reasons).to.deep.equal([]);
    expect(state.detail).to.deep.equal({
      chain: { ok: true, chainId: "31337", genesisHash: GENESIS },
      indexer: { ok: true, lagBlocks: 5, cursorBlock: 120, head: 125 },
      outbox: { ok: true, backlog: 3 },
      anchor: { ok: true },
    });
  });

  const cases: [string, Partial<ReadinessProbes>, RegExp][] = [
    [
      "the chain unreachable",
      { chainId: () => Promise.reject(new Error("ECONNREFUSED")) },
      /^chain: unreachable \(ECONNREFUSED\)/,
    ],
    ["another chain id", { chainId: async () => 1n }, /^chain: chain id 1 is not 31337/],
    [
      "another genesis block (a reset chain)",
      { genesisHash: async () => `0x${"cd".repeat(32)}` },
      /^chain: genesis block 0xcdcd.* was reset or replaced/,
    ],
    [
      "the index 51 blocks behind",
      { indexer: () => ({ cursorBlock: 100, head: 151, lastError: null }) },
      /^indexer: 51 blocks behind the head \(at most 50\)/,
    ],
    [
      "the index's last sync failed",
      { indexer: () => ({ cursorBlock: 100, head: 100, lastError: "rpc timeout" }) },
      /^indexer: the last sync failed \(rpc timeout\)/,
    ],
    [
      "the index never synced",
      { indexer: () => ({ cursorBlock: undefined, head: null, lastError: null }) },
      /^indexer: not synced yet/,
    ],
    [
      "1,001 chain writes waiting",
      { outboxBacklog: async () => 1001 },
      /^outbox: 1001 chain writes waiting \(at most 1000\)/,
    ],
    [
      "the anchor service away",
      { anchorHealthy: () => Promise.reject(new Error("ECONNREFUSED")) },
      /^anchor: unreachable \(ECONNREFUSED\)/,
    ],
    [
      "the chain hanging",
      { chainId: () => new Promise<bigint>(() => {}) },
      /^chain: unreachable \(the chain did not answer within 200 ms\)/,
    ],
    [
      "the anchor service hanging",
      { anchorHealthy: () => new Promise<void>(() => {}) },
      /^anchor: unreachable \(the anchor service did not answer within 200 ms\)/,
    ],
  ];
  for (const [what, probes, reason] of cases)
    it(`not ready with ${what}`, async function () {
      const state = await check(probes);
      expect(state.ready).to.equal(false);
      expect(state.reasons).to.have.length(1);
      expect(state.reasons[0]).to.match(reason);
    });

  it("learns the genesis block on the first read when not given, then holds the chain to it", async function () {
    let genesis = GENESIS;
    const readiness = createReadiness(
      { ...healthy(), genesisHash: async () => genesis },
      { chainId: 31337n },
    );
    expect((await readiness.check()).ready).to.equal(true);
    genesis = `0x${"01".repeat(32)}`;
    expect((await readiness.check()).reasons[0]).to.match(/^chain: genesis block 0x0101/);
  });

  it("the anchor probe is its /healthz: 200 passes, 503 and a closed port fail", async function () {
    let status = 200;
    const server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await anchorHealthz(url);
    status = 503;
    await anchorHealthz(url).then(
      () => expect.fail("a 503 /healthz passed"),
      (error: Error) => expect(error.message).to.equal("its /healthz answered 503"),
    );
    await new Promise((resolve) => server.close(resolve));
    await anchorHealthz(url).then(
      () => expect.fail("a closed port passed"),
      (error: Error) => expect(error).to.be.instanceOf(Error),
    );
  });

  it("GET /readyz answers 503 with the reasons, 200 once every check passes", async function () {
    let backlog = 5000;
    const readiness = createReadiness(
      { ...healthy(), outboxBacklog: async () => backlog },
      { chainId: 31337n, genesisHash: GENESIS },
    );
    const app = await buildNodeApp({
      logger: false,
      memberId: 2,
      users: [],
      ops: {},
      cases: {},
      ready: () => readiness.check(),
    } as unknown as NodeDeps);
    try {
      const refused = await app.inject({ method: "GET", url: "/readyz" });
      expect(refused.statusCode).to.equal(503);
      expect(refused.json()).to.deep.include({
        ready: false,
        reasons: ["outbox: 5000 chain writes waiting (at most 1000)"],
      });
      backlog = 0;
      const ok = await app.inject({ method: "GET", url: "/readyz" });
      expect(ok.statusCode).to.equal(200);
      expect(ok.json()).to.deep.include({ ready: true, reasons: [] });
    } finally {
      await app.close();
    }
  });
});
