// Drains the outbox with the node's own key, many transactions in flight: signed locally (no
// eth_sendTransaction) with consecutive nonces, fees from the chain (zero on a free-gas Besu
// network), through standard JSON-RPC only; a loan's flows in its order, a later one signed only
// once every earlier one holds its nonce (pipelined), or once they are final when its call needs
// their effect. The rules that make it exactly-once (README.md has the argument):
//   1. transactions are recorded durably ("sent": hash, nonce; the signed bytes once per
//      transaction) before they are broadcast, and a nonce is only given out once its
//      transaction is recorded, so after any crash the outbox knows every transaction that may
//      be in flight and every nonce below the next is held by one of them;
//   2. before anything is signed, the chain is asked whether the flow is there already
//      (serialUsed / the loan / its state, and the flow's event to see it is ours), and a
//      recorded transaction that may still be mined is re-broadcast byte for byte rather than
//      replaced by a new one; a nonce nothing holds any more is filled with an empty transfer;
//   3. should a duplicate reach the chain anyway, the ledger refuses it (serial, loan id and
//      state are unique there; the evidence registry likewise a leaf and a member's endorsement)
//      and the revert is recognised as "done" when the chain holds a matching flow.
// Fresh flows that start together are packed into one batched transaction where the account can
// (batching.ts): one estimate, one signature, one record, one broadcast, one receipt for all.
// This file is the dispatcher and each entry's way through the states; the parts it drives have
// a file each: signer.ts (nonces, signing, recording), broadcast.ts (fees, eth_sendRawTransaction),
// receipts.ts (one poller for every transaction in flight), effects.ts (is the flow on chain?),
// repair.ts (gaps filled, lost blocks rechecked), batching.ts (the account's delegation to the
// batch executor), rpc-errors.ts (reverts vs RPC trouble).
import { Wallet } from "ethers";
import type { JsonRpcApiProvider, TransactionReceipt } from "ethers";
import type { OutboxEntry, OutboxFailure } from "./entry.ts";
import { calldataOf, loanIdOfEntry, targetOf } from "./entry.ts";
import { encodeBatch } from "../../../common/chain/batch.ts";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";
import { BatchAccount, type BatchLog } from "./batching.ts";
import { broadcast, FeeReader } from "./broadcast.ts";
import { FlowEffects, OWN_EVENT, type Effect } from "./effects.ts";
import type { Outbox, OutboxChangeListener, OutboxPatch, PendingSummary } from "./outbox.ts";
import { ReceiptWatcher } from "./receipts.ts";
import { ChainRepair } from "./repair.ts";
import { describe, RetryLater, revertFailure, Stopped } from "./rpc-errors.ts";
import { NonceSigner } from "./signer.ts";

export { revertFailure } from "./rpc-errors.ts";

export type OutboxSenderOptions = {
  outbox: Outbox;
  /** A JSON-RPC URL, or a ready provider (its caching and batching are then the caller's). */
  rpcUrl?: string;
  provider?: JsonRpcApiProvider;
  /** The consortium chain's id: fixed, so a dead endpoint fails fast instead of stalling detection. */
  chainId: bigint | number;
  /** The node's member key (hex). */
  privateKey: string;
  /** JointLoanLedger address. */
  ledger: string;
  /** DisputeResolution address: needed for the dispute kinds (escalate, assignCourt, …). */
  disputeResolution?: string;
  /** EvidenceRegistry address: needed for the evidence kinds (registerEvidence, endorseEvidence). */
  evidenceRegistry?: string;
  /** Blocks to wait after the one holding the transaction (default 0: QBFT is final at once). */
  confirmations?: number;
  /** Receipt and block polling interval (default 250 ms). */
  pollingMs?: number;
  /** How often the chain's head is read while transactions are awaited (default 50 ms; receipts.ts). */
  blockPollMs?: number;
  /** Give up waiting for a receipt after this long and go round again (default 120 s). */
  receiptTimeoutMs?: number;
  /** Go round again once the node has not known the transaction (not mined, not pooled) for this long (default 1 s). */
  unknownTxMs?: number;
  /** Timeout of one JSON-RPC request when the sender builds its own provider (default 10 s). */
  rpcTimeoutMs?: number;
  /** Backoff after an RPC error: doubles from initialMs up to maxMs (defaults 500 ms, 30 s). */
  retry?: { initialMs?: number; maxMs?: number };
  /** How often an idle sender looks at the outbox (an enqueue wakes it anyway; default 1 s). */
  idleMs?: number;
  /** Where searches for a flow's events start when the entry has no fromBlock (ledger deployment block). */
  fromBlock?: number;
  /** eth_getLogs range per request (default 2,000 blocks: Besu and public RPCs limit ranges). */
  logPageBlocks?: number;
  /** Mined-but-reverted transactions tolerated per entry before it fails (default 3; see #reverted). */
  maxReverts?: number;
  /** Gas limit = estimate × (100 + gasMarginPercent) / 100 (default 25). */
  gasMarginPercent?: number;
  /** Entries worked on at once, each with at most one transaction in flight (default 128; 1 sends one flow per block). */
  maxInFlight?: number;
  /**
   * Fresh flows packed into one batched transaction at most (default 1: never; the node passes
   * DEFAULT_MAX_BATCH). Above 1, the sender delegates its account to the batch executor where the
   * chain supports EIP-7702, and otherwise sends one flow per transaction.
   */
  maxBatch?: number;
  /** Where the sender says, once, whether it packs flows (pino's info/warn). */
  log?: BatchLog;
};

