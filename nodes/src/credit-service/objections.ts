// Credit objections (征信异议): a borrower disputes a credit query or an entry of the report it
// produced. The branch records the objection for one of its own anchored queries and sends it to
// the union's node (signed), which holds the report and accepts it only for a report it served
// that branch; the union's admin answers (upheld: the union's cached report is dropped, so the
// next query asks the bureau again; rejected). The objection is anchored at the branch, the answer
// at the union (kind Document, subject the borrower key); the texts themselves are kept only in
// each node's encrypted document store, their SHA-256 in the records. The branch learns the
// answer by asking the union when it lists its objections.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { toHex } from "../../../common/bytes.ts";
import { DigestAlgorithm, EvidenceKind, newSalt } from "../../../common/formats/leaf/leaf.ts";
import type { Actor } from "../actor.ts";
import type { ApplicationStore } from "../applications.ts";
import { bureauError } from "../bureau/bureau.ts";
import { canonicalJson } from "../bureau/canonical-json.ts";
import type { AnchorEvidence, AnchorRef, JsonSublevel, StoredQueryLog } from "../bureau/consent.ts";
import type { Now } from "../bureau/timers.ts";
import { systemNow } from "../bureau/timers.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import type { PeerNodes } from "../peers.ts";
import type { StoredUnionQueryLog, CachedReport } from "./union-credit.ts";
import { Room } from "../room.ts";

export const OBJECTION_OUTCOMES = ["upheld", "rejected"] as const;
export type ObjectionOutcome = (typeof OBJECTION_OUTCOMES)[number];

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
export const ObjectionIdSchema = z.string().regex(/^obj_[0-9a-f]{24}$/);

/** What the branch sends the union. */
export const ObjectionToUnionSchema = z.strictObject({
  objectionId: ObjectionIdSchema,
  borrowerKey: bytes32,
  reportDigest: bytes32,
  /** Which entry of the report is disputed ("the query itself", an account number, …). */
  entry: z.string().min(1).max(200),
  /** The borrower's objection, as written. */
  reason: z.string().min(1).max(4000),
  filedAt: z.iso.datetime({ offset: true }),
});
export type ObjectionToUnion = z.infer<typeof ObjectionToUnionSchema>;

/** The union's answer to an objection as the filing branch reads it, with its text. */
export const ObjectionAnswerSchema = z.object({
  outcome: z.enum(OBJECTION_OUTCOMES),
  answeredAt: z.string(),
  answeredBy: z.string(),
  answerDigest: z.string(),
  answerLeafHash: z.string(),
  answer: z.string(),
});
export type ObjectionAnswer = z.infer<typeof ObjectionAnswerSchema>;

/** The filed objection's ids, as both sides keep them (its texts are documents). */
type FiledObjection = Pick<ObjectionToUnion, "objectionId" | "borrowerKey" | "reportDigest">;

/** At the branch: by objection id. The texts are in the document store. */
export type BranchObjection = FiledObjection & {
  applicationId: string;
  queryLeafHash: string;
  filedBy: string;
  filedAt: string;
  documentId: string;
  digest: string;
  salt: string;
  anchor: AnchorRef;
  answer?: Omit<ObjectionAnswer, "answer"> & { documentId: string };
};

/** At the union: by objection id. */
export type UnionObjection = FiledObjection & {
  branch: number;
  receivedAt: string;
  documentId: string;
  answer?: Omit<ObjectionAnswer, "answer"> & { documentId: string; salt: string };
};

const DOCUMENT_KIND = "other";

async function anchorDocument(
  anchor: AnchorEvidence,
  digest: string,
  salt: string,
  borrowerKey: string,
  now: number,
): Promise<AnchorRef> {
  const [receipt] = await anchor([
    {
      kind: EvidenceKind.Document,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest,
      salt,
      subject: borrowerKey,
    },
  ]);
  if (receipt === undefined) throw new TypeError("the anchor returned no receipt");
  return { leafHash: receipt.leafHash, sequence: receipt.sequence, anchoredAt: new Date(now).toISOString() };
}

const sha256 = (text: string) => toHex(createHash("sha256").update(text, "utf8").digest());

// ---- the branch ----------------------------------------------------------------------------------

export type BranchObjectionsDeps = {
  memberId: number;
  applications: Pick<ApplicationStore, "get">;
  queryLogs: JsonSublevel<StoredQueryLog>;
  objections: JsonSublevel<BranchObjection>;
  documents: Pick<DocumentStore, "put" | "get">;
  anchor: AnchorEvidence;
  peers: Pick<PeerNodes, "call">;
  unionId: () => Promise<number | undefined>;
  now?: Now;
};

