// The world the node API tests run in, for one describe block: a consortium chain with lending
// deployed for branch A (./institution-node.ts), a live anchor service on it (heads committed
// only when a test runs a round) and the institution nodes the block starts; within 15 minutes
// of Shanghai midnight, the chain and this process's clock are first moved a minute past it
// (./day-boundary.ts), so a loan approved on the chain's today is disbursed that day. lendingSuite()
// registers the block's before and after hooks and returns the suite's handle, whose fields are
// set once `before` has run; the nodes it starts are closed after the block, the last first, then
// the anchor service and the chain, and its temporary directory is removed. (No describe/it
// here: Hardhat mocha loads it like a test.)
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../anchor-service/src/config.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import type { NodeConfig } from "../../nodes/src/config.ts";
import { createNodeService, type NodeService, type NodeServiceOptions } from "../../nodes/src/service.ts";
import type { LendingDeployment } from "../../scripts/ops/deploy/consortium.ts";
import type { Wallet } from "ethers";
import { createDemoCa, privateKeyPem } from "../../common/pki/demo-ca.ts";
import { trustOnly, type ServerTls } from "../../common/service/tls.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "./consortium-chain.ts";
import { chainNow, pastNearMidnight } from "./day-boundary.ts";
import { branchNodeConfig, deployBranchALending, type RoleTokens } from "./institution-node.ts";

export type LendingSuite = {
  chain: ConsortiumChain;
  lending: LendingDeployment;
  anchor: AnchorService;
  anchorUrl: string;
  /** The suite's temporary directory (the anchor's, the nodes' and their master keys' files). */
  dir: string;
  /**
   * Branch A's node configuration (branchNodeConfig) with `tokens`' users, its files under
   * `<dir>/<sub>` (default: the suite's directory itself); `overrides` replace any field.
   */
  config(options?: {
    tokens?: RoleTokens;
    sub?: string;
    overrides?: Partial<NodeConfig>;
  }): Promise<NodeConfig>;
  /** A node service, in memory and silent unless `options` say otherwise; closed after the block. */
  node(options: NodeServiceOptions): Promise<NodeService>;
  /** With the `branch` or the `joint` option: branch A's node, and its configuration (the joint loan's nodes share it). */
  branch: NodeService;
  baseConfig: NodeConfig;
  /** With the `joint` option: the union's and the platform's nodes, and the three nodes' directory (member → URL). */
  union: NodeService;
  platform: NodeService;
  directory: Record<string, string>;
  /** With the `tls` option: the CA (PEM) the services' certificate chains to and this process trusts alone. */
  tlsCa: string;
  /**
   * Chain time forward to `timestamp` (a block mined), and this process's `Date.now` with it until
   * the block ends: the anchor service's receipts, the heads' block times and the services'
   * signed requests then agree as they do in production, where the clocks and the chain's time
   * are the same. What the anchor service took in before is committed first, at its time.
   */
  travelTo(timestamp: number): Promise<void>;
  /**
   * When the next Shanghai midnight is at most 15 minutes away, chain time and this process's
   * clock (travelTo) a minute past it (./day-boundary.ts); `before` does it once.
   */
  clearOfMidnight(): Promise<void>;
};

export type LendingSuiteOptions = {
  /**
   * Start branch A's node in `before` (its operations wallet, `tokens`' users, its files in the
   * suite's directory; other service options as given), with its outbox sender and indexer
   * (`start: "node"`, the default) or its sender alone.
   */
  branch?: { tokens: RoleTokens; start?: "node" | "sender" } & Partial<NodeServiceOptions>;
  /**
   * Start a joint loan's three nodes in `before` instead: branch A's, the union's and the
   * platform's (files in `<dir>/branch`, `union`, `platform`; `tokens`' users on each), each
   * listening, with one directory of their URLs; the branch's outbox sender started.
   */
  joint?: { tokens: RoleTokens };
  /** The anchor service's data in `<dir>/anchor` on disk (default: in memory) and configuration beyond the chain's own. */
  anchor?: { onDisk?: boolean; config?: Partial<Config> };
  /**
   * Everything over HTTPS: a fresh demo CA issues one certificate for 127.0.0.1 that the anchor
   * service and every node serve; this process's fetch trusts that CA alone until the block ends.
   */
  tls?: boolean;
};

