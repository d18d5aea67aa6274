// Signing of the one transaction shape the services send most: an EIP-1559 (type 2) call with an
// empty access list. ethers' Transaction goes through hex strings for every field and RLP-encodes
// the whole call data twice (unsigned, then signed), which on a batch of ~26 kB was a sixth of a
// node's CPU; here the RLP is written straight into Buffers and the data is decoded from hex once.
// The bytes are ethers' own (the outbox re-broadcasts what it recorded, byte for byte): every
// other type, access lists and authorization lists stay on ethers.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { getAddress, type SigningKey } from "ethers";
import { signDigest } from "../crypto/secp256k1.ts";

export type Eip1559Call = {
  chainId: bigint | number;
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  to: string;
  value?: bigint;
  /** 0x-hex. */
  data: string;
};

export type SignedTransaction = {
  /** The signed transaction, 0x-hex (what eth_sendRawTransaction takes). */
  rawTx: string;
  /** keccak-256 of rawTx. */
  txHash: string;
};

const MAX_UINT256 = (1n << 256n) - 1n;
const TYPE_EIP1559 = 0x02;
/** RLP header bases: a string's, a list's. */
const STRING = 0x80;
const LIST = 0xc0;
/** RLP of an empty list (the access list): a list header of length 0. */
const EMPTY_LIST = LIST;

/**
 * `call` signed as a type-2 transaction with `key`, byte for byte what ethers'
 * `wallet.signTransaction` gives for it (low-s signature, yParity). Throws TX_FIELD_INVALID on a
 * field ethers would refuse (a negative or over-256-bit number, a tip above the fee cap, data not 0x-hex of whole bytes,
 * an address that is not one).
 */
export function signEip1559(key: SigningKey, call: Eip1559Call): SignedTransaction {
  const head = [
    uintBytes(call.chainId, "chainId"),
    uintBytes(call.nonce, "nonce"),
    uintBytes(call.maxPriorityFeePerGas, "maxPriorityFeePerGas"),
    uintBytes(call.maxFeePerGas, "maxFeePerGas"),
    uintBytes(call.gasLimit, "gasLimit"),
    addressBytes(call.to),
    uintBytes(call.value ?? 0n, "value"),
  ];
  if (call.maxPriorityFeePerGas > call.maxFeePerGas)
    throw invalid("maxPriorityFeePerGas", "more than maxFeePerGas");
  const { data } = call;
  if (!data.startsWith("0x") || data.length % 2 !== 0) throw invalid("data", "not 0x-hex of whole bytes");
  const dataLength = (data.length - 2) / 2;
  // a single byte below 0x80 is its own RLP encoding, without a header
  const dataBare = dataLength === 1 && parseInt(data.slice(2), 16) < 0x80;
  // the fields both encodings share, from chainId to the (empty) access list
  const bodyLength =
    head.reduce((n, b) => n + itemLength(b), 0) + (dataBare ? 0 : headerLength(dataLength)) + dataLength + 1;

  const unsigned = Buffer.allocUnsafe(1 + headerLength(bodyLength) + bodyLength);
  unsigned[0] = TYPE_EIP1559;
  const bodyStart = writeHeader(unsigned, 1, bodyLength, LIST);
  let at = bodyStart;
  for (const b of head) at = writeItem(unsigned, at, b);
  if (!dataBare) at = writeHeader(unsigned, at, dataLength, STRING);
  // Buffer's hex decoding stops at the first pair that is not hex: a short write means one was there
  if (unsigned.write(data.slice(2), at, "hex") !== dataLength)
    throw invalid("data", "not 0x-hex of whole bytes");
  at += dataLength;
  unsigned[at++] = EMPTY_LIST;

  const signature = signDigest(key.privateKey, keccak_256(unsigned));
  const tail = [
    uintBytes(signature.yParity, "yParity"),
    uintBytes(BigInt(signature.r), "r"),
    uintBytes(BigInt(signature.s), "s"),
  ];
  const signedLength = bodyLength + tail.reduce((n, b) => n + itemLength(b), 0);
  const signed = Buffer.allocUnsafe(1 + headerLength(signedLength) + signedLength);
  signed[0] = TYPE_EIP1559;
  let out = writeHeader(signed, 1, signedLength, LIST);
  out += unsigned.copy(signed, out, bodyStart, at);
  for (const b of tail) out = writeItem(signed, out, b);
  return {
    rawTx: `0x${signed.toString("hex")}`,
    txHash: `0x${Buffer.from(keccak_256(signed)).toString("hex")}`,
  };
}

function invalid(field: string, why: string): Error {
  return Object.assign(new Error(`transaction field ${field}: ${why}`), { code: "TX_FIELD_INVALID", field });
}

/** An unsigned integer as RLP wants it: big-endian, no leading zero bytes, zero as no bytes. */
function uintBytes(value: bigint | number, field: string): Buffer {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw invalid(field, "not an integer");
  const n = BigInt(value);
  if (n < 0n) throw invalid(field, "negative");
  if (n > MAX_UINT256) throw invalid(field, "more than 256 bits");
  if (n === 0n) return Buffer.alloc(0);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

function addressBytes(to: string): Buffer {
  let address: string;
  try {
    // ethers' own check (format and, in mixed case, the checksum)
    address = getAddress(to);
  } catch {
    throw invalid("to", "not an address");
  }
  return Buffer.from(address.slice(2), "hex");
}

/** Length of the RLP header of a string or list of `length` bytes. */
function headerLength(length: number): number {
  return length <= 55 ? 1 : 1 + byteCount(length);
}

/** Bytes the RLP string holding `b` takes, header included. */
function itemLength(b: Buffer): number {
  return b.length === 1 && b[0]! < 0x80 ? 1 : headerLength(b.length) + b.length;
}

function byteCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) count++;
  return count;
}

/** Writes the RLP header of a string or list of `length` bytes at `at`; returns where its payload starts. */
function writeHeader(out: Buffer, at: number, length: number, base: typeof STRING | typeof LIST): number {
  if (length <= 55) {
    out[at] = base + length;
    return at + 1;
  }
  const count = byteCount(length);
  out[at] = base + 55 + count;
  out.writeUIntBE(length, at + 1, count);
  return at + 1 + count;
}

/** Writes the RLP string holding `b` at `at`; returns where it ends. */
function writeItem(out: Buffer, at: number, b: Buffer): number {
  if (b.length === 1 && b[0]! < 0x80) {
    out[at] = b[0]!;
    return at + 1;
  }
  const start = writeHeader(out, at, b.length, STRING);
  return start + b.copy(out, start);
}
