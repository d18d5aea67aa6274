// The node's /readyz is real: not ready, with a reason naming the check, when the chain is
// unreachable or is no longer the chain the node started on (another chain id, another genesis
// block), when the index lags or its last sync failed, when the outbox's backlog is past its
// bound, or when the anchor service is away; a dependency that hangs reads as not ready within
// the timeout. Over HTTP: 503 with the reasons, 200 when every check passes. The node's probes
// count the outbox's backlog from its pending index, never walking the stored entries.
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { MemoryLevel } from "memory-level";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildNodeApp, type NodeDeps } from "../../nodes/src/http/app.ts";
import { Outbox } from "../../nodes/src/outbox/outbox.ts";
import {
  anchorHealthz,
  createReadiness,
  DEFAULT_READINESS_LIMITS,
  nodeReadinessProbes,
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

  it("the node's outbox probe reads no stored entry but the pending ones, once: 190 confirmed flows behind 10 waiting", async function () {
    const root = new MemoryLevel();
    await root.open();
    try {
      const db = root.sublevel("outbox", { valueEncoding: "json" });
      const written = new Outbox(db, { sync: false });
      const hash = (text: string) => keccak256(toUtf8Bytes(text));
      for (let i = 0; i < 200; i++)
        await written.enqueue({
          serial: `REPAY-${i}`,
          kind: "repay",
          args: { loanId: hash("a loan"), amount: 100n, voucher: hash(`voucher ${i}`) },
        });
      for (let i = 0; i < 190; i++)
        await written.update(`REPAY-${i}`, { state: "confirmed", txHash: hash(`tx ${i}`), blockNumber: 7 });
      // the node restarted: a new outbox over the same store
      const outbox = new Outbox(db, { sync: false });
      const reads = { walks: 0, entries: 0 };
      const entries = outbox.entries as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const walk of ["iterator", "keys", "values"]) {
        const original = entries[walk]!.bind(entries);
        entries[walk] = (...args) => {
          reads.walks++;
          return original(...args);
        };
      }
      const getMany = entries.getMany!.bind(entries);
      entries.getMany = (keys, ...rest) => {
        reads.entries += (keys as unknown[]).length;
        return getMany(keys, ...rest);
      };
      const get = entries.get!.bind(entries);
      entries.get = (...args) => {
        reads.entries++;
        return get(...args);
      };
      const probes = nodeReadinessProbes({
        provider: {
          send: async () => "0x7a69",
          getBlock: async () => ({ hash: GENESIS }) as never,
        },
        indexer: { status: () => ({ cursor: { blockNumber: 120 } as never, head: 125, lastError: null }) },
        outbox,
        anchorUrl: "http://127.0.0.1:1",
      });
      const readiness = createReadiness(
        { ...probes, anchorHealthy: async () => {} },
        { chainId: 31337n, genesisHash: GENESIS },
        { ...DEFAULT_READINESS_LIMITS, timeoutMs: 1_000 },
      );
      const first = await readiness.check();
      expect(first.detail.outbox).to.deep.equal({ ok: true, backlog: 10 });
      expect(first.ready, first.reasons.join("; ")).to.equal(true);
      // the first probe after a start loads the 10 waiting entries (the sender would have); the next reads nothing
      expect(reads).to.deep.equal({ walks: 0, entries: 10 });
      await readiness.check();
      await readiness.check();
      expect(reads).to.deep.equal({ walks: 0, entries: 10 });
    } finally {
      await root.close();
    }
  });
});
