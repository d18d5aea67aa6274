// Repair after the chain moved under the sender: gaps in the account's nonces filled (rule 4 of
// README.md) and, when the chain lost blocks, confirmed entries whose flow it no longer holds
// put back to "sent" or "queued". All of it runs under the signer's nonce lock.
import type { JsonRpcApiProvider, Wallet } from "ethers";
import type { OutboxEntry } from "./entry.ts";
import type { FlowEffects } from "./effects.ts";
import { broadcast, type FeeReader } from "./broadcast.ts";
import { signCall, type NonceSigner } from "./signer.ts";
import type { Outbox } from "./outbox.ts";

export type ChainRepairOptions = {
  outbox: Outbox;
  provider: JsonRpcApiProvider;
  wallet: Wallet;
  chainId: bigint;
  signer: NonceSigner;
  effects: FlowEffects;
  fees: FeeReader;
  /** Entries were put back: the dispatcher should look again. */
  onRequeued: () => void;
};

export class ChainRepair {
  readonly #options: ChainRepairOptions;
  /**
   * The account's mined-transaction count as last read: a lower one later means the chain lost
   * blocks. Until the first read, what the store's confirmed entries used (#confirmedNext), so a
   * chain that lost blocks while the sender was down is noticed too.
   */
  #seenNonce: number | undefined;
  /** The count from which a recheck that failed (an RPC error) is still owed: the next look runs it. */
  #owed: number | undefined;
  /** The recheck a look at the nonce started and that has not ended: every other look waits for it. */
  #rechecking: Promise<void> | undefined;
  /**
   * Serials confirmed while a recheck runs: one may rest on a receipt read before the chain lost
   * its block, written after the recheck listed the confirmed entries; the recheck checks them too.
   */
  #late: Set<string> | undefined;
  /** One past the highest nonce written confirmed before the first look set #seenNonce (it folds this in). */
  #early = 0;

  constructor(options: ChainRepairOptions) {
    this.#options = options;
  }

