// The local consortium: a persistent chain (Anvil with its state in <dataDir>/chain, or an
// external RPC endpoint), the contracts deployed once and reused while their code is unchanged,
// the demo founders bootstrapped, keys and API tokens in <dataDir>/keys and the manifest, then
// the anchor service and the five institution nodes as child processes, each logging to
// <dataDir>/logs/<name>.log. `npm start` (start.ts) and the tests start it through here.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { JsonRpcProvider } from "ethers";
import { TRUSTED_TIME_TOLERANCE_SECONDS } from "../../../common/formats/bundle/trusted-time.ts";
import {
  LOCAL_CHAIN_ID,
  STATE_INTERVAL_SECONDS,
  anvilMining,
  startMining,
  stopMining,
  startStateDumps,
  type StateDumps,
  guardStateFile,
  localChainProcess,
} from "./chain.ts";
import {
  CONTRACT_FIELDS,
  DEMO_MEMBERS,
  UNION_LOG_ID,
  type DeployedConsortium,
  adoptMemberDirectory,
  deployDemoConsortium,
  deploymentProblem,
  fundAccounts,
  regionsOnChain,
} from "./deployment.ts";
import { LocalConsortiumError } from "./errors.ts";
import { describeIntakeQuotas, intakeQuotasOnChain } from "./intake-quotas.ts";
import { type KeyMaterial, loadOrCreateKeys, newApiToken } from "./keys.ts";
import { LauncherLock } from "./lock.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  readTrustAnchor,
  trustAnchorFingerprint,
  trustAnchorJson,
} from "../../../common/formats/bundle/trust-anchor.ts";
import {
  type ConsortiumManifest,
  MANIFEST_FILE,
  NODE_NAMES,
  type NodeName,
  type Role,
  manifestPath,
  readManifest,
  trustAnchorPath,
} from "./manifest.ts";
import { HOST, assertPortFree, resolvePort } from "./ports.ts";
import { type ServiceProcess, rpcReady } from "./service-process.ts";
import { anchorProcess, nodeProcess, type ServiceContext } from "./services.ts";
import { type LocalTsa, assertChainClockNotAhead, startLocalTsa } from "./tsa.ts";
import { type LocalWitnesses, setUpLocalWitnesses } from "./witnesses.ts";
import { ensureLocalTls, schemeFor } from "./tls.ts";
import { ensureContractCa } from "./contract-ca.ts";
import { StartupClock, type StartupTimings } from "./timings.ts";
import { buildPageModules } from "../../../anchor-service/web/src/build.ts";

export type StartOptions = {
  dataDir: string;
  /** 0 = ephemeral. Defaults: chain 8545, anchor 9545, nodes 9600–9604. */
  ports?: { chain?: number; anchor?: number; tsa?: number; nodes?: Partial<Record<NodeName, number>> };
  /** External chain: do not start Anvil. */
  rpcUrl?: string;
  log?: (line: string) => void;
  anvilArgs?: string[];
  /** Extra env for child services, e.g. NODE_KEEPER_INTERVAL_MS. */
  env?: Record<string, string>;
  /** Every service over HTTPS with certificates from a local CA in <dataDir>/tls (tls.ts); `npm start` sets it unless JL_TLS=off. */
  tls?: boolean;
  /** How long each service may take to become ready (JL_READY_TIMEOUT_SECONDS; service-process.ts's default). */
  readyTimeoutMs?: number;
};

export type ServiceName = NodeName | "anchor" | "chain";

export type LocalConsortium = {
  manifest: ConsortiumManifest;
  /** Where this start's time went: each step of the launcher and each child's boot (timings.ts). */
  startup: StartupTimings;
  /** SIGINT/SIGTERM children (nodes, then the anchor service, then the chain, which dumps its state), wait. */
  stop(): Promise<void>;
  /** Send `signal` (default SIGKILL: a crash) to one service and wait for it to exit. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Start it again with the same config (stopping it first if it runs), wait for /readyz. */
  restart(name: ServiceName): Promise<void>;
  /**
   * Mining paused (the periodic state dumps, which end by resuming mining, stopped meanwhile);
   * the function returned resumes the chain's own mode and the dumps. Only on the launcher's chain.
   */
  pauseMining(): Promise<() => Promise<void>>;
  /** Each child's stdout+stderr is appended to <dataDir>/logs/<name>.log. */
  logFile(name: ServiceName): string;
};

