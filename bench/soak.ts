// `npm run bench:soak`: the local consortium `npm start` runs (startLocalConsortium, its Anvil with
// the state file, the anchor service, the five nodes), SOAK_OPS loan operations through the nodes'
// APIs, then a stop and a timed restart and a check that nothing was lost. Meanwhile every
// process's resident memory and the chain's state file are sampled; both curves go to a CSV, two
// PNG charts and a Markdown report. Exits 1 when a curve grows without bound (the rule:
// growthVerdicts), the restart takes longer than RESTART_TARGET_SECONDS, or a loan, a flow or a
// sampled bundle is missing or does not verify. The restart is timed by phase (the launcher's steps
// and each child's boot: scripts/ops/local/timings.ts) in the log and the report; SOAK_RESTARTS
// repeats the stop and the restart on the same data to measure it again.
//
// A loan's operations, in the order a branch does them: its registration at the branch (a joint
// loan, the platform's share agreed by the platform's node), a disbursement by each funder from
// its own node, then SOAK_REPAYMENTS installments repaid at the branch. The platform's
// applications alternate between branch A's and branch B's borrowers (the union routes each by
// region). Preparing a loan (application, consent, credit decision, signed contract) is not
// counted as an operation.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { createSecureContext } from "node:tls";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Contract, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { ConsortiumGovernor, JointLoanLedger } from "../common/chain/generated/contracts.ts";
import { parseBundle } from "../common/formats/bundle/bundle.ts";
import { loadTrustAnchor } from "../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../common/formats/bundle/verify.ts";
import { splitByShares } from "../common/lending/allocation.ts";
import { dayToDate, shanghaiDay } from "../common/lending/dates.ts";
import { loanIdOf } from "../common/lending/ids.ts";
import {
  authorizationLetter,
  consentRequest,
  jiedaibaoApplication,
  newBorrower,
} from "../nodes/client/borrowers.ts";
import { NodeApi, NodeApiError, NodeUnreachableError, sleep } from "../nodes/client/node-api.ts";
import { chainLedgerDigest } from "../scripts/demo/chain-digest.ts";
import { govern } from "../scripts/ops/deploy/consortium.ts";
import { signedContract } from "../scripts/demo/contracts.ts";
import {
  type LocalConsortium,
  type StartOptions,
  startLocalConsortium,
} from "../scripts/ops/local/consortium.ts";
import { stateFile } from "../scripts/ops/local/chain.ts";
import { type StartupTimings, startupTables } from "../scripts/ops/local/timings.ts";
import { type ConsortiumManifest, NODE_NAMES, type NodeName } from "../scripts/ops/local/manifest.ts";
import { trustConsortium } from "../scripts/ops/local/tls.ts";
import { approvingDecision } from "../test/support/credit-decision.ts";
import { waitAllAnchored } from "../test/support/faults/anchor-audit.ts";
import { cpuBetween, cpuSnapshot } from "./cpu.ts";
import { int } from "./env.ts";
import { pool } from "./pool.ts";
import { lineChart } from "./report/chart.ts";
import { fmt } from "./report/markdown.ts";

/** The issue's target: the restarted consortium ready (every service answering) within this. */
export const RESTART_TARGET_SECONDS = 30;
/**
 * Loans in progress at once. Each operation waits for its confirmation on chain, so a loan is
 * mostly waiting: 32 keep the nodes' outboxes and the chain busy (8 gave 1.0 operation/s on a
 * loaded machine, 32 gave 2.3–3.5/s on the same machine at a similar load) and every check holds.
 */
export const DEFAULT_CONCURRENCY = 32;
/** The full soak's size: the report says how long it takes at the run's rate. */
const FULL_SOAK_OPS = 100_000;
/** Any free port for every service: the soak runs beside other work on the machine. */
const EPHEMERAL = { chain: 0, anchor: 0, nodes: { union: 0, branchA: 0, branchB: 0, platform: 0, court: 0 } };
const PLATFORM_SHARE_BPS = 3000;
const BRANCHES = ["branchA", "branchB"] as const satisfies readonly NodeName[];
const CONFIRM_TIMEOUT_MS = 10 * 60_000;
/**
 * The branches' limits for a soak (fen): the demo's (1 million yuan a day, 10 million outstanding,
 * 1 million co-funded with the platform) hold a few hundred of the smallest loans, so governance
 * raises them first, as a consortium growing its book would; the ledger still checks each.
 */
const SOAK_BRANCH_LIMITS = {
  singleLoanMax: 20_000_000n,
  dailyDisbursementLimit: 10n ** 13n,
  outstandingLimit: 10n ** 14n,
  netTier1Capital: 10n ** 15n,
};

type Log = (line: string) => void;

/**
 * When a curve counts as growing without bound: the least-squares slope over the last quarter of
 * the run (by operations done) above its limit. Memory that grows while caches and the chain's
 * in-memory blocks fill and then levels off passes; a leak, or a state file that keeps a copy of
 * the state per block, keeps its slope to the end and fails.
 */
export type GrowthLimits = {
  /** Resident memory of any one process, MB per 1,000 operations. */
  rssMbPerKiloOps: number;
  /** The chain's state file, bytes per operation. */
  stateBytesPerOp: number;
};

export const DEFAULT_LIMITS: GrowthLimits = { rssMbPerKiloOps: 8, stateBytesPerOp: 20_000 };

export type Sample = {
  seconds: number;
  ops: number;
  /** Resident set size in MB by process name (chain, anchor, each node, the launcher with this driver). */
  rssMb: Record<string, number>;
  stateBytes: number;
};

export type GrowthVerdict = {
  curve: string;
  unit: string;
  /** Slope over the last quarter, in `unit`; undefined when it had too few samples to judge. */
  slope: number | undefined;
  limit: number;
  first: number;
  last: number;
  peak: number;
  bounded: boolean | undefined;
};

