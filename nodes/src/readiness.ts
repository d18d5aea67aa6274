// /readyz: whether this node can serve now, with a reason for each thing that stops it. Four
// checks, each bounded by a timeout so a hung dependency reads as "not ready", never as a hung
// probe:
//   chain    reachable, and still the chain the node started on: the same chain id and the same
//            genesis block (a reset or another chain behind the same URL makes the index wrong)
//   indexer  its cursor within maxIndexerLagBlocks of the head it last saw, and its last sync
//            without an error
//   outbox   at most maxOutboxBacklog chain writes waiting (queued or sent), counted from the
//            outbox's in-memory pending index: a probe never walks the stored entries, however
//            many confirmed flows the node holds
//   anchor   the anchor service's /healthz answers 200
import type { JsonRpcProvider } from "ethers";
import type { IndexerStatus } from "./indexer/indexer.ts";
import type { Outbox } from "./outbox/outbox.ts";

export type ReadinessProbes = {
  chainId: () => Promise<bigint>;
  /** The hash of block 0. */
  genesisHash: () => Promise<string>;
  indexer: () => { cursorBlock: number | undefined; head: number | null; lastError: string | null };
  /** Chain writes not yet final: queued and sent. */
  outboxBacklog: () => Promise<number>;
  /** Resolves when the anchor service answers healthy, rejects with why not. */
  anchorHealthy: () => Promise<void>;
};

export type ReadinessLimits = {
  maxIndexerLagBlocks: number;
  maxOutboxBacklog: number;
  /** Each check's bound, in ms. */
  timeoutMs: number;
};

export const DEFAULT_READINESS_LIMITS: ReadinessLimits = {
  maxIndexerLagBlocks: 50,
  maxOutboxBacklog: 1_000,
  timeoutMs: 2_000,
};

/** Each limit's environment variable (unset or empty: the default). */
export const READINESS_ENV: Readonly<Record<keyof ReadinessLimits, string>> = {
  maxIndexerLagBlocks: "NODE_READY_MAX_INDEXER_LAG_BLOCKS",
  maxOutboxBacklog: "NODE_READY_MAX_OUTBOX_BACKLOG",
  timeoutMs: "NODE_READY_TIMEOUT_MS",
};

/** Smallest and largest value each limit takes. */
const LIMIT_RANGE: Readonly<Record<keyof ReadinessLimits, readonly [number, number]>> = {
  maxIndexerLagBlocks: [0, 1_000_000],
  maxOutboxBacklog: [0, 10_000_000],
  timeoutMs: [50, 60_000],
};

/** The limits from NODE_READY_*; a value that is not a whole number in range is refused, naming its variable. */
export function readinessLimitsFromEnv(env: NodeJS.ProcessEnv): ReadinessLimits {
  const limits = { ...DEFAULT_READINESS_LIMITS };
  for (const field of Object.keys(READINESS_ENV) as Array<keyof ReadinessLimits>) {
    const text = env[READINESS_ENV[field]]?.trim();
    if (text === undefined || text === "") continue;
    const [min, max] = LIMIT_RANGE[field];
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max)
      throw new RangeError(`${READINESS_ENV[field]}=${text}: a whole number from ${min} to ${max}`);
    limits[field] = value;
  }
  return limits;
}

export type ReadyState = {
  ready: boolean;
  /** One sentence per failing check; empty when ready. */
  reasons: string[];
  detail: {
    chain: { ok: boolean; chainId?: string; genesisHash?: string };
    indexer: { ok: boolean; lagBlocks?: number; cursorBlock?: number; head?: number };
    outbox: { ok: boolean; backlog?: number };
    anchor: { ok: boolean };
  };
};

