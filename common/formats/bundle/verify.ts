// Verification of an evidence bundle (bundle.ts): offline by pure math, online against one or
// more chain RPC endpoints that must all agree. Every check yields pass, fail or indeterminate
// with a one-sentence reason; nothing here throws for a bad bundle or a failing endpoint.
// Online, every chain answer is bound to the court's trust anchor (trust-anchor.ts): the chain
// must be the anchor's, and the contracts the bundle names must be the ones the anchor's
// ConsortiumRegistry names on chain — a bundle never chooses whom the verifier asks.
// What each check means for a court: BUNDLE.md.
import { isError, type Provider } from "ethers";
import { bytesEqual, fromHex, toHex } from "../../bytes.ts";
import { ConsortiumRegistry, EvidenceLog, EvidenceRegistry } from "../../chain/generated/contracts.ts";
import { AccountRole, EVIDENCE_STATES, MEMBER_STATUSES, MemberStatus } from "../../chain/generated/enums.ts";
import { decodeRevertData } from "../../chain/revert.ts";
import { checkSubmissionProof, submissionDomain, type SubmissionCheck } from "../receipt/submission.ts";
import { receiptDomain, verifyReceipt } from "../receipt/receipts.ts";
import { hashLeaf, verifyInclusion } from "../merkle/rfc9162.ts";
import { effectiveAnchor, isoOfUnixSeconds, type EvidenceBundle } from "./bundle.ts";
import { checkReceipt, judgeAnchorClaims, offlineClaimProblems, readAnchorClaims } from "./anchor-claims.ts";
import { DigestAlgorithm, encodeLeaf } from "../leaf/leaf.ts";
import type { TrustAnchor } from "./trust-anchor.ts";
import { checkTrustedTime, NO_TSA_TRUST_ANCHOR_REASON, type TrustedTimeOptions } from "./trusted-time.ts";

/** Every check, in the order they are run and reported. Part of the API: append only. */
export const CHECK_IDS = [
  "digest",
  "leafEncoding",
  "merklePath",
  "headOnChain",
  "blockAndTime",
  "finality",
  "submitterMembership",
  "lifecycle",
  "trustedTime",
] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type Outcome = "pass" | "fail" | "indeterminate";
export type CheckResult = { id: CheckId; outcome: Outcome; reason: string };

const CHAIN_CHECKS = ["headOnChain", "blockAndTime", "finality", "submitterMembership", "lifecycle"] as const;
type ChainCheckId = (typeof CHAIN_CHECKS)[number];

export const OFFLINE_REASON = "offline: not checked against a chain";
export const NO_TRUST_ANCHOR_REASON =
  "no trust anchor was given: without the consortium's chain and registry the verifier cannot tell its contracts from look-alikes, so nothing was checked against the chain";
/** What `overall` needs to pass, besides no failure. */
export const REQUIRED_FOR_PASS: readonly CheckId[] = ["leafEncoding", "merklePath", "headOnChain"];

/** A verifier that trusts TSAs also needs their time to pass: a bundle stripped of its tokens is then undecided. */
export function requiredForPass(options: OfflineOptions = {}): readonly CheckId[] {
  const tsa = options.trustedTime?.tsaTrustAnchors;
  return tsa === null || tsa === undefined ? REQUIRED_FOR_PASS : [...REQUIRED_FOR_PASS, "trustedTime"];
}

const LEAF_FIELDS = ["version", "kind", "digestAlgorithm", "digest", "salt", "submitter", "subject"] as const;
const ACCOUNT_ROLE_NAMES = ["unattached", "operations", "log-operator", "governance"] as const;

export type OfflineOptions = {
  /** 0x + 64 hex digits: the document's digest under the leaf's digestAlgorithm. */
  documentDigest?: string;
  /** The TSA roots trusted and the clock tolerance for trustedTime (trusted-time.ts); checked by verifyTrustedTime. */
  trustedTime?: TrustedTimeOptions;
  /**
   * 国密: the anchor service's SM2 receipt key (0x04 ‖ x ‖ y) the verifier knows: the intake receipt
   * must then carry a valid SM2 signature under it, else blockAndTime fails. (An SM2 signature a
   * receipt carries is checked in any case.)
   */
  receiptSm2Key?: string;
};

export type OnlineOptions = OfflineOptions & {
  /**
   * The consortium's trust anchor, from a source the verifier trusts (a court's own file, the
   * consortium's published URL), never from the bundle. null: none held — every chain check is
   * indeterminate, so the verification cannot pass.
   */
  trustAnchor: TrustAnchor | null;
  /** Every endpoint is asked everything; their answers must agree. */
  providers: readonly Provider[];
  /** How endpoints are named in reasons (for example their URLs); default "endpoint N". */
  endpointNames?: readonly string[];
  /** Blocks on top of the anchoring block; default 0 (QBFT finality is immediate). */
  minConfirmations?: number;
};