/** Fewest samples in the last quarter for a slope worth judging. */
const MIN_TAIL_SAMPLES = 4;

function slopeOf(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Each curve's verdict under `limits` (pure: tested with made-up curves). */
export function growthVerdicts(samples: readonly Sample[], limits: GrowthLimits): GrowthVerdict[] {
  const total = Math.max(0, ...samples.map((s) => s.ops));
  const tail = samples.filter((s) => total > 0 && s.ops >= 0.75 * total);
  const judged = tail.length >= MIN_TAIL_SAMPLES && new Set(tail.map((s) => s.ops)).size > 1;
  const verdict = (
    curve: string,
    unit: string,
    value: (s: Sample) => number | undefined,
    perOp: number,
    limit: number,
  ): GrowthVerdict => {
    const all = samples.map(value).filter((v): v is number => v !== undefined);
    const points = tail.flatMap((s) => {
      const v = value(s);
      return v === undefined ? [] : [[s.ops, v] as const];
    });
    const slope = judged && points.length >= MIN_TAIL_SAMPLES ? slopeOf(points) * perOp : undefined;
    return {
      curve,
      unit,
      slope,
      limit,
      first: all[0] ?? 0,
      last: all[all.length - 1] ?? 0,
      peak: Math.max(0, ...all),
      bounded: slope === undefined ? undefined : slope <= limit,
    };
  };
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.rssMb)))];
  return [
    ...names.map((name) =>
      verdict(`${name} RSS`, "MB per 1,000 ops", (s) => s.rssMb[name], 1000, limits.rssMbPerKiloOps),
    ),
    verdict("chain state file", "bytes per op", (s) => s.stateBytes, 1, limits.stateBytesPerOp),
  ];
}

/** The samples as CSV: seconds, operations, each process's RSS (MB), the state file (bytes). */
export function samplesCsv(samples: readonly Sample[]): string {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.rssMb)))];
  const rows = samples.map((s) =>
    [s.seconds.toFixed(1), s.ops, ...names.map((n) => s.rssMb[n]?.toFixed(1) ?? ""), s.stateBytes].join(","),
  );
  return `${["seconds", "ops", ...names.map((n) => `${n}_rss_mb`), "state_bytes"].join(",")}\n${rows.join("\n")}\n`;
}

/** Resident memory of `pid` in MB, undefined once it is gone. */
async function rssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kb = status?.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** The launcher's children by name, from its lock file (the pids it started). */
async function childPids(dataDir: string): Promise<Record<string, number>> {
  const text = await readFile(path.join(dataDir, "launcher.lock"), "utf8").catch(() => "{}");
  try {
    return (JSON.parse(text) as { children?: Record<string, number> }).children ?? {};
  } catch {
    return {}; // being rewritten: the next sample reads it
  }
}

/** Samples every process's RSS and the state file every `intervalMs` until stopped. */
export function startSampler(
  dataDir: string,
  intervalMs: number,
  opsDone: () => number,
): { samples: Sample[]; sampleNow(): Promise<void>; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const started = performance.now();
  let busy: Promise<void> = Promise.resolve();
  const take = async () => {
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(await childPids(dataDir))) {
      const mb = await rssMb(pid);
      if (mb !== undefined) rss[name] = mb;
    }
    rss.launcher = process.memoryUsage.rss() / 2 ** 20;
    const stateBytes = await stat(stateFile(dataDir)).then(
      (s) => s.size,
      () => 0,
    );
    samples.push({ seconds: (performance.now() - started) / 1000, ops: opsDone(), rssMb: rss, stateBytes });
  };
  const sampleNow = () => (busy = busy.then(take));
  const timer = setInterval(() => void sampleNow(), intervalMs);
  return {
    samples,
    sampleNow,
    async stop() {
      clearInterval(timer);
      await busy;
    },
  };
}

/**
 * ops: loan operations in all (SOAK_OPS); repaymentsPerLoan: installments repaid per loan after
 * its two disbursements (SOAK_REPAYMENTS); concurrency: loans in progress at once
 * (SOAK_CONCURRENCY); principalYuan: each loan's (SOAK_PRINCIPAL_YUAN, the ledger's minimum is
 * 3,000); sampleMs: between two samples (SOAK_SAMPLE_MS); bundles: consent bundles verified after
 * the restart (SOAK_BUNDLES); dataDir: kept afterwards (SOAK_DIR), else a temporary directory
 * removed unless the soak failed; tls: HTTPS as npm start (JL_TLS); anvilArgs: added to the
 * local chain's (SOAK_ANVIL_ARGS, space-separated), to compare an Anvil setting with npm start's;
 * restarts: stops and restarts after the load, each timed (SOAK_RESTARTS; the first is judged);
 * minutes: the load's time budget (SOAK_MINUTES): no loan starts after it, the running ones finish
 * and the restart, the checks and the report follow, for what was done; interrupt: the same at
 * once when aborted (the command's first Ctrl-C or SIGTERM).
 */
export type SoakOptions = {
  ops: number;
  dataDir?: string;
  repaymentsPerLoan: number;
  tls: boolean;
  anvilArgs?: string[];
  concurrency: number;
  limits: GrowthLimits;
  principalYuan: number;
  log: Log;
  sampleMs: number;
  bundles: number;
  restarts?: number;
  minutes?: number;
  interrupt?: AbortSignal;
};

type SoakLoan = { loanId: string; branch: NodeName; principalFen: bigint; consentLeaf: string };

