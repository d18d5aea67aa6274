// Drains the outbox with the node's own key, many transactions in flight: signed locally (no
// eth_sendTransaction) with consecutive nonces, fees from the chain (zero on a free-gas Besu
// network), through standard JSON-RPC only; one flow per loan at a time, so a loan's flows keep
// their order. The rules that make it exactly-once (README.md has the argument):
//   1. transactions are recorded durably ("sent": hash, nonce and the signed bytes) before they
//      are broadcast, and a nonce is only given out once its transaction is recorded, so after
//      any crash the outbox knows every transaction that may be in flight and every nonce below
//      the next is held by one of them;
//   2. before anything is signed, the chain is asked whether the flow is there already
//      (serialUsed / the loan / its state, and the flow's event to see it is ours), and a
//      recorded transaction that may still be mined is re-broadcast byte for byte rather than
//      replaced by a new one; a nonce nothing holds any more is filled with an empty transfer;
//   3. should a duplicate reach the chain anyway, the ledger refuses it (serial, loan id and
//      state are unique there) and the revert is recognised as "done" when the chain holds a
//      matching flow.
import { Wallet, concat, keccak256, sha256 } from "ethers";
import type { JsonRpcApiProvider, Log, TransactionReceipt } from "ethers";
import type {
  AgreeIncomeSplitArgs,
  AssignCourtArgs,
  DisburseArgs,
  EndorseEvidenceArgs,
  PrepayArgs,
  EscalateArgs,
  GrantMandateArgs,
  RevokeMandateArgs,
  SetOwnBranchLimitsArgs,
  OutboxEntry,
  OutboxFailure,
  RecordRulingArgs,
  RegisterLoanArgs,
  RepayArgs,
} from "./entry.ts";
import {
  calldataOf,
  disputeInterface,
  ledgerInterface,
  loanIdOfEntry,
  onChainSerial,
  targetOf,
} from "./entry.ts";
import {
  DisputeResolution,
  EvidenceRegistry,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import type {
  FundsDisbursedEvent,
  PrepaymentReceivedEvent,
  RepaymentReceivedEvent,
} from "../../../common/chain/generated/typechain/lending/JointLoanLedger.ts";
import { LoanState } from "../../../common/chain/generated/enums.ts";
import { pagedLogs } from "../../../common/chain/logs.ts";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";
import { decodeRevertData, revertDataOf } from "../../../common/chain/revert.ts";
import type { Outbox, OutboxChangeListener, OutboxPatch } from "./outbox.ts";

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
};

/** The flow's trace on chain: none, ours (done), or someone else's flow holding our serial or loan id. */
type Effect =
  | { kind: "none" }
  | { kind: "done"; txHash?: string; blockNumber?: number }
  | { kind: "conflict"; failure: OutboxFailure };

type Fees = { type: 0; gasPrice: bigint } | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

/** An RPC or node problem: the entry keeps its state and is tried again after a backoff. */
class RetryLater extends Error {}

class Stopped extends Error {}

/** A recorded transaction waiting for its receipt. */
type Waiter = {
  txHash: string;
  nonce: number;
  deadline: number;
  /** Since when the node has not known it (neither mined nor pooled). */
  unknownSince?: number;
  /** Since when its nonce is used but no receipt for its hash is found. */
  minedSince?: number;
  resolve: (receipt: TransactionReceipt) => void;
  reject: (error: unknown) => void;
};

/** A transaction as the signer gets it: all but the nonce, unless a fixed one is re-signed. */
type Unsigned = {
  entry: OutboxEntry;
  to: string;
  data: string;
  gasLimit: bigint;
  fees: Fees;
  head: number;
  nonce?: number;
};

type Scan = { ready: OutboxEntry[]; pending: boolean; wakeAt?: number };

/**
 * The order an entry keeps: its loan's (one flow of a loan at a time, in outbox order), or none
 * (undefined: a branch's own limits, which everything before and after it waits for).
 */