export function verifyOffline(bundle: EvidenceBundle, options: OfflineOptions = {}): CheckResult[] {
  return requireReceiptSm2(bundle, options.receiptSm2Key, [
    guarded("digest", () => checkDigest(bundle, options.documentDigest)),
    guarded("leafEncoding", () => checkLeafEncoding(bundle)),
    guarded("merklePath", () => checkMerklePath(bundle)),
    ...CHAIN_CHECKS.map((id) =>
      id === "blockAndTime"
        ? guarded(id, () => offlineBlockAndTime(bundle))
        : id === "submitterMembership"
          ? guarded(id, () => offlineSubmission(bundle))
          : result(id, "indeterminate", OFFLINE_REASON),
    ),
    // the tokens' signatures need WebCrypto, which is asynchronous: verifyTrustedTime checks them
    result(
      "trustedTime",
      "indeterminate",
      options.trustedTime?.tsaTrustAnchors == null
        ? NO_TSA_TRUST_ANCHOR_REASON
        : "not checked yet: the time-stamp tokens are verified by verifyTrustedTime",
    ),
  ]);
}

/** `results` with blockAndTime failed when the receipt lacks a valid SM2 signature under `key` (given). */
function requireReceiptSm2(
  bundle: EvidenceBundle,
  key: string | undefined,
  results: CheckResult[],
): CheckResult[] {
  if (key === undefined) return results;
  let problem: string | undefined;
  if (bundle.receipt === undefined) {
    problem = `the bundle carries no intake receipt, so no SM2 signature under ${key}`;
  } else {
    try {
      const domain = receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
      const verified = verifyReceipt(domain, bundle.receipt, undefined, key);
      if (!verified.ok)
        problem = `the intake receipt has no valid SM2 signature under ${key} (${verified.code}: ${verified.reason})`;
    } catch (e) {
      problem = `the intake receipt's SM2 signature cannot be checked under the bundle's chain and EvidenceLog (${(e as Error).message})`;
    }
  }
  return problem === undefined
    ? results
    : results.map((r) => (r.id === "blockAndTime" ? result("blockAndTime", "fail", problem) : r));
}

/** `results` with its trustedTime entry decided (trusted-time.ts): offline, only the bundle and the TSA roots. */
export async function verifyTrustedTime(
  bundle: EvidenceBundle,
  results: readonly CheckResult[],
  options: OfflineOptions = {},
): Promise<CheckResult[]> {
  const checked = await checkTrustedTime(bundle, options.trustedTime ?? {});
  return results.map((r) =>
    r.id === "trustedTime" ? result("trustedTime", checked.outcome, checked.reason) : r,
  );
}

export async function verifyOnline(bundle: EvidenceBundle, options: OnlineOptions): Promise<CheckResult[]> {
  const { providers, trustAnchor } = options;
  // also for callers without the type (plain JavaScript): no anchor, no online verdict; what
  // offline math already refutes still fails
  if (trustAnchor === null || trustAnchor === undefined) {
    const chainChecks: readonly CheckId[] = CHAIN_CHECKS;
    return verifyTrustedTime(
      bundle,
      verifyOffline(bundle, options).map((r) =>
        chainChecks.includes(r.id) && r.outcome !== "fail"
          ? result(r.id, "indeterminate", NO_TRUST_ANCHOR_REASON)
          : r,
      ),
      options,
    );
  }
  const offlineResults = verifyOffline(bundle, options);
  const offline = offlineResults.slice(0, 3);
  const timed = verifyTrustedTime(bundle, offlineResults.slice(-1), options);
  if (providers.length === 0) {
    return requireReceiptSm2(bundle, options.receiptSm2Key, [
      ...offline,
      ...CHAIN_CHECKS.map((id) => result(id, "indeterminate", "no chain endpoint was given")),
      ...(await timed),
    ]);
  }
  const names = providers.map((_, i) => options.endpointNames?.[i] ?? `endpoint ${i + 1}`);
  const minConfirmations = options.minConfirmations ?? 0;
  const answers = await Promise.all(
    providers.map((p) => askEndpoint(bundle, p, trustAnchor, minConfirmations)),
  );
  const online = CHAIN_CHECKS.map((id) =>
    combine(
      id,
      answers.map((a) => a[id]),
      names,
    ),
  );
  return requireReceiptSm2(bundle, options.receiptSm2Key, [...offline, ...online, ...(await timed)]);
}

/** "fail" if any check fails; "pass" if the required checks all pass; else "indeterminate". */
export function overall(
  results: readonly CheckResult[],
  required: readonly CheckId[] = REQUIRED_FOR_PASS,
): Outcome {
  if (results.some((r) => r.outcome === "fail")) return "fail";
  const passed = new Set(results.filter((r) => r.outcome === "pass").map((r) => r.id));
  return required.every((id) => passed.has(id)) ? "pass" : "indeterminate";
}

// ---------------------------------------------------------------------------------------------
// Offline checks