export type SoakResult = {
  ops: number;
  /** Why the load ended before its operations were all done (the time budget, an interrupt). */
  endedEarly?: string;
  loans: number;
  loadSeconds: number;
  opsPerSecond: number;
  samples: Sample[];
  verdicts: GrowthVerdict[];
  stateBytesAfterStop: number;
  /** The first restart after the load (what the target judges). */
  restartSeconds: number;
  /** Every restart: its time as the driver saw it and the launcher's breakdown. */
  restarts: Array<{ seconds: number; startup: StartupTimings }>;
  loansOnChain: number;
  flowsOnChain: number;
  /** Loans or flows the chain does not hold as the driver left them. */
  lost: string[];
  /** Node → its index digest equals the chain's ledger digest at the head. */
  indexes: Record<string, boolean>;
  bundlesChecked: number;
  bundlesVerified: number;
  /** Requests that got no answer (a reset connection) and how each was recovered (keyedWrite). */
  recovered: string[];
  problems: string[];
  machine: { cores: number; loadBefore: number; loadAfter: number; otherCores: number | undefined };
  ok: boolean;
};

/** The consortiums a soak has running, for the command's second Ctrl-C (stopSoaks). */
const running = new Set<LocalConsortium>();

/** Stops every consortium a soak in this process has running: its services must not outlive it. */
export async function stopSoaks(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
  running.clear();
}

/**
 * The driver's HTTP client, trusting the consortium's CA alone (as trustConsortium) and patient
 * on a loaded machine (a TLS handshake may take a minute). Idle connections are dropped after 10 s,
 * far from the services' 72 s: undici otherwise keeps one idle for as long as the server's
 * `Keep-Alive: timeout=72` allows less 2 s, and this process (the launcher with the driver) can
 * stall longer than that on a loaded machine, then write a request into a connection the service
 * had closed meanwhile: `fetch failed`, `read ECONNRESET` (test/local/keep-alive.test.ts).
 * keepAliveMaxTimeout caps what the server's hint may raise it to. One TLS context for every
 * connection: given the CA alone, each connection built its own (7 % of the driver's CPU in a
 * soak's profile). Returns the undo.
 */
async function trustPatiently(manifest: ConsortiumManifest): Promise<() => void> {
  const untrust = await trustConsortium(manifest);
  const trusting = getGlobalDispatcher();
  const agent = new Agent({
    ...DRIVER_KEEP_ALIVE,
    connect: {
      ...(manifest.tls === undefined
        ? {}
        : {
            secureContext: createSecureContext({ ca: await readFile(manifest.tls.caFile, "utf8") }),
            rejectUnauthorized: true,
          }),
      timeout: 60_000,
    },
  });
  setGlobalDispatcher(agent);
  return () => {
    setGlobalDispatcher(trusting);
    void agent.close();
    untrust();
  };
}

/** How long the driver keeps an idle connection, whatever the server's Keep-Alive hint says (above). */
export const DRIVER_KEEP_ALIVE = { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 10_000 } as const;

/** The chain, uncached: nonces and the head read fresh on every call. */
const chainProvider = (manifest: ConsortiumManifest) =>
  new JsonRpcProvider(manifest.chain.rpcUrl, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });

/** Both branches' limits raised to SOAK_BRANCH_LIMITS through the governor by the demo's governance keys. */
async function raiseBranchLimits(manifest: ConsortiumManifest): Promise<void> {
  const provider = chainProvider(manifest);
  try {
    const approvers = manifest.governance.signers.map((key) => new Wallet(key, provider));
    const ledger = JointLoanLedger.interface;
    await govern(
      new Contract(manifest.contracts.consortiumGovernor, ConsortiumGovernor.abi, provider),
      approvers,
      BRANCHES.map((b) => ({
        target: manifest.contracts.jointLoanLedger,
        data: ledger.encodeFunctionData("setBranchLimits", [manifest.nodes[b].memberId, SOAK_BRANCH_LIMITS]),
      })),
      `soak: branch limits for ${new Date().toISOString()}`,
    );
  } finally {
    // not destroyed: on a chain that mines on an interval, a receipt listener of tx.wait() may
    // still be asking for the block number, and destroying the provider under it rejects that
    // request where nothing catches it; with no listener it holds no timer, and its idle
    // keep-alive sockets do not hold the process
    await provider.removeAllListeners();
  }
}

/** The application, consent, credit decision and signed contract of one loan at `branch` (not counted). */
async function prepareLoan(
  manifest: ConsortiumManifest,
  api: Record<NodeName, NodeApi>,
  branch: (typeof BRANCHES)[number],
  tag: string,
  principalYuan: number,
  startDate: string,
) {
  const borrower = newBorrower(manifest.nodes[branch].regionCode);
  const letter = authorizationLetter(borrower, tag);
  const signedAt = new Date(Date.now() - 10 * 60_000);
  const routed = await api.platform.post<{
    assignedBranch: number;
    forwardedTo?: { applicationId?: string };
  }>(
    "/v1/applications/jiedaibao",
    "clerk",
    jiedaibaoApplication(borrower, {
      applicationId: tag,
      principalYuan: `${principalYuan}.00`,
      termMonths: 12,
      annualPercent: "14.4",
      signedAt,
      letterSha256: letter.sha256,
    }),
  );
  const applicationId = routed.forwardedTo?.applicationId;
  if (applicationId === undefined || routed.assignedBranch !== manifest.nodes[branch].memberId)
    throw new Error(`application ${tag} went to member ${routed.assignedBranch}, not to ${branch}`);
  const consent = await api[branch].post<{ consent: { leafHash: string } }>(
    "/v1/consents",
    "clerk",
    consentRequest(applicationId, letter, signedAt, ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT"]),
  );
  await approvingDecision(
    async (_method, url, role, body) => ({ status: 200, body: await api[branch].post(url, role, body) }),
    applicationId,
  );
  const contract = await signedContract(api[branch], manifest.dataDir, branch, {
    applicationId,
    borrower,
    startDate,
    platformShareBps: PLATFORM_SHARE_BPS,
  });
  // the platform's own application id (the channel's 申请编号) keys the registration in the
  // branch's outbox and, hashed, the loan's id; applicationId is the branch's record of it
  return { applicationId, platformApplicationId: tag, consentLeaf: consent.consent.leafHash, contract };
}

/** Times a request that got no answer is tried before the soak fails on it. */
const NO_ANSWER_ATTEMPTS = 3;

/**
 * A ledger write keyed by its outbox serial, sent as a core-banking client sends it: a request
 * that got no answer (a reset connection) may or may not have been taken, so the node's outbox is
 * asked for the serial. There: the first attempt stands, and undefined says its answer was lost.
 * Not there (404): the same request again. Each recovery is reported through `recovered`.
 */
/**
 * A request to repeat as a core-banking client would: no answer at all (a reset connection), or
 * 503, the node saying it cannot serve it now (its chain busy, a peer's node unavailable).
 */
const askAgain = (error: unknown): error is Error =>
  error instanceof NodeUnreachableError || (error instanceof NodeApiError && error.status === 503);

export async function keyedWrite<T>(
  api: NodeApi,
  serial: string,
  post: () => Promise<T>,
  recovered: (line: string) => void,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post();
    } catch (error) {
      if (!askAgain(error) || attempt >= NO_ANSWER_ATTEMPTS) throw error;
      await sleep(1_000);
      const taken = await api.get(`/v1/outbox/${encodeURIComponent(serial)}`).then(
        () => true,
        (refusal: unknown) => {
          if (refusal instanceof NodeApiError && refusal.status === 404) return false;
          throw refusal;
        },
      );
      recovered(`${error.message}: ${taken ? "the first attempt had been taken" : "not taken, sent again"}`);
      if (taken) return undefined;
    }
  }
}

