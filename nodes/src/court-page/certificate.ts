// The verification certificate as one A4 page that stands alone (电子证据核验证明): what was
// verified (document digest, leaf, chain id and genesis, contracts, block, transaction, root and
// tree size, the TSA time), by whom (the witnesses' cosignatures), under which policy (trust
// anchor, confirmations, membership rule, witness quorum, TSA roots), each check's indication, and
// the report id to look it up by. Bilingual, Chinese first. Signed afterwards (reports.ts).
import { PDFDocument, degrees, rgb, type PDFFont, type PDFPage } from "pdf-lib";
import { embedCjkFont } from "../court-package/cjk-font.ts";
import { breakLines } from "../e-contract/line-break.ts";
import { NOT_GOVERNED_CODE } from "./governed-receipt.ts";
import type { VerificationReport } from "./report.ts";

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const LABEL_WIDTH = 150;
const NAVY = rgb(0.09, 0.17, 0.33);
const MUTED = rgb(0.35, 0.38, 0.42);

const VERDICTS = {
  TOTAL_PASSED: { title: "核验通过 Verified", color: rgb(0.1, 0.45, 0.2) },
  TOTAL_FAILED: { title: "核验未通过 Not verified", color: rgb(0.7, 0.1, 0.1) },
  INDETERMINATE: { title: "无法判定 Indeterminate", color: rgb(0.55, 0.4, 0.05) },
} as const;

const VERDICT_TEXT = {
  TOTAL_PASSED:
    "具有上述摘要的文件最迟于上述存证时间已存在且此后未被改动。The document with the digest above existed, unchanged, no later than the evidence time above.",
  TOTAL_FAILED:
    "至少一项检查未通过：不得以本证明证明该文件存在且未被改动。At least one check failed: this proves nothing about the document.",
  INDETERMINATE:
    "部分检查无法判定：暂不能证明关于该文件的内容。Some checks could not be decided: nothing is proven about the document yet.",
} as const;

const WITNESS_STATUS = {
  verified: "已核验 verified",
  invalid: "签名无效 invalid",
  unknown: "策略外 not in policy",
  unchecked: "未核验 not checked",
} as const;

const CHECK_NAMES: Record<string, string> = {
  digest: "文件未被改动 digest",
  leafEncoding: "存证记录完整 leafEncoding",
  merklePath: "记录在存证日志中 merklePath",
  headOnChain: "日志状态已记录在联盟链上 headOnChain",
  blockAndTime: "存证时间由链本身记录 blockAndTime",
  finality: "区块满足最终性规则 finality",
  submitterMembership: "提交机构当时为正常成员 submitterMembership",
  lifecycle: "证据未被撤回 lifecycle",
  trustedTime: "可信时间戳 trustedTime",
  witnesses: "见证人会签符合策略 witnesses",
};

const beijing = (iso: string) =>
  `${new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ")} 北京时间 (UTC+8)`;
const utc = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;

/** Lines of `text` no wider than `width` at `size`: numbers and dates whole, a hash too long for its line broken anywhere. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  return breakLines(text, (t) => font.widthOfTextAtSize(t, size), width);
}

const TEST_RED = rgb(0.75, 0.1, 0.1);
const FAIL_COLOR = VERDICTS.TOTAL_FAILED.color;
/** Why a receipt's SM2 signature does not count, in both languages (the JSON report has the keys). */
export const SM2_NOT_GOVERNED_TEXT =
  "接收回执的 SM2 签名密钥不是受治理的成员名录为日志运营方登记的密钥。The intake receipt is SM2-signed under a key the governed member directory does not name for the log's operator.";

/**
 * How the certificate names member `id`: its legal names in both languages with its unified
 * social credit code from the governed directory; where the report has none, the id, said to be one.
 */
export function memberText(report: Pick<VerificationReport, "members">, id: number): string {
  const m = report.members.names.find((n) => n.memberId === id);
  return m === undefined
    ? `成员 ${id}（未取自受治理的成员名录）member no. ${id} (not from the governed member directory)`
    : `${m.nameZh} ${m.nameEn} · 统一社会信用代码 USCC ${m.uscc} (成员 member ${id})`;
}

/**
 * A development chain's mark: a banner under the title and the notice across the page, behind
 * the text, so no part of the page reads as a certificate of evidence.
 */
