// Institution-to-service request authentication: the calling member signs each request with its
// chain key as EIP-712 typed data, bound to the consortium (chain id + ConsortiumRegistry
// address), the HTTP method, the request target, a hash of the exact body bytes, a random nonce
// and an expiry. The signature travels in four headers.
//
// Two forms. A request to a service (the anchor) is a SignedRequest. A request from one member's
// node to another's is a NodeRequest: the same fields plus the member id of the node meant to
// serve it, sent in a fifth header (x-jl-target), so a request signed for one node is refused by
// every other (each checks the target against its own member id). The two types hash differently:
// a signature of one form never verifies as the other.
//
// This module is pure: it checks form, time window and signature. The service still has to
//   1. refuse a replay: remember nonceKey(signer, nonce) until `expiresAt` has passed (a request
//      is valid up to and including second `expiresAt`), and refuse a key it already holds;
//      AUTH_TOO_FAR_AHEAD bounds that memory to maxTtlSeconds;
//   2. check membership: the signer must be an active member's account in ConsortiumRegistry;
//   3. at a member's node (requireTarget): refuse a request whose target is another member.
// Verify first and record the nonce only after the signature holds, so unauthenticated callers
// cannot fill the nonce store.
import { hash, randomBytes } from "node:crypto";
import { getAddress } from "ethers";
import { toHex } from "../bytes.ts";
import { CodedError } from "../errors.ts";
import {
  checkedAddress,
  checkedChainId,
  isAddressHex,
  mutableTypes,
  parseSignature,
  typedDataHash,
} from "./eip712.ts";
import { recoverAddressOf, signedBy } from "../crypto/secp256k1.ts";
import type { Eip712Domain, Eip712Types, TypedDataSigner } from "./eip712.ts";

export type { TypedDataSigner } from "./eip712.ts";

export const SIGNER_HEADER = "x-jl-signer";
export const NONCE_HEADER = "x-jl-nonce";
export const EXPIRES_AT_HEADER = "x-jl-expires-at";
export const SIGNATURE_HEADER = "x-jl-signature";
/** Node-to-node form only: the member id whose node is to serve the request. */
export const TARGET_HEADER = "x-jl-target";

/** Every auth header, in the order they are checked and reported. */
export const AUTH_HEADERS = [SIGNER_HEADER, NONCE_HEADER, EXPIRES_AT_HEADER, SIGNATURE_HEADER] as const;

/** Lifetime signRequest gives a request when the caller names neither expiresAt nor ttlSeconds. */
export const DEFAULT_TTL_SECONDS = 60;

/** Nonces are 128-bit: random enough never to collide, and a fixed 16 bytes in nonceKey. */
export const NONCE_BITS = 128;
const NONCE_LIMIT = 1n << BigInt(NONCE_BITS);
const NONCE_BYTES = NONCE_BITS / 8;
const ADDRESS_BYTES = 20;
/** Length of a nonceKey: 20-byte signer address ‖ 16-byte big-endian nonce. */
export const NONCE_KEY_LENGTH = ADDRESS_BYTES + NONCE_BYTES;

/** verifyingContract: the consortium's ConsortiumRegistry. */
export type RequestDomain = Eip712Domain<"JointLedger">;

