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
/** An ABI word's bytes. */
const WORD = 32;
const EXECUTE = BatchExecutor.interface.getFunction("execute");
const EXECUTE_SELECTOR = EXECUTE.selector;
// encodeBatch writes execute(bytes32 mode, bytes executionData)'s layout itself: a change of the
// function's inputs stops at load rather than sending calldata the executor misreads
if (EXECUTE.inputs.map((p) => p.type).join(",") !== "bytes32,bytes")
  throw new Error(
    `BatchExecutor.execute takes (${EXECUTE.inputs.map((p) => p.type).join(",")}), not (bytes32,bytes)`,
  );
/** What every batch's calldata starts with: the selector, the mode, executionData's offset. */
const EXECUTE_HEAD = Buffer.concat([
  Buffer.from(EXECUTE_SELECTOR.slice(2), "hex"),
  Buffer.from(BATCH_MODE.slice(2), "hex"),
  Buffer.from(AbiCoder.defaultAbiCoder().encode(["uint256"], [64]).slice(2), "hex"),
]);
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

/**
 * Calldata of `execute(BATCH_MODE, calls)`: each call with value 0, in order, all or none. The ABI
 * encoding is written straight into one Buffer, each call's data decoded from hex once (ethers'
 * coder copied a batch's ~26 kB through hex and bytes several times); it is AbiCoder's, byte for
 * byte (test/common/chain/batch-encoding.test.ts), and refuses what AbiCoder refuses.
 */
export function encodeBatch(calls: ReadonlyArray<Call>): string {
  const lengths = calls.map(({ data }) => {
    if (!data.startsWith("0x") || data.length % 2 !== 0) throw notHex(data);
    return (data.length - 2) / 2;
  });
  // executionData = abi.encode(tuple(address,uint256,bytes)[]): the array's offset and length, an
  // offset per tuple, then each tuple: address, value, its data's offset (3 words), length, bytes
  const tupleSizes = lengths.map((n) => 4 * WORD + padded(n));
  const executionLength = 2 * WORD + calls.length * WORD + tupleSizes.reduce((a, b) => a + b, 0);
  // calldata = selector, mode, executionData's offset (2 words) and length, executionData
  const out = Buffer.alloc(EXECUTE_HEAD.length + WORD + executionLength);
  EXECUTE_HEAD.copy(out, 0);
  let at = EXECUTE_HEAD.length;
  at = writeWord(out, at, executionLength);
  at = writeWord(out, at, WORD);
  at = writeWord(out, at, calls.length);
  const offsets = at;
  let tupleOffset = calls.length * WORD;
  for (let i = 0; i < calls.length; i++) {
    writeWord(out, offsets + i * WORD, tupleOffset);
    tupleOffset += tupleSizes[i]!;
  }
  at = offsets + calls.length * WORD;
  for (let i = 0; i < calls.length; i++) {
    const { to, data } = calls[i]!;
    out.write(getAddress(to).slice(2), at + 12, "hex");
    // the value word stays 0
    writeWord(out, at + 2 * WORD, 3 * WORD);
    writeWord(out, at + 3 * WORD, lengths[i]!);
    // Buffer's hex decoding stops at the first pair that is not hex: a short write means one was there
    if (out.write(data.slice(2), at + 4 * WORD, "hex") !== lengths[i]) throw notHex(data);
    at += tupleSizes[i]!;
  }
  return `0x${out.toString("hex")}`;
}

function notHex(data: string): Error {
  const error = new Error(`encodeBatch: call data is not 0x-hex of whole bytes: ${data.slice(0, 20)}…`);
  return Object.assign(error, { code: "BATCH_CALL_INVALID" });
}

function padded(length: number): number {
  return Math.ceil(length / WORD) * WORD;
}

/** Writes `value` as a 32-byte big-endian word (its top bytes already zero); returns the next word. */
function writeWord(out: Buffer, at: number, value: number): number {
  out.writeUIntBE(value, at + WORD - 6, 6);
  return at + WORD;
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
