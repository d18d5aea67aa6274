// The owning node's side of the court's package: for a loan in a case assigned to the asking
// court, every item of the loan's evidence — the contract, the consent letter, each fund-flow
// voucher (the leaves the ledger's evidence chain commits to, read from the index), each notice
// attempt and each mediation record, the application's id, its credit decision records, the
// credit queries they were made on and the post-loan re-queries (at the union's node: its own
// log of each re-query the branch asked through it) — as its original with the anchor service's bundle of its
// leaf (the salt is in the bundle's record). An original the node does not hold is left out, and
// the court's check names it; a record whose leaf no committed head includes yet is listed as
// pending (its role, label, leaf and since when), never silently left out.
import type { LedgerModel } from "../indexer/model.ts";
import type { MediationService } from "../mediation/mediation.ts";
import type { NoticeService } from "../notices/notices.ts";
import type { ApplicationRef, EvidencePackage, EvidenceRole, PackageItem, PendingItem } from "./check.ts";

/** One anchored credit record: its original (canonical JSON), its leaf and when it was submitted (ISO). */
export type CreditRecord = { leafHash: string; document: string; label: string; since?: string };

/** The loan's credit records at its branch. */
export type LoanCreditRecords = {
  application: ApplicationRef;
  decisions: CreditRecord[];
  queries: CreditRecord[];
};

export type EvidenceSetDeps = {
  memberId: number;
  model: Pick<LedgerModel, "loan" | "flowsByLoan">;
  /** The loan's documents the court may have (the document store's court export, access logged). */
  loanDocuments: (loanId: string) => Promise<Array<{ sha256: string; bytes: Uint8Array }>>;
  /** An original not filed under the loan (the consent letter) by its SHA-256; undefined: not held. */
  documentByDigest?: (sha256: string) => Promise<Uint8Array | undefined>;
  notices?: Pick<NoticeService, "forLoan">;
  mediation?: Pick<MediationService, "get">;
  /** The application, decision records and credit queries of a loan this node approved. */
  credit?: (loanId: string) => Promise<LoanCreditRecords | undefined>;
  /** At the union's node: its logs of the post-loan re-queries the loan's branch asked through it. */
  unionAsks?: (borrowerKey: string, branch: number) => Promise<CreditRecord[]>;
  /** The anchor service's evidence bundle of a leaf; throws code ANCHOR_CLIENT_NOT_ANCHORED while no committed head holds it. */
  bundle: (leafHash: string) => Promise<unknown>;
  /** This member's leaves carrying a document digest (the anchor service's digest index). */
  leavesOfDigest: (digest: string) => Promise<string[]>;
};

type Bundled = { leaf: { record: { digest: string } } };

/**
 * What the loan's evidence chain commits to, in order: the contract's and the consent's leaf
 * hashes, then every voucher's document digest in chain order.
 */
export async function chainLeaves(
  model: EvidenceSetDeps["model"],
  loanId: string,
): Promise<Array<{ role: EvidenceRole; label: string; chainValue: string }> | undefined> {
  const loan = await model.loan(loanId);
  if (loan === undefined) return undefined;
  const flows = (await model.flowsByLoan(loan.loanId)).sort(
    (a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex,
  );
  return [
    { role: "contract", label: "loan contract", chainValue: loan.evidence.contractLeaf },
    { role: "consent", label: "credit-query consent", chainValue: loan.evidence.consentLeaf },
    ...flows.map((f) => ({ role: "voucher" as const, label: f.serial, chainValue: f.voucher })),
  ];
}

/** The anchor client's code for a leaf received but under no committed head yet. */
const NOT_ANCHORED = "ANCHOR_CLIENT_NOT_ANCHORED";

/** Unix seconds as ISO time; null for none. */
const isoOf = (seconds: number | undefined) =>
  seconds === undefined ? null : new Date(seconds * 1000).toISOString();

export async function assembleEvidenceSet(deps: EvidenceSetDeps, loanId: string): Promise<EvidencePackage> {
  const id = loanId.toLowerCase();
  const items: PackageItem[] = [];
  const pending: PendingItem[] = [];
  const documents = await deps.loanDocuments(id);
  /**
   * The leaf's bundle; undefined when there is none to hand over: a leaf the anchor service holds
   * under no committed head yet is listed as pending (the court's check names it), any other
   * failure leaves the item out (a chain item is then named missing by the check).
   */
  const bundleOf = async (
    item: { role: EvidenceRole; label: string; leafHash: string },
    since: string | null,
  ): Promise<unknown> => {
    try {
      return await deps.bundle(item.leafHash);
    } catch (error) {
      if ((error as { code?: unknown }).code === NOT_ANCHORED)
        pending.push({ ...item, leafHash: item.leafHash.toLowerCase(), since });
      return undefined;
    }
  };
  for (const { role, label, chainValue } of (await chainLeaves(deps.model, id)) ?? []) {
    // a voucher is on chain as its document's digest: its leaf is found by that digest
    const leafHash =
      role === "voucher" ? (await deps.leavesOfDigest(chainValue).catch(() => []))[0] : chainValue;
    if (leafHash === undefined) continue;
    const bundle = (await bundleOf({ role, label, leafHash }, null)) as Bundled | undefined;
    if (bundle === undefined) continue;
    const digest = bundle.leaf.record.digest.toLowerCase();
    const bytes =
      documents.find((d) => d.sha256.toLowerCase() === digest)?.bytes ??
      (await deps.documentByDigest?.(digest));
    if (bytes === undefined) continue;
    items.push({ role, label, leafHash, originalBase64: Buffer.from(bytes).toString("base64"), bundle });
  }
  const add = async (
    item: { role: EvidenceRole; label: string; leafHash: string },
    original: () => string,
    since: string | null,
  ) => {
    const bundle = await bundleOf(item, since);
    if (bundle !== undefined) items.push({ ...item, originalBase64: original(), bundle });
  };
  for (const n of (await deps.notices?.forLoan(id)) ?? []) {
    // since the gateway's last answer for the attempt (the notice is anchored right after it)
    const sent = n.receipts.length === 0 ? undefined : Math.max(...n.receipts.map((r) => r.at));
    await add(
      { role: "notice", label: `${n.noticeId} #${n.attempt}`, leafHash: n.leafHash },
      () => Buffer.from(n.original, "utf8").toString("base64"),
      isoOf(sent),
    );
  }
  const mediation = await deps.mediation?.get(id);
  for (const e of mediation?.evidence ?? []) {
    await add(
      { role: "mediation", label: `mediation ${e.what}`, leafHash: e.leafHash },
      () => (e.encoding === "base64" ? e.original : Buffer.from(e.original, "utf8").toString("base64")),
      isoOf(e.what === "opened" ? mediation!.openedAt : mediation!.answer?.at),
    );
  }
  const credit = await deps.credit?.(id);
  const loan = await deps.model.loan(id);
  const asks = loan === undefined ? [] : ((await deps.unionAsks?.(loan.borrowerKey, loan.branch)) ?? []);
  for (const [role, records] of [
    ["decision", credit?.decisions ?? []],
    ["credit-query", [...(credit?.queries ?? []), ...asks]],
  ] as const) {
    for (const r of records)
      await add(
        { role, label: r.label, leafHash: r.leafHash },
        () => Buffer.from(r.document, "utf8").toString("base64"),
        r.since ?? null,
      );
  }
  return {
    loanId: id,
    owner: deps.memberId,
    items,
    ...(credit === undefined ? {} : { application: credit.application }),
    ...(pending.length === 0 ? {} : { pending }),
  };
}
