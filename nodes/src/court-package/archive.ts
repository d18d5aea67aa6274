// The court's case archive: the package's originals and bundles, a manifest (JSON) naming every
// file with its role, leaf, SHA-256 and check result, and a bilingual certificate (PDF, Chinese
// and English) listing each item with its result and whether the items reproduce the loan's
// evidence chain on chain. One stored ZIP (zip.ts).
import { PDFDocument } from "pdf-lib";
import { embedCjkFont } from "./cjk-font.ts";
import type { CheckId } from "../../../common/formats/bundle/verify.ts";
import { CHECK_NAMES, OUTCOME_NAMES, VERDICT_NAMES } from "./names.ts";
import type { EvidencePackage, ItemCheck, PackageCheck, PackageVerdict } from "./check.ts";
import { zipStored } from "./zip.ts";
import { breakLines } from "../e-contract/line-break.ts";
import { memberText } from "../court-page/certificate.ts";
import type { MemberNames } from "../court-page/report.ts";

export type CaseArchive = { zip: Uint8Array; manifest: Manifest };

/** manifest.json (format jointledger.case-archive/1): read back by verify-archive.ts. */
export type Manifest = {
  format: "jointledger.case-archive/1";
  loanId: string;
  /** The loan's application as the owning node named it: loanId = loanIdOf(originator, keccak256(applicationId)). */
  application: EvidencePackage["application"] | null;
  owner: number;
  checkedAt: string;
  ok: boolean;
  verdict: PackageVerdict;
  evidenceChain: PackageCheck["evidenceChain"];
  missing: PackageCheck["missing"];
  /** Records pending anchoring: not in the archive, not withheld, not verified. */
  pending: PackageCheck["pending"];
  /** Each item's check, with where its original and bundle stand in the archive. */
  items: Array<
    Pick<
      ItemCheck,
      | "role"
      | "label"
      | "leafHash"
      | "sha256"
      | "outcome"
      | "reason"
      | "summary"
      | "passed"
      | "failed"
      | "undetermined"
    > & {
      original: string;
      bundle: string;
    }
  >;
};

/** A node without a member directory: the certificate names members by id, said not to be from it. */
export const NO_DIRECTORY: MemberNames = {
  source: "none",
  reason: "this node has no member directory",
  names: [],
};

/**
 * The archive of `pkg` as checked; its certificate names the members by `members` (their legal
 * names from the governed directory, or their ids marked as not from it).
 */
export async function caseArchive(
  pkg: EvidencePackage,
  check: PackageCheck,
  at: Date,
  members: MemberNames = NO_DIRECTORY,
): Promise<CaseArchive> {
  const width = String(pkg.items.length).length;
  const files = pkg.items.map((item, i) => {
    const stem = `${String(i + 1).padStart(width, "0")}-${item.role}`;
    return { item, original: `originals/${stem}.bin`, bundle: `bundles/${stem}.json` };
  });
  const manifest: Manifest = {
    format: "jointledger.case-archive/1",
    loanId: check.loanId,
    application: pkg.application ?? null,
    owner: pkg.owner,
    checkedAt: at.toISOString(),
    ok: check.ok,
    verdict: check.verdict,
    evidenceChain: check.evidenceChain,
    missing: check.missing,
    pending: check.pending,
    items: files.map((f, i) => {
      const c = check.items[i]!;
      return {
        original: f.original,
        bundle: f.bundle,
        role: f.item.role,
        label: f.item.label,
        leafHash: c.leafHash,
        sha256: c.sha256,
        outcome: c.outcome,
        reason: c.reason,
        summary: c.summary,
        passed: c.passed,
        failed: c.failed,
        undetermined: c.undetermined,
      };
    }),
  };
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
  const zip = zipStored(
    [
      { name: "manifest.json", bytes: utf8(`${JSON.stringify(manifest, null, 2)}\n`) },
      { name: "certificate.pdf", bytes: await certificatePdf(manifest, members, at) },
      ...files.flatMap((f) => [
        { name: f.original, bytes: new Uint8Array(Buffer.from(f.item.originalBase64, "base64")) },
        { name: f.bundle, bytes: utf8(`${JSON.stringify(f.item.bundle, null, 2)}\n`) },
      ]),
    ],
    at,
  );
  return { zip, manifest };
}

/** 电子证据核验证书 / Evidence verification certificate: one line per item, wrapped to the page. */
async function certificatePdf(m: Manifest, members: MemberNames, at: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await embedCjkFont(doc);
  doc.setTitle(`电子证据核验证书 Evidence verification certificate ${m.loanId}`);
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  const names = (ids: readonly CheckId[]) => ids.map((id) => CHECK_NAMES[id]).join(", ");
  const named = (id: number) => memberText({ members }, id);
  const app = m.application;
  const lines = [
    "电子证据核验证书 Evidence Verification Certificate",
    `贷款 Loan: ${m.loanId}`,
    ...(app === null || app === undefined
      ? []
      : [`申请 Application: ${app.applicationId} (发起方 originator ${named(app.originator)})`]),
    `提供方 From member: ${named(m.owner)}`,
    `核验时间 Checked at: ${m.checkedAt}`,
    `结论 Result: ${VERDICT_NAMES[m.verdict]}`,
    `链上证据链 On-chain evidence chain: ${m.evidenceChain.onChain}`,
    `由材料重算 Recomputed from the items: ${m.evidenceChain.reproduced ?? "无法重算 cannot be recomputed"} ${m.evidenceChain.matches ? "一致 matches" : "不一致 does not match"}`,
    "",
    "材料 Items:",
    ...m.items.flatMap((i, n) => [
      `${n + 1}. [${i.role}] ${i.label} — ${OUTCOME_NAMES[i.outcome]}; leaf ${i.leafHash}; SHA-256 ${i.sha256}`,
      ...(i.passed.length === 0 ? [] : [`   通过 Passed: ${names(i.passed)}`]),
      ...i.failed.map((f) => `   未通过 Failed: ${CHECK_NAMES[f.id]} — ${f.reason}`),
      ...(i.undetermined.length === 0 ? [] : [`   未核验 Not decided here: ${names(i.undetermined)}`]),
      ...(i.outcome === "verified" || i.outcome === "original-verified" ? [] : [`   ${i.reason}`]),
    ]),
    ...(m.pending.length === 0
      ? []
      : [
          "",
          "待上链存证（未核验，非缺失）Pending anchoring (not verified, not withheld):",
          ...m.pending.map(
            (p) => `- [${p.role}] ${p.label}: ${p.leafHash}, 自 since ${p.since ?? "未知 unknown"}`,
          ),
        ]),
    ...(m.missing.length === 0
      ? []
      : ["", "缺失 Missing:", ...m.missing.map((x) => `- [${x.role}] ${x.label}: ${x.chainValue}`)]),
  ];
  let page = doc.addPage([595.28, 841.89]);
  let y = 790;
  // broken between words and between CJK characters, never inside an English word or a hash's group
  const measure = (text: string) => font.widthOfTextAtSize(text, 9);
  for (const line of lines) {
    const pieces = line.length === 0 ? [""] : breakLines(line, measure, 595.28 - 2 * 48);
    for (const piece of pieces) {
      if (y < 56) {
        page = doc.addPage([595.28, 841.89]);
        y = 790;
      }
      page.drawText(piece, { x: 48, y, size: 9, font });
      y -= 14;
    }
  }
  return doc.save({ useObjectStreams: false });
}
