// Generates a whole Besu consortium network in memory (keys, genesis, node configs, compose file,
// keystores, env files, manifest and README) and writes it to a new folder. Secrets are written
// with mode 0600 into the output folder only.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { encryptKeystoreJson, getBytes, hexlify } from "ethers";
import { tokenSha256 } from "../../../../nodes/src/http/auth.ts";
import type { ApiUser } from "../../../../nodes/src/config.ts";
import { nodeConfigToml, permissionsToml, planNodes, staticNodesJson, type BesuNode } from "./besu-config.ts";
import { besuImage, composeYaml } from "./compose.ts";
import {
  DEFAULT_BRANCH_LIMITS,
  FOUNDERS,
  KIND_CODE,
  UNION_LOG_ID,
  UNION_LOG_NAME,
  predictedAddresses,
  type ContractAddresses,
  type FounderPlan,
  type MemberKey,
  type MemberKind,
} from "./consortium.ts";
import { ENV } from "../../../../anchor-service/src/config.ts";
import { MEMBER_DIRECTORY_FILE, networkDirectory, receiptSm2KeyPair } from "./directory.ts";
import { anchorEnv, nodeEnv } from "./env-files.ts";
import { qbftGenesis } from "./genesis.ts";
import { keyPair, secretSource, type KeyPair, type SecretSource } from "./keys.ts";
import { besuWarnings, qbftTolerance, type BesuOptions, type Tolerance } from "./options.ts";
import { networkReadme } from "./readme.ts";
import { networkTls, tlsEnvLines } from "./tls.ts";
import { networkTrust } from "./trust.ts";
import type { EnvLine } from "./formats.ts";

export type GeneratedFile = { path: string; content: string; secret: boolean };

export type NetworkManifest = {
  version: 1;
  chainId: number;
  besuImage: string;
  /** Absolute path the env files were written for. */
  installDir: string;
  qbft: { blockPeriodSeconds: number; requestTimeoutSeconds: number; epochLength: number } & Tolerance;
  gasLimit: number;
  contractSizeLimit: number;
  maxLogsRange: number;
  nodes: Array<{
    name: string;
    role: "validator" | "rpc";
    address: string;
    enode: string;
    ip: string;
    rpcUrl: string;
  }>;
  /** Creates the contracts (nonces 0–7); not a member. Paths relative to this folder. */
  deployer: { address: string; keystoreFile: string; passwordFile: string };
  /** Where scripts/ops/network/deploy.ts will create the contracts. */
  contracts: ContractAddresses;
  anchor: {
    url: string;
    logName: string;
    logId: string;
    operator: string;
    envFile: string;
    rpcUrl: string;
    /** The SM2 key the service signs intake receipts with (0x04 ‖ x ‖ y), bound by the member directory. */
    receiptSm2PublicKey: string;
  };
  /** The founders' member directory; deploy.ts governs exactly this SHA-256, every node reads the file. */
  memberDirectory: { file: string; sha256: string; testData: boolean };
  members: Array<{
    key: MemberKey;
    id: number;
    kind: MemberKind;
    kindCode: number;
    regionCode: number;
    name: string;
    /**
     * Founding accounts registered for the member, one role each: the node's account first
     * (operations), then the anchor operator's (the union's log operator) and the governance key.
     */
    accounts: string[];
    node: { url: string; account: string; envFile: string; keystoreFile: string; rpcUrl: string };
    /** Union and branches: the key that proposes, approves and executes governance (never the node's). */
    governance?: { account: string; keystoreFile: string; passwordFile: string };
  }>;
  /** Quotas each founding branch gets through governance at deployment (fen, decimal strings). */
  branchLimits: Record<keyof typeof DEFAULT_BRANCH_LIMITS, string>;
};

export type GeneratedNetwork = {
  files: GeneratedFile[];
  manifest: NetworkManifest;
  warnings: string[];
  tolerance: Tolerance;
};

const base64url = (hex: string) => Buffer.from(getBytes(hex)).toString("base64url");

/** Back-office users of a member's node and their roles. */
function usersOf(kind: MemberKind): Array<{ user: string; role: ApiUser["role"] }> {
  if (kind === "court")
    return [
      { user: "court-clerk", role: "court-clerk" },
      { user: "admin", role: "admin" },
    ];
  return [
    { user: "clerk", role: "clerk" },
    { user: "approver", role: "approver" },
    { user: "admin", role: "admin" },
  ];
}