/** The EIP-712 type of what a member signs; field order is part of the format. */
export const REQUEST_TYPES = {
  SignedRequest: [
    { name: "method", type: "string" },
    { name: "path", type: "string" },
    { name: "bodyHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const satisfies Eip712Types;

/** The node-to-node form (see top): SignedRequest's fields, then the target member (uint32 on chain). */
export const NODE_REQUEST_TYPES = {
  NodeRequest: [...REQUEST_TYPES.SignedRequest, { name: "target", type: "uint32" }],
} as const satisfies Eip712Types;

const TYPES = mutableTypes(REQUEST_TYPES);
const NODE_TYPES = mutableTypes(NODE_REQUEST_TYPES);
const MAX_TARGET = 0xffff_ffff;
const MAX_TARGET_DIGITS = 10;

export type AuthErrorCode =
  "AUTH_MISSING_HEADERS" | "AUTH_BAD_HEADER" | "AUTH_EXPIRED" | "AUTH_TOO_FAR_AHEAD" | "AUTH_BAD_SIGNATURE";

/** A request that fails authentication; services map every code to 401. */
export class AuthError extends CodedError<AuthErrorCode> {}

/** What is signed about the HTTP request. */
export type RequestToSign = {
  /** Compared upper-cased on both sides (Node's parser upper-cases methods). */
  method: string;
  /** The request target exactly as sent: path plus query string, no scheme or host (Fastify's `request.url`). */
  path: string;
  /** The exact body bytes sent; a string is sent, and hashed, as UTF-8. Empty for no body. */
  body: Uint8Array | string;
  /**
   * Node-to-node form: the member id (1..2^32-1) whose node is to serve the request; signed as a
   * NodeRequest and sent in x-jl-target. Omit for a service such as the anchor.
   */
  target?: number;
};

export type SignOptions = {
  /** Default: a fresh random 128-bit nonce (newNonce). */
  nonce?: bigint;
  /** Unix seconds; default now + ttlSeconds. */
  expiresAt?: number;
  /** Default DEFAULT_TTL_SECONDS; keep it below the service's maxTtlSeconds, allowing for clock skew. */
  ttlSeconds?: number;
  /** Unix seconds; default the system clock. For tests and replays of fixed vectors. */
  now?: number;
};

/** The request as the service received it. */
export type ReceivedRequest = {
  method: string;
  path: string;
  /** The raw body bytes as received, before any parsing; empty for no body. */
  rawBody: Uint8Array;
  /** Node's IncomingHttpHeaders shape: names lower-case, a repeated header as an array. */
  headers: Record<string, string | string[] | undefined>;
};

export type VerifyOptions = {
  /** Unix seconds, the service's clock. */
  now: number;
  /** The longest lifetime accepted: also how long the service must remember a nonce. */
  maxTtlSeconds: number;
  /**
   * A member's node: the request must be in the node-to-node form (x-jl-target present, verified
   * as a NodeRequest); the result's `target` is then for the node to compare with its own member
   * id. Unset (a service): verified as a SignedRequest, x-jl-target not read.
   */
  requireTarget?: boolean;
};

export type VerifiedRequest = {
  /** Checksummed address that signed; check its membership next. */
  signer: string;
  nonce: bigint;
  /** Unix seconds; remember nonceKey(signer, nonce) at least until this second has passed. */
  expiresAt: number;
  /** The signed target member (node-to-node form, requireTarget); undefined otherwise. */
  target?: number;
};

// Canonical decimals only (no sign, no leading zeros), so one value has one spelling.
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_NONCE_DIGITS = 39; // 2^128 - 1 has 39 digits
const MAX_EXPIRES_AT_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits

export function requestDomain(chainId: bigint, registry: string): RequestDomain {
  return {
    name: "JointLedger",
    version: "1",
    chainId: checkedChainId(chainId),
    verifyingContract: checkedAddress("registry", registry),
  };
}

/** A fresh random 128-bit nonce. */
export function newNonce(): bigint {
  return BigInt(toHex(randomBytes(NONCE_BYTES)));
}

/**
 * SHA-256 of the exact body bytes, 0x hex. SHA-256 rather than keccak256: bodies run to several
 * MB, and node:crypto's native SHA-256 hashes 4 MB in about 2.5 ms, where ethers' JavaScript
 * keccak256 takes about 300 ms — a third of a core per request at the target rate.
 */
export function bodyHashOf(body: Uint8Array | string): string {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return `0x${hash("sha256", bytes, "hex")}`;
}

/** Signs a request; returns the headers to add to it. */
export async function signRequest(
  signer: TypedDataSigner,
  domain: RequestDomain,
  request: RequestToSign,
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const nonce = options.nonce ?? newNonce();
  const expiresAt = options.expiresAt ?? now + (options.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  if (typeof nonce !== "bigint" || nonce < 0n || nonce >= NONCE_LIMIT) {
    throw new RangeError(`nonce must be a bigint in 0..2^${NONCE_BITS}-1, got ${String(nonce)}`);
  }
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
    throw new RangeError(`expiresAt must be non-negative whole unix seconds, got ${String(expiresAt)}`);
  }
  const { target } = request;
  if (target !== undefined && (!Number.isSafeInteger(target) || target < 1 || target > MAX_TARGET)) {
    throw new RangeError(`target must be a member id in 1..2^32-1, got ${String(target)}`);
  }
  const address = getAddress(await signer.getAddress());
  const value = signedValue(request.method, request.path, bodyHashOf(request.body), nonce, expiresAt, target);
  const signature = await signer.signTypedData(domain, typesOf(value), value);
  return {
    [SIGNER_HEADER]: address,
    [NONCE_HEADER]: nonce.toString(10),
    [EXPIRES_AT_HEADER]: String(expiresAt),
    [SIGNATURE_HEADER]: signature,
    ...(target === undefined ? {} : { [TARGET_HEADER]: String(target) }),
  };
}

/**
 * Checks a request's auth headers, in increasing cost: presence, form, time window, then one
 * body hash and one ecrecover. Throws AuthError; does not check replay or membership (see top).
 */
export function verifyRequest(
  domain: RequestDomain,
  request: ReceivedRequest,
  options: VerifyOptions,
): VerifiedRequest {
  const pending = prepareVerification(domain, request, options);
  return completeVerification(pending, recoverSigner(pending));
}

/** A request whose headers passed every check but the signature (verifyRequest in two steps). */
export type PendingVerification = {
  signer: string;
  nonce: bigint;
  expiresAt: number;
  domain: RequestDomain;
  /** The signed value (SignedRequest, or NodeRequest when it has a target) and the signature as sent. */
  value: {
    method: string;
    path: string;
    bodyHash: string;
    nonce: bigint;
    expiresAt: number;
    target?: number;
  };
  signature: string;
};

/**
 * verifyRequest's checks up to the signature: presence, form, time window, body hash. The
 * ecrecover (recoverSigner, a few milliseconds) can then run elsewhere, e.g. on a worker thread;
 * completeVerification finishes. Plain data: it can be posted to a worker.
 */
export function prepareVerification(
  domain: RequestDomain,
  request: ReceivedRequest,
  options: VerifyOptions,
): PendingVerification {
  const { now, maxTtlSeconds } = options;
  if (!Number.isFinite(now) || !Number.isFinite(maxTtlSeconds) || maxTtlSeconds < 0) {
    throw new RangeError(
      `now and maxTtlSeconds must be finite, maxTtlSeconds >= 0; got ${now}, ${maxTtlSeconds}`,
    );
  }
  const requireTarget = options.requireTarget === true;
  const values = readHeaders(
    request.headers,
    requireTarget ? [...AUTH_HEADERS, TARGET_HEADER] : AUTH_HEADERS,
  );

  const signerText = values[SIGNER_HEADER];
  if (!isAddressHex(signerText)) {
    throw badHeader(SIGNER_HEADER, "must be 0x followed by 40 hex digits");
  }
  let signer: string;
  try {
    signer = getAddress(signerText);
  } catch {
    throw badHeader(SIGNER_HEADER, "has mixed case that is not a valid EIP-55 checksum");
  }

  const nonce = parseDecimal(NONCE_HEADER, values[NONCE_HEADER], MAX_NONCE_DIGITS);
  if (nonce >= NONCE_LIMIT) throw badHeader(NONCE_HEADER, `must be below 2^${NONCE_BITS}`);

  const expiresAtBig = parseDecimal(EXPIRES_AT_HEADER, values[EXPIRES_AT_HEADER], MAX_EXPIRES_AT_DIGITS);
  if (expiresAtBig > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw badHeader(EXPIRES_AT_HEADER, "must be unix seconds below 2^53");
  }
  const expiresAt = Number(expiresAtBig);

  const signature = parseSignature(values[SIGNATURE_HEADER]);
  if (typeof signature === "string") throw badHeader(SIGNATURE_HEADER, signature);

  let target: number | undefined;
  if (requireTarget) {
    const targetBig = parseDecimal(TARGET_HEADER, values[TARGET_HEADER]!, MAX_TARGET_DIGITS);
    if (targetBig < 1n || targetBig > BigInt(MAX_TARGET))
      throw badHeader(TARGET_HEADER, "must be a member id in 1..2^32-1");
    target = Number(targetBig);
  }

  if (expiresAt < now) {
    throw new AuthError("AUTH_EXPIRED", `request expired at ${expiresAt}, now is ${now}; sign it again`);
  }
  if (expiresAt > now + maxTtlSeconds) {
    throw new AuthError(
      "AUTH_TOO_FAR_AHEAD",
      `${EXPIRES_AT_HEADER} ${expiresAt} is more than ${maxTtlSeconds} s after now (${now}); use a shorter lifetime or check the clock`,
    );
  }

  const value = signedValue(
    request.method,
    request.path,
    bodyHashOf(request.rawBody),
    nonce,
    expiresAt,
    target,
  );
  return { signer, nonce, expiresAt, domain, value, signature: values[SIGNATURE_HEADER] };
}

/** The address that signed a pending request's value ("" if the signature recovers none). */
export function recoverSigner(pending: Pick<PendingVerification, "domain" | "value" | "signature">): string {
  try {
    return recoverAddressOf(
      typedDataHash(pending.domain, typesOf(pending.value), pending.value),
      pending.signature,
    );
  } catch {
    return "";
  }
}

/** Whether a pending request's signature is its named signer's: `recoverSigner(pending) === pending.signer`. */
export function signedByNamedSigner(
  pending: Pick<PendingVerification, "signer" | "domain" | "value" | "signature">,
): boolean {
  const signature = parseSignature(pending.signature);
  if (typeof signature === "string") return false;
  try {
    const digest = typedDataHash(pending.domain, typesOf(pending.value), pending.value);
    return signedBy(digest, signature, pending.signer);
  } catch {
    return false;
  }
}

/** The last step of verifyRequest: the recovered address must be the claimed signer. */
export function completeVerification(pending: PendingVerification, recovered: string): VerifiedRequest {
  if (recovered !== pending.signer) {
    throw new AuthError(
      "AUTH_BAD_SIGNATURE",
      `${SIGNATURE_HEADER} is not ${pending.signer}'s signature of this method, path, body, nonce and expiry${pending.value.target === undefined ? "" : " and target"} under this consortium's domain`,
    );
  }
  const { target } = pending.value;
  return {
    signer: pending.signer,
    nonce: pending.nonce,
    expiresAt: pending.expiresAt,
    ...(target === undefined ? {} : { target }),
  };
}

/**
 * The replay-store key of a request: 20-byte signer address ‖ 16-byte big-endian nonce. Fixed
 * width, so keys sort by signer then nonce. Keep it until the request's expiresAt has passed.
 */
export function nonceKey(signer: string, nonce: bigint): Uint8Array {
  const address = checkedAddress("signer", signer);
  if (typeof nonce !== "bigint" || nonce < 0n || nonce >= NONCE_LIMIT) {
    throw new RangeError(`nonce must be a bigint in 0..2^${NONCE_BITS}-1, got ${String(nonce)}`);
  }
  const key = new Uint8Array(NONCE_KEY_LENGTH);
  key.set(Buffer.from(address.slice(2), "hex"), 0);
  let rest = nonce;
  for (let i = NONCE_KEY_LENGTH - 1; i >= ADDRESS_BYTES; i--) {
    key[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return key;
}

function signedValue(
  method: string,
  path: string,
  bodyHash: string,
  nonce: bigint,
  expiresAt: number,
  target?: number,
): PendingVerification["value"] {
  const value = { method: method.toUpperCase(), path, bodyHash, nonce, expiresAt };
  return target === undefined ? value : { ...value, target };
}

/** A value with a target is a NodeRequest; without, a SignedRequest. */
function typesOf(value: PendingVerification["value"]) {
  return value.target === undefined ? TYPES : NODE_TYPES;
}

type HeaderName = (typeof AUTH_HEADERS)[number] | typeof TARGET_HEADER;

function readHeaders(
  headers: ReceivedRequest["headers"],
  names: readonly HeaderName[],
): Record<(typeof AUTH_HEADERS)[number], string> & Partial<Record<typeof TARGET_HEADER, string>> {
  const missing: string[] = [];
  const values: Partial<Record<HeaderName, string>> = {};
  for (const name of names) {
    let value = headers[name];
    if (Array.isArray(value)) {
      if (value.length > 1) throw badHeader(name, `appears ${value.length} times; send it once`);
      value = value[0];
    }
    if (value === undefined || value === "") {
      missing.push(name);
      continue;
    }
    if (typeof value !== "string") throw badHeader(name, `must be a string, got ${typeof value}`);
    values[name] = value;
  }
  if (missing.length > 0) {
    throw new AuthError(
      "AUTH_MISSING_HEADERS",
      `missing ${missing.join(", ")}; a signed request carries ${names.join(", ")}`,
    );
  }
  return values as Record<(typeof AUTH_HEADERS)[number], string> &
    Partial<Record<typeof TARGET_HEADER, string>>;
}

function parseDecimal(name: string, text: string, maxDigits: number): bigint {
  if (text.length > maxDigits || !DECIMAL.test(text)) {
    throw badHeader(name, `must be a decimal integer of at most ${maxDigits} digits without leading zeros`);
  }
  return BigInt(text);
}

function badHeader(name: string, problem: string): AuthError {
  return new AuthError("AUTH_BAD_HEADER", `${name} ${problem}`);
}
