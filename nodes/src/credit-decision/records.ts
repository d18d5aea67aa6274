// Decision records: every credit decision — automatic or manual; approve, decline or refer — is
// one record (what it was made from as a digest, the policy version, the outcome, the reasons, who,
// when), anchored as evidence (kind CreditDecision, digest = SHA-256 of the record's canonical
// JSON, subject = the borrower key) before it is stored. A decline carries the notice the borrower
// is given. Records are never changed: a manual decision on a referred application is a new record.
import { createHash } from "node:crypto";
import type { Sublevel } from "../../../common/level.ts";
import { DigestAlgorithm, EvidenceKind, newSalt } from "../../../common/formats/leaf/leaf.ts";
import type { AnchorEvidence, AnchorRef } from "../bureau/consent.ts";
import { canonicalJson, type CanonicalValue } from "../bureau/canonical-json.ts";
import { nodeError } from "../errors.ts";
import { declineNotice, type DecisionOutcome, type DecisionReason } from "./engine.ts";

/** The record's content: what is hashed and anchored. */
export type DecisionContent = {
  applicationId: string;
  borrowerKey: string;
  outcome: DecisionOutcome;
  reasons: DecisionReason[];
  /** automatic: the engine's; manual: an approver's on a referred application. */
  mode: "automatic" | "manual";
  /** Who: the user who ran the engine, or the approver(s) of a manual decision (maker first). */
  decidedBy: string[];
  at: string;
  policyVersion: number;
  policyLeafHash: string;
  /** SHA-256 of the canonical JSON of everything the rules read (application, report figures, exposure, income). */
  inputsDigest: string;
  /** The anchored credit query whose report the decision read, and the consent it was made under. */
  queryLeafHash: string;
  consentLeafHash: string;
  /** The compared figures (decimal strings), for the approver and the court. */
  figures: Record<string, string | null>;
  /** The referral this manual decision answers. */
  answers?: string;
};

export type DecisionRecord = DecisionContent & {
  /** 0x SHA-256 of `document`: the record's id and its anchored digest. */
  decisionId: string;
  document: string;
  salt: string;
  anchor: AnchorRef;
  /** A decline's notice to the borrower. */
  notice?: ReturnType<typeof declineNotice>;
};

/** `d!decisionId` → the record; `a!applicationId!n` (n zero-padded, from 0) → decisionId: an application's decisions in order. */
export class DecisionRecords {
  readonly #db: Sublevel<string, DecisionRecord | string>;
  readonly #anchor: AnchorEvidence;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(db: Sublevel<string, DecisionRecord | string>, anchor: AnchorEvidence) {
    this.#db = db;
    this.#anchor = anchor;
  }

  /** Anchors the record, then stores it with its index entry in one batch. */
  async record(content: DecisionContent): Promise<DecisionRecord> {
    // through JSON: an absent optional field is no key, as the canonical form has it
    const document = canonicalJson(JSON.parse(JSON.stringify(content)) as CanonicalValue);
    const decisionId = `0x${createHash("sha256").update(document, "utf8").digest("hex")}`;
    const salt = newSalt();
    const [receipt] = await this.#anchor([
      {
        kind: EvidenceKind.CreditDecision,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: decisionId,
        salt,
        subject: content.borrowerKey,
      },
    ]);
    if (receipt === undefined)
      throw nodeError(
        "NODE_ERR_ANCHOR_UNAVAILABLE",
        "the anchor service returned no receipt for the decision record",
      );
    const record: DecisionRecord = {
      ...content,
      decisionId,
      document,
      salt,
      anchor: { leafHash: receipt.leafHash, sequence: receipt.sequence, anchoredAt: content.at },
      ...(content.outcome === "decline" ? { notice: declineNotice(content.reasons) } : {}),
    };
    // numbered per application, not by time: a manual decision made in the same millisecond as its referral still comes after it
    await this.#serial(async () => {
      const earlier = await this.#db
        .keys({ gt: `a!${content.applicationId}!`, lt: `a!${content.applicationId}!~` })
        .all();
      await this.#db.batch([
        { type: "put", key: `d!${decisionId}`, value: record },
        {
          type: "put",
          key: `a!${content.applicationId}!${String(earlier.length).padStart(6, "0")}`,
          value: decisionId,
        },
      ]);
    });
    return record;
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#writing.then(fn, fn);
    this.#writing = run.catch(() => {});
    return run;
  }

  /** One record, or NODE_ERR_UNKNOWN_DECISION. */
  async get(decisionId: string): Promise<DecisionRecord> {
    const record = /^0x[0-9a-f]{64}$/.test(decisionId) ? await this.#db.get(`d!${decisionId}`) : undefined;
    if (record === undefined || typeof record === "string")
      throw nodeError("NODE_ERR_UNKNOWN_DECISION", `no decision record ${decisionId} at this node`);
    return record;
  }

  /** An application's latest decision record, if any. */
  async latest(applicationId: string): Promise<DecisionRecord | undefined> {
    const [id] = await this.#db
      .values({ gt: `a!${applicationId}!`, lt: `a!${applicationId}!~`, reverse: true, limit: 1 })
      .all();
    return typeof id === "string" ? this.get(id) : undefined;
  }

  /** An application's decision records, oldest first. */
  async forApplication(applicationId: string): Promise<DecisionRecord[]> {
    const ids = await this.#db.values({ gt: `a!${applicationId}!`, lt: `a!${applicationId}!~` }).all();
    return Promise.all(ids.map((id) => this.get(id as string)));
  }
}
