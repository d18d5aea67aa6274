// The anchor service's signed intake receipts: one EIP-712 signature per intake request, yet a
// receipt per record that verifies on its own.
//
// Why not a signature per record: secp256k1 signing in JavaScript costs about a millisecond, so
// 50,000 records/s would need 50 cores. Instead a request's records, which get contiguous log
// sequence numbers [firstSequence, firstSequence + count), form a batch: the service signs the
// RFC 9162 Merkle root of their leaf hashes once, and each record's receipt carries that signed
// root plus the inclusion proof of its leaf hash at index sequence − firstSequence.
//
// The batch tree's leaves are the records' leaf hashes as they stand (already SHA-256(0x00 ‖
// leaf)), so the batch root is exactly MTH over those evidence leaves, computed with the same
// code and proofs as the log itself — no second hashing scheme for a court to check.
//
// A receipt promises: "this leaf hash was durably accepted at receivedAt as sequence number
// `sequence` of log `logId`, and will be in a head committed on chain within
// maxMergeDelaySeconds". The chain proof (inclusion in a committed head) is the evidence bundle's
// job; a receipt whose promise is broken is the member's signed proof of the breach.
//
// 国密: a service configured with an SM2 key also signs each batch with SM2 (GB/T 32918.2, the
// default user id "1234567812345678"), carried as batch.sm2 beside the EIP-712 signature, over a
// fixed binary encoding of the same fields and domain (receiptSm2Message); whoever checks a
// receipt checks that signature too, and may require it under a key it knows. Which SM2 key is
// the service's is the consortium's to say, not the service's: verifyGovernedReceipt accepts an
// SM2 signature only under the key the governed member directory binds to the log's operating
// member (common/consortium/member-directory.ts), and requires one when such a key is governed.
import { getAddress } from "ethers";
import { z } from "zod";
import { BoundedMap } from "../../bounded-map.ts";
import { fromHex, toHex } from "../../bytes.ts";
import {
  inclusionPath,
  inclusionProof,
  memoRangeHasher,
  verifyInclusion,
  type RangeHasher,
} from "../merkle/rfc9162.ts";
import {
  checkedAddress,
  checkedChainId,
  mutableTypes,
  parseSignature,
  typedDataHash,
} from "../../auth/eip712.ts";
import { sm2 } from "../../crypto/sm2.ts";
import { signedBy } from "../../crypto/secp256k1.ts";
import type { Eip712Domain, Eip712Types, TypedDataSigner } from "../../auth/eip712.ts";

/** verifyingContract: the EvidenceLog contract the service commits heads to. */
export type ReceiptDomain = Eip712Domain<"JointLedger Anchor Receipt">;

/** The EIP-712 type the service signs once per batch; field order is part of the format. */
export const RECEIPT_TYPES = {
  ReceiptBatch: [
    { name: "logId", type: "bytes32" },
    { name: "firstSequence", type: "uint64" },
    { name: "count", type: "uint64" },
    { name: "batchRoot", type: "bytes32" },
    { name: "receivedAt", type: "uint64" },
    { name: "maxMergeDelaySeconds", type: "uint32" },
  ],
} as const satisfies Eip712Types;

const TYPES = mutableTypes(RECEIPT_TYPES);

const MAX_UINT32 = 0xffff_ffff;
/** 9999-12-31T23:59:59Z: the last second a four-digit ISO 8601 year can state. */
const MAX_RECEIVED_AT = 253_402_300_799;
/** A proof for any tree below 2^53 leaves has at most 53 hashes. */
const MAX_PROOF_LENGTH = 64;

const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits");
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be 0x followed by 130 hex digits");
// z.int() is limited to safe integers, which is what "numbers as JSON numbers" can carry exactly.
const count = z.int().min(0);