  /**
   * Every confirmed entry from `sinceBlock` on whose flow the chain no longer holds goes back to
   * "sent" (its signed bytes are re-broadcast) or "queued", at its original place. Returns the
   * serials put back.
   */
  async recheck(sinceBlock = 0): Promise<string[]> {
    return (await this.#options.signer.withNonceLock(() => this.#recheck(sinceBlock))).back;
  }

  /** The serials put back, and one past the highest nonce of the entries left confirmed. */
  async #recheck(sinceBlock: number): Promise<{ back: string[]; keptNext: number }> {
    const { outbox } = this.#options;
    const back: string[] = [];
    let keptNext = 0;
    // under the nonce lock: one recheck at a time owns #late
    const late = (this.#late = new Set());
    try {
      let entries = await outbox.list({ state: "confirmed" });
      // those written late are checked whatever their block: it is the one the chain lost; the
      // loop ends only when no confirmation came in during the pass (or the read) before
      for (let since = sinceBlock; ; since = 0) {
        for (const entry of entries) {
          if (await this.#lost(entry, since)) back.push(entry.serial);
          else if (entry.nonce !== undefined) keptNext = Math.max(keptNext, entry.nonce + 1);
        }
        if (late.size === 0) break;
        const serials = [...late];
        late.clear();
        entries = (await outbox.entries.getMany(serials)).filter(
          (e): e is OutboxEntry => e !== undefined && e.state === "confirmed",
        );
      }
    } finally {
      this.#late = undefined;
    }
    if (back.length > 0) this.#options.onRequeued();
    return { back, keptNext };
  }

  /** A confirmed entry from `sinceBlock` on whose flow the chain no longer holds is put back. */
  async #lost(entry: OutboxEntry, sinceBlock: number): Promise<boolean> {
    const { outbox, provider, effects } = this.#options;
    if ((entry.blockNumber ?? Infinity) < sinceBlock) return false;
    const receipt = entry.txHash === undefined ? null : await provider.getTransactionReceipt(entry.txHash);
    // a batch mined again after the chain lost the account's delegation succeeds without its
    // calls' events: only its own event in the receipt says the flow is there
    if (receipt !== null && receipt.status === 1 && effects.inReceipt(entry, receipt)) return false;
    const effect = await effects.effect(entry);
    if (effect.kind === "done") return false;
    const resumable = entry.nonce !== undefined && (await outbox.signedBytes(entry)) !== undefined;
    await outbox.update(entry.serial, {
      state: resumable ? "sent" : "queued",
      blockNumber: undefined,
      // the chain's block numbers were reused: search its events from the start again
      fromBlock: undefined,
      lastError: "the chain no longer holds this flow (it lost blocks); sending it again",
    });
    return true;
  }

  /**
   * An entry written confirmed (the outbox's change notice). Its transaction's nonce was mined, so
   * the count is at least one past it, though no look read that: a later look reading it lower
   * then sees the loss. Confirmations come from receipts, flows found on chain and batches, not
   * only after a look — without this, a chain losing blocks back to the count last read would go
   * unnoticed.
   */
  confirmed(entry: OutboxEntry): void {
    if (entry.state !== "confirmed" || entry.nonce === undefined) return;
    if (this.#seenNonce !== undefined) this.#seenNonce = Math.max(this.#seenNonce, entry.nonce + 1);
    // the first look is still reading the store, which may not show this one: it folds this in
    else this.#early = Math.max(this.#early, entry.nonce + 1);
    this.#late?.add(entry.serial);
  }

  /**
   * The account's mined-transaction count as just read. Lower than before means the chain lost
   * blocks holding transactions of ours: the confirmed entries from the earliest block that may
   * have held one are checked again (#recheck) before any gap is filled. Resolves only once no
   * recheck is running or owed — one another look started included — so what the caller does
   * next (fill a gap, take a refusal as final) sees the lost flows back; throws when the recheck
   * met an RPC error (it stays owed).
   */
  async noteNonce(latest: number): Promise<void> {
    const stored = this.#seenNonce ?? (await this.#confirmedNext());
    // read after the await: another first look, or confirmations, may have raised it meanwhile
    const before = Math.max(stored, this.#seenNonce ?? 0, this.#early);
    this.#early = 0;
    this.#seenNonce = latest;
    const lost = latest < before ? latest : Infinity;
    // a look that came second to the loss found the count already low: the first one's recheck may
    // still be putting the lost flows back
    for (let running = this.#rechecking; running !== undefined; running = this.#rechecking) await running;
    const from = Math.min(lost, this.#owed ?? Infinity);
    if (from === Infinity) return;
    this.#owed = undefined;
    const run = this.#options.signer.withNonceLock(async () => {
      let since = Infinity;
      for (const e of await this.#options.outbox.list({ state: "confirmed" })) {
        if (e.nonce !== undefined && e.nonce >= from && e.blockNumber !== undefined)
          since = Math.min(since, e.blockNumber);
      }
      // none confirmed in the lost blocks yet: one may still be written while this runs
      const { keptNext } = await this.#recheck(since);
      // a count read before confirmations it did not see (a stale look) is not what the chain
      // holds: the entries still confirmed are mined, so it holds at least one past them — kept
      // low, a later loss back to above it would go unnoticed
      this.#seenNonce = Math.max(this.#seenNonce ?? 0, keptNext);
    });
    const ended: Promise<void> = run
      .catch(() => {
        // the count no longer shows the loss once our transactions are mined again: keep it owed
        this.#owed = Math.min(this.#owed ?? Infinity, from);
      })
      .then(() => {
        if (this.#rechecking === ended) this.#rechecking = undefined;
      });
    this.#rechecking = ended;
    await run;
  }

  /** Past the highest nonce a confirmed entry used: the count the chain held before a restart, at least. */
  async #confirmedNext(): Promise<number> {
    let next = 0;
    // streamed: a long history holds too many entries to read at once
    for await (const e of this.#options.outbox.entries.values())
      if (e.state === "confirmed" && e.nonce !== undefined) next = Math.max(next, e.nonce + 1);
    return next;
  }

  /**
   * Read the mined nonce and put back what the chain lost (noteNonce), before the ledger's refusal
   * of a flow is taken as final: an earlier flow of its loan counted as confirmed may be among
   * them. Throws on RPC trouble, so the refusal is looked at again later rather than trusted.
   */
  async lookForLoss(): Promise<void> {
    await this.noteNonce(
      await this.#options.provider.getTransactionCount(this.#options.wallet.address, "latest"),
    );
  }

  /** While idle: notice a chain that lost blocks (a dump restored) without waiting for the next flow. */
  async watchNonce(): Promise<void> {
    try {
      await this.lookForLoss();
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
  async heal(): Promise<void> {
    const { outbox, provider, wallet, signer } = this.#options;
    await signer.withNonceLock(async () => {
      const latest = await provider.getTransactionCount(wallet.address, "latest");
      const held = new Map<number, OutboxEntry>();
      for (const e of await outbox.list({ state: "sent" }))
        if (e.nonce !== undefined && e.nonce >= latest) held.set(e.nonce, e);
      const top = Math.max(signer.nextNonce ?? latest, ...[...held.keys()].map((n) => n + 1));
      for (let nonce = latest; nonce < top; nonce++) {
        const entry = held.get(nonce);
        try {
          if (entry === undefined) await this.#fill(nonce);
          else {
            const rawTx = await outbox.signedBytes(entry);
            if (rawTx !== undefined) await broadcast(provider, rawTx);
          }
        } catch {
          // another look follows if the gap stays
        }
      }
      signer.catchUp(latest);
    });
  }

  /** An empty transfer to ourselves at `nonce`: no flow, only the nonce used. */
  async #fill(nonce: number): Promise<void> {
    const { wallet, chainId, fees, provider } = this.#options;
    const { rawTx } = await signCall(wallet, chainId, {
      to: wallet.address,
      data: "0x",
      nonce,
      gasLimit: 21_000n,
      fees: await fees.fees(),
    });
    await broadcast(provider, rawTx);
  }
}