/**
 * A loan's preparation that got no answer somewhere: prepared again from the start as a new
 * application (`tag-R1`, `tag-R2`), the half-made one left as a branch would leave it. Reported
 * through `recovered`.
 */
async function preparedWithRetry(
  prepare: (tag: string) => ReturnType<typeof prepareLoan>,
  tag: string,
  recovered: (line: string) => void,
): ReturnType<typeof prepareLoan> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prepare(attempt === 1 ? tag : `${tag}-R${attempt - 1}`);
    } catch (error) {
      if (!askAgain(error) || attempt >= NO_ANSWER_ATTEMPTS) throw error;
      recovered(`${error.message}: the loan prepared again as a new application`);
      await sleep(1_000);
    }
  }
}

/** One loan's operations, each awaited until its node confirms it on chain; `done()` after each. */
async function runLoan(
  manifest: ConsortiumManifest,
  api: Record<NodeName, NodeApi>,
  index: number,
  run: string,
  options: SoakOptions,
  startDate: string,
  operations: number,
  done: () => void,
  signal: AbortSignal,
  recovered: (line: string) => void,
): Promise<SoakLoan> {
  const branch = BRANCHES[index % BRANCHES.length]!;
  const tag = `SOAK-${run}-${String(index).padStart(6, "0")}`;
  // which loan and which of its steps failed (the tag and serials carry no borrower's data)
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    signal.throwIfAborted();
    try {
      return await work();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new Error(`loan ${tag}, ${what}: ${(error as Error).message}`, { cause: error });
    }
  };
  const prepared = await step("preparation (application, consent, decision, contract)", () =>
    preparedWithRetry(
      (as) => prepareLoan(manifest, api, branch, as, options.principalYuan, startDate),
      tag,
      recovered,
    ),
  );
  type Schedule = Array<{ principalFen: string; totalFen: string }>;
  const approved = await step("registration", async () => {
    const serial = prepared.platformApplicationId;
    const registered = await keyedWrite(
      api[branch],
      serial,
      () =>
        api[branch].post<{ loanId: string; serial: string; schedule: Schedule }>("/v1/loans", "approver", {
          applicationId: prepared.applicationId,
          contractBase64: Buffer.from(prepared.contract.pdf).toString("base64"),
          consentLeafHash: prepared.consentLeaf,
          platformShareBps: PLATFORM_SHARE_BPS,
          startDate,
        }),
      recovered,
    );
    // what a lost answer is recovered by, checked against every answer that was not lost
    const loanId = loanIdOf(manifest.nodes.platform.memberId, keccak256(toUtf8Bytes(serial)));
    if (registered !== undefined) {
      if (registered.serial !== serial || registered.loanId.toLowerCase() !== loanId)
        throw new Error(
          `loan ${tag}: registered as ${registered.serial} ${registered.loanId}, not ${serial} ${loanId}`,
        );
      await api[branch].confirmed(serial, CONFIRM_TIMEOUT_MS, signal);
      return registered;
    }
    await api[branch].confirmed(serial, CONFIRM_TIMEOUT_MS, signal);
    // the answer was lost: the loan as the node's index holds it once it has read the block
    let schedule: Schedule | null | undefined;
    await waitFor(
      async () => {
        schedule = (await api[branch].get<{ schedule?: Schedule | null }>(`/v1/loans/${loanId}`)).schedule;
        return Array.isArray(schedule);
      },
      `loan ${tag} in ${branch}'s index`,
      CONFIRM_TIMEOUT_MS,
    );
    return { loanId, serial, schedule: schedule! };
  });
  done();
  const principalFen = approved.schedule.reduce((s, i) => s + BigInt(i.principalFen), 0n);
  const shares = splitByShares(principalFen, [10_000 - PLATFORM_SHARE_BPS, PLATFORM_SHARE_BPS]);
  const funders = [branch, "platform"] as const;
  await Promise.all(
    funders.slice(0, Math.min(2, operations - 1)).map(async (funder, k) => {
      const serial = `DSB-${tag}-${k}`;
      await step(`disbursement ${serial} at ${funder}`, async () => {
        await keyedWrite(
          api[funder],
          serial,
          () =>
            api[funder].post(`/v1/loans/${approved.loanId}/disbursements`, "clerk", {
              serial,
              amountFen: shares[k]!.toString(),
              accountHash: manifest.nodes[funder].settlementAccounts[0]!,
            }),
          recovered,
        );
        await api[funder].confirmed(serial, CONFIRM_TIMEOUT_MS, signal);
      });
      done();
    }),
  );
  for (let r = 0; r < operations - 3; r++) {
    const serial = `RPY-${tag}-${r}`;
    await step(`repayment ${serial}`, async () => {
      await keyedWrite(
        api[branch],
        serial,
        () =>
          api[branch].post(`/v1/loans/${approved.loanId}/repayments`, "clerk", {
            serial,
            amountFen: approved.schedule[r % approved.schedule.length]!.totalFen,
          }),
        recovered,
      );
      await api[branch].confirmed(serial, CONFIRM_TIMEOUT_MS, signal);
    });
    done();
  }
  return { loanId: approved.loanId.toLowerCase(), branch, principalFen, consentLeaf: prepared.consentLeaf };
}

