// What an evidence bundle claims about when its head was anchored, beyond the commit that holds
// the head now (verify.ts checks that one against the head the chain stores): the original anchor
// and any earlier recommits, and the intake receipt the bundle carries. Without these checks a
// bundle could keep a genuine last recommit and put a made-up anchor in front of it, or carry a
// receipt nobody signed, and still pass. The rule, and why: BUNDLE.md, "Anchoring claims and the
// intake receipt".
//
// The judging functions are pure: they take what the chain said (readAnchorClaims asks it), so
// every rule is tested without a chain.
import { getAddress, type Provider, type TransactionReceipt } from "ethers";
import { ReceiptSchema, receiptDomain, verifyReceipt } from "../receipt/receipts.ts";
import { EvidenceLog } from "../../chain/generated/contracts.ts";
import { anchoringClaims, isoOfUnixSeconds, type EffectiveAnchor, type EvidenceBundle } from "./bundle.ts";

/**
 * How far the anchoring block's time may stray from the receipt's promise, in seconds: the anchor
 * service's clock and the validators' clocks are separate machines (NTP keeps them within a
 * second or two; QBFT validators refuse blocks stamped more than a few seconds ahead).
 */
export const CLOCK_TOLERANCE_SECONDS = 10;

/** The bundle's intake receipt, as far as offline math can tell. */
export type ReceiptCheck =
  | { kind: "absent" }
  | { kind: "invalid"; reason: string }
  | { kind: "valid"; signer: string; receivedAt: number; maxMergeDelaySeconds: number };

/** A head committed by a transaction: a HeadCommitted event the EvidenceLog emitted. */
export type CommittedHead = { logId: string; treeSize: number; rootHash: string };

/** What one endpoint said about one anchoring claim. */
export type ClaimFacts = {
  /** The chain's block at the claim's block number; null if the chain has none. */
  block: { hash: string; timestamp: number } | null;
  /** The claim's transaction; null if the endpoint could not find it. */
  transaction: { blockHash: string; to: string | null; status: number | null; heads: CommittedHead[] } | null;
};

export type ChainSaid = {
  /** One per claim before the effective one (the anchor, then all but the last recommit). */
  earlier: readonly ClaimFacts[];
  /** The log's operator account at `atBlock`; asked only when the bundle has a valid receipt. */
  operator?: { address: string; atBlock: number } | { error: string; atBlock: number };
};

export type ClaimsJudgement = {
  /** Each a reason to fail blockAndTime. */
  problems: string[];
  /** Each a reason the claims could not be decided (indeterminate). */
  undecided: string[];
  /** Added to a passing reason. */
  notes: string[];
  /** What the chain said, for comparing endpoints. */
  said: string[];
};

/**
 * The receipt's own math, offline: it parses, its batch proof places its leaf hash in the signed
 * batch root, the signature recovers to the address it names under the bundle's chain and
 * EvidenceLog, and it is the receipt of this bundle's leaf (same leaf hash, log and sequence).
 * Whether the signer is the log's operator needs the chain (judgeAnchorClaims).
 */
export function checkReceipt(bundle: EvidenceBundle): ReceiptCheck {
  if (bundle.receipt === undefined) return { kind: "absent" };
  let domain;
  try {
    domain = receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
  } catch (e) {
    return {
      kind: "invalid",
      reason: `the intake receipt cannot be checked under the bundle's chain and EvidenceLog (${(e as Error).message})`,
    };
  }
  const verified = verifyReceipt(domain, bundle.receipt);
  if (!verified.ok)
    return {
      kind: "invalid",
      reason: `the intake receipt does not verify (${verified.code}: ${verified.reason})`,
    };
  const r = ReceiptSchema.parse(bundle.receipt);
  const mismatches = [
    r.leafHash.toLowerCase() === bundle.leaf.leafHash.toLowerCase()
      ? ""
      : `leaf hash ${r.leafHash.toLowerCase()}, not the bundle's ${bundle.leaf.leafHash.toLowerCase()}`,
    r.logId.toLowerCase() === bundle.log.logId.toLowerCase()
      ? ""
      : `log ${r.logId.toLowerCase()}, not the bundle's ${bundle.log.logId.toLowerCase()}`,
    r.sequence === bundle.log.leafIndex
      ? ""
      : `sequence ${r.sequence}, not the bundle's leaf index ${bundle.log.leafIndex}`,
  ].filter(Boolean);
  if (mismatches.length > 0)
    return { kind: "invalid", reason: `the intake receipt is for another leaf: ${mismatches.join(", ")}` };
  return {
    kind: "valid",
    signer: getAddress(r.service.address),
    receivedAt: Date.parse(r.receivedAt) / 1000,
    maxMergeDelaySeconds: r.maxMergeDelaySeconds,
  };
}

