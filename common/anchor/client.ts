// A member's client of the anchor service: signs each submission with the member's chain key
// (EIP-712, common/auth/request-signing.ts), checks every receipt it gets back against the
// service's key, and fetches bundles. Institution nodes and the CLI use it.
import type { Receipt } from "../formats/receipt/receipts.ts";
import { receiptDomain, verifyReceipt } from "../formats/receipt/receipts.ts";
import type { TypedDataSigner } from "../auth/eip712.ts";
import { requestDomain, signRequest } from "../auth/request-signing.ts";
import { CodedError } from "../errors.ts";
import type { EvidenceRecord } from "../formats/leaf/leaf.ts";

export type AnchorClientErrorCode = "ANCHOR_CLIENT_REFUSED" | "ANCHOR_CLIENT_UNAVAILABLE" | "ANCHOR_CLIENT_BAD_RECEIPT" | "ANCHOR_CLIENT_NOT_ANCHORED";
export class AnchorClientError extends CodedError<AnchorClientErrorCode> {
  readonly serviceCode: string | undefined;

  constructor(code: AnchorClientErrorCode, message: string, serviceCode?: string) {
    super(code, message);
    this.serviceCode = serviceCode;
  }
}

export type AnchorInfo = { chainId: string; logId: string; operator: string; evidenceLog: string; consortiumRegistry: string; evidenceRegistry: string; maxRecordsPerRequest: number };
export type RecordInput = Pick<EvidenceRecord, "kind" | "digestAlgorithm" | "digest" | "salt" | "subject">;

export class AnchorClient {
  readonly baseUrl: string;
  readonly signer: TypedDataSigner;
  #info: AnchorInfo | undefined;

  constructor(baseUrl: string, signer: TypedDataSigner) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.signer = signer;
  }

  async info(): Promise<AnchorInfo> {
    if (this.#info !== undefined) return this.#info;
    const info = (await this.#json("GET", "/v1/info")) as Partial<AnchorInfo>;
    if (info.chainId === undefined) throw new AnchorClientError("ANCHOR_CLIENT_UNAVAILABLE", "the anchor service has not reached its chain yet");
    this.#info = info as AnchorInfo;
    return this.#info;
  }

  /** Submit records; resolves with verified receipts, one per record, in order. */
  async submit(records: readonly RecordInput[]): Promise<Receipt[]> {
    const info = await this.info();
    const out: Receipt[] = [];
    for (let i = 0; i < records.length; i += info.maxRecordsPerRequest) {
      const body = JSON.stringify({ records: records.slice(i, i + info.maxRecordsPerRequest) });
      const headers = await signRequest(this.signer, requestDomain(BigInt(info.chainId), info.consortiumRegistry), { method: "POST", path: "/v1/leaves", body });
      const reply = (await this.#json("POST", "/v1/leaves", body, headers)) as { receipts: Receipt[] };
      const domain = receiptDomain(BigInt(info.chainId), info.evidenceLog);
      for (const receipt of reply.receipts) {
        const verified = verifyReceipt(domain, receipt, info.operator);
        if (!verified.ok) throw new AnchorClientError("ANCHOR_CLIENT_BAD_RECEIPT", `the anchor service returned a receipt that does not verify: ${verified.reason}`);
      }
      out.push(...reply.receipts);
    }
    return out;
  }

  /** The evidence bundle of an anchored leaf (ANCHOR_CLIENT_NOT_ANCHORED while pending). */
  async bundle(leafHash: string): Promise<unknown> {
    try {
      return await this.#json("GET", `/v1/bundles/${leafHash}`);
    } catch (error) {
      if (error instanceof AnchorClientError && error.serviceCode === "ANCHOR_ERR_NOT_ANCHORED") {
        throw new AnchorClientError("ANCHOR_CLIENT_NOT_ANCHORED", `${leafHash} is not anchored yet`, error.serviceCode);
      }
      throw error;
    }
  }

  async #json(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { method, headers: body === undefined ? headers : { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new AnchorClientError("ANCHOR_CLIENT_UNAVAILABLE", `cannot reach the anchor service at ${this.baseUrl}: ${(error as Error).message}`);
    }
    const payload = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!response.ok) {
      const code = response.status >= 500 ? "ANCHOR_CLIENT_UNAVAILABLE" : "ANCHOR_CLIENT_REFUSED";
      throw new AnchorClientError(code, `anchor service: ${payload.error?.code ?? response.status} ${payload.error?.message ?? ""}`.trim(), payload.error?.code);
    }
    return payload;
  }
}