function markTestEnvironment(w: Writer, mark: NonNullable<VerificationReport["testEnvironment"]>) {
  const size = 46;
  const watermark = "测试环境 TEST ENVIRONMENT";
  w.page.drawText(watermark, {
    x: (A4[0] - w.font.widthOfTextAtSize(watermark, size) * Math.cos(Math.PI / 5)) / 2,
    y: A4[1] / 2 - 160,
    size,
    font: w.font,
    color: TEST_RED,
    opacity: 0.13,
    rotate: degrees(36),
  });
  const top = w.y - 2;
  w.y -= 5;
  w.text(mark.notice, { size: 11, x: MARGIN + 8, color: TEST_RED });
  w.text(
    `开发链（链 ID ${mark.chainId}）：本证明仅供测试，不得作为证据使用。A development chain (id ${mark.chainId}): for tests only, not to be used as evidence.`,
    { size: 7.5, x: MARGIN + 8, width: A4[0] - 2 * MARGIN - 16, color: TEST_RED },
  );
  w.y -= 3;
  w.frame(top, TEST_RED, 1.5);
  w.y -= 6;
}

class Writer {
  y = A4[1] - MARGIN;
  readonly page: PDFPage;
  readonly font: PDFFont;
  constructor(page: PDFPage, font: PDFFont) {
    this.page = page;
    this.font = font;
  }

  text(
    value: string,
    options: { size?: number; x?: number; width?: number; color?: ReturnType<typeof rgb> } = {},
  ) {
    const size = options.size ?? 8;
    const x = options.x ?? MARGIN;
    for (const line of wrap(value, this.font, size, options.width ?? A4[0] - x - MARGIN)) {
      this.page.drawText(line, {
        x,
        y: this.y - size,
        size,
        font: this.font,
        color: options.color ?? rgb(0, 0, 0),
      });
      this.y -= size * 1.3;
    }
  }

  /** A label (Chinese / English) and its value lines, side by side. */
  row(label: string, ...values: string[]) {
    const top = this.y;
    this.text(label, { size: 7.5, width: LABEL_WIDTH - 8, color: MUTED });
    const afterLabel = this.y;
    this.y = top;
    for (const value of values) this.text(value, { x: MARGIN + LABEL_WIDTH, size: 7.5 });
    this.y = Math.min(this.y, afterLabel) - 2.5;
  }

  /** A frame across the page from `top` down to the current line. */
  frame(top: number, color: ReturnType<typeof rgb>, thickness: number) {
    this.page.drawRectangle({
      x: MARGIN,
      y: this.y,
      width: A4[0] - 2 * MARGIN,
      height: top - this.y,
      borderColor: color,
      borderWidth: thickness,
    });
  }

  heading(title: string) {
    this.y -= 4;
    this.text(title, { size: 9.5, color: NAVY });
    this.page.drawLine({
      start: { x: MARGIN, y: this.y + 1 },
      end: { x: A4[0] - MARGIN, y: this.y + 1 },
      thickness: 0.5,
      color: NAVY,
    });
    this.y -= 3;
  }
}

