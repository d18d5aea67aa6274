// `npm start` governs the founders' member directory as a real consortium would: it writes
// data/member-directory.json (legal names in both languages, fictional but well-formed credit
// codes, marked as test data, and the anchor's SM2 receipt key in the union's entry) and the
// demo's governance keys propose, approve and execute its SHA-256 through ConsortiumGovernor. Every
// node names members from it; a node started with an altered file answers 409
// NODE_ERR_NO_MEMBER_DIRECTORY. The anchor signs receipts with SM2 under the governed key.
// A second adoption finds the governed file and proposes nothing.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { AnchorClient } from "../../common/anchor/client.ts";
import { ConsortiumGovernor } from "../../common/chain/generated/contracts.ts";
import { RegistryReader } from "../../common/chain/registry.ts";
import {
  MEMBER_DIRECTORY_PARAMETER_KEY,
  directoryDigest,
  memberDirectoryCall,
  MemberDirectorySchema,
} from "../../common/consortium/member-directory.ts";
import { isUscc } from "../../common/consortium/uscc.ts";
import { governedReceiptSm2Key } from "../../nodes/src/member-names.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { DEMO_MEMBERS, adoptMemberDirectory } from "../../scripts/ops/local/deployment.ts";
import { anchorReceiptSm2KeyFile, loadOrCreateKeys } from "../../scripts/ops/local/keys.ts";
import { NODE_NAMES } from "../../scripts/ops/local/manifest.ts";
import { recordFor } from "../support/consortium-chain.ts";

const ANY_PORT = { chain: 0, anchor: 0, nodes: Object.fromEntries(NODE_NAMES.map((n) => [n, 0])) };

