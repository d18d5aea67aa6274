// Builds the node's copy of the shared ledger from chain events: pages eth_getLogs over the
// ledger, dispute-resolution and evidence-registry contracts (one call per page, every address
// at once), applies the logs in chain order, and commits each page's effects with the new cursor
// in one batch, so a restart resumes exactly where the last committed page ended.
//
// Chain resets. A local chain restored from an older dump loses its recent blocks, and an
// endpoint can be pointed at another chain altogether. Before each sync the indexer checks the
// genesis hash and that the block under its cursor still has the hash it recorded; if not, the
// read model describes blocks the chain no longer has, so it is wiped and rebuilt from fromBlock.
// Within a page, the hash of the page's last block is read before and after the reads: a block
// hash commits to every block below it, so an unchanged hash means every read of the page saw
// one and the same chain (otherwise the page is dropped and the next sync starts over).
import type { EventFragment, Interface, Log, Provider } from "ethers";
import { CodedError } from "../../../common/errors.ts";
import {
  DisputeResolution,
  EvidenceRegistry,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import { applyEvent, type ChainEvent, type RegistrationFacts, type SourceContract } from "./apply.ts";
import { PageWriter, type IndexerDb } from "./db.ts";
import { registrationFactsReader } from "./registration-facts.ts";
import { META_CHAIN, META_CURSOR, MODEL_SUBLEVELS } from "./keys.ts";
import { LedgerModel } from "./model.ts";

export type IndexerErrorCode = "INDEXER_BAD_OPTIONS" | "INDEXER_NO_GENESIS";
export class IndexerError extends CodedError<IndexerErrorCode> {}

/** What the indexer logs through (a pino logger fits). */
export type IndexerLog = {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
};

export type ContractAddresses = {
  jointLoanLedger: string;
  disputeResolution: string;
  evidenceRegistry: string;
};

export type IndexerOptions = {
  provider: Provider;
  addresses: ContractAddresses;
  /** The block the contracts were deployed in: indexing starts there. */
  fromBlock: number;
  db: IndexerDb;
  /** Blocks per eth_getLogs call: at most the endpoint's range limit. Default 2000. */
  pageBlocks?: number;
  /** Index only blocks at least this deep below the head. Default 0 (QBFT is final at once). */
  confirmations?: number;
  /** Interval of start()'s polling. Default 1000 ms. */
  pollMs?: number;
  /**
   * Between start()'s syncs the chain's head is read this often (one eth_blockNumber), and a
   * block past the last sync's target starts the next sync at once. Default 250 ms; at least
   * pollMs turns it off (a sync every pollMs only). While the head stands still the interval
   * doubles, up to pollMs; a new block brings it back.
   */
  headPollMs?: number;
  /** Clock for status and reset records, ms since the epoch. */
  now?: () => number;
  log?: IndexerLog;
  /**
   * Called when a sync finds that the chain lost blocks (a reset, or a head below one seen
   * before): what this node wrote in those blocks may be gone (the outbox rechecks its flows).
   */
  onChainLoss?: (reason: string) => void;
};

/** The last indexed block: everything up to it is in the read model. */
export type Cursor = { blockNumber: number; blockHash: string };

/** What the read model was built from; a change of any of it means a rebuild. */
export type ChainRecord = { genesisHash: string; addresses: ContractAddresses; fromBlock: number };

export type SyncResult = {
  /** The chain head seen, and the last block this sync was allowed to index (head − confirmations). */
  head: number;
  target: number;
  /** The cursor after the sync (undefined: nothing indexed yet). */
  cursor: Cursor | undefined;
  pages: number;
  logs: number;
  /** Logs that could not be applied (see the warnings). */
  skipped: number;
  /** Why the read model was wiped and rebuilt in this sync, if it was. */
  reset: string | null;
  /** Why the sync stopped before the target (the chain moved under it), if it did. */
  interrupted: string | null;
};

export type IndexerStatus = {
  cursor: Cursor | undefined;
  head: number | null;
  lastSyncAt: number | null;
  lastError: string | null;
  resets: number;
};

const NOOP_LOG: IndexerLog = { debug() {}, info() {}, warn() {}, error() {} };

type Header = { number: number; hash: string; parentHash: string; timestamp: number };
type PageOutcome =
  { cursor: Cursor; logs: number; skipped: number } | { interrupted: string } | { refused: Error };

export class LedgerIndexer {
  readonly model: LedgerModel;
  readonly provider: Provider;
  readonly db: IndexerDb;
  readonly fromBlock: number;
  readonly pageBlocks: number;
  readonly confirmations: number;
  readonly pollMs: number;
  readonly headPollMs: number;
  readonly log: IndexerLog;
  readonly #now: () => number;
  readonly #onChainLoss: ((reason: string) => void) | undefined;
  readonly #chain: Omit<ChainRecord, "genesisHash">;
  readonly #sources: Map<string, Source>;
  readonly #registrationFacts: (loanId: string) => Promise<RegistrationFacts>;
  #running: Promise<unknown> = Promise.resolve();
  #loop: Promise<void> | null = null;
  #stopping = false;
  #wake: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The wait before the next head read: headPollMs after a new block, doubling while idle. */
  #headNapMs = 0;
  readonly #status: IndexerStatus = {
    cursor: undefined,
    head: null,
    lastSyncAt: null,
    lastError: null,
    resets: 0,
  };

  constructor(options: IndexerOptions) {
    const pageBlocks = options.pageBlocks ?? 2000;
    const confirmations = options.confirmations ?? 0;
    const pollMs = options.pollMs ?? 1000;
    const headPollMs = options.headPollMs ?? 250;
    for (const [name, value, min] of [
      ["fromBlock", options.fromBlock, 0],
      ["pageBlocks", pageBlocks, 1],
      ["confirmations", confirmations, 0],
      ["pollMs", pollMs, 1],
      ["headPollMs", headPollMs, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min)
        throw new IndexerError(
          "INDEXER_BAD_OPTIONS",
          `${name} must be an integer >= ${min}, got ${String(value)}`,
        );
    }
    const addresses: ContractAddresses = {
      jointLoanLedger: options.addresses.jointLoanLedger.toLowerCase(),
      disputeResolution: options.addresses.disputeResolution.toLowerCase(),
      evidenceRegistry: options.addresses.evidenceRegistry.toLowerCase(),
    };
    this.provider = options.provider;
    this.db = options.db;
    this.model = new LedgerModel(options.db);
    this.fromBlock = options.fromBlock;
    this.pageBlocks = pageBlocks;
    this.confirmations = confirmations;
    this.pollMs = pollMs;
    this.headPollMs = headPollMs;
    this.log = options.log ?? NOOP_LOG;
    this.#now = options.now ?? Date.now;
    this.#onChainLoss = options.onChainLoss;
    this.#chain = { addresses, fromBlock: options.fromBlock };
    this.#sources = new Map([
      [addresses.jointLoanLedger, source("ledger", JointLoanLedger.interface)],
      [addresses.disputeResolution, source("disputes", DisputeResolution.interface)],
      [addresses.evidenceRegistry, source("evidence", EvidenceRegistry.interface)],
    ]);
    this.#registrationFacts = registrationFactsReader(this.provider, addresses.jointLoanLedger);
  }

  status(): IndexerStatus {
    return { ...this.#status };
  }

  /** The stored cursor (undefined before the first page is committed). */
  async cursor(): Promise<Cursor | undefined> {
    return (await this.db.meta.get(META_CURSOR)) as Cursor | undefined;
  }

  /**
   * Index from the cursor to the head (minus confirmations). Calls never overlap: one arriving
   * during a sync runs after it.
   */
  async syncOnce(): Promise<SyncResult> {
    const run = this.#running.catch(() => undefined).then(() => this.#sync());
    this.#running = run;
    try {
      const result = await run;
      this.#status.lastError = null;
      return result;
    } catch (error) {
      this.#status.lastError = (error as Error).message;
      throw error;
    }
  }

  /**
   * Sync now, then again as soon as the head passes what was indexed (read every headPollMs),
   * at least every pollMs, until stop(); failures are logged and retried.
   */
  start(): void {
    if (this.#loop !== null) return;
    this.#stopping = false;
    this.#headNapMs = this.headPollMs;
    this.#loop = (async () => {
      let synced: number | undefined;
      while (!this.#stopping) {
        let target: number | undefined;
        try {
          const result = await this.syncOnce();
          // interrupted (the chain moved under the page): again at the next look
          target = result.interrupted === null ? result.target : -1;
          // blocks came since the last sync: the chain is busy, so the head is read often again
          if (synced === undefined || result.target !== synced) this.#headNapMs = this.headPollMs;
          synced = result.target;
        } catch (error) {
          this.log.error({ err: error }, "indexer sync failed; retrying at the next poll");
        }
        if (this.#stopping) break;
        await this.#untilNewBlock(target);
      }
    })();
  }

  /**
   * Wait until the head is past `target` (head − confirmations), pollMs at most. An idle chain
   * costs a read every pollMs, not every headPollMs: each read that finds no new block doubles
   * the wait before the next, up to pollMs.
   */
  async #untilNewBlock(target: number | undefined): Promise<void> {
    const deadline = Date.now() + this.pollMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#stopping) return;
      await this.#nap(target === undefined ? left : Math.min(this.#headNapMs, left));
      if (target === undefined || this.#stopping || this.#headNapMs >= this.pollMs) continue;
      try {
        if ((await this.provider.getBlockNumber()) - this.confirmations > target) {
          this.#headNapMs = this.headPollMs;
          return;
        }
        this.#headNapMs = Math.min(this.#headNapMs * 2, this.pollMs);
      } catch {
        // the endpoint is down: the sync at pollMs reports it
      }
    }
  }

  #nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }

  /** Stop polling; resolves once a sync in progress has finished its current page. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
    this.#stopping = false;
  }

  async #sync(): Promise<SyncResult> {
    const stored = (await this.db.meta.get(META_CHAIN)) as ChainRecord | undefined;
    let cursor = await this.cursor();
    const head = await this.provider.getBlockNumber();
    const target = head - this.confirmations;

    // An unchanged block at the cursor means the same chain down to its genesis (each block hash
    // commits to its parent), so the genesis is read only when there is no such block to check.
    // The first page's last block is read before the cursor's: the cursor check is then also the
    // page's check that it extends what was indexed (#page), one read instead of two; a single new
    // block whose parent is the cursor's block is that check by itself, and the cursor's is not read.
    let firstTop: Header | null | undefined;
    let cursorBlock: Header | null | undefined;
    let chainKept = false;
    if (
      stored !== undefined &&
      cursor !== undefined &&
      sameSetup(stored, { ...this.#chain, genesisHash: "" })
    ) {
      if (cursor.blockNumber < target)
        firstTop = await this.#header(Math.min(target, cursor.blockNumber + this.pageBlocks));
      chainKept = firstTop != null && extendsCursor(firstTop, cursor);
      if (!chainKept) {
        cursorBlock = await this.#header(cursor.blockNumber);
        chainKept = cursorBlock != null && cursorBlock.hash === cursor.blockHash;
      }
    }
    const genesisHash = chainKept ? stored!.genesisHash : (await this.#genesis()).hash;
    const expected: ChainRecord = { genesisHash, ...this.#chain };

    let reset: string | null = null;
    if (stored !== undefined && stored.genesisHash !== genesisHash) {
      reset = `the genesis block changed (${stored.genesisHash} → ${genesisHash}): another chain`;
    } else if (stored !== undefined && !sameSetup(stored, expected)) {
      reset = "the contract addresses or fromBlock changed";
    } else if (cursor !== undefined && !chainKept) {
      const block = cursorBlock === undefined ? await this.#header(cursor.blockNumber) : cursorBlock;
      if (block === null)
        reset = `block ${cursor.blockNumber} (the cursor) is no longer on the chain: the chain lost blocks`;
      else if (block.hash !== cursor.blockHash)
        reset = `block ${cursor.blockNumber} (the cursor) changed from ${cursor.blockHash} to ${block.hash}`;
    }
    if (reset !== null) {
      this.log.warn(
        { reason: reset, cursor, fromBlock: this.fromBlock },
        "chain reset: wiping the read model and re-indexing from fromBlock",
      );
      await this.#wipe();
      await this.db.meta.put("lastReset", {
        at: new Date(this.#now()).toISOString(),
        reason: reset,
        cursor: cursor ?? null,
      });
      this.#status.resets += 1;
      cursor = undefined;
      firstTop = undefined;
    } else if (cursor === undefined) {
      // nothing committed yet, or a wipe a crash interrupted: start from an empty model
      await this.#wipe();
    }

    const previousHead = this.#status.head;
    const loss =
      reset ??
      (previousHead !== null && head < previousHead
        ? `the chain head went back from block ${previousHead} to ${head}`
        : null);
    if (loss !== null) {
      this.#status.head = head;
      this.#onChainLoss?.(loss);
    }
    const result: SyncResult = {
      head,
      target,
      cursor,
      pages: 0,
      logs: 0,
      skipped: 0,
      reset,
      interrupted: null,
    };
    let next = cursor === undefined ? this.fromBlock : cursor.blockNumber + 1;
    let span = this.pageBlocks;
    while (next <= target && !this.#stopping) {
      const to = Math.min(target, next + span - 1);
      // the first page's last block, read before the cursor's block was checked (above)
      const top =
        firstTop != null && firstTop.number === to && result.cursor === cursor ? firstTop : undefined;
      const outcome = await this.#page(next, to, expected, result.cursor, top);
      if ("refused" in outcome) {
        // the endpoint refused the range (too many results, a lower range limit than configured):
        // halve this page until it passes; a single block it refuses is a real failure
        if (to === next) throw outcome.refused;
        span = Math.max(1, Math.floor((to - next + 1) / 2));
        this.log.warn(
          { from: next, to, retryBlocks: span, err: outcome.refused },
          "eth_getLogs refused the range; retrying with a smaller page",
        );
        continue;
      }
      if ("interrupted" in outcome) {
        result.interrupted = outcome.interrupted;
        this.log.warn(
          { from: next, to, reason: outcome.interrupted },
          "the chain changed during a page; it is dropped and the next sync re-checks the chain",
        );
        break;
      }
      result.cursor = outcome.cursor;
      result.pages += 1;
      result.logs += outcome.logs;
      result.skipped += outcome.skipped;
      next = to + 1;
      // grow back after a refusal: the limit may have been a dense stretch of blocks
      span = Math.min(this.pageBlocks, span * 2);
    }
    if (result.pages > 0) {
      this.log.info(
        {
          from: cursor === undefined ? this.fromBlock : cursor.blockNumber + 1,
          to: result.cursor?.blockNumber,
          pages: result.pages,
          logs: result.logs,
        },
        "indexed",
      );
    }
    this.#status.cursor = result.cursor;
    this.#status.head = head;
    this.#status.lastSyncAt = this.#now();
    return result;
  }

  /**
   * Blocks from..to: read, check the chain held still, apply, commit with the cursor. `known`:
   * block `to`, read before the cursor's block was found unchanged or found to be its parent (the
   * sync's own check).
   */
  async #page(
    from: number,
    to: number,
    chain: ChainRecord,
    cursor: Cursor | undefined,
    known?: Header,
  ): Promise<PageOutcome> {
    const top = known ?? (await this.#header(to));
    if (top === null) return { interrupted: `block ${to} is gone` };
    if (cursor !== undefined && known === undefined) {
      const under = await this.#header(cursor.blockNumber);
      if (under === null || under.hash !== cursor.blockHash)
        return { interrupted: `block ${cursor.blockNumber} (the cursor) changed` };
    }
    // one new block on top of the cursor's (the sync checked its parent): its logs are
    // read by its hash, so they are that block's whatever the chain does
    // meanwhile, and the page needs no second look at it
    let fetched: Log[] | undefined;
    if (known !== undefined && cursor !== undefined && from === to && extendsCursor(known, cursor)) {
      try {
        fetched = await this.provider.getLogs({ address: [...this.#sources.keys()], blockHash: top.hash });
      } catch {
        // an endpoint without logs by block hash (or the block already gone): by number below
      }
    }
    const pinned = fetched !== undefined;
    if (fetched === undefined) {
      try {
        fetched = await this.provider.getLogs({
          address: [...this.#sources.keys()],
          fromBlock: from,
          toBlock: to,
        });
      } catch (error) {
        return { refused: error as Error };
      }
    }
    const logs = fetched
      .filter((l) => !l.removed)
      .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);

    const headers = new Map<number, Header>([[top.number, top]]);
    const events: ChainEvent[] = [];
    let skipped = 0;
    for (const log of logs) {
      let header = headers.get(log.blockNumber);
      if (header === undefined) {
        const h = await this.#header(log.blockNumber);
        if (h === null) return { interrupted: `block ${log.blockNumber} is gone` };
        header = h;
        headers.set(log.blockNumber, h);
      }
      if (header.hash !== log.blockHash)
        return {
          interrupted: `a log of block ${log.blockNumber} is from block ${log.blockHash}, the chain now has ${header.hash}`,
        };
      const event = this.#decode(log, header.timestamp);
      if (event === null) {
        skipped += 1;
        this.log.warn(
          { address: log.address, topic0: log.topics[0], blockNumber: log.blockNumber, logIndex: log.index },
          "a log the indexer's ABIs do not know: skipped",
        );
      } else {
        events.push(event);
      }
    }

    // funders and start day are not in LoanRegistered; they never change after registration,
    // and the loan exists on every chain that still has this page (checked below); a page's
    // registrations are read together, one round trip however many loans it registers
    const registered = events
      .filter((e) => e.name === "LoanRegistered")
      .map((e) => String(e.args.loanId).toLowerCase());
    const facts = new Map<string, RegistrationFacts>(
      await Promise.all(registered.map(async (id) => [id, await this.#registrationFacts(id)] as const)),
    );

    // a page read by its block's hash needs no second look at it, unless views were read at the head
    if (!pinned || registered.length > 0) {
      const again = await this.#header(to);
      if (again === null || again.hash !== top.hash)
        return { interrupted: `block ${to} changed while blocks ${from}–${to} were read` };
    }

    const writer = new PageWriter(this.db);
    for (const e of events) {
      const applied = await applyEvent(writer, e, facts);
      if (typeof applied === "object") {
        skipped += 1;
        this.log.warn(
          { event: e.name, blockNumber: e.blockNumber, logIndex: e.logIndex, reason: applied.skipped },
          "event not applied",
        );
      }
    }
    const next: Cursor = { blockNumber: to, blockHash: top.hash };
    await writer.commit({ [META_CURSOR]: next, [META_CHAIN]: chain });
    this.log.debug({ from, to, logs: logs.length, writes: writer.size }, "page committed");
    return { cursor: next, logs: logs.length, skipped };
  }

  #decode(log: Log, timestamp: number): ChainEvent | null {
    const source = this.#sources.get(log.address.toLowerCase());
    if (source === undefined) return null;
    const fragment = source.events.get(log.topics[0]?.toLowerCase() ?? "");
    if (fragment === undefined) return null;
    const decoded = source.iface.decodeEventLog(fragment, log.data, log.topics);
    const args: Record<string, unknown> = {};
    for (const [i, input] of fragment.inputs.entries()) args[input.name] = decoded[i];
    return {
      contract: source.contract,
      name: fragment.name,
      args,
      blockNumber: log.blockNumber,
      logIndex: log.index,
      txHash: log.transactionHash,
      timestamp,
    };
  }

  async #genesis(): Promise<Header> {
    const genesis = await this.#header(0);
    if (genesis === null)
      throw new IndexerError("INDEXER_NO_GENESIS", "the RPC endpoint has no genesis block");
    return genesis;
  }

  async #header(blockNumber: number): Promise<Header | null> {
    const block = await this.provider.getBlock(blockNumber);
    if (block === null || block.hash === null) return null;
    return {
      number: block.number,
      hash: block.hash,
      parentHash: block.parentHash,
      timestamp: block.timestamp,
    };
  }

  /** Forget the cursor first (atomically), then the model: a crash mid-wipe leaves no cursor, so the next sync wipes again. */
  async #wipe(): Promise<void> {
    await this.db.meta.batch([
      { type: "del", key: META_CURSOR },
      { type: "del", key: META_CHAIN },
    ]);
    for (const name of MODEL_SUBLEVELS) await this.db.model[name].clear();
  }
}

/** A contract the indexer reads: its events by topic, looked up once (ethers' parseLog hashes every event's signature for each log). */
type Source = { contract: SourceContract; iface: Interface; events: Map<string, EventFragment> };

function source(contract: SourceContract, iface: Interface): Source {
  const events = new Map<string, EventFragment>();
  iface.forEachEvent((fragment) => {
    if (!fragment.anonymous) events.set(fragment.topicHash.toLowerCase(), fragment);
  });
  return { contract, iface, events };
}

/** Whether `block` is the block right after the cursor's, on top of it. */
function extendsCursor(block: Header, cursor: Cursor): boolean {
  return block.number === cursor.blockNumber + 1 && block.parentHash === cursor.blockHash;
}

function sameSetup(a: ChainRecord, b: ChainRecord): boolean {
  return (
    a.fromBlock === b.fromBlock &&
    a.addresses.jointLoanLedger === b.addresses.jointLoanLedger &&
    a.addresses.disputeResolution === b.addresses.disputeResolution &&
    a.addresses.evidenceRegistry === b.addresses.evidenceRegistry
  );
}