export class BranchObjections extends Room<BranchObjectionsDeps> {
  /** Files the borrower's objection to one of this branch's anchored queries: the union accepts it first, then it is stored and anchored here. */
  async file(
    actor: Actor,
    input: { applicationId: string; queryLeafHash: string; entry: string; reason: string },
  ): Promise<BranchObjection> {
    const stored = await this.deps.applications.get(input.applicationId);
    const borrowerKey = stored.borrowerKey.toLowerCase();
    const logs = await this.deps.queryLogs.values({ gt: `${borrowerKey}!`, lt: `${borrowerKey}!~` }).all();
    const query = logs.find((l) => l.anchor?.leafHash.toLowerCase() === input.queryLeafHash.toLowerCase());
    if (query === undefined)
      throw bureauError(
        "NODE_ERR_OBJECTION_UNKNOWN_QUERY",
        `no anchored credit query ${input.queryLeafHash} of this application's borrower at this node`,
      );
    const now = (this.deps.now ?? systemNow)();
    const filedAt = new Date(now).toISOString();
    const objectionId = `obj_${randomBytes(12).toString("hex")}`;
    const toUnion: ObjectionToUnion = {
      objectionId,
      borrowerKey,
      reportDigest: query.entry.reportDigest.toLowerCase(),
      entry: input.entry,
      reason: input.reason,
      filedAt,
    };
    const union = await this.#union();
    await this.deps.peers.call(union, "POST", "/v1/union/credit-objections", toUnion);
    const document = canonicalJson({
      ...toUnion,
      branch: this.deps.memberId,
      queryLeafHash: query.anchor!.leafHash,
      filedBy: actor.userId,
    });
    const { documentId } = await this.deps.documents.put({
      kind: DOCUMENT_KIND,
      bytes: new TextEncoder().encode(document),
      owner: this.deps.memberId,
      meta: { objectionId, applicationId: input.applicationId },
    });
    const digest = sha256(document);
    const salt = newSalt();
    const anchor = await anchorDocument(this.deps.anchor, digest, salt, borrowerKey, now);
    const objection: BranchObjection = {
      objectionId,
      applicationId: input.applicationId,
      borrowerKey,
      queryLeafHash: query.anchor!.leafHash,
      reportDigest: toUnion.reportDigest,
      filedBy: actor.userId,
      filedAt,
      documentId,
      digest,
      salt,
      anchor,
    };
    await this.deps.objections.put(objectionId, objection);
    return objection;
  }

  /** This branch's objections (of one application, if named), each unanswered one first asked of the union. */
  async list(actor: Actor, applicationId?: string): Promise<(BranchObjection & { answerText?: string })[]> {
    const all = (await this.deps.objections.values().all()).filter(
      (o) => applicationId === undefined || o.applicationId === applicationId,
    );
    const out: (BranchObjection & { answerText?: string })[] = [];
    for (const objection of all) {
      if (objection.answer === undefined) {
        const union = await this.#union();
        const seen = await this.deps.peers.call<{ answer?: ObjectionAnswer }>(
          union,
          "GET",
          `/v1/union/credit-objections/${objection.objectionId}`,
        );
        if (seen.answer !== undefined) {
          const { answer: text, ...answer } = seen.answer;
          if (sha256(text) !== answer.answerDigest)
            throw bureauError(
              "NODE_ERR_OBJECTION_NOT_FOUND",
              `the union's answer to ${objection.objectionId} does not match its digest`,
            );
          const { documentId } = await this.deps.documents.put({
            kind: DOCUMENT_KIND,
            bytes: new TextEncoder().encode(text),
            owner: this.deps.memberId,
            meta: { objectionId: objection.objectionId, answer: "union" },
          });
          objection.answer = { ...answer, documentId };
          await this.deps.objections.put(objection.objectionId, objection);
        }
      }
      const answerText =
        objection.answer === undefined
          ? undefined
          : new TextDecoder().decode(
              await this.deps.documents.get(objection.answer.documentId, {
                actor,
                purpose: "credit objection",
              }),
            );
      out.push(answerText === undefined ? objection : { ...objection, answerText });
    }
    return out;
  }

  async #union(): Promise<number> {
    const union = await this.deps.unionId();
    if (union === undefined)
      throw bureauError(
        "NODE_ERR_BUREAU_UNAVAILABLE",
        "the registry lists no active union: credit objections go to the union's node",
      );
    return union;
  }
}

// ---- the union -----------------------------------------------------------------------------------

export type UnionObjectionsDeps = {
  memberId: number;
  /** The union's credit-service logs and cache (union-credit.ts). */
  logs: JsonSublevel<StoredUnionQueryLog>;
  reports: JsonSublevel<CachedReport>;
  objections: JsonSublevel<UnionObjection>;
  documents: Pick<DocumentStore, "put" | "get">;
  anchor: AnchorEvidence;
  now?: Now;
};

