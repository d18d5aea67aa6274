// Reading documents (影像平台) through the API: one original for a purpose (decrypted per the
// role policy, every access logged: documents/), a loan's records, and the export of a case's
// documents to the court member's node assigned to it (a signed node-to-node request).
import type { Actor } from "./actor.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { COURT } from "./members.ts";
import type { NodeRequests, SignedHeaders, SignedNodeRequest } from "./node-requests.ts";
import { Room } from "./room.ts";

export type DocumentAccessDeps = { documents: DocumentStore; requests: NodeRequests };

export class DocumentAccess extends Room<DocumentAccessDeps> {
  async document(actor: Actor, documentId: string, purpose: string): Promise<Uint8Array> {
    return this.deps.documents.get(documentId, { actor, purpose });
  }

  /** The loan's documents this caller may read (records only; reading one is logged). */
  async loanDocuments(actor: Actor, loanId: string) {
    return this.deps.documents.listByLoan(loanId.toLowerCase(), actor);
  }

  /**
   * A court member's node fetches a case's documents: the request is signed with the court's
   * chain key (EIP-712, nonce, expiry); the signer must be an active court member, and the
   * document store's policy lets it read only loans whose arbitration case is assigned to it.
   */
  async caseDocuments(request: SignedNodeRequest | SignedHeaders, loanId: string) {
    const { signer, memberId } = await this.deps.requests.verify(request, COURT);
    const actor: Actor = { userId: signer, role: "court-clerk", memberId };
    const documents = await this.deps.documents.exportCaseDocuments({ loanId: loanId.toLowerCase() }, actor);
    return {
      loanId: loanId.toLowerCase(),
      documents: documents.map((d) => ({
        documentId: d.documentId,
        kind: d.kind,
        sha256: d.sha256,
        bytesBase64: Buffer.from(d.bytes).toString("base64"),
      })),
    };
  }
}
