// The union's two bureau channels (主查询通道, 备用查询通道): every query goes to the primary
// first; when the primary is down — its breaker open, a timeout, unavailable (the 5xx of the
// bureau's gateway) after its own retries — the same query goes to the fallback. Which channel
// answered is returned with the report, for the query log. A refusal that says something about
// the query (no credit file, a bad request) is the bureau's answer and is not asked again.
import type { BureauQuery, BureauReport, CreditBureau } from "./bureau.ts";
import { BureauError } from "./bureau.ts";

export type BureauChannel = "primary" | "fallback";

/** Codes that mean the channel is down, not that the answer is no. */
const CHANNEL_DOWN: ReadonlySet<string> = new Set([
  "NODE_ERR_BUREAU_TIMEOUT",
  "NODE_ERR_BUREAU_UNAVAILABLE",
  "NODE_ERR_BUREAU_CIRCUIT_OPEN",
]);

export function isChannelDown(error: unknown): boolean {
  return error instanceof BureauError && CHANNEL_DOWN.has(error.code);
}

export class FallbackBureau implements CreditBureau {
  readonly primary: CreditBureau;
  readonly fallback: CreditBureau;
  readonly #onFallback: (error: BureauError) => void;

  /** `primary` and `fallback`: each normally a BureauClient (its own timeout, retries and breaker) around its own adapter. */
  constructor(
    primary: CreditBureau,
    fallback: CreditBureau,
    options: { onFallback?: (error: BureauError) => void } = {},
  ) {
    this.primary = primary;
    this.fallback = fallback;
    this.#onFallback = options.onFallback ?? (() => {});
  }

  /** The report and the channel that produced it. */
  async queryWithChannel(
    request: BureauQuery,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ report: BureauReport; channel: BureauChannel }> {
    try {
      return { report: await this.primary.query(request, options), channel: "primary" };
    } catch (error) {
      if (options.signal?.aborted || !isChannelDown(error)) throw error;
      this.#onFallback(error as BureauError);
    }
    return { report: await this.fallback.query(request, options), channel: "fallback" };
  }

  async query(request: BureauQuery, options: { signal?: AbortSignal } = {}): Promise<BureauReport> {
    return (await this.queryWithChannel(request, options)).report;
  }
}