export class UnionObjections extends Room<UnionObjectionsDeps> {
  /** Branch `branch`'s objection, for a report the union served it; verify() spends the request's nonce once the checks hold. Filing the same objection again answers it unchanged. */
  async receive(
    branch: number,
    body: ObjectionToUnion,
    verify: () => Promise<unknown>,
  ): Promise<{ objectionId: string; receivedAt: string }> {
    const borrowerKey = body.borrowerKey.toLowerCase();
    const served = (
      await this.deps.logs.values({ gt: `${borrowerKey}!`, lt: `${borrowerKey}!~` }).all()
    ).some((l) => l.entry.asker === branch && l.entry.reportDigest === body.reportDigest.toLowerCase());
    if (!served)
      throw bureauError(
        "NODE_ERR_OBJECTION_UNKNOWN_QUERY",
        `the union served member ${branch} no report ${body.reportDigest} of this borrower`,
      );
    const existing = await this.deps.objections.get(body.objectionId);
    if (existing !== undefined && existing.branch !== branch)
      throw bureauError("NODE_ERR_OBJECTION_ANSWERED", `objection ${body.objectionId} is another member's`);
    await verify();
    if (existing !== undefined) return { objectionId: existing.objectionId, receivedAt: existing.receivedAt };
    const receivedAt = new Date((this.deps.now ?? systemNow)()).toISOString();
    const { documentId } = await this.deps.documents.put({
      kind: DOCUMENT_KIND,
      bytes: new TextEncoder().encode(canonicalJson({ ...body, branch })),
      owner: this.deps.memberId,
      meta: { objectionId: body.objectionId, branch: String(branch) },
    });
    await this.deps.objections.put(body.objectionId, {
      objectionId: body.objectionId,
      branch,
      borrowerKey,
      reportDigest: body.reportDigest.toLowerCase(),
      receivedAt,
      documentId,
    });
    return { objectionId: body.objectionId, receivedAt };
  }

  /** The objection as the filing branch may see it, with the answer's text once answered. */
  async forBranch(
    branch: number,
    objectionId: string,
    verify: () => Promise<unknown>,
  ): Promise<{ objectionId: string; answer?: ObjectionAnswer }> {
    const objection = await this.deps.objections.get(objectionId);
    if (objection === undefined || objection.branch !== branch)
      throw bureauError(
        "NODE_ERR_OBJECTION_NOT_FOUND",
        `member ${branch} filed no objection ${objectionId} here`,
      );
    await verify();
    if (objection.answer === undefined) return { objectionId };
    const { documentId: answerDocument, salt: _salt, ...answer } = objection.answer;
    const text = new TextDecoder().decode(
      await this.deps.documents.get(answerDocument, {
        actor: { userId: `member-${branch}-node`, role: "approver", memberId: this.deps.memberId },
        purpose: "credit objection answer to its branch",
      }),
    );
    return { objectionId, answer: { ...answer, answer: text } };
  }

  /** Every objection at the union, the unanswered first, each with its texts. */
  async list(actor: Actor): Promise<(UnionObjection & { objection: unknown; answerText?: string })[]> {
    const all = await this.deps.objections.values().all();
    all.sort(
      (a, b) =>
        Number(a.answer !== undefined) - Number(b.answer !== undefined) ||
        a.receivedAt.localeCompare(b.receivedAt),
    );
    const read = async (id: string) =>
      new TextDecoder().decode(
        await this.deps.documents.get(id, { actor, purpose: "credit objection review" }),
      );
    return Promise.all(
      all.map(async (o) => ({
        ...o,
        objection: JSON.parse(await read(o.documentId)) as unknown,
        ...(o.answer === undefined ? {} : { answerText: await read(o.answer.documentId) }),
      })),
    );
  }

  /** The union admin's answer, anchored; upheld drops the union's cached report of the borrower so the next query asks the bureau again. */
  async answer(
    actor: Actor,
    objectionId: string,
    input: { outcome: ObjectionOutcome; answer: string },
  ): Promise<UnionObjection> {
    const objection = await this.deps.objections.get(objectionId);
    if (objection === undefined)
      throw bureauError("NODE_ERR_OBJECTION_NOT_FOUND", `no objection ${objectionId}`);
    if (objection.answer !== undefined)
      throw bureauError(
        "NODE_ERR_OBJECTION_ANSWERED",
        `objection ${objectionId} was answered at ${objection.answer.answeredAt} (${objection.answer.outcome})`,
      );
    const now = (this.deps.now ?? systemNow)();
    const answerDigest = sha256(input.answer);
    const salt = newSalt();
    const record = canonicalJson({
      objectionId,
      outcome: input.outcome,
      answerDigest,
      answeredBy: actor.userId,
      answeredAt: new Date(now).toISOString(),
    });
    const anchor = await anchorDocument(this.deps.anchor, sha256(record), salt, objection.borrowerKey, now);
    const { documentId } = await this.deps.documents.put({
      kind: DOCUMENT_KIND,
      bytes: new TextEncoder().encode(input.answer),
      owner: this.deps.memberId,
      meta: { objectionId, answer: input.outcome },
    });
    const answered: UnionObjection = {
      ...objection,
      answer: {
        outcome: input.outcome,
        answeredAt: anchor.anchoredAt,
        answeredBy: actor.userId,
        answerDigest,
        answerLeafHash: anchor.leafHash,
        documentId,
        salt,
      },
    };
    await this.deps.objections.put(objectionId, answered);
    if (input.outcome === "upheld") {
      const cached = await this.deps.reports.get(objection.borrowerKey);
      if (cached?.reportDigest === objection.reportDigest) await this.deps.reports.del(objection.borrowerKey);
    }
    return answered;
  }
}
