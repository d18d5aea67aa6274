// Continuous load on an anchor service: several clients, each submitting signed requests of a
// few fresh records back to back (a short pause between), through whatever the service is doing
// — killed, restarting, cut off from its chain. Every receipt a client gets is kept: that is
// what the service promised and what the audit (anchor-audit.ts) checks afterwards.
import { createHash, randomBytes } from "node:crypto";
import type { Wallet } from "ethers";
import type { Receipt } from "../../../common/formats/receipt/receipts.ts";
import type { ConsortiumChain } from "../consortium-chain.ts";
import type { FaultProfile } from "./profile.ts";
import { sleep } from "./seeded.ts";

/** Signed-request headers for `body`, as client number `client` (clients may be different members). */
export type SignHeaders = (body: string, client: number) => Promise<Record<string, string>>;

export type AnchorLoadOptions = {
  url: string;
  sign: SignHeaders;
  clients: number;
  recordsPerRequest?: number;
  pauseMs?: number;
  /** Per-request timeout: a request to a killed or frozen service fails instead of hanging. */
  timeoutMs?: number;
};

export type LoadFigures = {
  requests: number;
  accepted: number;
  failed: number;
  refused: Record<string, number>;
  receipts: number;
};

export class AnchorLoad {
  readonly options: AnchorLoadOptions;
  /** leafHash → the receipt the service gave (first one). */
  readonly receipts = new Map<string, Receipt>();
  /** Every record sent, with the document text its digest is of. */
  readonly sent: Array<{
    kind: number;
    digestAlgorithm: number;
    digest: string;
    salt: string;
    subject: string;
  }> = [];
  readonly figures: LoadFigures = { requests: 0, accepted: 0, failed: 0, refused: {}, receipts: 0 };
  /** Time of the latest receipt (ms since the epoch). */
  lastReceiptAt = 0;
  #stop = false;
  #running: Array<Promise<void>> = [];
  #counter = 0;

  constructor(options: AnchorLoadOptions) {
    this.options = options;
  }

  start(): void {
    this.#stop = false;
    for (let c = 0; c < this.options.clients; c++) this.#running.push(this.#client(c));
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#running.splice(0));
  }

  /** Resolves once `n` more receipts have arrived than when it was called. */
  async moreReceipts(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.receipts.size + n;
    const deadline = Date.now() + timeoutMs;
    while (this.receipts.size < target) {
      if (Date.now() > deadline)
        throw new Error(
          `load: ${this.receipts.size}/${target} receipts after ${timeoutMs} ms ` +
            `(requests ${this.figures.requests}, failed ${this.figures.failed}, refused ${JSON.stringify(this.figures.refused)})`,
        );
      await sleep(20);
    }
  }

  async #client(c: number): Promise<void> {
    const per = this.options.recordsPerRequest ?? 10;
    while (!this.#stop) {
      const records = Array.from({ length: per }, () => {
        const document = `fault-load document ${c}/${this.#counter++} ${randomBytes(4).toString("hex")}`;
        return {
          kind: 1,
          digestAlgorithm: 1,
          digest: `0x${createHash("sha256").update(document).digest("hex")}`,
          salt: `0x${randomBytes(32).toString("hex")}`,
          subject: `0x${randomBytes(32).toString("hex")}`,
        };
      });
      this.sent.push(...records);
      const body = JSON.stringify({ records });
      this.figures.requests++;
      try {
        const response = await fetch(`${this.options.url}/v1/leaves`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(await this.options.sign(body, c)) },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        const payload = (await response.json()) as { receipts?: Receipt[]; error?: { code: string } };
        if (response.status === 200 && payload.receipts !== undefined) {
          this.figures.accepted++;
          for (const r of payload.receipts)
            if (!this.receipts.has(r.leafHash)) this.receipts.set(r.leafHash, r);
          this.figures.receipts = this.receipts.size;
          this.lastReceiptAt = Date.now();
        } else {
          const code = payload.error?.code ?? `HTTP_${response.status}`;
          this.figures.refused[code] = (this.figures.refused[code] ?? 0) + 1;
        }
      } catch {
        this.figures.failed++; // the connection died with the service, or it did not answer in time
        await sleep(50);
      }
      await sleep(this.options.pauseMs ?? 20);
    }
  }
}

/** A load of the fault profile's size on the service at `url`, client c submitting as `members[c mod n]` of `chain`. */
export function membersLoad(
  chain: ConsortiumChain,
  url: string,
  profile: Pick<FaultProfile, "clients" | "pauseMs" | "recordsPerRequest">,
  members: Wallet[],
): AnchorLoad {
  return new AnchorLoad({
    url,
    clients: profile.clients,
    pauseMs: profile.pauseMs,
    recordsPerRequest: profile.recordsPerRequest,
    sign: (body, c) => chain.sign(members[c % members.length]!, body),
  });
}
