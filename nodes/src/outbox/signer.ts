// Nonce assignment, signing and recording (rule 1 of README.md): transactions that reach the
// signer together get consecutive nonces and are recorded — their entries "sent" with hash and
// nonce, each transaction's signed bytes once beside them — in one synced batch before any of
// them is broadcast; the next nonce moves on only once that batch is durable. So every nonce this sender has given out is held by a
// recorded transaction, and a crash leaves no gap behind.
import { keccak256 } from "ethers";
import type { JsonRpcApiProvider, Wallet } from "ethers";
import { signEip1559, type SignedTransaction } from "../../../common/chain/transaction.ts";
import type { OutboxEntry } from "./entry.ts";
import { broadcast, type Fees } from "./broadcast.ts";
import { Lock } from "./lock.ts";
import type { Outbox, OutboxPatch, SignedRecord } from "./outbox.ts";

/**
 * A transaction as the signer gets it: all but the nonce, unless a fixed one is re-signed. It
 * carries one entry's call, or several entries' calls packed into one (each of them is recorded
 * with the same hash and nonce; the bytes are recorded once).
 */
export type Unsigned = {
  entries: OutboxEntry[];
  to: string;
  data: string;
  gasLimit: bigint;
  fees: Fees;
  head: number;
  nonce?: number;
};

/** A transaction signed and recorded: its entries as stored ("sent"), and what to broadcast. */
export type Signed = { entries: OutboxEntry[]; txHash: string; nonce: number; rawTx: string };

/**
 * A call of value 0 signed with `wallet`: on a chain with a base fee by signEip1559 (ethers' bytes,
 * without its generic layers: most of a node's signing time went there, on batches of ~26 kB),
 * a legacy transaction by ethers.
 */
export async function signCall(
  wallet: Wallet,
  chainId: bigint,
  call: { to: string; data: string; nonce: number; gasLimit: bigint; fees: Fees },
): Promise<SignedTransaction> {
  const { to, data, nonce, gasLimit, fees } = call;
  if (fees.type === 2) {
    const { maxFeePerGas, maxPriorityFeePerGas } = fees;
    return signEip1559(wallet.signingKey, {
      chainId,
      nonce,
      gasLimit,
      to,
      data,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
  }
  const rawTx = await wallet.signTransaction({ to, data, value: 0n, nonce, gasLimit, chainId, ...fees });
  return { rawTx, txHash: keccak256(rawTx) };
}

export type NonceSignerOptions = {
  outbox: Outbox;
  provider: JsonRpcApiProvider;
  wallet: Wallet;
  chainId: bigint;
};

export class NonceSigner {
  readonly #options: NonceSignerOptions;
  /** Nonce assignment, signing, recording and gap repair run one at a time under this lock. */
  readonly #lock = new Lock();
  /** The nonce the next new transaction gets; undefined until first needed (chain and outbox). */
  #nextNonce: number | undefined;
  /** No nonce below this is given out again: the chain has used it (another sender on the key). */
  #nonceFloor = 0;
  /** Transactions waiting to be signed and recorded together (one synced batch). */
  #toSign: Array<{ unsigned: Unsigned; resolve: (s: Signed) => void; reject: (e: unknown) => void }> = [];
  #signScheduled = false;

  constructor(options: NonceSignerOptions) {
    this.#options = options;
  }

  /** The nonce the next new transaction gets, if known yet. */
  get nextNonce(): number | undefined {
    return this.#nextNonce;
  }

  /** Run `fn` with no nonce being given out meanwhile (gap repair, rechecks after lost blocks). */
  withNonceLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(fn);
  }

  /** Resolves once the signing and repairs in progress have finished. */
  idle(): Promise<void> {
    return this.#lock.idle();
  }

  /** The chain has used nonces below `count` (another transaction took one of ours): never give them out. */
  raiseFloor(count: number): void {
    this.#nonceFloor = Math.max(this.#nonceFloor, count);
  }

  /** The account's mined count passed the next nonce (gaps filled): go on from there. Under the lock. */
  catchUp(count: number): void {
    if (this.#nextNonce !== undefined && this.#nextNonce < count) this.#nextNonce = count;
  }

  /** Sign and record, together with whatever else arrives meanwhile; resolves once durable. */
  sign(unsigned: Unsigned): Promise<Signed> {
    return new Promise((resolve, reject) => {
      this.#toSign.push({ unsigned, resolve, reject });
      if (!this.#signScheduled) {
        this.#signScheduled = true;
        void this.#lock.run(() => this.#signGroup());
      }
    });
  }

  async #signGroup(): Promise<void> {
    this.#signScheduled = false;
    const group = this.#toSign.splice(0);
    if (group.length === 0) return;
    const { outbox, provider, wallet, chainId } = this.#options;
    try {
      // past our own recorded ones, and past any the pool holds: a transaction sent with this key
      // by anything else takes its nonce from under us
      const pooled = await provider.getTransactionCount(wallet.address, "pending");
      let next = Math.max(this.#nextNonce ?? (await this.#recordedNext()), this.#nonceFloor, pooled);
      const changes: Array<{ serial: string; patch: OutboxPatch }> = [];
      const records: Array<SignedRecord & { nonce: number }> = [];
      for (const { unsigned: u } of group) {
        const nonce = u.nonce ?? next++;
        const { rawTx, txHash } = await signCall(wallet, chainId, { ...u, nonce });
        records.push({ txHash, rawTx, nonce, serials: u.entries.map((e) => e.serial) });
        for (const entry of u.entries) {
          changes.push({
            serial: entry.serial,
            patch: {
              state: "sent",
              txHash,
              nonce,
              // the bytes are in the transaction's record; an older store's copy in the entry goes
              rawTx: undefined,
              fromBlock: u.head,
              attempts: entry.attempts + 1,
              lastError: undefined,
            },
          });
        }
      }
      // durable before any of them leaves the process: a crash from here on finds them "sent"
      const stored = await outbox.updateMany(changes, records);
      this.#nextNonce = next;
      let at = 0;
      group.forEach((g, i) => {
        const { txHash, rawTx, nonce } = records[i]!;
        g.resolve({ entries: stored.slice(at, at + g.unsigned.entries.length), txHash, rawTx, nonce });
        at += g.unsigned.entries.length;
      });
    } catch (error) {
      // nothing was recorded and no nonce given out: every worker may simply try again
      for (const g of group) g.reject(error);
    }
  }

  /**
   * A transaction that carries no flow (the account's delegation to the batch executor), signed
   * by `build` with the next nonce and broadcast under the lock, not recorded: were it lost, its
   * nonce is a gap that rule 4 fills with an empty transfer, and it erases no flow. Resolves to
   * its hash.
   */
  sendOwn(build: (nonce: number) => Promise<string>): Promise<string> {
    return this.#lock.run(async () => {
      const { provider, wallet } = this.#options;
      const pooled = await provider.getTransactionCount(wallet.address, "pending");
      const nonce = Math.max(this.#nextNonce ?? (await this.#recordedNext()), this.#nonceFloor, pooled);
      const rawTx = await build(nonce);
      // a broadcast that failed may still have reached the pool: the next group's pending count covers it
      await broadcast(provider, rawTx);
      this.#nextNonce = nonce + 1;
      return keccak256(rawTx);
    });
  }

  /** After a restart: past every recorded transaction that may still be in flight. */
  async #recordedNext(): Promise<number> {
    const sent = await this.#options.outbox.list({ state: "sent" });
    return Math.max(0, ...sent.map((e) => (e.nonce ?? -1) + 1));
  }
}
