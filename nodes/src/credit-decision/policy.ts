// The branch's credit policy (授信政策): a versioned data file, validated by one zod schema. The
// committed default (default-policy.json) is version 1; an admin replaces it with the next version
// through the API. Every version is anchored as evidence (kind CreditDecision, digest = SHA-256 of
// its canonical JSON) before it takes effect, so a decision's policy version can be proved later.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Sublevel } from "../../../common/level.ts";
import { DigestAlgorithm, EvidenceKind, newSalt } from "../../../common/formats/leaf/leaf.ts";
import type { AnchoredDocument, AnchorEvidence, AnchorRef } from "../bureau/consent.ts";
import { canonicalJson } from "../bureau/canonical-json.ts";
import { nodeError } from "../errors.ts";

const fen = z.string().regex(/^(0|[1-9]\d{0,17})$/, "a whole number of fen as a decimal string");
const bps = z.int().min(0).max(100_000);

export const CreditPolicy = z
  .strictObject({
    /** 1 for the committed default; each admin change is the next integer. */
    version: z.int().min(1),
    name: z.string().min(1).max(100),
    /** Declined above: the largest loan this branch grants. */
    maxPrincipalFen: fen,
    /** Declined above (a bullet loan's days count as whole months, rounded up). */
    maxTermMonths: z.int().min(1).max(360),
    /** Declined when the borrower's outstanding principal across the consortium (from the chain) plus this loan exceeds it. */
    maxConsortiumExposureFen: fen,
    /** Declined below this bureau score; referred below referBelowScore. */
    minScore: z.int().min(300).max(900),
    referBelowScore: z.int().min(300).max(900),
    /** Declined above: accounts with an overdue record, the longest overdue in days. */
    maxOverdueAccounts: z.int().min(0),
    maxWorstOverdueDays: z.int().min(0),
    /** Referred above (within the maximums): overdue accounts, the longest overdue in days. */
    referAboveOverdueAccounts: z.int().min(0),
    referAboveWorstOverdueDays: z.int().min(0),
    /** Referred above: hard inquiries in the last six months (many lenders asked at once). */
    referAboveQueriesLast6Months: z.int().min(0),
    /** Debt-to-income (monthly debt service ÷ monthly income) in bps: declined above the first, referred above the second. */
    maxDebtToIncomeBps: bps,
    referAboveDebtToIncomeBps: bps,
    /** Monthly service assumed on existing debt, in bps of its outstanding principal (300: 3% a month). */
    existingDebtMonthlyBps: bps,
    /** Referred above: a loan this large is always seen by an approver. */
    referAbovePrincipalFen: fen,
    /** A manual approval of a loan above this needs a second, different approver (maker-checker). */
    dualApprovalAboveFen: fen,
    /** How old the credit query under which a decision and an approval are made may be, in days. */
    reportFreshnessDays: z.int().min(1).max(90),
  })
  .superRefine((p, ctx) => {
    if (p.referAboveOverdueAccounts > p.maxOverdueAccounts)
      ctx.addIssue({
        code: "custom",
        path: ["referAboveOverdueAccounts"],
        message: "must be at most maxOverdueAccounts",
      });
    if (p.referAboveWorstOverdueDays > p.maxWorstOverdueDays)
      ctx.addIssue({
        code: "custom",
        path: ["referAboveWorstOverdueDays"],
        message: "must be at most maxWorstOverdueDays",
      });
    if (p.referBelowScore < p.minScore)
      ctx.addIssue({ code: "custom", path: ["referBelowScore"], message: "must be at least minScore" });
    if (p.referAboveDebtToIncomeBps > p.maxDebtToIncomeBps)
      ctx.addIssue({
        code: "custom",
        path: ["referAboveDebtToIncomeBps"],
        message: "must be at most maxDebtToIncomeBps",
      });
    if (BigInt(p.referAbovePrincipalFen) > BigInt(p.maxPrincipalFen))
      ctx.addIssue({
        code: "custom",
        path: ["referAbovePrincipalFen"],
        message: "must be at most maxPrincipalFen",
      });
  });
export type CreditPolicy = z.infer<typeof CreditPolicy>;

/** One anchored version of the policy, as stored. */
export type StoredPolicy = AnchoredDocument & {
  policy: CreditPolicy;
  /** The policy is anchored before it is stored; its document is the canonical JSON of `policy`. */
  anchor: AnchorRef;
  setBy: string;
  setAt: string;
};

