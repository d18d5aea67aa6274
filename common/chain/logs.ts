// The one paged eth_getLogs walk: endpoints cap the block range (and the result size) of one
// getLogs call, so a search over a contract's life goes page by page.
import type { Filter, Log, Provider } from "ethers";

export type PagedLogsOptions = {
  /** First block searched. */
  fromBlock: number;
  /** Last block searched (inclusive); the chain's head when absent. */
  toBlock?: number;
  /** Blocks per getLogs call. */
  pageBlocks: number;
};

/** The logs matching `filter` (address, topics) from `fromBlock` to `toBlock`, one page of blocks at a time, in chain order. */
export async function* pagedLogs(
  provider: Provider,
  filter: Pick<Filter, "address" | "topics">,
  options: PagedLogsOptions,
): AsyncGenerator<Log[]> {
  if (!(options.pageBlocks >= 1))
    throw new RangeError(`pageBlocks must be at least 1, got ${options.pageBlocks}`);
  const last = options.toBlock ?? (await provider.getBlockNumber());
  for (let start = options.fromBlock; start <= last; start += options.pageBlocks) {
    yield await provider.getLogs({
      ...filter,
      fromBlock: start,
      toBlock: Math.min(last, start + options.pageBlocks - 1),
    });
  }
}

/** The first log matching `filter` for which `match` holds, searched page by page; undefined when none. */
export async function findLog(
  provider: Provider,
  filter: Pick<Filter, "address" | "topics">,
  options: PagedLogsOptions,
  match: (log: Log) => boolean = () => true,
): Promise<Log | undefined> {
  for await (const page of pagedLogs(provider, filter, options)) {
    const found = page.find(match);
    if (found !== undefined) return found;
  }
  return undefined;
}
