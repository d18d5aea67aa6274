// The local chain: Anvil from the npm package, its blocks, receipts, logs and latest state kept
// in <dataDir>/chain/state.json. What Anvil 1.7 does with that file, and what this module does
// about it:
// - Blocks, block numbers, hashes, receipts and logs come back after a reload; the state at past
//   blocks does not, and nothing needs it: the registry answers "was the submitter a member at
//   the anchoring block?" from its own checkpoints (statusAt, accountAt, evidenceContractsAt).
// - Anvil's own periodic dumps (--state-interval) are not taken at a block boundary: a block
//   mined meanwhile can leave its state change in the dump without the block. So the launcher
//   takes them (startStateDumps): mining paused, anvil_dumpState, mining resumed, the file
//   written beside, fsynced and renamed over the previous one. Anvil still loads the file at
//   start and dumps it on a graceful stop (--state), after the nodes and the anchor service have
//   stopped, when nothing is being mined. --state alone also makes Anvil dump every 60 s by
//   itself; --state-interval of a century leaves it that last dump only.
// - At every start Anvil mints a new genesis block stamped with the current time and stores it
//   beside the loaded ones; which of them then answers for block 0 depends on hash-map order, so
//   the genesis hash would change at random between starts (and every service would see a chain
//   reset). Starting Anvil with --timestamp set to the original genesis time makes the new
//   genesis identical to the original one.
// - The clock: --timestamp also restarts Anvil's clock at that time, and time travel
//   (evm_increaseTime) is not saved at all, so restoreClock() sets it to the later of now and
//   just after the last block. Until then a block would be stamped just after the loaded chain's
//   last one: behind blocks a crash lost, which services and receipts have seen. So Anvil starts
//   with --no-mining, and mining (automine or --block-time's interval) starts only once the
//   clock is restored; a transaction sent meanwhile waits in the pool.
// - A crash (SIGKILL) loses what happened since the last periodic dump; the anchor service and
//   the nodes detect the lost blocks and recover (re-commit heads, re-index).
// - Anvil keeps each transaction's call trace and writes it into every dump: over half of the
//   file (Anvil 1.7 has no option to leave them out). Nothing here asks for traces (no
//   debug_trace*/trace_*), and receipts, logs and blocks do not come from them, so the launcher's
//   dumps and the start leave them out (withoutCallTraces); a reloaded chain answers the same
//   receipts, logs and block hashes, and an empty trace for an old transaction.
// - A state file above STATE_PARSE_LIMIT_BYTES is never read into one string (V8 cannot hold a
//   string past 512 MB, and parsing such a file in JavaScript takes minutes): the start hands it
//   to Anvil as it is, finds the genesis time by a byte search, and lets Anvil's own parse be the
//   damage check: a file Anvil refuses is replaced by state.prev.json and Anvil started again, and
//   a file Anvil loaded becomes state.prev.json. Its call traces stay until the next dump.
// - Past states: Anvil keeps the state of its last 500 blocks in memory and, unbounded, writes
//   every older block's whole state to ~/.foundry/anvil/tmp (4 MB a block after 8,000 loan
//   operations: a disk filled in hours). --prune-history keeps ANVIL_STATES_KEPT in memory and
//   writes none; nothing reads far back (the registry's checkpoints answer membership, the
//   EvidenceLog's operator events the operator at a past block), and a reload loses them anyway.
//   Each kept state is a whole copy of the state (425 MB of memory per 1,000 loan operations with
//   500 kept), so few are kept: enough for a read at a block a moment ago (a court package reads
//   its block's state before its log scan; the anchor service's and the court page's reads are at
//   the head just asked for; a ledger digest of a large ledger follows the head, or is read with
//   mining paused).
import { constants, createReadStream } from "node:fs";
import { copyFile, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { LocalConsortiumError } from "./errors.ts";
import { MINING_WATCHDOG_INTERVAL_MS, miningWatchdog } from "./mining-watchdog.ts";
import { HOST } from "./ports.ts";
import { ServiceProcess, rpcReady } from "./service-process.ts";
import {
  type AnvilBlock,
  type AnvilState,
  STATE_PARSE_LIMIT_BYTES,
  dropCallTraces,
  withoutCallTracesOffThread,
} from "./state-traces.ts";

export { STATE_PARSE_LIMIT_BYTES, withoutCallTraces } from "./state-traces.ts";

/** The chain id of the local chain (Anvil's default, set explicitly so a reload cannot change it). */
export const LOCAL_CHAIN_ID = 31337;
/**
 * Seconds between Anvil's state dumps: what a crash (SIGKILL, power loss) can lose at most while
 * a dump takes less than a fifth of it; a longer one spaces them out (DUMP_SPACING).
 */
export const STATE_INTERVAL_SECONDS = 5;
/** A dump that took t starts the next no sooner than DUMP_SPACING × t after it began. */
export const DUMP_SPACING = 5;
/** Past blocks whose state Anvil keeps (in memory, none on disk; each a whole copy of the state). */
export const ANVIL_STATES_KEPT = 64;
/** Anvil's own periodic dumps, in effect never (above). */
export const ANVIL_OWN_DUMP_INTERVAL_SECONDS = 100 * 365 * 24 * 3600;
/** Anvil's first development account (mnemonic "test … junk"): funds the generated keys. */
export const ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export type LocalChainOptions = {
  repoRoot: string;
  dataDir: string;
  port: number;
  logFile: string;
  genesisTimestamp: number;
  extraArgs?: string[];
  /** What the caller's guardStateFile() found: a "large" file is checked by Anvil as it loads it. */
  stateStatus?: StateFileStatus["state"];
  /** guardStateFile's limit on restarts (tests lower it). */
  parseLimitBytes?: number;
  /** How long Anvil may take to answer (loading a large state file); service-process.ts's default if unset. */
  readyTimeoutMs?: number;
  /** After each start, once the clock is restored: how far the last block was ahead of this machine's clock. */
  onClockRestored?: (aheadSeconds: number) => void;
};

export function stateFile(dataDir: string): string {
  return path.join(dataDir, "chain", "state.json");
}

export function localChainProcess(options: LocalChainOptions): ServiceProcess {
  let starts = 0;
  let uncheckedByUs = options.stateStatus === "large";
  const url = `http://${HOST}:${options.port}`;
  const args = [
    "--host",
    HOST,
    "--port",
    String(options.port),
    "--chain-id",
    String(LOCAL_CHAIN_ID),
    "--state",
    stateFile(options.dataDir),
    "--timestamp",
    String(options.genesisTimestamp),
    // with --state Anvil also dumps by itself every 60 s: in place of the launcher's dump, with every
    // call trace and at no block boundary; an interval of a century leaves only its dump at exit
    "--state-interval",
    String(ANVIL_OWN_DUMP_INTERVAL_SECONDS),
  ];
  // Anvil's own mining arguments are taken out (refused here if malformed): it starts with
  // --no-mining, and afterReady turns on what they asked for once the clock is restored
  const { mining, rest } = anvilMining(options.extraArgs ?? []);
  // an operator's own --prune-history (any spelling) wins
  if (!rest.some((arg) => arg.startsWith("--prune-history")))
    args.push("--prune-history", String(ANVIL_STATES_KEPT));
  args.push(...rest, "--no-mining");
  return new ServiceProcess({
    name: "chain",
    command: path.join(options.repoRoot, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil"),
    args,
    cwd: options.repoRoot,
    env: process.env,
    logFile: options.logFile,
    ready: () => rpcReady(url),
    waitingFor: `eth_chainId at ${url} to answer (Anvil loading chain/state.json)`,
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    stopSignal: "SIGINT",
    // the first start follows the caller's guardStateFile(); a restart after a crash may find a dump cut short
    beforeStart: async () => {
      if (starts++ > 0)
        uncheckedByUs =
          (await guardStateFile(options.dataDir, { parseLimitBytes: options.parseLimitBytes })).state ===
          "large";
    },
    // a file too large to check here that Anvil refused to parse: the previous dump instead
    recover: async (_exit, logTail) => {
      if (!uncheckedByUs || !ANVIL_STATE_REFUSED.test(logTail)) return false;
      uncheckedByUs = false; // state.prev.json was checked before it was kept
      const file = stateFile(options.dataDir);
      const genesis = (await restorePreviousState(options.dataDir))
        ? await genesisTimestampOfFile(file, options.parseLimitBytes)
        : undefined;
      args[args.indexOf("--timestamp") + 1] = String(genesis ?? Math.floor(Date.now() / 1000));
      return true;
    },
    afterReady: async () => {
      const provider = new JsonRpcProvider(url, LOCAL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const ahead = await restoreClock(provider);
        await startMining(provider, mining);
        options.onClockRestored?.(ahead);
      } finally {
        provider.destroy();
      }
      if (!uncheckedByUs) return;
      uncheckedByUs = false;
      await keepAsPrevious(options.dataDir);
    },
  });
}

/** Anvil's refusal of a state file it cannot parse (clap's message for --state's value). */
const ANVIL_STATE_REFUSED = /for '--state <PATH>': failed to parse/;

export type StateFileStatus = {
  /**
   * "large": above the parse limit, handed to Anvil unread (checked by Anvil's own parse; kept as
   * state.prev.json once loaded, replaced by it if refused: localChainProcess).
   */
  state: "fresh" | "loaded" | "restored-previous" | "large";
  genesisTimestamp: number | undefined;
};

/**
 * Before Anvil loads state.json: keep the last good dump as state.prev.json, and put it back
 * when state.json is damaged (a dump cut short by a crash), so Anvil never refuses to start.
 * Also reads the original genesis block's time (the earliest of the block-0 entries). A file
 * above `parseLimitBytes` is left to Anvil (state "large", above).
 */
export async function guardStateFile(
  dataDir: string,
  options: { parseLimitBytes?: number | undefined } = {},
): Promise<StateFileStatus> {
  const file = stateFile(dataDir);
  const previous = file.replace(/\.json$/, ".prev.json");
  // a launcher killed while writing a dump (or this copy) left it beside, never renamed: unread
  const dir = path.dirname(file);
  const temporaries = (await readdir(dir).catch(() => [])).filter((f) =>
    /^state(\.prev)?\.json\.tmp/.test(f),
  );
  for (const f of temporaries) await rm(path.join(dir, f), { force: true });
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) return { state: "fresh", genesisTimestamp: undefined };
  if (size > (options.parseLimitBytes ?? STATE_PARSE_LIMIT_BYTES)) {
    const genesisTimestamp = await genesisTimestampInFile(file);
    // no genesis block found: not a whole dump; Anvil's parse says so, and the previous one is used
    return { state: "large", genesisTimestamp };
  }
  const parse = async (f: string) => JSON.parse(await readFile(f, "utf8")) as AnvilState;
  try {
    const state = await parse(file);
    // a state file written without --timestamp holds several block 0s: keep the original; and
    // Anvil's own dump at the last stop carries the call traces of what it mined since its start
    const dropped = dropLaterGeneses(state);
    if (dropCallTraces(state) || dropped) await writeAtomically(file, Buffer.from(JSON.stringify(state)));
    // whole or not at all, as the dumps: it is what a damaged state.json is replaced with
    await copyAtomically(file, previous);
    return { state: "loaded", genesisTimestamp: genesisTimestampOf(state) };
  } catch {
    if (!(await restorePreviousState(dataDir))) return { state: "fresh", genesisTimestamp: undefined };
    return {
      state: "restored-previous",
      genesisTimestamp: await genesisTimestampOfFile(file, options.parseLimitBytes),
    };
  }
}

/** A damaged state.json moved aside and state.prev.json copied in its place; false when there is none. */
async function restorePreviousState(dataDir: string): Promise<boolean> {
  const file = stateFile(dataDir);
  const previous = file.replace(/\.json$/, ".prev.json");
  const hasPrevious = await stat(previous).then(
    () => true,
    () => false,
  );
  await rename(file, `${file}.damaged-${Date.now()}`);
  if (hasPrevious) await copyAtomically(previous, file);
  return hasPrevious;
}

/** state.json, once Anvil has loaded it, kept as state.prev.json (whole or not at all). */
async function keepAsPrevious(dataDir: string): Promise<void> {
  const file = stateFile(dataDir);
  await copyAtomically(file, file.replace(/\.json$/, ".prev.json"));
}

/** The genesis time of a whole dump: parsed up to the limit, found by genesisTimestampInFile above it. */
async function genesisTimestampOfFile(file: string, parseLimitBytes: number | undefined) {
  if ((await stat(file)).size > (parseLimitBytes ?? STATE_PARSE_LIMIT_BYTES))
    return genesisTimestampInFile(file);
  return genesisTimestampOf(JSON.parse(await readFile(file, "utf8")) as AnvilState);
}

/** Searched for alone: a pattern ending in a letter no hex string holds is found several times faster. */
const PARENT_KEY = Buffer.from("parentHash");
const GENESIS_PARENT = Buffer.from(`"parentHash":"0x${"0".repeat(64)}"`);
/** A header is a flat object of a few hundred bytes (its bloom is 514): a match without its end this far on is not one. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The original genesis time of a state file, without reading it into memory: each block-0 header
 * (the only ones whose parent hash is zero) found by a byte search as the file streams by, the
 * header's own flat object parsed, the earliest time kept. The search cannot match inside a
 * string value: a quote there is escaped.
 */
export async function genesisTimestampInFile(file: string): Promise<number | undefined> {
  const times: number[] = [];
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 2 ** 20 }) as AsyncIterable<Buffer>) {
    const buf: Buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let from = 1;
    let keepFrom = Math.max(0, buf.length - GENESIS_PARENT.length);
    for (;;) {
      const key = buf.indexOf(PARENT_KEY, from);
      if (key < 0) break;
      const at = key - 1;
      from = key + 1;
      if (buf.length - at < GENESIS_PARENT.length) {
        keepFrom = Math.min(keepFrom, at); // its value goes on in the next chunk
        break;
      }
      if (!buf.subarray(at, at + GENESIS_PARENT.length).equals(GENESIS_PARENT)) continue;
      const end = buf.indexOf("}", at);
      if (end < 0) {
        if (buf.length - at <= MAX_HEADER_BYTES) keepFrom = Math.min(keepFrom, at); // the header goes on
        break;
      }
      const header = JSON.parse(`{${buf.toString("utf8", at, end + 1)}`) as AnvilBlock["header"];
      if (header?.number !== undefined && BigInt(header.number) === 0n && header.timestamp !== undefined)
        times.push(Number(BigInt(header.timestamp)));
      from = end + 1;
    }
    carry = buf.subarray(keepFrom);
  }
  return times.length === 0 ? undefined : Math.min(...times);
}

