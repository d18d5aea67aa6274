// Requests from other members' nodes (forwarded applications, loan agreements, a court's
// document fetch), signed with their operations keys in the node-to-node form of
// common/auth/request-signing.ts, checked in three steps so that a caller who fails a cheap
// check never has its body read (the HTTP layer runs the first two as the request arrives):
//   1. signedHeaders, from the headers alone: form, time window, the target (this node's member),
//      and the named signer an operations key of an active member of the route's kind (its
//      governance and log-operator keys sign nothing between nodes);
//   2. signedBody, once the body is read and before it is parsed: the EIP-712 signature over
//      method, path, the body's SHA-256, nonce, expiry and target (checked against the signer's
//      key once it has been recovered for an earlier request: the same answer, a fraction of the cost);
//   3. verify, by the operation once its own checks hold: the nonce spent (a replay is refused),
//      so a refused request writes nothing.
import type { Sublevel } from "../../common/level.ts";
import {
  AuthError,
  bodyHashOf,
  completeVerification,
  nonceKey,
  prepareVerification,
  requestDomain,
  signedByNamedSigner,
  type PendingVerification,
  type ReceivedRequest,
} from "../../common/auth/request-signing.ts";
import type { ConsortiumRegistry } from "../../common/chain/generated/contracts.ts";
import { AccountRole } from "../../common/consortium/members.ts";
import { nodeError } from "./errors.ts";
import { KIND_NAMES } from "./members.ts";
import { Room } from "./room.ts";

/** A request from another member's node, as received (raw body for the signature). */
export type SignedNodeRequest = ReceivedRequest;

/**
 * A node-to-node request whose headers passed (step 1): what is known before its body is read.
 * The signature over the body is checked next (step 2); the operation spends the nonce (step 3).
 */
export type SignedHeaders = {
  pending: PendingVerification;
  kind: number;
  memberId: number;
  bodyVerified: boolean;
};

export type NodeRequestsDeps = {
  memberId: number;
  /** ConsortiumRegistry (read-only): the signer's account and member. */
  registry: ConsortiumRegistry;
  /** The chain's id (signed requests are bound to it). */
  chainId: () => Promise<bigint>;
  /** Nonces of signed requests already served, remembered until they expire (keys.ts: request-nonces). */
  nonces: Sublevel<string, string>;
};

/** The SignedHeaders this node's signedHeaders made: the operations take one of these, or a raw request they verify themselves. */
const issuedHeaders = new WeakSet<SignedHeaders>();

/** How often served node-to-node requests trigger a sweep of expired nonces. */
const NONCE_SWEEP_INTERVAL_MS = 10 * 60_000;
/**
 * A nonce is swept this long after its request expired: a replay checked its expiry moments
 * before its nonce lookup, and must not find the nonce swept in between.
 */
const NONCE_SWEEP_SLACK_S = 60;

const ACTIVE = 1;
const EMPTY_BODY = new Uint8Array(0);

/**
 * Members' kinds, each read once: the registry sets a member's kind when it adds the member and
 * never changes it. 0 (no such member yet) is read again, as it may be added later.
 */
export class MemberKinds {
  readonly #known = new Map<number, number>();
  readonly #read: (memberId: number) => Promise<number>;

  constructor(read: (memberId: number) => Promise<number>) {
    this.#read = read;
  }

  async of(memberId: number): Promise<number> {
    const known = this.#known.get(memberId);
    if (known !== undefined) return known;
    const kind = await this.#read(memberId);
    if (kind !== 0) this.#known.set(memberId, kind);
    return kind;
  }
}

