// Who may read which document (README.md, "Who may read what"). One decision function, used
// for single reads, loan listings and court exports alike, so the three cannot disagree.
//
//   1. Staff of the owning member (clerk, approver, admin, court-clerk) read its documents.
//   2. A court clerk of another member reads a document only if it belongs to a loan and the
//      node says the loan is in a case assigned to that court (courtMayRead, from the chain
//      index) — and never a credit report: reports do not leave the node (征信业管理条例 Art. 18);
//      a court obtains them from the bureau.
//   3. Everyone else is refused: other members' staff never read each other's documents, even
//      for a loan they fund jointly (each member stores its own copies).

export const ROLES = ["clerk", "approver", "admin", "court-clerk"] as const;
export type Role = (typeof ROLES)[number];

export const DOCUMENT_KINDS = [
  "contract",
  "authorization",
  "voucher",
  "credit-report",
  "ruling",
  "other",
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Who is asking: a node user (pseudonymous staff id), their role, and their member's id. */
export type Actor = { userId: string; role: Role; memberId: number };

/** Decided by the node from its chain index: is `loanId` in a case assigned to this court? */
export type CourtMayRead = (courtMemberId: number, loanId: string) => Promise<boolean>;

export type RefusalReason =
  | "bad-actor" // actor missing or malformed
  | "no-purpose" // no purpose given
  | "not-found" // no such document
  | "other-member" // staff of a member that does not own the document
  | "no-loan" // a court clerk, and the document belongs to no loan
  | "credit-report-stays-in-node" // a court clerk, and the document is a credit report
  | "court-not-assigned" // a court clerk, and the loan is in no case assigned to that court
  | "court-check-failed" // courtMayRead threw: refused (fail closed)
  | "not-court"; // a court export asked by someone who is not a court clerk

export type AccessDecision =
  { granted: true; rule: "owner" | "court" } | { granted: false; reason: RefusalReason };

/** What the policy needs to know about a document. */
export type DocumentFacts = { kind: DocumentKind; owner: number; loanId?: string | undefined };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === "string" && (DOCUMENT_KINDS as readonly string[]).includes(value);
}

export function isMemberId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 0xffff_ffff;
}

/** A well-formed actor: non-empty userId (≤ 128 characters), a known role, a uint32 member id. */
export function isActor(value: unknown): value is Actor {
  if (typeof value !== "object" || value === null) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a.userId === "string" &&
    a.userId.length > 0 &&
    a.userId.length <= 128 &&
    isRole(a.role) &&
    isMemberId(a.memberId)
  );
}

/**
 * The decision for one actor and one document. `courtMayRead` is asked only when rule 2
 * applies; if it throws, the error propagates (the caller logs a refusal and fails closed).
 */
export async function decideAccess(
  actor: Actor,
  doc: DocumentFacts,
  courtMayRead: CourtMayRead,
): Promise<AccessDecision> {
  if (actor.memberId === doc.owner) return { granted: true, rule: "owner" };
  if (actor.role !== "court-clerk") return { granted: false, reason: "other-member" };
  if (doc.kind === "credit-report") return { granted: false, reason: "credit-report-stays-in-node" };
  if (doc.loanId === undefined) return { granted: false, reason: "no-loan" };
  return (await courtMayRead(actor.memberId, doc.loanId))
    ? { granted: true, rule: "court" }
    : { granted: false, reason: "court-not-assigned" };
}
