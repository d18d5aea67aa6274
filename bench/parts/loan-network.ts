// The loan benchmark's consortium: a real Anvil with every contract (startConsortiumChain +
// deployLending), and the anchor service, the union's, branch A's and the platform's nodes, each
// its own process started from its entry point with the ANCHOR_* / NODE_* variables an operator
// sets (as scripts/ops/local/services.ts does), logging to files in a temporary directory. The nodes
// know each other (NODE_DIRECTORY): the platform's node submits its applications to the union's,
// which forwards them to branch A, and branch A asks the platform's node to agree to each joint loan.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Wallet, encryptKeystoreJson } from "ethers";
import { createMasterKeyFile } from "../../nodes/src/privacy/crypto-box.ts";
import { deployLending } from "../../scripts/ops/deploy/consortium.ts";
import { NodeApi } from "../../nodes/client/node-api.ts";
import { ServiceProcess, httpReady } from "../../scripts/ops/local/service-process.ts";
import { nodeUsers } from "../../scripts/ops/local/services.ts";
import { freePort } from "../../test/support/anvil.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "../../test/support/consortium-chain.ts";
import { HOST, REPO_ROOT, anchorProcess, profileArgs } from "./anchor-process.ts";
import { type RpcCounts, type RpcRelay, rpcRelay } from "./rpc-count.ts";

/**
 * Limits high enough that a benchmark run never meets a quota (the demo's allow 1 million yuan of
 * disbursements a day); the contract still checks each of them on every call.
 */
const BENCH_LIMITS = {
  singleLoanMax: 20_000_000n,
  dailyDisbursementLimit: 10n ** 13n,
  outstandingLimit: 10n ** 14n,
  netTier1Capital: 10n ** 15n,
};

export type BenchNode = {
  api: NodeApi;
  wallet: Wallet;
  memberId: number;
  settlementAccount: string;
  process: ServiceProcess;
};

export type LoanNetwork = {
  chain: ConsortiumChain;
  ledger: string;
  regionCode: number;
  anchorUrl: string;
  /** The anchor service's process (its CPU is read per phase). */
  anchor: ServiceProcess;
  /** Routes the platform's applications to branch A; funds nothing, so no settlement account. */
  union: Omit<BenchNode, "settlementAccount">;
  branch: BenchNode;
  platform: BenchNode;
  dir: string;
  /** BENCH_RPC_COUNT=1: each service's chain calls so far, by method (undefined: not counted). */
  rpcCounts: (() => Record<ServiceName, RpcCounts>) | undefined;
  /** Stop the nodes and the anchor service (the chain keeps running for the ceiling). */
  stopServices(): Promise<void>;
  stop(): Promise<void>;
};

async function keystore(dir: string, name: string, wallet: Wallet, password: string): Promise<string> {
  const file = path.join(dir, `${name}.keystore.json`);
  // scrypt N = 2^14, as the local launcher's demo keystores: decrypts in ~0.1 s
  await writeFile(
    file,
    await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
      scrypt: { N: 1 << 14 },
    }),
    { mode: 0o600 },
  );
  return file;
}

export type ServiceName = "anchor" | "union" | "branchA" | "platform";

/**
 * `options.rpcCount`: every service reaches Anvil through a counting relay (rpc-count.ts);
 * `options.cpuProfileDir`: each service writes a V8 CPU profile into `<dir>/<name>/` when stopped.
 */