describe("npm start: the founders' member directory, governed on chain (real processes)", function () {
  this.timeout(240_000);
  const dataDir = path.join(tmpdir(), `jl-local-directory-${randomBytes(6).toString("hex")}`);
  const said: string[] = [];
  let consortium: LocalConsortium;
  let provider: JsonRpcProvider;

  before(async function () {
    consortium = await startLocalConsortium({ dataDir, ports: ANY_PORT, log: (line) => said.push(line) });
    provider = new JsonRpcProvider(consortium.manifest.chain.rpcUrl, undefined, { staticNetwork: true });
  });
  after(async function () {
    provider?.destroy();
    await consortium?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const members = (node: (typeof NODE_NAMES)[number]) => {
    const { url, tokens } = consortium.manifest.nodes[node];
    return fetch(`${url}/v1/members`, { headers: { authorization: `Bearer ${tokens.clerk}` } });
  };

  it("governance adopted the directory's SHA-256 through the governor: proposed, approved, executed", async function () {
    const { memberDirectory, contracts } = consortium.manifest;
    const bytes = await readFile(memberDirectory.file);
    const governed = await new RegistryReader(contracts.consortiumRegistry, provider).parameter(
      MEMBER_DIRECTORY_PARAMETER_KEY,
    );
    expect(governed).to.equal(directoryDigest(bytes));
    expect(memberDirectory.sha256).to.equal(governed.toString(16).padStart(64, "0"));
    // the call is in a proposal the governor executed, not a transaction of the deployer's
    const governor = ConsortiumGovernor.at(contracts.consortiumGovernor, provider);
    const call = memberDirectoryCall(contracts.consortiumRegistry, bytes);
    const created = await governor.queryFilter(governor.filters.ProposalCreated(), contracts.deployBlock);
    const proposal = created.find((e) => e.args.calldatas.includes(call.data));
    expect(proposal, "a proposal setting the directory").to.not.equal(undefined);
    const executed = await governor.queryFilter(
      governor.filters.ProposalExecuted(proposal!.args.proposalId),
      contracts.deployBlock,
    );
    expect(executed).to.have.length(1);
    expect(said.some((line) => line.startsWith("member directory: governance adopted"))).to.equal(true);
  });

  it("GET /v1/members on a node: the five founders by legal name and credit code, marked as test data", async function () {
    const reply = await members("court");
    expect(reply.status).to.equal(200);
    const directory = MemberDirectorySchema.parse(await reply.json());
    expect(directory.testData).to.equal(true);
    expect(directory.members.map((m) => [m.memberId, m.nameZh, m.nameEn])).to.deep.equal(
      NODE_NAMES.map((n) => [DEMO_MEMBERS[n].memberId, DEMO_MEMBERS[n].nameZh, DEMO_MEMBERS[n].name]),
    );
    for (const m of directory.members) expect(isUscc(m.uscc), m.uscc).to.equal(true);
    expect(directory.members.find((m) => m.memberId === DEMO_MEMBERS.court.memberId)?.nameZh).to.equal(
      "杭州互联网法院",
    );
  });

  it("the anchor signs receipts with SM2 under the key the directory binds to the union", async function () {
    const { manifest } = consortium;
    const info = (await (await fetch(`${manifest.anchor.url}/v1/info`)).json()) as {
      receiptSm2PublicKey?: string;
    };
    const directory = MemberDirectorySchema.parse(
      JSON.parse(await readFile(manifest.memberDirectory.file, "utf8")),
    );
    const union = directory.members.find((m) => m.memberId === DEMO_MEMBERS.union.memberId)!;
    expect(union.receiptSm2PublicKey).to.match(/^0x04[0-9a-f]{128}$/);
    expect(info.receiptSm2PublicKey).to.equal(union.receiptSm2PublicKey);
    // a member's client checking receipts as the nodes do: against the governed key
    const { wallets, anchorReceiptSm2 } = await loadOrCreateKeys(dataDir, NODE_NAMES, process.env);
    const client = new AnchorClient(
      manifest.anchor.url,
      wallets.platform,
      DEMO_MEMBERS.platform.memberId,
      governedReceiptSm2Key({
        directoryFile: manifest.memberDirectory.file,
        provider,
        consortiumRegistry: manifest.contracts.consortiumRegistry,
      }),
    );
    const [receipt] = await client.submit([
      { ...recordFor("npm start: a governed SM2 receipt"), kind: 1, digestAlgorithm: 1 } as const,
    ]);
    expect(receipt!.batch.sm2?.publicKey).to.equal(union.receiptSm2PublicKey);
    // its private half stays in keys/ (0600), out of every log
    expect((await stat(anchorReceiptSm2KeyFile(dataDir))).mode & 0o777).to.equal(0o600);
    for (const log of await readdir(path.join(dataDir, "logs")))
      expect(
        (await readFile(path.join(dataDir, "logs", log), "utf8")).includes(
          anchorReceiptSm2.privateKey.slice(2),
        ),
        `the SM2 receipt key in logs/${log}`,
      ).to.equal(false);
  });

  it("adopting again finds the governed file and proposes nothing; an edited file is put back", async function () {
    const { manifest } = consortium;
    const { wallets, anchorReceiptSm2 } = await loadOrCreateKeys(dataDir, NODE_NAMES, process.env);
    const adopt = async () => {
      const lines: string[] = [];
      const governor = ConsortiumGovernor.at(manifest.contracts.consortiumGovernor, provider);
      const before = (await governor.queryFilter(governor.filters.ProposalCreated())).length;
      const adopted = await adoptMemberDirectory({
        provider,
        contracts: manifest.contracts,
        approvers: [wallets["union-governance"], wallets["branchA-governance"]],
        dataDir,
        anchorReceiptSm2PublicKey: anchorReceiptSm2.publicKey,
        log: (line) => lines.push(line),
      });
      const proposed = (await governor.queryFilter(governor.filters.ProposalCreated())).length - before;
      return { adopted, lines, proposed };
    };
    const again = await adopt();
    expect(again.proposed).to.equal(0);
    expect(again.adopted).to.deep.equal(manifest.memberDirectory);
    const genuine = await readFile(manifest.memberDirectory.file);
    await writeFile(
      manifest.memberDirectory.file,
      genuine.toString("utf8").replace("杭州互联网法院", "某某法院"),
    );
    const restored = await adopt();
    expect(restored.proposed).to.equal(0);
    expect(restored.lines.join("\n")).to.contain("rewritten to the governed founders' directory");
    expect(await readFile(manifest.memberDirectory.file)).to.deep.equal(genuine);
  });

  it("a node started with an altered file answers 409 NODE_ERR_NO_MEMBER_DIRECTORY", async function () {
    const file = consortium.manifest.memberDirectory.file;
    const genuine = await readFile(file, "utf8");
    await writeFile(file, genuine.replace("杭州互联网法院", "某某法院"));
    try {
      await consortium.restart("court");
      const reply = await members("court");
      expect(reply.status).to.equal(409);
      expect(((await reply.json()) as { error: { code: string } }).error.code).to.equal(
        "NODE_ERR_NO_MEMBER_DIRECTORY",
      );
    } finally {
      await writeFile(file, genuine);
    }
    // read again at each ask: the governed file is served again
    expect((await members("court")).status).to.equal(200);
  });
});
