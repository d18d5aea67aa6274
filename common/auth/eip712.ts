// EIP-712 helpers shared by the signed formats: request signatures, anchor receipts, submissions.
//
// Signatures are parsed strictly: the 65-byte r ‖ s ‖ v form that EIP-712 signers (ethers,
// wallets, HSM adapters) produce, v 27 or 28, low s. ethers' own Signature.from is lenient (it
// accepts v = 0/1, EIP-155 v values and s up to 2^255); accepting exactly one spelling per
// signature means logs, stores and audits never see two strings for one signature.
import {
  type BaseWallet,
  Signature,
  type Signer,
  TypedDataEncoder,
  type TypedDataField,
  concat,
  getAddress,
  keccak256,
} from "ethers";
import { BoundedMap } from "../bounded-map.ts";
import { signDigest } from "../crypto/secp256k1.ts";

/** 0x followed by 65 bytes (130 hex digits): r (32) ‖ s (32) ‖ v (1). */
export const SIGNATURE_HEX = /^0x[0-9a-fA-F]{130}$/;

// secp256k1 group order; EIP-2 (as Ethereum transactions and OpenZeppelin's ECDSA) accepts only
// s <= n/2, so (r, n - s) — the other valid signature of the same message — is refused.
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N / 2n;

/** The parsed signature, or a sentence saying what is wrong with it. */
export function parseSignature(hex: string): Signature | string {
  if (!SIGNATURE_HEX.test(hex)) return "must be 0x followed by 130 hex digits (65 bytes: r, s, v)";
  const r = BigInt(`0x${hex.slice(2, 66)}`);
  const s = BigInt(`0x${hex.slice(66, 130)}`);
  const v = Number.parseInt(hex.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return `has v = ${v}; only 27 or 28 is accepted`;
  if (r === 0n || r >= SECP256K1_N) return "has r outside 1..n-1";
  if (s === 0n || s > HALF_N) return "has s outside 1..n/2 (EIP-2 low-s form required)";
  return Signature.from(hex);
}

/** Whatever can produce EIP-712 signatures for an address: an ethers Wallet, a remote or HSM signer. */
export type TypedDataSigner = Pick<Signer, "getAddress" | "signTypedData">;

/** The domain fields EIP-712 defines, the only ones a cached separator is kept for. */
const DOMAIN_FIELDS = ["name", "version", "chainId", "verifyingContract", "salt"];
/** Domain separators by domainKey, and encoders by their types' JSON (a handful of formats each). */
const SEPARATORS = new BoundedMap<string, string>(64, "recent-use");
const ENCODERS = new BoundedMap<string, TypedDataEncoder>(64, "recent-use");

/**
 * A key naming the domain's separator exactly, or undefined (not cached): every field one of
 * EIP-712's, each a string, number or bigint, spelled with its type (1n and "1" hash alike, but
 * only equal keys are taken to be equal).
 */
function domainKey(domain: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const name in domain) {
    const value = domain[name];
    if (value == null) continue;
    if (
      !DOMAIN_FIELDS.includes(name) ||
      (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint")
    )
      return undefined;
    parts.push(JSON.stringify([name, typeof value, String(value)]));
  }
  // JSON, not a joiner: no field's text can make two different domains one key
  return `[${parts.join(",")}]`;
}

/**
 * TypedDataEncoder.hash(domain, types, value) — the same digest, or the same error — with each
 * domain's separator and each set of types' encoder made once: ethers makes both again for every
 * digest, which cost a node more than the signature it signs or checks (a platform signs an
 * agreement per joint loan, a member signs every request it sends, a node checks every request
 * and receipt batch it receives).
 */
export function typedDataHash(
  domain: Parameters<typeof TypedDataEncoder.hash>[0],
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): string {
  const key = domainKey(domain as Record<string, unknown>);
  let separator = key === undefined ? undefined : SEPARATORS.get(key);
  if (separator === undefined) {
    separator = TypedDataEncoder.hashDomain(domain);
    if (key !== undefined) SEPARATORS.set(key, separator);
  }
  return keccak256(concat(["0x1901", separator, encoderOf(types).hash(value)]));
}

/** The types' encoder, made once per set of types. */
function encoderOf(types: Record<string, TypedDataField[]>): TypedDataEncoder {
  const typesKey = JSON.stringify(types);
  let encoder = ENCODERS.get(typesKey);
  if (encoder === undefined) {
    encoder = TypedDataEncoder.from(types);
    ENCODERS.set(typesKey, encoder);
  }
  return encoder;
}

/**
 * `wallet` as a TypedDataSigner whose signatures are `wallet.signTypedData`'s, byte for byte
 * (RFC 6979: one signature per digest), over typedDataHash. Typed data whose addresses are not
 * all hex (ENS names), or that does not encode, goes to the wallet as it is.
 */
export function typedDataSignerOf(wallet: BaseWallet): TypedDataSigner {
  return {
    getAddress: () => wallet.getAddress(),
    async signTypedData(
      domain: Parameters<Signer["signTypedData"]>[0],
      types: Record<string, TypedDataField[]>,
      value: Record<string, unknown>,
    ): Promise<string> {
      let digest: string;
      try {
        // an address not in hex is an ENS name to the wallet, which cannot resolve it offline and
        // refuses: so must this signer (getAddress below would accept 40 hex digits without 0x)
        if (namesAddress(domain, types, value)) return await wallet.signTypedData(domain, types, value);
        digest = typedDataHash(domain, types, value);
      } catch {
        // not plain typed data (an ENS name to resolve, a bad value): the wallet's own answer
        return wallet.signTypedData(domain, types, value);
      }
      return signDigest(wallet.signingKey.privateKey, digest).serialized;
    },
  };
}

const ADDRESS_HEX = /^0x[0-9a-fA-F]{40}$/;

/** Whether the typed data carries an address that is not 0x and 40 hex digits (the wallet resolves such a one as a name). */
function namesAddress(
  domain: Parameters<Signer["signTypedData"]>[0],
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): boolean {
  const contract = (domain as { verifyingContract?: unknown }).verifyingContract;
  if (contract != null && !isAddressHex(contract)) return true;
  let named = false;
  encoderOf(types).visit(value, (type: string, v: unknown): unknown => {
    if (type === "address" && !isAddressHex(v)) named = true;
    return v;
  });
  return named;
}

/** Form check for untrusted input; the checksum is checked by getAddress. */
export function isAddressHex(value: unknown): value is string {
  return typeof value === "string" && ADDRESS_HEX.test(value);
}

/** Checksummed address, or a RangeError naming the argument (for caller bugs and configuration). */
export function checkedAddress(name: string, address: string): string {
  if (!isAddressHex(address)) {
    throw new RangeError(`${name} must be a 0x-prefixed 20-byte address, got ${String(address)}`);
  }
  try {
    return getAddress(address);
  } catch {
    throw new RangeError(`${name} ${address} has mixed case that is not a valid EIP-55 checksum`);
  }
}

export function checkedChainId(chainId: bigint): bigint {
  if (typeof chainId !== "bigint" || chainId <= 0n) {
    throw new RangeError(`chainId must be a positive bigint, got ${String(chainId)}`);
  }
  return chainId;
}

/**
 * The EIP-712 domain of one of the system's signed formats: its name, version 1, the chain and
 * the contract that binds a signature to one consortium (a signature for one is void in another).
 */
export type Eip712Domain<Name extends string> = {
  readonly name: Name;
  readonly version: "1";
  readonly chainId: bigint;
  readonly verifyingContract: string;
};

/** A signed format's EIP-712 struct types; field order is part of the format. */
export type Eip712Types = Record<string, readonly { readonly name: string; readonly type: string }[]>;

/** The same types as the mutable arrays ethers wants (one shared copy per format). */
export function mutableTypes<T extends Eip712Types>(
  types: T,
): Record<keyof T & string, Array<{ name: string; type: string }>> {
  return Object.fromEntries(
    Object.entries(types).map(([struct, fields]) => [struct, fields.map((f) => ({ ...f }))]),
  ) as Record<keyof T & string, Array<{ name: string; type: string }>>;
}