const apisOf = (manifest: ConsortiumManifest) =>
  Object.fromEntries(
    NODE_NAMES.map((n) => [n, new NodeApi(n, manifest.nodes[n].url, manifest.nodes[n].tokens)]),
  ) as Record<NodeName, NodeApi>;

/** Waits until `check` holds (polling every 250 ms), or throws after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** After the restart: every loan and flow on chain, every node's index equal to it, bundles verifying. */
async function verifyIntact(
  consortium: LocalConsortium,
  loans: readonly SoakLoan[],
  flowsPerLoan: (i: number) => number,
  bundles: number,
  log: Log,
): Promise<
  Pick<
    SoakResult,
    "loansOnChain" | "flowsOnChain" | "lost" | "indexes" | "bundlesChecked" | "bundlesVerified" | "problems"
  >
> {
  const manifest = consortium.manifest;
  const provider = chainProvider(manifest);
  try {
    const problems: string[] = [];
    const note = (p: string) => {
      if (problems.length < 20) problems.push(p);
    };
    // the whole ledger read at one block with mining paused: the chain keeps only its last
    // blocks' states, and on interval mining a large ledger's views take longer to read than
    // those blocks last (the nodes and the anchor service wait meanwhile; nothing is sent)
    const resumeMining = await consortium.pauseMining();
    let chain: Awaited<ReturnType<typeof chainLedgerDigest>>;
    try {
      const head = await provider.getBlockNumber();
      log(`soak: reading the ledger from the chain up to block ${head}, mining paused…`);
      const started = performance.now();
      chain = await chainLedgerDigest(
        provider,
        manifest.contracts.jointLoanLedger,
        manifest.contracts.deployBlock,
        { toBlock: head },
      );
      log(
        `soak: ${chain.loans} loans and ${chain.flows} flows read in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await resumeMining();
    }
    const byLoan = new Map(chain.loanRecords.map((l) => [l.loanId, l]));
    const flowCount = new Map<string, number>();
    for (const f of chain.flowRecords) flowCount.set(f.loanId, (flowCount.get(f.loanId) ?? 0) + 1);
    const lost: string[] = [];
    let loansOnChain = 0;
    let flowsOnChain = 0;
    loans.forEach((loan, i) => {
      const onChain = byLoan.get(loan.loanId);
      const flows = flowCount.get(loan.loanId) ?? 0;
      if (onChain !== undefined) loansOnChain++;
      flowsOnChain += flows;
      if (onChain === undefined) lost.push(`loan ${loan.loanId} is not on chain`);
      else if (flows !== flowsPerLoan(i))
        lost.push(`loan ${loan.loanId}: ${flows} flows on chain, ${flowsPerLoan(i)} confirmed`);
    });
    const at = chain.toBlock;
    log(`soak: waiting for every node's index to reach block ${at}…`);
    const indexes: Record<string, boolean> = {};
    const api = apisOf(manifest);
    for (const n of NODE_NAMES) {
      const seen: Array<{ digest: string; cursor: { blockNumber: number } | null }> = [];
      await waitFor(
        async () => {
          seen.push(await api[n].get("/v1/index/digest"));
          return (seen[seen.length - 1]!.cursor?.blockNumber ?? -1) >= at;
        },
        `${n}'s index at block ${at}`,
        120_000,
      );
      const digest = seen[seen.length - 1]!;
      indexes[n] = digest.digest === chain.digest;
      if (!indexes[n]) note(`${n}'s index digest ${digest.digest} ≠ the chain's ${chain.digest}`);
    }
    // a sample of the loans' consents, each anchored evidence: its bundle as a court fetches it,
    // verified against the consortium's trust anchor and the chain
    await waitAllAnchored(manifest.anchor.url, 120_000);
    const trustAnchor = await loadTrustAnchor(manifest.trustAnchor.file);
    const sample = [...loans].sort(() => Math.random() - 0.5).slice(0, bundles);
    let bundlesVerified = 0;
    for (const loan of sample) {
      const response = await fetch(`${manifest.anchor.url}/v1/bundles/${loan.consentLeaf}`).catch(
        (error: unknown) => {
          throw new NodeUnreachableError("anchor", "GET", "/v1/bundles/:param", error);
        },
      );
      if (!response.ok) {
        note(`bundle of ${loan.consentLeaf} (loan ${loan.loanId}): HTTP ${response.status}`);
        continue;
      }
      const checks = await verifyOnline(parseBundle(await response.json()), {
        trustAnchor,
        providers: [provider],
      });
      if (overall(checks) === "pass") bundlesVerified++;
      else
        note(`bundle of ${loan.consentLeaf}: ${JSON.stringify(checks.filter((c) => c.outcome !== "pass"))}`);
    }
    return {
      loansOnChain,
      flowsOnChain,
      lost,
      indexes,
      bundlesChecked: sample.length,
      bundlesVerified,
      problems,
    };
  } finally {
    provider.destroy();
  }
}

/** Operations of loan i when `total` are spread over loans of `perLoan` (the last loan may do fewer). */
const opsOfLoan = (i: number, total: number, perLoan: number) => Math.min(perLoan, total - i * perLoan);

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { log } = options;
  const perLoan = 3 + options.repaymentsPerLoan;
  // a loan with fewer than its registration and two disbursements would leave a funder out
  const loanCount = Math.max(1, Math.ceil(options.ops / perLoan));
  const totalOps = Math.max(options.ops, 3);
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "jl-soak-")));
  const run = randomBytes(3).toString("hex").toUpperCase();
  const loadBefore = os.loadavg()[0]!;
  const cpuBefore = cpuSnapshot();
  log(`soak: data directory ${dataDir}; starting the local consortium as npm start does…`);
  const startOptions: StartOptions = {
    dataDir,
    ports: EPHEMERAL,
    tls: options.tls,
    ...(options.anvilArgs === undefined ? {} : { anvilArgs: options.anvilArgs }),
    log: (line) => log(`  ${line}`),
  };
  let consortium: LocalConsortium | undefined = await startLocalConsortium(startOptions);
  running.add(consortium);
  let untrust = await trustPatiently(consortium.manifest);
  let done = 0;
  const sampler = startSampler(dataDir, options.sampleMs, () => done);
  let ok = false;
  try {
    const manifest = consortium.manifest;
    const api = apisOf(manifest);
    await raiseBranchLimits(manifest);
    log("soak: governance raised both branches' limits for the soak");
    const provider = chainProvider(manifest);
    const startDate = dayToDate(shanghaiDay((await provider.getBlock("latest"))!.timestamp));
    provider.destroy();
    await sampler.sampleNow();
    log(
      `soak: ${totalOps} loan operations over ${loanCount} loans (each: registration, 2 disbursements, ${options.repaymentsPerLoan} repayments), ${options.concurrency} loans at a time`,
    );
    const recovered: string[] = [];
    const noteRecovered = (line: string) => {
      recovered.push(line);
      log(`soak: recovered: ${line}`);
    };
    const loadStarted = performance.now();
    let endedEarly: string | undefined;
    const more = () => {
      if (endedEarly !== undefined) return false;
      if (options.interrupt?.aborted) endedEarly = "interrupted";
      else if (options.minutes !== undefined && performance.now() - loadStarted >= options.minutes * 60_000)
        endedEarly = `its time budget of ${options.minutes} min ran out`;
      else return true;
      log(`soak: ${endedEarly} at ${done} operations: no loan starts now, the running ones finish`);
      return false;
    };
    const progress = setInterval(() => {
      const seconds = (performance.now() - loadStarted) / 1000;
      const last = sampler.samples[sampler.samples.length - 1];
      log(
        `soak: ${done}/${totalOps} operations in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(1)}/s)${last === undefined ? "" : `; state file ${fmt(last.stateBytes / 2 ** 20, 1)} MB, chain ${fmt(last.rssMb.chain ?? 0)} MB`}`,
      );
    }, 10_000);
    let loans: SoakLoan[];
    try {
      loans = await pool(
        Array.from({ length: loanCount }, (_, i) => i),
        options.concurrency,
        (i, _index, signal) =>
          runLoan(
            manifest,
            api,
            i,
            run,
            options,
            startDate,
            opsOfLoan(i, totalOps, perLoan),
            () => done++,
            signal,
            noteRecovered,
          ),
        more,
      );
    } finally {
      clearInterval(progress);
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    log(`soak: ${done} operations in ${loadSeconds.toFixed(1)} s; waiting for the anchor service…`);
    await waitAllAnchored(manifest.anchor.url, 120_000);
    await sampler.sampleNow();
    await sampler.stop();
    const verdicts = growthVerdicts(sampler.samples, options.limits);

    log("soak: stopping the consortium…");
    untrust();
    untrust = () => {};
    await consortium.stop();
    running.delete(consortium);
    consortium = undefined;
    const stateBytesAfterStop = (await stat(stateFile(dataDir))).size;
    log(`soak: stopped (state file ${fmt(stateBytesAfterStop / 2 ** 20, 1)} MB); starting it again…`);
    const restarts: SoakResult["restarts"] = [];
    for (let r = 0; r < Math.max(1, options.restarts ?? 1); r++) {
      if (r > 0) {
        log(`soak: stopping for restart ${r + 1}…`);
        await consortium!.stop();
        running.delete(consortium!);
        consortium = undefined;
      }
      const restartStarted = performance.now();
      consortium = await startLocalConsortium(startOptions);
      running.add(consortium);
      const seconds = (performance.now() - restartStarted) / 1000;
      restarts.push({ seconds, startup: consortium.startup });
      log(
        `soak: ready again in ${seconds.toFixed(1)} s (restart ${r + 1}; target ≤ ${RESTART_TARGET_SECONDS} s); by phase:`,
      );
      for (const line of startupTables(consortium.startup)) log(`  ${line}`);
    }
    const restartSeconds = restarts[0]!.seconds;
    untrust = await trustPatiently(consortium!.manifest);
    const intact = await verifyIntact(
      consortium!,
      loans,
      (i) => opsOfLoan(i, totalOps, perLoan) - 1,
      options.bundles,
      log,
    );
    const cpu = cpuBetween(cpuBefore, cpuSnapshot(Object.values(await childPids(dataDir))));
    const result: SoakResult = {
      ops: done,
      ...(endedEarly === undefined ? {} : { endedEarly }),
      loans: loans.length,
      loadSeconds,
      opsPerSecond: done / loadSeconds,
      samples: sampler.samples,
      verdicts,
      stateBytesAfterStop,
      restartSeconds,
      restarts,
      ...intact,
      recovered,
      machine: {
        cores: os.cpus().length,
        loadBefore,
        loadAfter: os.loadavg()[0]!,
        otherCores: cpu?.others,
      },
      ok: false,
    };
    result.ok =
      verdicts.every((v) => v.bounded !== false) &&
      restartSeconds <= RESTART_TARGET_SECONDS &&
      result.lost.length === 0 &&
      Object.values(result.indexes).every(Boolean) &&
      result.bundlesVerified === result.bundlesChecked &&
      result.problems.length === 0 &&
      endedEarly !== "interrupted";
    ok = result.ok;
    return result;
  } finally {
    await sampler.stop();
    untrust();
    await consortium?.stop();
    if (consortium !== undefined) running.delete(consortium);
    if (options.dataDir === undefined && ok) await rm(dataDir, { recursive: true, force: true });
    else log(`soak: data directory kept: ${dataDir}`);
  }
}