export const DEFAULT_PORTS = { chain: 8545, anchor: 9545, tsa: 9546, nodeBase: 9600 } as const;

const REPO_ROOT = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));

const ROLES_OF: Record<NodeName, Role[]> = {
  union: ["clerk", "approver", "admin"],
  branchA: ["clerk", "approver", "admin"],
  branchB: ["clerk", "approver", "admin"],
  platform: ["clerk", "approver", "admin"],
  court: ["clerk", "approver", "admin", "court-clerk"],
};

export async function startLocalConsortium(options: StartOptions): Promise<LocalConsortium> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  // each step's time, so a slow restart shows where it went
  const clock = new StartupClock();
  const since = () => clock.since();
  // the court page's modules depend on the source alone: bundled while the chain starts, awaited before any service
  const pageModules = buildPageModules();
  pageModules.catch(() => undefined);
  const logFile = (name: string) => path.join(dataDir, "logs", `${name}.log`);
  await mkdir(path.join(dataDir, "logs"), { recursive: true });
  await mkdir(path.join(dataDir, "chain"), { recursive: true });
  await mkdir(path.join(dataDir, "nodes"), { recursive: true });
  const lock = await LauncherLock.acquire(dataDir);
  const local = options.rpcUrl === undefined;
  const services = new Map<ServiceName, ServiceProcess>();
  let provider: JsonRpcProvider | undefined;
  let tsa: LocalTsa | undefined;
  let dumps: StateDumps | undefined;
  const killAllNow = () => {
    for (const s of services.values()) s.killNow();
  };
  process.on("exit", killAllNow);

  const stopAll = async () => {
    await Promise.all(NODE_NAMES.flatMap((n) => services.get(n)?.stop() ?? []));
    await services.get("anchor")?.stop();
    await tsa?.close();
    await dumps?.stop();
    await services.get("chain")?.stop();
    provider?.destroy();
    provider = undefined;
    process.off("exit", killAllNow);
    await lock.release();
  };

  try {
    log(`data directory: ${dataDir}`);
    const ports = await clock.time("ports checked", () => planPorts(options.ports ?? {}, local));
    const previous = await readManifest(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });

    // the keystores are decrypted (scrypt, on libuv's threads) while the chain's state is checked
    // and loaded: neither needs the other, and the chain is what the keys are first used on
    const loadingKeys = clock.time("keys: keystores decrypted (beside the chain's start)", async () => {
      const loaded = await loadOrCreateKeys(dataDir, NODE_NAMES, process.env);
      log(
        loaded.created.length === 0
          ? `keys: ${Object.keys(loaded.wallets).length} encrypted keystores loaded from ${path.join(dataDir, "keys")}`
          : `keys: generated ${loaded.created.length} encrypted keystore(s) in ${path.join(dataDir, "keys")} (password ${loaded.passwordSource === "JL_KEYSTORE_PASSWORD" ? "from JL_KEYSTORE_PASSWORD" : `in ${path.join(dataDir, "keys", ".password")}`})`,
      );
      return loaded;
    });
    loadingKeys.catch(() => undefined); // awaited below; a failure stops the start there

    // the chain
    let rpcUrl: string;
    if (local) {
      const { state, genesisTimestamp } = await clock.time(
        "chain: state.json checked (parsed, call traces left out, kept as state.prev.json)",
        () => guardStateFile(dataDir),
      );
      if (state === "large")
        log(
          "chain: state.json is too large to check here: Anvil checks it as it loads it (state.prev.json if it refuses it)",
        );
      if (state === "restored-previous")
        log(
          "chain: WARNING state.json was damaged (a crash during a dump?); restored the previous dump, state.prev.json",
        );
      rpcUrl = `http://${HOST}:${ports.chain}`;
      log(
        `chain: starting Anvil on ${rpcUrl} (${state === "fresh" ? "new chain" : "resuming"}; state saved to chain/state.json every ${STATE_INTERVAL_SECONDS} s and on stop)`,
      );
      const chain = localChainProcess({
        repoRoot: REPO_ROOT,
        dataDir,
        port: ports.chain,
        logFile: logFile("chain"),
        genesisTimestamp: genesisTimestamp ?? Math.floor(Date.now() / 1000),
        extraArgs: options.anvilArgs ?? [],
        stateStatus: state,
        ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
        onClockRestored: (ahead) => {
          // further ahead, the start is refused below (LOCAL_CHAIN_CLOCK_AHEAD), which says so
          if (ahead > 1 && ahead <= TRUSTED_TIME_TOLERANCE_SECONDS)
            log(
              `chain: the last block is ${ahead} s ahead of this machine's clock (time travel); the chain's clock continues from it`,
            );
        },
      });
      services.set("chain", chain);
      await clock.time("chain: Anvil started, state loaded, answering", () => startService(chain, lock, log));
      await clock.service(chain);
    } else {
      rpcUrl = options.rpcUrl!;
      if (!(await rpcReady(rpcUrl).catch(() => false)))
        throw new LocalConsortiumError(
          "LOCAL_CHAIN_UNREACHABLE",
          `the external chain at ${rpcUrl} (JL_RPC_URL) does not answer eth_chainId`,
        );
    }
    provider = new JsonRpcProvider(rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    provider.pollingInterval = local ? 100 : 1000;
    const chainProvider = provider;
    const { mining } = anvilMining(options.anvilArgs ?? []);
    const startDumps = () => startStateDumps({ provider: chainProvider, dataDir, mining, log });
    // a dump ends by resuming mining: the dumps stop while mining must stay as someone left it;
    // the function returned starts them again (unless another start has replaced them)
    const holdDumps = async (): Promise<() => void> => {
      const held = dumps;
      await held?.stop();
      return () => {
        if (held !== undefined && dumps === held) dumps = startDumps();
      };
    };
    const { chainId, genesisHash } = await clock.time("chain: id, genesis, clock checked", async () => {
      const [network, block0] = await Promise.all([chainProvider.getNetwork(), chainProvider.getBlock(0)]);
      if (block0 === null || block0.hash === null)
        throw new LocalConsortiumError(
          "LOCAL_CHAIN_UNREACHABLE",
          `the chain at ${rpcUrl} has no genesis block`,
        );
      // a chain stamping blocks in the future would certify evidence as anchored then: refused
      await assertChainClockNotAhead(chainProvider, dataDir);
      return { chainId: Number(network.chainId), genesisHash: block0.hash };
    });
    if (local) {
      // consistent, atomic dumps of the chain's state (Anvil's own periodic dumps are neither)
      dumps = startDumps();
    }
    log(
      `chain: ready, chain id ${chainId}, block ${await provider.getBlockNumber()}, genesis ${genesisHash.slice(0, 10)}… (${since()})`,
    );
    const keys = await loadingKeys;
    await clock.time("chain: accounts funded", () => fundAccounts(chainProvider, keys.wallets, local, log));

    // the contracts: reuse the recorded deployment while its code is unchanged
    const deployed = await clock.time("contracts: code at every address checked (or deployed)", () =>
      deployOrReuse(chainProvider, keys, previous, dataDir, log),
    );
    // set at first deployment; governance may have changed them since, so this reads the chain
    const quotas = await clock.time("contracts: intake quotas read", () =>
      intakeQuotasOnChain(chainProvider, deployed.contracts.consortiumRegistry),
    );
    log(describeIntakeQuotas(quotas));
    // the members' legal names and credit codes, and the anchor's SM2 receipt key, as governance set them
    const memberDirectory = await clock.time("member directory: the governed one checked", () =>
      adoptMemberDirectory({
        provider: chainProvider,
        contracts: deployed.contracts,
        approvers: [keys.wallets["union-governance"], keys.wallets["branchA-governance"]],
        dataDir,
        anchorReceiptSm2PublicKey: keys.anchorReceiptSm2.publicKey,
        log,
      }),
    );
    // the trust anchor a court keeps: this chain and its registry (the registry names the official evidence pair)
    const trustAnchor = await clock.time("trust anchor read and written", async () => {
      const anchor = await readTrustAnchor(chainProvider, {
        consortiumRegistry: deployed.contracts.consortiumRegistry,
        name: DEFAULT_TRUST_ANCHOR_NAME,
      });
      await writeFile(trustAnchorPath(dataDir), trustAnchorJson(anchor), { mode: 0o644 });
      return anchor;
    });
    log(`trust anchor: ${trustAnchorPath(dataDir)} (fingerprint ${trustAnchorFingerprint(trustAnchor)})`);
    // HTTPS: a local CA and each service's certificate, made once in <data>/tls
    const tls =
      options.tls === true
        ? await clock.time("TLS: CA and certificates checked", () => ensureLocalTls(dataDir))
        : undefined;
    if (tls !== undefined)
      log(
        `TLS: every service over HTTPS, certificates from the local CA ${tls.caFile} (演示用; ${tls.created ? "created" : "reused"}${tls.issued.length === 0 ? "" : `, issued for ${tls.issued.join(", ")}`})`,
      );
    // trusted time: the demo TSA (演示用), unless ANCHOR_TSA_URLS names real ones
    if (process.env.ANCHOR_TSA_URLS === undefined && options.env?.ANCHOR_TSA_URLS === undefined) {
      // an ephemeral anchor port (tests, disposable demos) makes the TSA's ephemeral too
      const tsaPort = options.ports?.tsa ?? (options.ports?.anchor === 0 ? 0 : DEFAULT_PORTS.tsa);
      if (tsaPort !== 0) await assertPortFree(tsaPort, "demo TSA", "JL_TSA_PORT");
      tsa = await clock.time("TSA: demo TSA started", () => startLocalTsa(dataDir, tsaPort, tls));
      log(
        `TSA: demo RFC 3161 time-stamping authority (演示用) on ${tsa.url}, root ${tsa.rootFile} (${tsa.created ? "created" : "reused"}; verify with --tsa-trust ${tsa.rootFile})`,
      );
    }

    // the manifest: URLs of this run, tokens and settlement accounts kept from earlier runs
    const regions = regionsOnChain();
    const anchorUrl = `${schemeFor(tls)}://${HOST}:${ports.anchor}`;
    const manifest: ConsortiumManifest = {
      version: 1,
      dataDir,
      chain: { rpcUrl, chainId, genesisHash, local },
      contracts: deployed.contracts,
      anchor: {
        url: anchorUrl,
        logId: UNION_LOG_ID,
        docsUrl: `${anchorUrl}/docs`,
        verifyPageUrl: `${anchorUrl}/verify`,
      },
      trustAnchor: { file: trustAnchorPath(dataDir), fingerprint: trustAnchorFingerprint(trustAnchor) },
      ...(tls === undefined ? {} : { tls: { caFile: tls.caFile } }),
      memberDirectory,
      nodes: Object.fromEntries(
        NODE_NAMES.map((node) => {
          const member = DEMO_MEMBERS[node];
          return [
            node,
            {
              memberId: member.memberId,
              kind: member.kind,
              name: member.name,
              regionCode: regions[node],
              url: `${schemeFor(tls)}://${HOST}:${ports.nodes[node]}`,
              dataDir: path.join(dataDir, "nodes", node),
              account: keys.wallets[node].address,
              tokens: tokensFor(node, previous),
              settlementAccounts: deployed.settlementAccounts[node],
            },
          ];
        }),
      ) as ConsortiumManifest["nodes"],
      governance: {
        signers: [keys.wallets["union-governance"].privateKey, keys.wallets["branchA-governance"].privateKey],
      },
    };
    await writeManifest(manifest);
    log(`manifest: ${manifestPath(dataDir)} (API tokens and demo governance keys; mode 0600)`);

    // electronic contracts: the demo CA (演示用) and the branches' seals in data/pki, trusted by every node
    const contractCa = await clock.time("contract CA and seals checked", () => ensureContractCa(dataDir));
    log(
      `contract CA: ${contractCa.rootFile} (demo only, 演示用; ${contractCa.created ? "created" : "reused"}), branch seals beside it`,
    );

    // the services
    const context: ServiceContext = {
      repoRoot: REPO_ROOT,
      dataDir,
      manifest,
      env: { ...contractCa.env, ...options.env },
      logFile,
      ...(tls === undefined ? {} : { tls }),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    };
    if (tsa !== undefined) context.env = { ...tsa.env, ...context.env };
    // witnessed checkpoints: the court's and the union's nodes cosign (2 of 2), unless other witnesses are named
    let witnesses: LocalWitnesses | undefined;
    if (process.env.ANCHOR_WITNESS_URLS === undefined && options.env?.ANCHOR_WITNESS_URLS === undefined) {
      witnesses = await clock.time("witnesses: keys and policy", () =>
        setUpLocalWitnesses({
          dataDir,
          logId: manifest.anchor.logId,
          operatorKey: keys.wallets["union-anchor"].privateKey,
          nodeUrls: Object.fromEntries(NODE_NAMES.map((n) => [n, manifest.nodes[n].url])) as Record<
            NodeName,
            string
          >,
          env: { ...process.env, ...options.env },
        }),
      );
      context.env = { ...witnesses.anchorEnv, ...context.env };
      log(
        `witnesses: ${witnesses.witnesses.map((w) => `${w.node} (${w.name})`).join(", ")} cosign every checkpoint, 2 of 2; the court's policy file ${witnesses.policyFile} (verify with --witness-policy ${witnesses.policyFile})`,
      );
    }
    // the court page on every node: trustedTime relies on the demo TSA's root, and the signed
    // certificates judge cosignatures by the court's witness policy
    if (tsa !== undefined) context.env = { NODE_TSA_TRUST_ANCHOR_FILES: tsa.rootFile, ...context.env };
    if (witnesses !== undefined)
      context.env = { NODE_WITNESS_POLICY_FILE: witnesses.policyFile, ...context.env };
    // the court page's modules, current before the services read the page's files
    await clock.time("court page modules (bundled since the start began): waited for", () => pageModules);
    log(`start-up: chain, contracts, keys and certificates checked, page modules built (${since()})`);
    // 国密: receipts SM2-signed too, under the key the governed directory binds to the union
    const anchorContext = {
      ...context,
      env: {
        ANCHOR_RECEIPT_SIGNATURES: "eip712,sm2",
        ANCHOR_RECEIPT_SM2_KEY: keys.anchorReceiptSm2.privateKey,
        ...context.env,
      },
    };
    const anchor = anchorProcess(anchorContext, keys.wallets["union-anchor"], ports.anchor);
    services.set("anchor", anchor);
    for (const node of NODE_NAMES) {
      services.set(
        node,
        nodeProcess(context, node, {
          keystorePassword: keys.password,
          consortiumKey: keys.consortiumKey,
          // a witnessing node's witness, a verifying node's seal; every node's governed directory
          env: {
            ...contractCa.nodeEnv[node],
            ...witnesses?.nodeEnv[node],
            NODE_MEMBER_DIRECTORY_FILE: memberDirectory.file,
          },
        }),
      );
    }
    // The anchor service and the nodes boot side by side: a node's /readyz waits for the anchor
    // service's health by itself, and the anchor service asks the witnesses only once it runs.
    log(`anchor: starting on ${anchorUrl} (log: logs/anchor.log)`);
    log(`nodes: starting ${NODE_NAMES.join(", ")} (logs: logs/<name>.log)`);
    const boot = (child: ServiceProcess) => {
      const t = child.lastStart;
      const at = (mark: number | undefined) =>
        t === undefined || mark === undefined ? "–" : `${((mark - t.spawnedAt) / 1000).toFixed(1)} s`;
      return `listening after ${at(t?.answeredAt)}, ready after ${at(t?.readyAt)}`;
    };
    await clock.time("anchor service and nodes: spawned side by side, all ready", () =>
      Promise.all([
        startService(anchor, lock, log).then(async () => {
          log(`anchor: ready (${since()}; ${boot(anchor)})`);
          await clock.service(anchor, { bootLine: true });
        }),
        ...NODE_NAMES.map(async (node) => {
          const child = services.get(node)!;
          await startService(child, lock, log);
          log(`nodes: ${node} ready on ${manifest.nodes[node].url} (${since()}; ${boot(child)})`);
          await clock.service(child, { bootLine: true });
        }),
      ]),
    );

    let stopping: Promise<void> | undefined;
    const get = (name: ServiceName): ServiceProcess => {
      const service = services.get(name);
      if (service === undefined)
        throw new LocalConsortiumError(
          "LOCAL_BAD_CONFIG",
          `no service ${name} in this consortium${name === "chain" ? " (it uses an external chain)" : ""}`,
        );
      return service;
    };
    return {
      manifest,
      startup: clock.timings(),
      logFile,
      stop: () => (stopping ??= stopAll()),
      async kill(name, signal = "SIGKILL") {
        const service = get(name);
        await service.kill(signal);
        await lock.setChild(name, undefined);
      },
      async pauseMining() {
        if (dumps === undefined)
          throw new LocalConsortiumError(
            "LOCAL_BAD_CONFIG",
            "mining is paused only on the launcher's own chain",
          );
        const resumeDumps = await holdDumps();
        await stopMining(chainProvider);
        return async () => {
          await startMining(chainProvider, mining);
          resumeDumps();
        };
      },
      async restart(name) {
        const service = get(name);
        // none may run until the restarted chain's clock is restored
        const resumeDumps = name === "chain" ? await holdDumps() : () => undefined;
        try {
          if (service.running) await service.stop();
          await startService(service, lock, log);
        } finally {
          // a chain left running by a failed start is still dumped
          if (service.running) resumeDumps();
        }
      },
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

type PortPlan = { chain: number; anchor: number; nodes: Record<NodeName, number> };

/** Fixed ports are checked free (a clear error if not); 0 becomes a free ephemeral port. */
async function planPorts(requested: NonNullable<StartOptions["ports"]>, local: boolean): Promise<PortPlan> {
  const nodeDefault = (node: NodeName) => DEFAULT_PORTS.nodeBase + NODE_NAMES.indexOf(node);
  const wanted = {
    chain: requested.chain ?? DEFAULT_PORTS.chain,
    anchor: requested.anchor ?? DEFAULT_PORTS.anchor,
    nodes: Object.fromEntries(NODE_NAMES.map((n) => [n, requested.nodes?.[n] ?? nodeDefault(n)])) as Record<
      NodeName,
      number
    >,
  };
  const fixed = [
    ...(local ? [[wanted.chain, "local chain", "JL_CHAIN_PORT"] as const] : []),
    [wanted.anchor, "anchor service", "JL_ANCHOR_PORT"] as const,
    ...NODE_NAMES.map((n) => [wanted.nodes[n], `${n} node`, "JL_NODE_PORT_BASE"] as const),
  ];
  const seen = new Map<number, string>();
  for (const [port, service, variable] of fixed) {
    if (port === 0) continue;
    const other = seen.get(port);
    if (other !== undefined)
      throw new LocalConsortiumError(
        "LOCAL_BAD_CONFIG",
        `port ${port} is configured for both the ${other} and the ${service}; change ${variable}`,
      );
    seen.set(port, service);
    await assertPortFree(port, service, variable);
  }
  return {
    chain: local ? await resolvePort(wanted.chain) : 0,
    anchor: await resolvePort(wanted.anchor),
    nodes: Object.fromEntries(
      await Promise.all(NODE_NAMES.map(async (n) => [n, await resolvePort(wanted.nodes[n])])),
    ) as Record<NodeName, number>,
  };
}

async function startService(
  service: ServiceProcess,
  lock: LauncherLock,
  log: (line: string) => void,
): Promise<void> {
  service.onUnexpectedExit = (info) => {
    log(
      `${service.spec.name}: EXITED unexpectedly (code ${info.code}, signal ${info.signal}); see ${service.spec.logFile}`,
    );
    void lock.setChild(service.spec.name, undefined).catch(() => undefined);
  };
  await service.start();
  await lock.setChild(service.spec.name, service.pid);
}

async function deployOrReuse(
  provider: JsonRpcProvider,
  keys: KeyMaterial,
  previous: ConsortiumManifest | undefined,
  dataDir: string,
  log: (line: string) => void,
): Promise<DeployedConsortium> {
  let problem: string | undefined;
  if (previous === undefined) {
    log("contracts: first start in this data directory");
  } else if (keys.created.length > 0) {
    problem = `keystores ${keys.created.join(", ")} were missing and have been generated anew: the recorded members' accounts are gone`;
  } else {
    problem = await deploymentProblem(provider, previous.contracts);
    if (problem === undefined) {
      log(
        `contracts: reusing the deployment from block ${previous.contracts.deployBlock} (code at all ${CONTRACT_FIELDS.length} addresses matches the recorded hashes)`,
      );
      return {
        contracts: previous.contracts,
        settlementAccounts: Object.fromEntries(
          NODE_NAMES.map((n) => [n, previous.nodes[n].settlementAccounts]),
        ) as Record<NodeName, string[]>,
        regions: regionsOnChain(),
      };
    }
  }
  if (problem !== undefined) {
    log("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    log(`!!! contracts: REDEPLOYING: ${problem}.`);
    log("!!! The loans and evidence registered on chain under the old deployment are not on this chain;");
    log(
      "!!! the nodes re-index from the new contracts and the anchor service commits its log's heads again.",
    );
    log("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  }
  const deployed = await deployDemoConsortium(provider, keys.wallets, log);
  // the anchor service refuses an EvidenceLog whose code changed (it cannot know the old heads
  // are compatible): its old log is kept aside and it starts a new one
  if (
    previous !== undefined &&
    previous.contracts.codeHashes.evidenceLog !== deployed.contracts.codeHashes.evidenceLog
  ) {
    const aside = path.join(dataDir, `anchor.superseded-${Date.now()}`);
    await rename(path.join(dataDir, "anchor"), aside).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    log(`!!! anchor: EvidenceLog's code changed; the old evidence log's data is kept in ${aside}`);
  }
  log(
    `contracts: deployed at block ${deployed.contracts.deployBlock}: registry ${deployed.contracts.consortiumRegistry}, ledger ${deployed.contracts.jointLoanLedger}`,
  );
  return deployed;
}

function tokensFor(node: NodeName, previous: ConsortiumManifest | undefined): Partial<Record<Role, string>> {
  const old = previous?.nodes[node]?.tokens ?? {};
  return Object.fromEntries(ROLES_OF[node].map((role) => [role, old[role] ?? newApiToken(node, role)]));
}

/** Written whole and renamed into place (never half a manifest), readable by this user only. */
async function writeManifest(manifest: ConsortiumManifest): Promise<void> {
  const file = manifestPath(manifest.dataDir);
  const temporary = `${file}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export { LOCAL_CHAIN_ID, MANIFEST_FILE };