function checkDigest(bundle: EvidenceBundle, documentDigest: string | undefined): CheckResult {
  if (documentDigest === undefined) {
    return result("digest", "indeterminate", "no document was given, so its digest was not compared");
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(documentDigest)) {
    return result(
      "digest",
      "indeterminate",
      `the document digest given is not 0x and 64 hex digits: ${documentDigest}`,
    );
  }
  const algorithm = algorithmName(bundle.leaf.record.digestAlgorithm);
  const inLeaf = bundle.leaf.record.digest.toLowerCase();
  const ofDocument = documentDigest.toLowerCase();
  if (inLeaf === ofDocument) {
    return result(
      "digest",
      "pass",
      `the document's ${algorithm} digest ${ofDocument} equals the digest in the evidence record`,
    );
  }
  return result(
    "digest",
    "fail",
    `the document's ${algorithm} digest ${ofDocument} differs from the recorded digest ${inLeaf}: this is not the document the evidence was made for, or it was changed`,
  );
}

function checkLeafEncoding(bundle: EvidenceBundle): CheckResult {
  const encoded = fromHex(bundle.leaf.encoded);
  const problems: string[] = [];
  let expected: Uint8Array | undefined;
  try {
    expected = encodeLeaf(bundle.leaf.record);
  } catch (e) {
    problems.push(`the evidence record is not a valid v1 record (${(e as Error).message})`);
  }
  if (expected !== undefined && !bytesEqual(expected, encoded)) {
    const at = firstDifference(expected, encoded);
    problems.push(
      `the evidence record does not encode to leaf.encoded (first difference at byte ${at}, field ${LEAF_FIELDS[Math.floor(at / 32)] ?? "beyond the leaf"})`,
    );
  }
  const computed = toHex(hashLeaf(encoded));
  if (computed !== bundle.leaf.leafHash.toLowerCase()) {
    problems.push(
      `leaf.leafHash ${bundle.leaf.leafHash.toLowerCase()} is not SHA-256(0x00 ‖ leaf.encoded), which is ${computed}`,
    );
  }
  if (problems.length > 0) return result("leafEncoding", "fail", `${problems.join("; ")}`);
  return result(
    "leafEncoding",
    "pass",
    `the evidence record encodes to the 224-byte leaf, whose hash is ${computed}`,
  );
}

/** The intake receipt is offline math: a forged one, or one the anchor time breaks, fails here already. */
function offlineBlockAndTime(bundle: EvidenceBundle): CheckResult {
  const problems = offlineClaimProblems(bundle);
  return problems.length > 0
    ? result("blockAndTime", "fail", problems.join("; "))
    : result("blockAndTime", "indeterminate", OFFLINE_REASON);
}

/**
 * The submitter's signature over its request, as far as math can tell (receipt/submission.ts): the
 * leaf is in the signed root and the signature recovers to the signer named. Whose key that is
 * needs the chain.
 */
export function checkSubmission(bundle: EvidenceBundle): SubmissionCheck {
  if (bundle.submission === undefined) {
    return {
      ok: false,
      reason: `the bundle carries no signature of the submitter, member ${bundle.leaf.record.submitter}, over the leaf: only the log's operator vouches that the member submitted it`,
    };
  }
  let domain;
  try {
    domain = submissionDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
  } catch (e) {
    return {
      ok: false,
      reason: `the submission signature cannot be checked under the bundle's chain and EvidenceLog (${(e as Error).message})`,
    };
  }
  return checkSubmissionProof(domain, bundle.log.logId, bundle.leaf.leafHash, bundle.submission);
}

function offlineSubmission(bundle: EvidenceBundle): CheckResult {
  const check = checkSubmission(bundle);
  return check.ok
    ? result("submitterMembership", "indeterminate", OFFLINE_REASON)
    : result("submitterMembership", "fail", check.reason);
}