/**
 * The anchor's stated time against the receipt's promise: not before the receipt's time, and not
 * later than its merge delay after it, each give or take CLOCK_TOLERANCE_SECONDS.
 */
export function receiptTimingProblems(
  receipt: ReceiptCheck,
  anchoredAt: number,
  tolerance = CLOCK_TOLERANCE_SECONDS,
): string[] {
  if (receipt.kind !== "valid") return [];
  const { receivedAt, maxMergeDelaySeconds: delay } = receipt;
  const received = `the intake receipt's time ${isoOfUnixSeconds(receivedAt)} (${receivedAt})`;
  const anchored = `the anchor's block time ${isoOfUnixSeconds(anchoredAt)} (${anchoredAt})`;
  if (anchoredAt < receivedAt - tolerance) {
    return [
      `${anchored} is ${receivedAt - anchoredAt} s before ${received}, beyond the ${tolerance} s clock tolerance`,
    ];
  }
  if (anchoredAt > receivedAt + delay + tolerance) {
    return [
      `${anchored} is ${anchoredAt - receivedAt} s after ${received}, beyond its promised merge delay of ${delay} s (+${tolerance} s clock tolerance)`,
    ];
  }
  return [];
}

/** What offline math finds wrong with the bundle's receipt and its anchor time; [] if nothing. */
export function offlineClaimProblems(bundle: EvidenceBundle, receipt = checkReceipt(bundle)): string[] {
  if (receipt.kind === "invalid") return [receipt.reason];
  return receiptTimingProblems(receipt, bundle.anchor.blockTimestamp);
}

/**
 * Judges every anchoring claim but the effective one, and the receipt, against what the chain
 * said. A claim whose block the chain holds (same number, same hash) must be what it says: that
 * block's time, its transaction in it, sent to the EvidenceLog, successful, committing a head of
 * this log that contains the leaf. A claim whose block the chain does not hold was lost with the
 * chain's history — the reason recommits exist — and is accepted only when checkable: claims in
 * time order (within the clock tolerance), and a lost anchor's time within the promise of a receipt signed by the log's
 * operator. Anything else fails. A bundle without a receipt is undecided at best.
 */
