// The one way a service or script opens a JSON-RPC provider.
import { FetchRequest, JsonRpcProvider, Network } from "ethers";

export type ProviderOptions = {
  /** The chain's id when known: the provider never asks for it (and cannot be pointed at another chain by a proxy). */
  chainId?: bigint | number;
  /** A timeout on every request: an endpoint cut off by a partition never answers. */
  timeoutMs?: number;
  /** How often `tx.wait()` and event subscriptions poll. */
  pollingMs?: number;
};

/**
 * A JsonRpcProvider with the settings every caller here needs: the network detected once
 * (`staticNetwork`: no re-probe before each call, and a fast failure while the endpoint is down),
 * no request batching (one call a request: a failure names its call), and no response cache
 * (ethers would otherwise cache eth_getTransactionCount and reuse nonces).
 */
export function jsonRpcProvider(url: string, options: ProviderOptions = {}): JsonRpcProvider {
  const request = new FetchRequest(url);
  if (options.timeoutMs !== undefined) request.timeout = options.timeoutMs;
  const network = options.chainId === undefined ? undefined : Network.from(BigInt(options.chainId));
  const provider = new JsonRpcProvider(request, network, {
    staticNetwork: network ?? true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  if (options.pollingMs !== undefined) provider.pollingInterval = options.pollingMs;
  return provider;
}