/** The certificate PDF (unsigned) of `report`; `lookupUrl` is where the report can be fetched. */
export async function certificatePdf(report: VerificationReport, lookupUrl: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`电子证据核验证明 ${report.reportId}`);
  doc.setSubject("Electronic evidence verification certificate");
  doc.setProducer("JointLedger");
  doc.setCreationDate(new Date(report.validationTime));
  doc.setModificationDate(new Date(report.validationTime));
  const font = await embedCjkFont(doc);
  const w = new Writer(doc.addPage(A4), font);
  const { evidence: e, policy: p } = report;

  w.text("JointLedger 证据联盟 · evidence consortium", { size: 8, color: MUTED });
  w.text("电子证据核验证明  Electronic Evidence Verification Certificate", { size: 15, color: NAVY });
  w.y -= 2;
  if (report.testEnvironment !== null) markTestEnvironment(w, report.testEnvironment);
  w.row("报告编号 Report id", report.reportId);
  w.row("核验时间 Verified at", `${beijing(report.validationTime)} · ${utc(report.validationTime)}`);
  w.row(
    "核验节点 Verifying node",
    memberText(report, report.verifier.memberId),
    report.verifier.node,
    ...(report.verifier.seal === null ? [] : [`签章 seal: ${report.verifier.seal}`]),
  );

  const verdict = VERDICTS[report.simpleReport.indication];
  const testOnly = report.testEnvironment === null ? "" : " · 测试环境 test environment";
  const boxTop = w.y - 2;
  w.y -= 6;
  w.text(
    `${verdict.title}${report.simpleReport.subIndication === undefined ? "" : ` — ${report.simpleReport.subIndication}`}${testOnly}`,
    { size: 12, x: MARGIN + 8, color: verdict.color },
  );
  w.text(VERDICT_TEXT[report.simpleReport.indication], {
    size: 8,
    x: MARGIN + 8,
    width: A4[0] - 2 * MARGIN - 16,
  });
  w.y -= 4;
  w.frame(boxTop, verdict.color, 1);
  w.y -= 4;

  w.heading("证据 Evidence");
  w.row(
    `文件摘要 Document digest (${e.digestAlgorithm})`,
    e.documentDigest ?? "未提供文件 no document given",
    ...(e.documentDigest === e.recordedDigest ? [] : [`存证记录 recorded: ${e.recordedDigest}`]),
  );
  w.row("提交机构 Submitter", memberText(report, e.submitter));
  w.row("证据叶 Evidence leaf", `${e.leafHash} (index ${e.leafIndex})`);
  w.row("链 Chain (id, genesis)", `chain id ${e.chainId}`, `genesis ${e.genesisHash}`);
  w.row(
    "合约 Contracts",
    `ConsortiumRegistry ${e.consortiumRegistry}`,
    `EvidenceLog ${e.evidenceLog}`,
    `EvidenceRegistry ${e.evidenceRegistry}`,
  );
  w.row(
    "区块 Block",
    `${e.blockNumber} · ${e.blockHash}`,
    `区块时间 block time ${beijing(e.blockTime)} · ${utc(e.blockTime)}`,
  );
  w.row("交易 Transaction", e.transactionHash);
  w.row("树根 Root · 树大小 Tree size", `${e.rootHash} · ${e.treeSize}`);
  w.row(
    "可信时间 TSA time",
    e.tsaTime === null
      ? "无（未通过或未核验）none (trustedTime did not pass)"
      : `${beijing(e.tsaTime)} · ${utc(e.tsaTime)}`,
    ...(e.tsa === null ? [] : [`${e.tsa}`]),
  );

  w.heading("见证人 Witnesses (C2SP cosignatures)");
  if (report.witnesses.length === 0)
    w.row("—", "证据包未携带见证检查点 the bundle carries no witnessed checkpoint");
  for (const s of report.witnesses) {
    const when = s.timestamp === undefined ? "" : ` · ${beijing(new Date(s.timestamp * 1000).toISOString())}`;
    w.row(
      `${s.policyName ?? s.name} (${s.role === "log" ? "日志 log" : "见证人 witness"})`,
      `key ${s.keyId}${when} · ${WITNESS_STATUS[s.status]}`,
    );
  }

  w.heading("核验策略 Policy applied");
  w.row(
    "信任锚 Trust anchor",
    `${p.trustAnchor.name}, chain ${p.trustAnchor.chainId}, fingerprint ${p.trustAnchor.fingerprint}`,
  );
  w.row("链节点 Chain endpoints", p.chainEndpoints.join(", "));
  // finality as this node's configuration states it: a development chain has none to state
  w.row(
    "确认数 Confirmations",
    `${p.minConfirmations} required by the verifying node's configuration` +
      (report.testEnvironment === null ? "" : " · 开发链，不具最终性 development chain: nothing is final"),
  );
  w.row("成员规则 Membership rule", p.membershipRule);
  w.row(
    "见证策略 Witness quorum",
    p.witnessQuorum === null
      ? "未提供见证策略 no witness policy: cosignatures not checked"
      : `${p.witnessQuorum.threshold} of ${p.witnessQuorum.of.join(", ") || "none"}`,
  );
  w.row("时间戳信任根 TSA roots", p.tsaRoots.length === 0 ? "无 none" : p.tsaRoots.join("; "));

  w.heading("检查项 Checks (indication / sub-indication)");
  for (const c of report.detailedReport.checks)
    w.row(
      CHECK_NAMES[c.id] ?? c.id,
      `${c.indication}${c.subIndication === undefined ? "" : ` / ${c.subIndication}`}`,
    );

  // 国密: a receipt signed under an SM2 key the consortium did not bind to the log's operator
  const ungoverned = report.detailedReport.checks.find((c) => c.reason.includes(NOT_GOVERNED_CODE));
  if (ungoverned !== undefined)
    w.text(
      `${SM2_NOT_GOVERNED_TEXT} (${CHECK_NAMES[ungoverned.id] ?? ungoverned.id} ${ungoverned.indication})`,
      { size: 8, color: FAIL_COLOR },
    );

  w.y -= 6;
  w.text(`查询本报告 Look up this report (JSON, each check with its reason): ${lookupUrl}`, {
    size: 7,
    color: MUTED,
  });
  w.text(
    "本证明由核验节点以其电子签章签署（PAdES）；其依据为上述联盟链，任何人均可再次核验。Signed by the verifying node's seal (PAdES); anyone can verify again against the chain above.",
    { size: 7, color: MUTED },
  );
  return doc.save({ useObjectStreams: false });
}
