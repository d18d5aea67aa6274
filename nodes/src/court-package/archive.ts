// The court's case archive: the package's originals and bundles, a manifest (JSON) naming every
// file with its role, leaf, SHA-256 and check result, and a bilingual certificate (PDF, Chinese
// and English) listing each item with its result and whether the items reproduce the loan's
// evidence chain on chain. One stored ZIP (zip.ts).
import { PDFDocument } from "pdf-lib";
import { embedCjkFont } from "./cjk-font.ts";
import type { EvidencePackage, ItemCheck, ItemOutcome, PackageCheck } from "./check.ts";
import { zipStored } from "./zip.ts";

const OUTCOME_NAMES: Record<ItemOutcome, string> = {
  verified: "核验通过 verified",
  altered: "原件被改动 altered",
  "bad-bundle": "存证凭证无效 invalid bundle",
  "wrong-loan": "非本案贷款 another loan",
  unexpected: "链上无此项 not on chain",
};

export type CaseArchive = { zip: Uint8Array; manifest: Manifest };

/** manifest.json (format jointledger.case-archive/1): read back by verify-archive.ts. */
export type Manifest = {
  format: "jointledger.case-archive/1";
  loanId: string;
  owner: number;
  checkedAt: string;
  ok: boolean;
  evidenceChain: PackageCheck["evidenceChain"];
  missing: PackageCheck["missing"];
  /** Each item's check, with where its original and bundle stand in the archive. */
  items: Array<
    Pick<ItemCheck, "role" | "label" | "leafHash" | "sha256" | "outcome" | "reason"> & {
      original: string;
      bundle: string;
    }
  >;
};

export async function caseArchive(pkg: EvidencePackage, check: PackageCheck, at: Date): Promise<CaseArchive> {
  const width = String(pkg.items.length).length;
  const files = pkg.items.map((item, i) => {
    const stem = `${String(i + 1).padStart(width, "0")}-${item.role}`;
    return { item, original: `originals/${stem}.bin`, bundle: `bundles/${stem}.json` };
  });
  const manifest: Manifest = {
    format: "jointledger.case-archive/1",
    loanId: check.loanId,
    owner: pkg.owner,
    checkedAt: at.toISOString(),
    ok: check.ok,
    evidenceChain: check.evidenceChain,
    missing: check.missing,
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
      };
    }),
  };
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
  const zip = zipStored(
    [
      { name: "manifest.json", bytes: utf8(`${JSON.stringify(manifest, null, 2)}\n`) },
      { name: "certificate.pdf", bytes: await certificatePdf(manifest, at) },
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
async function certificatePdf(m: Manifest, at: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await embedCjkFont(doc);
  doc.setTitle(`电子证据核验证书 Evidence verification certificate ${m.loanId}`);
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  const lines = [
    "电子证据核验证书 Evidence Verification Certificate",
    `贷款 Loan: ${m.loanId}`,
    `提供方 From member: ${m.owner}    核验时间 Checked at: ${m.checkedAt}`,
    `结论 Result: ${m.ok ? "全部核验通过 all items verified, the set is complete" : "未通过 NOT verified (see below)"}`,
    `链上证据链 On-chain evidence chain: ${m.evidenceChain.onChain}`,
    `由材料重算 Recomputed from the items: ${m.evidenceChain.reproduced ?? "无法重算 cannot be recomputed"} ${m.evidenceChain.matches ? "一致 matches" : "不一致 does not match"}`,
    "",
    "材料 Items:",
    ...m.items.map(
      (i, n) =>
        `${n + 1}. [${i.role}] ${i.label} — ${OUTCOME_NAMES[i.outcome]}; leaf ${i.leafHash}; SHA-256 ${i.sha256}`,
    ),
    ...(m.missing.length === 0
      ? []
      : ["", "缺失 Missing:", ...m.missing.map((x) => `- [${x.role}] ${x.label}: ${x.chainValue}`)]),
  ];
  let page = doc.addPage([595.28, 841.89]);
  let y = 790;
  const perLine = 70;
  for (const line of lines) {
    const pieces = line.length === 0 ? [""] : (line.match(new RegExp(`.{1,${perLine}}`, "gsu")) ?? [""]);
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
