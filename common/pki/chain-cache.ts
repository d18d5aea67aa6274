// A bounded cache of certificate-chain validations. Every RFC 3161 token from one TSA carries the
// same certificate chain, and re-validating it (pkijs path building and signatures) was most of a
// token's verification cost. A success is remembered per (chain bytes, trust-anchor set, time
// bucket); failures are never remembered. A hit still requires the time asked about to lie
// within every certificate's validity on the validated path, so a cached success cannot let an
// expired or not-yet-valid certificate pass; outside it, the chain is validated again and fails
// as it would have. The bucket makes a chain be validated afresh at least once per bucket.
import { createHash } from "node:crypto";
import type { Certificate } from "pkijs";
import { BoundedMap } from "../bounded-map.ts";
import { verifyChain, type TrustAnchors } from "./trust-anchors.ts";

/** What validates a chain: `verifyChain`'s signature (tests inject a counting one). */
export type ChainValidator = (
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: TrustAnchors,
  at: Date,
) => Promise<Certificate[]>;

export type ChainCacheOptions = {
  /** Entries kept, least recently used evicted first. */
  maxEntries?: number;
  /** Width of a validation-time bucket in milliseconds. */
  bucketMs?: number;
  validate?: ChainValidator;
};

type Entry = { path: Certificate[]; notBefore: number; notAfter: number };

export class ChainCache {
  readonly #bucketMs: number;
  readonly #validate: ChainValidator;
  readonly #entries: BoundedMap<string, Entry>;
  // The anchors' fingerprint, computed once per (immutable) TrustAnchors object.
  readonly #anchorIds = new WeakMap<TrustAnchors, string>();
  hits = 0;
  misses = 0;

  constructor(opts: ChainCacheOptions = {}) {
    this.#entries = new BoundedMap(opts.maxEntries ?? 32, "recent-use");
    this.#bucketMs = opts.bucketMs ?? 3_600_000;
    this.#validate = opts.validate ?? verifyChain;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** As `verifyChain`: the validated path, leaf first, or the validator's PkiError. */
  async verify(
    leaf: Certificate,
    intermediates: readonly Certificate[],
    anchors: TrustAnchors,
    at: Date,
  ): Promise<Certificate[]> {
    const key = `${this.#anchorsId(anchors)}:${chainId(leaf, intermediates)}:${Math.floor(at.getTime() / this.#bucketMs)}`;
    // peeked: an entry outside its validity window is not used, so it is not a use
    const cached = this.#entries.peek(key);
    const t = at.getTime();
    if (cached !== undefined && t >= cached.notBefore && t <= cached.notAfter) {
      this.hits++;
      this.#entries.set(key, cached);
      return [...cached.path];
    }
    this.misses++;
    const path = await this.#validate(leaf, intermediates, anchors, at);
    const window = [leaf, ...path];
    this.#entries.set(key, {
      path,
      notBefore: Math.max(...window.map((c) => c.notBefore.value.getTime())),
      notAfter: Math.min(...window.map((c) => c.notAfter.value.getTime())),
    });
    return [...path];
  }

  clear(): void {
    this.#entries.clear();
    this.hits = 0;
    this.misses = 0;
  }

  #anchorsId(anchors: TrustAnchors): string {
    let id = this.#anchorIds.get(anchors);
    if (id === undefined) {
      id = digestOf(anchors.roots);
      this.#anchorIds.set(anchors, id);
    }
    return id;
  }
}

function chainId(leaf: Certificate, intermediates: readonly Certificate[]): string {
  return digestOf([leaf, ...intermediates]);
}

/** A certificate's identity for caches: the digest below, of it alone. */
export function certificateId(cert: Certificate): string {
  return digestOf([cert]);
}

/**
 * SHA-256 over each certificate's parts as parsed — its to-be-signed bytes as received, its
 * signature algorithm and its signature — each length-prefixed so that no two lists collide.
 * Re-encoding a parsed certificate (toSchema) parses its TBS again, which cost more than the rest
 * of a cached verification.
 */
function digestOf(certs: readonly Certificate[]): string {
  const hash = createHash("sha256");
  const update = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const cert of certs) {
    update(cert.tbsView);
    update(Buffer.from(cert.signatureAlgorithm.algorithmId, "utf8"));
    update(cert.signatureValue.valueBlock.valueHexView);
  }
  return hash.digest("hex");
}

/** The cache `verifyTimestampToken` uses by default (one per process or worker thread). */
export const tsaChainCache = new ChainCache();
