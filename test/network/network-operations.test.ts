// A generated network's runbook, run against a chain that behaves like it: Anvil as a free-gas
// chain with the generated chain id, behind the Besu-rules proxy on the port the generated RPC
// node would have. deploy.ts bootstraps the consortium with the generated (unfunded) keys at the
// predicted addresses; the anchor service and a node start from the generated env files; a member
// is added and a key rotated through govern.ts; allowlist.ts changes every node's allowlist.
import { expect } from "chai";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { tlsFromEnv, trustOnly } from "../../common/service/tls.ts";
import { Contract, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { CONSORTIUM_REGISTRY_ABI, EVIDENCE_LOG_ABI } from "../../common/chain/generated/abis.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { configFromEnv } from "../../anchor-service/src/config.ts";
import { nodeConfigFromEnv } from "../../nodes/src/config.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { changeAllowlists } from "../../scripts/ops/network/allowlist.ts";
import { UNION_LOG_ID } from "../../scripts/ops/network/besu/consortium.ts";
import { founderAccounts } from "../../scripts/ops/network/deploy.ts";
import { parseFlatToml } from "../../scripts/ops/network/besu/formats.ts";
import type { NetworkManifest } from "../../scripts/ops/network/besu/generate.ts";
import { submissionHeaders } from "../../common/anchor/client.ts";
import type { BesuRulesProxy } from "../../scripts/ops/network/besu-rules-proxy.ts";
import { GovernError, runGovern } from "../../scripts/ops/network/govern.ts";
import type { AnvilNode } from "../support/anvil.ts";
import { runScript, startGeneratedNetwork, type GeneratedNetwork } from "./generated-network.ts";
import { recordFor } from "../support/consortium-chain.ts";

const CHAIN_ID = 4243;
const MAX_LOGS_RANGE = 5;

describe("network operations on a generated network (deploy, services from env files, governance, allowlists)", function () {
  this.timeout(240_000);
  let dir: string;
  let out: string;
  let anvil: AnvilNode;
  let proxy: BesuRulesProxy;
  let manifest: NetworkManifest;
  let registry: Contract;
  let anchor: AnchorService | undefined;
  let branch: NodeService | undefined;
  let network: GeneratedNetwork | undefined;
  let untrust = () => {};
  const file = (name: string) => path.join(dir, name);
  const quotaOnChain = (name: string) =>
    registry.getFunction("parameter")(keccak256(toUtf8Bytes(name))) as Promise<bigint>;
  const env = async (relative: string) =>
    parseEnv(await readFile(path.join(out, relative), "utf8")) as Record<string, string>;
  const govern = (...argv: string[]) => runGovern([...argv, "--network", out]);

  before(async function () {
    network = await startGeneratedNetwork({
      chainId: CHAIN_ID,
      seed: "network-operations",
      nodePort: 41001,
      maxLogsRange: MAX_LOGS_RANGE,
    });
    ({ dir, out, anvil, proxy, manifest } = network);
    expect(manifest.anchor.rpcUrl).to.equal(proxy.url);
    registry = new Contract(manifest.contracts.consortiumRegistry, CONSORTIUM_REGISTRY_ABI, anvil.provider);
  });

  after(async function () {
    await branch?.close();
    await anchor?.close();
    await network?.stop();
    untrust();
  });

  it("deploy.ts bootstraps the consortium with the generated, unfunded keys where the env files expect it", async function () {
    const result = await runScript("scripts/ops/network/deploy.ts", ["--network", out]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain("deployed; start the anchor service");
    for (const [name, address] of Object.entries(manifest.contracts))
      expect(await anvil.provider.getCode(address), name).to.not.equal("0x");
    for (const member of manifest.members) {
      for (const { account, role } of founderAccounts(manifest, member)) {
        const [id, status, roleOnChain] = (await registry.getFunction("accountOf")(account)) as [
          bigint,
          bigint,
          bigint,
        ];
        expect([Number(id), Number(status), Number(roleOnChain)], `${member.key} ${account}`).to.deep.equal([
          member.id,
          1,
          role,
        ]);
        expect(await anvil.provider.getBalance(account), "no member account holds ether").to.equal(0n);
      }
      // one role per key: the node's, the anchor's and the governance key are three accounts
      expect(member.governance !== undefined, member.key).to.equal(
        member.kind === "union" || member.kind === "branch",
      );
      if (member.governance !== undefined)
        expect(member.governance.account).to.not.equal(member.node.account);
    }
    expect(
      Number(await registry.getFunction("roleOf")(manifest.anchor.operator)),
      "the anchor operator is a log operator",
    ).to.equal(2);
    const log = new Contract(manifest.contracts.evidenceLog, EVIDENCE_LOG_ABI, anvil.provider);
    expect(((await log.getFunction("logInfo")(UNION_LOG_ID)) as { operator: string }).operator).to.equal(
      manifest.anchor.operator,
    );
    // each member's anchor intake quota is governed from the start, not left to the service's defaults
    expect(await quotaOnChain("anchor.intake.recordsPerSecond")).to.equal(10_000n);
    expect(await quotaOnChain("anchor.intake.recordsPerDay")).to.equal(5_000_000n);
    expect(result.stdout).to.contain(
      "anchor intake quotas per member (governed ConsortiumRegistry parameters): 10,000 records/s, 5,000,000 records/day",
    );
    const deployBlock = Number((await env(manifest.members[0]!.node.envFile)).NODE_DEPLOY_BLOCK);
    expect(deployBlock).to.be.greaterThan(0);
    for (const member of manifest.members)
      expect(Number((await env(member.node.envFile)).NODE_DEPLOY_BLOCK)).to.equal(deployBlock);
    expect(proxy.calls.some((c) => c.method === "eth_sendTransaction")).to.equal(false);
    expect(proxy.calls.filter((c) => c.refused !== undefined)).to.deep.equal([]);
    expect(proxy.transactions.length).to.be.greaterThan(10);

    const again = await runScript("scripts/ops/network/deploy.ts", ["--network", out]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain(`already deployed (deploy block ${deployBlock})`);
  });

  it("the anchor service and a branch's node start from the generated env files and serve over HTTPS", async function () {
    const anchorEnv = await env("env/anchor.env");
    const anchorConfig = { ...configFromEnv(anchorEnv), logLevel: "silent" as const, commitIntervalMs: 200 };
    // the env files' TLS: each service's certificate, and this process trusting the network's CA alone
    const anchorTls = tlsFromEnv(anchorEnv, "ANCHOR");
    untrust = trustOnly(anchorTls.ca!);
    anchor = await createAnchorService({ config: anchorConfig, logger: false, tls: anchorTls.server! });
    await anchor.start();
    const anchorUrl = await anchor.app.listen({ host: anchorConfig.host, port: anchorConfig.port });
    expect(anchorUrl).to.equal(manifest.anchor.url);

    const branchA = manifest.members.find((m) => m.key === "branchA")!;
    const branchEnv = await env(branchA.node.envFile);
    const config = { ...nodeConfigFromEnv(branchEnv), logLevel: "silent" as const, indexerPollMs: 100 };
    branch = await createNodeService({ config, logger: false, tls: tlsFromEnv(branchEnv, "NODE").server! });
    expect(branch.wallet.address).to.equal(branchA.node.account);
    // the branch anchors a record with its key from the keystore
    const body = JSON.stringify({ records: [recordFor("network operations")] });
    const headers = {
      ...(await signRequest(
        branch.wallet,
        requestDomain(BigInt(CHAIN_ID), manifest.contracts.consortiumRegistry),
        { method: "POST", path: "/v1/leaves", body },
      )),
      ...(await submissionHeaders(
        branch.wallet,
        {
          chainId: String(CHAIN_ID),
          evidenceLog: manifest.contracts.evidenceLog,
          logId: manifest.anchor.logId,
        },
        config.memberId,
        JSON.parse(body).records,
      )),
    };
    const submitted = await fetch(`${anchorUrl}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    expect(submitted.status, await submitted.clone().text()).to.equal(200);
    const { receipts } = (await submitted.json()) as { receipts: Array<{ leafHash: string }> };
    const deadline = Date.now() + 20_000;
    while (
      ((await (await fetch(`${anchorUrl}/v1/leaves/${receipts[0]!.leafHash}`)).json()) as { status: string })
        .status !== "anchored"
    ) {
      if (Date.now() > deadline) throw new Error("not anchored");
      await new Promise((r) => setTimeout(r, 100));
    }
    // the node's back office accepts the generated token; its indexer reads the chain in 5-block pages
    const tokens = JSON.parse(
      await readFile(path.join(out, "secrets", "branchA", "api-tokens.json"), "utf8"),
    ) as { tokens: Record<string, string> };
    const head = await anvil.provider.getBlockNumber();
    const sync = await branch.indexer.syncOnce();
    expect(sync.cursor!.blockNumber).to.be.at.least(head);
    expect(sync.pages, "read in pages of at most 5 blocks").to.be.at.least(
      Math.ceil((head - Number(config.deployBlock)) / MAX_LOGS_RANGE),
    );
    const loans = await branch.app.inject({
      method: "GET",
      url: "/v1/loans",
      headers: { authorization: `Bearer ${tokens.tokens.clerk}` },
    });
    expect(loans.statusCode, loans.body).to.equal(200);
    const refused = await branch.app.inject({
      method: "GET",
      url: "/v1/loans",
      headers: { authorization: "Bearer not-a-token" },
    });
    expect(refused.statusCode).to.equal(401);
    // the node reaches the anchor service over HTTPS, its certificate checked against the network's CA
    const readiness = (await branch.app.inject({ method: "GET", url: "/readyz" })).json() as {
      detail: { anchor: { ok: boolean } };
    };
    expect(readiness.detail.anchor.ok).to.equal(true);
    // the anchor signs receipts with SM2 too, under the key the directory deploy.ts governed binds;
    // the node's own client checks them against that key
    const record = {
      ...recordFor("network operations, through the node"),
      kind: 1,
      digestAlgorithm: 1,
    } as const;
    const [receipt] = await branch.anchor.submit([record]);
    expect(receipt!.batch.sm2?.publicKey).to.equal(manifest.anchor.receiptSm2PublicKey);
    const members = await branch.app.inject({
      method: "GET",
      url: "/v1/members",
      headers: { authorization: `Bearer ${tokens.tokens.clerk}` },
    });
    expect(members.statusCode, members.body).to.equal(200);
    expect(
      (members.json() as { members: Array<{ memberId: number }> }).members.map((m) => m.memberId),
    ).to.deep.equal(manifest.members.map((m) => m.id));
    expect(proxy.logRanges.filter((r) => r.blocks > MAX_LOGS_RANGE)).to.deep.equal([]);
  });

  it("adds a member through governance (union proposes, branch A approves, a governor executes; a non-governor or a node key cannot vote) and sets its quotas", async function () {
    const newcomer = Wallet.createRandom();
    const proposal = file("add-member.json");
    const proposed = await govern(
      "propose",
      "add-member",
      "--as",
      "union",
      "--file",
      proposal,
      "--id",
      "6",
      "--kind",
      "branch",
      "--region",
      "330782",
      "--name",
      "Yiwu Rural Bank",
      "--account",
      newcomer.address,
    );
    expect(proposed.at(-1)).to.contain("approvals 1/2");
    let error: unknown;
    await govern("approve", "--as", "platform", "--file", proposal).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(GovernError);
    expect((error as GovernError).code).to.equal("GOVERN_REVERTED");
    expect((error as Error).message).to.contain("GovernorNotGovernorMember");
    // branch A's node key is branch A's, but an operations key: it cannot approve
    const branchA = manifest.members.find((m) => m.key === "branchA")!;
    const nodePassword = file("branchA-node.password");
    await writeFile(nodePassword, `${(await env(branchA.node.envFile)).NODE_KEYSTORE_PASSWORD}\n`, {
      mode: 0o600,
    });
    await govern(
      "approve",
      "--keystore",
      path.join(out, branchA.node.keystoreFile),
      "--password-file",
      nodePassword,
      "--file",
      proposal,
    ).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.contain(`GovernorWrongRole(${branchA.node.account}, 1)`);
    await govern("execute", "--as", "court", "--file", proposal).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.contain("GovernorNotGovernorMember");
    await govern("execute", "--as", "union", "--file", proposal).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.contain("GovernorThresholdNotMet");
    expect((await govern("approve", "--as", "branchA", "--file", proposal))[0]).to.contain(
      "approvals 2/2; ready",
    );
    await govern("execute", "--as", "union", "--file", proposal);
    const [id, status] = (await registry.getFunction("memberStatusOf")(newcomer.address)) as [bigint, bigint];
    expect([Number(id), Number(status)]).to.deep.equal([6, 1]);
    expect((await govern("show", "--file", proposal))[0]).to.contain("executed");

    // the new branch's quotas, now with four governors (three approvals)
    const limits = file("limits-6.json");
    await govern(
      "propose",
      "branch-limits",
      "--as",
      "union",
      "--file",
      limits,
      "--branch",
      "6",
      "--single-loan-max",
      "10000000",
      "--daily-limit",
      "50000000",
      "--outstanding-limit",
      "500000000",
      "--net-tier1-capital",
      "200000000",
    );
    await govern("approve", "--as", "branchA", "--file", limits);
    expect((await govern("approve", "--as", "branchB", "--file", limits))[0]).to.contain(
      "approvals 3/3; ready",
    );
    await govern("execute", "--as", "union", "--file", limits);
    const ledger = new Contract(
      manifest.contracts.jointLoanLedger,
      [
        "function branchLimits(uint32) view returns (tuple(uint64 singleLoanMax, uint64 dailyDisbursementLimit, uint64 outstandingLimit, uint64 netTier1Capital))",
      ],
      anvil.provider,
    );
    const set = (await ledger.getFunction("branchLimits")(6)) as {
      singleLoanMax: bigint;
      netTier1Capital: bigint;
    };
    expect([set.singleLoanMax, set.netTier1Capital]).to.deep.equal([10_000_000n, 200_000_000n]);

    // the intake quotas are governed too: a sixth member shares the capacity
    const quotas = file("quotas.json");
    const said = await govern(
      "propose",
      "intake-quotas",
      "--as",
      "union",
      "--file",
      quotas,
      "--records-per-second",
      "8000",
      "--records-per-day",
      "4000000",
    );
    expect(said.join("\n")).to.contain("set each member's anchor intake quota to 8000 records per second");
    await govern("approve", "--as", "branchA", "--file", quotas);
    await govern("approve", "--as", "branchB", "--file", quotas);
    await govern("execute", "--as", "union", "--file", quotas);
    expect([
      await quotaOnChain("anchor.intake.recordsPerSecond"),
      await quotaOnChain("anchor.intake.recordsPerDay"),
    ]).to.deep.equal([8_000n, 4_000_000n]);
    await govern(
      "propose",
      "intake-quotas",
      "--as",
      "union",
      "--file",
      file("bad-quotas.json"),
      "--records-per-second",
      "0",
      "--records-per-day",
      "4000000",
    ).catch((e: unknown) => (error = e));
    expect((error as GovernError).code).to.equal("GOVERN_BAD_ARGS");
    expect((error as Error).message).to.contain("--records-per-second must be a positive whole number");
  });

  it("rotates branch B's key: new keystore, allowlisted on every node, swapped through governance", async function () {
    const branchB = manifest.members.find((m) => m.key === "branchB")!;
    const keystore = file("branchB-2027.json");
    const created = await govern("new-key", "--out", keystore);
    const fresh = /new account (0x[0-9a-fA-F]{40})/.exec(created[0]!)![1]!;
    const wallet = await Wallet.fromEncryptedJson(
      await readFile(keystore, "utf8"),
      (await readFile(`${keystore}.password`, "utf8")).trim(),
    );
    expect(wallet.address).to.equal(fresh);

    await changeAllowlists(out, { addAccounts: [fresh] });
    for (const n of manifest.nodes) {
      const perms = parseFlatToml(
        await readFile(path.join(out, "nodes", n.name, "permissions_config.toml"), "utf8"),
      );
      expect(perms["accounts-allowlist"]).to.include(fresh.toLowerCase());
      expect(perms["nodes-allowlist"]).to.deep.equal(manifest.nodes.map((x) => x.enode));
    }
    /** The union proposes moving branch B's operations key `old` to `fresh`, into `proposalFile`. */
    const proposeRotation = (proposalFile: string, old: string) =>
      govern(
        "propose",
        "rotate-key",
        "--as",
        "union",
        "--file",
        proposalFile,
        "--member",
        "3",
        "--old",
        old,
        "--new",
        fresh,
      );
    const proposal = file("rotate-branchB.json");
    await proposeRotation(proposal, branchB.node.account);
    // four governors now (member 6 is a branch): more than half is three approvals
    expect((await govern("approve", "--as", "branchA", "--file", proposal))[0]).to.contain("approvals 2/3");
    // branch B approves its own node key's rotation with its governance key
    expect((await govern("approve", "--as", "branchB", "--file", proposal))[0]).to.contain(
      "approvals 3/3; ready",
    );
    // an institution holding its own governance keystore executes with it
    await govern(
      "execute",
      "--keystore",
      path.join(out, branchB.governance!.keystoreFile),
      "--password-file",
      path.join(out, branchB.governance!.passwordFile),
      "--file",
      proposal,
    );
    expect(
      Number(await registry.getFunction("roleOf")(fresh)),
      "the new node key is an operations key",
    ).to.equal(1);
    expect(Number(await registry.getFunction("memberOf")(fresh))).to.equal(3);
    expect(
      Number(await registry.getFunction("memberOf")(branchB.node.account)),
      "the old key is no longer branch B's",
    ).to.equal(0);

    const after = await changeAllowlists(out, { removeAccounts: [branchB.node.account] });
    expect(after.accounts)
      .to.include(fresh.toLowerCase())
      .and.not.include(branchB.node.account.toLowerCase());
    let error: unknown;
    await changeAllowlists(out, { addNodes: ["enode://nothex@1.2.3.4:30303"] }).catch(
      (e: unknown) => (error = e),
    );
    expect((error as Error).message).to.contain("is not an enode URL");
    await proposeRotation(file("bad.json"), "0x123").catch((e: unknown) => (error = e));
    expect((error as GovernError).code).to.equal("GOVERN_BAD_ARGS");
    expect((error as Error).message).to.equal("--old must be a 0x-prefixed 20-byte address");
  });
});
