// The court's check of a loan's evidence package (电子存证直连法院): every item's original
// against its evidence bundle (the original's digest in the anchored leaf, the leaf in the
// anchored log head), and the chain-linked items together against the loan's `evidenceChain`
// on chain — start(contract leaf, consent leaf), then every fund-flow voucher's document digest
// in chain order —
// so an item withheld, added or altered is found and named. The credit records the chain does not
// hold in the chain itself are bound to it through the loan id and the consent leaf: the loan id is
// loanIdOf(originator, keccak256(applicationId)), so the application the package names is the
// loan's; its approving decision record must name that application and the consent leaf on chain;
// each credit query a decision was made on must be in the package, and so must the branch's log
// of each post-loan re-query the union's node logged the branch asking (matched by purpose and
// report digest). The on-chain facts come from the court's own node (its ledger reads and index),
// never from the package.
import { createHash } from "node:crypto";
import { type EvidenceBundle, parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { type CheckId, type CheckResult, verifyOffline } from "../../../common/formats/bundle/verify.ts";
import { keccak256, toUtf8Bytes } from "ethers";
import { evidenceChainStart, extendEvidenceChain, loanIdOf } from "../../../common/lending/ids.ts";
import { CHECK_NAMES, OUTCOME_NAMES } from "./names.ts";

export const EVIDENCE_ROLES = [
  "contract",
  "consent",
  "voucher",
  "notice",
  "mediation",
  "credit-query",
  "decision",
  "application",
] as const;
export type EvidenceRole = (typeof EVIDENCE_ROLES)[number];

/** One item as the owning node hands it over: the original bytes and the bundle of its leaf. */
export type PackageItem = {
  role: EvidenceRole;
  /** What the item is, for people: a voucher's flow serial, a notice id, a mediation record. */
  label: string;
  leafHash: string;
  originalBase64: string;
  bundle: unknown;
};

/**
 * The loan's application as the owning node names it: the loan id commits to the platform's
 * `applicationId` and the `originator`; `recordId` is the id the branch filed it (and its credit
 * decisions) under.
 */
export type ApplicationRef = { applicationId: string; originator: number; recordId: string };

/**
 * A record the node holds whose leaf no committed log head includes yet, so it has no bundle to
 * hand over: named, with since when the node has held it (ISO time; null when it does not know).
 */
export type PendingItem = Pick<PackageItem, "role" | "label" | "leafHash"> & { since: string | null };

export type EvidencePackage = {
  loanId: string;
  owner: number;
  items: PackageItem[];
  application?: ApplicationRef;
  /** Records held but not yet anchored under a committed head (not withheld: not handed over yet). */
  pending?: PendingItem[];
};

/** What the chain says about the loan, read by the court's own node. */
export type ChainFacts = {
  loanId: string;
  borrowerKey: string;
  /** The loan's branch: the union's logs of its post-loan re-queries name it as the asker. */
  branch: number;
  /** JointLoanLedger.evidenceChain(loanId) now. */
  evidenceChain: string;
  contractLeaf: string;
  consentLeaf: string;
  /** Every fund flow's voucher as the chain holds it (the voucher document's SHA-256), in chain order. */
  vouchers: Array<{ serial: string; digest: string }>;
};

/**
 * One status per item. `verified`: no check failed. `original-verified`: the original is the
 * anchored one (digest, leaf encoding, Merkle path and, where checked, the head on chain and the
 * submitter pass) but another check failed — the anchoring time or the record's lifecycle — and
 * `failed` names it. The rest: the item is not the anchored original of this loan.
 */
export const ITEM_OUTCOMES = [
  "verified",
  "original-verified",
  "altered",
  "bad-bundle",
  "wrong-loan",
  "unexpected",
] as const;
export type ItemOutcome = (typeof ITEM_OUTCOMES)[number];

/** One item's result: the item as handed over (role, label, leaf) and what the check found. */
export type ItemCheck = Pick<PackageItem, "role" | "label" | "leafHash"> & {
  outcome: ItemOutcome;
  /** One sentence consistent with `outcome`: what passed and what did not. */
  reason: string;
  /** The status and the checks by result in words, Chinese first, then English (names.ts). */
  summary: string;
  sha256: string;
  /** The bundle's checks by result: passed, failed (with the reason), not decided here. */
  passed: CheckId[];
  failed: Array<{ id: CheckId; reason: string }>;
  undetermined: CheckId[];
  checks: CheckResult[];
};

/**
 * The package's verdict: `verified` — complete, every item verified and the evidence chain
 * reproduced; `verified-with-exceptions` — the same, but some items' time or lifecycle checks
 * failed (each item says which); `incomplete` — nothing failed, but records are still pending
 * anchoring; `not-verified` — an item is missing, altered, of another loan or unknown to the chain.
 */
export type PackageVerdict = "verified" | "verified-with-exceptions" | "incomplete" | "not-verified";

export type PackageCheck = {
  loanId: string;
  /** The verdict is verified or verified-with-exceptions. */
  ok: boolean;
  verdict: PackageVerdict;
  /** Records the owning nodes hold but have not yet anchored under a committed head. */
  pending: PendingItem[];
  evidenceChain: { onChain: string; reproduced: string | null; matches: boolean };
  items: ItemCheck[];
  /** The application the package names, and whether the loan id is derived from it. */
  application: (ApplicationRef & { applicationSerial: string; matches: boolean }) | null;
  /** Items the chain requires and the package does not hold (verified): the leaf hash for the
   *  contract and the consent, the voucher document's digest for a voucher; the loan id for the
   *  application, the consent leaf for the approving decision, the leaf of a decision's query. */
  missing: Array<{ role: EvidenceRole; label: string; chainValue: string }>;
};

/** Checks one bundle against its original: a verifier for the node to swap in (online checks). */
export type BundleVerifier = (bundle: EvidenceBundle, documentDigest: string) => Promise<CheckResult[]>;

const offline: BundleVerifier = (bundle, documentDigest) =>
  Promise.resolve(verifyOffline(bundle, { documentDigest }));

const lower = (s: string) => s.toLowerCase();

export async function checkPackage(
  pkg: EvidencePackage,
  facts: ChainFacts,
  verify: BundleVerifier = offline,
): Promise<PackageCheck> {
  const loanId = lower(facts.loanId);
  const expected = new Map<string, { role: EvidenceRole; label: string }>([
    [lower(facts.contractLeaf), { role: "contract", label: "loan contract" }],
    [lower(facts.consentLeaf), { role: "consent", label: "credit-query consent" }],
    ...facts.vouchers.map((v) => [lower(v.digest), { role: "voucher" as const, label: v.serial }] as const),
  ]);
  const items: ItemCheck[] = [];
  for (const item of pkg.items)
    items.push(await checkItem(item, loanId, lower(facts.borrowerKey), expected, verify));

  const credit = checkCreditRecords(pkg, items, loanId, lower(facts.consentLeaf), facts.branch);
  const verified = new Set(items.filter(isOriginal).map((i) => chainValueOf(i)));
  const chainMissing = [...expected.entries()]
    .filter(([value]) => !verified.has(value))
    .map(([chainValue, e]) => ({ ...e, chainValue }));
  let reproduced: string | null = null;
  if (chainMissing.length === 0) {
    reproduced = facts.vouchers.reduce(
      (chain, v) => extendEvidenceChain(chain, v.digest),
      evidenceChainStart(facts.contractLeaf, facts.consentLeaf),
    );
  }
  const matches = reproduced !== null && lower(reproduced) === lower(facts.evidenceChain);
  const pending = (pkg.pending ?? []).map((p) => ({ ...p, leafHash: lower(p.leafHash) }));
  // a chain item the node has not anchored yet is pending, not withheld: the verdict stays incomplete
  const isPending = (m: { role: EvidenceRole; label: string; chainValue: string }) =>
    pending.some(
      (p) => p.role === m.role && (m.role === "voucher" ? p.label === m.label : p.leafHash === m.chainValue),
    );
  const missing = [...chainMissing, ...credit.missing].filter((m) => !isPending(m));
  const identified = items.every((i) => i.outcome === "verified" || i.outcome === "original-verified");
  const verdict: PackageVerdict =
    !identified || missing.length > 0 || (!matches && pending.length === 0)
      ? "not-verified"
      : pending.length > 0
        ? "incomplete"
        : items.every((i) => i.outcome === "verified")
          ? "verified"
          : "verified-with-exceptions";
  return {
    loanId,
    ok: verdict === "verified" || verdict === "verified-with-exceptions",
    verdict,
    pending,
    evidenceChain: { onChain: lower(facts.evidenceChain), reproduced, matches },
    items,
    application: credit.application,
    missing,
  };
}

/** The decision record's fields the court reads (the record's canonical JSON). */
type DecisionFields = {
  applicationId?: unknown;
  outcome?: unknown;
  consentLeafHash?: unknown;
  queryLeafHash?: unknown;
};

/** A query log's fields the court reads: the branch's log, or the union's (which names the asker). */
type QueryLogFields = { purpose?: unknown; reportDigest?: unknown; asker?: unknown };

const POST_LOAN_PURPOSE = "POST_LOAN_MANAGEMENT";

/** An item's original read as JSON; undefined when it is not a JSON object. */
function jsonOf<T>(item: PackageItem | undefined): T | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(item?.originalBase64 ?? "", "base64").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The application, decision and credit-query items against the loan: the application's id and
 * originator derive the loan id; each verified decision names that application and the consent on
 * chain (else it is another loan's: wrong-loan); one of them approves; every query a decision was
 * made on is in the package; the branch's post-loan re-queries are the borrower's records; a query
 * that is neither is unexpected; and for each union log of a post-loan re-query the loan's branch
 * asked, a branch log of the same report must be there. Downgrades `items` in place.
 */
function checkCreditRecords(
  pkg: EvidencePackage,
  items: ItemCheck[],
  loanId: string,
  consentLeaf: string,
  branch: number,
): { application: PackageCheck["application"]; missing: PackageCheck["missing"] } {
  const missing: PackageCheck["missing"] = [];
  const ref = pkg.application;
  let application: PackageCheck["application"] = null;
  if (ref !== undefined && typeof ref.applicationId === "string" && Number.isInteger(ref.originator)) {
    const applicationSerial = keccak256(toUtf8Bytes(ref.applicationId));
    const matches =
      ref.originator >= 0 &&
      ref.originator < 2 ** 32 &&
      lower(loanIdOf(ref.originator, applicationSerial)) === loanId;
    application = {
      applicationId: ref.applicationId,
      originator: ref.originator,
      recordId: String(ref.recordId),
      applicationSerial,
      matches,
    };
  }
  if (application?.matches !== true)
    missing.push({
      role: "application",
      label: "the loan's application (loanId = loanIdOf(originator, keccak256(applicationId)))",
      chainValue: loanId,
    });
  const applicationId = application?.matches === true ? application.recordId : undefined;
  const downgrade = (item: ItemCheck, outcome: ItemOutcome, reason: string) =>
    Object.assign(item, { outcome, reason, summary: summaryOf(outcome, item) });
  const named = new Set<string>();
  let approved = false;
  // `items` are the package's items checked one by one, in the package's order
  for (const [n, item] of items.entries()) {
    if (item.role !== "decision" || !isOriginal(item)) continue;
    const fields = jsonOf<DecisionFields>(pkg.items[n]);
    if (fields === undefined) {
      downgrade(item, "altered", "the decision record is not JSON");
      continue;
    }
    if (fields.applicationId !== applicationId || lower(String(fields.consentLeafHash)) !== consentLeaf) {
      downgrade(
        item,
        "wrong-loan",
        `the decision record is for application ${String(fields.applicationId)} under consent ${String(fields.consentLeafHash)}, not this loan's`,
      );
      continue;
    }
    if (fields.outcome === "approve") approved = true;
    if (typeof fields.queryLeafHash === "string") named.add(lower(fields.queryLeafHash));
  }
  if (!approved)
    missing.push({
      role: "decision",
      label: `the credit decision approving application ${applicationId ?? "(unknown)"}`,
      chainValue: consentLeaf,
    });
  // the branch's post-loan re-query logs by report digest, and the union's logs of them
  const postLoan = new Map<string, number>();
  const asks: Array<{ leafHash: string; reportDigest: string }> = [];
  for (const [n, item] of items.entries()) {
    if (item.role !== "credit-query" || !isOriginal(item) || named.has(item.leafHash)) continue;
    const log = jsonOf<QueryLogFields>(pkg.items[n]);
    const reportDigest = lower(String(log?.reportDigest));
    if (log?.asker !== undefined) {
      if (log.asker === branch && log.purpose === POST_LOAN_PURPOSE)
        asks.push({ leafHash: item.leafHash, reportDigest });
      else
        downgrade(
          item,
          "unexpected",
          `the union's log is of a ${String(log.purpose)} query by member ${JSON.stringify(log.asker)}, not a post-loan re-query by the loan's branch ${branch}`,
        );
    } else if (log?.purpose === POST_LOAN_PURPOSE) {
      postLoan.set(reportDigest, (postLoan.get(reportDigest) ?? 0) + 1);
    } else {
      downgrade(
        item,
        "unexpected",
        "no decision record of the loan's application was made on this credit query, and it is no post-loan re-query",
      );
    }
  }
  for (const ask of asks) {
    const held = postLoan.get(ask.reportDigest) ?? 0;
    if (held > 0) postLoan.set(ask.reportDigest, held - 1);
    else
      missing.push({
        role: "credit-query",
        label: `the branch's log of its post-loan re-query (report ${ask.reportDigest}) the union logged`,
        chainValue: ask.leafHash,
      });
  }
  const queries = new Set(
    items.filter((i) => i.role === "credit-query" && isOriginal(i)).map((i) => i.leafHash),
  );
  for (const leaf of named)
    if (!queries.has(leaf))
      missing.push({
        role: "credit-query",
        label: "the credit query a decision was made on",
        chainValue: leaf,
      });
  return { application, missing };
}

/** The checks that decide an item is the anchored original, in the anchored log, from its submitter. */
const IDENTITY_CHECKS: ReadonlySet<string> = new Set([
  "digest",
  "leafEncoding",
  "merklePath",
  "headOnChain",
  "submitterMembership",
]);

/** The item is the anchored original (whatever its time or lifecycle checks say). */
const isOriginal = (i: Pick<ItemCheck, "outcome">) =>
  i.outcome === "verified" || i.outcome === "original-verified";

/** An item's status and its checks by result, in words: Chinese first, then English. */
function summaryOf(outcome: ItemOutcome, c: Pick<ItemCheck, "passed" | "failed" | "undetermined">): string {
  const names = (ids: readonly CheckId[]) => ids.map((id) => CHECK_NAMES[id]).join(", ");
  return [
    OUTCOME_NAMES[outcome],
    c.passed.length === 0 ? "" : `通过 passed: ${names(c.passed)}`,
    c.failed.length === 0 ? "" : `未通过 failed: ${names(c.failed.map((f) => f.id))}`,
    c.undetermined.length === 0 ? "" : `未能判定 not decided: ${names(c.undetermined)}`,
  ]
    .filter((p) => p !== "")
    .join("; ");
}

/** The checks by result, and one sentence naming each group: what passed, what failed, what was not decided. */
export function checkSummary(checks: readonly CheckResult[]) {
  const passed = checks.filter((c) => c.outcome === "pass").map((c) => c.id);
  const failed = checks.filter((c) => c.outcome === "fail").map((c) => ({ id: c.id, reason: c.reason }));
  const undetermined = checks.filter((c) => c.outcome === "indeterminate").map((c) => c.id);
  const sentence = [
    passed.length === 0 ? "" : `passed: ${passed.join(", ")}`,
    failed.length === 0 ? "" : `failed: ${failed.map((f) => `${f.id} (${f.reason})`).join("; ")}`,
    undetermined.length === 0 ? "" : `not decided here: ${undetermined.join(", ")}`,
  ]
    .filter((p) => p !== "")
    .join("; ");
  return { passed, failed, undetermined, sentence };
}

/** What the evidence chain holds for an item: a voucher's document digest, else its leaf hash. */
const chainValueOf = (i: Pick<ItemCheck, "role" | "leafHash" | "sha256">) =>
  i.role === "voucher" ? i.sha256 : i.leafHash;

async function checkItem(
  item: PackageItem,
  loanId: string,
  borrowerKey: string,
  expected: Map<string, { role: EvidenceRole; label: string }>,
  verify: BundleVerifier,
): Promise<ItemCheck> {
  const bytes = Buffer.from(item.originalBase64 ?? "", "base64");
  const sha256 = `0x${createHash("sha256").update(bytes).digest("hex")}`;
  const base = { role: item.role, label: item.label, leafHash: lower(item.leafHash ?? ""), sha256 };
  const outcome = (o: ItemOutcome, reason: string, checks: CheckResult[] = []): ItemCheck => {
    const { passed, failed, undetermined } = checkSummary(checks);
    const summary = summaryOf(o, { passed, failed, undetermined });
    return { ...base, outcome: o, reason, summary, passed, failed, undetermined, checks };
  };
  let bundle: EvidenceBundle;
  try {
    bundle = parseBundle(item.bundle);
  } catch (error) {
    return outcome("bad-bundle", `the bundle does not parse: ${(error as Error).message}`);
  }
  if (lower(bundle.leaf.leafHash) !== base.leafHash)
    return outcome("bad-bundle", `the bundle is for leaf ${bundle.leaf.leafHash}, not ${base.leafHash}`);
  const checks = await verify(bundle, sha256);
  // what makes the item the anchored original; a failed time or lifecycle check leaves it the
  // original but not verified (original-verified), for the court to weigh
  const failed = checks.filter((c) => c.outcome === "fail" && IDENTITY_CHECKS.has(c.id));
  if (failed.some((c) => c.id === "digest"))
    return outcome("altered", "the original does not hash to the digest anchored in its leaf", checks);
  if (failed.length > 0)
    return outcome("bad-bundle", failed.map((c) => `${c.id}: ${c.reason}`).join("; "), checks);
  for (const id of ["digest", "leafEncoding", "merklePath"] as const) {
    if (checks.find((c) => c.id === id)?.outcome !== "pass")
      return outcome("bad-bundle", `check ${id} did not pass`, checks);
  }
  const subject = lower(bundle.leaf.record.subject);
  // the borrower's records (consent, credit queries, decisions) are anchored under the borrower key
  const ofBorrower = item.role === "consent" || item.role === "credit-query" || item.role === "decision";
  if (ofBorrower ? subject !== borrowerKey : subject !== loanId)
    return outcome(
      "wrong-loan",
      `the leaf's subject is ${subject}, not ${ofBorrower ? `borrower ${borrowerKey}` : `loan ${loanId}`}`,
      checks,
    );
  const chained = item.role === "contract" || item.role === "consent" || item.role === "voucher";
  if (chained && expected.get(chainValueOf(base))?.role !== item.role)
    return outcome(
      "unexpected",
      `the loan's evidence chain on chain holds no ${item.role} ${chainValueOf(base)}`,
      checks,
    );
  const { failed: notPassed, sentence } = checkSummary(checks);
  return notPassed.length === 0
    ? outcome("verified", `the original matches its anchored leaf; ${sentence}`, checks)
    : outcome(
        "original-verified",
        `the original matches its anchored leaf, but not every check passed; ${sentence}`,
        checks,
      );
}
