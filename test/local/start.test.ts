// `npm start`'s local consortium with real processes: Anvil with its state in a temporary data
// directory, the anchor service and five institution nodes as child processes on ephemeral
// ports, over HTTPS from the consortium's local CA (as `npm start` runs it). Started, a record
// anchored with a member key from the data directory (its receipt and checkpoint SM2-signed too),
// stopped, started again: the same contracts (no redeploy) and certificates, the bundle still
// verifies against the chain, every node ready; one node killed and restarted; a taken port and a
// data directory in use refused.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Agent, fetch as undiciFetch } from "undici";
import { createDemoCa } from "../../common/pki/demo-ca.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import { toHex } from "../../common/bytes.ts";
import { AnchorClient, AnchorClientError } from "../../common/anchor/client.ts";
import { CONSORTIUM_REGISTRY_ABI } from "../../common/chain/generated/abis.ts";
import { parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import {
  TRUST_ANCHOR_PATH,
  loadTrustAnchor,
  trustAnchorFingerprint,
} from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { guardStateFile, stateFile } from "../../scripts/ops/local/chain.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { LocalConsortiumError } from "../../scripts/ops/local/errors.ts";
import { NODE_NAMES, readManifest, type ConsortiumManifest } from "../../scripts/ops/local/manifest.ts";
import { DEMO_MEMBERS } from "../../scripts/ops/local/deployment.ts";
import { trustConsortium } from "../../scripts/ops/local/tls.ts";

const EPHEMERAL = { chain: 0, anchor: 0, nodes: { union: 0, branchA: 0, branchB: 0, platform: 0, court: 0 } };

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { headers });
  await response.body?.cancel();
  return response.status;
}

/**
 * The status `url` settles on: polled until it answers `want` or `withinMs` passes (then the last
 * answer). A node's /readyz is 503 until its indexer has synced again after a chain outage.
 */