const isGenesis = (b: AnvilBlock) =>
  b.header?.number !== undefined && BigInt(b.header.number) === 0n && b.header.timestamp !== undefined;

/** Removes every block-0 entry but the earliest; true if there were any. */
function dropLaterGeneses(state: AnvilState): boolean {
  const first = genesisTimestampOf(state);
  const blocks = state.blocks ?? [];
  const kept = blocks.filter((b) => !isGenesis(b) || Number(BigInt(b.header!.timestamp!)) === first);
  if (kept.length === blocks.length || kept.filter(isGenesis).length !== 1) return false;
  state.blocks = kept;
  return true;
}

function genesisTimestampOf(state: AnvilState): number | undefined {
  const times = (state.blocks ?? []).filter(isGenesis).map((b) => Number(BigInt(b.header!.timestamp!)));
  return times.length === 0 ? undefined : Math.min(...times);
}

/** After a (re)start: the chain's clock continues from the later of now and just after the last block. */
export async function restoreClock(provider: JsonRpcProvider): Promise<number> {
  const latest = await provider.getBlock("latest");
  const now = Math.floor(Date.now() / 1000);
  const next = Math.max(now, (latest?.timestamp ?? 0) + 1);
  await provider.send("evm_setTime", [next]);
  return next - now;
}

