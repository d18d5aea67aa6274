// The union's credit-query service (征信查询系统单元): branches query the credit bureau through the
// union's node, never on their own line. A branch's node sends a signed request (the route admits
// only an active branch's operations key: a platform's or a court's node is refused with
// NODE_ERR_ROLE) carrying the consent it holds: the authorization letter's digest, the leaf's
// salt, dates and scope. The union recomputes that consent's leaf as the branch submitted it and
// asks the anchor service whether it knows it, checks the consent is in force and covers the
// purpose, then answers from its cache or queries the bureau (FallbackBureau: primary, then the
// fallback channel), stores the report encrypted, anchors one query log per ask (who asked, for
// whom, under which consent, which report, which channel, cached or not) and answers the asking
// branch alone. One borrower has one report per freshness window, whichever branch asks.
import { createHash } from "node:crypto";
import { z } from "zod";
import { toHex } from "../../../common/bytes.ts";
import { DigestAlgorithm, EvidenceKind, leafHashOf, newSalt } from "../../../common/formats/leaf/leaf.ts";
import {
  BUREAU_PURPOSES,
  bureauError,
  checkBureauQuery,
  reportDigest,
  summarizeReport,
  type BureauPurpose,
  type BureauQuery,
  type BureauReport,
  type BureauReportSummary,
} from "../bureau/bureau.ts";
import { canonicalJson } from "../bureau/canonical-json.ts";
import {
  CREDIT_REPORT_DOCUMENT_KIND,
  type AnchoredDocument,
  type AnchorEvidence,
  type BureauLogger,
  type JsonSublevel,
} from "../bureau/consent.ts";
import type { BureauChannel } from "../bureau/fallback.ts";
import type { DocumentStore } from "../documents/document-store.ts";
import type { Now } from "../bureau/timers.ts";
import { systemNow } from "../bureau/timers.ts";
import { Room } from "../room.ts";

const DAY_MS = 86_400_000;

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const isoTime = z.iso.datetime({ offset: true });

/** What a branch's node shows the union of the consent it holds: enough to rebuild its leaf. */
export const ConsentReferenceSchema = z.strictObject({
  leafHash: bytes32,
  letterDigest: bytes32,
  salt: bytes32,
  signedAt: isoTime,
  validUntil: isoTime,
  scope: z.array(z.enum(BUREAU_PURPOSES)).min(1),
});
export type ConsentReference = z.infer<typeof ConsentReferenceSchema>;

/** A branch's request to the union's node. */
export const UnionCreditRequestSchema = z.strictObject({
  borrowerKey: bytes32,
  purpose: z.enum(BUREAU_PURPOSES),
  /** The branch's user who asked, recorded by the bureau and in both logs. */
  operator: z.string().min(1).max(128),
  consent: ConsentReferenceSchema,
});
export type UnionCreditRequest = z.infer<typeof UnionCreditRequestSchema>;

/** The union's answer: the report as the bureau sent it (for the branch's encrypted store), its figures and the union's log leaf. */
export type UnionCreditAnswer = {
  reportBase64: string;
  report: BureauReportSummary;
  reportDigest: string;
  channel: BureauChannel;
  /** True when the report was already at the union within the freshness window (no new bureau query). */
  cached: boolean;
  queriedAt: string;
  unionQueryLeafHash: string;
  unionQuerySequence: number;
};

/** The one report per borrower the union holds, by borrower key. */
export type CachedReport = {
  borrowerKey: string;
  documentId: string;
  reportDigest: string;
  queriedAt: string;
  channel: BureauChannel;
  purpose: BureauPurpose;
};

/** The union's log of one ask, whose canonical JSON's SHA-256 is anchored (kind CreditQuery, subject the borrower key). */
export type UnionQueryLogEntry = {
  asker: number;
  who: string;
  when: string;
  purpose: BureauPurpose;
  reportDigest: string;
  channel: BureauChannel;
  cached: boolean;
  consentLeafHash: string;
};
export type StoredUnionQueryLog = AnchoredDocument & { borrowerKey: string; entry: UnionQueryLogEntry };

export type UnionCreditDeps = {
  memberId: number;
  /** The bureau's two channels. */
  bureau: {
    queryWithChannel(
      request: BureauQuery,
      options?: { signal?: AbortSignal },
    ): Promise<{ report: BureauReport; channel: BureauChannel }>;
  };
  /** Whether the anchor service holds this leaf (accepted or anchored). */
  leafKnown: (leafHash: string) => Promise<boolean>;
  anchor: AnchorEvidence;
  documents: Pick<DocumentStore, "put" | "get">;
  /** CachedReport by borrower key. */
  reports: JsonSublevel<CachedReport>;
  /** StoredUnionQueryLog by `borrowerKey!when!asker`. */
  logs: JsonSublevel<StoredUnionQueryLog>;
  /** How long one report serves every branch; default 30 days. */
  freshnessDays?: number;
  now?: Now;
  log?: BureauLogger;
};

