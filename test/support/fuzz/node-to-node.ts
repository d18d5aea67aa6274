// Node-to-node requests under route fuzzing: whom a signed request is addressed to (the node under
// test, the service form without a target, another member's node, or a hostile x-jl-target), and
// the chain-key signatures that address them. (No describe/it here: Hardhat mocha loads it like a test.)
import fc from "fast-check";
import { requestDomain, signRequest, TARGET_HEADER } from "../../../common/auth/request-signing.ts";
import { walletOf, type ConsortiumChain } from "../consortium-chain.ts";
import { hostileString } from "./hostile.ts";

/** Signed for another member's node. */
export type OtherMember = { kind: "other"; member: number };
/** Signed for the node under test, then its x-jl-target header replaced by `value`. */
export type HostileTarget = { kind: "header"; value: string };
/** Whom a fuzzed request is signed for: the node under test (`this`), no target (`service`), or as above. */
export type Addressee = { kind: "this" | "service" } | OtherMember | HostileTarget;

/** A fuzzed node-to-node request: its url and body, a content type, who signs it, for whom, and junk headers. */
export type NodeRequestCase<Signer, Target> = {
  url: string;
  body: string | Buffer;
  type: string | undefined;
  signer: Signer;
  target: Target;
  headers: Record<string, string>;
};

/** One of `members`, or an id no member has. */
export const otherMember = (members: number[]): fc.Arbitrary<OtherMember> =>
  fc.constantFrom(...members, 0xffff_ffff).map((member): OtherMember => ({ kind: "other", member }));

/** `lookAlikes` of the right member id, or any hostile text. */
export const hostileTarget = (lookAlikes: string[]): fc.Arbitrary<HostileTarget> =>
  fc
    .oneof(fc.constantFrom(...lookAlikes), hostileString)
    .map((value): HostileTarget => ({ kind: "header", value }));

/**
 * Signs fuzzed requests for the node of member `self` on the chain `chain()` returns (once its
 * suite has started it): `who` is a role `walletOf` knows, `none` (no signature) or `expired`
 * (`expiredBy`'s signature, expired five seconds ago); `to` says whom the request is for (default:
 * the node under test).
 */
export function nodeSigner(chain: () => ConsortiumChain, self: number, expiredBy: string) {
  return async (
    who: string,
    method: string,
    url: string,
    body: string | Buffer,
    to: Addressee = { kind: "this" },
  ): Promise<Record<string, string>> => {
    if (who === "none") return {};
    const target = to.kind === "other" ? to.member : to.kind === "service" ? undefined : self;
    const request = { method, path: url, body, ...(target === undefined ? {} : { target }) };
    const domain = requestDomain(chain().chainId, chain().deployment.addresses.consortiumRegistry);
    const headers =
      who === "expired"
        ? await signRequest(walletOf(chain(), expiredBy), domain, request, {
            expiresAt: Math.floor(Date.now() / 1000) - 5,
          })
        : await signRequest(walletOf(chain(), who), domain, request);
    return to.kind === "header" ? { ...headers, [TARGET_HEADER]: to.value } : headers;
  };
}