export function judgeAnchorClaims(
  bundle: EvidenceBundle,
  receipt: ReceiptCheck,
  chain: ChainSaid,
): ClaimsJudgement {
  const out: ClaimsJudgement = { problems: [], undecided: [], notes: [], said: [] };
  const claims = anchoringClaims(bundle);
  const { leafIndex, logId } = bundle.log;
  const log = logId.toLowerCase();
  out.problems.push(...offlineClaimProblems(bundle, receipt));

  let anchorLost = false;
  claims.slice(0, -1).forEach((claim, i) => {
    const facts = chain.earlier[i];
    if (facts === undefined) {
      out.undecided.push(`the ${claim.source} was not asked about`);
      return;
    }
    const hash = claim.blockHash.toLowerCase();
    const { block, transaction: tx } = facts;
    out.said.push(
      `${claim.source}: ${block === null ? `no block ${claim.blockNumber}` : `block ${claim.blockNumber} has hash ${block.hash.toLowerCase()} and time ${block.timestamp}`}, ` +
        (tx === null
          ? "transaction not found"
          : `transaction in block ${tx.blockHash.toLowerCase()}, to ${tx.to}, status ${tx.status}, heads ${tx.heads.map((h) => `${h.logId}:${h.treeSize}:${h.rootHash}`).join(",") || "none"}`),
    );
    if (block === null || block.hash.toLowerCase() !== hash) {
      if (i === 0) anchorLost = true;
      const what =
        block === null
          ? `the chain has no block ${claim.blockNumber}`
          : `the chain's block ${claim.blockNumber} is ${block.hash.toLowerCase()}`;
      out.notes.push(`the chain no longer holds the ${claim.source}'s block ${hash} (${what})`);
      return;
    }
    const said = `the bundle's ${claim.source} says`;
    if (block.timestamp !== claim.blockTimestamp) {
      out.problems.push(
        `block ${claim.blockNumber} has time ${block.timestamp} on the chain, ${said} ${claim.blockTimestamp}`,
      );
    }
    if (tx === null) {
      out.undecided.push(
        `the endpoint could not find transaction ${claim.transactionHash} of the ${claim.source}, so the head it committed cannot be confirmed`,
      );
      return;
    }
    if (tx.blockHash.toLowerCase() !== hash)
      out.problems.push(
        `transaction ${claim.transactionHash} of the ${claim.source} is in block ${tx.blockHash.toLowerCase()}, not in block ${hash}`,
      );
    if (tx.to?.toLowerCase() !== bundle.anchor.evidenceLog.toLowerCase())
      out.problems.push(
        `transaction ${claim.transactionHash} of the ${claim.source} was sent to ${tx.to}, not to the EvidenceLog`,
      );
    if (tx.status !== 1)
      out.problems.push(`transaction ${claim.transactionHash} of the ${claim.source} failed on the chain`);
    const ours = tx.heads.filter((h) => h.logId.toLowerCase() === log);
    const containing = ours.filter((h) => h.treeSize > leafIndex);
    if (containing.length === 0) {
      const sizes = ours.map((h) => h.treeSize).join(", ");
      out.problems.push(
        `transaction ${claim.transactionHash} of the ${claim.source} committed no head of log ${log} that contains leaf ${leafIndex}${sizes === "" ? "" : ` (it committed size ${sizes})`}`,
      );
    }
    for (const h of containing) {
      if (
        h.treeSize === bundle.head.treeSize &&
        h.rootHash.toLowerCase() !== bundle.head.rootHash.toLowerCase()
      ) {
        out.problems.push(
          `transaction ${claim.transactionHash} of the ${claim.source} committed the head of ${h.treeSize} leaves with root ${h.rootHash.toLowerCase()}, not the bundle's ${bundle.head.rootHash.toLowerCase()}`,
        );
      }
    }
  });

  // a chain restored from an older state may stamp its next blocks a little behind the lost ones
  for (let i = 1; i < claims.length; i++) {
    const [a, b] = [claims[i - 1]!, claims[i]!];
    if (a.blockTimestamp > b.blockTimestamp + CLOCK_TOLERANCE_SECONDS) {
      out.problems.push(
        `the bundle's ${a.source} (${timeOf(a.blockTimestamp)}) is later than its ${b.source} (${timeOf(b.blockTimestamp)})`,
      );
    }
  }

  const anchor = claims[0]!;
  if (anchorLost && receipt.kind !== "valid") {
    out.problems.push(
      `the chain does not hold the bundle's anchor (block ${anchor.blockNumber}, ${isoOfUnixSeconds(anchor.blockTimestamp)}) and the bundle carries no valid intake receipt to vouch for that time`,
    );
  }
  if (receipt.kind === "valid") {
    const operator = chain.operator;
    if (operator === undefined) {
      out.undecided.push("the log's operator was not read, so the receipt's signer cannot be confirmed");
    } else if ("error" in operator) {
      out.undecided.push(
        `the log's operator at block ${operator.atBlock} could not be read (${operator.error}), so the receipt's signer cannot be confirmed`,
      );
    } else {
      // not in `said`: an endpoint without historical state must not read as a disagreement
      if (getAddress(operator.address) !== receipt.signer) {
        out.problems.push(
          `the intake receipt is signed by ${receipt.signer}, not by the log's operator ${getAddress(operator.address)} (at block ${operator.atBlock})`,
        );
      }
    }
    const gap = anchor.blockTimestamp - receipt.receivedAt;
    const when = gap >= 0 ? `${gap} s after it` : `${-gap} s before it, within the clock tolerance`;
    const vouched = anchorLost ? "; that receipt vouches for the lost anchor's time" : "";
    out.notes.push(
      `received at ${isoOfUnixSeconds(receipt.receivedAt)} under a ${receipt.maxMergeDelaySeconds} s promise (the log operator's receipt) and anchored ${when}${vouched}`,
    );
  } else if (receipt.kind === "absent") {
    // Without the receipt nothing bounds how long the service held the leaf before anchoring it,
    // and removing it is open to whoever holds the bundle; the service puts it in every bundle.
    out.undecided.push(
      "no intake receipt: the bundle carries none, so the anchor's time cannot be held to the service's merge-delay promise (the anchor service puts its receipt in every bundle it builds)",
    );
  }
  return out;
}

/**
 * Asks one endpoint what judgeAnchorClaims needs: the block and transaction of every claim before
 * the effective one, and, for a valid receipt, the log's operator when the receipt's promise was
 * kept — at the anchor's block if the chain holds it, else at `effectiveBlock`.
 */
