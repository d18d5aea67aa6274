// Crash safety: the service runs as a child process with a real LevelDB directory; clients
// submit concurrently; the process is killed with SIGKILL mid-submission and restarted. Every
// receipt a client received must be present after the restart, anchored exactly once, and
// verify; no leaf may appear twice; re-submitting returns the original receipts; the
// document-digest index, written in the same batches, holds exactly the stored records.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../common/formats/receipt/receipts.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import type { Config } from "../../anchor-service/src/config.ts";
import { openDb } from "../../anchor-service/src/store/db.ts";
import { digestKey } from "../../anchor-service/src/store/keys.ts";
import { RecordStore } from "../../anchor-service/src/store/records.ts";
import { startAnchorProcess as startServer } from "../support/anchor-process.ts";
import { freePort } from "../support/anvil.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

describe("anchor service: SIGKILL mid-submission loses nothing", function () {
  this.timeout(180_000);
  let chain: ConsortiumChain;
  let dataDir: string;
  let config: Config;

  before(async function () {
    chain = await startConsortiumChain();
    dataDir = await mkdtemp(join(tmpdir(), "anchor-crash-"));
    config = chain.config({ dataDir, port: await freePort(), commitIntervalMs: 300 });
  });

  after(async function () {
    await chain?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps every receipted record, anchors each once, and re-issues the same receipts", async function () {
    let server = await startServer(config);
    const clients = 6;
    const perRequest = 200;
    const attempted: Array<Array<ReturnType<typeof recordFor>>> = [];
    const received = new Map<string, Receipt>();
    let stop = false;
    let failures = 0;

    async function client(c: number): Promise<void> {
      for (let i = 0; !stop; i++) {
        const records = Array.from({ length: perRequest }, (_, j) =>
          recordFor(`client ${c} request ${i} record ${j}`),
        );
        attempted.push(records);
        const body = JSON.stringify({ records });
        try {
          const response = await fetch(`${server.url}/v1/leaves`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(await chain.sign(chain.wallets.branchA, body)),
            },
            body,
          });
          if (response.status !== 200) {
            failures++;
            continue;
          }
          for (const r of ((await response.json()) as { receipts: Receipt[] }).receipts)
            received.set(r.leafHash, r);
        } catch {
          failures++; // the connection died with the server
        }
      }
    }

    const running = Array.from({ length: clients }, (_, c) => client(c));
    while (received.size < 3000) await new Promise((r) => setTimeout(r, 20));
    server.process.kill("SIGKILL");
    await server.exited;
    stop = true;
    await Promise.all(running);
    expect(failures, "some requests were cut off by the kill").to.be.greaterThan(0);
    const receiptsBeforeCrash = new Map(received);

    // restart on the same data directory
    server = await startServer(config);
    try {
      // every receipt a client got is there, and is anchored after the next rounds
      const domain = receiptDomain(chain.chainId, config.evidenceLog);
      const sample = [...receiptsBeforeCrash.values()];
      const deadline = Date.now() + 30_000;
      for (;;) {
        const last = await fetch(`${server.url}/v1/leaves/${sample[sample.length - 1]!.leafHash}`);
        if (last.ok && ((await last.json()) as { status: string }).status === "anchored") break;
        if (Date.now() > deadline) throw new Error("not anchored after restart");
        await new Promise((r) => setTimeout(r, 200));
      }
      const trustAnchor = await readTrustAnchor(chain.anvil.provider, {
        consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
        name: "test consortium",
      });
      for (const receipt of sample.filter((_, i) => i % 97 === 0)) {
        expect(verifyReceipt(domain, receipt, chain.wallets.anchor.address)).to.deep.equal({ ok: true });
        const view = await fetch(`${server.url}/v1/leaves/${receipt.leafHash}`);
        expect(view.status).to.equal(200);
        const body = (await view.json()) as { status: string; sequence: number };
        expect(body.status).to.equal("anchored");
        expect(body.sequence).to.equal(receipt.sequence);
        const bundle = parseBundle(
          await (await fetch(`${server.url}/v1/bundles/${receipt.leafHash}`)).json(),
        );
        expect(
          overall(await verifyOnline(bundle, { trustAnchor, providers: [chain.anvil.provider] })),
        ).to.equal("pass");
      }

      // re-submitting everything attempted returns the original receipts for what was receipted
      for (const records of attempted.slice(0, 40)) {
        const body = JSON.stringify({ records });
        const response = await fetch(`${server.url}/v1/leaves`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(await chain.sign(chain.wallets.branchA, body)) },
          body,
        });
        expect(response.status).to.equal(200);
        for (const r of ((await response.json()) as { receipts: Receipt[] }).receipts) {
          const original = receiptsBeforeCrash.get(r.leafHash);
          if (original !== undefined) expect(r).to.deep.equal(original);
        }
      }
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }

    // no leaf twice, sequence numbers dense, every receipted leaf stored at its receipt's sequence
    const db = await openDb(dataDir);
    try {
      const records = new RecordStore(db);
      const count = await records.count();
      const hashes = await records.leafHashes(0, count);
      const unique = new Set(hashes.map((h) => Buffer.from(h).toString("hex")));
      expect(unique.size, "no leaf appears twice").to.equal(count);
      for (const receipt of receiptsBeforeCrash.values()) {
        expect(Buffer.from(hashes[receipt.sequence]!).toString("hex")).to.equal(receipt.leafHash.slice(2));
      }
      // the document-digest index has exactly one entry per record, each the record's own
      let digestKeys = 0;
      for await (const _ of db.digests.keys()) digestKeys++;
      expect(digestKeys, "one digest index entry per record").to.equal(count);
      const stored = await records.packedMany(Array.from({ length: count }, (_, seq) => seq));
      const entries = await db.digests.getMany(
        stored.map((value, seq) => digestKey(value!.subarray(2, 34), seq)),
      );
      expect(entries.filter((e) => e === undefined).length, "every record is in the digest index").to.equal(
        0,
      );
      const heads = [];
      for await (const head of db.heads.values()) heads.push(head);
      expect(heads.length).to.be.greaterThan(0);
      expect(heads.every((h) => h.lost === undefined)).to.equal(true);
    } finally {
      await db.root.close();
    }
  });
});
