// What every anchor fault scenario checks at the end, against the promises the service made:
// every receipt a client received is genuine, its record is stored at the receipt's sequence
// number, anchored, and its bundle verifies against the chain (common/formats/bundle/verify.ts) bound
// to the consortium's trust anchor (the harness's own chain and registry; the service must
// publish the same one); no leaf is stored twice; the digest index holds exactly the stored
// records; no head is left lost.
import { JsonRpcProvider, type Provider } from "ethers";
import type { Receipt, ReceiptDomain } from "../../../common/formats/receipt/receipts.ts";
import { receiptDomain, verifyReceipt } from "../../../common/formats/receipt/receipts.ts";
import type { ConsortiumChain } from "../consortium-chain.ts";
import { parseBundle } from "../../../common/formats/bundle/bundle.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  TRUST_ANCHOR_PATH,
  loadTrustAnchor,
  readTrustAnchor,
  trustAnchorFingerprint,
} from "../../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOnline } from "../../../common/formats/bundle/verify.ts";
import { openDb } from "../../../anchor-service/src/store/db.ts";
import { digestKey } from "../../../anchor-service/src/store/keys.ts";
import { RecordStore } from "../../../anchor-service/src/store/records.ts";
import { sleep, until } from "./seeded.ts";

/** Times a bundle answered 503 ANCHOR_ERR_CHAIN_UNAVAILABLE is asked for, a second apart. */
const BUNDLE_ATTEMPTS = 10;

export type ServedAudit = {
  receipted: number;
  /** Receipts whose signature or proof does not verify. */
  badReceipts: number;
  /** Receipted leaves the service does not know, or holds at another sequence number. */
  lost: number;
  /** Bundles served and verified (overall "pass"). */
  bundlesVerified: number;
  /** Bundle requests answered 503 ANCHOR_ERR_CHAIN_UNAVAILABLE and asked again (the service's chain read timed out). */
  chainUnavailableRetries: number;
  /** Up to 10 examples of what failed. */
  problems: string[];
};

export type StoredAudit = {
  stored: number;
  uniqueLeaves: number;
  duplicates: number;
  receiptsAtSequence: number;
  digestIndexEntries: number;
  missingFromDigestIndex: number;
  heads: number;
  lostHeads: number;
};

/**
 * A provider for the audit: one snapshot of the chain, each distinct JSON-RPC request sent once
 * (thousands of bundles share their head's block, the submitter's membership at that block and
 * the chain id, so verifying each bundle in full costs a few requests, not a dozen).
 */
export function snapshotProvider(url: string): JsonRpcProvider {
  const answers = new Map<string, Promise<unknown>>();
  const provider = new JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const send = provider.send.bind(provider);
  provider.send = (method: string, params: unknown[] | Record<string, unknown>) => {
    const key = JSON.stringify([method, params]);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = send(method, params);
      answers.set(key, answer);
    }
    return answer as Promise<never>;
  };
  return provider;
}

/** Wait until the service has anchored everything (readyz: chain ok, nothing pending). */
export async function waitAllAnchored(url: string, timeoutMs = 120_000): Promise<void> {
  await until(
    async () => {
      const response = await fetch(`${url}/readyz`);
      const body = (await response.json()) as { ready: boolean; pendingLeaves: number };
      return response.ok && body.ready && body.pendingLeaves === 0;
    },
    "every leaf anchored (readyz: ready, 0 pending)",
    timeoutMs,
  );
}

/**
 * Every receipt against the running service and the chain (`concurrency` bundles at a time).
 * `consortiumRegistry`: the registry the harness deployed, which with the chain makes the trust
 * anchor every bundle is verified with.
 */
