// A bundle is only built for a head the chain holds now, and its pieces come from memory where they
// can: the leaf view says what a bundle would carry (so a client polls it and fetches the bundle
// once); the latest block is read once for the requests waiting together; a head's confirmation is
// kept per block hash, never per block number, so a chain rewound and mined back to the same
// height is asked again. (Receipt batches kept from the intake: receipt-reissue.test.ts.)
import { expect } from "chai";
import type { JsonRpcPayload } from "ethers";
import type { EvidenceLogClient } from "../../anchor-service/src/chain/evidence-log-client.ts";
import { ChainNow } from "../../anchor-service/src/evidence/chain-now.ts";
import { LeafResponse } from "../../anchor-service/src/schemas/leaves.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";

describe("anchor service: bundles for the chain as it is now", function () {
  this.timeout(120_000);
  // the test decides when rounds run
  const suite = anchorServiceSuite({ onDisk: "anchor-now-" });

  async function submit(documents: string[]): Promise<string[]> {
    const res = await suite.postLeaves(JSON.stringify({ records: documents.map((d) => recordFor(d)) }));
    expect(res.statusCode, res.body).to.equal(200);
    return (res.json() as { receipts: { leafHash: string }[] }).receipts.map((r) => r.leafHash);
  }
  const get = (url: string) => suite.service.app.inject({ method: "GET", url });

  /**
   * Counts the service's JSON-RPC calls by method (eth_call by selector) while `run` runs, and the
   * HTTP requests that carried them (a batch is one request).
   */
  async function countingRpc<T>(
    run: () => Promise<T>,
  ): Promise<{ result: T; calls: Map<string, number>; requests: Map<string, number> }> {
    const provider = suite.service.chain.provider;
    const send = provider._send.bind(provider);
    const calls = new Map<string, number>();
    const requests = new Map<string, number>();
    const add = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
    provider._send = (payload: JsonRpcPayload | JsonRpcPayload[]) => {
      const keys = (Array.isArray(payload) ? payload : [payload]).map((p) =>
        p.method === "eth_call"
          ? `eth_call ${(p.params as [{ data: string }])[0].data.slice(0, 10)}`
          : p.method,
      );
      for (const key of keys) add(calls, key);
      for (const key of new Set(keys)) add(requests, key);
      return send(payload);
    };
    try {
      return { result: await run(), calls, requests };
    } finally {
      provider._send = send;
    }
  }

  it("the leaf view says what the bundle carries; the bundle then carries exactly that", async function () {
    const [leaf] = await submit([`readiness ${Math.random()}`]);
    const pending = (await get(`/v1/leaves/${leaf}`)).json() as Record<string, unknown>;
    expect(pending.status).to.equal("pending");
    expect(pending).not.to.have.property("bundle");

    await suite.service.committer.runOnce();
    await suite.service.c2sp.settled();
    const view = LeafResponse.parse((await get(`/v1/leaves/${leaf}`)).json());
    expect(view.status).to.equal("anchored");
    // no TSA configured: never time-stamped; the checkpoint needs no witness here (quorum none)
    expect(view.bundle).to.deep.equal({ witnessed: true, trustedTime: false });
    const bundle = parseBundle((await get(`/v1/bundles/${leaf}`)).json());
    expect(bundle.witnessed !== undefined).to.equal(view.bundle!.witnessed);
    expect(bundle.trustedTime !== undefined).to.equal(view.bundle!.trustedTime);
  });

  it("bundles asked for together read the latest block once and the head once; their statuses go in one batch", async function () {
    const leaves = await submit(Array.from({ length: 6 }, (_, i) => `together ${i} ${Math.random()}`));
    await suite.service.committer.runOnce();
    const { result, calls, requests } = await countingRpc(() =>
      Promise.all(leaves.map((leaf) => get(`/v1/bundles/${leaf}`))),
    );
    for (const res of result) expect(res.statusCode, res.body).to.equal(200);
    const iface = suite.service.chain;
    const head = `eth_call ${iface.log.interface.getFunction("head")!.selector}`;
    const status = `eth_call ${iface.evidenceRegistry.interface.getFunction("status")!.selector}`;
    // the first asks alone; the five arriving while it is out share the next question
    expect(calls.get("eth_getBlockByNumber")).to.be.within(1, 2);
    expect(calls.get(head)).to.be.within(1, 2);
    expect(calls.get(status)).to.equal(6);
    expect(requests.get(status)).to.be.within(1, 2); // sent together as one JSON-RPC batch
    const blocks = new Set(result.map((r) => parseBundle(r.json()).status.checkedAtBlock));
    expect(blocks.size).to.be.within(1, 2);
  });

  it("a chain rewound and mined back to the same height is asked again: the lost head is not served", async function () {
    const provider = suite.chain.anvil.provider;
    await submit([`before the rewind ${Math.random()}`]);
    await suite.service.committer.runOnce();
    const snapshot = (await provider.send("evm_snapshot", [])) as string;
    const [leaf] = await submit([`lost in the rewind ${Math.random()}`]);
    await suite.service.committer.runOnce();
    const served = await get(`/v1/bundles/${leaf}`);
    expect(served.statusCode, served.body).to.equal(200);
    const height = parseBundle(served.json()).status.checkedAtBlock;

    expect(await provider.send("evm_revert", [snapshot])).to.equal(true);
    const below = Number(await provider.send("eth_blockNumber", []));
    expect(below).to.be.below(height);
    for (let b = below; b < height; b++) await provider.send("evm_mine", []);
    expect(Number(await provider.send("eth_blockNumber", []))).to.equal(height);

    // same block number as the confirmation above, another block: the head is gone from it
    const refused = await get(`/v1/bundles/${leaf}`);
    expect(refused.statusCode, refused.body).to.equal(503);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_CHAIN_UNAVAILABLE",
    );

    // committed again, it is served from the chain as it is now
    await suite.service.committer.runOnce();
    const again = await get(`/v1/bundles/${leaf}`);
    expect(again.statusCode, again.body).to.equal(200);
    expect(parseBundle(again.json()).recommits).to.have.length(1);
  });
});

describe("anchor ChainNow: the latest block comes from a question asked after the request", function () {
  it("a request arriving while a question is out waits for the next one, shared with the others arriving meanwhile", async function () {
    const answers: Array<(block: { number: string; hash: string }) => void> = [];
    const provider = {
      send: (method: string) => {
        expect(method).to.equal("eth_getBlockByNumber");
        return new Promise((resolve) => answers.push(resolve));
      },
    };
    const now = new ChainNow({ provider } as unknown as EvidenceLogClient);
    const block = (n: number) => ({
      number: `0x${n.toString(16)}`,
      hash: `0x${n.toString(16).padStart(64, "0")}`,
    });
    const first = now.latest();
    const second = now.latest(); // asked while the first question is out
    const third = now.latest();
    expect(answers).to.have.length(1);
    answers[0]!(block(10));
    expect((await first).number).to.equal(10);
    // the second question went out only after the first was answered
    while (answers.length < 2) await new Promise((r) => setImmediate(r));
    answers[1]!(block(11));
    expect((await second).number).to.equal(11);
    expect((await third).number).to.equal(11);
    expect(answers).to.have.length(2);
  });
});