async function keystore(
  secrets: SecretSource,
  label: string,
  key: KeyPair,
  password: string,
  scryptN: number,
): Promise<string> {
  const salt = secrets.bytes32(`keystore/${label}/salt`);
  const iv = hexlify(getBytes(secrets.bytes32(`keystore/${label}/iv`)).slice(0, 16));
  // ethers turns 16 bytes into a version-4 UUID
  const uuid = hexlify(getBytes(secrets.bytes32(`keystore/${label}/uuid`)).slice(0, 16));
  return `${await encryptKeystoreJson({ address: key.address, privateKey: key.privateKey }, password, { salt, iv, uuid, scrypt: { N: scryptN } })}\n`;
}

export async function generateBesuNetwork(options: BesuOptions): Promise<GeneratedNetwork> {
  const secrets = secretSource(options.seed);
  const account = (label: string) => keyPair(secrets.privateKey(`account/${label}`));
  const nodes = planNodes(options, (name) => keyPair(secrets.privateKey(`node/${name}`)));
  const validators = nodes.filter((n) => n.role === "validator");
  const rpcNodes = nodes.filter((n) => n.role === "rpc");
  const rpcUrl = (node: BesuNode) => `http://${node.hostRpc.bind}:${node.hostRpc.port}`;
  const install = (...parts: string[]) => path.join(options.installDir, ...parts);
  const files: GeneratedFile[] = [];
  const add = (file: string, content: string, secret = false) => files.push({ path: file, content, secret });

  const deployer = account("deployer");
  const contracts = predictedAddresses(deployer.address);
  const anchorOperator = account("union/anchor");
  const receiptSm2 = receiptSm2KeyPair(secrets.bytes32("union/anchor/receipt-sm2"));
  const consortiumKey = secrets.bytes32("consortium-key");
  const anchorUrl = `https://127.0.0.1:${options.anchorPort}`;
  // spread the services over the RPC nodes: anchor, then the members in order
  const serviceRpc = (i: number) => rpcUrl(rpcNodes[i % rpcNodes.length]!);

  const members: NetworkManifest["members"] = [];
  const memberKeys = new Map<MemberKey, KeyPair>();
  const governanceKeys = new Map<MemberKey, KeyPair>();
  FOUNDERS.forEach((f: FounderPlan, i) => {
    const key = account(f.key);
    memberKeys.set(f.key, key);
    // one role per key: the governing members' votes come from a key of their own
    const governs = f.kind === "union" || f.kind === "branch";
    const governanceKey = governs ? account(`${f.key}/governance`) : undefined;
    if (governanceKey !== undefined) governanceKeys.set(f.key, governanceKey);
    members.push({
      key: f.key,
      id: f.id,
      kind: f.kind,
      kindCode: KIND_CODE[f.kind],
      regionCode: f.regionCode,
      name: f.name,
      accounts: [
        key.address,
        ...(f.key === "union" ? [anchorOperator.address] : []),
        ...(governanceKey === undefined ? [] : [governanceKey.address]),
      ],
      node: {
        url: `https://127.0.0.1:${options.nodePort + i}`,
        account: key.address,
        envFile: `env/node-${f.key}.env`,
        keystoreFile: `secrets/${f.key}/keystore.json`,
        rpcUrl: serviceRpc(i + 1),
      },
      ...(governanceKey === undefined
        ? {}
        : {
            governance: {
              account: governanceKey.address,
              keystoreFile: `secrets/${f.key}/governance.json`,
              passwordFile: `secrets/${f.key}/governance.password`,
            },
          }),
    });
  });

  // legal names and the anchor's SM2 receipt key, governed at deployment (directory.ts);
  // judged first: a --member-directory file that does not fit is refused before the keystores are made
  const directory = await networkDirectory({
    file: options.memberDirectory,
    founders: FOUNDERS,
    anchorOperatorId: members.find((m) => m.kind === "union")!.id,
    receiptSm2PublicKey: receiptSm2.publicKey,
  });
  add(MEMBER_DIRECTORY_FILE, new TextDecoder().decode(directory.bytes));
  const receiptLines: EnvLine[] = [
    "# 国密: every receipt batch is SM2-signed too, under the key member-directory.json governs for the union",
    [ENV.receiptSignatures, "eip712,sm2"],
    [ENV.receiptSm2Key, receiptSm2.privateKey],
  ];

  const accounts = [deployer.address, ...members.flatMap((m) => m.accounts)];
  const genesis = qbftGenesis(
    options,
    validators.map((v) => v.keys.address),
  );
  add("genesis.json", `${JSON.stringify(genesis, null, 2)}\n`);
  add("docker-compose.yml", composeYaml(nodes, options));
  const permissions = permissionsToml(nodes, accounts);
  for (const node of nodes) {
    add(`nodes/${node.name}/config.toml`, nodeConfigToml(node, nodes, options));
    add(`nodes/${node.name}/permissions_config.toml`, permissions);
    add(`nodes/${node.name}/static-nodes.json`, staticNodesJson(node, nodes));
    add(`nodes/${node.name}/key`, `${node.keys.privateKey}\n`, true);
    add(`nodes/${node.name}/key.pub`, `0x${node.keys.publicKey}\n`);
  }

  const deployerPassword = base64url(secrets.bytes32("password/deployer"));
  add(
    "secrets/deployer.json",
    await keystore(secrets, "deployer", deployer, deployerPassword, options.scryptN),
    true,
  );
  add("secrets/deployer.password", `${deployerPassword}\n`, true);

  // the services speak HTTPS with certificates from the network's own CA (tls.ts)
  const nodeTlsName = (member: MemberKey) => `node-${member}`;
  const tls = await networkTls([
    { name: "anchor", secretDir: "secrets/union" },
    ...members.map((m) => ({ name: nodeTlsName(m.key), secretDir: `secrets/${m.key}` })),
  ]);
  for (const file of tls.files) add(file.path, file.content, file.secret);
  const tlsLines = (prefix: string, service: string) => tlsEnvLines(prefix, tls.paths.get(service)!, install);

  // trusted time and the court's and union's witnesses (trust.ts)
  const trust = await networkTrust({
    tsaUrls: options.tsaUrls ?? [],
    tsaRootFiles: options.tsaRoots ?? [],
    logId: UNION_LOG_ID,
    anchorOperatorKey: anchorOperator.privateKey,
    witnessSeed: (member) => secrets.bytes32(`witness/${member}`),
    nodeUrl: (member) => members.find((m) => m.key === member)!.node.url,
    install: (file) => install(file),
  });
  for (const file of trust.files) add(file.path, file.content, file.secret);

  add(
    "env/anchor.env",
    anchorEnv(
      {
        host: "127.0.0.1",
        port: options.anchorPort,
        dataDir: install("data", "anchor"),
        rpcUrl: serviceRpc(0),
        evidenceLog: contracts.evidenceLog,
        consortiumRegistry: contracts.consortiumRegistry,
        evidenceRegistry: contracts.evidenceRegistry,
        logId: UNION_LOG_ID,
        operatorKey: anchorOperator.privateKey,
        confirmations: 0,
        logPageBlocks: options.maxLogsRange,
      },
      [...receiptLines, ...trust.anchorLines, ...tlsLines("ANCHOR", "anchor")],
    ),
    true,
  );

  for (const member of members) {
    const key = memberKeys.get(member.key)!;
    const password = base64url(secrets.bytes32(`password/${member.key}`));
    const tokens = Object.fromEntries(
      usersOf(member.kind).map((u) => [u.user, base64url(secrets.bytes32(`token/${member.key}/${u.user}`))]),
    );
    add(member.node.keystoreFile, await keystore(secrets, member.key, key, password, options.scryptN), true);
    add(
      `secrets/${member.key}/master.key`,
      `${secrets.bytes32(`master-key/${member.key}`).slice(2)}\n`,
      true,
    );
    add(
      `secrets/${member.key}/api-tokens.json`,
      `${JSON.stringify({ node: member.node.url, tokens }, null, 2)}\n`,
      true,
    );
    const governanceKey = governanceKeys.get(member.key);
    if (governanceKey !== undefined && member.governance !== undefined) {
      const governancePassword = base64url(secrets.bytes32(`password/${member.key}/governance`));
      add(
        member.governance.keystoreFile,
        await keystore(
          secrets,
          `${member.key}/governance`,
          governanceKey,
          governancePassword,
          options.scryptN,
        ),
        true,
      );
      add(member.governance.passwordFile, `${governancePassword}\n`, true);
    }
    const directory =
      member.kind === "union"
        ? Object.fromEntries(
            members.filter((m) => m.key !== member.key).map((m) => [String(m.id), m.node.url]),
          )
        : {};
    add(
      member.node.envFile,
      nodeEnv(
        {
          host: "127.0.0.1",
          port: Number(new URL(member.node.url).port),
          dataDir: install("data", `node-${member.key}`),
          memberId: member.id,
          memberKind: member.kind,
          keystoreFile: install(member.node.keystoreFile),
          keystorePassword: password,
          masterKeyFile: install("secrets", member.key, "master.key"),
          consortiumKey,
          rpcUrl: member.node.rpcUrl,
          anchorUrl,
          consortiumRegistry: contracts.consortiumRegistry,
          jointLoanLedger: contracts.jointLoanLedger,
          disputeResolution: contracts.disputeResolution,
          evidenceRegistry: contracts.evidenceRegistry,
          deployBlock: 0,
          logPageBlocks: options.maxLogsRange,
          indexerPollMs: options.blockPeriod * 1000,
          directory,
          // the union runs the consortium's keeper rounds (any member may; one is enough)
          ...(member.kind === "union" ? { keeperIntervalMs: 3_600_000 } : {}),
          // branches query the credit bureau through the union's credit-query service
          ...(member.kind === "branch" ? { creditQueryVia: "union" as const } : {}),
          users: usersOf(member.kind).map((u) => ({ ...u, tokenSha256: tokenSha256(tokens[u.user]!) })),
          memberDirectoryFile: install(MEMBER_DIRECTORY_FILE),
        },
        member.name,
        [...trust.nodeLines(member.key), ...tlsLines("NODE", nodeTlsName(member.key))],
      ),
      true,
    );
  }

  const tolerance = qbftTolerance(options.validators);
  const manifest: NetworkManifest = {
    version: 1,
    chainId: options.chainId,
    besuImage: besuImage(options),
    installDir: options.installDir,
    qbft: {
      blockPeriodSeconds: options.blockPeriod,
      requestTimeoutSeconds: options.requestTimeout,
      epochLength: options.epochLength,
      ...tolerance,
    },
    gasLimit: options.gasLimit,
    contractSizeLimit: options.contractSizeLimit,
    maxLogsRange: options.maxLogsRange,
    nodes: nodes.map((n) => ({
      name: n.name,
      role: n.role,
      address: n.keys.address,
      enode: n.enode,
      ip: n.ip,
      rpcUrl: rpcUrl(n),
    })),
    deployer: {
      address: deployer.address,
      keystoreFile: "secrets/deployer.json",
      passwordFile: "secrets/deployer.password",
    },
    contracts,
    anchor: {
      url: anchorUrl,
      logName: UNION_LOG_NAME,
      logId: UNION_LOG_ID,
      operator: anchorOperator.address,
      envFile: "env/anchor.env",
      rpcUrl: serviceRpc(0),
      receiptSm2PublicKey: receiptSm2.publicKey,
    },
    memberDirectory: { file: MEMBER_DIRECTORY_FILE, sha256: directory.sha256, testData: directory.testData },
    members,
    branchLimits: { ...DEFAULT_BRANCH_LIMITS },
  };
  add("network.json", `${JSON.stringify(manifest, null, 2)}\n`);
  const warnings = besuWarnings(options);
  add(
    "README.md",
    networkReadme(
      manifest,
      warnings,
      files.map((f) => f.path).concat("README.md"),
      new Set(files.filter((f) => f.secret).map((f) => f.path)),
    ),
  );
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, manifest, warnings, tolerance };
}

/** Write a generated network into `out`, which must not exist or be empty (keys are never overwritten). */
export async function writeNetwork(out: string, network: GeneratedNetwork): Promise<void> {
  const existing = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  if (existing.length > 0)
    throw new Error(`${out} is not empty; choose a new folder (the generator never overwrites keys)`);
  await mkdir(out, { recursive: true, mode: 0o755 });
  for (const file of network.files) {
    const target = path.join(out, file.path);
    const top = file.path.split("/")[0]!;
    // secrets/ and env/ are the owner's only; node folders must stay readable to the container
    await mkdir(path.dirname(target), {
      recursive: true,
      mode: top === "secrets" || top === "env" ? 0o700 : 0o755,
    });
    await writeFile(target, file.content, { mode: file.secret ? 0o600 : 0o644, flag: "wx" });
  }
}
