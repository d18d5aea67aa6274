// Step 2 of the loan road: the borrower's signed authorization letter is stored encrypted and
// anchored as consent evidence, then the credit bureau is queried under it (bureau/consent.ts:
// no anchored consent, no query; the query itself anchored too).
import { createHash } from "node:crypto";
import type { Actor } from "./actor.ts";
import type { ApplicationStore } from "./applications.ts";
import type { BureauPurpose } from "./bureau/bureau.ts";
import { queryWithConsent, recordConsent, type ConsentDeps, type CreditQueryDeps } from "./bureau/consent.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { nodeError } from "./errors.ts";
import { Room } from "./room.ts";

export type CreditQueriesDeps = {
  memberId: number;
  applications: ApplicationStore;
  documents: DocumentStore;
  consent: ConsentDeps;
  creditQuery: CreditQueryDeps;
};

export class CreditQueries extends Room<CreditQueriesDeps> {
  async recordConsent(
    actor: Actor,
    input: {
      applicationId: string;
      letterBase64: string;
      signedAt: string;
      validUntil: string;
      scope: BureauPurpose[];
    },
  ) {
    const stored = await this.deps.applications.get(input.applicationId);
    const letter = Buffer.from(input.letterBase64, "base64");
    const letterDigest = `0x${createHash("sha256").update(letter).digest("hex")}`;
    // the consent is checked (dates, scope, an earlier letter) before the letter is stored; a retry after a crash in between is idempotent
    if (letter.length === 0)
      throw nodeError(
        "NODE_ERR_VALIDATION",
        "letterBase64 holds no bytes; send the signed authorization letter",
      );
    const consent = await recordConsent(
      {
        borrowerKey: stored.borrowerKey,
        letterDigest,
        signedAt: input.signedAt,
        validUntil: input.validUntil,
        scope: input.scope,
      },
      this.deps.consent,
    );
    const document = await this.deps.documents.put({
      kind: "authorization",
      bytes: letter,
      owner: this.deps.memberId,
      meta: { applicationId: stored.applicationId, storedBy: actor.userId },
    });
    return {
      documentId: document.documentId,
      letterDigest,
      consent: { leafHash: consent.anchor.leafHash, sequence: consent.anchor.sequence },
    };
  }

  async query(actor: Actor, input: { applicationId: string; purpose: BureauPurpose }) {
    const stored = await this.deps.applications.get(input.applicationId);
    return queryWithConsent(
      { borrowerKey: stored.borrowerKey, purpose: input.purpose, operator: actor.userId },
      this.deps.creditQuery,
    );
  }
}
