// Whether the node's account can carry several flows in one transaction, and getting it there: the
// account delegates (EIP-7702) to BatchExecutor (OpenZeppelin ERC-7821, only the account itself may
// execute) at its CREATE2 address (common/chain/batch.ts), and then sends `execute(mode, calls)` to
// itself; each call reaches its contract with msg.sender = the account, all of them or none. On a
// chain that cannot (no EIP-7702, no CREATE2 factory) the sender goes on with one flow per
// transaction and says so once.
import { concat, ZeroHash, type JsonRpcApiProvider, type Wallet } from "ethers";
import {
  BATCH_EXECUTOR,
  batchSupport,
  CREATE2_FACTORY,
  delegateOf,
  delegationAuthorization,
} from "../../../common/chain/batch.ts";
import { BATCH_EXECUTOR_CREATION_CODE } from "../../../common/chain/generated/creation-code.ts";
import type { Fees, FeeReader } from "./broadcast.ts";
import type { NonceSigner } from "./signer.ts";

/** Where the sender reports, once, that it sends one flow per transaction (pino's shape). */
export type BatchLog = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
};

export type BatchAccountOptions = {
  provider: JsonRpcApiProvider;
  wallet: Wallet;
  chainId: bigint;
  signer: NonceSigner;
  fees: FeeReader;
  log?: BatchLog | undefined;
  /** The sender's stop-aware sleep. */
  sleep: (ms: number) => Promise<void>;
  stopping: () => boolean;
  /** How long the delegation may take to be mined before it is tried again (default 15 s). */
  delegationTimeoutMs?: number | undefined;
};

// a type-4 transaction: 21,000 + 25,000 per authorization (EIP-7702), with room
const DELEGATION_GAS = 100_000n;
// after RPC trouble while getting ready: one flow per transaction meanwhile, then again
const RETRY_MS = 5_000;

export class BatchAccount {
  readonly #options: BatchAccountOptions;
  #state: "unknown" | "ready" | "unsupported" = "unknown";
  #preparing: Promise<void> | undefined;
  #retryAt = 0;
  #warned = false;

  constructor(options: BatchAccountOptions) {
    this.#options = options;
  }

  /** The account is delegated to the executor: flows may be packed. */
  get ready(): boolean {
    return this.#state === "ready";
  }

  /** Get ready in the background, unless ready, unable, busy, or backing off after RPC trouble. */
  prepare(): void {
    if (this.#state !== "unknown" || this.#preparing !== undefined || Date.now() < this.#retryAt) return;
    this.#preparing = this.#prepare()
      .catch((error: unknown) => {
        this.#retryAt = Date.now() + RETRY_MS;
        // once until it is ready: an endpoint that stays down must not fill the log every few seconds
        if (!this.#warned)
          this.#options.log?.warn(
            { err: error },
            "outbox: batching not ready yet; one flow per transaction meanwhile",
          );
        this.#warned = true;
      })
      .finally(() => (this.#preparing = undefined));
  }

  /** Prepare, and resolve once that has ended (ready, unable, or backing off after RPC trouble). */
  async prepared(): Promise<void> {
    this.prepare();
    await this.#preparing;
  }

  /** Resolves once a preparation in progress has ended. */
  async idle(): Promise<void> {
    await this.#preparing;
  }

  /**
   * A batch was mined without its calls' effects: the account's delegation is gone (the chain lost
   * the block that set it). Packing stops until the delegation is set again.
   */
  lost(): void {
    if (this.#state !== "ready") return;
    this.#state = "unknown";
    this.prepare();
  }

  async #prepare(): Promise<void> {
    const { provider, wallet, log } = this.#options;
    const support = await batchSupport(provider);
    if (support === "unsupported") {
      this.#state = "unsupported";
      log?.info(
        { account: wallet.address },
        "outbox: this chain cannot run batched transactions (EIP-7702 or the CREATE2 factory missing); one flow per transaction",
      );
      return;
    }
    // each takes the signer's next nonce; the delegation may be mined with the deployment or after it
    if (support === "deployable") await this.#deploy();
    if ((await delegateOf(provider, wallet.address)) !== BATCH_EXECUTOR) await this.#delegate();
    await this.#until(
      async () =>
        (await provider.getCode(BATCH_EXECUTOR)) !== "0x" &&
        (await delegateOf(provider, wallet.address)) === BATCH_EXECUTOR,
      "the executor's deployment and the account's delegation to it were not mined",
    );
    this.#state = "ready";
    this.#warned = false;
    log?.info(
      { account: wallet.address, executor: BATCH_EXECUTOR },
      "outbox: flows are packed into batched transactions",
    );
  }

  /**
   * BatchExecutor through the CREATE2 factory (salt zero: BATCH_EXECUTOR), sent with the signer's
   * next nonce — common/chain/batch.ts's deployBatchExecutor would take the pool's and wait for the
   * receipt, while the nonce lock would have to be held all that time.
   */
  async #deploy(): Promise<void> {
    const { provider, wallet, chainId, signer, fees } = this.#options;
    const data = concat([ZeroHash, BATCH_EXECUTOR_CREATION_CODE]);
    const [gas, price] = await Promise.all([
      provider.estimateGas({ from: wallet.address, to: CREATE2_FACTORY, data }),
      fees.fees(),
    ]);
    await signer.sendOwn((nonce) =>
      wallet.signTransaction({
        to: CREATE2_FACTORY,
        data,
        value: 0n,
        nonce,
        gasLimit: (gas * 5n) / 4n,
        chainId,
        ...price,
      }),
    );
  }

  /** The type-4 transaction to itself that delegates the account. */
  async #delegate(): Promise<void> {
    const { wallet, chainId, signer, fees: feeReader } = this.#options;
    const [maxFeePerGas, maxPriorityFeePerGas] = eip1559(await feeReader.fees());
    await signer.sendOwn(async (nonce) =>
      wallet.signTransaction({
        type: 4,
        to: wallet.address,
        data: "0x",
        value: 0n,
        nonce,
        gasLimit: DELEGATION_GAS,
        chainId,
        maxFeePerGas,
        maxPriorityFeePerGas,
        // the account's nonce has moved past the transaction's when the authorization is applied
        authorizationList: [await delegationAuthorization(wallet, { chainId, nonce: nonce + 1 })],
      }),
    );
  }

  /** Until `check` holds; after delegationTimeoutMs (a transaction dropped) the preparation starts over. */
  async #until(check: () => Promise<boolean>, failure: string): Promise<void> {
    const deadline = Date.now() + (this.#options.delegationTimeoutMs ?? 15_000);
    while (!(await check())) {
      if (this.#options.stopping() || Date.now() > deadline) throw new Error(failure);
      await this.#options.sleep(100);
    }
  }
}

/** A type-4 transaction's fees: EIP-1559 ones (a legacy price as both). */
function eip1559(fees: Fees): [bigint, bigint] {
  return fees.type === 2 ? [fees.maxFeePerGas, fees.maxPriorityFeePerGas] : [fees.gasPrice, fees.gasPrice];
}
