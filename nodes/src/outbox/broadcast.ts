// Getting a signed transaction onto the wire: the fees it pays (from the chain, zero on a
// free-gas Besu network) and eth_sendRawTransaction, where "already known" is success.
import type { JsonRpcApiProvider } from "ethers";
import { describe, RetryLater, rpcMessage } from "./rpc-errors.ts";

export type Fees =
  { type: 0; gasPrice: bigint } | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

/** Fees from the chain, read at most once a second (every transaction of a burst pays the same). */
export class FeeReader {
  readonly #provider: JsonRpcApiProvider;
  #cache: { at: number; fees: Promise<Fees> } | undefined;

  constructor(provider: JsonRpcApiProvider) {
    this.#provider = provider;
  }

  fees(): Promise<Fees> {
    const now = Date.now();
    if (this.#cache !== undefined && now - this.#cache.at < 1_000) return this.#cache.fees;
    const fees = this.#read();
    const cache = { at: now, fees };
    this.#cache = cache;
    fees.catch(() => {
      if (this.#cache === cache) this.#cache = undefined;
    });
    return fees;
  }

  /** eth_gasPrice as the price (zero on a free-gas network), EIP-1559 where the chain has a base fee. */
  async #read(): Promise<Fees> {
    const [price, block] = await Promise.all([
      this.#provider.send("eth_gasPrice", []) as Promise<string>,
      this.#provider.getBlock("latest"),
    ]);
    const gasPrice = BigInt(price);
    const base = block?.baseFeePerGas ?? null;
    if (base === null) return { type: 0, gasPrice };
    const tip = gasPrice > base ? gasPrice - base : 0n;
    // twice the base fee: room for it to rise while the transaction waits; only base + tip is paid
    return { type: 2, maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
  }
}

/** Broadcast signed bytes; the node having them already (a re-broadcast) is what we wanted. */
export async function broadcast(provider: JsonRpcApiProvider, rawTx: string): Promise<void> {
  try {
    await provider.send("eth_sendRawTransaction", [rawTx]);
  } catch (error) {
    if (/already known|known transaction|already imported|alreadyknown/i.test(rpcMessage(error))) return;
    throw new RetryLater(`broadcast failed: ${describe(error)}`);
  }
}
