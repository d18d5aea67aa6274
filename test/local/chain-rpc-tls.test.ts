// The chain's JSON-RPC under the services' CA setting (ANCHOR_TLS_CA_FILE, common/service/tls.ts):
// an anchor service whose chain endpoint is https (Anvil behind a TLS proxy) accepts the endpoint
// when the proxy's certificate comes from the configured CA, and refuses it when another CA issued
// it: not ready with the reason, intake answered 503 ANCHOR_ERR_CHAIN_UNAVAILABLE.
// The same for a provider of this process (common/chain/provider.ts).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { AnchorClient, type RecordInput } from "../../common/anchor/client.ts";
import { jsonRpcProvider } from "../../common/chain/provider.ts";
import { type DemoCa, createDemoCa, privateKeyPem } from "../../common/pki/demo-ca.ts";
import { trustOnly } from "../../common/service/tls.ts";
import { type AnchorProcess, startAnchorProcess } from "../support/anchor-process.ts";
import { freePort } from "../support/anvil.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

/** An HTTPS front for a plain-HTTP JSON-RPC endpoint, with a certificate for 127.0.0.1 from `ca`. */
async function tlsProxy(ca: DemoCa, upstream: string): Promise<{ url: string; server: Server }> {
  const issued = await ca.issueTlsCertificate(["127.0.0.1"]);
  const server = createServer(
    { cert: issued.certificatePem, key: await privateKeyPem(issued.privateKey) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        fetch(upstream, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: Buffer.concat(chunks),
        })
          .then(async (answer) =>
            res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text()),
          )
          .catch(() => res.writeHead(502).end());
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const record = (): RecordInput => ({
  kind: 1,
  digestAlgorithm: 1,
  digest: `0x${randomBytes(32).toString("hex")}`,
  salt: `0x${randomBytes(32).toString("hex")}`,
  subject: `0x${randomBytes(32).toString("hex")}`,
});

describe("chain JSON-RPC over HTTPS, verified against the configured CA", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let dir: string;
  let consortiumCa: DemoCa;
  let otherCa: DemoCa;
  let proxy: { url: string; server: Server };
  const files = { consortium: "", other: "" };
  let anchor: AnchorProcess | undefined;

  before(async function () {
    chain = await startConsortiumChain();
    dir = await mkdtemp(path.join(tmpdir(), "jl-rpc-tls-"));
    consortiumCa = await createDemoCa({ name: "JointLedger consortium TLS CA" });
    otherCa = await createDemoCa({ name: "Some other CA" });
    files.consortium = path.join(dir, "consortium-ca.pem");
    files.other = path.join(dir, "other-ca.pem");
    await writeFile(files.consortium, consortiumCa.certificatePem);
    await writeFile(files.other, otherCa.certificatePem);
    proxy = await tlsProxy(consortiumCa, chain.anvil.url);
  });

  afterEach(async function () {
    await anchor?.kill("SIGTERM");
    anchor = undefined;
  });

  after(async function () {
    proxy?.server.close();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function anchorWith(caFile: string, name: string): Promise<AnchorProcess> {
    const port = await freePort();
    return startAnchorProcess(chain.config({ dataDir: path.join(dir, name), port, rpcUrl: proxy.url }), {
      requireReady: false,
      env: { ANCHOR_TLS_CA_FILE: caFile },
    });
  }

  async function readiness(
    url: string,
    want: number,
    withinMs = 20_000,
  ): Promise<{ status: number; body: unknown }> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const response = await fetch(`${url}/readyz`);
      const answer = { status: response.status, body: await response.json() };
      if (answer.status === want || Date.now() > deadline) return answer;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("the anchor service reaches a chain whose certificate the configured CA issued: ready, intake signs receipts", async function () {
    anchor = await anchorWith(files.consortium, "accepted");
    const ready = await readiness(anchor.url, 200);
    expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
    expect(ready.body).to.deep.include({ ready: true });
    const [receipt] = await new AnchorClient(anchor.url, chain.wallets.branchA, MEMBERS.branchA).submit([
      record(),
    ]);
    expect(receipt!.leafHash).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("refuses a chain whose certificate another CA issued: not ready with the reason, intake 503 ANCHOR_ERR_CHAIN_UNAVAILABLE", async function () {
    anchor = await anchorWith(files.other, "refused");
    const answer = await readiness(anchor.url, 503);
    expect(answer.status).to.equal(503);
    const state = answer.body as { ready: boolean; chain: { kind: string; error?: string } };
    expect(state.ready).to.equal(false);
    expect(state.chain.kind, JSON.stringify(state)).to.be.oneOf(["unknown", "unavailable"]);
    const body = JSON.stringify({ records: [record()] });
    const refused = await fetch(`${anchor.url}/v1/leaves`, {
      method: "POST",
      body,
      headers: { ...(await chain.sign(chain.wallets.branchA, body)), "content-type": "application/json" },
    });
    expect(refused.status).to.equal(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal(
      "ANCHOR_ERR_CHAIN_UNAVAILABLE",
    );
    // still refused after the service's own retries: the chain is never trusted through another CA
    const later = await readiness(anchor.url, 200, 4_000);
    expect(later.status).to.equal(503);
    expect((later.body as { chain: { kind: string; error?: string } }).chain.error ?? "").to.match(
      /certificate|self.signed|issuer/i,
    );
  });

  // the chain id given: a refused endpoint fails the call instead of ethers retrying network detection
  const quick = { chainId: 31337, timeoutMs: 2_000 };

  it("a provider of this process: a CA given to it, or set for the whole process, decides", async function () {
    const trusting = jsonRpcProvider(proxy.url, { ca: consortiumCa.certificatePem, ...quick });
    const distrusting = jsonRpcProvider(proxy.url, { ca: otherCa.certificatePem, ...quick });
    try {
      expect(await trusting.getBlockNumber()).to.be.a("number");
      const refused = await distrusting.getBlockNumber().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(String(refused?.message)).to.match(/certificate|self.signed|issuer/i);
    } finally {
      trusting.destroy();
      distrusting.destroy();
    }
    // process-wide (what ANCHOR_/NODE_TLS_CA_FILE do in the services), for providers made anywhere
    for (const [ca, accepted] of [
      [consortiumCa.certificatePem, true],
      [otherCa.certificatePem, false],
    ] as const) {
      const restore = trustOnly(ca);
      const provider = jsonRpcProvider(proxy.url, quick);
      try {
        const answered = await provider.getBlockNumber().then(
          () => true,
          () => false,
        );
        expect(answered, `accepted with ${accepted ? "the consortium's CA" : "another CA"}`).to.equal(
          accepted,
        );
      } finally {
        provider.destroy();
        restore();
      }
    }
  });
});