export async function readAnchorClaims(
  bundle: EvidenceBundle,
  provider: Provider,
  receipt: ReceiptCheck,
  effectiveBlock: number,
): Promise<ChainSaid> {
  const earlierClaims = anchoringClaims(bundle).slice(0, -1);
  const earlier = await Promise.all(earlierClaims.map((claim) => claimFacts(bundle, provider, claim)));
  if (receipt.kind !== "valid") return { earlier };
  const anchorHeld =
    earlier.length === 0 || earlier[0]!.block?.hash.toLowerCase() === bundle.anchor.blockHash.toLowerCase();
  const atBlock = earlier.length > 0 && anchorHeld ? bundle.anchor.blockNumber : effectiveBlock;
  try {
    const address = await operatorAt(bundle.anchor.evidenceLog, bundle.log.logId, atBlock, provider);
    return { earlier, operator: { address: getAddress(address), atBlock } };
  } catch (e) {
    // neither the state nor the log's events could be read: the signer stays unconfirmed, nothing else
    const err = e as { shortMessage?: unknown; message?: unknown };
    const message = typeof err.shortMessage === "string" ? err.shortMessage : String(err.message ?? e);
    return { earlier, operator: { error: message.slice(0, 200), atBlock } };
  }
}

const EVIDENCE_LOG = EvidenceLog.interface;

/** Blocks per getLogs request when the operator is read from events: Besu's default cap (--rpc-max-logs-range). */
export const OPERATOR_LOG_WINDOW_BLOCKS = 5_000;

/**
 * The log's operator as it stood at the end of `atBlock`. Read at that block where the node keeps
 * its state; a node that keeps none for it (Besu's Bonsai storage, a pruned or reloaded Anvil)
 * answers from the log's own events instead: the first operator change after the block names the
 * operator it replaced, and none since means today's operator was already the operator then.
 */
export async function operatorAt(
  evidenceLog: string,
  logId: string,
  atBlock: number,
  provider: Provider,
): Promise<string> {
  const log = EvidenceLog.at(evidenceLog, provider);
  try {
    return String((await log.logInfo(logId, { blockTag: atBlock })).operator);
  } catch {
    // no state at that block: the events below
  }
  const head = await provider.getBlockNumber();
  const topics = [
    [EVIDENCE_LOG.getEvent("LogOperatorChanged").topicHash, EVIDENCE_LOG.getEvent("LogOpened").topicHash],
    logId,
  ];
  for (let from = atBlock + 1; from <= head; from += OPERATOR_LOG_WINDOW_BLOCKS) {
    const toBlock = Math.min(head, from + OPERATOR_LOG_WINDOW_BLOCKS - 1);
    const found = await provider.getLogs({ address: evidenceLog, topics, fromBlock: from, toBlock });
    const first = found.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)[0];
    if (first === undefined) continue;
    const event = EVIDENCE_LOG.parseLog(first)!;
    if (event.name === "LogOperatorChanged") return String(event.args.previousOperator);
    throw new Error(`log ${logId} was opened at block ${first.blockNumber}, after block ${atBlock}`);
  }
  return String((await log.logInfo(logId, { blockTag: head })).operator);
}

/** ISO 8601 when Date can say it; a recommit's time is any safe integer, beyond Date's range. */
function timeOf(seconds: number): string {
  return Math.abs(seconds) <= 8_640_000_000_000 ? isoOfUnixSeconds(seconds) : `${seconds} s`;
}

async function claimFacts(
  bundle: EvidenceBundle,
  provider: Provider,
  claim: EffectiveAnchor,
): Promise<ClaimFacts> {
  const [block, tx] = await Promise.all([
    provider.getBlock(claim.blockNumber),
    provider.getTransactionReceipt(claim.transactionHash),
  ]);
  return {
    block: block === null ? null : { hash: block.hash ?? "", timestamp: block.timestamp },
    transaction:
      tx === null
        ? null
        : {
            blockHash: tx.blockHash,
            to: tx.to,
            status: tx.status,
            heads: headsCommitted(tx, bundle.anchor.evidenceLog),
          },
  };
}

/** The HeadCommitted events the EvidenceLog at `evidenceLog` emitted in this transaction. */
export function headsCommitted(tx: Pick<TransactionReceipt, "logs">, evidenceLog: string): CommittedHead[] {
  const heads: CommittedHead[] = [];
  for (const entry of tx.logs) {
    if (entry.address.toLowerCase() !== evidenceLog.toLowerCase()) continue;
    let parsed;
    try {
      parsed = EVIDENCE_LOG.parseLog({ topics: [...entry.topics], data: entry.data });
    } catch {
      continue; // not an event of this ABI
    }
    if (parsed?.name !== "HeadCommitted") continue;
    heads.push({
      logId: String(parsed.args.logId).toLowerCase(),
      treeSize: Number(parsed.args.treeSize),
      rootHash: String(parsed.args.rootHash).toLowerCase(),
    });
  }
  return heads;
}
