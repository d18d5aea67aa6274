// The Besu network generator (npm run network:besu): its output read back as Besu, docker
// compose and the services would read it. Genesis extraData decodes to the validators' addresses
// (and the encoder matches Besu's documented example), every node's allowlist holds every node's
// enode, the env files pass the services' own config readers, the keystores and master keys open
// with the nodes' own loaders, the compose file parses as YAML with the right services, the member
// directory every node names binds the anchor's SM2 receipt key (its identities from
// --member-directory, or fictional and marked), and bad options are refused with messages that name
// the option.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { tlsFromEnv } from "../../common/service/tls.ts";
import { SigningKey, Wallet, computeAddress, getAddress } from "ethers";
import { parse as parseYaml } from "yaml";
import { configFromEnv } from "../../anchor-service/src/config.ts";
import { fromHex, toHex } from "../../common/bytes.ts";
import {
  MemberDirectorySchema,
  directoryDigest,
  directoryFileProblems,
  receiptSm2KeyOf,
} from "../../common/consortium/member-directory.ts";
import { usccCheckCharacter } from "../../common/consortium/uscc.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import { rejectedBy } from "../support/expect-error.ts";
import { nodeConfigFromEnv } from "../../nodes/src/config.ts";
import { tokenSha256 } from "../../nodes/src/http/auth.ts";
import { loadMasterKey } from "../../nodes/src/privacy/crypto-box.ts";
import { checkpointSigners } from "../../anchor-service/src/c2sp/service.ts";
import { cosigner } from "../../common/formats/checkpoint/cosignature.ts";
import { parsePolicy } from "../../common/formats/checkpoint/policy.ts";
import { createDemoCa } from "../../common/pki/demo-ca.ts";
import { FOUNDERS, predictedAddresses } from "../../scripts/ops/network/besu/consortium.ts";
import {
  generateBesuNetwork,
  writeNetwork,
  type NetworkManifest,
} from "../../scripts/ops/network/besu/generate.ts";
import { decodeQbftExtraData, qbftExtraData } from "../../scripts/ops/network/besu/genesis.ts";
import {
  BesuOptionsError,
  besuWarnings,
  parseBesuArgs,
  qbftTolerance,
} from "../../scripts/ops/network/besu/options.ts";

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/ops/network/besu.ts", ...args], (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

/** Flat TOML as the generator writes it: key=value, every value JSON-compatible. */
function readToml(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = /^([a-z0-9-]+)=(.+)$/.exec(line);
    if (match === null) throw new Error(`not a key=value line: ${line}`);
    expect(out, `duplicate key ${match[1]}`).to.not.have.property(match[1]!);
    out[match[1]!] = JSON.parse(match[2]!);
  }
  return out;
}