function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The readiness check. `expected` is the chain the node started on (its id, and block 0's hash);
 * undefined genesis is learnt on the first successful read.
 */
export function createReadiness(
  probes: ReadinessProbes,
  expected: { chainId: bigint; genesisHash?: string },
  limits: ReadinessLimits = DEFAULT_READINESS_LIMITS,
) {
  let genesis = expected.genesisHash?.toLowerCase();

  async function chain(reasons: string[]): Promise<ReadyState["detail"]["chain"]> {
    try {
      const [chainId, hash] = await bounded(
        Promise.all([probes.chainId(), probes.genesisHash()]),
        limits.timeoutMs,
        "the chain",
      );
      const seen = { chainId: chainId.toString(), genesisHash: hash.toLowerCase() };
      genesis ??= seen.genesisHash;
      if (chainId !== expected.chainId)
        reasons.push(`chain: chain id ${chainId} is not ${expected.chainId}, the chain this node started on`);
      else if (seen.genesisHash !== genesis)
        reasons.push(
          `chain: genesis block ${seen.genesisHash} is not ${genesis}: the chain was reset or replaced; the index no longer describes it`,
        );
      else return { ok: true, ...seen };
      return { ok: false, ...seen };
    } catch (error) {
      reasons.push(`chain: unreachable (${why(error)})`);
      return { ok: false };
    }
  }

  function indexer(reasons: string[]): ReadyState["detail"]["indexer"] {
    const { cursorBlock, head, lastError } = probes.indexer();
    if (head === null || cursorBlock === undefined) {
      reasons.push(`indexer: not synced yet${lastError === null ? "" : ` (${lastError})`}`);
      return { ok: false };
    }
    const lagBlocks = Math.max(0, head - cursorBlock);
    const state = { lagBlocks, cursorBlock, head };
    if (lastError !== null) reasons.push(`indexer: the last sync failed (${lastError})`);
    else if (lagBlocks > limits.maxIndexerLagBlocks)
      reasons.push(`indexer: ${lagBlocks} blocks behind the head (at most ${limits.maxIndexerLagBlocks})`);
    else return { ok: true, ...state };
    return { ok: false, ...state };
  }

  async function outbox(reasons: string[]): Promise<ReadyState["detail"]["outbox"]> {
    try {
      const backlog = await bounded(probes.outboxBacklog(), limits.timeoutMs, "the outbox");
      if (backlog <= limits.maxOutboxBacklog) return { ok: true, backlog };
      reasons.push(`outbox: ${backlog} chain writes waiting (at most ${limits.maxOutboxBacklog})`);
      return { ok: false, backlog };
    } catch (error) {
      reasons.push(`outbox: unreadable (${why(error)})`);
      return { ok: false };
    }
  }

  async function anchor(reasons: string[]): Promise<ReadyState["detail"]["anchor"]> {
    try {
      await bounded(probes.anchorHealthy(), limits.timeoutMs, "the anchor service");
      return { ok: true };
    } catch (error) {
      reasons.push(`anchor: unreachable (${why(error)})`);
      return { ok: false };
    }
  }

  return {
    async check(): Promise<ReadyState> {
      // each check its own reasons, joined in a fixed order (chain, indexer, outbox, anchor)
      const found: [string[], string[], string[], string[]] = [[], [], [], []];
      const indexerState = indexer(found[1]);
      const [chainState, outboxState, anchorState] = await Promise.all([
        chain(found[0]),
        outbox(found[2]),
        anchor(found[3]),
      ]);
      const reasons = found.flat();
      return {
        ready: reasons.length === 0,
        reasons,
        detail: { chain: chainState, indexer: indexerState, outbox: outboxState, anchor: anchorState },
      };
    },
  };
}

/** What the node's probes read: its chain, its indexer, its outbox, the anchor service's URL. */
export type NodeReadinessSources = {
  provider: Pick<JsonRpcProvider, "send" | "getBlock">;
  indexer: { status(): Pick<IndexerStatus, "cursor" | "head" | "lastError"> };
  outbox: Pick<Outbox, "pendingCount">;
  anchorUrl: string;
};

/** The node's probes over its running parts. */
export function nodeReadinessProbes(sources: NodeReadinessSources): ReadinessProbes {
  const { provider, indexer, outbox, anchorUrl } = sources;
  return {
    chainId: async () => BigInt((await provider.send("eth_chainId", [])) as string),
    genesisHash: async () => (await provider.getBlock(0))?.hash ?? "none",
    indexer: () => {
      const status = indexer.status();
      return { cursorBlock: status.cursor?.blockNumber, head: status.head, lastError: status.lastError };
    },
    outboxBacklog: () => outbox.pendingCount(),
    anchorHealthy: () => anchorHealthz(anchorUrl),
  };
}

/** The anchor service's /healthz, for `anchorHealthy`: rejects unless it answers 200. */
export async function anchorHealthz(anchorUrl: string): Promise<void> {
  const response = await fetch(`${anchorUrl.replace(/\/$/, "")}/healthz`);
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`its /healthz answered ${response.status}`);
}