function checkMerklePath(bundle: EvidenceBundle): CheckResult {
  const { leafIndex } = bundle.log;
  const { treeSize, rootHash } = bundle.head;
  const proof = bundle.inclusionProof.map(fromHex);
  const root = rootHash.toLowerCase();
  if (verifyInclusion(leafIndex, treeSize, fromHex(bundle.leaf.leafHash), proof, fromHex(rootHash))) {
    return result(
      "merklePath",
      "pass",
      `the inclusion proof (${proof.length} hashes) places the leaf at index ${leafIndex} of the tree of ${treeSize} leaves with root ${root}`,
    );
  }
  const why = leafIndex >= treeSize ? ` (leaf index ${leafIndex} is not below the tree size)` : "";
  return result(
    "merklePath",
    "fail",
    `the inclusion proof does not lead from the leaf at index ${leafIndex} to the root ${root} of a tree of ${treeSize} leaves${why}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Online checks. Each endpoint answers every check on its own; `combine` then compares them.

/** One endpoint's result for one check; `answer` states what the chain said, for comparison. */
type Answer =
  { kind: "answered"; outcome: Outcome; reason: string; answer: string } | { kind: "error"; message: string };

type HeadFacts = {
  chainId: bigint;
  reason?: string; // set when the head is not (verifiably) on this chain
  headIndex?: number;
  stored?: { treeSize: number; timestamp: number; blockNumber: number; rootHash: string };
  /** The pair was official when the head was stored, and has been replaced since. */
  officialUntilReplaced?: number;
};

/**
 * The endpoint and the bundle tied to the trust anchor: the anchor's chain (id and genesis), the
 * anchor's ConsortiumRegistry, and the official evidence pair that registry names now (or named
 * when the bundle's head was stored, if governance has replaced the pair since).
 */
type Binding =
  | {
      bound: true;
      chainId: bigint;
      registry: ConsortiumRegistry;
      evidenceLog: string;
      evidenceRegistry: string;
      /** Set when the pair was official at this block (the head's) but has been replaced since. */
      officialUntilReplaced?: number;
    }
  | { bound: false; chainId: bigint; reason: string };

async function askEndpoint(
  bundle: EvidenceBundle,
  provider: Provider,
  anchor: TrustAnchor,
  minConfirmations: number,
): Promise<Record<ChainCheckId, Answer>> {
  const binding = bindToTrustAnchor(bundle, provider, anchor);
  const headFacts = readHead(bundle, provider, binding);
  // Both are awaited by several checks; keep an early rejection from counting as unhandled.
  binding.catch(() => {});
  headFacts.catch(() => {});
  /** Chain questions only make sense on the anchor's chain and contracts; headOnChain says why not. */
  const whenBound = async (
    ask: (b: Extract<Binding, { bound: true }>) => Promise<Answer>,
  ): Promise<Answer> => {
    const b = await binding;
    if (b.bound) return ask(b);
    return answered(
      "indeterminate",
      "not checked: the bundle or the endpoint is not bound to the trust anchor (see headOnChain)",
      `chain ${b.chainId}: ${b.reason}`,
    );
  };
  const [headOnChain, blockAndTime, finality, submitterMembership, lifecycle] = await Promise.all([
    settle(async () => answerHeadOnChain(bundle, await headFacts)),
    settle(async () => answerBlockAndTime(bundle, provider, await headFacts)),
    // depth only: it says nothing about whose chain or contracts, and headOnChain decides those
    settle(() => answerFinality(bundle, provider, minConfirmations)),
    settle(() => whenBound((b) => answerMembership(bundle, b.registry))),
    settle(() => whenBound((b) => answerLifecycle(bundle, provider, b.evidenceRegistry))),
  ]);
  return { headOnChain, blockAndTime, finality, submitterMembership, lifecycle };
}

async function bindToTrustAnchor(
  bundle: EvidenceBundle,
  provider: Provider,
  anchor: TrustAnchor,
): Promise<Binding> {
  const [chainId, genesisHash] = await Promise.all([chainIdOf(provider), genesisHashOf(provider)]);
  const unbound = (reason: string): Binding => ({ bound: false, chainId, reason });
  if (chainId !== BigInt(anchor.chainId))
    return unbound(
      `the endpoint serves chain ${chainId}, but the trust anchor names chain ${anchor.chainId}`,
    );
  const expectedGenesis = anchor.genesisHash.toLowerCase();
  if (genesisHash !== expectedGenesis) {
    return unbound(
      `the endpoint's genesis block is ${genesisHash}, but the trust anchor names ${expectedGenesis}: another chain that uses the same chain id`,
    );
  }
  if (chainId !== BigInt(bundle.anchor.chainId))
    return unbound(
      `the endpoint serves chain ${chainId}, but the bundle names chain ${bundle.anchor.chainId}`,
    );
  const registryAddress = anchor.consortiumRegistry.toLowerCase();
  const named = bundle.anchor.consortiumRegistry.toLowerCase();
  if (named !== registryAddress)
    return unbound(
      `the bundle names the ConsortiumRegistry ${named}, not the trust anchor's ${registryAddress}`,
    );
  if ((await provider.getCode(registryAddress)) === "0x")
    return unbound(
      `there is no contract at the trust anchor's ConsortiumRegistry ${registryAddress} on this chain`,
    );
  const registry = ConsortiumRegistry.at(registryAddress, provider);
  const pair = await revertTolerant(registry.evidenceContracts());
  if ("revert" in pair)
    return unbound(
      `the ConsortiumRegistry ${registryAddress} does not name official evidence contracts (${pair.revert})`,
    );
  const [evidenceLog, evidenceRegistry] = pair.value.map((a) => String(a).toLowerCase()) as [string, string];
  if (/^0x0{40}$/.test(evidenceLog))
    return unbound(
      `the ConsortiumRegistry ${registryAddress} has not named the consortium's official evidence contracts`,
    );
  const problems: string[] = [];
  const bundleLog = bundle.anchor.evidenceLog.toLowerCase();
  const bundleRegistry = bundle.anchor.evidenceRegistry.toLowerCase();
  if (bundleLog !== evidenceLog)
    problems.push(
      `the bundle's EvidenceLog ${bundleLog} is not the consortium's official EvidenceLog ${evidenceLog}`,
    );
  if (bundleRegistry !== evidenceRegistry)
    problems.push(
      `the bundle's EvidenceRegistry ${bundleRegistry} is not the consortium's official EvidenceRegistry ${evidenceRegistry}`,
    );
  if (problems.length === 0) return { bound: true, chainId, registry, evidenceLog, evidenceRegistry };
  // Governance may have named a new pair since: evidence committed while the bundle's pair was
  // official stays the consortium's. Asked at the block the head was stored in, so a head added
  // to a retired log later, or to a log that was never official, is still refused.
  const formerBlock = await officialAtHeadBlock(bundle, provider, registry, bundleLog, bundleRegistry);
  if (formerBlock !== undefined) {
    return {
      bound: true,
      chainId,
      registry,
      evidenceLog: bundleLog,
      evidenceRegistry: bundleRegistry,
      officialUntilReplaced: formerBlock,
    };
  }
  return unbound(
    `${problems.join("; ")} (named by the trust anchor's ConsortiumRegistry ${registryAddress}), nor was it official when the bundle's head was stored`,
  );
}