export async function auditServed(options: {
  url: string;
  receipts: Iterable<Receipt>;
  domain: ReceiptDomain;
  operator: string;
  provider: Provider;
  consortiumRegistry: string;
  concurrency?: number;
}): Promise<ServedAudit> {
  // the caller's provider for its identity; a fresh snapshot per audit (the chain may have moved)
  const rpcUrl = (options.provider as JsonRpcProvider)._getConnection?.().url;
  const provider = rpcUrl === undefined ? options.provider : snapshotProvider(rpcUrl);
  const all = [...options.receipts];
  // the consortium's trust anchor from what the harness set up, not from the audited service
  const trustAnchor = await readTrustAnchor(provider, {
    consortiumRegistry: options.consortiumRegistry,
    name: DEFAULT_TRUST_ANCHOR_NAME,
  });
  const out: ServedAudit = {
    receipted: all.length,
    badReceipts: 0,
    lost: 0,
    bundlesVerified: 0,
    chainUnavailableRetries: 0,
    problems: [],
  };
  const note = (problem: string) => {
    if (out.problems.length < 10) out.problems.push(problem);
  };
  // what a court fetching the service's URL gets must be that same anchor
  const published = await loadTrustAnchor(`${options.url}${TRUST_ANCHOR_PATH}`);
  if (trustAnchorFingerprint(published) !== trustAnchorFingerprint(trustAnchor)) {
    note(
      `the service publishes trust anchor ${trustAnchorFingerprint(published)} (${JSON.stringify(published)}), not the consortium's ${trustAnchorFingerprint(trustAnchor)}`,
    );
  }
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const receipt = all[next++]!;
      const checked = verifyReceipt(options.domain, receipt, options.operator);
      if (!checked.ok) {
        out.badReceipts++;
        note(`receipt ${receipt.leafHash}: ${JSON.stringify(checked)}`);
      }
      // a bundle carries the registry's status at its block, read from the chain when asked: on a
      // loaded machine that read can time out, which the service answers with a 503 to retry,
      // as a court's client would; any other refusal, or one that lasts, is a problem
      let response: Response;
      let body: unknown;
      for (let attempt = 1; ; attempt++) {
        response = await fetch(`${options.url}/v1/bundles/${receipt.leafHash}`);
        body = (await response.json()) as unknown;
        const transient =
          response.status === 503 &&
          (body as { error?: { code?: string } }).error?.code === "ANCHOR_ERR_CHAIN_UNAVAILABLE";
        if (!transient || attempt === BUNDLE_ATTEMPTS) break;
        out.chainUnavailableRetries++;
        await sleep(1_000);
      }
      if (response.status !== 200) {
        const { code, message } = (body as { error?: { code?: string; message?: string } }).error ?? {};
        if (code === "ANCHOR_ERR_UNKNOWN_LEAF") out.lost++;
        note(`bundle ${receipt.leafHash}: ${response.status} ${code} ${message ?? ""}`);
        continue;
      }
      const bundle = parseBundle(body);
      if (bundle.log.leafIndex !== receipt.sequence) {
        out.lost++;
        note(`leaf ${receipt.leafHash} is at ${bundle.log.leafIndex}, its receipt says ${receipt.sequence}`);
        continue;
      }
      const checks = await verifyOnline(bundle, { trustAnchor, providers: [provider] });
      if (overall(checks) === "pass") out.bundlesVerified++;
      else note(`bundle ${receipt.leafHash}: ${JSON.stringify(checks.filter((c) => c.outcome !== "pass"))}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    if (provider !== options.provider) provider.destroy?.();
  }
  return out;
}

/** The stopped service's LevelDB directory, read directly. */
export async function auditStored(dataDir: string, receipts: Iterable<Receipt>): Promise<StoredAudit> {
  const db = await openDb(dataDir);
  try {
    const records = new RecordStore(db);
    const count = await records.count();
    const hashes = (await records.leafHashes(0, count)).map((h) => Buffer.from(h).toString("hex"));
    const unique = new Set(hashes);
    let atSequence = 0;
    for (const receipt of receipts)
      if (hashes[receipt.sequence] === receipt.leafHash.slice(2).toLowerCase()) atSequence++;
    let digestIndexEntries = 0;
    for await (const _ of db.digests.keys()) digestIndexEntries++;
    const stored = await records.packedMany(Array.from({ length: count }, (_, seq) => seq));
    const entries = await db.digests.getMany(
      stored.map((value, seq) => digestKey(value!.subarray(2, 34), seq)),
    );
    let heads = 0;
    let lostHeads = 0;
    for await (const head of db.heads.values()) {
      heads++;
      if (head.lost !== undefined) lostHeads++;
    }
    return {
      stored: count,
      uniqueLeaves: unique.size,
      duplicates: count - unique.size,
      receiptsAtSequence: atSequence,
      digestIndexEntries,
      missingFromDigestIndex: entries.filter((e) => e === undefined).length,
      heads,
      lostHeads,
    };
  } finally {
    await db.root.close();
  }
}

/** auditServed of the service at `url` anchoring on `chain` into `evidenceLog`: its receipt domain, log operator, provider and registry. */
export function auditServedOn(
  chain: ConsortiumChain,
  evidenceLog: string,
  url: string,
  receipts: Iterable<Receipt>,
): Promise<ServedAudit> {
  return auditServed({
    url,
    receipts,
    domain: receiptDomain(chain.chainId, evidenceLog),
    operator: chain.wallets.anchor.address,
    provider: chain.anvil.provider,
    consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
  });
}