describe("Besu network generator", function () {
  this.timeout(120_000);
  const SEED = "besu-generator-test";
  let dir: string;
  let out: string;
  let manifest: NetworkManifest;
  let tsaRoot: string;
  const TSA_URL = "https://tsa.example.cn/tsa";
  const read = (file: string) => readFile(path.join(out, file), "utf8");

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "besu-gen-"));
    out = path.join(dir, "network");
    // the TSA's root as a production operator would have it from the TSA (here a demo CA's)
    tsaRoot = (await createDemoCa({ name: "Example national time service root" })).certificatePem;
    await writeFile(path.join(dir, "tsa-root.pem"), tsaRoot);
    const result = await run([
      "--tsa-urls",
      TSA_URL,
      "--tsa-roots",
      path.join(dir, "tsa-root.pem"),
      "--validators",
      "4",
      "--rpc-nodes",
      "2",
      "--out",
      out,
      "--seed",
      SEED,
      "--scrypt-n",
      "1024",
      "--max-logs-range",
      "500",
      "--chain-id",
      "4242",
      "--block-period",
      "3",
      "--request-timeout",
      "7",
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain(
      "4 validator(s): blocks need 3 signatures; tolerates 1 faulty or offline validator(s)",
    );
    manifest = JSON.parse(await read("network.json")) as NetworkManifest;
  });

  after(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("encodes QBFT extraData exactly as Besu's documentation does for the same validators", function () {
    // besu.hyperledger.org, "Configure QBFT consensus", extra data for four validators
    const validators = [
      "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
      "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
      "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
      "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
    ];
    expect(qbftExtraData(validators)).to.equal(
      "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e45706cc08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7bcbc1bf1236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0",
    );
  });

  it("writes a genesis whose extraData decodes to the addresses of the validators' node keys, with free gas and the chosen timing", async function () {
    const genesis = JSON.parse(await read("genesis.json")) as {
      config: Record<string, unknown> & { qbft: Record<string, number> };
      extraData: string;
      gasLimit: string;
      alloc: object;
      mixHash: string;
    };
    const decoded = decodeQbftExtraData(genesis.extraData);
    const fromKeys: string[] = [];
    for (let i = 1; i <= 4; i++)
      fromKeys.push(computeAddress((await read(`nodes/validator-${i}/key`)).trim()));
    expect(decoded.validators).to.deep.equal(fromKeys);
    expect(decoded.vanity).to.equal(`0x${"00".repeat(32)}`);
    expect(decoded.vote).to.deep.equal([]);
    expect(decoded.round).to.equal("0x");
    expect(decoded.seals).to.deep.equal([]);
    expect(manifest.nodes.filter((n) => n.role === "validator").map((n) => n.address)).to.deep.equal(
      fromKeys,
    );
    // RPC nodes are not validators
    for (const rpc of manifest.nodes.filter((n) => n.role === "rpc"))
      expect(decoded.validators).to.not.include(rpc.address);
    expect(genesis.config.chainId).to.equal(4242);
    expect(genesis.config.londonBlock).to.equal(0);
    expect(genesis.config.zeroBaseFee).to.equal(true);
    expect(genesis.config.cancunTime, "the contracts are compiled for Cancun").to.equal(0);
    expect(genesis.config.contractSizeLimit).to.equal(2_147_483_647);
    expect(genesis.config.qbft).to.deep.equal({
      blockperiodseconds: 3,
      requesttimeoutseconds: 7,
      epochlength: 30_000,
    });
    expect(BigInt(genesis.gasLimit)).to.equal(100_000_000n);
    expect(genesis.alloc, "nobody needs ether on a free-gas chain").to.deep.equal({});
  });

  it("gives every node the same allowlists: every node's enode and every founding account", async function () {
    const enodes: string[] = [];
    for (const node of manifest.nodes) {
      const pub = (await read(`nodes/${node.name}/key.pub`)).trim();
      const priv = (await read(`nodes/${node.name}/key`)).trim();
      expect(`0x04${pub.slice(2)}`, "key.pub is the public half of key").to.equal(
        new SigningKey(priv).publicKey,
      );
      enodes.push(`enode://${pub.slice(2)}@${node.ip}:30303`);
    }
    expect(manifest.nodes.map((n) => n.enode)).to.deep.equal(enodes);
    const first = await read(`nodes/${manifest.nodes[0]!.name}/permissions_config.toml`);
    const accounts = [manifest.deployer.address, ...manifest.members.flatMap((m) => m.accounts)].map((a) =>
      a.toLowerCase(),
    );
    for (const node of manifest.nodes) {
      const text = await read(`nodes/${node.name}/permissions_config.toml`);
      expect(text, `${node.name}'s allowlist differs`).to.equal(first);
      const perms = readToml(text) as { "nodes-allowlist": string[]; "accounts-allowlist": string[] };
      expect(perms["nodes-allowlist"]).to.have.members(enodes);
      expect(perms["accounts-allowlist"]).to.have.members(accounts);
    }
  });

  it("configures every node for free gas, permissioning, log-range limits and the validators as peers", async function () {
    const validators = manifest.nodes.filter((n) => n.role === "validator");
    for (const node of manifest.nodes) {
      const config = readToml(await read(`nodes/${node.name}/config.toml`));
      expect(config["min-gas-price"]).to.equal(0);
      expect(config["tx-pool-min-gas-price"]).to.equal(0);
      expect(config["rpc-max-logs-range"]).to.equal(500);
      expect(config["permissions-nodes-config-file-enabled"]).to.equal(true);
      expect(config["permissions-accounts-config-file-enabled"]).to.equal(true);
      expect(config["genesis-file"]).to.equal("/genesis/genesis.json");
      expect(
        `${String(config["p2p-host"])}:${String(config["p2p-port"])}`,
        "advertises its allowlisted address",
      ).to.equal(node.enode.split("@")[1]);
      expect(config["nat-method"]).to.equal("NONE");
      const others = validators.filter((v) => v.name !== node.name).map((v) => v.enode);
      expect(config.bootnodes).to.deep.equal(others);
      expect(JSON.parse(await read(`nodes/${node.name}/static-nodes.json`))).to.deep.equal(others);
      const apis = config["rpc-http-api"] as string[];
      expect(apis).to.include("ETH");
      expect(apis).to.not.include("EEA");
      if (node.role === "rpc")
        for (const admin of ["ADMIN", "PERM", "QBFT"])
          expect(apis, `${admin} stays off the services' endpoints`).to.not.include(admin);
      else expect(apis).to.include.members(["QBFT", "PERM", "ADMIN"]);
    }
  });

  it("writes a docker-compose.yml with one pinned Besu service per node on fixed addresses", async function () {
    const compose = parseYaml(await read("docker-compose.yml")) as {
      services: Record<
        string,
        {
          image: string;
          command: string[];
          volumes: string[];
          ports: string[];
          networks: { besu: { ipv4_address: string } };
        }
      >;
      networks: { besu: { ipam: { config: Array<{ subnet: string }> } } };
      volumes: Record<string, unknown>;
    };
    expect(Object.keys(compose.services)).to.deep.equal([
      "validator-1",
      "validator-2",
      "validator-3",
      "validator-4",
      "rpc-1",
      "rpc-2",
    ]);
    expect(compose.networks.besu.ipam.config[0]!.subnet).to.equal("172.16.240.0/24");
    const hostPorts = new Set<string>();
    for (const node of manifest.nodes) {
      const service = compose.services[node.name]!;
      expect(service.image).to.equal("hyperledger/besu:25.6.0");
      expect(service.command).to.deep.equal(["--config-file=/config/config.toml"]);
      expect(service.networks.besu.ipv4_address).to.equal(node.ip);
      expect(node.enode.endsWith(`@${node.ip}:30303`)).to.equal(true);
      for (const volume of service.volumes) {
        const source = volume.split(":")[0]!;
        if (source.startsWith("./"))
          expect(
            (await stat(path.join(out, source))).isFile() ||
              (await stat(path.join(out, source))).isDirectory(),
            source,
          ).to.equal(true);
        else expect(compose.volumes, source).to.have.property(source);
      }
      const [bind, port] = service.ports[0]!.split(":");
      expect(hostPorts.has(port!), `host port ${port} published twice`).to.equal(false);
      hostPorts.add(port!);
      if (node.role === "validator")
        expect(bind, "validators' admin RPC stays on loopback").to.equal("127.0.0.1");
      expect(node.rpcUrl).to.equal(`http://${bind}:${port}`);
    }
  });

  it("writes env files the services' own config readers accept, pointing at the RPC nodes with QBFT's settings", async function () {
    const rpcUrls = manifest.nodes.filter((n) => n.role === "rpc").map((n) => n.rpcUrl);
    const predicted = predictedAddresses(manifest.deployer.address);
    expect(manifest.contracts).to.deep.equal(predicted);
    const anchor = configFromEnv(parseEnv(await read("env/anchor.env")));
    expect(rpcUrls).to.include(anchor.rpcUrl);
    expect(anchor.confirmations).to.equal(0);
    expect(anchor.logPageBlocks).to.be.at.most(500);
    expect(anchor.evidenceLog).to.equal(predicted.evidenceLog);
    expect(anchor.logId).to.equal(manifest.anchor.logId);
    expect(new Wallet(anchor.operatorKey).address).to.equal(manifest.anchor.operator);
    expect(manifest.members.find((m) => m.key === "union")!.accounts).to.include(manifest.anchor.operator);

    expect(manifest.members.map((m) => m.key)).to.deep.equal(FOUNDERS.map((f) => f.key));
    for (const member of manifest.members) {
      const config = nodeConfigFromEnv(parseEnv(await read(member.node.envFile)));
      expect(config.memberId).to.equal(member.id);
      expect(config.memberKind).to.equal(member.kind);
      expect(rpcUrls).to.include(config.rpcUrl);
      expect(config.anchorUrl).to.equal(manifest.anchor.url);
      expect(config.logPageBlocks).to.be.at.most(500);
      expect(config.jointLoanLedger).to.equal(predicted.jointLoanLedger);
      expect(config.disputeResolution).to.equal(predicted.disputeResolution);
      expect(config.consortiumRegistry).to.equal(predicted.consortiumRegistry);
      // the node's own loaders open its keystore and master key
      expect(config.keystoreFile).to.equal(path.join(out, member.node.keystoreFile));
      const wallet = await Wallet.fromEncryptedJson(
        await readFile(config.keystoreFile, "utf8"),
        config.keystorePassword,
      );
      expect(wallet.address).to.equal(member.node.account);
      expect(member.accounts[0]).to.equal(wallet.address);
      expect((await loadMasterKey(config.masterKeyFile)).length).to.equal(32);
      const tokens = JSON.parse(await read(`secrets/${member.key}/api-tokens.json`)) as {
        tokens: Record<string, string>;
      };
      expect(config.users.map((u) => u.tokenSha256)).to.deep.equal(
        config.users.map((u) => tokenSha256(tokens.tokens[u.user]!)),
      );
      if (member.kind === "union")
        expect(Object.keys(config.directory)).to.have.members(["2", "3", "4", "5"]);
      // one key per role: governing members vote with a key of their own, never the node's
      if (member.kind === "union" || member.kind === "branch") {
        const g = member.governance!;
        const governance = await Wallet.fromEncryptedJson(
          await read(g.keystoreFile),
          (await read(g.passwordFile)).trim(),
        );
        expect(governance.address).to.equal(g.account);
        expect(member.accounts).to.include(g.account);
        expect(g.account).to.not.equal(member.node.account);
      } else expect(member.governance, member.key).to.equal(undefined);
    }
    const allAccounts = [manifest.deployer.address, ...manifest.members.flatMap((m) => m.accounts)];
    expect(new Set(allAccounts).size, "no account serves two roles or two members").to.equal(
      allAccounts.length,
    );
    // one consortium key shared by every node
    const keys = new Set(
      await Promise.all(
        manifest.members.map(
          async (m) => nodeConfigFromEnv(parseEnv(await read(m.node.envFile))).consortiumKey,
        ),
      ),
    );
    expect(keys.size).to.equal(1);
  });

  it("carries trusted time and witnesses: the TSA and its root for the anchor and every node, the court's and the union's witnesses under a 2-of-2 policy", async function () {
    const anchor = configFromEnv(parseEnv(await read("env/anchor.env")));
    expect(anchor.tsaUrls).to.deep.equal([TSA_URL]);
    expect(anchor.tsaTrustAnchorFiles).to.deep.equal([path.join(out, "tsa/root-1.pem")]);
    expect(await readFile(anchor.tsaTrustAnchorFiles[0]!, "utf8")).to.equal(tsaRoot);
    const url = (key: string) => manifest.members.find((m) => m.key === key)!.node.url;
    expect(anchor.witnessUrls).to.deep.equal([
      `court=${url("court")}/witness`,
      `union=${url("union")}/witness`,
    ]);
    // the policy: the log's checkpoint key as the service derives it, both witnesses, 2 of 2
    expect(anchor.witnessPolicyFile).to.equal(path.join(out, "witness-policy.txt"));
    const policy = parsePolicy(await readFile(anchor.witnessPolicyFile!, "utf8"));
    const [log] = checkpointSigners(anchor);
    expect(policy.logs.map((l) => l.vkey)).to.deep.equal([log!.vkey]);
    expect([...policy.witnesses.keys()]).to.deep.equal(["court", "union"]);
    expect(policy.groups.get(policy.quorum)).to.deep.include({ threshold: 2, members: ["court", "union"] });
    for (const member of manifest.members) {
      const config = nodeConfigFromEnv(parseEnv(await read(member.node.envFile)));
      expect(config.tsaTrustAnchorFiles, member.key).to.deep.equal(anchor.tsaTrustAnchorFiles);
      expect(config.witnessPolicyFile, member.key).to.equal(anchor.witnessPolicyFile);
      if (member.key !== "court" && member.key !== "union") {
        expect(config.witnessName, `${member.key} runs no witness`).to.equal(undefined);
        continue;
      }
      // the witness's own key file signs as the policy's witness of that name, following the log
      const seed = await loadMasterKey(config.witnessKeyFile!);
      expect(config.witnessKeyFile).to.equal(path.join(out, "secrets", member.key, "witness.key"));
      expect(cosigner(config.witnessName!, seed).vkey).to.equal(policy.witnesses.get(member.key)!.vkey);
      expect(config.witnessLogs).to.deep.equal([log!.vkey]);
      expect(((await stat(config.witnessKeyFile!)).mode & 0o777).toString(8)).to.equal("600");
    }
    const readme = await read("README.md");
    expect(readme)
      .to.contain("## Trusted time and witnesses")
      .and.contain("国家授时中心")
      .and.contain("--tsa-roots");
    expect(readme).to.not.contain("No TSA was given");
  });

  it("without a TSA says so: the anchor's TSA lines are commented out for the operator to fill in, and the README says how to name one", async function () {
    const network = await generateBesuNetwork(
      parseBesuArgs(["--out", path.join(dir, "no-tsa"), "--seed", SEED, "--scrypt-n", "1024"]),
    );
    const file = (name: string) => network.files.find((f) => f.path === name)!.content;
    const anchor = configFromEnv(parseEnv(file("env/anchor.env")));
    expect(anchor.tsaUrls).to.deep.equal([]);
    expect(anchor.tsaTrustAnchorFiles).to.deep.equal([]);
    expect(file("env/anchor.env"))
      .to.match(/^# ANCHOR_TSA_URLS=/m)
      .and.match(/^# ANCHOR_TSA_TRUST_ANCHOR_FILES=/m);
    // the witnesses do not depend on a TSA
    expect(anchor.witnessUrls).to.have.length(2);
    expect(file("README.md")).to.contain("No TSA was given to the generator").and.contain("国家授时中心");
    expect(() => parseBesuArgs(["--out", path.join(dir, "x"), "--tsa-urls", TSA_URL])).to.throw(
      /--tsa-roots: --tsa-urls and --tsa-roots go together/,
    );
  });

  it("writes the member directory and the anchor's SM2 receipt settings: every node names the file, whose union entry binds the key the anchor signs receipts with", async function () {
    const anchor = configFromEnv(parseEnv(await read("env/anchor.env")));
    expect(anchor.receiptSignatures).to.equal("eip712,sm2");
    const receiptKey = toHex(sm2.publicKeyOf(fromHex(anchor.receiptSm2Key!)));
    expect(manifest.anchor.receiptSm2PublicKey).to.equal(receiptKey);
    const bytes = await readFile(path.join(out, "member-directory.json"));
    // the file as governance will set it: no problem govern.ts would name, its digest in the manifest
    expect(directoryFileProblems(bytes)).to.deep.equal([]);
    expect(manifest.memberDirectory).to.deep.equal({
      file: "member-directory.json",
      sha256: directoryDigest(bytes).toString(16).padStart(64, "0"),
      testData: true,
    });
    const directory = MemberDirectorySchema.parse(JSON.parse(bytes.toString("utf8")));
    expect(directory.members.map((m) => m.memberId)).to.deep.equal(manifest.members.map((m) => m.id));
    const union = manifest.members.find((m) => m.kind === "union")!;
    expect(receiptSm2KeyOf(directory, union.id)).to.equal(receiptKey);
    expect(directory.members.filter((m) => m.receiptSm2PublicKey !== undefined)).to.have.length(1);
    for (const member of manifest.members) {
      const config = nodeConfigFromEnv(parseEnv(await read(member.node.envFile)));
      expect(config.memberDirectoryFile, member.key).to.equal(path.join(out, "member-directory.json"));
    }
    expect(((await stat(path.join(out, "member-directory.json"))).mode & 0o777).toString(8)).to.equal("644");
    // fictional identities are said to be so, on the command line and in the folder's README
    expect(await read("README.md"))
      .to.contain(manifest.memberDirectory.sha256)
      .and.contain("These identities are fictional");
    expect(besuWarnings(parseBesuArgs(["--out", "x", "--validators", "4"])).join("\n")).to.contain(
      "no --member-directory",
    );
  });

  it("takes the founders' identities from --member-directory, rewritten in the directory's one spelling, and refuses a file that does not fit before writing anything", async function () {
    const receiptKey = manifest.anchor.receiptSm2PublicKey;
    const usccFor = (id: number) => {
      const first17 = `913301000000000${String(id).padStart(2, "0")}`;
      return `${first17}${usccCheckCharacter(first17)}`;
    };
    const entries = FOUNDERS.map((f) => ({
      uscc: usccFor(f.id),
      memberId: f.id,
      nameEn: f.name,
      nameZh: `${f.name}（中文名）`,
    }));
    const given = (name: string, content: unknown) =>
      writeFile(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
    // any layout: fields out of order, on one line, no testData
    await given("directory.json", { members: entries.toReversed(), version: 1 });
    const network = await generateBesuNetwork(
      parseBesuArgs([
        ...["--out", path.join(dir, "named"), "--seed", SEED, "--scrypt-n", "1024"],
        ...["--member-directory", path.join(dir, "directory.json")],
      ]),
    );
    const bytes = Buffer.from(network.files.find((f) => f.path === "member-directory.json")!.content);
    expect(directoryFileProblems(bytes)).to.deep.equal([]);
    const directory = MemberDirectorySchema.parse(JSON.parse(bytes.toString("utf8")));
    expect(directory.testData).to.equal(undefined);
    expect(directory.members.map((m) => [m.memberId, m.uscc, m.nameZh])).to.deep.equal(
      entries.map((e) => [e.memberId, e.uscc, e.nameZh]),
    );
    // the same seed: the same anchor receipt key, now bound by the consortium's own directory
    expect(receiptSm2KeyOf(directory, 1)).to.equal(receiptKey);
    expect(network.manifest.memberDirectory.testData).to.equal(false);
    expect(network.warnings.join("\n")).to.not.contain("--member-directory");
    expect(network.files.find((f) => f.path === "README.md")!.content).to.not.contain("fictional");

    const otherKey = toHex(sm2.publicKeyOf(fromHex(`0x${"2f".repeat(32)}`)));
    const wrongCheck = (code: string) => `${code.slice(0, 17)}${code.endsWith("0") ? "1" : "0"}`;
    const cases: Array<[string, unknown, RegExp]> = [
      [
        "bad-check.json",
        {
          version: 1,
          members: entries.map((e) => (e.memberId === 3 ? { ...e, uscc: wrongCheck(e.uscc) } : e)),
        },
        /--member-directory: members\.2\.uscc: not a unified social credit code: check character/,
      ],
      [
        "missing.json",
        { version: 1, members: entries.filter((e) => e.memberId !== 4) },
        /--member-directory: names no entry for founding member 4 \(Example Lending Platform\)/,
      ],
      [
        "stranger.json",
        { version: 1, members: [...entries, { ...entries[0]!, memberId: 9, uscc: usccFor(9) }] },
        /--member-directory: member 9 is not a founding member/,
      ],
      [
        "other-key.json",
        {
          version: 1,
          members: entries.map((e) => (e.memberId === 1 ? { ...e, receiptSm2PublicKey: otherKey } : e)),
        },
        /--member-directory: member 1's receiptSm2PublicKey 0x04[0-9a-f]+ is not the anchor service's receipt key/,
      ],
      ["repeated.json", `{"version":1,"version":1,"members":[]}`, /--member-directory: .*a key is repeated/],
      ["not-json.json", "{ members: [", /--member-directory: .* is not UTF-8 JSON/],
    ];
    for (const [name, content, reason] of cases) {
      await given(name, content);
      const options = parseBesuArgs([
        ...["--out", path.join(dir, `refused-${name}`), "--seed", SEED, "--scrypt-n", "1024"],
        ...["--member-directory", path.join(dir, name)],
      ]);
      const error = await rejectedBy(generateBesuNetwork(options), BesuOptionsError, name);
      expect(error.code, name).to.equal("BESU_BAD_OPTIONS");
      expect(error.message, name).to.match(reason);
    }
    // on the command line: exit 2, the problem named, no folder written
    const target = path.join(dir, "refused");
    const cli = await run([
      ...["--out", target, "--seed", SEED, "--scrypt-n", "1024"],
      ...["--member-directory", path.join(dir, "missing.json")],
    ]);
    expect(cli.code, cli.stderr).to.equal(2);
    expect(cli.stderr).to.contain("--member-directory: names no entry for founding member 4");
    await stat(target).then(
      () => expect.fail("a folder was written for a refused directory"),
      (e: NodeJS.ErrnoException) => expect(e.code).to.equal("ENOENT"),
    );
  });

  it("turns HTTPS on for every service with a certificate from the network's CA, which clients trusting that CA accept", async function () {
    const anchorTls = tlsFromEnv(parseEnv(await read("env/anchor.env")), "ANCHOR");
    const services = [
      { url: manifest.anchor.url, tls: anchorTls },
      ...(await Promise.all(
        manifest.members.map(async (m) => ({
          url: m.node.url,
          tls: tlsFromEnv(parseEnv(await read(m.node.envFile)), "NODE"),
        })),
      )),
    ];
    const ca = await read("tls/ca.pem");
    const trusting = new Agent({ connect: { ca } });
    const untrusting = new Agent();
    try {
      for (const service of services) {
        expect(service.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect(service.tls.ca).to.equal(ca);
        // the service's own certificate and key, served on an ephemeral port
        const server = createHttpsServer(service.tls.server!, (_request, response) => response.end("ok"));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        try {
          expect(await (await undiciFetch(url, { dispatcher: trusting })).text()).to.equal("ok");
          const refused = await undiciFetch(url, { dispatcher: untrusting }).then(
            () => "answered",
            (error: unknown) => (error as { cause?: { code?: string } }).cause?.code,
          );
          expect(refused).to.equal("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
        } finally {
          server.close();
        }
      }
    } finally {
      await trusting.close();
      await untrusting.close();
    }
    expect(new Set(services.map((s) => s.tls.server!.cert)).size, "one certificate per service").to.equal(
      services.length,
    );
  });

  it("keeps every secret readable by its owner only", async function () {
    const secret = [
      "env/anchor.env",
      "secrets/deployer.json",
      "secrets/deployer.password",
      ...manifest.nodes.map((n) => `nodes/${n.name}/key`),
      ...manifest.members.flatMap((m) => [
        m.node.envFile,
        m.node.keystoreFile,
        `secrets/${m.key}/master.key`,
        `secrets/${m.key}/api-tokens.json`,
      ]),
    ];
    for (const file of secret)
      expect(((await stat(path.join(out, file))).mode & 0o077).toString(8), file).to.equal("0");
    expect(
      ((await stat(path.join(out, "genesis.json"))).mode & 0o004) !== 0,
      "genesis.json is public",
    ).to.equal(true);
    const readme = await read("README.md");
    expect(readme).to.contain("This folder holds secrets");
    for (const file of secret) expect(readme).to.contain(`| \`${file}\` | **SECRET** |`);
  });

  it("is deterministic with a seed and random without one", async function () {
    const seeded = (out: string) =>
      parseBesuArgs([
        "--out",
        path.join(dir, out),
        "--install-dir",
        "/opt/jl",
        "--seed",
        SEED,
        "--scrypt-n",
        "1024",
      ]);
    const [one, two] = [await generateBesuNetwork(seeded("a")), await generateBesuNetwork(seeded("b"))];
    // TLS keys come from WebCrypto, fresh each run; the paths naming them are the same
    const keyMaterial = (file: { path: string }) =>
      file.path.startsWith("tls/") || file.path.endsWith(".key");
    const stable = (network: typeof one) =>
      network.files.map((file) =>
        keyMaterial(file) && !file.path.endsWith("master.key") ? { ...file, content: "" } : file,
      );
    expect(stable(two)).to.deep.equal(stable(one));
    const random = await generateBesuNetwork(
      parseBesuArgs(["--out", path.join(dir, "c"), "--install-dir", "/opt/jl", "--scrypt-n", "1024"]),
    );
    expect(random.manifest.nodes[0]!.enode).to.not.equal(one.manifest.nodes[0]!.enode);
    expect(random.manifest.deployer.address).to.not.equal(one.manifest.deployer.address);
    expect(random.warnings.join("\n")).to.not.contain("--seed");
  });

  it("refuses to write into a folder that is not empty, and changes nothing there", async function () {
    const target = path.join(dir, "occupied");
    await mkdir(target);
    await writeFile(path.join(target, "keep.txt"), "mine");
    const network = await generateBesuNetwork(
      parseBesuArgs(["--out", target, "--seed", SEED, "--scrypt-n", "1024"]),
    );
    let error: Error | undefined;
    await writeNetwork(target, network).catch((e: Error) => (error = e));
    expect(error?.message).to.contain("is not empty");
    expect(await readdir(target)).to.deep.equal(["keep.txt"]);
    const cli = await run(["--out", target, "--seed", SEED, "--scrypt-n", "1024"]);
    expect(cli.code).to.equal(1);
    expect(cli.stderr).to.contain("is not empty");
    expect(await readFile(path.join(target, "keep.txt"), "utf8")).to.equal("mine");
  });

  it("computes QBFT's fault tolerance f = floor((n-1)/3) and warns below four validators", function () {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((n) => qbftTolerance(n).faulty)).to.deep.equal([
      0, 0, 0, 1, 1, 1, 2, 3,
    ]);
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((n) => qbftTolerance(n).quorum)).to.deep.equal([
      1, 2, 2, 3, 4, 4, 5, 7,
    ]);
    const three = besuWarnings(parseBesuArgs(["--out", "x", "--validators", "3"]));
    expect(three.join("\n")).to.contain("tolerates no faulty validator (f = floor((n-1)/3) = 0)");
    expect(
      besuWarnings(
        parseBesuArgs(["--out", "x", "--validators", "4", "--member-directory", "directory.json"]),
      ),
    ).to.deep.equal([]);
  });

  it("refuses invalid options with a message naming each option at fault", async function () {
    const problems = (argv: string[]) => {
      try {
        parseBesuArgs(argv);
      } catch (error) {
        expect(error).to.be.instanceOf(BesuOptionsError);
        expect((error as BesuOptionsError).code).to.equal("BESU_BAD_OPTIONS");
        return (error as BesuOptionsError).problems;
      }
      return expect.fail(`accepted ${argv.join(" ")}`);
    };
    expect(problems(["--out", "x", "--validators", "0"])).to.deep.equal(["--validators: must be at least 1"]);
    expect(problems(["--out", "x", "--validators", "four"])).to.deep.equal([
      "--validators: must be a number",
    ]);
    expect(problems(["--validators", "4"])[0]).to.match(/^--out: /);
    expect(problems(["--out", "x", "--block-period", "5", "--request-timeout", "5"])).to.deep.equal([
      "--request-timeout: must be longer than the block period (5 s); Besu suggests about twice the block period",
    ]);
    expect(problems(["--out", "x", "--besu-version", "latest"])[0]).to.contain(
      "--besu-version: must be an exact release",
    );
    expect(problems(["--out", "x", "--scrypt-n", "3000"])).to.deep.equal([
      "--scrypt-n: must be a power of two",
    ]);
    expect(problems(["--out", "x", "--chain-id", "1"])).to.deep.equal(["--chain-id: must be at least 2"]);
    expect(problems(["--out", "x", "--max-logs-range", "0"])).to.deep.equal([
      "--max-logs-range: must be at least 1",
    ]);
    expect(problems(["--out", "x", "--gas-limit", "1000"])).to.deep.equal([
      "--gas-limit: must be at least 10000000",
    ]);
    expect(problems(["--out", "x", "--subnet", "10.0.0.0/16"])[0]).to.contain(
      "--subnet: must be an IPv4 /24",
    );
    expect(problems(["--out", "x", "--rpc-port", "9545"])[0]).to.contain("overlaps");
    expect(problems(["--out", "x", "--install-dir", "/opt/it's"])[0]).to.contain(
      "--install-dir: must not contain quotes",
    );
    expect(problems(["--out", "x", "--validators", "0", "--rpc-nodes", "0"])).to.have.length(2);
    expect(problems(["--out", "x", "--vaildators", "4"])[0]).to.contain("--vaildators");
    const cli = await run(["--out", path.join(dir, "never"), "--validators", "0"]);
    expect(cli.code).to.equal(2);
    expect(cli.stderr).to.contain("--validators: must be at least 1");
    expect(cli.stderr).to.contain("usage: npm run network:besu");
    await stat(path.join(dir, "never")).then(
      () => expect.fail("a folder was created for invalid options"),
      (e: NodeJS.ErrnoException) => expect(e.code).to.equal("ENOENT"),
    );
  });

  it("warns on the command line when the network cannot survive a validator failure", async function () {
    const result = await run([
      "--validators",
      "1",
      "--rpc-nodes",
      "1",
      "--out",
      path.join(dir, "single"),
      "--seed",
      "x",
      "--scrypt-n",
      "1024",
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.contain("warning: 1 validator(s): QBFT then tolerates no faulty validator");
    const genesis = JSON.parse(await readFile(path.join(dir, "single", "genesis.json"), "utf8")) as {
      extraData: string;
    };
    expect(decodeQbftExtraData(genesis.extraData).validators).to.have.length(1);
    expect(getAddress(decodeQbftExtraData(genesis.extraData).validators[0]!)).to.equal(
      computeAddress(
        (await readFile(path.join(dir, "single", "nodes", "validator-1", "key"), "utf8")).trim(),
      ),
    );
  });
});