/**
 * How the chain mines: on each transaction (automine), every `intervalSeconds`, both (Anvil's
 * --mixed-mining), or neither (--no-mining: only when asked, evm_mine).
 */
export type MiningMode = { automine: boolean; intervalSeconds?: number };

/** Automine: Anvil's default, and what a chain started without mining arguments does. */
export const AUTOMINE: MiningMode = { automine: true };

/**
 * Anvil's mining arguments in every spelling it accepts (-b N, -bN, -b=N, --block-time N,
 * --block-time=N, --blockTime N, --blockTime=N, --no-mining, --no-mine, --mixed-mining), read
 * into a mode, and the other arguments. A block time must be a whole number of seconds: the
 * launcher turns interval mining back on with evm_setIntervalMining, which takes whole seconds.
 */
export function anvilMining(anvilArgs: readonly string[]): { mining: MiningMode; rest: string[] } {
  const rest: string[] = [];
  let interval: string | undefined;
  let noMining = false;
  let mixed = false;
  for (let i = 0; i < anvilArgs.length; i++) {
    const arg = anvilArgs[i]!;
    const inline = /^(?:-b=?|--block-time=|--blockTime=)(.+)$/.exec(arg);
    if (arg === "-b" || arg === "--block-time" || arg === "--blockTime") {
      const value = anvilArgs[++i];
      if (value === undefined || value.startsWith("-"))
        throw new LocalConsortiumError("LOCAL_BAD_CONFIG", `Anvil's ${arg} needs a number of seconds`);
      interval = value;
    } else if (inline !== null) interval = inline[1]!;
    else if (arg === "--no-mining" || arg === "--no-mine") noMining = true;
    else if (arg === "--mixed-mining") mixed = true;
    else rest.push(arg);
  }
  if (interval === undefined) return { mining: { automine: !noMining }, rest };
  const seconds = Number(interval);
  if (!/^\d+$/.test(interval) || seconds < 1)
    throw new LocalConsortiumError(
      "LOCAL_BAD_CONFIG",
      `Anvil's block time must be a whole number of seconds, not ${interval} (the launcher turns interval mining on with evm_setIntervalMining, which takes whole seconds)`,
    );
  if (noMining)
    throw new LocalConsortiumError(
      "LOCAL_BAD_CONFIG",
      "Anvil's --no-mining cannot be used with a block time",
    );
  return { mining: { automine: mixed, intervalSeconds: seconds }, rest };
}