/** Sublevel names (keys.ts). */
export const UNION_CREDIT_SUBLEVELS = Object.freeze({
  reports: "credit-service-reports",
  logs: "credit-service-logs",
});

export class UnionCreditService extends Room<UnionCreditDeps> {
  /** Per borrower: two branches asking together get one bureau query. */
  readonly #inFlight = new Map<string, Promise<unknown>>();

  /**
   * Serves branch `asker`'s request (its signature and nonce checked by `verify`, after the
   * consent checks, so a refused request spends nothing and writes nothing).
   */
  async serve(
    asker: number,
    body: UnionCreditRequest,
    verify: () => Promise<unknown>,
  ): Promise<UnionCreditAnswer> {
    const borrowerKey = body.borrowerKey.toLowerCase();
    const request: BureauQuery = {
      borrowerKey,
      purpose: body.purpose,
      operator: `${asker}/${body.operator}`,
      institution: this.deps.memberId,
    };
    checkBureauQuery(request);
    const now = (this.deps.now ?? systemNow)();
    await this.#checkConsent(asker, borrowerKey, body.purpose, body.consent, now);
    await verify();
    return this.#serialized(borrowerKey, async () => {
      const { cached, raw } = await this.#report(asker, request, now);
      const when = new Date((this.deps.now ?? systemNow)()).toISOString();
      const entry: UnionQueryLogEntry = {
        asker,
        who: body.operator,
        when,
        purpose: body.purpose,
        reportDigest: cached.reportDigest,
        channel: cached.channel,
        cached: raw.fromCache,
        consentLeafHash: body.consent.leafHash.toLowerCase(),
      };
      const document = canonicalJson(entry);
      const key = `${borrowerKey}!${when}!${asker}`;
      const logged: StoredUnionQueryLog = {
        borrowerKey,
        entry,
        document,
        digest: toHex(createHash("sha256").update(document, "utf8").digest()),
        salt: newSalt(),
      };
      // stored before it is anchored: an anchoring that fails (or a crash) leaves it for anchorPendingLogs
      await this.deps.logs.put(key, logged);
      const receipt = await this.#anchorLog(logged);
      await this.deps.logs.put(key, { ...logged, anchor: { ...receipt, anchoredAt: when } });
      this.deps.log?.info(
        {
          borrowerKey,
          asker,
          channel: entry.channel,
          cached: entry.cached,
          reportDigest: entry.reportDigest,
          queryLeafHash: receipt.leafHash,
        },
        "union credit query served",
      );
      return {
        reportBase64: Buffer.from(raw.bytes).toString("base64"),
        report: raw.summary,
        reportDigest: cached.reportDigest,
        channel: cached.channel,
        cached: entry.cached,
        queriedAt: cached.queriedAt,
        unionQueryLeafHash: receipt.leafHash,
        unionQuerySequence: receipt.sequence,
      };
    });
  }

  /** The log's leaf: kind CreditQuery, the SHA-256 of its canonical JSON, subject the borrower key. */
  async #anchorLog(logged: StoredUnionQueryLog): Promise<{ leafHash: string; sequence: number }> {
    const [receipt] = await this.deps.anchor([
      {
        kind: EvidenceKind.CreditQuery,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: logged.digest,
        salt: logged.salt,
        subject: logged.borrowerKey,
      },
    ]);
    if (receipt === undefined) throw new TypeError("the anchor returned no receipt");
    return receipt;
  }

  /**
   * Anchors every ask whose anchoring failed (the anchor service away, or the node stopped in
   * between): the report was served, so its log must be anchored; returns how many were now. The
   * same record and salt each time, so an earlier anchoring whose answer was lost gives the same leaf.
   */
  async anchorPendingLogs(): Promise<number> {
    let anchored = 0;
    for await (const [key, logged] of this.deps.logs.iterator()) {
      if (logged.anchor !== undefined) continue;
      const receipt = await this.#anchorLog(logged);
      const anchoredAt = new Date((this.deps.now ?? systemNow)()).toISOString();
      await this.deps.logs.put(key, { ...logged, anchor: { ...receipt, anchoredAt } });
      anchored++;
    }
    if (anchored > 0) this.deps.log?.info({ anchored }, "pending union credit query logs anchored");
    return anchored;
  }

  /** A borrower's asks at the union, oldest first. */
  async logsOf(borrowerKey: string): Promise<StoredUnionQueryLog[]> {
    const key = borrowerKey.toLowerCase();
    return this.deps.logs.values({ gt: `${key}!`, lt: `${key}!~` }).all();
  }

  /** The cached report if still fresh, else a new bureau query (stored encrypted, cached). */
  async #report(
    asker: number,
    request: BureauQuery,
    now: number,
  ): Promise<{
    cached: CachedReport;
    raw: { bytes: Uint8Array; summary: BureauReportSummary; fromCache: boolean };
  }> {
    const windowMs = (this.deps.freshnessDays ?? 30) * DAY_MS;
    const cached = await this.deps.reports.get(request.borrowerKey);
    if (cached !== undefined && now - Date.parse(cached.queriedAt) <= windowMs) {
      const bytes = await this.deps.documents.get(cached.documentId, {
        actor: { userId: `member-${asker}-node`, role: "approver", memberId: this.deps.memberId },
        purpose: "credit query served to a branch",
      });
      if (reportDigest(bytes) === cached.reportDigest)
        return { cached, raw: { bytes, summary: summaryOf(bytes), fromCache: true } };
    }
    const { report, channel } = await this.deps.bureau.queryWithChannel(request);
    const digest = reportDigest(report.raw);
    const queriedAt = new Date((this.deps.now ?? systemNow)()).toISOString();
    const { documentId } = await this.deps.documents.put({
      kind: CREDIT_REPORT_DOCUMENT_KIND,
      bytes: report.raw,
      owner: this.deps.memberId,
      meta: {
        borrowerKey: request.borrowerKey,
        reportDigest: digest,
        reportId: report.reportId,
        channel,
        queriedAt,
      },
    });
    const fresh: CachedReport = {
      borrowerKey: request.borrowerKey,
      documentId,
      reportDigest: digest,
      queriedAt,
      channel,
      purpose: request.purpose,
    };
    await this.deps.reports.put(request.borrowerKey, fresh);
    return { cached: fresh, raw: { bytes: report.raw, summary: summarizeReport(report), fromCache: false } };
  }

  /** The consent as the branch anchored it: the same leaf, known to the anchor service, in force now, covering the purpose. */
  async #checkConsent(
    asker: number,
    borrowerKey: string,
    purpose: BureauPurpose,
    consent: ConsentReference,
    now: number,
  ): Promise<void> {
    const leaf = toHex(
      leafHashOf({
        version: 1,
        kind: EvidenceKind.Consent,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest: consent.letterDigest.toLowerCase(),
        salt: consent.salt.toLowerCase(),
        submitter: asker,
        subject: borrowerKey,
      }),
    );
    if (leaf !== consent.leafHash.toLowerCase()) {
      throw bureauError(
        "NODE_ERR_CONSENT_REQUIRED",
        `the consent ${consent.leafHash} is not the leaf member ${asker} would have anchored for this borrower's letter ${consent.letterDigest}`,
      );
    }
    if (!(await this.deps.leafKnown(leaf)))
      throw bureauError(
        "NODE_ERR_CONSENT_REQUIRED",
        `the consent ${leaf} is not anchored: record the authorization letter first`,
      );
    if (
      Date.parse(consent.signedAt) > now ||
      !(Date.parse(consent.validUntil) > Date.parse(consent.signedAt))
    ) {
      throw bureauError(
        "NODE_ERR_CONSENT_INVALID",
        `the consent ${leaf} is signed at ${consent.signedAt}, valid until ${consent.validUntil}: not a consent in force`,
      );
    }
    if (now > Date.parse(consent.validUntil))
      throw bureauError("NODE_ERR_CONSENT_EXPIRED", `the consent ${leaf} expired at ${consent.validUntil}`);
    if (!consent.scope.includes(purpose))
      throw bureauError("NODE_ERR_CONSENT_SCOPE", `the consent ${leaf} does not cover ${purpose}`);
  }

  async #serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#inFlight.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.#inFlight.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#inFlight.get(key) === tail) this.#inFlight.delete(key);
    }
  }
}

/** The figures of a stored report (the bureau's JSON: { summary: … }). */
export function summaryOf(bytes: Uint8Array): BureauReportSummary {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as {
    reportId?: string;
    generatedAt?: string;
    borrowerKey?: string;
    summary?: Record<string, unknown>;
  };
  const s = parsed.summary ?? {};
  return {
    reportId: String(parsed.reportId ?? ""),
    borrowerKey: String(parsed.borrowerKey ?? "").toLowerCase(),
    generatedAt: String(parsed.generatedAt ?? ""),
    score: Number(s.score),
    activeLoans: Number(s.activeLoans),
    totalOutstandingFen:
      typeof s.totalOutstandingFen === "string" && /^\d+$/.test(s.totalOutstandingFen)
        ? BigInt(s.totalOutstandingFen)
        : 0n,
    overdueAccounts: Number(s.overdueAccounts),
    worstOverdueDays: Number(s.worstOverdueDays),
    queriesLast6Months: Number(s.queriesLast6Months),
  };
}
