// A branch's side of the union's credit-query service: its credit-query step (bureau/consent.ts,
// queryWithConsent) sends the query to the union's node with the consent that permits it, as a
// signed node-to-node request, instead of to a bureau line of its own. The union answers with the
// report's bytes; the branch checks them against the digest the union logged, then stores and
// anchors its own query log exactly as a direct query would (so the decision's freshness check
// reads the same record either way).
import type { BureauQuery, BureauReport } from "../bureau/bureau.ts";
import { reportDigest } from "../bureau/bureau.ts";
import type { AnchorRef, StoredConsent } from "../bureau/consent.ts";
import { nodeError } from "../errors.ts";
import type { PeerNodes } from "../peers.ts";
import { summaryOf, type UnionCreditAnswer, type UnionCreditRequest } from "./union-credit.ts";

/** The union's route for branches' credit queries. */
export const UNION_CREDIT_QUERY_PATH = "/v1/union/credit-queries";

/** An anchored consent as a branch shows it to the union: its leaf and what the leaf commits to. */
export function consentReference(
  consent: StoredConsent & { anchor: AnchorRef },
): UnionCreditRequest["consent"] {
  return {
    leafHash: consent.anchor.leafHash,
    letterDigest: consent.letterDigest,
    salt: consent.salt,
    signedAt: consent.signedAt,
    validUntil: consent.validUntil,
    scope: consent.scope,
  };
}

/** queryWithConsent's `viaUnion`: the query, through the union's node (`unionId`, read from the registry). */
export function unionCreditQuery(peers: Pick<PeerNodes, "call">, unionId: () => Promise<number | undefined>) {
  return async (
    request: BureauQuery,
    consent: StoredConsent & { anchor: AnchorRef },
  ): Promise<BureauReport> => {
    const union = await unionId();
    if (union === undefined)
      throw nodeError(
        "NODE_ERR_PEER_UNAVAILABLE",
        "the registry lists no active union: credit queries go through the union's node",
      );
    const body: UnionCreditRequest = {
      borrowerKey: request.borrowerKey,
      purpose: request.purpose,
      operator: request.operator,
      consent: consentReference(consent),
    };
    const answer = await peers.call<UnionCreditAnswer>(union, "POST", UNION_CREDIT_QUERY_PATH, body);
    const raw = new Uint8Array(Buffer.from(String(answer.reportBase64), "base64"));
    if (reportDigest(raw) !== String(answer.reportDigest).toLowerCase()) {
      throw nodeError(
        "NODE_ERR_PEER_REFUSED",
        `the union's node answered a report whose SHA-256 is not the digest it logged (${String(answer.reportDigest)})`,
        { member: union, status: 200, code: null },
      );
    }
    const summary = summaryOf(raw);
    if (summary.borrowerKey !== request.borrowerKey)
      throw nodeError("NODE_ERR_PEER_REFUSED", "the union's node answered another borrower's report", {
        member: union,
        status: 200,
        code: null,
      });
    return { ...summary, raw };
  };
}
