// `npm start` runs the C2SP witnesses: the court's and the union's nodes each cosign the anchor
// service's checkpoints (2 of 2), the bundles of anchored documents carry both cosignatures, and
// the policy file a court verifies with is in the data directory. After the anchor service and
// the court's node restart, the witnesses go on from what they cosigned before.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AnchorClient } from "../../common/anchor/client.ts";
import { parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { checkWitnesses } from "../../common/formats/checkpoint/bundle-witnesses.ts";
import { parseNote } from "../../common/formats/checkpoint/note.ts";
import { parsePolicy } from "../../common/formats/checkpoint/policy.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { DEMO_MEMBERS } from "../../scripts/ops/local/deployment.ts";
import { loadOrCreateKeys } from "../../scripts/ops/local/keys.ts";
import { NODE_NAMES } from "../../scripts/ops/local/manifest.ts";
import { witnessKeyFile, witnessPolicyPath } from "../../scripts/ops/local/witnesses.ts";

/** What checkWitnesses judges, from a bundle (as the verify CLI passes it). */
const evidence = (bundle: EvidenceBundle) => ({
  ...bundle,
  leafHash: bundle.leaf.leafHash,
  leafIndex: bundle.log.leafIndex,
});

const ANY_PORT = { chain: 0, anchor: 0, nodes: Object.fromEntries(NODE_NAMES.map((n) => [n, 0])) };

/** Anchors one record; resolves with its bundle once a checkpoint holding it is witnessed. */
async function anchorAndWitness(client: AnchorClient): Promise<EvidenceBundle> {
  const [receipt] = await client.submit([
    {
      kind: 1,
      digestAlgorithm: 1,
      digest: `0x${randomBytes(32).toString("hex")}`,
      salt: `0x${randomBytes(32).toString("hex")}`,
      subject: `0x${randomBytes(32).toString("hex")}`,
    },
  ]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const bundle = await client.bundle(receipt!.leafHash).then(parseBundle, () => undefined);
    // the TSA's token over the head comes from a backlog of its own, after or before the cosignatures
    if (bundle?.witnessed !== undefined && bundle.trustedTime !== undefined) return bundle;
    if (Date.now() > deadline)
      throw new Error(`leaf ${receipt!.leafHash} not witnessed and time-stamped within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm start: the court's and the union's witnesses (real processes)", function () {
  this.timeout(240_000);
  const dataDir = path.join(tmpdir(), `jl-local-witness-${randomBytes(6).toString("hex")}`);
  const said: string[] = [];
  let started: { consortium: LocalConsortium; client: AnchorClient } | undefined;
  const policy = async () => parsePolicy(await readFile(witnessPolicyPath(dataDir), "utf8"));

  before(async function () {
    const consortium = await startLocalConsortium({
      dataDir,
      ports: ANY_PORT,
      log: (line) => said.push(line),
    });
    const { wallets } = await loadOrCreateKeys(dataDir, NODE_NAMES, process.env);
    const client = new AnchorClient(
      consortium.manifest.anchor.url,
      wallets.platform,
      DEMO_MEMBERS.platform.memberId,
    );
    started = { consortium, client };
  });

  after(async function () {
    await started?.consortium.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("writes the court's policy (the log's key, both witnesses' keys, 2 of 2) and keeps the witness keys secret", async function () {
    const { nodes } = started!.consortium.manifest;
    const { witnesses, groups, quorum, logs } = await policy();
    expect([...witnesses.keys()]).to.deep.equal(["court", "union"]);
    expect(groups.get(quorum)).to.deep.include({ threshold: 2, members: ["court", "union"] });
    expect(logs).to.have.length(1);
    for (const node of ["court", "union"] as const) {
      // the key a node serves is the one the policy names
      const served = await (await fetch(`${nodes[node].url}/witness/vkey`)).text();
      expect(served.trim(), node).to.equal(witnesses.get(node)!.vkey);
      expect((await stat(witnessKeyFile(dataDir, node))).mode & 0o777, node).to.equal(0o600);
    }
    // the other nodes run no witness
    expect((await fetch(`${nodes.branchA.url}/witness/vkey`)).status).to.equal(404);
    expect(said.join("\n")).to.contain(`--witness-policy ${witnessPolicyPath(dataDir)}`);
  });

  it("publishes a checkpoint only with both cosignatures, and the bundle carries them", async function () {
    const bundle = await anchorAndWitness(started!.client);
    const verdict = checkWitnesses(evidence(bundle), await policy());
    expect(verdict.outcome, verdict.reason).to.equal("pass");
    expect(verdict.cosigners!.map((c) => c.name).sort()).to.deep.equal(["court", "union"]);
    const served = await (await fetch(`${started!.consortium.manifest.anchor.url}/checkpoint`)).text();
    expect(parseNote(served).signatures.map((s) => s.name)).to.include.members([
      "court.jointledger.local/witness",
      "union.jointledger.local/witness",
    ]);
  });

  it("the court's node serves the court page: its chain checks ask the local chain from the browser, its CSP allows exactly that endpoint, the TSA root is trusted", async function () {
    const { nodes, chain } = started!.consortium.manifest;
    const page = await fetch(`${nodes.court.url}/verify`);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-security-policy")).to.contain(`connect-src 'self' ${chain.rpcUrl}`);
    const settings = (await (await fetch(`${nodes.court.url}/verify/config.json`)).json()) as {
      chainEndpoints: string[];
      trustAnchor: { consortiumRegistry: string };
      tsaRoots: string[];
      reports: boolean;
    };
    expect(settings.chainEndpoints).to.deep.equal([chain.rpcUrl]);
    expect(settings.trustAnchor.consortiumRegistry).to.equal(
      started!.consortium.manifest.contracts.consortiumRegistry.toLowerCase(),
    );
    expect(settings.tsaRoots).to.have.length(1);

    // it signs certificates with the court's verification seal from data/pki, checking the witnesses by the court's policy
    const bundle = await anchorAndWitness(started!.client);
    const signed = await fetch(`${nodes.court.url}/verify/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bundle }),
    });
    expect(signed.status, await signed.clone().text()).to.equal(201);
    const { report, pdf } = (await signed.json()) as {
      report: {
        verifier: { seal: string };
        simpleReport: { indication: string; subIndication?: string };
        detailedReport: { checks: Array<{ id: string; indication: string }> };
      };
      pdf: string;
    };
    expect(report.verifier.seal).to.contain("核验专用章");
    // no document was given: the evidence holds, the document is not compared
    expect(report.simpleReport).to.deep.equal({
      indication: "INDETERMINATE",
      subIndication: "SIGNED_DATA_NOT_FOUND",
    });
    const checks = Object.fromEntries(report.detailedReport.checks.map((c) => [c.id, c.indication]));
    for (const id of ["headOnChain", "blockAndTime", "trustedTime", "witnesses"])
      expect(checks[id], id).to.equal("PASSED");
    const certificate = await fetch(`${nodes.court.url}${pdf}`);
    expect(certificate.headers.get("content-type")).to.equal("application/pdf");
  });

  it("goes on cosigning after the anchor service and the court's node restart", async function () {
    const { consortium, client } = started!;
    const earlier = await anchorAndWitness(client);
    // both down and up again at once (side by side: one boot's time rather than two)
    await Promise.all([consortium.restart("anchor"), consortium.restart("court")]);
    const later = await anchorAndWitness(client);
    const verdict = checkWitnesses(evidence(later), await policy());
    expect(verdict.outcome, verdict.reason).to.equal("pass");
    expect(later.log.leafIndex).to.be.greaterThan(earlier.log.leafIndex);
  });
});
