// A member's client of the anchor service: signs each submission with the member's chain key
// (EIP-712, common/auth/request-signing.ts) and signs what it submits (EvidenceSubmission over
// its records' leaf hashes, common/formats/receipt/submission.ts — what lets a bundle show the
// member, not only the log's operator, put the leaf in its name), checks every receipt it gets
// back (common/formats/receipt/receipts.ts: signed by the service's key, the leaf's place in the
// signed batch; and that it is the receipt of the record sent, in this log), and fetches bundles.
// Institution nodes and the anchor CLI (scripts/cli/anchor.ts) use it.
import type { Receipt } from "../formats/receipt/receipts.ts";
import { receiptDomain, verifyGovernedReceipt, verifyReceipt } from "../formats/receipt/receipts.ts";
import type { TypedDataSigner } from "../auth/eip712.ts";
import { requestDomain, signRequest } from "../auth/request-signing.ts";
import { toHex } from "../bytes.ts";
import { CodedError } from "../errors.ts";
import { leafHashOf, type EvidenceRecord } from "../formats/leaf/leaf.ts";
import {
  SUBMISSION_SIGNATURE_HEADER,
  signSubmission,
  submissionDomain,
} from "../formats/receipt/submission.ts";

export type AnchorClientErrorCode =
  | "ANCHOR_CLIENT_REFUSED"
  | "ANCHOR_CLIENT_UNAVAILABLE"
  | "ANCHOR_CLIENT_BAD_RECEIPT"
  | "ANCHOR_CLIENT_BAD_BUNDLE"
  | "ANCHOR_CLIENT_NOT_ANCHORED";
export class AnchorClientError extends CodedError<AnchorClientErrorCode> {
  readonly serviceCode: string | undefined;

  constructor(code: AnchorClientErrorCode, message: string, serviceCode?: string) {
    super(code, message);
    this.serviceCode = serviceCode;
  }
}

export type AnchorInfo = {
  chainId: string;
  logId: string;
  operator: string;
  evidenceLog: string;
  consortiumRegistry: string;
  evidenceRegistry: string;
  maxRecordsPerRequest: number;
  /** Set when the service signs receipts with SM2 too: then every receipt must carry that signature. */
  receiptSm2PublicKey?: string;
};
export type RecordInput = Pick<EvidenceRecord, "kind" | "digestAlgorithm" | "digest" | "salt" | "subject">;
/** A record as a client sends it (hex strings in either case; no subject = zero). */
type SubmittedRecord = {
  kind: number;
  digestAlgorithm: number;
  digest: string;
  salt: string;
  subject?: string;
};
const NO_SUBJECT = `0x${"00".repeat(32)}`;

/**
 * The x-jl-submission-signature header for submitting `records` as member `memberId` to the
 * service described by `info`: the signer's EvidenceSubmission over the records' leaf hashes in
 * request order. Every intake client sends it with the signed request.
 */
export async function submissionHeaders(
  signer: TypedDataSigner,
  info: Pick<AnchorInfo, "chainId" | "evidenceLog" | "logId">,
  memberId: number,
  records: ReadonlyArray<SubmittedRecord>,
): Promise<Record<string, string>> {
  const { signature } = await signSubmission(
    signer,
    submissionDomain(BigInt(info.chainId), info.evidenceLog),
    info.logId,
    leafHashesOf(records, memberId),
  );
  return { [SUBMISSION_SIGNATURE_HEADER]: signature };
}

/** The records' leaf hashes as the service completes them: lowercase hex, submitted by `memberId`, no subject = zero. */
function leafHashesOf(records: ReadonlyArray<SubmittedRecord>, memberId: number): Uint8Array[] {
  return records.map((r) =>
    leafHashOf({
      version: 1,
      kind: r.kind as EvidenceRecord["kind"],
      digestAlgorithm: r.digestAlgorithm as EvidenceRecord["digestAlgorithm"],
      digest: r.digest.toLowerCase(),
      salt: r.salt.toLowerCase(),
      submitter: memberId,
      subject: (r.subject ?? NO_SUBJECT).toLowerCase(),
    }),
  );
}

/**
 * The receipts of one request, each checked: well formed, signed by the operator the service
 * names, the leaf in its signed batch, in this log, and the receipt of the record sent at its
 * position (a genuine receipt for another record proves nothing about this one).
 */
