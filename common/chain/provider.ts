// The one way a service or script opens a JSON-RPC provider, and how its HTTPS is verified.
import { Agent } from "node:https";
import {
  FetchRequest,
  type FetchGetUrlFunc,
  JsonRpcProvider,
  type JsonRpcPayload,
  type JsonRpcResult,
  Network,
} from "ethers";

export type ProviderOptions = {
  /** The chain's id when known: the provider never asks for it (and cannot be pointed at another chain by a proxy). */
  chainId?: bigint | number;
  /** A timeout on every request: an endpoint cut off by a partition never answers. */
  timeoutMs?: number;
  /** How often `tx.wait()` and event subscriptions poll. */
  pollingMs?: number;
  /** PEM CA certificate(s): an https endpoint must present a certificate they issued (they alone). */
  ca?: string;
};

/**
 * ethers' request function, except that an https URL is verified against `ca` alone. ethers does
 * not use fetch (so the undici dispatcher of common/service/tls.ts never sees the chain's RPC), and
 * its own agent option would be handed to plain-http requests too, which refuse an https agent.
 */
export function getUrlTrusting(ca: string): FetchGetUrlFunc {
  const secure = FetchRequest.createGetUrlFunc({ agent: new Agent({ ca, rejectUnauthorized: true }) });
  const plain = FetchRequest.createGetUrlFunc();
  return (request, signal) => (new URL(request.url).protocol === "https:" ? secure : plain)(request, signal);
}

/**
 * Makes every ethers JSON-RPC request of this process (providers made here or elsewhere) verify an
 * https endpoint against `ca` alone; returns what puts ethers' own request function back.
 */
export function trustOnlyForRpc(ca: string): () => void {
  const previous = new FetchRequest("http://previous.invalid").getUrlFunc;
  FetchRequest.registerGetUrl(getUrlTrusting(ca));
  return () => FetchRequest.registerGetUrl(previous);
}

/** Fails on malformed UTF-8 and keeps a byte-order mark (which JSON then refuses), as ethers' decoder does. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * ethers' JsonRpcProvider, its requests' bodies encoded and its replies decoded by Node's UTF-8
 * codec: ethers' own codec walks every character in JavaScript, which made a node's chain calls
 * (a batch's signed transaction, a page of logs) cost more than the work around them. Same
 * request bytes, same JSON-RPC; a reply that does not decode goes to ethers' decoder, so it fails
 * with ethers' own error as before.
 */
class Utf8JsonRpcProvider extends JsonRpcProvider {
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection();
    request.body = Buffer.from(JSON.stringify(payload), "utf8");
    request.setHeader("content-type", "application/json");
    const response = await request.send();
    response.assertOk();
    let reply: unknown;
    try {
      reply = JSON.parse(UTF8.decode(response.body ?? new Uint8Array(0)));
    } catch {
      reply = response.bodyJson;
    }
    return (Array.isArray(reply) ? reply : [reply]) as JsonRpcResult[];
  }
}

/**
 * A JsonRpcProvider with the settings every caller here needs: the network detected once
 * (`staticNetwork`: no re-probe before each call, and a fast failure while the endpoint is down),
 * no request batching (one call a request: a failure names its call), and no response cache
 * (ethers would otherwise cache eth_getTransactionCount and reuse nonces); bodies through Node's
 * UTF-8 codec (Utf8JsonRpcProvider).
 */
export function jsonRpcProvider(url: string, options: ProviderOptions = {}): JsonRpcProvider {
  const request = new FetchRequest(url);
  if (options.timeoutMs !== undefined) request.timeout = options.timeoutMs;
  if (options.ca !== undefined) request.getUrlFunc = getUrlTrusting(options.ca);
  const network = options.chainId === undefined ? undefined : Network.from(BigInt(options.chainId));
  const provider = new Utf8JsonRpcProvider(request, network, {
    staticNetwork: network ?? true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  if (options.pollingMs !== undefined) provider.pollingInterval = options.pollingMs;
  return provider;
}
