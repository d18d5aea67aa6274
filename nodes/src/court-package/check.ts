// The court's check of a loan's evidence package (电子存证直连法院): every item's original
// against its evidence bundle (the original's digest in the anchored leaf, the leaf in the
// anchored log head), and the chain-linked items together against the loan's `evidenceChain`
// on chain — start(contract leaf, consent leaf), then every fund-flow voucher's document digest
// in chain order —
// so an item withheld, added or altered is found and named. The on-chain facts come from the
// court's own node (its ledger reads and index), never from the package.
import { createHash } from "node:crypto";
import { type EvidenceBundle, parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { type CheckResult, verifyOffline } from "../../../common/formats/bundle/verify.ts";
import { evidenceChainStart, extendEvidenceChain } from "../../../common/lending/ids.ts";

export const EVIDENCE_ROLES = [
  "contract",
  "consent",
  "voucher",
  "notice",
  "mediation",
  "credit-query",
  "decision",
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

export type EvidencePackage = { loanId: string; owner: number; items: PackageItem[] };

/** What the chain says about the loan, read by the court's own node. */
export type ChainFacts = {
  loanId: string;
  borrowerKey: string;
  /** JointLoanLedger.evidenceChain(loanId) now. */
  evidenceChain: string;
  contractLeaf: string;
  consentLeaf: string;
  /** Every fund flow's voucher as the chain holds it (the voucher document's SHA-256), in chain order. */
  vouchers: Array<{ serial: string; digest: string }>;
};

export type ItemOutcome = "verified" | "altered" | "bad-bundle" | "wrong-loan" | "unexpected";

export type ItemCheck = {
  role: EvidenceRole;
  label: string;
  leafHash: string;
  outcome: ItemOutcome;
  reason: string;
  sha256: string;
  checks: CheckResult[];
};

export type PackageCheck = {
  loanId: string;
  ok: boolean;
  evidenceChain: { onChain: string; reproduced: string | null; matches: boolean };
  items: ItemCheck[];
  /** Chain-linked items the chain requires and the package does not hold (verified): the leaf hash
   *  for the contract and the consent, the voucher document's digest for a voucher. */
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

  const verified = new Set(items.filter((i) => i.outcome === "verified").map((i) => chainValueOf(i)));
  const missing = [...expected.entries()]
    .filter(([value]) => !verified.has(value))
    .map(([chainValue, e]) => ({ ...e, chainValue }));
  let reproduced: string | null = null;
  if (missing.length === 0) {
    reproduced = facts.vouchers.reduce(
      (chain, v) => extendEvidenceChain(chain, v.digest),
      evidenceChainStart(facts.contractLeaf, facts.consentLeaf),
    );
  }
  const matches = reproduced !== null && lower(reproduced) === lower(facts.evidenceChain);
  return {
    loanId,
    ok: matches && items.every((i) => i.outcome === "verified"),
    evidenceChain: { onChain: lower(facts.evidenceChain), reproduced, matches },
    items,
    missing,
  };
}

/** The checks that decide an item is the anchored original, in the anchored log, from its submitter. */
const IDENTITY_CHECKS: ReadonlySet<string> = new Set([
  "digest",
  "leafEncoding",
  "merklePath",
  "headOnChain",
  "submitterMembership",
]);

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
  const outcome = (o: ItemOutcome, reason: string, checks: CheckResult[] = []): ItemCheck => ({
    ...base,
    outcome: o,
    reason,
    checks,
  });
  let bundle: EvidenceBundle;
  try {
    bundle = parseBundle(item.bundle);
  } catch (error) {
    return outcome("bad-bundle", `the bundle does not parse: ${(error as Error).message}`);
  }
  if (lower(bundle.leaf.leafHash) !== base.leafHash)
    return outcome("bad-bundle", `the bundle is for leaf ${bundle.leaf.leafHash}, not ${base.leafHash}`);
  const checks = await verify(bundle, sha256);
  // what makes the item the anchored original; a failed time or lifecycle check is reported in
  // `checks` and `warnings` for the court to weigh, not taken as a different document
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
  if (subject !== loanId && !(item.role === "consent" && subject === borrowerKey))
    return outcome("wrong-loan", `the leaf's subject is ${subject}, not loan ${loanId}`, checks);
  const chained = item.role === "contract" || item.role === "consent" || item.role === "voucher";
  if (chained && expected.get(chainValueOf(base))?.role !== item.role)
    return outcome(
      "unexpected",
      `the loan's evidence chain on chain holds no ${item.role} ${chainValueOf(base)}`,
      checks,
    );
  const warnings = checks.filter((c) => c.outcome === "fail").map((c) => `${c.id}: ${c.reason}`);
  return outcome(
    "verified",
    warnings.length === 0
      ? "the original matches its anchored leaf"
      : `the original matches its anchored leaf; failed: ${warnings.join("; ")}`,
    checks,
  );
}