/**
 * The block the bundle's head was stored in, if the registry named the bundle's pair as official
 * at that block; undefined otherwise. The head's block is read from the bundle's log, which may be
 * anyone's contract: whatever block it claims, the registry's answer at that block decides, and a
 * contract that was never official is named at no block. The registry keeps that history itself
 * (evidenceContractsAt), so any node answers.
 */
async function officialAtHeadBlock(
  bundle: EvidenceBundle,
  provider: Provider,
  registry: ConsortiumRegistry,
  bundleLog: string,
  bundleRegistry: string,
): Promise<number | undefined> {
  if ((await provider.getCode(bundleLog)) === "0x") return undefined;
  const log = EvidenceLog.at(bundleLog, provider);
  const index = await revertTolerant(log.headIndexOf(bundle.log.logId, bundle.head.treeSize));
  if ("revert" in index) return undefined;
  const head = await revertTolerant(log.head(bundle.log.logId, index.value));
  if ("revert" in head) return undefined;
  const blockNumber = Number(head.value.blockNumber);
  if (!Number.isSafeInteger(blockNumber) || blockNumber > (await provider.getBlockNumber())) return undefined;
  const then = await registry.evidenceContractsAt(blockNumber);
  const [logThen, registryThen] = then.map((a) => String(a).toLowerCase());
  return logThen === bundleLog && registryThen === bundleRegistry ? blockNumber : undefined;
}

async function readHead(
  bundle: EvidenceBundle,
  provider: Provider,
  binding: Promise<Binding>,
): Promise<HeadFacts> {
  const { logId } = bundle.log;
  const { treeSize } = bundle.head;
  const b = await binding;
  const { chainId } = b;
  if (!b.bound) return { chainId, reason: b.reason };
  // the official log, which the bundle's address was just checked to be
  const log = EvidenceLog.at(b.evidenceLog, provider);
  const info = await revertTolerant(log.logInfo(logId));
  if ("revert" in info) {
    return {
      chainId,
      reason: `the official EvidenceLog has no log ${logId} (${info.revert}): consortium governance never opened it`,
    };
  }
  const operator = Number(info.value.memberId);
  if (operator !== bundle.log.operatorMember) {
    return {
      chainId,
      reason: `log ${logId} is operated by member ${operator}, not member ${bundle.log.operatorMember} as the bundle says`,
    };
  }
  const index = await revertTolerant(log.headIndexOf(logId, treeSize));
  if ("revert" in index) {
    return {
      chainId,
      reason: `the chain has no head of ${treeSize} leaves in log ${logId}: it was never committed, or the chain lost it`,
    };
  }
  const headIndex = Number(index.value);
  const h = await log.head(logId, headIndex);
  const stored = {
    treeSize: Number(h.treeSize),
    timestamp: Number(h.timestamp),
    blockNumber: Number(h.blockNumber),
    rootHash: String(h.rootHash).toLowerCase(),
  };
  return { chainId, headIndex, stored, officialUntilReplaced: b.officialUntilReplaced };
}

function answerHeadOnChain(bundle: EvidenceBundle, facts: HeadFacts): Answer {
  const { treeSize } = bundle.head;
  const root = bundle.head.rootHash.toLowerCase();
  if (facts.stored === undefined || facts.headIndex === undefined) {
    return answered(
      "fail",
      facts.reason ?? "the head is not on the chain",
      `chain ${facts.chainId}: ${facts.reason}`,
    );
  }
  const said = `chain ${facts.chainId}: head #${facts.headIndex} of log ${bundle.log.logId} has ${treeSize} leaves and root ${facts.stored.rootHash}`;
  if (facts.stored.rootHash !== root) {
    return answered(
      "fail",
      `the chain's head of ${treeSize} leaves (#${facts.headIndex}) has root ${facts.stored.rootHash}, not the bundle's root ${root}`,
      said,
    );
  }
  const note =
    facts.headIndex === bundle.head.headIndex ? "" : ` (the bundle says head #${bundle.head.headIndex})`;
  const official =
    facts.officialUntilReplaced === undefined
      ? "the consortium's official EvidenceLog"
      : `the EvidenceLog that was the consortium's official one at block ${facts.officialUntilReplaced}, when the head was stored (governance has named another since),`;
  return answered(
    "pass",
    `${official} ${bundle.anchor.evidenceLog.toLowerCase()} on chain ${facts.chainId} holds head #${facts.headIndex}${note} of log ${bundle.log.logId}: ${treeSize} leaves, root ${root}`,
    said,
  );
}