// A real SM2 key and signature (private key 0x07…07 over "example"), shown in the API documents.
const SM2_EXAMPLE = {
  publicKey:
    "0x04df07dc0b31591dfb63ec895516e5bb4ad05a09c2feba6d496ce523f7303fffcd4add27de09262dc59baf690c0286f05e29948517cc1e069b988e139c00f449c8",
  signature:
    "0xcd10dc0780dbf55cd292e8a97281087b57e9201a482e826da778f1bc77dda1415fa704a3f64c23caf7072b64db82a727d47e218eaf7b0823356e674494e4f43f",
};

/** A record's receipt, as JSON (the intake reply, and what a member keeps). */
export const ReceiptSchema = z.object({
  /** RFC 9162 leaf hash of the evidence leaf. */
  leafHash: hash32,
  /** Its index in the log. */
  sequence: count,
  logId: hash32,
  /** ISO 8601 with offset, whole seconds, e.g. "2025-06-01T08:30:00Z"; signed as unix seconds. */
  receivedAt: z.iso.datetime({ offset: true }),
  /** The promised bound between receivedAt and the first head on chain that includes the leaf. */
  maxMergeDelaySeconds: z.int().min(0).max(MAX_UINT32),
  batch: z.object({
    firstSequence: count,
    count: z.int().min(1),
    /** RFC 9162 root over the batch's leaf hashes in sequence order. */
    root: hash32,
    /** EIP-712 signature of ReceiptBatch by service.address. */
    signature,
    /** Optional SM2 signature of the same batch (receiptSm2Message), under the service's SM2 key. */
    sm2: z
      .object({
        /** Uncompressed public key, 0x04 ‖ x ‖ y. */
        publicKey: z
          .string()
          .regex(/^0x04[0-9a-fA-F]{128}$/, "must be 0x04 followed by 128 hex digits")
          .meta({ example: SM2_EXAMPLE.publicKey }),
        /** r ‖ s, 64 bytes. */
        signature: z
          .string()
          .regex(/^0x[0-9a-fA-F]{128}$/, "must be 0x followed by 128 hex digits")
          .meta({ example: SM2_EXAMPLE.signature }),
      })
      .optional(),
  }),
  /** Inclusion proof of leafHash at index sequence − firstSequence in the batch tree, bottom-up. */
  proof: z.array(hash32).max(MAX_PROOF_LENGTH),
  service: z.object({ address }),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

/**
 * The signed batch: what the service stores once per request to re-issue receipts later. The
 * receipt's batch fields (sm2 when the service signs with SM2 too), with receivedAt in unix
 * seconds and the checksummed address of the signing service key.
 */
export type SignedReceiptBatch = Pick<Receipt, "logId" | "maxMergeDelaySeconds"> &
  Receipt["batch"] & { receivedAt: number; service: string };

/** An SM2 signature of a receipt batch: the service's public key and r ‖ s, both 0x hex. */
export type ReceiptSm2 = NonNullable<Receipt["batch"]["sm2"]>;

export type ReceiptBatchInput = {
  /** 0x hex bytes32, non-zero (EvidenceLog refuses the zero log id). */
  logId: string;
  firstSequence: number;
  /** The records' RFC 9162 leaf hashes, in sequence order. */
  leafHashes: readonly Uint8Array[];
  /**
   * Optional: each leaf hash as lowercase 0x hex, if the caller has it already (saves converting
   * it again). Must be toHex(leafHashes[i]) for every i.
   */
  leafHashHex?: readonly string[];
  /** Unix seconds: when the batch was durably accepted. */
  receivedAt: number;
  maxMergeDelaySeconds: number;
  /**
   * Optional: the batch tree over leafHashes, if the caller has built it (its root is signed and
   * it is returned as is). Must answer exactly as memoRangeHasher(leafHashes).
   */
  rangeHash?: RangeHasher;
  /** Optional: an SM2 private key (32 bytes); the batch is then SM2-signed too (batch.sm2). */
  sm2PrivateKey?: Uint8Array | undefined;
};

export type ReceiptFailureCode =
  | "RECEIPT_MALFORMED"
  | "RECEIPT_BAD_SEQUENCE"
  | "RECEIPT_BAD_PROOF"
  | "RECEIPT_BAD_SIGNATURE"
  | "RECEIPT_WRONG_SERVICE"
  | "RECEIPT_SM2_KEY_NOT_GOVERNED";

export type ReceiptVerification = { ok: true } | { ok: false; code: ReceiptFailureCode; reason: string };

/**
 * An SM2 receipt key governance binds to a log's operator, and the receipts it is in force for:
 * receivedAt (unix seconds) in [validFrom, validUntil), either bound open when absent. A rotated
 * key keeps verifying the receipts of its period, and no later one.
 */
export type GovernedSm2Key = { publicKey: string; validFrom?: number; validUntil?: number };

/**
 * What a receipt's SM2 part must be, judged once its EIP-712 signature verified and before its
 * SM2 signature is checked: a failure, or undefined to go on. `carried` is the SM2 public key
 * the receipt names (undefined: it has no SM2 part), `receivedAt` its unix seconds.
 */
type Sm2Rule = (carried: string | undefined, receivedAt: number) => ReceiptVerification | undefined;

export function receiptDomain(chainId: bigint, evidenceLog: string): ReceiptDomain {
  return {
    name: "JointLedger Anchor Receipt",
    version: "1",
    chainId: checkedChainId(chainId),
    verifyingContract: checkedAddress("evidenceLog", evidenceLog),
  };
}

/**
 * Signs one batch and returns it with a receipt for each record. The batch tree is built once
 * and shared by every proof: O(count) hashes for the tree, O(count log count) proof elements.
 */
export async function signReceiptBatch(
  signer: TypedDataSigner,
  domain: ReceiptDomain,
  input: ReceiptBatchInput,
): Promise<{ batch: SignedReceiptBatch; receipts: Receipt[] }> {
  const { batch, rangeHash } = await signReceiptBatchRoot(signer, domain, input);
  const hex =
    input.leafHashHex !== undefined && input.leafHashHex.length === input.leafHashes.length
      ? input.leafHashHex
      : undefined;
  return { batch, receipts: buildReceipts(batch, input.leafHashes, rangeHash, hex) };
}

/**
 * signReceiptBatch without building the receipts: the signed batch, and the batch tree (a
 * RangeHasher over the leaf hashes, filled) for whoever writes the receipts out.
 */
export async function signReceiptBatchRoot(
  signer: TypedDataSigner,
  domain: ReceiptDomain,
  input: ReceiptBatchInput,
): Promise<{ batch: SignedReceiptBatch; rangeHash: RangeHasher }> {
  const { logId, firstSequence, leafHashes, receivedAt, maxMergeDelaySeconds } = input;
  if (typeof logId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(logId) || /^0x0{64}$/.test(logId)) {
    throw new RangeError(`logId must be a non-zero 0x-prefixed bytes32, got ${String(logId)}`);
  }
  checkSafe("firstSequence", firstSequence);
  if (leafHashes.length === 0) throw new RangeError("a receipt batch needs at least one leaf hash");
  if (!fitsSafe(firstSequence, leafHashes.length)) {
    throw new RangeError(`sequences ${firstSequence} + ${leafHashes.length} records run past 2^53 - 1`);
  }
  checkSafe("receivedAt", receivedAt, MAX_RECEIVED_AT);
  checkSafe("maxMergeDelaySeconds", maxMergeDelaySeconds, MAX_UINT32);

  const rangeHash = input.rangeHash ?? memoRangeHasher(leafHashes); // checks every hash is 32 bytes
  const root = toHex(rangeHash(0, leafHashes.length)); // = rootFromLeafHashes, and fills the cache
  const unsigned = {
    logId: logId.toLowerCase(),
    firstSequence,
    count: leafHashes.length,
    root,
    receivedAt,
    maxMergeDelaySeconds,
  };
  const service = getAddress(await signer.getAddress());
  const signed = await signer.signTypedData(domain, TYPES, structOf(unsigned));
  const batch: SignedReceiptBatch = { ...unsigned, signature: signed, service };
  if (input.sm2PrivateKey !== undefined) {
    const message = receiptSm2Message(domain, unsigned);
    batch.sm2 = {
      publicKey: toHex(sm2.publicKeyOf(input.sm2PrivateKey)),
      signature: toHex(sm2.sign(input.sm2PrivateKey, message)),
    };
  }
  return { batch, rangeHash };
}

const SM2_MESSAGE_TAG = new TextEncoder().encode("JointLedger Anchor Receipt/SM2/1\0");

/**
 * What SM2 signs for a batch: the tag "JointLedger Anchor Receipt/SM2/1" and a zero byte, then
 * the domain's chain id (32 bytes) and EvidenceLog (20), then logId (32), firstSequence (8),
 * count (8), batch root (32), receivedAt (8), maxMergeDelaySeconds (4), all big-endian. No
 * Keccak: SM2 hashes it with SM3 after Z_A.
 */
export function receiptSm2Message(
  domain: ReceiptDomain,
  b: Omit<SignedReceiptBatch, "signature" | "service" | "sm2">,
): Uint8Array {
  const out = new Uint8Array(SM2_MESSAGE_TAG.length + 32 + 20 + 32 + 8 + 8 + 32 + 8 + 4);
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  const uint = (value: number | bigint, bytes: number) => {
    const hex = BigInt(value)
      .toString(16)
      .padStart(bytes * 2, "0");
    if (hex.length > bytes * 2) throw new RangeError(`${String(value)} does not fit ${bytes} bytes`);
    put(fromHex(`0x${hex}`));
  };
  put(SM2_MESSAGE_TAG);
  uint(BigInt(domain.chainId), 32);
  put(fromHex(domain.verifyingContract));
  put(fromHex(b.logId));
  uint(b.firstSequence, 8);
  uint(b.count, 8);
  put(fromHex(b.root));
  uint(b.receivedAt, 8);
  view.setUint32(at, b.maxMergeDelaySeconds);
  return out;
}

/**
 * Re-issues the receipts of a stored batch from its leaf hashes (a client retrying a request it
 * lost the reply to gets the same receipts). Throws if the leaf hashes are not the batch's.
 */
export function receiptsOf(batch: SignedReceiptBatch, leafHashes: readonly Uint8Array[]): Receipt[] {
  if (leafHashes.length !== batch.count) {
    throw new RangeError(`batch has ${batch.count} records, got ${leafHashes.length} leaf hashes`);
  }
  const rangeHash = memoRangeHasher(leafHashes);
  if (toHex(rangeHash(0, leafHashes.length)) !== batch.root.toLowerCase()) {
    throw new RangeError(`leaf hashes do not hash to the batch root ${batch.root}`);
  }
  return buildReceipts(batch, leafHashes, rangeHash);
}

/**
 * Verifies one receipt alone: its form, that its leaf hash is at its sequence in the batch tree,
 * and that the batch is signed by receipt.service.address (and that this is expectedService, if
 * given) under `domain`. Never throws for a bad receipt: it arrives from outside.
 */
export function verifyReceipt(
  domain: ReceiptDomain,
  receipt: unknown,
  expectedService?: string,
  /** The service's SM2 public key (0x04 ‖ x ‖ y): the receipt must then carry its valid SM2 signature. */
  expectedSm2Key?: string,
): ReceiptVerification {
  const rule: Sm2Rule | undefined =
    expectedSm2Key === undefined
      ? undefined
      : (carried) =>
          carried === undefined
            ? fail("RECEIPT_BAD_SIGNATURE", "the receipt carries no SM2 signature, and one is required")
            : carried.toLowerCase() !== expectedSm2Key.toLowerCase()
              ? fail("RECEIPT_WRONG_SERVICE", `SM2-signed by ${carried}, expected ${expectedSm2Key}`)
              : undefined;
  return checkReceipt(domain, receipt, expectedService, rule);
}

/** verifyReceipt's checks, the receipt's SM2 part judged by `sm2Rule` (none: any SM2 part, or none). */
function checkReceipt(
  domain: ReceiptDomain,
  receipt: unknown,
  expectedService: string | undefined,
  sm2Rule: Sm2Rule | undefined,
): ReceiptVerification {
  const expected =
    expectedService === undefined ? undefined : checkedAddress("expectedService", expectedService);
  const parsed = ReceiptSchema.safeParse(receipt);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail("RECEIPT_MALFORMED", `${issue.path.join(".") || "receipt"}: ${issue.message}`);
  }
  const r = parsed.data;

  const receivedAtMs = Date.parse(r.receivedAt);
  if (!Number.isFinite(receivedAtMs) || receivedAtMs < 0 || receivedAtMs % 1000 !== 0) {
    return fail("RECEIPT_MALFORMED", `receivedAt ${r.receivedAt} is not a whole second at or after 1970`);
  }
  let service: string;
  try {
    service = getAddress(r.service.address);
  } catch {
    return fail("RECEIPT_MALFORMED", `service.address ${r.service.address} has an invalid EIP-55 checksum`);
  }
  const sig = parseSignature(r.batch.signature);
  if (typeof sig === "string") return fail("RECEIPT_MALFORMED", `batch.signature ${sig}`);

  const { firstSequence, count: size } = r.batch;
  if (!fitsSafe(firstSequence, size)) {
    return fail("RECEIPT_MALFORMED", "batch.firstSequence + batch.count overflows 2^53");
  }
  const index = r.sequence - firstSequence;
  if (index < 0 || index >= size) {
    return fail(
      "RECEIPT_BAD_SEQUENCE",
      `sequence ${r.sequence} is outside the batch [${firstSequence}, ${firstSequence + size})`,
    );
  }
  if (!verifyInclusion(index, size, fromHex(r.leafHash), r.proof.map(fromHex), fromHex(r.batch.root))) {
    return fail("RECEIPT_BAD_PROOF", `proof does not place leafHash at index ${index} of the batch root`);
  }
  if (expected !== undefined && service !== expected) {
    return fail("RECEIPT_WRONG_SERVICE", `signed by ${service}, expected ${expected}`);
  }

  const signed = {
    logId: r.logId,
    firstSequence,
    count: size,
    root: r.batch.root,
    receivedAt: receivedAtMs / 1000,
    maxMergeDelaySeconds: r.maxMergeDelaySeconds,
  };
  const { sm2: sm2Part } = r.batch;
  // a request's receipts share one batch: its signatures are checked once, not once per record
  const batchKey = [
    domain.name,
    domain.version,
    String(domain.chainId),
    String(domain.verifyingContract).toLowerCase(),
    signed.logId.toLowerCase(),
    firstSequence,
    size,
    signed.root.toLowerCase(),
    signed.receivedAt,
    signed.maxMergeDelaySeconds,
    service,
    r.batch.signature.toLowerCase(),
    sm2Part?.publicKey.toLowerCase() ?? "",
    sm2Part?.signature.toLowerCase() ?? "",
  ].join("|");
  const known = VERIFIED_BATCHES.has(batchKey);
  if (!known) {
    if (!signedBy(typedDataHash(domain, TYPES, structOf(signed)), sig, service)) {
      return fail(
        "RECEIPT_BAD_SIGNATURE",
        `batch.signature is not ${service}'s signature of this batch under this domain`,
      );
    }
  }
  const refused = sm2Rule?.(sm2Part?.publicKey, signed.receivedAt);
  if (refused !== undefined) return refused;
  if (sm2Part === undefined) {
    rememberVerified(batchKey);
    return { ok: true };
  }
  if (
    !known &&
    !sm2.verify(fromHex(sm2Part.publicKey), receiptSm2Message(domain, signed), fromHex(sm2Part.signature))
  ) {
    return fail(
      "RECEIPT_BAD_SIGNATURE",
      `batch.sm2.signature is not an SM2 signature of this batch by ${sm2Part.publicKey} (user id 1234567812345678)`,
    );
  }
  rememberVerified(batchKey);
  return { ok: true };
}

/** Batches whose signatures verified, keyed by everything the checks read; the least recently verified forgotten first. */
const VERIFIED_BATCHES = new BoundedMap<string, true>(4096, "recent-use");

function rememberVerified(batchKey: string): void {
  VERIFIED_BATCHES.set(batchKey, true);
}

/**
 * verifyReceipt, with the SM2 key bound by governance: `governed` is what the governed member
 * directory binds to the log's operating member — its key (in force for every receipt), its keys
 * each with the period it was in force (a rotation), or undefined (none). The receipt is judged
 * by the key in force at its receivedAt: an SM2 signature under any other key, a rotated-out key
 * included, fails RECEIPT_SM2_KEY_NOT_GOVERNED, however valid; with a key in force, a receipt
 * without an SM2 signature under it fails too (stripping it is no way around the binding).
 */
export function verifyGovernedReceipt(
  domain: ReceiptDomain,
  receipt: unknown,
  expectedService: string | undefined,
  governed: string | readonly GovernedSm2Key[] | undefined,
): ReceiptVerification {
  const keys: readonly GovernedSm2Key[] =
    typeof governed === "string" ? [{ publicKey: governed }] : (governed ?? []);
  return checkReceipt(domain, receipt, expectedService, (carried, receivedAt) => {
    const inForce = governedSm2KeyAt(keys, receivedAt);
    if (carried === undefined)
      return inForce === undefined
        ? undefined
        : fail(
            "RECEIPT_BAD_SIGNATURE",
            `the receipt carries no SM2 signature, and the governed SM2 receipt key ${inForce.publicKey} was in force at its receivedAt`,
          );
    if (carried.toLowerCase() === inForce?.publicKey.toLowerCase()) return undefined;
    const other = keys.find((k) => k.publicKey.toLowerCase() === carried.toLowerCase());
    return fail(
      "RECEIPT_SM2_KEY_NOT_GOVERNED",
      other !== undefined
        ? `SM2-signed by ${carried}, a governed SM2 receipt key in force ${periodText(other)}, not at the receipt's receivedAt ${isoSeconds(receivedAt)}`
        : inForce === undefined
          ? `SM2-signed by ${carried}, but the governed member directory binds no SM2 receipt key to the log's operator${keys.length === 0 ? "" : ` at the receipt's receivedAt ${isoSeconds(receivedAt)}`}`
          : `SM2-signed by ${carried}, not by ${inForce.publicKey}, the SM2 receipt key the governed member directory binds to the log's operator`,
    );
  });
}

const inPeriod = (key: GovernedSm2Key, at: number): boolean =>
  (key.validFrom === undefined || at >= key.validFrom) &&
  (key.validUntil === undefined || at < key.validUntil);

/** The key of `keys` in force at unix second `at`, or undefined: none. */
export const governedSm2KeyAt = (keys: readonly GovernedSm2Key[], at: number): GovernedSm2Key | undefined =>
  keys.find((k) => inPeriod(k, at));

const periodText = (key: GovernedSm2Key): string =>
  `from ${key.validFrom === undefined ? "the start" : isoSeconds(key.validFrom)} until ${key.validUntil === undefined ? "now" : isoSeconds(key.validUntil)}`;

/** The `batch` part of each receipt of a signed batch (a fresh object: a caller editing one must not change the others). */
export function receiptBatchPart(batch: SignedReceiptBatch): Receipt["batch"] {
  return {
    firstSequence: batch.firstSequence,
    count: batch.count,
    root: batch.root,
    signature: batch.signature,
    ...(batch.sm2 === undefined ? {} : { sm2: { ...batch.sm2 } }),
  };
}

/** Unix seconds as ISO 8601 UTC without fractional seconds: "2025-06-01T08:30:00Z". */
export function isoSeconds(unixSeconds: number): string {
  checkSafe("unixSeconds", unixSeconds, MAX_RECEIVED_AT);
  return new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

function buildReceipts(
  batch: SignedReceiptBatch,
  leafHashes: readonly Uint8Array[],
  rangeHash: RangeHasher,
  leafHex?: readonly string[],
): Receipt[] {
  const size = leafHashes.length;
  // Very large batches (keys below would overflow) take the generic path.
  if (size >= 67_108_864) return buildReceiptsGeneric(batch, leafHashes, rangeHash);
  const receivedAt = isoSeconds(batch.receivedAt);
  // Each node appears in many proofs; convert it to hex once, keyed by its range. The nodes are
  // inclusionProof's (inclusionPath, ../merkle/rfc9162.ts), over hex instead of bytes.
  const hexOf = new Map<number, string>();
  const stride = size + 1;
  const nodeHex = (begin: number, end: number): string => {
    if (end - begin === 1 && leafHex !== undefined) return leafHex[begin]!;
    const key = begin * stride + end;
    let hex = hexOf.get(key);
    if (hex === undefined) {
      hex = toHex(rangeHash(begin, end));
      hexOf.set(key, hex);
    }
    return hex;
  };
  const receipts = new Array<Receipt>(size);
  const begins = new Float64Array(64);
  const ends = new Float64Array(64);
  for (let i = 0; i < size; i++) {
    const n = inclusionPath(i, size, begins, ends);
    const proof = new Array<string>(n);
    for (let p = 0; p < n; p++) proof[p] = nodeHex(begins[n - 1 - p]!, ends[n - 1 - p]!);
    receipts[i] = {
      leafHash: leafHex !== undefined ? leafHex[i]! : toHex(leafHashes[i]!),
      sequence: batch.firstSequence + i,
      logId: batch.logId,
      receivedAt,
      maxMergeDelaySeconds: batch.maxMergeDelaySeconds,
      batch: receiptBatchPart(batch),
      proof,
      service: { address: batch.service },
    };
  }
  return receipts;
}

function buildReceiptsGeneric(
  batch: SignedReceiptBatch,
  leafHashes: readonly Uint8Array[],
  rangeHash: RangeHasher,
): Receipt[] {
  const receivedAt = isoSeconds(batch.receivedAt);
  // Each interior node appears in many proofs; convert it to hex once, not once per proof.
  // The wrapper hands out one shared instance per node, so its identity keys the hex.
  const nodes = new Map<string, Uint8Array>();
  const hexOf = new Map<Uint8Array, string>();
  const sharedRangeHash: RangeHasher = (begin, end) => {
    const key = `${begin}:${end}`;
    let node = nodes.get(key);
    if (node === undefined) {
      node = rangeHash(begin, end);
      nodes.set(key, node);
      hexOf.set(node, toHex(node));
    }
    return node;
  };
  const receipts = new Array<Receipt>(leafHashes.length);
  for (let i = 0; i < leafHashes.length; i++) {
    receipts[i] = {
      leafHash: toHex(leafHashes[i]!),
      sequence: batch.firstSequence + i,
      logId: batch.logId,
      receivedAt,
      maxMergeDelaySeconds: batch.maxMergeDelaySeconds,
      batch: receiptBatchPart(batch),
      proof: inclusionProof(i, batch.count, sharedRangeHash).map((node) => hexOf.get(node)!),
      service: { address: batch.service },
    };
  }
  return receipts;
}

function structOf(b: Omit<SignedReceiptBatch, "signature" | "service">) {
  return {
    logId: b.logId,
    firstSequence: b.firstSequence,
    count: b.count,
    batchRoot: b.root,
    receivedAt: b.receivedAt,
    maxMergeDelaySeconds: b.maxMergeDelaySeconds,
  };
}

function checkSafe(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

/** Whether [first, first + count) stays within safe integers; no float addition, which rounds there. */
function fitsSafe(first: number, count: number): boolean {
  return first <= Number.MAX_SAFE_INTEGER - (count - 1);
}

function fail(code: ReceiptFailureCode, reason: string): ReceiptVerification {
  return { ok: false, code, reason };
}