async function settledStatus(url: string, want: number, withinMs = 30_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await status(url);
    if (answer === want || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function rpcProvider(url: string): JsonRpcProvider {
  return new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
}

/** A keystore from the data directory, decrypted with the generated password. */
async function memberWallet(dataDir: string, name: string): Promise<Wallet> {
  const password = (await readFile(path.join(dataDir, "keys", ".password"), "utf8")).trim();
  return (await Wallet.fromEncryptedJson(
    await readFile(path.join(dataDir, "keys", `${name}.json`), "utf8"),
    password,
  )) as Wallet;
}

/** The leaf's bundle once its head is on chain (the committer runs every second) and the service has its chain. */
async function anchoredBundle(client: AnchorClient, leafHash: string): Promise<EvidenceBundle> {
  for (let attempt = 0; ; attempt++) {
    try {
      return parseBundle(await client.bundle(leafHash));
    } catch (error) {
      const retryable =
        error instanceof AnchorClientError &&
        (error.code === "ANCHOR_CLIENT_NOT_ANCHORED" || error.serviceCode === "ANCHOR_ERR_CHAIN_UNAVAILABLE");
      if (!retryable || attempt > 300) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The leaf's bundle once the demo TSA has stamped its head too. */
async function stampedBundle(client: AnchorClient, leafHash: string): Promise<EvidenceBundle> {
  for (let attempt = 0; ; attempt++) {
    const bundle = await anchoredBundle(client, leafHash);
    if (bundle.trustedTime !== undefined || attempt > 100) return bundle;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The anchor service's published checkpoint, once both witnesses have cosigned one. */
async function publishedCheckpoint(anchorUrl: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${anchorUrl}/checkpoint`);
    if (response.status === 200 || attempt > 100) return response.text();
    await response.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("local chain state file", function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "jl-state-"));
    await mkdir(path.join(dir, "chain"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });
  const block = (number: number, timestamp: number) => ({
    header: { number: `0x${number.toString(16)}`, timestamp: `0x${timestamp.toString(16)}` },
  });

  it("keeps only the original genesis of a dump that holds several block 0s, and reports its time", async function () {
    await writeFile(
      stateFile(dir),
      JSON.stringify({ blocks: [block(0, 2000), block(1, 1001), block(0, 1000), block(0, 3000)] }),
    );
    const result = await guardStateFile(dir);
    expect(result).to.deep.equal({ state: "loaded", genesisTimestamp: 1000 });
    const kept = JSON.parse(await readFile(stateFile(dir), "utf8")) as { blocks: unknown[] };
    expect(kept.blocks).to.deep.equal([block(1, 1001), block(0, 1000)]);
  });

  it("puts the previous dump back when the state file is damaged, and starts fresh without one", async function () {
    expect(await guardStateFile(dir)).to.deep.equal({ state: "fresh", genesisTimestamp: undefined });
    await writeFile(stateFile(dir), JSON.stringify({ blocks: [block(0, 1000)] }));
    await guardStateFile(dir);
    await writeFile(stateFile(dir), '{"blocks": [{"hea');
    expect(await guardStateFile(dir)).to.deep.equal({ state: "restored-previous", genesisTimestamp: 1000 });
    expect(
      (await readdir(path.join(dir, "chain"))).some((f) => f.startsWith("state.json.damaged-")),
    ).to.equal(true);
  });
});

describe("npm start: the local consortium (real processes, persistent data directory)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let consortium: LocalConsortium | undefined;
  let first: ConsortiumManifest;
  const lines: string[] = [];
  const document = `loan contract ${randomBytes(8).toString("hex")}`;
  const documentDigest = `0x${createHash("sha256").update(document).digest("hex")}`;
  let leafHash: string;
  // this process's fetch and JSON-RPC trust the consortium's CA alone, as a script of npm start's does
  let untrust = () => {};
  /** Everything in <data>/tls, by file name. */
  const tlsFiles = async () =>
    Object.fromEntries(
      await Promise.all(
        (await readdir(path.join(dataDir, "tls"))).map(
          async (f) => [f, await readFile(path.join(dataDir, "tls", f), "utf8")] as const,
        ),
      ),
    );

  before(async function () {
    dataDir = await mkdtemp(path.join(tmpdir(), "jl-local-"));
  });

  after(async function () {
    await consortium?.stop();
    untrust();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts the chain, the anchor service and five nodes, every one ready, with a complete manifest", async function () {
    consortium = await startLocalConsortium({
      dataDir,
      ports: EPHEMERAL,
      tls: true,
      log: (line) => lines.push(line),
    });
    untrust = await trustConsortium(consortium.manifest);
    first = await readManifest(dataDir);
    expect(first).to.deep.equal(consortium.manifest);
    expect(first.dataDir).to.equal(path.resolve(dataDir));
    expect(first.chain.local).to.equal(true);
    expect(first.chain.chainId).to.equal(31337);
    expect(first.anchor.verifyPageUrl).to.equal(`${first.anchor.url}/verify`);
    expect(first.anchor.docsUrl).to.equal(`${first.anchor.url}/docs`);
    expect(first.governance.signers).to.have.length(2);

    const provider = rpcProvider(first.chain.rpcUrl);
    try {
      expect((await provider.getBlock(0))!.hash).to.equal(first.chain.genesisHash);
      for (const [field, hash] of Object.entries(first.contracts.codeHashes)) {
        const address = (first.contracts as unknown as Record<string, string>)[field]!;
        expect(keccak256(await provider.getCode(address)), field).to.equal(hash);
      }
      const registry = new Contract(first.contracts.consortiumRegistry, CONSORTIUM_REGISTRY_ABI, provider);
      const ledger = new Contract(
        first.contracts.jointLoanLedger,
        ["function isWhitelisted(uint32 branch, bytes32 accountHash) view returns (bool)"],
        provider,
      );
      for (const name of NODE_NAMES) {
        const node = first.nodes[name];
        // each node's key is its member's operations key (role 1)
        const [memberId, memberStatus, role] = (await registry.getFunction("accountOf")(node.account)) as [
          bigint,
          bigint,
          bigint,
        ];
        expect([Number(memberId), Number(memberStatus), Number(role)], name).to.deep.equal([
          node.memberId,
          1,
          1,
        ]);
        const [, , region] = (await registry.getFunction("profileOf")(node.memberId)) as [
          bigint,
          bigint,
          bigint,
        ];
        expect(Number(region), name).to.equal(node.regionCode);
      }
      // one key per role: the governance signers are the union's and branch A's governance keys (role 3)
      for (const [i, key] of first.governance.signers.entries()) {
        const [memberId, , role] = (await registry.getFunction("accountOf")(new Wallet(key).address)) as [
          bigint,
          bigint,
          bigint,
        ];
        expect([Number(memberId), Number(role)], `governance signer ${i}`).to.deep.equal([
          [first.nodes.union.memberId, first.nodes.branchA.memberId][i],
          3,
        ]);
      }
      expect(first.nodes.branchA.regionCode).to.equal(110105);
      // each member's anchor intake quota is set by governance at first deployment, not left to the service's defaults
      const parameter = (name: string) =>
        registry.getFunction("parameter")(keccak256(toUtf8Bytes(name))) as Promise<bigint>;
      expect(await parameter("anchor.intake.recordsPerSecond")).to.equal(10_000n);
      expect(await parameter("anchor.intake.recordsPerDay")).to.equal(5_000_000n);
      expect(lines.join("\n")).to.contain(
        "anchor intake quotas per member (governed ConsortiumRegistry parameters): 10,000 records/s, 5,000,000 records/day",
      );
      // each funder disburses only from its own settlement accounts: the platform's are whitelisted
      // for the platform, never for a branch
      for (const funder of ["branchA", "branchB", "platform"] as const) {
        for (const account of first.nodes[funder].settlementAccounts) {
          expect(
            await ledger.getFunction("isWhitelisted")(first.nodes[funder].memberId, account),
            `${funder} ${account}`,
          ).to.equal(true);
        }
      }
      for (const branch of ["branchA", "branchB"] as const) {
        for (const account of first.nodes.platform.settlementAccounts) {
          expect(
            await ledger.getFunction("isWhitelisted")(first.nodes[branch].memberId, account),
            `${branch} ${account}`,
          ).to.equal(false);
        }
      }
    } finally {
      provider.destroy();
    }

    expect(await status(`${first.anchor.url}/readyz`)).to.equal(200);
    const info = (await (await fetch(`${first.anchor.url}/v1/info`)).json()) as {
      logId: string;
      chainId: string;
    };
    expect(info.logId).to.equal(first.anchor.logId);
    expect(info.chainId).to.equal("31337");
    // the trust anchor a court takes from data/: the chain's, and the one the anchor service publishes
    expect(first.trustAnchor.file).to.equal(path.join(path.resolve(dataDir), "trust-anchor.json"));
    const kept = await loadTrustAnchor(first.trustAnchor.file);
    expect(trustAnchorFingerprint(kept)).to.equal(first.trustAnchor.fingerprint);
    expect(kept).to.deep.include({
      chainId: "31337",
      genesisHash: first.chain.genesisHash.toLowerCase(),
      consortiumRegistry: first.contracts.consortiumRegistry.toLowerCase(),
    });
    expect(trustAnchorFingerprint(await loadTrustAnchor(`${first.anchor.url}${TRUST_ANCHOR_PATH}`))).to.equal(
      first.trustAnchor.fingerprint,
    );
    expect(lines.join("\n")).to.contain(
      `trust anchor: ${first.trustAnchor.file} (fingerprint ${first.trustAnchor.fingerprint})`,
    );
    for (const name of NODE_NAMES) {
      const node = first.nodes[name];
      expect(await status(`${node.url}/readyz`), name).to.equal(200);
      expect(Object.keys(node.tokens).sort(), name).to.deep.equal(
        name === "court" ? ["admin", "approver", "clerk", "court-clerk"] : ["admin", "approver", "clerk"],
      );
      expect(
        await status(`${node.url}/v1/loans`, { authorization: `Bearer ${node.tokens.clerk}` }),
        name,
      ).to.equal(200);
      expect(await status(`${node.url}/v1/loans`, { authorization: "Bearer not-a-token" }), name).to.equal(
        401,
      );
    }
  });

  it("serves the anchor service, the five nodes and the demo TSA over HTTPS, verified by the local CA alone", async function () {
    const caFile = path.join(path.resolve(dataDir), "tls", "demo-root-ca.pem");
    expect(first.tls).to.deep.equal({ caFile });
    const tsaUrl = /TSA: demo RFC 3161 time-stamping authority \(演示用\) on (\S+),/.exec(
      lines.join("\n"),
    )?.[1];
    expect(tsaUrl, "the TSA's URL in the log").to.match(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const services = [
      ["anchor", `${first.anchor.url}/readyz`],
      ...NODE_NAMES.map((n) => [n, `${first.nodes[n].url}/readyz`] as const),
      ["tsa", tsaUrl!],
    ] as const;
    const ca = await readFile(caFile, "utf8");
    const trusting = new Agent({ connect: { ca } });
    const otherCa = new Agent({
      connect: { ca: (await createDemoCa({ name: "Another CA" })).certificatePem },
    });
    const publicRoots = new Agent();
    const refusal = (url: string, dispatcher?: Agent) =>
      undiciFetch(url, dispatcher === undefined ? {} : { dispatcher }).then(
        async (r) => (await r.body?.cancel(), `answered ${r.status}`),
        (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
      );
    try {
      for (const [name, url] of services) {
        expect(url, name).to.match(/^https:/);
        // the TSA answers a GET with 405 (POST a time-stamp query): the handshake succeeded
        const answer = await undiciFetch(url, { dispatcher: trusting });
        await answer.body?.cancel();
        expect(answer.status, name).to.equal(name === "tsa" ? 405 : 200);
        expect(await refusal(url, otherCa), `${name}, a client trusting another CA`).to.match(
          /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/,
        );
        expect(await refusal(url, publicRoots), `${name}, a client trusting the public roots`).to.match(
          /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/,
        );
        expect(await refusal(url.replace(/^https:/, "http:")), `${name}, plain HTTP`).to.not.match(
          /^answered [23]\d\d$/,
        );
      }
    } finally {
      await Promise.all([trusting.close(), otherCa.close(), publicRoots.close()]);
    }
    // the services trust the CA among themselves: each node reads the anchor and its peers over HTTPS
    // (ready above), the anchor reached both witnesses and the TSA (the checkpoint and stamps below)
    expect((await stat(path.join(dataDir, "tls"))).mode & 0o777).to.equal(0o700);
    for (const file of await readdir(path.join(dataDir, "tls")))
      if (file.endsWith(".key"))
        expect((await stat(path.join(dataDir, "tls", file))).mode & 0o777, file).to.equal(0o600);
    expect(lines.join("\n")).to.contain(`certificates from the local CA ${caFile} (演示用; created`);
  });

  it("keeps every secret in the data directory, readable by its owner only, and out of the logs", async function () {
    expect((await stat(path.join(dataDir, "consortium.json"))).mode & 0o777).to.equal(0o600);
    expect((await stat(path.join(dataDir, "keys"))).mode & 0o777).to.equal(0o700);
    const keyFiles = await readdir(path.join(dataDir, "keys"));
    expect(keyFiles).to.include.members([
      ".password",
      "consortium.key",
      "union.json",
      "union-anchor.json",
      "court.master.key",
    ]);
    for (const file of keyFiles)
      expect((await stat(path.join(dataDir, "keys", file))).mode & 0o777, file).to.equal(0o600);
    const secrets: string[] = [(await readFile(path.join(dataDir, "keys", "consortium.key"), "utf8")).trim()];
    for (const file of keyFiles.filter((f) => f.endsWith(".json"))) {
      const keystore = await readFile(path.join(dataDir, "keys", file), "utf8");
      const wallet = await memberWallet(dataDir, file.replace(/\.json$/, ""));
      expect(keystore.toLowerCase()).to.not.contain(wallet.privateKey.slice(2).toLowerCase());
      secrets.push(wallet.privateKey.slice(2));
    }
    for (const node of NODE_NAMES)
      for (const token of Object.values(first.nodes[node].tokens)) secrets.push(token);
    for (const log of await readdir(path.join(dataDir, "logs"))) {
      const text = (await readFile(path.join(dataDir, "logs", log), "utf8")).toLowerCase();
      for (const secret of secrets)
        expect(text.includes(secret.toLowerCase()), `a secret in logs/${log}`).to.equal(false);
    }
  });

  it("anchors a record through the anchor service with a member key from the data directory", async function () {
    const client = new AnchorClient(
      first.anchor.url,
      await memberWallet(dataDir, "branchB"),
      DEMO_MEMBERS.branchB.memberId,
    );
    const [receipt] = await client.submit([
      {
        kind: 1,
        digestAlgorithm: 1,
        digest: documentDigest,
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: `0x${randomBytes(32).toString("hex")}`,
      },
    ]);
    leafHash = receipt!.leafHash;
    // 国密: the receipt is SM2-signed too, under the key the anchor service publishes
    const info = (await (await fetch(`${first.anchor.url}/v1/info`)).json()) as {
      receiptSm2PublicKey?: string;
    };
    expect(info.receiptSm2PublicKey).to.match(/^0x04[0-9a-f]{128}$/);
    expect(receipt!.batch.sm2?.publicKey).to.equal(info.receiptSm2PublicKey);
    const bundle = await anchoredBundle(client, leafHash);
    const provider = rpcProvider(first.chain.rpcUrl);
    try {
      const trustAnchor = await loadTrustAnchor(first.trustAnchor.file);
      const results = await verifyOnline(bundle, {
        trustAnchor,
        providers: [provider],
        documentDigest,
        receiptSm2Key: info.receiptSm2PublicKey!,
      });
      expect(overall(results), JSON.stringify(results)).to.equal("pass");
      // under another SM2 key the receipt's SM2 signature does not verify
      const otherKey = toHex(sm2.generateKeyPair().publicKey);
      const wrong = await verifyOnline(bundle, {
        trustAnchor,
        providers: [provider],
        documentDigest,
        receiptSm2Key: otherKey,
      });
      expect(wrong.find((r) => r.id === "blockAndTime")!.outcome, JSON.stringify(wrong)).to.equal("fail");
      // the checkpoint carries the log's signature twice, Ed25519 and SM2 (signed-note type 0xff)
      const checkpoint = await publishedCheckpoint(first.anchor.url);
      const origin = checkpoint.split("\n")[0]!;
      const logSignatures = checkpoint.split("\n").filter((line) => line.startsWith(`— ${origin} `));
      expect(logSignatures, checkpoint).to.have.length(2);
      // later blocks: after the reload, the anchoring block is history, not the chain's head
      await provider.send("anvil_mine", ["0x3"]);
    } finally {
      provider.destroy();
    }
  });

  it("stops cleanly and resumes on a second start: same contracts, the bundle still verifies, every node ready", async function () {
    await consortium!.stop();
    consortium = undefined;
    expect(
      await stat(path.join(dataDir, "launcher.lock")).then(
        () => true,
        () => false,
      ),
    ).to.equal(false);
    expect(await stat(path.join(dataDir, "chain", "state.json")).then((s) => s.size > 0)).to.equal(true);
    let refused = false;
    await fetch(`${first.anchor.url}/readyz`).catch(() => (refused = true));
    expect(refused, "the anchor service still answers after stop()").to.equal(true);

    const from = lines.length;
    const certificates = await tlsFiles();
    consortium = await startLocalConsortium({
      dataDir,
      ports: EPHEMERAL,
      tls: true,
      log: (line) => lines.push(line),
    });
    const second = consortium.manifest;
    const said = lines.slice(from).join("\n");
    expect(said).to.contain("reusing the deployment");
    expect(said).to.not.contain("REDEPLOYING");
    // the CA and every certificate made once, kept in the data directory like the keys
    expect(said).to.match(
      /TLS: every service over HTTPS, certificates from the local CA \S+ \(演示用; reused\)/,
    );
    expect(await tlsFiles(), "certificates and keys reused, not issued again").to.deep.equal(certificates);
    expect(second.tls).to.deep.equal(first.tls);
    expect(said, "the quotas are read from the chain on a reused deployment").to.contain(
      "10,000 records/s, 5,000,000 records/day",
    );
    expect(second.contracts).to.deep.equal(first.contracts);
    expect(second.chain.genesisHash).to.equal(first.chain.genesisHash);
    for (const name of NODE_NAMES) {
      expect(second.nodes[name].tokens, name).to.deep.equal(first.nodes[name].tokens);
      expect(second.nodes[name].account, name).to.equal(first.nodes[name].account);
      expect(await status(`${second.nodes[name].url}/readyz`), name).to.equal(200);
    }

    const client = new AnchorClient(
      second.anchor.url,
      await memberWallet(dataDir, "branchB"),
      DEMO_MEMBERS.branchB.memberId,
    );
    const bundle = await anchoredBundle(client, leafHash);
    const provider = rpcProvider(second.chain.rpcUrl);
    try {
      const trustAnchor = await loadTrustAnchor(second.trustAnchor.file);
      expect(trustAnchorFingerprint(trustAnchor), "the same trust anchor after a restart").to.equal(
        first.trustAnchor.fingerprint,
      );
      const results = await verifyOnline(bundle, { trustAnchor, providers: [provider], documentDigest });
      expect(overall(results), JSON.stringify(results)).to.equal("pass");
      // the demo TSA stamped the head; its root, kept in <data>/tsa across restarts, verifies the token
      const tsaTrustAnchors = await loadTrustAnchors([path.join(dataDir, "tsa", "demo-root-ca.pem")]);
      const timed = await verifyOnline(await stampedBundle(client, leafHash), {
        trustAnchor,
        providers: [provider],
        documentDigest,
        trustedTime: { tsaTrustAnchors },
      });
      expect(timed.find((r) => r.id === "trustedTime")!.outcome, JSON.stringify(timed)).to.equal("pass");
      // membership at the anchoring block, after the reload: the registry's checkpoints, no historical state
      expect(results.find((r) => r.id === "submitterMembership")!.outcome, JSON.stringify(results)).to.equal(
        "pass",
      );
    } finally {
      provider.destroy();
    }
  });

  it("kills one node and restarts it with the same configuration", async function () {
    const branchB = consortium!.manifest.nodes.branchB;
    await consortium!.kill("branchB");
    let refused = false;
    await fetch(`${branchB.url}/readyz`).catch(() => (refused = true));
    expect(refused, "branch B still answers after kill()").to.equal(true);
    await consortium!.restart("branchB");
    expect(await status(`${branchB.url}/readyz`)).to.equal(200);
    expect(
      await status(`${branchB.url}/v1/loans`, { authorization: `Bearer ${branchB.tokens.clerk}` }),
    ).to.equal(200);
    const starts =
      (await readFile(consortium!.logFile("branchB"), "utf8")).match(/launcher: starting branchB/g) ?? [];
    expect(starts).to.have.length(3);
  });

  it("restarts the chain: same genesis, one genesis block in the state file, the services reconnect", async function () {
    const m = consortium!.manifest;
    // Ctrl-C makes Anvil dump; this run started from a dump, and its own genesis must be the original
    await consortium!.kill("chain", "SIGINT");
    const state = JSON.parse(await readFile(path.join(dataDir, "chain", "state.json"), "utf8")) as {
      blocks: Array<{ header: { number: string } }>;
    };
    expect(state.blocks.filter((b) => BigInt(b.header.number) === 0n)).to.have.length(1);
    await consortium!.restart("chain");
    const provider = rpcProvider(m.chain.rpcUrl);
    try {
      expect((await provider.getBlock(0))!.hash).to.equal(first.chain.genesisHash);
    } finally {
      provider.destroy();
    }
    // the anchor service re-checks the chain after the outage and serves the bundle again
    const client = new AnchorClient(
      m.anchor.url,
      await memberWallet(dataDir, "branchB"),
      DEMO_MEMBERS.branchB.memberId,
    );
    const bundle = await anchoredBundle(client, leafHash);
    expect(bundle.leaf.leafHash).to.equal(leafHash);
    // each node is ready again once its indexer has synced with the restarted chain
    for (const name of NODE_NAMES)
      expect(await settledStatus(`${m.nodes[name].url}/readyz`, 200), name).to.equal(200);
  });

  it("refuses a port that is taken and a data directory another launcher uses, starting nothing", async function () {
    const other = await mkdtemp(path.join(tmpdir(), "jl-local-refused-"));
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const error = await startLocalConsortium({
        dataDir: other,
        ports: { ...EPHEMERAL, anchor: taken },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(LocalConsortiumError);
      expect((error as LocalConsortiumError).code).to.equal("LOCAL_PORT_IN_USE");
      expect((error as Error).message)
        .to.contain(String(taken))
        .and.to.contain("JL_ANCHOR_PORT");
      expect(
        await stat(path.join(other, "keys")).then(
          () => true,
          () => false,
        ),
        "keys were generated before the port check",
      ).to.equal(false);

      // pid 1 is always alive: a lock naming it is a launcher still running
      await writeFile(path.join(other, "launcher.lock"), JSON.stringify({ pid: 1, children: {} }));
      const inUse = await startLocalConsortium({ dataDir: other, ports: EPHEMERAL }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((inUse as LocalConsortiumError).code).to.equal("LOCAL_ALREADY_RUNNING");
    } finally {
      blocker.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});