function orderKeyOf(entry: OutboxEntry): string | undefined {
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
  /** Nonce assignment, signing, recording and gap repair run one at a time under this lock. */
  #nonceLock: Promise<void> = Promise.resolve();
  /** The nonce the next new transaction gets; undefined until first needed (chain and outbox). */
  #nextNonce: number | undefined;
  /** No nonce below this is given out again: the chain has used it (another sender on the key). */
  #nonceFloor = 0;
  /** Transactions waiting to be signed and recorded together (one synced batch). */
  #toSign: Array<{ unsigned: Unsigned; resolve: (e: OutboxEntry) => void; reject: (e: unknown) => void }> =
    [];
  #signScheduled = false;
  /** Recorded transactions waiting for their receipts, all served by one poller. */
  readonly #waiters = new Set<Waiter>();
  #poller: Promise<void> | undefined;
  /** The account's highest mined-transaction count seen: a lower one later means the chain lost blocks. */
  #seenNonce = 0;
  /** Since when the lowest awaited nonce has had an unawaited nonce below it. */
  #gapSince: number | undefined;
  #feeCache: { at: number; fees: Promise<Fees> } | undefined;

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
    this.#unsubscribe = this.outbox.onChange((e) => {
      if (e.state === "queued") this.#wakeIdle();
    });
  }

  get address(): string {
    return this.wallet.address;
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
    for (const waiter of [...this.#waiters]) {
      this.#waiters.delete(waiter);
      waiter.reject(new Stopped());
    }
    await this.#loop;
    await Promise.allSettled([...this.#working.values()]);
    await this.#poller;
    await this.#nonceLock;
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
    return this.#withNonceLock(() => this.#recheck(sinceBlock));
  }

  async #recheck(sinceBlock: number): Promise<string[]> {
    const back: string[] = [];
    for (const entry of await this.outbox.list({ state: "confirmed" })) {
      if ((entry.blockNumber ?? Infinity) < sinceBlock) continue;
      const receipt =
        entry.txHash === undefined ? null : await this.provider.getTransactionReceipt(entry.txHash);
      if (receipt !== null && receipt.status === 1) continue;
      const effect = await this.#effect(entry);
      if (effect.kind === "done") continue;
      const resumable = entry.rawTx !== undefined && entry.nonce !== undefined;
      await this.outbox.update(entry.serial, {
        state: resumable ? "sent" : "queued",
        blockNumber: undefined,
        // the chain's block numbers were reused: search its events from the start again
        fromBlock: undefined,
        lastError: "the chain no longer holds this flow (it lost blocks); sending it again",
      });
      back.push(entry.serial);
    }
    if (back.length > 0) this.#wakeIdle();
    return back;
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
   * Keep up to maxInFlight entries in work, in outbox order, one per loan at a time (a
   * disbursement waits until its registration is final); an entry of no loan (a branch's own
   * limits) waits for everything before it and holds back everything after it.
   */
  async #run(): Promise<void> {
    const idleMs = this.#options.idleMs ?? 1_000;
    while (!this.#stopping) {
      let scan: Scan;
      try {
        scan = await this.#scan();
      } catch {
        await this.#sleep(this.#options.retry?.initialMs ?? 500);
        continue;
      }
      for (const entry of scan.ready) this.#dispatch(entry);
      if (!scan.pending && this.#working.size === 0) {
        if (!this.#persistent) {
          // let a drain() that arrives from now on start a new loop rather than wait for this one
          this.#loop = undefined;
          for (const resolve of this.#drained.splice(0)) resolve();
          return;
        }
        for (const resolve of this.#drained.splice(0)) resolve();
        await this.#watchNonce();
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
    const entries = await this.outbox.pendingEntries(this.#maxInFlight * 4);
    const now = Date.now();
    const ready: OutboxEntry[] = [];
    let wakeAt: number | undefined;
    // loans with an earlier entry not final yet: their later entries wait
    const busy = new Set<string>();
    const due = (entry: OutboxEntry): boolean => {
      if (this.#working.has(entry.serial)) return false;
      const retry = this.#retryAt.get(entry.serial);
      if (retry === undefined || retry.at <= now) return true;
      wakeAt = Math.min(wakeAt ?? Infinity, retry.at);
      return false;
    };
    for (const entry of entries) {
      if (ready.length >= room) break;
      const key = orderKeyOf(entry);
      if (key === undefined) {
        if (busy.size === 0 && due(entry)) ready.push(entry);
        break;
      }
      if (busy.has(key)) continue;
      busy.add(key);
      if (due(entry)) ready.push(entry);
    }
    return { ready, pending: entries.length > 0, ...(wakeAt === undefined ? {} : { wakeAt }) };
  }

  #dispatch(entry: OutboxEntry): void {
    const task = this.#work(entry.serial).finally(() => {
      this.#working.delete(entry.serial);
      this.#wakeIdle();
    });
    this.#working.set(entry.serial, task);
  }

  async #work(serial: string): Promise<void> {
    try {
      // read again: the scan's copy may predate the last worker's update of this entry
      const entry = await this.outbox.status(serial);
      if (entry === undefined || entry.state === "confirmed" || entry.state === "failed") return;
      await this.#process(entry);
      this.#retryAt.delete(serial);
    } catch (error) {
      if (error instanceof Stopped) return;
      await this.#noteRetry(serial, error);
      const delayMs = this.#retryAt.get(serial)?.delayMs ?? this.#options.retry?.initialMs ?? 500;
      this.#retryAt.set(serial, {
        at: Date.now() + delayMs,
        delayMs: Math.min(delayMs * 2, this.#options.retry?.maxMs ?? 30_000),
      });
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
    const effect = await this.#effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    return this.#send(entry, "next");
  }

  /** A transaction was recorded: find out what became of it before anything new is signed. */
  async #resume(entry: OutboxEntry): Promise<void> {
    // the nonce first, then the receipt: once the nonce is used, what holds it cannot change
    const latestNonce = await this.provider.getTransactionCount(this.address, "latest");
    const receipt =
      entry.txHash === undefined ? null : await this.provider.getTransactionReceipt(entry.txHash);
    if (receipt !== null) return this.#landed(entry, await this.#confirmations(receipt));
    const effect = await this.#effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    if (entry.nonce !== undefined && latestNonce <= entry.nonce) {
      // ours can still be mined (next in line, or behind lower nonces of ours in flight): the
      // very same bytes again, or (no bytes kept) a new signature for the same nonce — either way
      // only one of them can ever be mined. A nonce below it that nothing holds is a gap the
      // receipt poller repairs (#heal).
      if (entry.rawTx !== undefined && entry.txHash !== undefined) {
        await this.#broadcast(entry.rawTx);
        return this.#landed(entry, await this.#waitMined(entry.txHash, entry.nonce));
      }
      return this.#send(entry, entry.nonce);
    }
    // the nonce went to another transaction, so ours can never be mined: a new one, above it
    this.#nonceFloor = Math.max(this.#nonceFloor, latestNonce);
    return this.#send(entry, "next");
  }

  /** Estimate (a custom-error revert fails the entry without sending), sign, record, broadcast, wait. */
  async #send(entry: OutboxEntry, nonceChoice: number | "next"): Promise<void> {
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
    const data = calldataOf(entry);
    const request = { from: this.address, to, data };
    let gas: bigint;
    try {
      gas = await this.provider.estimateGas(request);
    } catch (error) {
      const failure = revertFailure(error);
      if (failure === undefined) throw error;
      return this.#refused(entry, failure);
    }
    const [fees, head] = await Promise.all([
      this.#fees(),
      entry.fromBlock === undefined ? this.provider.getBlockNumber() : Promise.resolve(entry.fromBlock),
    ]);
    const margin = BigInt(100 + (this.#options.gasMarginPercent ?? 25));
    const sent = await this.#sign({
      entry,
      to,
      data,
      gasLimit: (gas * margin) / 100n,
      fees,
      head,
      ...(nonceChoice === "next" ? {} : { nonce: nonceChoice }),
    });
    await this.#broadcast(sent.rawTx!);
    return this.#landed(sent, await this.#waitMined(sent.txHash!, sent.nonce!));
  }

  /**
   * Sign and record. Transactions that arrive together get consecutive nonces and are recorded
   * (state "sent": hash, nonce, signed bytes) in one synced batch before any of them is
   * broadcast; the next nonce moves on only once they are durable. So every nonce this sender
   * has given out is held by a recorded transaction, and a crash leaves no gap behind.
   */
  #sign(unsigned: Unsigned): Promise<OutboxEntry> {
    return new Promise((resolve, reject) => {
      this.#toSign.push({ unsigned, resolve, reject });
      if (!this.#signScheduled) {
        this.#signScheduled = true;
        void this.#withNonceLock(() => this.#signGroup());
      }
    });
  }

  async #signGroup(): Promise<void> {
    this.#signScheduled = false;
    const group = this.#toSign.splice(0);
    if (group.length === 0) return;
    try {
      // past our own recorded ones, and past any the pool holds: a transaction sent with this key
      // by anything else takes its nonce from under us
      const pooled = await this.provider.getTransactionCount(this.address, "pending");
      let next = Math.max(this.#nextNonce ?? (await this.#recordedNext()), this.#nonceFloor, pooled);
      const changes: Array<{ serial: string; patch: OutboxPatch }> = [];
      for (const { unsigned: u } of group) {
        const nonce = u.nonce ?? next++;
        const rawTx = await this.wallet.signTransaction({
          to: u.to,
          data: u.data,
          value: 0n,
          nonce,
          gasLimit: u.gasLimit,
          chainId: this.chainId,
          ...u.fees,
        });
        changes.push({
          serial: u.entry.serial,
          patch: {
            state: "sent",
            txHash: keccak256(rawTx),
            nonce,
            rawTx,
            fromBlock: u.head,
            attempts: u.entry.attempts + 1,
            lastError: undefined,
          },
        });
      }
      // durable before any of them leaves the process: a crash from here on finds them "sent"
      const stored = await this.outbox.updateMany(changes);
      this.#nextNonce = next;
      group.forEach((g, i) => g.resolve(stored[i]!));
    } catch (error) {
      // nothing was recorded and no nonce given out: every worker may simply try again
      for (const g of group) g.reject(error);
    }
  }

  /** After a restart: past every recorded transaction that may still be in flight. */
  async #recordedNext(): Promise<number> {
    const sent = await this.outbox.list({ state: "sent" });
    return Math.max(0, ...sent.map((e) => (e.nonce ?? -1) + 1));
  }

  #withNonceLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#nonceLock.then(fn);
    this.#nonceLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A receipt for the recorded transaction. */
  async #landed(entry: OutboxEntry, receipt: TransactionReceipt): Promise<void> {
    if (receipt.status === 1) {
      await this.#update(entry, {
        state: "confirmed",
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        lastError: undefined,
      });
      return;
    }
    return this.#reverted(entry, receipt);
  }

  /**
   * Mined but reverted: the estimate passed, so the state changed in between (another member's
   * flow used the quota, midnight passed). Its nonce is used and it had no effect, so a new
   * transaction is safe. Ask the chain now: a custom error → failed; the flow is there → done;
   * the call passes → queue again (at most maxReverts times).
   */
  async #reverted(entry: OutboxEntry, receipt: TransactionReceipt): Promise<void> {
    const effect = await this.#effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    const reverts = (entry.reverts ?? 0) + 1;
    const where = `transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`;
    try {
      await this.provider.call({ from: this.address, to: this.#to(entry), data: calldataOf(entry) });
    } catch (error) {
      const failure = revertFailure(error);
      if (failure === undefined) throw error;
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

  /** The estimate reverted with an error the ledger names. A duplicate may be our own earlier flow. */
  async #refused(entry: OutboxEntry, failure: OutboxFailure): Promise<void> {
    const effect = await this.#effect(entry);
    if (effect.kind !== "none") return this.#settle(entry, effect);
    await this.#update(entry, { state: "failed", failure, lastError: undefined });
  }

  async #settle(entry: OutboxEntry, effect: Exclude<Effect, { kind: "none" }>): Promise<void> {
    if (effect.kind === "conflict") {
      await this.#update(entry, { state: "failed", failure: effect.failure, lastError: undefined });
      return;
    }
    const patch: OutboxPatch = { state: "confirmed", lastError: undefined };
    if (effect.txHash !== undefined) patch.txHash = effect.txHash;
    if (effect.blockNumber !== undefined) patch.blockNumber = effect.blockNumber;
    await this.#update(entry, patch);
  }

  async #update(entry: OutboxEntry, patch: OutboxPatch): Promise<void> {
    await this.outbox.update(entry.serial, patch);
  }

  // ------------------------------------------------------------------ the chain

  /** The contract an entry's call goes to (undefined: a dispute or evidence kind without the address). */
  #to(entry: OutboxEntry): string | undefined {
    const target = targetOf(entry);
    if (target === "evidence") return this.#options.evidenceRegistry;
    return target === "ledger" ? this.ledger : this.disputeResolution;
  }

  /** Is the flow on chain already, and is it ours? */
  async #effect(entry: OutboxEntry): Promise<Effect> {
    const loanId = loanIdOfEntry(entry);
    switch (entry.kind) {
      case "escalate": {
        // any member's keeper may have moved the loan there already: the effect is the stage
        const loan = await this.#loan(loanId);
        return loan !== undefined && Number(loan.stage) >= (entry.args as EscalateArgs).stage
          ? { kind: "done" }
          : { kind: "none" };
      }
      case "assignCourt":
      case "acceptCase":
      case "recordRuling":
      case "closeCase":
        return this.#caseEffect(entry, loanId);
      case "registerEvidence":
      case "endorseEvidence":
        return this.#evidenceEffect(entry);
      case "registerLoan": {
        const loan = await this.#loan(loanId);
        if (loan === undefined) return { kind: "none" };
        const t = (entry.args as RegisterLoanArgs).terms;
        const same =
          Number(loan.branch) === t.branch &&
          Number(loan.platform) === t.platform &&
          BigInt(loan.principal) === BigInt(t.principal) &&
          Number(loan.aprBps) === t.aprBps &&
          Number(loan.method) === t.method &&
          Number(loan.startDay) === t.startDay &&
          String(loan.borrowerKey).toLowerCase() === t.borrowerKey;
        if (!same)
          return {
            kind: "conflict",
            failure: {
              code: "LedgerDuplicateLoan",
              args: [loanId],
              message: "a loan with this id and other terms is on chain",
            },
          };
        const log = await this.#findLog(entry, "LoanRegistered", loanId, () => true);
        return {
          kind: "done",
          ...(log === undefined ? {} : { txHash: log.transactionHash, blockNumber: log.blockNumber }),
        };
      }
      case "grantMandate":
      case "revokeMandate": {
        // the mandate as the ledger holds it: granted with this expiry, or gone
        const [, expiresAt] = await this.#ledgerView().mandate(
          loanId,
          (entry.args as GrantMandateArgs | RevokeMandateArgs).agent,
        );
        const want = entry.kind === "grantMandate" ? BigInt((entry.args as GrantMandateArgs).expiresAt) : 0n;
        return BigInt(expiresAt) === want ? { kind: "done" } : { kind: "none" };
      }
      case "setOwnBranchLimits": {
        // the quotas as the ledger holds them: these three values
        const a = entry.args as SetOwnBranchLimitsArgs;
        const l = await this.#ledgerView().branchLimits(a.branch);
        const same =
          BigInt(l.singleLoanMax) === BigInt(a.singleLoanMax) &&
          BigInt(l.dailyDisbursementLimit) === BigInt(a.dailyDisbursementLimit) &&
          BigInt(l.outstandingLimit) === BigInt(a.outstandingLimit);
        return same ? { kind: "done" } : { kind: "none" };
      }
      case "agreeIncomeSplit": {
        // the split as the ledger holds it: agreed at this share
        const [agreed, bps] = await this.#ledgerView().incomeShare(loanId);
        return agreed && Number(bps) === (entry.args as AgreeIncomeSplitArgs).platformIncomeShareBps
          ? { kind: "done" }
          : { kind: "none" };
      }
      // an expiry is done once the loan is cancelled, whoever did it (another keeper, its branch)
      case "expireLoan":
      case "cancelLoan": {
        const loan = await this.#loan(loanId);
        if (loan === undefined || Number(loan.state) !== LoanState.Cancelled) return { kind: "none" };
        const log = await this.#findLog(entry, "LoanCancelled", loanId, () => true);
        return {
          kind: "done",
          ...(log === undefined ? {} : { txHash: log.transactionHash, blockNumber: log.blockNumber }),
        };
      }
      case "prepay": {
        const serial = onChainSerial(entry.serial);
        const used = await this.#ledgerView().serialUsed(serial);
        if (!used) return { kind: "none" };
        const log = await this.#findLog(
          entry,
          "PrepaymentReceived",
          loanId,
          (args) => String(args.serial).toLowerCase() === serial,
        );
        const a = entry.args as PrepayArgs;
        if (log !== undefined) {
          const args = ledgerInterface.parseLog(log)!.args.toObject() as PrepaymentReceivedEvent.OutputObject;
          const ours =
            BigInt(args.principal) === BigInt(a.principal) &&
            Number(args.mode) === a.mode &&
            BigInt(args.fee) === BigInt(a.fee) &&
            BigInt(args.principalPaid) + BigInt(args.interest) + BigInt(args.fee) === BigInt(a.amount) &&
            String(args.voucher).toLowerCase() === a.voucher;
          if (ours) return { kind: "done", txHash: log.transactionHash, blockNumber: log.blockNumber };
        }
        return {
          kind: "conflict",
          failure: {
            code: "LedgerDuplicateSerial",
            args: [serial],
            message: "the serial was used on chain by another flow (other loan, amount, mode or voucher)",
          },
        };
      }
      case "disburse":
      case "repay":
      case "settle": {
        const serial = onChainSerial(entry.serial);
        const used = await this.#ledgerView().serialUsed(serial);
        if (!used) return { kind: "none" };
        const event = entry.kind === "disburse" ? "FundsDisbursed" : "RepaymentReceived";
        const log = await this.#findLog(
          entry,
          event,
          loanId,
          (args) => String(args.serial).toLowerCase() === serial,
        );
        if (log !== undefined) {
          const decoded = ledgerInterface.parseLog(log)!.args.toObject();
          const ours =
            entry.kind === "disburse"
              ? disbursedOurs(decoded as FundsDisbursedEvent.OutputObject, entry.args as DisburseArgs)
              : // a settlement is booked like a repayment: one RepaymentReceived with its serial
                repaidOurs(decoded as RepaymentReceivedEvent.OutputObject, entry.args as RepayArgs);
          if (ours) return { kind: "done", txHash: log.transactionHash, blockNumber: log.blockNumber };
        }
        return {
          kind: "conflict",
          failure: {
            code: "LedgerDuplicateSerial",
            args: [serial],
            message: "the serial was used on chain by another flow (other loan, amount or voucher)",
          },
        };
      }
    }
  }

  /**
   * A court write's trace in the loan's current case (DisputeResolution.caseOf): the court
   * assigned, the acceptance or closing time set, the ruling recorded (another ruling: conflict).
   */
  async #caseEffect(entry: OutboxEntry, loanId: string): Promise<Effect> {
    if (this.disputeResolution === undefined) return { kind: "none" };
    const c = await DisputeResolution.at(this.disputeResolution, this.provider).caseOf(loanId);
    if (/^0x0{64}$/.test(c.caseId)) return { kind: "none" };
    switch (entry.kind) {
      case "assignCourt":
        return Number(c.court) === (entry.args as AssignCourtArgs).court
          ? { kind: "done" }
          : { kind: "none" };
      case "acceptCase":
        return c.acceptedAt !== 0n ? { kind: "done" } : { kind: "none" };
      case "closeCase":
        return c.closedAt !== 0n ? { kind: "done" } : { kind: "none" };
      default: {
        const ruling = String(c.ruling).toLowerCase();
        if (/^0x0{64}$/.test(ruling)) return { kind: "none" };
        if (ruling === (entry.args as RecordRulingArgs).ruling) return { kind: "done" };
        return {
          kind: "conflict",
          failure: {
            code: "DisputeRulingConflict",
            args: [loanId, ruling],
            message: "another ruling is recorded for this case",
          },
        };
      }
    }
  }

  /**
   * An evidence write's trace in the EvidenceRegistry: the leaf registered (by anyone allowed to:
   * its submitter or a court, the same record either way), or this member among its endorsers.
   */
  async #evidenceEffect(entry: OutboxEntry): Promise<Effect> {
    const address = this.#options.evidenceRegistry;
    if (address === undefined) return { kind: "none" };
    const registry = EvidenceRegistry.at(address, this.provider);
    if (entry.kind === "endorseEvidence") {
      const a = entry.args as EndorseEvidenceArgs;
      const endorsers = await registry.endorsers(a.leafHash);
      return endorsers.some((m) => Number(m) === a.memberId) ? { kind: "done" } : { kind: "none" };
    }
    // the leaf hash is RFC 9162's over the encoding the entry sends
    const leafHash = sha256(concat(["0x00", (entry.args as { leaf: string }).leaf]));
    const status = await registry.status(leafHash);
    return Number(status.state) === 0 ? { kind: "none" } : { kind: "done" };
  }

  /** The ledger's views, read through this sender's provider. */
  #ledgerView(): JointLoanLedger {
    return JointLoanLedger.at(this.ledger, this.provider);
  }

  /** loan(loanId), or undefined if the ledger does not know it. */
  async #loan(loanId: string): Promise<Awaited<ReturnType<JointLoanLedger["loan"]>> | undefined> {
    try {
      return await this.#ledgerView().loan(loanId);
    } catch (error) {
      if (revertFailure(error)?.code === "LedgerUnknownLoan") return undefined;
      throw error;
    }
  }

  /** The first `event` of `loanId` that `match`es, searched from the entry's fromBlock in pages. */
  async #findLog(
    entry: OutboxEntry,
    event: string,
    loanId: string,
    match: (args: Record<string, unknown>) => boolean,
  ): Promise<Log | undefined> {
    const fragment = ledgerInterface.getEvent(event)!;
    const topics = [fragment.topicHash, loanId];
    const latest = await this.provider.getBlockNumber();
    const page = this.#options.logPageBlocks ?? 2_000;
    // a fromBlock above the head means the chain lost blocks since: search all of the ledger's life
    const from =
      entry.fromBlock !== undefined && entry.fromBlock <= latest
        ? entry.fromBlock
        : (this.#options.fromBlock ?? 0);
    for await (const logs of pagedLogs(
      this.provider,
      { address: this.ledger, topics },
      { fromBlock: from, toBlock: latest, pageBlocks: page },
    )) {
      for (const log of logs) {
        const parsed = ledgerInterface.parseLog(log);
        if (parsed !== null && match(parsed.args)) return log;
      }
    }
    return undefined;
  }

  /** Fees from the chain, read at most once a second (every transaction of a burst pays the same). */
  #fees(): Promise<Fees> {
    const now = Date.now();
    if (this.#feeCache !== undefined && now - this.#feeCache.at < 1_000) return this.#feeCache.fees;
    const fees = this.#readFees();
    const cache = { at: now, fees };
    this.#feeCache = cache;
    fees.catch(() => {
      if (this.#feeCache === cache) this.#feeCache = undefined;
    });
    return fees;
  }

  /** eth_gasPrice as the price (zero on a free-gas network), EIP-1559 where the chain has a base fee. */
  async #readFees(): Promise<Fees> {
    const [price, block] = await Promise.all([
      this.provider.send("eth_gasPrice", []) as Promise<string>,
      this.provider.getBlock("latest"),
    ]);
    const gasPrice = BigInt(price);
    const base = block?.baseFeePerGas ?? null;
    if (base === null) return { type: 0, gasPrice };
    const tip = gasPrice > base ? gasPrice - base : 0n;
    // twice the base fee: room for it to rise while the transaction waits; only base + tip is paid
    return { type: 2, maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
  }

  async #broadcast(rawTx: string): Promise<void> {
    try {
      await this.provider.send("eth_sendRawTransaction", [rawTx]);
    } catch (error) {
      // the node has it already (a re-broadcast): that is what we wanted
      if (/already known|known transaction|already imported|alreadyknown/i.test(rpcMessage(error))) return;
      throw new RetryLater(`broadcast failed: ${describe(error)}`);
    }
  }

  /**
   * The receipt of a recorded transaction, then the configured confirmations. One poller serves
   * every transaction in flight (#pollOnce): the account's mined nonce tells which have been
   * mined, and only those are asked for their receipts.
   */
  #waitMined(txHash: string, nonce: number): Promise<TransactionReceipt> {
    if (this.#stopping) return Promise.reject(new Stopped());
    const timeoutMs = this.#options.receiptTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      this.#waiters.add({ txHash, nonce, deadline: Date.now() + timeoutMs, resolve, reject });
      if (this.#poller === undefined) this.#poller = this.#poll();
    });
  }

  async #poll(): Promise<void> {
    while (this.#waiters.size > 0 && !this.#stopping) {
      try {
        await this.#pollOnce();
      } catch {
        // the endpoint is down: each waiter's deadline ends its wait, and its entry backs off
      }
      if (this.#waiters.size > 0) await this.#sleep(this.#options.pollingMs ?? 250);
    }
    // no await between the check above and this: a waiter added later starts a new poller
    this.#poller = undefined;
  }

  /**
   * One look at the chain for every waiter. Mined (nonce below the account's count): its receipt,
   * or — none for its hash — the nonce went to another transaction and the entry looks again
   * (#resume). Not mined: a timeout, or, for the lowest nonce in flight, a transaction the node
   * no longer knows at all (dropped from its pool, or mined in blocks the chain lost) — the entry
   * looks again at once and re-broadcasts the same bytes. A nonce below the lowest awaited one
   * that nothing awaits is a gap: #heal repairs it.
   */
  async #pollOnce(): Promise<void> {
    const latest = await this.provider.getTransactionCount(this.address, "latest");
    await this.#noteNonce(latest);
    const now = Date.now();
    const unknownMs = this.#options.unknownTxMs ?? 1_000;
    const mined = [...this.#waiters].filter((w) => w.nonce < latest);
    const receipts = await Promise.all(mined.map((w) => this.provider.getTransactionReceipt(w.txHash)));
    mined.forEach((w, i) => {
      const receipt = receipts[i]!;
      if (receipt === null) {
        // give a node that is still indexing the block a moment
        w.minedSince ??= now;
        if (now - w.minedSince < unknownMs || !this.#waiters.delete(w)) return;
        w.reject(new RetryLater(`nonce ${w.nonce} of ${w.txHash} was used by another transaction`));
        return;
      }
      if (!this.#waiters.delete(w)) return;
      this.#confirmations(receipt).then(w.resolve, w.reject);
    });
    let head: Waiter | undefined;
    for (const w of [...this.#waiters]) {
      if (now > w.deadline) {
        this.#waiters.delete(w);
        w.reject(
          new RetryLater(
            `transaction ${w.txHash} not mined within ${this.#options.receiptTimeoutMs ?? 120_000} ms; it will be re-broadcast`,
          ),
        );
      } else if (w.nonce >= latest && (head === undefined || w.nonce < head.nonce)) {
        head = w;
      }
    }
    if (head === undefined || head.nonce < latest) {
      this.#gapSince = undefined;
      return;
    }
    if (head.nonce === latest) {
      this.#gapSince = undefined;
      if ((await this.provider.getTransaction(head.txHash)) !== null) {
        head.unknownSince = undefined;
        return;
      }
      head.unknownSince ??= now;
      if (now - head.unknownSince >= unknownMs && this.#waiters.delete(head)) {
        head.reject(
          new RetryLater(
            `transaction ${head.txHash} is unknown to the node (dropped from its pool, or its block was lost); it will be re-broadcast`,
          ),
        );
      }
      return;
    }
    this.#gapSince ??= now;
    if (now - this.#gapSince >= unknownMs) {
      this.#gapSince = undefined;
      await this.#heal();
    }
  }

  /**
   * The account's mined-transaction count as just read. Lower than before means the chain lost
   * blocks holding transactions of ours: the confirmed entries from the earliest block that may
   * have held one are checked again (#recheck) before any gap is filled.
   */
  async #noteNonce(latest: number): Promise<void> {
    const before = this.#seenNonce;
    this.#seenNonce = latest;
    if (latest >= before) return;
    await this.#withNonceLock(async () => {
      let since = Infinity;
      for (const e of await this.outbox.list({ state: "confirmed" })) {
        if (e.nonce !== undefined && e.nonce >= latest && e.blockNumber !== undefined)
          since = Math.min(since, e.blockNumber);
      }
      if (since !== Infinity) await this.#recheck(since);
    });
  }

  /** While idle: notice a chain that lost blocks (a dump restored) without waiting for the next flow. */
  async #watchNonce(): Promise<void> {
    try {
      await this.#noteNonce(await this.provider.getTransactionCount(this.address, "latest"));
    } catch {
      // the endpoint is down; the next look will tell
    }
  }

  /**
   * Repair the nonces between the account's mined count and the next one this sender gives out:
   * a nonce held by a recorded ("sent") transaction gets its very bytes broadcast again; a nonce
   * nothing holds any more (its transaction reverted or was replaced and the chain then lost that
   * block, or a flow was confirmed by another transaction while ours was dropped) is filled with
   * an empty transfer to ourselves, which carries no flow and lets the later ones be mined.
   */
  async #heal(): Promise<void> {
    await this.#withNonceLock(async () => {
      const latest = await this.provider.getTransactionCount(this.address, "latest");
      const held = new Map<number, OutboxEntry>();
      for (const e of await this.outbox.list({ state: "sent" }))
        if (e.nonce !== undefined && e.nonce >= latest) held.set(e.nonce, e);
      const top = Math.max(this.#nextNonce ?? latest, ...[...held.keys()].map((n) => n + 1));
      for (let nonce = latest; nonce < top; nonce++) {
        const entry = held.get(nonce);
        try {
          if (entry === undefined) await this.#fill(nonce);
          else if (entry.rawTx !== undefined) await this.#broadcast(entry.rawTx);
        } catch {
          // another look follows if the gap stays
        }
      }
      if (this.#nextNonce !== undefined && this.#nextNonce < latest) this.#nextNonce = latest;
    });
  }

  /** An empty transfer to ourselves at `nonce`: no flow, only the nonce used. */
  async #fill(nonce: number): Promise<void> {
    const rawTx = await this.wallet.signTransaction({
      to: this.address,
      value: 0n,
      nonce,
      gasLimit: 21_000n,
      chainId: this.chainId,
      ...(await this.#fees()),
    });
    await this.#broadcast(rawTx);
  }

  async #confirmations(receipt: TransactionReceipt): Promise<TransactionReceipt> {
    const confirmations = this.#options.confirmations ?? 0;
    if (confirmations === 0) return receipt;
    let current = receipt;
    for (;;) {
      if (this.#stopping) throw new Stopped();
      if ((await this.provider.getBlockNumber()) >= current.blockNumber + confirmations) {
        // the block may have been replaced meanwhile: ask again
        const again = await this.provider.getTransactionReceipt(current.hash);
        if (again === null)
          throw new RetryLater(`transaction ${current.hash} left the chain while waiting for confirmations`);
        if (again.blockNumber === current.blockNumber) return again;
        current = again;
        continue;
      }
      await new Promise((r) => setTimeout(r, this.#options.pollingMs ?? 250));
    }
  }
}

// ------------------------------------------------------------------ errors

/** A revert the ledger explains (custom error, Error(string), Panic), or undefined for anything else. */
export function revertFailure(error: unknown): OutboxFailure | undefined {
  const data = revertDataOf(error);
  if (data === undefined) return undefined;
  // DisputeResolution calls into the ledger, so either contract's errors can come back
  const decoded = decodeRevertData(data, [ledgerInterface, disputeInterface]);
  return decoded === undefined
    ? { code: "UnknownRevert", args: [data] }
    : { code: decoded.name, args: decoded.args };
}

function rpcMessage(error: unknown): string {
  const e = error as {
    info?: { error?: { message?: unknown } };
    error?: { message?: unknown };
    message?: unknown;
  };
  return [e?.info?.error?.message, e?.error?.message, e?.message]
    .filter((m) => typeof m === "string")
    .join(" ");
}

function describe(error: unknown): string {
  if (error instanceof RetryLater) return error.message;
  const e = error as { code?: unknown; shortMessage?: unknown; message?: unknown };
  const text =
    typeof e?.shortMessage === "string"
      ? e.shortMessage
      : typeof e?.message === "string"
        ? e.message
        : String(error);
  const inner = rpcMessage(error);
  const detail = inner !== "" && !text.includes(inner) ? `: ${inner}` : "";
  return `${typeof e?.code === "string" ? `${e.code}: ` : ""}${text}${detail}`.slice(0, 500);
}

function disbursedOurs(args: FundsDisbursedEvent.OutputObject, a: DisburseArgs): boolean {
  return (
    args.amount === BigInt(a.amount) &&
    args.accountHash.toLowerCase() === a.accountHash &&
    args.voucher.toLowerCase() === a.voucher
  );
}

function repaidOurs(args: RepaymentReceivedEvent.OutputObject, a: RepayArgs): boolean {
  return (
    args.penalty + args.interest + args.principal === BigInt(a.amount) &&
    args.voucher.toLowerCase() === a.voucher
  );
}