/** How long a starting sender waits for its account to be ready to batch before sending singly meanwhile. */
const PREPARE_WAIT_MS = 3_000;

/**
 * Flows per batched transaction the node uses: in the loans bench (300 loans, 32 requests in
 * flight) packs averaged 3-10 flows and stayed below it, and 16 registrations (~4.8 M gas) leave
 * most of a block's gas to other members.
 */
export const DEFAULT_MAX_BATCH = 16;

type Scan = { ready: PendingSummary[]; pending: boolean; wakeAt?: number };
/** Chain reads a new transaction needs, started together with the look for the flow on chain; its calldata. */
type Reads = { data: string; gas: Promise<bigint>; head: Promise<number> };

/**
 * Kinds whose duplicate their contract itself refuses (the ledger a used serial or loan id, the
 * registry a registered leaf or a second endorsement by one member): a fresh one may skip the look
 * for its flow on chain (rule 2) when its estimate passes, and may be packed.
 */
const PACKABLE = new Set<string>(Object.keys(OWN_EVENT));

/** The most gas one transaction may use (EIP-7825, from Osaka on): a batch asking more is never mined. */
const TX_GAS_CAP = 2n ** 24n;

/** The refusals of a flow its contract holds already: the ledger's serial or loan id, the registry's leaf or endorsement. */
const DUPLICATE = new Set([
  "LedgerDuplicateSerial",
  "LedgerDuplicateLoan",
  "EvidenceRegistryAlreadyRegistered",
  "EvidenceRegistryAlreadyEndorsed",
]);

/** Never signed: no transaction of it can be on chain through this outbox (attempts only grow). */
const isFresh = (e: OutboxEntry): boolean => e.state === "queued" && e.attempts === 0;

const isFinal = (e: OutboxEntry | undefined): boolean =>
  e === undefined || e.state === "confirmed" || e.state === "failed";

/**
 * The order an entry keeps: its loan's (a loan's flows signed in outbox order), or none
 * (undefined: a branch's own limits, which everything before and after it waits for).
 */
function orderKeyOf(entry: Pick<OutboxEntry, "kind" | "args">): string | undefined {
  const { loanId } = entry.args as { loanId?: unknown };
  if (entry.kind === "registerLoan") return loanIdOfEntry(entry);
  return typeof loanId === "string" ? loanId : undefined;
}

export class OutboxSender {
  readonly outbox: Outbox;
  readonly provider: JsonRpcApiProvider;
  readonly wallet: Wallet;
  readonly ledger: string;
  readonly disputeResolution: string | undefined;
  readonly chainId: bigint;
  readonly #options: OutboxSenderOptions;
  readonly #release: () => void;
  readonly #unsubscribe: () => void;
  readonly #maxInFlight: number;
  readonly #effects: FlowEffects;
  readonly #fees: FeeReader;
  readonly #signer: NonceSigner;
  readonly #receipts: ReceiptWatcher;
  readonly #repair: ChainRepair;
  readonly #maxBatch: number;
  readonly #batch: BatchAccount;
  #loop: Promise<void> | undefined;
  #persistent = false;
  #stopping = false;
  /** Resolvers of the sleeps in progress: all of them end on stop(), idle ones on a new entry too. */
  readonly #sleepers = new Set<() => void>();
  readonly #idleSleepers = new Set<() => void>();
  /** Set by a change the dispatcher has not looked at yet: its next sleep returns at once. */
  #dirty = false;
  #drained: Array<() => void> = [];
  /** Entries being worked on, by serial: never two workers on one entry. */
  readonly #working = new Map<string, Promise<void>>();
  /** Per-entry backoff after an RPC error: not before `at`, then `delayMs` (doubling). */
  readonly #retryAt = new Map<string, { at: number; delayMs: number }>();
  /** Entries started while earlier ones of their loan were in flight: those earlier ones' serials. */
  readonly #ahead = new Map<string, string[]>();
  /** Entries in a batch being sent: a later flow of their loan waits until it is final, not behind it. */
  readonly #inPack = new Set<string>();
  /** Entries whose call needs the effect of their loan's earlier flows: they wait until those are final. */
  readonly #held = new Set<string>();
  /** Each pending entry's order key as the last scan found it (a registration's is a hash: not redone each scan). */
  #orderKeys = new Map<string, string | undefined>();

