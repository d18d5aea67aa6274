// 影像平台: the node's store of loan documents — contracts, authorization letters, fund-flow
// vouchers, credit reports, rulings. Bytes are sealed with AES-256-GCM (or, as the 国密 option,
// SM4-CTR + HMAC-SM3) under the "documents" data key (aad = the document id) before they reach LevelDB; the record beside them holds no
// personal data. Every read attempt, granted or refused, is appended to an access log before
// any byte is returned: there is no unlogged read. Layout: keys.ts; policy: policy.ts.
import { createHash, randomBytes } from "node:crypto";
import type { AbstractBatchOperation } from "abstract-level";
import { bytesEqual, fromHex, toHex } from "../../../common/bytes.ts";
import type { LevelRoot } from "../../../common/level.ts";
import { open, seal, type SealCipher } from "../privacy/crypto-box.ts";
import { DocumentError, PrivacyError } from "../errors.ts";
import { findPiiPattern, piiKindOf, scrubFreeText } from "../privacy/mask.ts";
import type { DocumentSublevels } from "./keys.ts";
import { ID_BYTES, SEQ_BYTES, concatKey, prefixRange, readSeq, seqKey } from "./keys.ts";
import type { AccessDecision, Actor, CourtMayRead, DocumentKind, RefusalReason } from "./policy.ts";
import { decideAccess, isActor, isDocumentKind, isMemberId } from "./policy.ts";

/** Metadata values: flat, short, no personal data (checked on put). */
export type DocumentMeta = Record<string, string | number | boolean | null>;

export type PutDocument = {
  kind: DocumentKind;
  bytes: Uint8Array;
  /** 0x + 64 hex: the loan the document belongs to (indexed; court access goes by it). */
  loanId?: string;
  /** 0x + 64 hex: the arbitration case, for rulings and case filings. Needs a loanId. */
  caseId?: string;
  /** The member that stores the document and whose staff may read it. */
  owner: number;
  meta?: DocumentMeta;
};

/** The stored record of a document: everything but the bytes. */
export type DocumentRecord = {
  documentId: string;
  kind: DocumentKind;
  owner: number;
  loanId?: string;
  caseId?: string;
  /** SHA-256 of the plaintext bytes, 0x-prefixed (what the evidence log anchors). */
  sha256: string;
  size: number;
  createdAt: string;
  meta: DocumentMeta;
};

export type AccessRequest = { actor: Actor; purpose: string };

export type AccessOutcome = "granted" | "refused" | "failed";

export type AccessLogEntry = {
  seq: number;
  at: string;
  action: "read" | "export";
  actor: { userId: string; role: string; memberId: number | null };
  /** As asked for (lower-cased; cut to 80 characters if malformed). */
  documentId: string;
  /** Free text from the caller with ID, phone and card-like digit runs masked. */
  purpose: string;
  outcome: AccessOutcome;
  /** Why it was refused or failed. */
  reason?: RefusalReason | "decrypt-failed" | "export-aborted";
};

export type ExportedDocument = { documentId: string; kind: DocumentKind; sha256: string; bytes: Uint8Array };