/** Mining turned on as `mode` says (nothing for no mining); transactions waiting in the pool are mined. */
export async function startMining(provider: JsonRpcProvider, mode: MiningMode): Promise<void> {
  if (mode.intervalSeconds !== undefined)
    await provider.send("evm_setIntervalMining", [mode.intervalSeconds]);
  if (mode.automine) await provider.send("evm_setAutomine", [true]);
}

/** No block mined until startMining: neither on each transaction nor on an interval. */
export async function stopMining(provider: JsonRpcProvider): Promise<void> {
  await provider.send("evm_setAutomine", [false]);
  await provider.send("evm_setIntervalMining", [0]);
}

export type StateDumps = {
  /** One consistent dump now (the head it holds), unless the head has not moved since the last. */
  dumpNow(): Promise<number | undefined>;
  /** No more dumps, nor the automine watchdog's looks (a dump or look in progress finishes first). */
  stop(): Promise<void>;
};

/** Dumps taken again when a block was mined under one, before dumpPausedState gives up. */
const DUMP_ATTEMPTS = 5;

/**
 * The chain's state (the --state JSON) at its head, with mining paused by the caller: a block
 * being mined as mining stopped finishes first (the head holds still for 50 ms). A block mined
 * during the dump voids it, and it is taken again: on a large state Anvil takes longer than that
 * to mine a block of the transactions it had taken before mining stopped. Fails when blocks keep
 * coming (mining resumed by someone else).
 */
