// Batched transactions of a member's own account (EIP-7702 + ERC-7821): the account delegates to
// BatchExecutor and sends `execute(mode, calls)` to itself; every call reaches its target with
// msg.sender = the account, all or none. The executor sits at one CREATE2 address derived from
// its generated creation code, so every node knows it from the build alone.
import {
  AbiCoder,
  Wallet,
  ZeroAddress,
  ZeroHash,
  concat,
  dataLength,
  dataSlice,
  getAddress,
  getCreate2Address,
  keccak256,
  type Authorization,
  type BaseWallet,
  type Provider,
  type Signer,
} from "ethers";
import { BatchExecutor } from "./generated/contracts.ts";
import { BATCH_EXECUTOR_CREATION_CODE } from "./generated/creation-code.ts";

/** The deterministic-deployment proxy ("Nick's factory"): Anvil has it, a Besu genesis allocates it. */
export const CREATE2_FACTORY = "0x4e59b44847b379578588920cA78FbF26c0B4956C";
/** Its runtime code: what a genesis allocates at CREATE2_FACTORY. */
export const CREATE2_FACTORY_CODE =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";
const SALT = ZeroHash;

/** Where BatchExecutor is on every chain (checksummed). */
export const BATCH_EXECUTOR: string = getCreate2Address(
  CREATE2_FACTORY,
  SALT,
  keccak256(BATCH_EXECUTOR_CREATION_CODE),
);

/** ERC-7579 mode: CALLTYPE_BATCH (0x01), EXECTYPE_DEFAULT (0x00, revert on any failure), no selector, no payload. */
export const BATCH_MODE = `0x01${"00".repeat(31)}`;
const EXECUTIONS = ["tuple(address,uint256,bytes)[]"];
const EXECUTE_SELECTOR = BatchExecutor.interface.getFunction("execute").selector;
/** A delegated account's code: 0xef0100 followed by the delegate's address (EIP-7702). */
const DESIGNATOR_PREFIX = "0xef0100";

export type Call = { to: string; data: string };

/**
 * Whether `provider`'s chain can run batches: "ready" (the executor is deployed and an EIP-7702
 * delegation to it takes effect), "deployable" (not yet deployed; the CREATE2 factory is there and
 * a delegation takes effect), "unsupported" (otherwise). The delegation is tried by an eth_call
 * carrying a throw-away account's signed authorization: a chain without EIP-7702 refuses the call
 * or ignores the list, and the call then reaches an account without code and returns nothing.
 */
export async function batchSupport(provider: Provider): Promise<"ready" | "deployable" | "unsupported"> {
  const [executorCode, factoryCode, { chainId }] = await Promise.all([
    provider.getCode(BATCH_EXECUTOR),
    provider.getCode(CREATE2_FACTORY),
    provider.getNetwork(),
  ]);
  const deployed = executorCode !== "0x";
  if (!deployed && factoryCode === "0x") return "unsupported";
  const probe = Wallet.createRandom();
  const authorization = probe.authorizeSync({
    address: deployed ? BATCH_EXECUTOR : CREATE2_FACTORY,
    chainId,
    nonce: 0,
  });
  // the caller is another account than the probe: a sender's own nonce moves before the list is applied
  const request = {
    type: 4,
    from: ZeroAddress,
    to: probe.address,
    authorizationList: [authorization],
    // the executor answers supportsExecutionMode; the factory, handed a salt and no code, returns the
    // 20-byte address of what it created
    data: deployed ? BatchExecutor.interface.encodeFunctionData("supportsExecutionMode", [BATCH_MODE]) : SALT,
  };
  let result: string;
  try {
    result = await provider.call(request);
  } catch {
    return "unsupported";
  }
  if (deployed)
    return result === AbiCoder.defaultAbiCoder().encode(["bool"], [true]) ? "ready" : "unsupported";
  return dataLength(result) === 20 ? "deployable" : "unsupported";
}

/** Deploys BatchExecutor at BATCH_EXECUTOR through the CREATE2 factory; nothing if it is there. */
export async function deployBatchExecutor(signer: Signer): Promise<void> {
  const provider = signer.provider;
  if (provider === null) throw new Error("deployBatchExecutor: the signer has no provider");
  if ((await provider.getCode(BATCH_EXECUTOR)) !== "0x") return;
  const tx = await signer.sendTransaction({
    to: CREATE2_FACTORY,
    data: concat([SALT, BATCH_EXECUTOR_CREATION_CODE]),
  });
  const receipt = await tx.wait();
  if (receipt?.status !== 1 || (await provider.getCode(BATCH_EXECUTOR)) === "0x")
    throw new Error(`BatchExecutor was not deployed at ${BATCH_EXECUTOR} (transaction ${tx.hash})`);
}

/** The address `account` delegates to (its code is an EIP-7702 designator), or undefined. */
export async function delegateOf(provider: Provider, account: string): Promise<string | undefined> {
  const code = await provider.getCode(account);
  if (dataLength(code) !== 23 || !code.toLowerCase().startsWith(DESIGNATOR_PREFIX)) return undefined;
  return getAddress(dataSlice(code, 3));
}

/**
 * `wallet`'s signed EIP-7702 authorization delegating it to BATCH_EXECUTOR, for a type-4
 * transaction's `authorizationList`. `nonce` is the account's nonce when the authorization is
 * applied: when the account itself sends that transaction its nonce has already moved, so the
 * authorization's nonce is the transaction's nonce + 1.
 */
export async function delegationAuthorization(
  wallet: BaseWallet,
  { chainId, nonce }: { chainId: bigint | number; nonce: number },
): Promise<Authorization> {
  return wallet.authorize({ address: BATCH_EXECUTOR, chainId, nonce });
}

/** Calldata of `execute(BATCH_MODE, calls)`: each call with value 0, in order, all or none. */
export function encodeBatch(calls: ReadonlyArray<Call>): string {
  const executionData = AbiCoder.defaultAbiCoder().encode(EXECUTIONS, [calls.map((c) => [c.to, 0n, c.data])]);
  return BatchExecutor.interface.encodeFunctionData("execute", [BATCH_MODE, executionData]);
}

/**
 * The calls a transaction makes: a batch (sent by an account to itself, `execute` in batch mode)
 * → its calls in order; a plain call → that call; a contract creation → none.
 */
export function callsOf(tx: { from: string; to: string | null; data: string }): Call[] {
  if (tx.to === null) return [];
  const plain = [{ to: getAddress(tx.to), data: tx.data }];
  if (tx.to.toLowerCase() !== tx.from.toLowerCase() || !tx.data.toLowerCase().startsWith(EXECUTE_SELECTOR))
    return plain;
  const [mode, executionData] = BatchExecutor.interface.decodeFunctionData("execute", tx.data) as unknown as [
    string,
    string,
  ];
  if (mode !== BATCH_MODE) return plain;
  const [executions] = AbiCoder.defaultAbiCoder().decode(EXECUTIONS, executionData) as unknown as [
    Array<[string, bigint, string]>,
  ];
  return executions.map(([to, , data]) => ({ to: getAddress(to), data }));
}