const mb = (n: number) => fmt(n, 1);

/** The report: settings, machine load, the verdicts, the restart and the checks, the charts. */
export function soakMarkdown(
  result: SoakResult,
  options: SoakOptions,
  files: { csv: string; charts: string[] },
) {
  const m = result.machine;
  const busy = m.loadBefore > m.cores / 2 || m.loadAfter > m.cores / 2 || (m.otherCores ?? 0) > 0.25;
  const yes = (b: boolean | undefined) =>
    b === undefined ? "not judged (too few samples)" : b ? "yes" : "**NO**";
  return [
    `# Soak: ${fmt(result.ops)} loan operations on the local consortium, then a restart`,
    "",
    ...(busy
      ? [
          `> **A loaded machine**: load average ${fmt(m.loadBefore, 1)} → ${fmt(m.loadAfter, 1)} on ${m.cores} cores; operations per second and the restart time are the machine's, not the consortium's.`,
          "",
        ]
      : []),
    `**${result.ok ? "PASS" : "FAIL"}** · ${fmt(result.ops)} operations over ${fmt(result.loans)} loans in ${fmt(result.loadSeconds)} s (${fmt(result.opsPerSecond, 1)}/s) · restart ${fmt(result.restartSeconds, 1)} s`,
    "",
    ...(result.endedEarly === undefined
      ? []
      : [
          `Ended early: ${result.endedEarly} after ${fmt(result.ops)} of the ${fmt(options.ops)} operations asked for; the restart and the checks below are for the operations done.`,
          "",
        ]),
    `At this rate ${fmt(FULL_SOAK_OPS)} operations take ${fmt(FULL_SOAK_OPS / result.opsPerSecond / 3600, 1)} h${busy ? " on this loaded machine" : ""}.`,
    "",
    `Machine: ${m.cores} cores, load average ${fmt(m.loadBefore, 2)} at the start and ${fmt(m.loadAfter, 2)} at the end; other processes used ${m.otherCores === undefined ? "?" : fmt(m.otherCores, 2)} cores on average.${busy ? " **A loaded machine: throughput and memory figures are not those of a quiet one.**" : ""}`,
    "",
    `Each loan: its registration at the branch (joint, ${PLATFORM_SHARE_BPS / 100} % the platform's), a disbursement by each funder from its own node, ${options.repaymentsPerLoan} installments repaid; ${options.concurrency} loans at a time, each operation awaited until its node confirmed it on chain. Principal ${options.principalYuan} yuan a loan. Samples every ${options.sampleMs / 1000} s. The chain: npm start's Anvil${options.anvilArgs === undefined ? " (automine: a block per transaction)" : ` with \`${options.anvilArgs.join(" ")}\` added`}.`,
    "",
    "## Bounded growth",
    "",
    `Rule: a curve grows without bound when its least-squares slope over the last quarter of the run (by operations) is above the limit: ${options.limits.rssMbPerKiloOps} MB of resident memory per 1,000 operations for any process, ${fmt(options.limits.stateBytesPerOp)} bytes per operation for the chain's state file. \`launcher\` is the launcher with this driver in one process.`,
    "",
    "| curve | first | last | peak | last-quarter slope | limit | bounded |",
    "|---|---:|---:|---:|---:|---:|---|",
    ...result.verdicts.map((v) => {
      const state = v.unit === "bytes per op";
      const size = (n: number) => (state ? `${mb(n / 2 ** 20)} MB` : `${mb(n)} MB`);
      return `| ${v.curve} | ${size(v.first)} | ${size(v.last)} | ${size(v.peak)} | ${v.slope === undefined ? "–" : `${fmt(v.slope, state ? 0 : 2)} ${v.unit}`} | ${fmt(v.limit)} ${v.unit} | ${yes(v.bounded)} |`;
    }),
    "",
    `State file after the stop (Anvil's own dump): ${mb(result.stateBytesAfterStop / 2 ** 20)} MB.`,
    "",
    "## Restart and integrity",
    "",
    "| check | result |",
    "|---|---|",
    `| restart to ready (every service answering) | ${fmt(result.restartSeconds, 1)} s (target ≤ ${RESTART_TARGET_SECONDS} s) |`,
    `| this run's loans on chain | ${fmt(result.loansOnChain)} of ${fmt(result.loans)} |`,
    `| their flows on chain | ${fmt(result.flowsOnChain)} (lost or doubled: ${result.lost.length}) |`,
    ...Object.entries(result.indexes).map(
      ([n, agree]) => `| ${n}'s index digest = the chain's ledger | ${agree ? "yes" : "**NO**"} |`,
    ),
    `| consent bundles verified (sample) | ${result.bundlesVerified} of ${result.bundlesChecked} |`,
    `| requests without an answer, recovered (below) | ${result.recovered.length} |`,
    "",
    ...(result.recovered.length === 0
      ? []
      : [
          "Requests that got no answer (a reset connection), each recovered by asking the node's outbox for its serial (sent again only when not taken) or, in a loan's preparation, by preparing it again as a new application:",
          "",
          ...result.recovered.slice(0, 20).map((line) => `- ${line}`),
          "",
        ]),
    ...restartByPhase(result.restarts),
    ...(result.lost.length + result.problems.length > 0
      ? ["Problems:", "", ...[...result.lost.slice(0, 20), ...result.problems].map((p) => `- ${p}`), ""]
      : []),
    `Curves: \`${path.basename(files.csv)}\`; ${files.charts.map((c) => `![](${path.basename(c)})`).join(" ")}`,
    "",
  ].join("\n");
}