  constructor(options: OutboxSenderOptions) {
    this.#options = options;
    this.outbox = options.outbox;
    this.ledger = options.ledger;
    this.disputeResolution = options.disputeResolution;
    this.chainId = BigInt(options.chainId);
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 128));
    if (options.provider !== undefined) {
      this.provider = options.provider;
    } else {
      if (options.rpcUrl === undefined) throw new Error("OutboxSender needs rpcUrl or provider");
      this.provider = jsonRpcProvider(options.rpcUrl, {
        chainId: this.chainId,
        timeoutMs: options.rpcTimeoutMs ?? 10_000,
        pollingMs: options.pollingMs ?? 250,
      });
    }
    try {
      this.wallet = new Wallet(options.privateKey);
      this.#release = this.outbox.acquireSender();
    } catch (error) {
      if (options.provider === undefined) this.provider.destroy();
      throw error;
    }
    const { outbox, provider, wallet, chainId } = this;
    this.#effects = new FlowEffects({ ...options, provider });
    this.#fees = new FeeReader(provider);
    this.#signer = new NonceSigner({ outbox, provider, wallet, chainId });
    this.#repair = new ChainRepair({
      outbox,
      provider,
      wallet,
      chainId,
      signer: this.#signer,
      effects: this.#effects,
      fees: this.#fees,
      onRequeued: () => this.#wakeIdle(),
    });
    this.#receipts = new ReceiptWatcher({
      ...options,
      provider,
      address: wallet.address,
      sleep: (ms) => this.#sleep(ms),
      stopping: () => this.#stopping,
      onCount: (count) => this.#repair.noteNonce(count),
      onGap: () => this.#repair.heal(),
    });
    this.#maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 1));
    this.#batch = new BatchAccount({
      provider,
      wallet,
      chainId,
      signer: this.#signer,
      fees: this.#fees,
      log: options.log,
      sleep: (ms) => this.#sleep(ms),
      stopping: () => this.#stopping,
    });
    this.#unsubscribe = this.outbox.onChange((e) => {
      this.#repair.confirmed(e);
      // a flow recorded as sent lets the next flow of its loan be signed after it
      if (e.state === "queued" || e.state === "sent") this.#wakeIdle();
    });
  }

  get address(): string {
    return this.wallet.address;
  }

  /** stop() was called: the sender takes no new work. */
  get stopped(): boolean {
    return this.#stopping;
  }

  /** Changes of any entry (the outbox's own notifications), for the API and metrics. */
  onChange(listener: OutboxChangeListener): () => void {
    return this.outbox.onChange(listener);
  }

  /** Run in the background until stop(): drain, then wait for new entries. */
  start(): void {
    this.#persistent = true;
    this.#ensureLoop();
  }

  /**
   * Work until no entry is queued or sent (retrying RPC errors with backoff meanwhile), then
   * resolve. With start() running, resolves the next time the outbox is empty.
   */
  drain(): Promise<void> {
    const done = new Promise<void>((resolve) => this.#drained.push(resolve));
    this.#ensureLoop();
    this.#wakeIdle();
    return done;
  }

  /** Finish the steps in progress (a recorded "sent" stays safe to resume) and stop. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const wake of [...this.#sleepers]) wake();
    this.#receipts.stop();
    await this.#loop;
    await Promise.allSettled([...this.#working.values()]);
    await this.#receipts.idle();
    await this.#batch.idle();
    await this.#signer.idle();
    this.#unsubscribe();
    this.#release();
    for (const resolve of this.#drained.splice(0)) resolve();
    if (this.#options.provider === undefined) this.provider.destroy();
  }

  /**
   * After the chain lost blocks (a local chain restored from a dump): every confirmed entry from
   * `sinceBlock` on whose flow the chain no longer holds goes back to "sent" (its signed bytes
   * are re-broadcast) or "queued", at its original place. Returns the serials put back.
   */
  recheck(sinceBlock = 0): Promise<string[]> {
    return this.#repair.recheck(sinceBlock);
  }

  // ------------------------------------------------------------------ the dispatcher

  #ensureLoop(): void {
    if (this.#loop !== undefined || this.#stopping) return;
    const loop: Promise<void> = this.#run().finally(() => {
      if (this.#loop === loop) this.#loop = undefined;
    });
    this.#loop = loop;
  }

  /**
   * Keep up to maxInFlight entries in work, in outbox order. A loan's entries keep its order: a
   * later one starts once every earlier one holds a recorded transaction (so its nonce is above
   * theirs and the chain mines it after them), or — held, because its call needed their effect —
   * once they are final. An entry of no loan (a branch's own limits) waits for everything before
   * it and holds back everything after it.
   */
  async #run(): Promise<void> {
    const idleMs = this.#options.idleMs ?? 1_000;
    // the flows already waiting go packed from the start where the account can (batching.ts);
    // a delegation slow to be mined (dropped, a chain that is down) holds nothing up for long
    if (this.#maxBatch > 1) await Promise.race([this.#batch.prepared(), this.#sleep(PREPARE_WAIT_MS)]);
    while (!this.#stopping) {
      let scan: Scan;
      try {
        scan = await this.#scan();
      } catch {
        await this.#sleep(this.#options.retry?.initialMs ?? 500);
        continue;
      }
      this.#dispatchAll(scan.ready);
      if (!scan.pending && this.#working.size === 0) {
        if (!this.#persistent) {
          // let a drain() that arrives from now on start a new loop rather than wait for this one
          this.#loop = undefined;
          for (const resolve of this.#drained.splice(0)) resolve();
          return;
        }
        for (const resolve of this.#drained.splice(0)) resolve();
        await this.#repair.watchNonce();
        await this.#sleep(idleMs, true);
        continue;
      }
      const wait =
        scan.wakeAt === undefined ? idleMs : Math.min(idleMs, Math.max(0, scan.wakeAt - Date.now()));
      await this.#sleep(wait, true);
    }
    await Promise.allSettled([...this.#working.values()]);
  }

  /** The pending entries that may start now, whether any is pending at all, and when a backoff ends. */
  async #scan(): Promise<Scan> {
    this.#dirty = false;
    const room = this.#maxInFlight - this.#working.size;
    // summaries from the outbox's memory: a scan reads nothing from the store, so its cost does
    // not grow with the queue behind the window (a 10,000-row file queued at once)
    const entries = await this.outbox.pendingSummaries(this.#maxInFlight * 4);
    const now = Date.now();
    const ready: PendingSummary[] = [];
    let wakeAt: number | undefined;
    // per loan: its earlier entries not final yet, and whether a later one must wait for them
    const lanes = new Map<string, { ahead: string[]; closed: boolean }>();
    // a serial's arguments never change (enqueue refuses other ones), so neither does its key
    const keys = new Map<string, string | undefined>();
    const keyOf = (entry: PendingSummary): string | undefined => {
      const key = this.#orderKeys.has(entry.serial) ? this.#orderKeys.get(entry.serial) : orderKeyOf(entry);
      keys.set(entry.serial, key);
      return key;
    };
    const due = (entry: PendingSummary): boolean => {
      if (this.#working.has(entry.serial)) return false;
      const retry = this.#retryAt.get(entry.serial);
      if (retry === undefined || retry.at <= now) return true;
      wakeAt = Math.min(wakeAt ?? Infinity, retry.at);
      return false;
    };
    for (const entry of entries) {
      if (ready.length >= room) break;
      const key = keyOf(entry);
      if (key === undefined) {
        if (lanes.size === 0 && due(entry)) ready.push(entry);
        break;
      }
      const lane = lanes.get(key);
      // a batch reverts as a whole, for any of its calls: a later flow of the loan pipelined behind
      // one in it would be booked before it when that happens, so it waits until the batch is final
      const closes = entry.state !== "sent" || this.#inPack.has(entry.serial);
      if (lane === undefined) {
        lanes.set(key, { ahead: [entry.serial], closed: closes });
        this.#held.delete(entry.serial);
        if (due(entry)) ready.push(entry);
        continue;
      }
      // a recorded transaction is only ever looked after (receipt, the same bytes again): it
      // never waits; a new one waits until every earlier one of its loan holds its nonce
      const start = entry.state === "sent" || (!lane.closed && !this.#held.has(entry.serial));
      if (start && due(entry)) {
        ready.push(entry);
        this.#ahead.set(entry.serial, [...lane.ahead]);
      }
      lane.ahead.push(entry.serial);
      if (closes) lane.closed = true;
    }
    this.#orderKeys = keys;
    return { ready, pending: entries.length > 0, ...(wakeAt === undefined ? {} : { wakeAt }) };
  }

  /**
   * Whether an earlier entry of this entry's loan is not final yet: what it started behind (in
   * this process), or, after a restart, any earlier pending entry of its loan.
   */
  async #behindOpen(entry: OutboxEntry, searchStore: boolean): Promise<boolean> {
    const ahead = this.#ahead.get(entry.serial);
    if (ahead !== undefined) return (await this.outbox.entries.getMany(ahead)).some((e) => !isFinal(e));
    const key = orderKeyOf(entry);
    if (!searchStore || key === undefined) return false;
    const pending = await this.outbox.pendingSummaries(Infinity);
    return pending.some((e) => e.seq < entry.seq && orderKeyOf(e) === key);
  }

  /**
   * Start the scan's ready entries: the queued ones of packable kinds together, up to maxBatch at a
   * time, once the account can run batches (the scan lets at most one queued entry of a loan start
   * at a time, so a batch holds at most one flow of each loan); every other one on its own.
   */
  #dispatchAll(ready: PendingSummary[]): void {
    if (this.#maxBatch > 1) this.#batch.prepare();
    const packable = this.#maxBatch > 1 && this.#batch.ready;
    const pack: PendingSummary[] = [];
    for (const entry of ready) {
      // one behind flows of its loan still in flight mostly needs their effect, which a batch's
      // estimate would not see yet: it goes on its own, and waits for them if it must (Order)
      if (packable && entry.state === "queued" && PACKABLE.has(entry.kind) && !this.#ahead.has(entry.serial))
        pack.push(entry);
      else this.#dispatch([entry]);
    }
    for (let i = 0; i < pack.length; i += this.#maxBatch) this.#dispatch(pack.slice(i, i + this.#maxBatch));
  }

  /** One worker for these entries: one on its own, several as a pack (#pack). */
  #dispatch(entries: PendingSummary[]): void {
    const serials = entries.map((e) => e.serial);
    if (serials.length > 1) for (const serial of serials) this.#inPack.add(serial);
    const task = (serials.length === 1 ? this.#work(serials[0]!) : this.#pack(serials)).finally(() => {
      for (const serial of serials) {
        this.#working.delete(serial);
        this.#ahead.delete(serial);
        this.#inPack.delete(serial);
      }
      this.#wakeIdle();
    });
    for (const serial of serials) this.#working.set(serial, task);
  }

  async #work(serial: string): Promise<void> {
    await this.#attempt([serial], async () => {
      // read again: the scan's copy may predate the last worker's update of this entry
      const entry = await this.outbox.status(serial);
      if (entry === undefined || entry.state === "confirmed" || entry.state === "failed") return;
      await this.#process(entry);
    });
  }

  /** Run a step of these entries; RPC trouble backs each of them off (doubling) and counts an attempt. */
  async #attempt(serials: string[], step: () => Promise<void>): Promise<void> {
    try {
      await step();
      for (const serial of serials) this.#retryAt.delete(serial);
    } catch (error) {
      if (error instanceof Stopped) return;
      for (const serial of serials) {
        await this.#noteRetry(serial, error);
        const delayMs = this.#retryAt.get(serial)?.delayMs ?? this.#options.retry?.initialMs ?? 500;
        this.#retryAt.set(serial, {
          at: Date.now() + delayMs,
          delayMs: Math.min(delayMs * 2, this.#options.retry?.maxMs ?? 30_000),
        });
      }
    }
  }

  async #noteRetry(serial: string, error: unknown): Promise<void> {
    try {
      const current = await this.outbox.status(serial);
      if (current === undefined || current.state === "confirmed" || current.state === "failed") return;
      await this.outbox.update(serial, { attempts: current.attempts + 1, lastError: describe(error) });
    } catch {
      // the database is the problem; the next round tries again
    }
  }

  /** Sleep; stop() always wakes it, a new entry or a finished worker only if `wakeOnChange`. */
  #sleep(ms: number, wakeOnChange = false): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (wakeOnChange && this.#dirty) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        this.#idleSleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
      if (wakeOnChange) this.#idleSleepers.add(wake);
    });
  }

  #wakeIdle(): void {
    this.#dirty = true;
    for (const wake of [...this.#idleSleepers]) wake();
  }

  // ------------------------------------------------------------------ one entry

  async #process(entry: OutboxEntry): Promise<void> {
    if (entry.state === "sent") return this.#resume(entry);
    // the estimate and the head are read while the chain is asked for the flow (rule 2 still
    // holds: every read ends before anything is signed): a loan's next flow waits for this one's
    // record, so each round trip saved here is one less in every flow of a long file of one loan
    const reads = this.#reads(entry);
    // never signed, of a kind its contract refuses twice: this outbox cannot have put it on chain,
    // and should anything else have, the estimate reverts (DUPLICATE) and #refused looks for the
    // flow then
    if (isFresh(entry) && PACKABLE.has(entry.kind)) return this.#send(entry, "next", reads);
    const effect = await this.#effects.effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    return this.#send(entry, "next", reads);
  }

  /** The estimate of an entry's call and the head its event search may start from, begun now. */
  #reads(entry: OutboxEntry): Reads | undefined {
    const to = this.#to(entry);
    if (to === undefined) return undefined;
    const data = calldataOf(entry);
    const reads: Reads = {
      data,
      gas: this.provider.estimateGas({ from: this.address, to, data }),
      head: entry.fromBlock === undefined ? this.provider.getBlockNumber() : Promise.resolve(entry.fromBlock),
    };
    // awaited by #send, or dropped when the flow is found on chain or the look fails
    reads.gas.catch(() => undefined);
    reads.head.catch(() => undefined);
    return reads;
  }

  /** A transaction was recorded: find out what became of it before anything new is signed. */
  async #resume(entry: OutboxEntry): Promise<void> {
    // the nonce first, then the receipt: once the nonce is used, what holds it cannot change
    const latestNonce = await this.provider.getTransactionCount(this.address, "latest");
    const receipt =
      entry.txHash === undefined ? null : await this.provider.getTransactionReceipt(entry.txHash);
    if (receipt !== null) return this.#landed(entry, await this.#receipts.confirmations(receipt));
    const effect = await this.#effects.effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    if (entry.nonce !== undefined && latestNonce <= entry.nonce) {
      // ours can still be mined (next in line, or behind lower nonces of ours in flight): the
      // very same bytes again, or (no bytes kept) a new signature for the same nonce — either way
      // only one of them can ever be mined. A nonce below it that nothing holds is a gap the
      // receipt poller repairs (ChainRepair.heal).
      const rawTx = await this.outbox.signedBytes(entry);
      if (rawTx !== undefined && entry.txHash !== undefined) {
        await broadcast(this.provider, rawTx);
        return this.#landed(entry, await this.#receipts.waitMined(entry.txHash, entry.nonce));
      }
      return this.#send(entry, entry.nonce);
    }
    // the nonce went to another transaction, so ours can never be mined: a new one, above it
    this.#signer.raiseFloor(latestNonce);
    return this.#send(entry, "next");
  }

  /** Estimate (a custom-error revert fails the entry without sending), sign, record, broadcast, wait. */
  async #send(entry: OutboxEntry, nonceChoice: number | "next", reads?: Reads): Promise<void> {
    const to = this.#to(entry);
    if (to === undefined) {
      const contract = targetOf(entry) === "evidence" ? "EvidenceRegistry" : "DisputeResolution";
      return this.#update(entry, {
        state: "failed",
        failure: {
          code: `OutboxNo${contract}`,
          args: [],
          message: `this node's outbox has no ${contract} address configured`,
        },
      });
    }
    const data = reads?.data ?? calldataOf(entry);
    const request = { from: this.address, to, data };
    let gas: bigint;
    try {
      gas = await (reads?.gas ?? this.provider.estimateGas(request));
    } catch (error) {
      const failure = revertFailure(error);
      if (failure === undefined) throw error;
      // estimated without the earlier flows of its loan (a disbursement before its registration
      // is mined): not a refusal yet; it waits until they are final and is estimated again
      if (await this.#behindOpen(entry, false)) return this.#hold(entry, "its estimate needs them mined");
      // an earlier flow of its loan counted as confirmed may sit in blocks the chain has just lost
      // (a rewind the receipt poller has not seen yet, or whose recheck another look is still
      // running): notice it now and wait until the repair has put such flows back, before the
      // ledger's refusal is taken as final (a look that meets RPC trouble tries again later)
      await this.#repair.lookForLoss();
      if (await this.#behindOpen(entry, true))
        return this.#hold(entry, "the chain lost them; they are sent again");
      return this.#refused(entry, failure);
    }
    const [fees, head] = await Promise.all([
      this.#fees.fees(),
      reads?.head ??
        (entry.fromBlock === undefined ? this.provider.getBlockNumber() : Promise.resolve(entry.fromBlock)),
    ]);
    const margin = BigInt(100 + (this.#options.gasMarginPercent ?? 25));
    const signed = await this.#signer.sign({
      entries: [entry],
      to,
      data,
      gasLimit: (gas * margin) / 100n,
      fees,
      head,
      ...(nonceChoice === "next" ? {} : { nonce: nonceChoice }),
    });
    await broadcast(this.provider, signed.rawTx);
    return this.#landed(signed.entries[0]!, await this.#receipts.waitMined(signed.txHash, signed.nonce));
  }

  /**
   * Fresh entries started together, as one batched transaction: one estimate, one signature, one
   * record of all of them (rule 1, one synced batch), one broadcast, one receipt; then each entry
   * reads its own outcome from that receipt (#landed). Should the batch's estimate revert (one of
   * them refused, or needing an earlier flow mined), each goes on its own, as any entry does, and
   * the ledger's answer to each decides; one asking more gas than a transaction may use is split in
   * two (#sendPack). Entries no longer fresh go on their own too.
   */
  async #pack(serials: string[]): Promise<void> {
    const entries = (await this.outbox.entries.getMany(serials)).filter(
      (e): e is OutboxEntry => e !== undefined && !isFinal(e),
    );
    const fresh = entries.filter((e) => isFresh(e) && PACKABLE.has(e.kind) && this.#to(e) !== undefined);
    const alone = entries.filter((e) => !fresh.includes(e));
    if (fresh.length < 2) alone.push(...fresh);
    await Promise.all([
      ...alone.map((e) => this.#attempt([e.serial], () => this.#process(e))),
      ...(fresh.length < 2
        ? []
        : [
            this.#attempt(
              fresh.map((e) => e.serial),
              () => this.#sendPack(fresh),
            ),
          ]),
    ]);
  }

  async #sendPack(entries: OutboxEntry[]): Promise<void> {
    const calls = entries.map((e) => ({ to: this.#to(e)!, data: calldataOf(e) }));
    const data = encodeBatch(calls);
    const [gas, fees, block] = await Promise.all([
      this.provider.estimateGas({ from: this.address, to: this.address, data }).catch((error: unknown) => {
        if (revertFailure(error) === undefined) throw error;
        return undefined;
      }),
      this.#fees.fees(),
      this.provider.getBlock("latest"),
    ]);
    if (block === null) throw new RetryLater("the chain answered no latest block");
    if (gas === undefined) {
      await Promise.all(entries.map((e) => this.#attempt([e.serial], () => this.#process(e))));
      return;
    }
    const margin = BigInt(100 + (this.#options.gasMarginPercent ?? 25));
    const gasLimit = (gas * margin) / 100n;
    if (gasLimit > (block.gasLimit < TX_GAS_CAP ? block.gasLimit : TX_GAS_CAP)) {
      // a transaction above the cap or the block's gas limit is refused at broadcast, after its
      // entries were recorded with it: two smaller batches instead, each estimated again
      const half = Math.ceil(entries.length / 2);
      await Promise.all(
        [entries.slice(0, half), entries.slice(half)].map((part) =>
          part.length === 1
            ? this.#attempt([part[0]!.serial], () => this.#process(part[0]!))
            : this.#attempt(
                part.map((e) => e.serial),
                () => this.#sendPack(part),
              ),
        ),
      );
      return;
    }
    const {
      entries: sent,
      rawTx,
      txHash,
      nonce,
    } = await this.#signer.sign({
      entries,
      to: this.address,
      data,
      gasLimit,
      fees,
      head: block.number,
    });
    await broadcast(this.provider, rawTx);
    const receipt = await this.#receipts.waitMined(txHash, nonce);
    if (receipt.status === 1 && sent.every((e) => this.#effects.inReceipt(e, receipt))) {
      // every call's event is in the receipt: all confirmed in one write
      await this.outbox.updateMany(
        sent.map((e) => ({ serial: e.serial, patch: this.#confirmation(receipt) })),
      );
      return;
    }
    await Promise.all(sent.map((e) => this.#attempt([e.serial], () => this.#landed(e, receipt))));
  }

  /** A receipt for the recorded transaction. */
  async #landed(entry: OutboxEntry, receipt: TransactionReceipt): Promise<void> {
    // a batch (sent to the account itself) mined without this call's event: the account was not
    // delegated when it was mined (the chain lost the block that delegated it), so the calls went
    // nowhere — a used nonce without effect, as a revert is
    if (receipt.status === 1 && this.#packed(receipt) && !this.#effects.inReceipt(entry, receipt)) {
      this.#batch.lost();
      return this.#reverted(entry, receipt);
    }
    if (receipt.status === 1) return this.#update(entry, this.#confirmation(receipt));
    return this.#reverted(entry, receipt);
  }

  /**
   * Mined but reverted: the estimate passed, so the state changed in between (another member's
   * flow used the quota, midnight passed). Its nonce is used and it had no effect, so a new
   * transaction is safe. Ask the chain now: a custom error → failed; the flow is there → done;
   * the call passes → queue again (at most maxReverts times).
   */
  async #reverted(entry: OutboxEntry, receipt: TransactionReceipt): Promise<void> {
    const effect = await this.#effects.effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    const where = `transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`;
    if (await this.#behindOpen(entry, true)) {
      // mined without an earlier flow of its loan (that one reverted, or was signed again with a
      // later nonce): its nonce is used and it had no effect, so it is queued again behind them
      return this.#requeueBehind(
        entry,
        `${where} while an earlier flow of its loan was not final; sending again after it`,
        "it reverted without them",
      );
    }
    // a batch reverts for any of its calls, and one mined without the delegation ran none: only
    // the call refused now is the cause, so the others count no revert (each goes alone next)
    const reverts = (entry.reverts ?? 0) + (this.#packed(receipt) ? 0 : 1);
    try {
      await this.provider.call({ from: this.address, to: this.#to(entry), data: calldataOf(entry) });
    } catch (error) {
      const failure = revertFailure(error);
      if (failure === undefined) throw error;
      // as for an estimate's refusal: an earlier flow of its loan counted as confirmed may sit in
      // blocks the chain has just lost (a batch widens that to every loan in it) — notice that
      // before the ledger's refusal is taken as final
      await this.#repair.lookForLoss();
      if (await this.#behindOpen(entry, true)) {
        return this.#requeueBehind(
          entry,
          `${where} after the chain lost an earlier flow of its loan; sending again after it`,
          "the chain lost them; they are sent again",
        );
      }
      return this.#update(entry, {
        state: "failed",
        failure: { ...failure, message: where },
        reverts,
        blockNumber: receipt.blockNumber,
        lastError: where,
      });
    }
    if (reverts >= (this.#options.maxReverts ?? 3)) {
      return this.#update(entry, {
        state: "failed",
        failure: {
          code: "Reverted",
          args: [receipt.hash],
          message: `${where}; it reverted ${reverts} times although the call passes`,
        },
        reverts,
        lastError: where,
      });
    }
    await this.#update(entry, {
      state: "queued",
      txHash: undefined,
      nonce: undefined,
      rawTx: undefined,
      reverts,
      lastError: `${where}; the call passes now, sending again`,
    });
  }

  /** A mined transaction that had no effect: queued again, with no transaction, behind its loan's earlier flows. */
  async #requeueBehind(entry: OutboxEntry, lastError: string, why: string): Promise<void> {
    await this.#update(entry, {
      state: "queued",
      txHash: undefined,
      nonce: undefined,
      rawTx: undefined,
      lastError,
    });
    return this.#hold(entry, why);
  }

  /** Wait, queued, until the loan's earlier entries are final (the scan lets it start then). */
  async #hold(entry: OutboxEntry, why: string): Promise<void> {
    this.#held.add(entry.serial);
    await this.#update(entry, { lastError: `waiting for the earlier flows of its loan: ${why}` });
  }

  /** The estimate reverted with an error its contract names. A duplicate may be our own earlier flow. */
  async #refused(entry: OutboxEntry, failure: OutboxFailure): Promise<void> {
    const effect = await this.#effects.effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    // the estimate saw the serial, loan id, leaf or endorsement used, the look did not: one of the
    // answers came from a node behind the other (a stale read); a flow of ours may be there, so
    // look again later
    if (DUPLICATE.has(failure.code))
      throw new RetryLater(`the chain refused ${failure.code} but showed no such flow of this entry yet`);
    await this.#update(entry, { state: "failed", failure, lastError: undefined });
  }

  async #settle(entry: OutboxEntry, effect: Exclude<Effect, { kind: "none" }>): Promise<void> {
    if (effect.kind === "conflict") {
      await this.#update(entry, { state: "failed", failure: effect.failure, lastError: undefined });
      return;
    }
    const patch: OutboxPatch = { state: "confirmed", lastError: undefined };
    if (effect.txHash !== undefined) {
      patch.txHash = effect.txHash;
      // another transaction carried the flow: the entry keeps the bytes of the one it recorded
      // itself (their record goes once no entry names it), to send them again should the chain
      // lose the flow while that one's nonce is still unused
      if (entry.txHash !== undefined && entry.txHash !== effect.txHash && entry.rawTx === undefined) {
        const rawTx = await this.outbox.signedBytes(entry);
        if (rawTx !== undefined) patch.rawTx = rawTx;
      }
    }
    if (effect.blockNumber !== undefined) patch.blockNumber = effect.blockNumber;
    await this.#update(entry, patch);
  }

  async #update(entry: OutboxEntry, patch: OutboxPatch): Promise<void> {
    await this.outbox.update(entry.serial, patch);
  }

  #confirmation(receipt: TransactionReceipt): OutboxPatch {
    return {
      state: "confirmed",
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      lastError: undefined,
    };
  }

  /** A transaction of ours to ourselves: a batch. */
  #packed(receipt: TransactionReceipt): boolean {
    return receipt.to !== null && receipt.to.toLowerCase() === this.address.toLowerCase();
  }

  /** The contract an entry's call goes to (undefined: a dispute or evidence kind without the address). */
  #to(entry: OutboxEntry): string | undefined {
    const target = targetOf(entry);
    if (target === "evidence") return this.#options.evidenceRegistry;
    return target === "ledger" ? this.ledger : this.disputeResolution;
  }
}