export async function startLoanNetwork(
  log: (line: string) => void,
  options: { rpcCount?: boolean; cpuProfileDir?: string } = {},
): Promise<LoanNetwork> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-loans-"));
  const processes: ServiceProcess[] = [];
  const relays = new Map<ServiceName, RpcRelay>();
  let chain: ConsortiumChain | undefined;
  const stopServices = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    for (const r of relays.values()) await r.close();
  };
  const profileDir = (name: ServiceName) =>
    options.cpuProfileDir === undefined ? undefined : path.join(options.cpuProfileDir, name);
  try {
    chain = await startConsortiumChain();
    const { wallets } = chain;
    const branchAccount = `0x${randomBytes(32).toString("hex")}`;
    const platformAccount = `0x${randomBytes(32).toString("hex")}`;
    // a funder disburses only from its own whitelisted settlement account: one for each funder
    const lending = await deployLending(wallets.deployer, chain.deployment, chain.approvers, [
      { memberId: MEMBERS.branchA, limits: BENCH_LIMITS, whitelist: [branchAccount] },
      { memberId: MEMBERS.platform, whitelist: [platformAccount] },
    ]);
    log(
      `loans: Anvil on ${chain.anvil.url}, contracts deployed (ledger ${lending.addresses.jointLoanLedger})`,
    );
    const logs = path.join(dir, "logs");
    await mkdir(logs);
    const names: ServiceName[] = ["anchor", "union", "branchA", "platform"];
    if (options.rpcCount === true)
      for (const name of names) relays.set(name, await rpcRelay(chain.anvil.url));
    const rpcUrl = (name: ServiceName) => relays.get(name)?.url ?? chain!.anvil.url;

    const { process: anchor, url: anchorUrl } = await anchorProcess(
      chain,
      path.join(dir, "anchor"),
      path.join(logs, "anchor.log"),
      {
        rpcUrl: rpcUrl("anchor"),
        ...(profileDir("anchor") === undefined ? {} : { cpuProfileDir: profileDir("anchor")! }),
      },
    );
    processes.push(anchor);
    await anchor.start();
    log(`loans: anchor service ready on ${anchorUrl}`);

    const password = randomBytes(18).toString("base64url");
    const consortiumKey = `0x${randomBytes(32).toString("hex")}`;
    const ports = { union: await freePort(), branchA: await freePort(), platform: await freePort() };
    const urlOf = (name: keyof typeof ports) => `http://${HOST}:${ports[name]}`;
    const directory = JSON.stringify({
      [MEMBERS.union]: urlOf("union"),
      [MEMBERS.branchA]: urlOf("branchA"),
      [MEMBERS.platform]: urlOf("platform"),
    });
    const startNode = async (
      name: keyof typeof ports,
      memberId: number,
      kind: "union" | "branch" | "platform",
      wallet: Wallet,
    ): Promise<Omit<BenchNode, "settlementAccount">> => {
      const port = ports[name];
      const url = urlOf(name);
      const tokens = {
        clerk: `bench_${name}_clerk_${randomBytes(12).toString("hex")}`,
        approver: `bench_${name}_approver_${randomBytes(12).toString("hex")}`,
      };
      const masterKeyFile = path.join(dir, `${name}.master.key`);
      await createMasterKeyFile(masterKeyFile);
      const node = new ServiceProcess({
        name,
        command: process.execPath,
        args: [...profileArgs(profileDir(name)), path.join(REPO_ROOT, "nodes", "src", "server.ts")],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          NODE_HOST: HOST,
          NODE_PORT: String(port),
          NODE_DATA_DIR: path.join(dir, name),
          NODE_MEMBER_ID: String(memberId),
          NODE_MEMBER_KIND: kind,
          NODE_KEYSTORE_FILE: await keystore(dir, name, wallet, password),
          NODE_KEYSTORE_PASSWORD: password,
          NODE_MASTER_KEY_FILE: masterKeyFile,
          NODE_CONSORTIUM_KEY: consortiumKey,
          NODE_RPC_URL: rpcUrl(name),
          NODE_ANCHOR_URL: anchorUrl,
          NODE_CONSORTIUM_REGISTRY: chain!.deployment.addresses.consortiumRegistry,
          NODE_JOINT_LOAN_LEDGER: lending.addresses.jointLoanLedger,
          NODE_DISPUTE_RESOLUTION: lending.addresses.disputeResolution,
          NODE_EVIDENCE_REGISTRY: chain!.deployment.addresses.evidenceRegistry,
          NODE_DEPLOY_BLOCK: String(chain!.deployment.blockNumber),
          NODE_DIRECTORY: directory,
          NODE_USERS: nodeUsers(name, tokens),
        },
        logFile: path.join(logs, `${name}.log`),
        ready: () => httpReady(`${url}/readyz`),
      });
      processes.push(node);
      await node.start();
      log(`loans: ${name} node (member ${memberId}) ready on ${url}`);
      return { api: new NodeApi(name, url, tokens), wallet, memberId, process: node };
    };
    const [union, branch, platform] = await Promise.all([
      startNode("union", MEMBERS.union, "union", wallets.unionOps),
      startNode("branchA", MEMBERS.branchA, "branch", wallets.branchA).then((node) => ({
        ...node,
        settlementAccount: branchAccount,
      })),
      startNode("platform", MEMBERS.platform, "platform", wallets.platform).then((node) => ({
        ...node,
        settlementAccount: platformAccount,
      })),
    ]);
    const c = chain;
    return {
      chain: c,
      ledger: lending.addresses.jointLoanLedger,
      regionCode: 330102, // branch A's region in startConsortiumChain's registry
      anchorUrl,
      anchor,
      union,
      branch,
      platform,
      dir,
      rpcCounts:
        relays.size === 0
          ? undefined
          : () =>
              Object.fromEntries([...relays].map(([name, r]) => [name, r.counts()])) as Record<
                ServiceName,
                RpcCounts
              >,
      stopServices,
      async stop() {
        await stopServices();
        await c.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const tails = await Promise.all(
      processes.map(async (p) => `--- ${p.spec.name} (${p.spec.logFile}):\n${await p.logTail(15)}`),
    );
    await stopServices().catch(() => undefined);
    await chain?.stop();
    throw new Error(`${(error as Error).message}\n${tails.join("\n")}`, { cause: error });
  }
}