/** "Restart, by phase": each restart's launcher steps and children's boots (scripts/ops/local/timings.ts). */
function restartByPhase(restarts: SoakResult["restarts"]): string[] {
  return [
    "## Restart, by phase",
    "",
    "Each step of the launcher (from: seconds into the start; steps overlap where they run side by side) and each child: spawned, listening (its first answer), ready (`/readyz` 200), and its own marks from its log (ms since its process began, shown in s).",
    "",
    ...restarts.flatMap((r, i) => [
      `### Restart ${i + 1}${i === 0 ? " (after the load)" : " (again, nothing changed)"}: ${fmt(r.seconds, 1)} s`,
      "",
      ...startupTables(r.startup),
      "",
    ]),
  ];
}

/**
 * The curves as PNG charts, by file suffix: the nodes' memory (five series, one colour each), the
 * chain's, the anchor service's and the launcher's, and the state file.
 */
export function soakCharts(samples: readonly Sample[]): Array<{ suffix: string; png: Buffer }> {
  const ops = fmt(Math.max(0, ...samples.map((s) => s.ops)));
  const memory = (suffix: string, title: string, names: readonly string[]) => ({
    suffix,
    png: lineChart({
      // short: the chart draws its title in one line, cut at its edges
      title: `${title}, ${ops} operations`,
      xLabel: "loan operations done",
      yLabel: "RSS (MB)",
      series: names.map((n) => ({
        name: n,
        points: samples.flatMap((s) =>
          s.rssMb[n] === undefined ? [] : [[s.ops, s.rssMb[n]] as [number, number]],
        ),
      })),
    }).toPng(),
  });
  return [
    memory("-memory.png", "Memory: chain, anchor service, launcher", ["chain", "anchor", "launcher"]),
    memory("-nodes.png", "Memory: the five nodes", NODE_NAMES),
    {
      suffix: "-state.png",
      png: lineChart({
        title: `The chain's state file, ${ops} operations`,
        xLabel: "loan operations done",
        yLabel: "state.json (MB)",
        series: [{ name: "chain/state.json", points: samples.map((s) => [s.ops, s.stateBytes / 2 ** 20]) }],
      }).toPng(),
    },
  ];
}