function checkReceipts(
  receipts: unknown,
  domain: ReturnType<typeof receiptDomain>,
  info: Pick<AnchorInfo, "operator" | "logId" | "receiptSm2PublicKey">,
  expected: readonly string[],
  /** The SM2 key governance binds to the log's operator (`key` undefined: none); absent: the service's own word. */
  governedSm2?: { key: string | undefined },
): Receipt[] {
  const bad = (reason: string) =>
    new AnchorClientError(
      "ANCHOR_CLIENT_BAD_RECEIPT",
      `the anchor service returned a receipt that does not verify: ${reason}`,
    );
  if (!Array.isArray(receipts) || receipts.length !== expected.length)
    throw bad(
      `${expected.length} record(s) sent, ${Array.isArray(receipts) ? receipts.length : "no"} receipt(s) back`,
    );
  return receipts.map((receipt: unknown, i) => {
    const verified =
      governedSm2 === undefined
        ? verifyReceipt(domain, receipt, info.operator, info.receiptSm2PublicKey)
        : verifyGovernedReceipt(domain, receipt, info.operator, governedSm2.key);
    if (!verified.ok) throw bad(verified.reason);
    const r = receipt as Receipt;
    if (r.logId.toLowerCase() !== info.logId.toLowerCase())
      throw bad(`receipt ${i} is for log ${r.logId}, not ${info.logId}`);
    if (r.leafHash.toLowerCase() !== expected[i])
      throw bad(`receipt ${i} is for leaf ${r.leafHash}, not the record sent (${expected[i]})`);
    return r;
  });
}

export class AnchorClient {
  readonly baseUrl: string;
  readonly signer: TypedDataSigner;
  /** The member the signer's key belongs to: the records' submitter, part of each leaf hash it signs. */
  readonly memberId: number;
  #info: AnchorInfo | undefined;
  readonly #governedSm2Key: ((info: AnchorInfo) => Promise<string | undefined>) | undefined;

  /**
   * `governedSm2Key`: the SM2 receipt key the consortium governs for the service's log (a node
   * with a governed member directory); receipts are then SM2-checked against it, not against the
   * key the service announces in /v1/info.
   */
  constructor(
    baseUrl: string,
    signer: TypedDataSigner,
    memberId: number,
    governedSm2Key?: (info: AnchorInfo) => Promise<string | undefined>,
  ) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.signer = signer;
    this.memberId = memberId;
    this.#governedSm2Key = governedSm2Key;
  }

  async info(): Promise<AnchorInfo> {
    if (this.#info !== undefined) return this.#info;
    const info = (await this.#json("GET", "/v1/info")) as Partial<AnchorInfo>;
    if (info.chainId === undefined)
      throw new AnchorClientError(
        "ANCHOR_CLIENT_UNAVAILABLE",
        "the anchor service has not reached its chain yet",
      );
    this.#info = info as AnchorInfo;
    return this.#info;
  }

  /** Submit records; resolves with verified receipts, one per record, in order. */
  async submit(records: readonly RecordInput[]): Promise<Receipt[]> {
    const info = await this.info();
    const governedSm2 =
      this.#governedSm2Key === undefined ? undefined : { key: await this.#governedSm2Key(info) };
    const out: Receipt[] = [];
    for (let i = 0; i < records.length; i += info.maxRecordsPerRequest) {
      const part = records
        .slice(i, i + info.maxRecordsPerRequest)
        .map((r) => ({ ...r, submitter: this.memberId }));
      const body = JSON.stringify({ records: part });
      const headers = {
        ...(await signRequest(this.signer, requestDomain(BigInt(info.chainId), info.consortiumRegistry), {
          method: "POST",
          path: "/v1/leaves",
          body,
        })),
        ...(await submissionHeaders(this.signer, info, this.memberId, part)),
      };
      const reply = (await this.#json("POST", "/v1/leaves", body, headers)) as { receipts?: unknown };
      out.push(
        ...checkReceipts(
          reply.receipts,
          receiptDomain(BigInt(info.chainId), info.evidenceLog),
          info,
          leafHashesOf(part, this.memberId).map(toHex),
          governedSm2,
        ),
      );
    }
    return out;
  }

  /** The evidence bundle of an anchored leaf (ANCHOR_CLIENT_NOT_ANCHORED while pending). */
  async bundle(leafHash: string): Promise<unknown> {
    try {
      return await this.#json("GET", `/v1/bundles/${leafHash}`);
    } catch (error) {
      if (error instanceof AnchorClientError && error.serviceCode === "ANCHOR_ERR_NOT_ANCHORED") {
        throw new AnchorClientError(
          "ANCHOR_CLIENT_NOT_ANCHORED",
          `${leafHash} is not anchored yet`,
          error.serviceCode,
        );
      }
      throw error;
    }
  }

  async #json(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      throw new AnchorClientError(
        "ANCHOR_CLIENT_UNAVAILABLE",
        `cannot reach the anchor service at ${this.baseUrl}: ${(error as Error).message}`,
      );
    }
    const payload = (await response.json().catch(() => ({}))) as {
      error?: { code: string; message: string };
    };
    if (!response.ok) {
      const code = response.status >= 500 ? "ANCHOR_CLIENT_UNAVAILABLE" : "ANCHOR_CLIENT_REFUSED";
      throw new AnchorClientError(
        code,
        `anchor service: ${payload.error?.code ?? response.status} ${payload.error?.message ?? ""}`.trim(),
        payload.error?.code,
      );
    }
    return payload;
  }
}