/** The committed default policy (version 1), validated like any other version. */
export function defaultPolicy(): CreditPolicy {
  return parsePolicy(JSON.parse(readFileSync(new URL("./default-policy.json", import.meta.url), "utf8")));
}

/** A policy from untrusted JSON, or NODE_ERR_BAD_POLICY naming each rule it breaks. */
export function parsePolicy(value: unknown): CreditPolicy {
  const parsed = CreditPolicy.safeParse(value);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join(".") || "policy"} ${i.message}`).join("; ");
    throw nodeError("NODE_ERR_BAD_POLICY", `credit policy rejected: ${what}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

const versionKey = (version: number) => String(version).padStart(10, "0");

/** The policy's versions, by zero-padded version number; the last is in force. */
export class CreditPolicies {
  readonly #db: Sublevel<string, StoredPolicy>;
  readonly #anchor: AnchorEvidence;
  readonly #now: () => Date;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(
    db: Sublevel<string, StoredPolicy>,
    anchor: AnchorEvidence,
    now: () => Date = () => new Date(),
  ) {
    this.#db = db;
    this.#anchor = anchor;
    this.#now = now;
  }

  /** The policy in force; the committed default is anchored as version 1 the first time it is needed. */
  async current(): Promise<StoredPolicy> {
    const latest = await this.#latest();
    if (latest !== undefined) return latest;
    return this.#serial(
      async () => (await this.#latest()) ?? this.#store(defaultPolicy(), "default-policy.json"),
    );
  }

  /**
   * The policy in force, read only: the last stored version, or the committed default before it is
   * first anchored (checks that may refuse read this, so a refused request writes nothing).
   */
  async inForce(): Promise<CreditPolicy> {
    return (await this.#latest())?.policy ?? defaultPolicy();
  }

  /** One version, or NODE_ERR_NOT_FOUND. */
  async version(version: number): Promise<StoredPolicy> {
    const stored = await this.#db.get(versionKey(version));
    if (stored === undefined) throw nodeError("NODE_ERR_NOT_FOUND", `no credit policy version ${version}`);
    return stored;
  }

  /** An admin's new version: valid, and exactly the next number; anchored before it is in force. */
  async replace(userId: string, value: unknown): Promise<StoredPolicy> {
    const policy = parsePolicy(value);
    return this.#serial(async () => {
      // not current(): inside this turn it would queue the default's anchoring behind the turn itself
      const latest = await this.#latest();
      const inForce = latest?.policy.version ?? defaultPolicy().version;
      if (policy.version !== inForce + 1) {
        throw nodeError(
          "NODE_ERR_POLICY_VERSION",
          `the policy in force is version ${inForce}: a new one must be version ${inForce + 1}, not ${policy.version}`,
          {
            current: inForce,
            given: policy.version,
          },
        );
      }
      // the committed default is anchored before the version that replaces it
      if (latest === undefined) await this.#store(defaultPolicy(), "default-policy.json");
      return this.#store(policy, userId);
    });
  }

  async #latest(): Promise<StoredPolicy | undefined> {
    const [last] = await this.#db.values({ reverse: true, limit: 1 }).all();
    return last;
  }

  async #store(policy: CreditPolicy, setBy: string): Promise<StoredPolicy> {
    const document = canonicalJson(policy);
    const digest = `0x${createHash("sha256").update(document, "utf8").digest("hex")}`;
    const salt = newSalt();
    // anchored first: a version nobody can prove never takes effect
    const [receipt] = await this.#anchor([
      {
        kind: EvidenceKind.CreditDecision,
        digestAlgorithm: DigestAlgorithm.Sha256,
        digest,
        salt,
        subject: POLICY_SUBJECT,
      },
    ]);
    if (receipt === undefined)
      throw nodeError(
        "NODE_ERR_ANCHOR_UNAVAILABLE",
        "the anchor service returned no receipt for the credit policy",
      );
    const at = this.#now().toISOString();
    const stored: StoredPolicy = {
      policy,
      document,
      digest,
      salt,
      setBy,
      setAt: at,
      anchor: { leafHash: receipt.leafHash, sequence: receipt.sequence, anchoredAt: at },
    };
    await this.#db.put(versionKey(policy.version), stored);
    return stored;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writing.then(fn, fn);
    this.#writing = run.catch(() => {});
    return run;
  }
}

/** The subject of a policy version's leaf: the policy is about no borrower and no loan. */
export const POLICY_SUBJECT = `0x${createHash("sha256").update("jointledger/credit-policy", "utf8").digest("hex")}`;