export type DocumentStoreOptions = {
  sublevels: DocumentSublevels;
  /** The 32-byte data key: deriveKey(masterKey, "documents"). */
  key: Uint8Array;
  /** What new documents are sealed with (NODE_DOCUMENT_CIPHER); default AES-256-GCM. Either kind reads back. */
  cipher?: SealCipher;
  courtMayRead: CourtMayRead;
  /** Milliseconds since the epoch; tests move the clock. */
  now?: () => number;
  /** Largest document accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
};

const EMPTY = new Uint8Array(0);
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const META_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_META_KEYS = 32;
const MAX_META_STRING = 512;
const MAX_PURPOSE = 256;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_LOG_LIMIT = 1000;

type Root = LevelRoot;
/** One put of the store's batches: view keys, view or JSON values, each naming its sublevel. */
type Op = AbstractBatchOperation<Root, Uint8Array, unknown>;
type LogDraft = Omit<AccessLogEntry, "seq" | "at">;

export class DocumentStore {
  readonly #sub: DocumentSublevels;
  readonly #root: Root;
  readonly #key: Uint8Array;
  readonly #cipher: SealCipher;
  readonly #courtMayRead: CourtMayRead;
  readonly #now: () => number;
  readonly #maxBytes: number;
  #nextSeq: number;
  // access-log writes are chained so that they land in seq order
  #logTail: Promise<void> = Promise.resolve();

  private constructor(options: DocumentStoreOptions, nextSeq: number) {
    this.#sub = options.sublevels;
    this.#root = options.sublevels.blobs.db as Root;
    this.#key = options.key;
    this.#cipher = options.cipher ?? "aes-256-gcm";
    this.#courtMayRead = options.courtMayRead;
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#nextSeq = nextSeq;
  }

  /** Opens the store: checks the sublevels and the key, and finds the access log's next seq. */
  static async open(options: DocumentStoreOptions): Promise<DocumentStore> {
    checkSublevels(options.sublevels);
    if (!(options.key instanceof Uint8Array) || options.key.length !== 32) {
      throw new PrivacyError(
        "NODE_ERR_BAD_KEY",
        'the documents data key must be 32 bytes (deriveKey(master, "documents"))',
      );
    }
    if (typeof options.courtMayRead !== "function") throw new TypeError("courtMayRead must be a function");
    let nextSeq = 0;
    for await (const key of options.sublevels.accessLog.keys({ reverse: true, limit: 1 }))
      nextSeq = readSeq(key) + 1;
    return new DocumentStore(options, nextSeq);
  }

  /** Stores a document: sealed bytes, record and loan index in one batch. */
  async put(input: PutDocument): Promise<{ documentId: string; sha256: string }> {
    const [stored] = await this.putMany([input]);
    return stored!;
  }

  /**
   * Stores documents that belong together (a loan's contract and its key-facts sheet, a case's
   * files): every one is checked first, so one refused stores none, then all their sealed bytes,
   * records and loan indexes go in one batch, written whole or not at all.
   */
  async putMany(inputs: readonly PutDocument[]): Promise<Array<{ documentId: string; sha256: string }>> {
    if (typeof inputs?.length !== "number" || inputs.length === 0)
      throw new DocumentError("NODE_ERR_BAD_DOCUMENT", "putMany takes a non-empty array of documents");
    const docs = inputs.map((input) => checkPut(input, this.#maxBytes));
    const prepared = docs.map((doc) => this.#prepare(doc));
    await this.#root.batch(prepared.flatMap((p) => p.ops));
    return prepared.map(({ documentId, sha256 }) => ({ documentId, sha256 }));
  }

  /** A checked document's batch operations: sealed bytes, record, loan index. */
  #prepare(doc: ReturnType<typeof checkPut>): { documentId: string; sha256: string; ops: Op[] } {
    const id = new Uint8Array(randomBytes(ID_BYTES));
    const documentId = toHex(id);
    const sha256 = toHex(createHash("sha256").update(doc.bytes).digest());
    const record: DocumentRecord = {
      documentId,
      kind: doc.kind,
      owner: doc.owner,
      ...(doc.loanId === undefined ? {} : { loanId: doc.loanId }),
      ...(doc.caseId === undefined ? {} : { caseId: doc.caseId }),
      sha256,
      size: doc.bytes.length,
      createdAt: new Date(this.#now()).toISOString(),
      meta: doc.meta,
    };
    const ops: Op[] = [
      {
        type: "put",
        sublevel: this.#sub.blobs,
        key: id,
        value: seal(this.#key, doc.bytes, id, this.#cipher),
      },
      { type: "put", sublevel: this.#sub.records, key: id, value: record },
    ];
    if (doc.loanId !== undefined)
      ops.push({
        type: "put",
        sublevel: this.#sub.byLoan,
        key: concatKey(fromHex(doc.loanId), id),
        value: EMPTY,
      });
    return { documentId, sha256, ops };
  }

  /**
   * The document's bytes, if the policy grants `actor` access. The attempt is logged first —
   * granted, refused or failed — and the bytes are returned only once the log entry is written.
   * Refusals: NODE_ERR_FORBIDDEN (also for a missing actor or purpose), NODE_ERR_DOCUMENT_NOT_FOUND;
   * a blob that does not authenticate or does not match its recorded SHA-256: NODE_ERR_DECRYPT.
   */
  async get(documentId: string, request: AccessRequest): Promise<Uint8Array> {
    const base = {
      action: "read" as const,
      actor: actorForLog(request?.actor),
      documentId: idForLog(documentId),
      purpose: purposeForLog(request?.purpose),
    };
    const refuse = async (reason: RefusalReason): Promise<never> => {
      await this.#log([{ ...base, outcome: "refused", reason }]);
      throw reason === "not-found"
        ? new DocumentError("NODE_ERR_DOCUMENT_NOT_FOUND", `no document ${base.documentId}`)
        : new DocumentError("NODE_ERR_FORBIDDEN", forbiddenMessage(reason));
    };
    const actor = request?.actor;
    if (!isActor(actor)) return refuse("bad-actor");
    if (base.purpose === "") return refuse("no-purpose");
    const record = await this.#record(documentId);
    if (record === undefined) return refuse("not-found");

    let decision: AccessDecision;
    try {
      decision = await decideAccess(actor, record, this.#courtMayRead);
    } catch (error) {
      await this.#log([{ ...base, outcome: "refused", reason: "court-check-failed" }]);
      throw error;
    }
    if (!decision.granted) return refuse(decision.reason);

    let bytes: Uint8Array;
    try {
      bytes = await this.#openBlob(record);
    } catch (error) {
      await this.#log([{ ...base, outcome: "failed", reason: "decrypt-failed" }]);
      throw error;
    }
    await this.#log([{ ...base, outcome: "granted" }]);
    return bytes;
  }

  /**
   * The records (no bytes) of a loan's documents that `actor` may read, oldest first. Listing
   * reads no document, so it is not logged; reading one through get() is.
   */
  async listByLoan(loanId: string, actor: Actor): Promise<DocumentRecord[]> {
    if (!isActor(actor)) throw new DocumentError("NODE_ERR_FORBIDDEN", forbiddenMessage("bad-actor"));
    const records = await this.#loanRecords(checkBytes32(loanId, "loanId"));
    const courtMayRead = memoCourt(this.#courtMayRead);
    const out: DocumentRecord[] = [];
    for (const record of records)
      if ((await decideAccess(actor, record, courtMayRead)).granted) out.push(record);
    return out;
  }

  /**
   * A court's copy of a loan's documents for an arbitration case: every document the court
   * clerk may read (credit reports are withheld), bytes verified against their SHA-256. The
   * actor must be a court clerk whose court the node finds assigned to the loan, otherwise
   * NODE_ERR_FORBIDDEN. Every document of the loan gets an access-log entry ("export"),
   * exported or withheld, in one batch written before the bytes are returned.
   */
  async exportCaseDocuments(
    target: { loanId: string; caseId?: string },
    actor: Actor,
  ): Promise<ExportedDocument[]> {
    const loanId = checkBytes32(target?.loanId, "loanId");
    const caseId = target.caseId === undefined ? undefined : checkBytes32(target.caseId, "caseId");
    const records = await this.#loanRecords(loanId);
    const purpose =
      caseId === undefined ? `court export of loan ${loanId}` : `court export for case ${caseId}`;
    const base = { action: "export" as const, actor: actorForLog(actor), purpose };
    const refuseAll = async (reason: RefusalReason): Promise<never> => {
      await this.#log(
        records.map((r) => ({ ...base, documentId: r.documentId, outcome: "refused", reason })),
      );
      throw new DocumentError("NODE_ERR_FORBIDDEN", forbiddenMessage(reason));
    };
    if (!isActor(actor)) return refuseAll("bad-actor");
    if (actor.role !== "court-clerk") return refuseAll("not-court");
    let assigned: boolean;
    try {
      assigned = await this.#courtMayRead(actor.memberId, loanId);
    } catch (error) {
      await this.#log(
        records.map((r) => ({
          ...base,
          documentId: r.documentId,
          outcome: "refused",
          reason: "court-check-failed",
        })),
      );
      throw error;
    }
    if (!assigned) return refuseAll("court-not-assigned");

    const courtMayRead = async () => true; // asked once above
    const entries: LogDraft[] = [];
    const out: ExportedDocument[] = [];
    let failure: { error: unknown } | undefined;
    for (const record of records) {
      const decision = await decideAccess(actor, record, courtMayRead);
      if (!decision.granted) {
        entries.push({ ...base, documentId: record.documentId, outcome: "refused", reason: decision.reason });
        continue;
      }
      try {
        const bytes = await this.#openBlob(record);
        out.push({ documentId: record.documentId, kind: record.kind, sha256: record.sha256, bytes });
        entries.push({ ...base, documentId: record.documentId, outcome: "granted" });
      } catch (error) {
        failure ??= { error };
        entries.push({ ...base, documentId: record.documentId, outcome: "failed", reason: "decrypt-failed" });
      }
    }
    if (failure !== undefined) {
      // all or nothing: nothing was handed out, so granted entries become aborted ones
      await this.#log(
        entries.map((e) =>
          e.outcome === "granted" ? { ...e, outcome: "failed", reason: "export-aborted" } : e,
        ),
      );
      throw failure.error;
    }
    await this.#log(entries);
    return out;
  }

  /** Access-log entries in order: all of them (from `fromSeq`), or one document's. */
  async accessLog(
    query: { documentId?: string; fromSeq?: number; limit?: number } = {},
  ): Promise<AccessLogEntry[]> {
    const limit = query.limit ?? DEFAULT_LOG_LIMIT;
    const fromSeq = query.fromSeq ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(fromSeq) || fromSeq < 0) {
      throw new DocumentError(
        "NODE_ERR_BAD_DOCUMENT",
        "limit must be a positive integer and fromSeq a non-negative integer",
      );
    }
    if (query.documentId === undefined) {
      const out: AccessLogEntry[] = [];
      for await (const value of this.#sub.accessLog.values({ gte: seqKey(fromSeq), limit }))
        out.push(value as AccessLogEntry);
      return out;
    }
    const id = fromHex(checkBytes32(query.documentId, "documentId"));
    const range = prefixRange(id, SEQ_BYTES);
    const seqs: Uint8Array[] = [];
    for await (const key of this.#sub.accessByDocument.keys({
      gte: concatKey(id, seqKey(fromSeq)),
      lte: range.lte,
      limit,
    })) {
      seqs.push(key.subarray(ID_BYTES));
    }
    const values = await this.#sub.accessLog.getMany(seqs);
    return values.filter((v) => v !== undefined) as AccessLogEntry[];
  }

  /** The record of a document, or undefined (also for a malformed id). Not access-checked. */
  async #record(documentId: string): Promise<DocumentRecord | undefined> {
    if (typeof documentId !== "string" || !BYTES32.test(documentId)) return undefined;
    return (await this.#sub.records.get(fromHex(documentId))) as DocumentRecord | undefined;
  }

  async #loanRecords(loanId: string): Promise<DocumentRecord[]> {
    const ids: Uint8Array[] = [];
    for await (const key of this.#sub.byLoan.keys(prefixRange(fromHex(loanId), ID_BYTES)))
      ids.push(key.slice(ID_BYTES));
    const records = (await this.#sub.records.getMany(ids)).filter((r) => r !== undefined) as DocumentRecord[];
    return records.sort((a, b) =>
      a.createdAt === b.createdAt
        ? a.documentId < b.documentId
          ? -1
          : 1
        : a.createdAt < b.createdAt
          ? -1
          : 1,
    );
  }

  /** Decrypts a document and checks it against its recorded SHA-256. */
  async #openBlob(record: DocumentRecord): Promise<Uint8Array> {
    const id = fromHex(record.documentId);
    const sealed = await this.#sub.blobs.get(id);
    if (sealed === undefined)
      throw new PrivacyError(
        "NODE_ERR_DECRYPT",
        `the sealed bytes of document ${record.documentId} are missing`,
      );
    const bytes = open(this.#key, sealed, id);
    if (!bytesEqual(createHash("sha256").update(bytes).digest(), fromHex(record.sha256))) {
      throw new PrivacyError(
        "NODE_ERR_DECRYPT",
        `document ${record.documentId} does not match its recorded SHA-256`,
      );
    }
    return bytes;
  }

  /** Appends entries with consecutive seqs, each with its per-document index, in one batch. */
  #log(drafts: LogDraft[]): Promise<void> {
    if (drafts.length === 0) return Promise.resolve();
    const at = new Date(this.#now()).toISOString();
    const ops: Op[] = [];
    for (const draft of drafts) {
      const seq = this.#nextSeq++;
      const entry: AccessLogEntry = { seq, at, ...draft };
      ops.push({ type: "put", sublevel: this.#sub.accessLog, key: seqKey(seq), value: entry });
      if (BYTES32.test(draft.documentId)) {
        ops.push({
          type: "put",
          sublevel: this.#sub.accessByDocument,
          key: concatKey(fromHex(draft.documentId), seqKey(seq)),
          value: EMPTY,
        });
      }
    }
    const write = this.#logTail.then(() => this.#root.batch(ops));
    this.#logTail = write.catch(() => {});
    return write;
  }
}

function checkSublevels(sub: DocumentSublevels): void {
  const names = ["blobs", "records", "byLoan", "accessLog", "accessByDocument"] as const;
  const binary = (name: string): boolean => name === "view" || name === "buffer";
  const root: unknown = sub?.blobs?.db;
  for (const name of names) {
    const level = sub?.[name];
    if (level === undefined) throw new TypeError(`sublevels.${name} is missing`);
    if (level.db !== root)
      throw new TypeError("the document sublevels must share one database (they are written in one batch)");
    const keyEncoding = level.keyEncoding().commonName;
    const valueEncoding = level.valueEncoding().commonName;
    const jsonValues = name === "records" || name === "accessLog";
    if (!binary(keyEncoding) || (jsonValues ? valueEncoding !== "json" : !binary(valueEncoding))) {
      throw new TypeError(
        `sublevels.${name} must use "view" keys and ${jsonValues ? "json" : "view"} values (DOCUMENT_SUBLEVELS), got ${keyEncoding}/${valueEncoding}`,
      );
    }
  }
}

function checkPut(
  input: PutDocument,
  maxBytes: number,
): Required<Pick<PutDocument, "kind" | "bytes" | "owner" | "meta">> & { loanId?: string; caseId?: string } {
  const bad = (message: string): never => {
    throw new DocumentError("NODE_ERR_BAD_DOCUMENT", message);
  };
  if (typeof input !== "object" || input === null) bad("a document is an object with kind, bytes and owner");
  if (!isDocumentKind(input.kind))
    bad("kind must be contract, authorization, voucher, credit-report, ruling or other");
  if (!(input.bytes instanceof Uint8Array) || input.bytes.length === 0)
    bad("bytes must be a non-empty Uint8Array");
  if (input.bytes.length > maxBytes) bad(`a document is at most ${maxBytes} bytes`);
  if (!isMemberId(input.owner)) bad("owner must be a member id (an integer from 1 to 2^32 - 1)");
  const loanId = input.loanId === undefined ? undefined : checkBytes32(input.loanId, "loanId");
  const caseId = input.caseId === undefined ? undefined : checkBytes32(input.caseId, "caseId");
  if (caseId !== undefined && loanId === undefined)
    bad("a document with a caseId needs the loanId of the case");
  return {
    kind: input.kind,
    bytes: input.bytes,
    owner: input.owner,
    meta: checkMeta(input.meta ?? {}),
    ...(loanId === undefined ? {} : { loanId }),
    ...(caseId === undefined ? {} : { caseId }),
  };
}

/** Flat metadata with short values, refusing PII field names and ID/phone/card-like values. */
function checkMeta(meta: unknown): DocumentMeta {
  const bad = (message: string): never => {
    throw new DocumentError("NODE_ERR_BAD_DOCUMENT", message);
  };
  if (
    typeof meta !== "object" ||
    meta === null ||
    Array.isArray(meta) ||
    Object.getPrototypeOf(meta) !== Object.prototype
  ) {
    bad("meta must be a plain object");
  }
  const entries = Object.entries(meta as object);
  if (entries.length > MAX_META_KEYS) bad(`meta has at most ${MAX_META_KEYS} keys`);
  const out: DocumentMeta = {};
  for (const [key, value] of entries) {
    if (!META_KEY.test(key))
      bad(`meta key "${key.slice(0, 64)}" must be a letter then up to 63 letters, digits, _ . -`);
    if (piiKindOf(key) !== undefined) {
      throw new DocumentError(
        "NODE_ERR_PII_IN_METADATA",
        `meta.${key} names personal data; keep it in the application record, not in document metadata`,
      );
    }
    if (
      value !== null &&
      typeof value !== "boolean" &&
      !(typeof value === "number" && Number.isFinite(value)) &&
      typeof value !== "string"
    ) {
      bad(`meta.${key} must be a string, a finite number, a boolean or null`);
    }
    if (typeof value === "string" && value.length > MAX_META_STRING)
      bad(`meta.${key} is longer than ${MAX_META_STRING} characters`);
    if (
      (typeof value === "string" || typeof value === "number") &&
      findPiiPattern(withoutHexIds(String(value))) !== undefined
    ) {
      throw new DocumentError(
        "NODE_ERR_PII_IN_METADATA",
        `meta.${key} looks like an ID, phone or card number; document metadata holds no personal data`,
      );
    }
    out[key] = value as DocumentMeta[string];
  }
  return out;
}

/**
 * The value with its hex identifiers blanked: a run of 16+ hex digits holding a letter a–f is a
 * digest or an id (0x…, app_…), and its digits can happen to look like a phone or card number.
 */
function withoutHexIds(value: string): string {
  return value.replace(/[0-9a-fA-F]{16,}/g, (run) => (/[a-fA-F]/.test(run) ? " " : run));
}

function checkBytes32(value: unknown, name: string): string {
  if (typeof value !== "string" || !BYTES32.test(value))
    throw new DocumentError("NODE_ERR_BAD_DOCUMENT", `${name} must be 0x followed by 64 hex digits`);
  return value.toLowerCase();
}

function memoCourt(courtMayRead: CourtMayRead): CourtMayRead {
  const answers = new Map<string, Promise<boolean>>();
  return (court, loanId) => {
    const key = `${court}:${loanId}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = courtMayRead(court, loanId);
      answers.set(key, answer);
    }
    return answer;
  };
}

function actorForLog(actor: unknown): AccessLogEntry["actor"] {
  const a = (typeof actor === "object" && actor !== null ? actor : {}) as Record<string, unknown>;
  return {
    userId: typeof a.userId === "string" ? scrubFreeText(a.userId.slice(0, 128)) : "",
    role: typeof a.role === "string" ? a.role.slice(0, 32) : "",
    memberId: isMemberId(a.memberId) ? a.memberId : null,
  };
}

function idForLog(documentId: unknown): string {
  if (typeof documentId !== "string") return "";
  return BYTES32.test(documentId) ? documentId.toLowerCase() : scrubFreeText(documentId.slice(0, 80));
}

function purposeForLog(purpose: unknown): string {
  return typeof purpose === "string" ? scrubFreeText(purpose.trim().slice(0, MAX_PURPOSE)) : "";
}

function forbiddenMessage(reason: RefusalReason): string {
  switch (reason) {
    case "bad-actor":
      return "the request carries no valid actor (userId, role clerk/approver/admin/court-clerk, memberId)";
    case "no-purpose":
      return "give the purpose of the access; every read is logged with it";
    case "other-member":
      return "only staff of the member that owns a document may read it";
    case "no-loan":
      return "a court may read only documents that belong to a loan";
    case "credit-report-stays-in-node":
      return "credit reports never leave the node; a court obtains them from the credit bureau";
    case "court-not-assigned":
      return "the loan is in no case assigned to this court";
    case "court-check-failed":
      return "the court's assignment could not be checked";
    case "not-court":
      return "only a court clerk may export a case's documents";
    case "not-found":
      return "no such document";
  }
}