export async function dumpPausedState(provider: JsonRpcProvider): Promise<{ head: number; json: Buffer }> {
  let head = await provider.getBlockNumber();
  for (let attempt = 1; ; attempt++) {
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const again = await provider.getBlockNumber();
      if (again === head) break;
      head = again;
    }
    const hex = await anvilDumpState(provider);
    const after = await provider.getBlockNumber();
    if (after === head) return { head, json: await promisify(gunzip)(Buffer.from(hex.slice(2), "hex")) };
    if (attempt === DUMP_ATTEMPTS)
      throw new Error(
        `block ${after} was mined while mining was paused (head ${head}; ${DUMP_ATTEMPTS} dumps voided)`,
      );
    head = after;
  }
}

/**
 * anvil_dumpState's result (gzipped JSON, as hex) read by fetch, not through the provider: ethers
 * decodes a response body with its own UTF-8 decoder in JavaScript, which took most of a second
 * of the launcher's event loop per dump of a few MB (a soak's profile: 13 % of the launcher's
 * CPU), growing with the state; fetch decodes natively.
 */
async function anvilDumpState(provider: JsonRpcProvider): Promise<string> {
  const response = await fetch(provider._getConnection().url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_dumpState", params: [] }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (typeof body.result !== "string" || !body.result.startsWith("0x"))
    throw new Error(`anvil_dumpState: ${body.error?.message ?? `HTTP ${response.status}, no result`}`);
  return body.result;
}

/**
 * Every `intervalMs`, the chain's state written to chain/state.json at a block boundary: mining
 * paused (and a block being mined as it stopped waited for), anvil_dumpState, mining resumed;
 * the JSON written to a temporary file, fsynced, renamed over state.json and the directory
 * fsynced. A SIGKILL at any moment leaves the previous dump or this one, never a mix, and never a
 * state change without its block. `mining`: how the chain mines (default automine), the mode a
 * dump resumes. On automine alone (not with an interval, which mines what is pending by itself)
 * the automine watchdog (mining-watchdog.ts) looks at the pool between dumps: never while a dump
 * has mining paused, nor once stopped, as the launcher does whenever it holds mining still.
 */
export function startStateDumps(options: {
  provider: JsonRpcProvider;
  dataDir: string;
  intervalMs?: number;
  /** DUMP_SPACING unless given (1: back to back once a dump outlasts intervalMs). */
  spacing?: number;
  mining?: MiningMode;
  log?: (line: string) => void;
}): StateDumps {
  const mining = options.mining ?? AUTOMINE;
  const { provider } = options;
  const file = stateFile(options.dataDir);
  let lastHead: string | undefined;
  let running: Promise<number | undefined> = Promise.resolve(undefined);
  let stopped = false;
  // transactions sent meanwhile waited in the pool: resuming mines them
  const resume = () => startMining(provider, mining);
  const dump = async (): Promise<number | undefined> => {
    const latest = await provider.getBlock("latest");
    if (latest === null || latest.hash === lastHead) return undefined;
    let dumped: { head: number; json: Buffer };
    await stopMining(provider);
    try {
      dumped = await dumpPausedState(provider);
      lastHead = (await provider.getBlock(dumped.head))?.hash ?? undefined;
    } finally {
      await resume();
    }
    await writeAtomically(file, await withoutCallTracesOffThread(dumped.json));
    return dumped.head;
  };
  const next = (): Promise<number | undefined> => {
    running = running.then(dump, dump).catch((error: unknown) => {
      // the chain restarting, or the disk: the previous dump stays, the next tick tries again
      options.log?.(`chain: state dump failed: ${(error as Error).message}`);
      return undefined;
    });
    return running;
  };
  // each dump pauses mining while Anvil serializes its whole history (seconds once it is large):
  // the next starts no sooner than DUMP_SPACING times as long after this one began, so mining
  // runs most of the time and dumps never queue up behind each other; on a small chain, every
  // intervalMs
  const intervalMs = options.intervalMs ?? STATE_INTERVAL_SECONDS * 1000;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), delayMs);
    timer.unref();
  };
  const tick = async () => {
    const started = performance.now();
    await next();
    const took = performance.now() - started;
    schedule(Math.max(intervalMs, took * (options.spacing ?? DUMP_SPACING)) - took);
  };
  schedule(intervalMs);
  // the watchdog's looks queue behind the dumps (one at a time: a long dump does not pile them up)
  const watchdog =
    mining.automine && mining.intervalSeconds === undefined
      ? miningWatchdog(provider, options.log)
      : undefined;
  let looking = false;
  const look = async (): Promise<undefined> => {
    try {
      if (!stopped) await watchdog?.look();
    } catch {
      // the chain restarting or gone: the dumps' failures say so
    } finally {
      looking = false;
    }
    return undefined;
  };
  const watchdogTimer =
    watchdog === undefined
      ? undefined
      : setInterval(() => {
          if (stopped || looking) return;
          looking = true;
          running = running.then(look, look);
        }, MINING_WATCHDOG_INTERVAL_MS);
  watchdogTimer?.unref();
  return {
    dumpNow: next,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(watchdogTimer);
      await running;
    },
  };
}

/** Write beside, fsync, rename over, fsync the directory: the file is the old one or the new one. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  await replaceAtomically(file, async (tmp) => {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** `from` copied over `to` as writeAtomically does, without reading it into memory. */
async function copyAtomically(from: string, to: string): Promise<void> {
  await replaceAtomically(to, async (tmp) => {
    await copyFile(from, tmp, constants.COPYFILE_FICLONE);
    const handle = await open(tmp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

async function replaceAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await write(tmp);
  await rename(tmp, file);
  const dir = await open(path.dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
