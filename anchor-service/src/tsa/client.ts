// Asks one TSA for a token over a message: RFC 3161 over HTTP (§3.4), a fresh nonce per request,
// a timeout, and the reply checked to answer this request (common/pki/timestamp.ts).
import {
  TIMESTAMP_QUERY_TYPE,
  TIMESTAMP_REPLY_TYPE,
  timestampFromResponse,
  timestampRequest,
  verifyTimestampToken,
  type ParsedTimestampToken,
} from "../../../common/pki/timestamp.ts";
import type { TrustAnchors } from "../../../common/pki/trust-anchors.ts";

export type TimestampFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One TSA's token over a message and the time it states (what the stamper stores). */
export type TimestampExchange = (
  tsa: string,
  message: Uint8Array,
) => Promise<{ token: Uint8Array; genTime: Date }>;

/** A TSA reply is a few KB; more is not a reply. */
const MAX_REPLY_BYTES = 256 * 1024;

/** The token, parsed; throws when the TSA cannot be reached, refuses, or answers something else. */
export async function requestTimestamp(
  url: string,
  message: Uint8Array,
  opts: { timeoutMs: number; fetch?: TimestampFetch },
): Promise<ParsedTimestampToken> {
  const request = await timestampRequest(message);
  const res = await (opts.fetch ?? fetch)(url, {
    method: "POST",
    headers: { "content-type": TIMESTAMP_QUERY_TYPE, accept: TIMESTAMP_REPLY_TYPE },
    body: Buffer.from(request.der),
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  if (!res.ok) throw new Error(`the TSA answered HTTP ${res.status}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith(TIMESTAMP_REPLY_TYPE))
    throw new Error(`the TSA answered ${type || "no content type"}, not ${TIMESTAMP_REPLY_TYPE}`);
  const reply = new Uint8Array(await res.arrayBuffer());
  if (reply.length > MAX_REPLY_BYTES) throw new Error(`the TSA's reply is ${reply.length} bytes`);
  return timestampFromResponse(reply, request.der);
}

/**
 * A token from `tsa` over `message` and its time; with `trustAnchors` only a token that verifies
 * to them (signature, time-stamping certificate, chain: common/pki/timestamp.ts) is returned.
 */
export async function exchangeTimestamp(
  tsa: string,
  message: Uint8Array,
  opts: { timeoutMs: number; trustAnchors?: TrustAnchors; fetch?: TimestampFetch },
): Promise<{ token: Uint8Array; genTime: Date }> {
  // parsed once, for the reply's check and the token's verification both
  const token = await requestTimestamp(tsa, message, opts);
  const genTime =
    opts.trustAnchors === undefined
      ? token.info.genTime
      : (await verifyTimestampToken(token, message, opts.trustAnchors)).genTime;
  return { token: token.der, genTime };
}
