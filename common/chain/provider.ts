// The one way a service or script opens a JSON-RPC provider, and how its HTTPS is verified.
import { Agent } from "node:https";
import { FetchRequest, type FetchGetUrlFunc, JsonRpcProvider, Network } from "ethers";

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

/**
 * A JsonRpcProvider with the settings every caller here needs: the network detected once
 * (`staticNetwork`: no re-probe before each call, and a fast failure while the endpoint is down),
 * no request batching (one call a request: a failure names its call), and no response cache
 * (ethers would otherwise cache eth_getTransactionCount and reuse nonces).
 */
export function jsonRpcProvider(url: string, options: ProviderOptions = {}): JsonRpcProvider {
  const request = new FetchRequest(url);
  if (options.timeoutMs !== undefined) request.timeout = options.timeoutMs;
  if (options.ca !== undefined) request.getUrlFunc = getUrlTrusting(options.ca);
  const network = options.chainId === undefined ? undefined : Network.from(BigInt(options.chainId));
  const provider = new JsonRpcProvider(request, network, {
    staticNetwork: network ?? true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  if (options.pollingMs !== undefined) provider.pollingInterval = options.pollingMs;
  return provider;
}