export class NodeRequests extends Room<NodeRequestsDeps> {
  /**
   * Nonce keys of signed requests between their replay check and their durable write: claimed
   * before any await, so of identical requests arriving together exactly one gets through.
   */
  readonly #claimedNonces = new Set<string>();
  /** Signers' members' kinds (the status and the key's role are read fresh for every request). */
  readonly #kinds = new MemberKinds(async (memberId) =>
    Number((await this.deps.registry.profileOf(memberId))[0]),
  );
  /** When expired nonces were last swept (ms; 0: not yet), and the sweep under way. */
  #noncesSweptAt = 0;
  #nonceSweep: Promise<number> | undefined;

  /** Step 1: the headers, for a signer of an active member of `kind`. */
  async signedHeaders(
    request: Pick<SignedNodeRequest, "method" | "path" | "headers">,
    kind: number,
  ): Promise<SignedHeaders> {
    const domain = requestDomain(await this.deps.chainId(), await this.deps.registry.getAddress());
    const pending = prepareVerification(
      domain,
      { ...request, rawBody: EMPTY_BODY },
      { now: Math.floor(Date.now() / 1000), maxTtlSeconds: 300, requireTarget: true },
    );
    const target = pending.value.target!;
    // a request signed for another member's node is not this node's to serve
    if (target !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_WRONG_TARGET",
        `this request is signed for member ${target}'s node; this is member ${this.deps.memberId}'s`,
        { target, member: this.deps.memberId },
      );
    }
    const kindName = KIND_NAMES[kind] ?? `kind ${kind}`;
    const [memberId, status, role] = await this.deps.registry.accountOf(pending.signer);
    const actual = await this.#kinds.of(Number(memberId));
    if (Number(status) !== ACTIVE || actual !== kind)
      throw nodeError("NODE_ERR_ROLE", `${pending.signer} is not an account of an active ${kindName} member`);
    if (Number(role) !== AccountRole.Operations)
      throw nodeError(
        "NODE_ERR_ROLE",
        `${pending.signer} is not one of member ${memberId}'s operations keys; node-to-node requests are signed with the node's operations key`,
      );
    const headers: SignedHeaders = { pending, kind, memberId: Number(memberId), bodyVerified: false };
    issuedHeaders.add(headers);
    return headers;
  }

  /** Step 2: the named signer's signature over the exact body bytes (AUTH_BAD_SIGNATURE otherwise). */
  signedBody(headers: SignedHeaders, rawBody: Uint8Array): void {
    const pending = {
      ...headers.pending,
      value: { ...headers.pending.value, bodyHash: bodyHashOf(rawBody) },
    };
    // a member's node calls again and again: its key, once recovered, checks the next signature
    completeVerification(pending, signedByNamedSigner(pending) ? pending.signer : "");
    headers.bodyVerified = true;
  }

  /**
   * Step 3, for an operation: the caller, its nonce spent — headers this node checked for `kind`
   * (steps 1 and 2 done as the request arrived), or a raw request checked here in full.
   */
  async verify(
    caller: SignedNodeRequest | SignedHeaders,
    kind: number,
  ): Promise<{ signer: string; memberId: number }> {
    if (issuedHeaders.has(caller as SignedHeaders)) {
      const headers = caller as SignedHeaders;
      if (headers.kind !== kind)
        throw nodeError(
          "NODE_ERR_ROLE",
          `${headers.pending.signer} is not an account of an active ${KIND_NAMES[kind] ?? `kind ${kind}`} member`,
        );
      return this.#spendNonce(headers);
    }
    const request = caller as SignedNodeRequest;
    const headers = await this.signedHeaders(request, kind);
    this.signedBody(headers, request.rawBody);
    return this.#spendNonce(headers);
  }

  /**
   * The nonce, refused a second time. Remembered only for a request a member signed (any key can
   * sign, and strangers must not fill the store).
   */
  async #spendNonce(headers: SignedHeaders): Promise<{ signer: string; memberId: number }> {
    if (!headers.bodyVerified)
      throw new AuthError("AUTH_BAD_SIGNATURE", "the signature over the body was not checked");
    const { signer, nonce, expiresAt } = headers.pending;
    const key = Buffer.from(nonceKey(signer, nonce)).toString("hex");
    // Check and claim with no await in between, then the durable check and write: identical
    // requests arriving together would otherwise all pass the check before any write lands.
    const replay = () =>
      nodeError("NODE_ERR_AUTH", "this signed request was used before; sign it again with a new nonce");
    if (this.#claimedNonces.has(key)) throw replay();
    this.#claimedNonces.add(key);
    try {
      // expiry again, now: the sweep may drop the nonce of a request expired for NONCE_SWEEP_SLACK_S
      if (expiresAt < Math.floor(Date.now() / 1000))
        throw new AuthError(
          "AUTH_EXPIRED",
          `request expired at ${expiresAt} while it was being checked; sign it again`,
        );
      if ((await this.deps.nonces.get(key)) !== undefined) throw replay();
      await this.deps.nonces.put(key, String(expiresAt));
    } finally {
      // once written, the durable store refuses it
      this.#claimedNonces.delete(key);
    }
    // inside the request that triggers it, so its deletions belong to a request that spent a nonce
    if (Date.now() - this.#noncesSweptAt >= NONCE_SWEEP_INTERVAL_MS)
      await this.sweepExpiredNonces().catch(() => 0);
    return { signer, memberId: headers.memberId };
  }

  /**
   * Deletes the nonces of requests expired more than NONCE_SWEEP_SLACK_S ago (an expired request
   * is refused before its nonce is looked at, so they are no longer needed); the store would
   * otherwise grow with every request ever served. Runs in a request whose nonce was just
   * recorded, at most every NONCE_SWEEP_INTERVAL_MS. Returns how many it deleted.
   */
  async sweepExpiredNonces(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    if (this.#nonceSweep !== undefined) return this.#nonceSweep;
    this.#noncesSweptAt = Date.now();
    this.#nonceSweep = (async () => {
      const expired: string[] = [];
      for await (const [key, expiresAt] of this.deps.nonces.iterator())
        if (Number(expiresAt) + NONCE_SWEEP_SLACK_S < nowSeconds) expired.push(key);
      if (expired.length > 0)
        await this.deps.nonces.batch(expired.map((key) => ({ type: "del" as const, key })));
      return expired.length;
    })();
    try {
      return await this.#nonceSweep;
    } finally {
      this.#nonceSweep = undefined;
    }
  }
}
