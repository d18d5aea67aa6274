// Consent before query (征信业管理条例 Art. 18; DOMAIN.md "Evidence and consent"):
// 1. recordConsent: the borrower's signed authorization letter (授权书) is stored and anchored as
//    evidence (kind Consent) — only its digest leaves the node;
// 2. queryWithConsent: a credit query is sent only for a borrower with an anchored, unexpired
//    consent covering the purpose; the query is then anchored as a query log (kind CreditQuery:
//    who, when, purpose, report digest) and the report itself goes only to the node's encrypted
//    document store.
// Plain functions over injected dependencies (storage, anchor, bureau, documents, clock, logger),
// so routes and tests wire them as they need. Nothing about the borrower but the HMAC key reaches
// the anchor, the logs, the errors or plain LevelDB.
import { createHash } from "node:crypto";
import { z } from "zod";
import { toHex } from "../../../common/bytes.ts";
import type { EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import type { Sublevel } from "../../../common/level.ts";
import { DigestAlgorithm, EvidenceKind, newSalt } from "../../../common/formats/leaf/leaf.ts";
import type {
  BureauPurpose,
  BureauQuery,
  BureauReport,
  BureauReportSummary,
  CreditBureau,
} from "./bureau.ts";
import { BUREAU_PURPOSES, bureauError, checkBureauQuery, reportDigest, summarizeReport } from "./bureau.ts";
import type { DocumentKind } from "../documents/policy.ts";
import { isCodedError } from "../errors.ts";
import { canonicalJson } from "./canonical-json.ts";
import type { Now } from "./timers.ts";
import { systemNow } from "./timers.ts";

// ---- Dependencies ------------------------------------------------------------------------------

/** A LevelDB sublevel with string keys and JSON values (`valueEncoding: "json"`). */
export type JsonSublevel<V> = Sublevel<string, V>;

/** An evidence record as the node hands it to its anchor client, which adds version and submitter. */
export type EvidenceRecordInput = Pick<
  EvidenceRecord,
  "kind" | "digestAlgorithm" | "digest" | "salt" | "subject"
>;
/** The anchor service's receipt for one record, as far as this module needs it. */
export type AnchorReceipt = { leafHash: string; sequence: number };
/** Submits records to the anchor service; resolves once they are durably accepted, one receipt per record, in order. */
export type AnchorEvidence = (records: EvidenceRecordInput[]) => Promise<AnchorReceipt[]>;

/** The node's encrypted document store (AES-256-GCM at rest); the only place a credit report is kept. */
export type EncryptedDocumentStore = {
  put(kind: DocumentKind, bytes: Uint8Array, meta: Record<string, string>): Promise<string>;
};

/** The slice of a pino logger this module uses. */
export type BureauLogger = {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
};

export type ConsentDeps = {
  /** Consents by `borrowerKey!letterDigest`. */
  consents: JsonSublevel<StoredConsent>;
  anchor: AnchorEvidence;
  now?: Now;
  log?: BureauLogger;
};

export type CreditQueryDeps = ConsentDeps & {
  /** Query log entries by `borrowerKey!when!reportDigest`. */
  queryLogs: JsonSublevel<StoredQueryLog>;
  /** The bureau, normally a BureauClient (timeouts, retries, breaker) around the adapter. */
  client: CreditBureau;
  documents: EncryptedDocumentStore;
  /** This node's consortium member id, sent to the bureau with each query. */
  institution: number;
  /**
   * A branch's way to the bureau through the union's credit-query service: when set, the query
   * goes there with the consent that permits it, instead of to `client`.
   */
  viaUnion?: (request: BureauQuery, consent: StoredConsent & { anchor: AnchorRef }) => Promise<BureauReport>;
  /** Set on a node whose member may not query at all (a platform's, a court's): why; every query is refused before anything is read. */
  queriesRefused?: string;
};

/** Sublevel names, for the node's store layout (keys.ts). */
export const BUREAU_SUBLEVELS = Object.freeze({
  /** StoredConsent by `borrowerKey!letterDigest` (lowercase hex). */
  consents: "bureau-consents",
  /** StoredQueryLog by `borrowerKey!when!reportDigest`, so a borrower's queries list in time order. */
  queryLogs: "bureau-query-logs",
});

type SublevelParent = {
  sublevel<K, V>(name: string, options: { keyEncoding?: string; valueEncoding: string }): Sublevel<K, V>;
};

/** Opens this module's two sublevels with the right encodings. */
export function openBureauSublevels(root: SublevelParent): {
  consents: JsonSublevel<StoredConsent>;
  queryLogs: JsonSublevel<StoredQueryLog>;
} {
  return {
    consents: root.sublevel<string, StoredConsent>(BUREAU_SUBLEVELS.consents, {
      keyEncoding: "utf8",
      valueEncoding: "json",
    }),
    queryLogs: root.sublevel<string, StoredQueryLog>(BUREAU_SUBLEVELS.queryLogs, {
      keyEncoding: "utf8",
      valueEncoding: "json",
    }),
  };
}

// ---- Records -------------------------------------------------------------------------------------

export type ConsentInput = {
  borrowerKey: string;
  /** 0x SHA-256 of the signed authorization letter (the CA-signed PDF as stored). */
  letterDigest: string;
  /** ISO 8601 with offset. */
  signedAt: string;
  validUntil: string;
  scope: BureauPurpose[];
};

/** The anchoring of one record: its receipt and when the node got it. */
export type AnchorRef = { leafHash: string; sequence: number; anchoredAt: string };

/**
 * A record kept as the exact text whose SHA-256 is anchored (the bytes hashed: UTF-8 of
 * `document`, kept for the evidence bundle), its digest, the leaf's salt and, once the anchor
 * service has accepted it, the anchoring.
 */
export type AnchoredDocument = { document: string; digest: string; salt: string; anchor?: AnchorRef };

export type StoredConsent = ConsentInput & {
  /** The leaf's salt, kept so the evidence bundle can be built later. */
  salt: string;
  recordedAt: string;
  /** Absent until the anchor service has accepted the record: such a consent does not permit queries. */
  anchor?: AnchorRef;
};

/** The query log document whose SHA-256 (over its canonical JSON) is anchored. */
export type QueryLogEntry = { who: string; when: string; purpose: BureauPurpose; reportDigest: string };

export type StoredQueryLog = AnchoredDocument & {
  borrowerKey: string;
  entry: QueryLogEntry;
  /** The consent that permitted the query. */
  consentLeafHash: string;
  /** Where the encrypted report is; absent if storing it failed (the query still happened and is logged). */
  documentId?: string;
};

/** A query as the loan officer asks it: the bureau's query without the institution (this node's member). */
export type CreditQueryInput = Omit<BureauQuery, "institution">;

export type CreditQueryResult = {
  /** The report's figures; the report bytes stay in the document store. */
  report: BureauReportSummary;
  reportDigest: string;
  queryLeafHash: string;
  querySequence: number;
  consentLeafHash: string;
  documentId: string;
};

/** The document store's `kind` for credit reports. */
export const CREDIT_REPORT_DOCUMENT_KIND = "credit-report";

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const isoTime = z.iso.datetime({
  offset: true,
  error: "must be an ISO 8601 time with offset, e.g. 2025-03-01T09:30:00+08:00",
});
// z.object strips unknown keys: whatever else the caller passed (a name, an ID number) is dropped here.
const ConsentInputSchema = z.object({
  borrowerKey: bytes32,
  letterDigest: bytes32,
  signedAt: isoTime,
  validUntil: isoTime,
  scope: z
    .array(z.enum(BUREAU_PURPOSES))
    .min(1, "must name at least one purpose")
    .refine((s) => new Set(s).size === s.length, "must not repeat a purpose"),
});

// ---- recordConsent ---------------------------------------------------------------------------

/**
 * Stores the consent, then anchors it (kind Consent, digest = letterDigest, subject = borrowerKey,
 * a fresh salt). The record is written before anchoring so the salt is never lost: if anchoring
 * fails the error propagates, the consent stays un-anchored (it permits no query), and calling
 * recordConsent again with the same letter re-anchors the same record — same salt, same leaf hash.
 * Recording an already anchored consent again returns it unchanged.
 */
export async function recordConsent(
  input: ConsentInput,
  deps: ConsentDeps,
): Promise<StoredConsent & { anchor: AnchorRef }> {
  const parsed = ConsentInputSchema.safeParse(input);
  if (!parsed.success) {
    // Paths and rules only: the messages never echo the values.
    const what = parsed.error.issues.map((i) => `${i.path.join(".") || "consent"} ${i.message}`).join("; ");
    throw bureauError("NODE_ERR_CONSENT_INVALID", `consent rejected: ${what}`);
  }
  const now = (deps.now ?? systemNow)();
  const consent = {
    ...parsed.data,
    borrowerKey: parsed.data.borrowerKey.toLowerCase(),
    letterDigest: parsed.data.letterDigest.toLowerCase(),
  };
  const signedAt = Date.parse(consent.signedAt);
  const validUntil = Date.parse(consent.validUntil);
  if (!(validUntil > signedAt))
    throw bureauError("NODE_ERR_CONSENT_INVALID", "consent rejected: validUntil must be after signedAt");
  if (signedAt > now)
    throw bureauError(
      "NODE_ERR_CONSENT_INVALID",
      "consent rejected: signedAt is in the future; a consent must be signed before it is recorded",
    );
  if (validUntil < now)
    throw bureauError("NODE_ERR_CONSENT_INVALID", "consent rejected: it expired before it was recorded");

  const key = `${consent.borrowerKey}!${consent.letterDigest}`;
  return withLock(deps.consents, key, async () => {
    let stored = await deps.consents.get(key);
    if (stored !== undefined && !sameConsent(stored, consent)) {
      throw bureauError(
        "NODE_ERR_CONSENT_INVALID",
        `consent rejected: letter ${consent.letterDigest} is already recorded for this borrower with other dates or scope`,
      );
    }
    if (stored?.anchor !== undefined) return stored as StoredConsent & { anchor: AnchorRef };
    if (stored === undefined) {
      stored = { ...consent, salt: newSalt(), recordedAt: new Date(now).toISOString() };
      await deps.consents.put(key, stored);
    }
    const anchor = await anchorOne(deps, {
      kind: EvidenceKind.Consent,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: stored.letterDigest,
      salt: stored.salt,
      subject: stored.borrowerKey,
    });
    const anchored = { ...stored, anchor };
    await deps.consents.put(key, anchored);
    deps.log?.info(
      {
        borrowerKey: anchored.borrowerKey,
        consentLeafHash: anchor.leafHash,
        sequence: anchor.sequence,
        scope: anchored.scope,
        validUntil: anchored.validUntil,
      },
      "credit-query consent anchored",
    );
    return anchored;
  });
}

/** A borrower's consents, oldest letter digest first (anchored or not). */
export async function listConsents(
  borrowerKey: string,
  deps: Pick<ConsentDeps, "consents">,
): Promise<StoredConsent[]> {
  const key = borrowerKey.toLowerCase();
  return deps.consents.values({ gt: `${key}!`, lt: `${key}!~` }).all();
}

// ---- queryWithConsent ------------------------------------------------------------------------

/**
 * The only way the node queries the bureau. In order:
 * 1. find an anchored consent for the key that is in force now and covers the purpose, else
 *    NODE_ERR_CONSENT_REQUIRED / _EXPIRED / _SCOPE (nothing is sent);
 * 2. query through deps.client;
 * 3. store the query log entry (pending) in LevelDB;
 * 4. put the report bytes in the encrypted document store;
 * 5. anchor the query log (kind CreditQuery, digest = SHA-256 of the canonical JSON of
 *    {who, when, purpose, reportDigest}, subject = borrowerKey) and mark it anchored.
 * If step 4 or 5 fails, the error propagates and the entry stays pending for
 * anchorPendingQueryLogs: the query happened and must not go unlogged.
 */
export async function queryWithConsent(
  input: CreditQueryInput,
  deps: CreditQueryDeps,
  options: { signal?: AbortSignal } = {},
): Promise<CreditQueryResult> {
  // Pick the three fields: nothing else the caller's object carries goes any further.
  const request = {
    borrowerKey: typeof input.borrowerKey === "string" ? input.borrowerKey.toLowerCase() : input.borrowerKey,
    purpose: input.purpose,
    operator: input.operator,
    institution: deps.institution,
  };
  if (deps.queriesRefused !== undefined)
    throw bureauError("NODE_ERR_CREDIT_QUERY_NOT_ALLOWED", deps.queriesRefused);
  checkBureauQuery(request);
  const now = deps.now ?? systemNow;
  const consent = await consentFor(request.borrowerKey, request.purpose, now(), deps);

  const when = new Date(now()).toISOString();
  let report;
  try {
    report =
      deps.viaUnion === undefined
        ? await deps.client.query(request, options)
        : await deps.viaUnion(request, consent);
  } catch (error) {
    deps.log?.warn(
      {
        borrowerKey: request.borrowerKey,
        purpose: request.purpose,
        operator: request.operator,
        code: isCodedError(error) ? error.code : "UNEXPECTED",
      },
      "credit query failed",
    );
    throw error;
  }
  const digestOfReport = reportDigest(report.raw);

  // The query happened: record its log entry before anything else can fail, so that
  // anchorPendingQueryLogs anchors it even if storing the report or anchoring fails below.
  const entry: QueryLogEntry = {
    who: request.operator,
    when,
    purpose: request.purpose,
    reportDigest: digestOfReport,
  };
  const document = canonicalJson(entry);
  const logKey = `${request.borrowerKey}!${when}!${digestOfReport}`;
  const logged: StoredQueryLog = {
    borrowerKey: request.borrowerKey,
    entry,
    document,
    digest: toHex(createHash("sha256").update(document, "utf8").digest()),
    salt: newSalt(),
    consentLeafHash: consent.anchor.leafHash,
  };
  // Held until the log is anchored: anchorPendingQueryLogs, meeting this entry mid-way, would
  // otherwise write back the copy it read (no documentId) over the finished one.
  const { documentId, anchor } = await withLock(deps.queryLogs, logKey, async () => {
    await deps.queryLogs.put(logKey, logged);
    const documentId = await deps.documents.put(CREDIT_REPORT_DOCUMENT_KIND, report.raw, {
      borrowerKey: request.borrowerKey,
      reportDigest: digestOfReport,
      reportId: report.reportId,
      purpose: request.purpose,
      queriedAt: when,
    });
    const pending: StoredQueryLog = { ...logged, documentId };
    await deps.queryLogs.put(logKey, pending);
    const anchor = await anchorQueryLog(pending, deps);
    await deps.queryLogs.put(logKey, { ...pending, anchor });
    return { documentId, anchor };
  });
  deps.log?.info(
    {
      borrowerKey: request.borrowerKey,
      purpose: request.purpose,
      operator: request.operator,
      reportDigest: digestOfReport,
      queryLeafHash: anchor.leafHash,
      consentLeafHash: consent.anchor.leafHash,
    },
    "credit query logged",
  );
  return {
    report: summarizeReport(report),
    reportDigest: digestOfReport,
    queryLeafHash: anchor.leafHash,
    querySequence: anchor.sequence,
    consentLeafHash: consent.anchor.leafHash,
    documentId,
  };
}

/**
 * Re-anchors query log entries whose anchoring failed; returns how many were anchored now. Each
 * entry is read again under its key's lock: one that a query is still writing is left to it.
 */
export async function anchorPendingQueryLogs(
  deps: Pick<CreditQueryDeps, "queryLogs" | "anchor" | "now" | "log">,
): Promise<number> {
  let anchored = 0;
  for await (const [key, seen] of deps.queryLogs.iterator()) {
    if (seen.anchor !== undefined) continue;
    const done = await withLock(deps.queryLogs, key, async () => {
      const stored = await deps.queryLogs.get(key);
      if (stored === undefined || stored.anchor !== undefined) return false;
      const anchor = await anchorQueryLog(stored, deps);
      await deps.queryLogs.put(key, { ...stored, anchor });
      return true;
    });
    if (done) anchored++;
  }
  if (anchored > 0) deps.log?.info({ anchored }, "pending credit query logs anchored");
  return anchored;
}

// ---- Internals -------------------------------------------------------------------------------

/** The consent permitting this query, or the refusal that says why there is none. */
async function consentFor(
  borrowerKey: string,
  purpose: BureauPurpose,
  now: number,
  deps: CreditQueryDeps,
): Promise<StoredConsent & { anchor: AnchorRef }> {
  const all = await listConsents(borrowerKey, deps);
  // Only an anchored consent signed and anchored before this moment can permit the query.
  const anchored = all.filter(
    (c): c is StoredConsent & { anchor: AnchorRef } =>
      c.anchor !== undefined && Date.parse(c.signedAt) <= now && Date.parse(c.anchor.anchoredAt) <= now,
  );
  const refuse = (
    code: "NODE_ERR_CONSENT_REQUIRED" | "NODE_ERR_CONSENT_EXPIRED" | "NODE_ERR_CONSENT_SCOPE",
    message: string,
  ): never => {
    deps.log?.warn({ borrowerKey, purpose, code }, "credit query refused");
    throw bureauError(code, message);
  };
  if (anchored.length === 0) {
    const pending =
      all.length > 0 ? " (a consent is recorded but its anchoring has not completed; record it again)" : "";
    return refuse(
      "NODE_ERR_CONSENT_REQUIRED",
      `no anchored credit-query consent for borrower ${borrowerKey}${pending}: record the signed authorization letter first`,
    );
  }
  const inForce = anchored.filter((c) => now <= Date.parse(c.validUntil));
  if (inForce.length === 0) {
    const latest = anchored.map((c) => c.validUntil).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
    return refuse(
      "NODE_ERR_CONSENT_EXPIRED",
      `every consent of borrower ${borrowerKey} has expired (latest valid until ${latest}): obtain a new authorization letter`,
    );
  }
  const covering = inForce.filter((c) => c.scope.includes(purpose));
  if (covering.length === 0) {
    return refuse(
      "NODE_ERR_CONSENT_SCOPE",
      `the consents in force for borrower ${borrowerKey} do not cover ${purpose}: obtain an authorization for that purpose`,
    );
  }
  // The most recently signed letter is the one the borrower last agreed to; of letters signed at
  // the same moment, the one anchored last (a stable choice, not the letter digests' order).
  return covering.sort(
    (a, b) => Date.parse(b.signedAt) - Date.parse(a.signedAt) || b.anchor.sequence - a.anchor.sequence,
  )[0]!;
}

function anchorQueryLog(
  stored: StoredQueryLog,
  deps: Pick<ConsentDeps, "anchor" | "now">,
): Promise<AnchorRef> {
  return anchorOne(deps, {
    kind: EvidenceKind.CreditQuery,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: stored.digest,
    salt: stored.salt,
    subject: stored.borrowerKey,
  });
}

async function anchorOne(
  deps: Pick<ConsentDeps, "anchor" | "now">,
  record: EvidenceRecordInput,
): Promise<AnchorRef> {
  const receipts = await deps.anchor([record]);
  const receipt = receipts[0];
  if (receipts.length !== 1 || receipt === undefined) {
    throw new TypeError(`anchor returned ${receipts.length} receipts for 1 record`);
  }
  return {
    leafHash: receipt.leafHash,
    sequence: receipt.sequence,
    anchoredAt: new Date((deps.now ?? systemNow)()).toISOString(),
  };
}

function sameConsent(
  stored: StoredConsent,
  input: Omit<StoredConsent, "salt" | "recordedAt" | "anchor">,
): boolean {
  return (
    Date.parse(stored.signedAt) === Date.parse(input.signedAt) &&
    Date.parse(stored.validUntil) === Date.parse(input.validUntil) &&
    [...stored.scope].sort().join() === [...input.scope].sort().join()
  );
}

// Two recordConsent calls for the same letter must not pick two salts, and a query's log must not be
// re-anchored from a stale copy while the query writes it: serialize per key, per store.
const locks = new WeakMap<object, Map<string, Promise<unknown>>>();

async function withLock<T>(store: object, key: string, fn: () => Promise<T>): Promise<T> {
  let held = locks.get(store);
  if (held === undefined) locks.set(store, (held = new Map<string, Promise<unknown>>()));
  const previous = held.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => {});
  held.set(key, tail);
  try {
    return await run;
  } finally {
    if (held.get(key) === tail) held.delete(key);
  }
}
