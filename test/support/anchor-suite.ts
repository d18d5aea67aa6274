// One anchor service on a fresh consortium chain for a describe block: anchorServiceSuite()
// registers the block's before and after hooks and returns the suite's handle, whose fields are
// set once `before` has run. Heads are committed only when a test runs a round (the commit
// interval is an hour) unless the options say otherwise. (No describe/it here: Hardhat mocha
// loads it like a test.)
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import type { Logger } from "pino";
import type { Config } from "../../anchor-service/src/config.ts";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "./consortium-chain.ts";

export type AnchorSuite = {
  chain: ConsortiumChain;
  service: AnchorService;
  /** The service's data directory: a fresh temporary one (removed after) with `onDisk`, else "unused". */
  dataDir: string;
  /** The port it listens on, with `listen`. */
  port: number;
  /** The service's clock (unix seconds) while set; undefined follows the system clock. */
  frozenNow: number | undefined;
  /** postLeaves to the suite's service. */
  postLeaves(body: string, signer?: Wallet): ReturnType<AnchorService["app"]["inject"]>;
};

export type AnchorSuiteOptions = {
  /** Configuration beyond the chain's own (dataDir and the hour-long commit interval are set here). */
  config?: Partial<Config>;
  /** Keep the service's data on disk in a fresh temporary directory named with this prefix (default: in memory). */
  onDisk?: string;
  /** Let the round start() schedules run (nothing to commit yet), then one more, so no commit happens behind a test's back. */
  settleFirstRound?: boolean;
  /** Listen on a free local port (a real socket); `port` holds it. */
  listen?: boolean;
  /** The service's logger (default: none). */
  logger?: Logger;
};

/** POST /v1/leaves of `body` (JSON text) to a service's `app`, signed for `chain` by `signer` (default: branch A's operations key). */
export async function postLeaves(
  app: AnchorService["app"],
  chain: ConsortiumChain,
  body: string,
  signer: Wallet = chain.wallets.branchA,
) {
  return app.inject({
    method: "POST",
    url: "/v1/leaves",
    payload: body,
    headers: { "content-type": "application/json", ...(await chain.sign(signer, body)) },
  });
}

/** POST /v1/leaves of `records` to the service listening at `baseUrl`, signed for `chain` by branch A's operations key: its receipts (a 200 expected). */
export async function submitOverHttp(
  baseUrl: string,
  chain: ConsortiumChain,
  records: unknown[],
): Promise<Receipt[]> {
  const body = JSON.stringify({ records });
  const response = await fetch(`${baseUrl}/v1/leaves`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await chain.sign(chain.wallets.branchA, body)) },
    body,
  });
  expect(response.status).to.equal(200);
  return ((await response.json()) as { receipts: Receipt[] }).receipts;
}

/** The verdict of the service listening at `baseUrl` (POST /v1/verify) on `bundle` against the document's digest. */
export async function verdictAt(baseUrl: string, bundle: unknown, documentDigest: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ bundle, documentDigest }),
  });
  return ((await response.json()) as { overall: string }).overall;
}

/** The system clock in unix seconds, the service's clock while `frozenNow` is unset. */
/** One record of `document` anchored through `suite`: its receipt and, once a round committed it, its bundle. */
export async function anchorOne(
  suite: AnchorSuite,
  document: string,
): Promise<{ receipt: Receipt; bundle: EvidenceBundle }> {
  const reply = await suite.postLeaves(JSON.stringify({ records: [recordFor(document)] }));
  expect(reply.statusCode, reply.body).to.equal(200);
  const [receipt] = (reply.json() as { receipts: Receipt[] }).receipts;
  await suite.service.committer.runOnce();
  const served = await suite.service.app.inject({ url: `/v1/bundles/${receipt!.leafHash}` });
  expect(served.statusCode, served.body).to.equal(200);
  return { receipt: receipt!, bundle: parseBundle(served.json()) };
}

export const systemNow = (): number => Math.floor(Date.now() / 1000);

export function anchorServiceSuite(options: AnchorSuiteOptions = {}): AnchorSuite {
  const suite = {
    frozenNow: undefined,
    postLeaves: (body, signer) => postLeaves(suite.service.app, suite.chain, body, signer),
  } as AnchorSuite;

  before(async function () {
    suite.chain = await startConsortiumChain();
    suite.dataDir = options.onDisk === undefined ? "unused" : await mkdtemp(join(tmpdir(), options.onDisk));
    suite.service = await createAnchorService({
      config: suite.chain.config({ dataDir: suite.dataDir, commitIntervalMs: 3_600_000, ...options.config }),
      inMemory: options.onDisk === undefined,
      logger: options.logger ?? false,
      now: () => suite.frozenNow ?? systemNow(),
    });
    await suite.service.start();
    if (options.settleFirstRound === true) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await suite.service.committer.runOnce();
    }
    if (options.listen === true) {
      await suite.service.app.listen({ host: "127.0.0.1", port: 0 });
      suite.port = (suite.service.app.server.address() as AddressInfo).port;
    }
  });

  after(async function () {
    await suite.service?.close();
    await suite.chain?.stop();
    if (options.onDisk !== undefined && suite.dataDir !== undefined)
      await rm(suite.dataDir, { recursive: true, force: true });
  });

  return suite;
}