async function answerBlockAndTime(
  bundle: EvidenceBundle,
  provider: Provider,
  facts: HeadFacts,
): Promise<Answer> {
  const at = effectiveAnchor(bundle);
  if (facts.stored === undefined) {
    return answered(
      "indeterminate",
      "the head is not on this chain (see headOnChain), so its block and time cannot be compared",
      "no head",
    );
  }
  const [block, receipt] = await Promise.all([
    provider.getBlock(at.blockNumber),
    provider.getTransactionReceipt(at.transactionHash),
  ]);
  const { stored } = facts;
  // the anchor, earlier recommits and the intake receipt (anchor-claims.ts)
  const receiptCheck = checkReceipt(bundle);
  const claims = judgeAnchorClaims(
    bundle,
    receiptCheck,
    await readAnchorClaims(bundle, provider, receiptCheck, at.blockNumber),
  );
  const said = [
    `head recorded at block ${stored.blockNumber}, time ${stored.timestamp}`,
    block === null
      ? `no block ${at.blockNumber}`
      : `block ${at.blockNumber} has hash ${block.hash} and time ${block.timestamp}`,
    receipt === null
      ? `transaction ${at.transactionHash} not found`
      : `transaction in block ${receipt.blockHash}, to ${receipt.to}, status ${receipt.status}`,
    ...claims.said,
  ].join("; ");
  const bundleSays = at.source === "anchor" ? "the bundle says" : `the bundle's ${at.source} says`;
  const problems: string[] = [];
  if (stored.blockNumber !== at.blockNumber) {
    problems.push(
      `the chain recorded the head at block ${stored.blockNumber}, ${bundleSays} block ${at.blockNumber}`,
    );
  }
  if (stored.timestamp !== at.blockTimestamp) {
    problems.push(
      `the chain recorded the head at ${isoOfUnixSeconds(stored.timestamp)} (${stored.timestamp}), ${bundleSays} ${isoOfUnixSeconds(at.blockTimestamp)} (${at.blockTimestamp})`,
    );
  }
  if (block === null) {
    problems.push(`the chain has no block ${at.blockNumber}`);
  } else {
    if (block.hash?.toLowerCase() !== at.blockHash.toLowerCase()) {
      problems.push(
        `block ${at.blockNumber} has hash ${block.hash} on the chain, ${bundleSays} ${at.blockHash.toLowerCase()}`,
      );
    }
    if (block.timestamp !== at.blockTimestamp) {
      problems.push(
        `block ${at.blockNumber} has time ${block.timestamp} on the chain, ${bundleSays} ${at.blockTimestamp}`,
      );
    }
  }
  let note = "";
  if (receipt === null) {
    // The block hash already fixes the block's transactions; a node without a transaction
    // index cannot find it, which is no evidence against the bundle.
    note = `; the endpoint could not find transaction ${at.transactionHash}`;
  } else {
    if (receipt.blockHash.toLowerCase() !== at.blockHash.toLowerCase()) {
      problems.push(
        `transaction ${at.transactionHash} is in block ${receipt.blockHash}, not in block ${at.blockHash.toLowerCase()}`,
      );
    }
    if (receipt.to?.toLowerCase() !== bundle.anchor.evidenceLog.toLowerCase()) {
      problems.push(`transaction ${at.transactionHash} was sent to ${receipt.to}, not to the EvidenceLog`);
    }
    if (receipt.status !== 1) problems.push(`transaction ${at.transactionHash} failed on the chain`);
  }
  problems.push(...claims.problems);
  if (problems.length > 0) return answered("fail", problems.join("; "), said);
  if (claims.undecided.length > 0) return answered("indeterminate", claims.undecided.join("; "), said);
  const recommit =
    at.source === "anchor" ? "" : ` (re-committed: ${bundle.recommits[bundle.recommits.length - 1]!.reason})`;
  return answered(
    "pass",
    `the head was committed in block ${at.blockNumber} (hash ${at.blockHash.toLowerCase()}) at ${isoOfUnixSeconds(at.blockTimestamp)}${recommit}${note}${claims.notes.map((n) => `; ${n}`).join("")}`,
    said,
  );
}