export function lendingSuite(tempPrefix: string, options: LendingSuiteOptions = {}): LendingSuite {
  const nodes: NodeService[] = [];
  let tls: { tls: ServerTls } | Record<string, never> = {};
  let untrust = () => {};
  const wallNow = Date.now;
  const suite = {
    directory: {},
    async travelTo(timestamp) {
      await suite.anchor.committer.runOnce();
      const provider = suite.chain.anvil.provider;
      const now = (await provider.getBlock("latest"))!.timestamp;
      await provider.send("evm_increaseTime", [timestamp - now]);
      await provider.send("evm_mine", []);
      const aheadMs = (await provider.getBlock("latest"))!.timestamp * 1000 - wallNow();
      Date.now = () => wallNow() + aheadMs;
    },
    async clearOfMidnight() {
      const past = pastNearMidnight(await chainNow(suite.chain.anvil.provider));
      if (past !== undefined) await suite.travelTo(past);
    },
    async config(options = {}) {
      const dir = options.sub === undefined ? suite.dir : join(suite.dir, options.sub);
      await mkdir(dir, { recursive: true });
      return branchNodeConfig(suite.chain, suite.lending, {
        dir,
        anchorUrl: suite.anchorUrl,
        tokens: options.tokens ?? {},
        ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
      });
    },
    async node(options) {
      const node = await createNodeService({ inMemory: true, logger: false, ...tls, ...options });
      nodes.push(node);
      return node;
    },
  } as LendingSuite;

  before(async function () {
    if (options.tls === true) {
      const ca = await createDemoCa({ name: "JointLedger test TLS CA" });
      const service = await ca.issueTlsCertificate(["127.0.0.1", "localhost"]);
      tls = { tls: { cert: service.certificatePem, key: await privateKeyPem(service.privateKey) } };
      suite.tlsCa = ca.certificatePem;
      untrust = trustOnly(ca.certificatePem);
    }
    suite.chain = await startConsortiumChain();
    suite.dir = await mkdtemp(join(tmpdir(), tempPrefix));
    suite.lending = await deployBranchALending(suite.chain);
    suite.anchor = await createAnchorService({
      config: suite.chain.config({
        dataDir: join(suite.dir, "anchor"),
        commitIntervalMs: 3_600_000,
        ...options.anchor?.config,
      }),
      inMemory: options.anchor?.onDisk !== true,
      logger: false,
      ...tls,
    });
    await suite.anchor.start();
    suite.anchorUrl = await suite.anchor.app.listen({ host: "127.0.0.1", port: 0 });
    // the tests disburse loans on their start day, the chain's today: a Shanghai midnight near
    // now is passed before any node starts
    await suite.clearOfMidnight();
    if (options.branch !== undefined) {
      const { tokens, start = "node", ...serviceOptions } = options.branch;
      suite.baseConfig = await suite.config({ tokens });
      suite.branch = await suite.node({
        config: suite.baseConfig,
        wallet: suite.chain.wallets.branchA,
        ...serviceOptions,
      });
      await (start === "node" ? suite.branch.start() : suite.branch.sender.start());
    }
    if (options.joint !== undefined) {
      const base = (suite.baseConfig = await suite.config({ tokens: options.joint.tokens }));
      const node = (name: string, member: Partial<NodeConfig>, wallet: Wallet) =>
        suite.node({
          config: { ...base, ...member, dataDir: join(suite.dir, name), directory: suite.directory },
          wallet,
        });
      suite.branch = await node("branch", {}, suite.chain.wallets.branchA);
      suite.union = await node(
        "union",
        { memberId: MEMBERS.union, memberKind: "union" },
        suite.chain.wallets.unionOps,
      );
      suite.platform = await node(
        "platform",
        { memberId: MEMBERS.platform, memberKind: "platform" },
        suite.chain.wallets.platform,
      );
      for (const [member, service] of [
        [MEMBERS.branchA, suite.branch],
        [MEMBERS.union, suite.union],
        [MEMBERS.platform, suite.platform],
      ] as const) {
        suite.directory[String(member)] = await service.app.listen({ host: "127.0.0.1", port: 0 });
      }
      suite.branch.sender.start();
    }
  });

  after(async function () {
    for (const node of nodes.reverse()) await node.close();
    await suite.anchor?.close();
    await suite.chain?.stop();
    if (suite.dir !== undefined) await rm(suite.dir, { recursive: true, force: true });
    untrust();
    Date.now = wallNow;
  });

  return suite;
}