/** The CSV, the charts and the report beside `out` (report.md → report.csv, report-memory.png, …). */
export async function writeSoakReport(
  result: SoakResult,
  options: SoakOptions,
  out: string,
): Promise<string> {
  const base = out.replace(/\.md$/, "");
  const csv = `${base}.csv`;
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(csv, samplesCsv(result.samples));
  const charts: string[] = [];
  for (const chart of soakCharts(result.samples)) {
    charts.push(`${base}${chart.suffix}`);
    await writeFile(`${base}${chart.suffix}`, chart.png);
  }
  const markdown = soakMarkdown(result, options, { csv, charts });
  await writeFile(out, markdown);
  return markdown;
}

const THIS_FILE = fileURLToPath(import.meta.url);
/** A second signal sooner than this after the first is the same Ctrl-C. */
const REPEATED_SIGNAL_MS = 2_000;
if (process.argv[1] === THIS_FILE) {
  // the first Ctrl-C (or SIGTERM) ends the load and still gives the restart, the checks and the
  // report; the second stops the consortium's services at once and leaves
  const interrupt = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (name: string) => {
    // one Ctrl-C may arrive twice (from the terminal and from npm's shell passing it on)
    if (interrupt.signal.aborted && performance.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
    if (!interrupt.signal.aborted) {
      firstSignalAt = performance.now();
      console.log(
        `${name}: ending the load (the running loans finish, then the restart, the checks, the report); again to stop now`,
      );
      interrupt.abort(new Error(name));
      return;
    }
    console.log(`${name}: stopping the consortium's services (the data directory stays)…`);
    void stopSoaks().finally(() => process.exit(130));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  const options: SoakOptions = {
    ops: int("SOAK_OPS", FULL_SOAK_OPS),
    repaymentsPerLoan: int("SOAK_REPAYMENTS", 3),
    concurrency: int("SOAK_CONCURRENCY", DEFAULT_CONCURRENCY),
    principalYuan: int("SOAK_PRINCIPAL_YUAN", 3_000),
    sampleMs: int("SOAK_SAMPLE_MS", 5_000),
    bundles: int("SOAK_BUNDLES", 50),
    restarts: int("SOAK_RESTARTS", 1),
    ...(process.env.SOAK_MINUTES ? { minutes: int("SOAK_MINUTES", 0) } : {}),
    interrupt: interrupt.signal,
    ...(process.env.SOAK_DIR ? { dataDir: process.env.SOAK_DIR } : {}),
    tls: process.env.JL_TLS !== "off",
    ...(process.env.SOAK_ANVIL_ARGS ? { anvilArgs: process.env.SOAK_ANVIL_ARGS.split(/\s+/) } : {}),
    limits: {
      rssMbPerKiloOps: Number(process.env.SOAK_RSS_MB_PER_KOPS ?? DEFAULT_LIMITS.rssMbPerKiloOps),
      stateBytesPerOp: int("SOAK_STATE_BYTES_PER_OP", DEFAULT_LIMITS.stateBytesPerOp),
    },
    log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  };
  const out = process.env.SOAK_OUT ?? path.join(path.dirname(THIS_FILE), "soak-report.md");
  try {
    const result = await runSoak(options);
    console.log(`\n${await writeSoakReport(result, options, out)}`);
    console.log(`report: ${out}`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    const cause = (error as Error).cause;
    console.error(
      `soak failed: ${(error as Error).stack ?? String(error)}${cause === undefined ? "" : `\ncause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`}`,
    );
    process.exitCode = 1;
  }
}