async function answerFinality(
  bundle: EvidenceBundle,
  provider: Provider,
  minConfirmations: number,
): Promise<Answer> {
  const { blockNumber } = effectiveAnchor(bundle);
  const latest = await provider.getBlockNumber();
  const depth = latest - blockNumber;
  // Endpoints legitimately differ in height, so finality compares outcomes only (answer "").
  if (depth >= minConfirmations) {
    return answered(
      "pass",
      `block ${blockNumber} has ${depth} block(s) on top; ${minConfirmations} required`,
      "",
    );
  }
  const why =
    depth < 0
      ? `the endpoint's latest block is ${latest}, below block ${blockNumber}`
      : `block ${blockNumber} has only ${depth} blocks on top`;
  return answered("indeterminate", `${why}; ${minConfirmations} are required`, "");
}

/**
 * `registry` is the trust anchor's; the official log uses it (the registry checks that when the
 * pair is named). The submitter must have been an active member at the anchoring block, and the
 * leaf must be signed by one of its operations keys then: the log's operator commits whatever it
 * likes, so without the member's own signature a leaf in its name proves nothing of the member.
 */
async function answerMembership(bundle: EvidenceBundle, registry: ConsortiumRegistry): Promise<Answer> {
  const { submitter } = bundle.leaf.record;
  const { blockNumber } = effectiveAnchor(bundle);
  const registryAddress = (await registry.getAddress()).toLowerCase();
  const signed = checkSubmission(bundle);
  if (!signed.ok) return answered("fail", signed.reason, `no valid submission signature`);
  let status: number;
  let account: { memberId: number; status: number; role: number };
  try {
    // the registry's own history by block: any node answers, archive or not
    const [memberStatus, of] = await Promise.all([
      registry.statusAt(submitter, blockNumber),
      registry.accountAt(signed.signer, blockNumber),
    ]);
    status = Number(memberStatus);
    account = { memberId: Number(of.memberId), status: Number(of.status), role: Number(of.role) };
  } catch (e) {
    // An endpoint that failed, or a block it has not reached: an error, not an answer to compare.
    throw new Error(
      `the endpoint could not serve the registry's history at block ${blockNumber}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
  const roleName = ACCOUNT_ROLE_NAMES[account.role] ?? String(account.role);
  const said =
    `registry ${registryAddress}: member ${submitter} ${MEMBER_STATUSES[status] ?? status} at block ${blockNumber}; ` +
    `account ${signed.signer} is member ${account.memberId}'s ${roleName} key`;
  if (status === MemberStatus.Suspended) {
    return answered(
      "fail",
      `the submitter, member ${submitter}, was suspended at block ${blockNumber}`,
      said,
    );
  }
  if (status !== MemberStatus.Active) {
    return answered(
      "fail",
      `the submitter, ${submitter}, was not a consortium member at block ${blockNumber}`,
      said,
    );
  }
  if (account.memberId !== submitter || account.role !== AccountRole.Operations) {
    const whose = account.memberId === 0 ? "no member's key" : `member ${account.memberId}'s ${roleName} key`;
    return answered(
      "fail",
      `the leaf names member ${submitter} as submitter, but its submission is signed by ${signed.signer}, ${whose} at block ${blockNumber}, not an operations key of member ${submitter}`,
      said,
    );
  }
  return answered(
    "pass",
    `the submitter, member ${submitter}, was an active consortium member at block ${blockNumber} and signed the submission with its operations key ${signed.signer}`,
    said,
  );
}

/** `address` is the official EvidenceRegistry, which the registry checked belongs to the official log. */
async function answerLifecycle(bundle: EvidenceBundle, provider: Provider, address: string): Promise<Answer> {
  const leafHash = bundle.leaf.leafHash.toLowerCase();
  const registry = EvidenceRegistry.at(address, provider);
  const s = await registry.status(leafHash);
  const state = EVIDENCE_STATES[Number(s.state)] ?? `state ${s.state}`;
  const endorsements = Number(s.endorsements);
  const replacement = String(s.replacement).toLowerCase();
  const said = `${state}, legal hold ${Boolean(s.legalHold)}, ${endorsements} endorsements, replacement ${replacement}`;
  const snapshot =
    bundle.status.state === state
      ? ""
      : ` (when the bundle was made, at block ${bundle.status.checkedAtBlock}, it was ${bundle.status.state})`;
  switch (state) {
    case "Unknown":
      return answered(
        "pass",
        "anchored; not registered in the lifecycle registry (no revocation recorded)",
        said,
      );
    case "Active": {
      const extras = [
        s.legalHold ? "under legal hold" : "",
        endorsements > 0 ? `endorsed by ${endorsements} other member(s)` : "",
      ].filter(Boolean);
      return answered(
        "pass",
        `registered and active, not revoked or superseded${extras.length ? `; ${extras.join("; ")}` : ""}${snapshot}`,
        said,
      );
    }
    case "Revoked":
      return answered(
        "fail",
        `the evidence was revoked in the lifecycle registry by its submitter or a court${snapshot}`,
        said,
      );
    case "Superseded":
      return answered(
        "fail",
        `the evidence was superseded by the evidence with leaf hash ${replacement}${snapshot}`,
        said,
      );
    default:
      return answered("indeterminate", `the lifecycle registry reports an unknown ${state}`, said);
  }
}

/**
 * All endpoints must agree. Differing answers → fail naming them; otherwise a failure from any
 * endpoint is the result, then any error (indeterminate), else the common result.
 */
function combine(id: ChainCheckId, answers: readonly Answer[], names: readonly string[]): CheckResult {
  const ok = answers.flatMap((a, i) => (a.kind === "answered" ? [{ ...a, name: names[i]! }] : []));
  const groups = new Map<string, string[]>();
  for (const a of ok) groups.set(a.answer, [...(groups.get(a.answer) ?? []), a.name]);
  if (groups.size > 1) {
    const each = [...groups].map(([answer, who]) => `${who.join(" and ")}: ${answer}`);
    return result(id, "fail", `the endpoints disagree — ${each.join(" | ")}`);
  }
  const failed = ok.find((a) => a.outcome === "fail");
  if (failed !== undefined) return result(id, "fail", failed.reason + from(failed.name, names));
  const errors = answers.flatMap((a, i) => (a.kind === "error" ? [`${names[i]}: ${a.message}`] : []));
  if (errors.length > 0)
    return result(id, "indeterminate", `the chain could not be asked (${errors.join("; ")})`);
  const undecided = ok.find((a) => a.outcome === "indeterminate");
  if (undecided !== undefined)
    return result(id, "indeterminate", undecided.reason + from(undecided.name, names));
  const agree = names.length > 1 ? ` (${names.length} endpoints agree)` : "";
  return result(id, "pass", ok[0]!.reason + agree);
}

function from(name: string, names: readonly string[]): string {
  return names.length > 1 ? ` (${name})` : "";
}

// ---------------------------------------------------------------------------------------------
// Helpers

function result(id: CheckId, outcome: Outcome, reason: string): CheckResult {
  return { id, outcome, reason };
}

function answered(outcome: Outcome, reason: string, answer: string): Answer {
  return { kind: "answered", outcome, reason, answer };
}

/** A malformed bundle that slipped past the schema fails its check instead of throwing. */
function guarded(id: CheckId, check: () => CheckResult): CheckResult {
  try {
    return check();
  } catch (e) {
    return result(id, "fail", `the bundle could not be checked: ${messageOf(e)}`);
  }
}

async function settle(ask: () => Promise<Answer> | Answer): Promise<Answer> {
  try {
    return await ask();
  } catch (e) {
    return { kind: "error", message: messageOf(e) };
  }
}

/**
 * A contract's revert is the chain's answer ("no such log/head"); anything else throws. ethers
 * reports a revert as CALL_EXCEPTION; other providers (Hardhat's) pass the node's JSON-RPC error
 * through: code 3 or a "revert" message, with the revert data in `data`.
 */
async function revertTolerant<T>(call: Promise<T>): Promise<{ value: T } | { revert: string }> {
  try {
    return { value: await call };
  } catch (e) {
    if (isError(e, "CALL_EXCEPTION")) return { revert: e.revert?.name ?? "reverted without a reason" };
    const node = e as { code?: unknown; message?: unknown; data?: unknown };
    if (node.code === 3 || (typeof node.message === "string" && /\brevert/i.test(node.message))) {
      let name: string | undefined;
      try {
        name = typeof node.data === "string" ? decodeRevertData(node.data)?.name : undefined;
      } catch {
        // no decodable revert data: still a revert
      }
      return { revert: name ?? "reverted without a reason" };
    }
    throw e;
  }
}

/** The hash of the endpoint's block 0, lowercase. */
async function genesisHashOf(provider: Provider): Promise<string> {
  const raw = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  const block =
    typeof raw.send === "function"
      ? ((await raw.send("eth_getBlockByNumber", ["0x0", false])) as { hash?: unknown } | null)
      : await provider.getBlock(0);
  if (block === null || typeof block.hash !== "string") throw new Error("the endpoint has no genesis block");
  return block.hash.toLowerCase();
}

/** The chain id the endpoint reports now, not one a provider cached or was configured with. */
async function chainIdOf(provider: Provider): Promise<bigint> {
  const raw = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  if (typeof raw.send === "function") return BigInt(String(await raw.send("eth_chainId", [])));
  return (await provider.getNetwork()).chainId;
}

function algorithmName(algorithm: number): string {
  return algorithm === DigestAlgorithm.Sm3
    ? "SM3"
    : algorithm === DigestAlgorithm.Sha256
      ? "SHA-256"
      : `algorithm ${algorithm}`;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function messageOf(e: unknown): string {
  const err = e as { shortMessage?: unknown; message?: unknown };
  const text =
    typeof err?.shortMessage === "string"
      ? err.shortMessage
      : typeof err?.message === "string"
        ? err.message
        : String(e);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
