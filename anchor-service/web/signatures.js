// 电子签名核验 beside the evidence checks: for a PDF, whether it is signed, by whom (each
// certificate's subject) and whether every signature holds and chains to a CA root the clerk
// gives (pdf-signatures.js, built from src/pdf-signatures.ts: the node's own contract verifier, run
// here so the document never leaves the computer). Text only, never HTML from the document.

const TEXT = {
  zh: {
    rootsLabel: "签章证书信任根（可选）",
    rootsHint: "电子认证服务机构（CA）的根证书 .pem，用于核验 PDF 电子签名的证书链",
    title: "电子签名",
    notPdf: "所选文件不是 PDF：无电子签名可核验。",
    unsigned: "此 PDF 没有电子签名。",
    unavailable: "本页无法加载电子签名核验模块（pdf-signatures.js 未生成：运行 npm ci）。",
    signedBy: (n) => `此 PDF 带有 ${n} 个电子签名。`,
    pass: "签名有效：每个签名覆盖的内容未被改动，签名经证书验证，证书链至所给信任根，最后一个签名之后无未签内容。",
    fail: "签名核验未通过：",
    unchecked: "未核验证书链：请提供 CA 根证书。以下签署人仅为签名自述，未经核验。",
    subject: "签署人（证书主体）",
    issuer: "签发机构",
    role: "角色",
    time: "签署时间",
    chain: "证书链",
    roots: "信任根",
    roles: { borrower: "借款人签名", branchSeal: "贷款机构电子签章" },
    claimed: "（自述，未核验）",
  },
  en: {
    rootsLabel: "Signature trust roots (optional)",
    rootsHint:
      "The certification authority's root certificates (.pem), to check a PDF's electronic signatures",
    title: "Electronic signatures",
    notPdf: "The file is not a PDF: there are no electronic signatures to check.",
    unsigned: "This PDF carries no electronic signature.",
    unavailable: "The signature check could not be loaded (pdf-signatures.js was not generated: run npm ci).",
    signedBy: (n) => `This PDF carries ${n} electronic signature${n === 1 ? "" : "s"}.`,
    pass: "Signatures valid: nothing each signature covers was changed, each verifies under its certificate, every certificate chains to a root given, and nothing unsigned follows the last signature.",
    fail: "The signatures do not verify: ",
    unchecked:
      "Certificate chains not checked: give the CA's root certificates. The signers below are only what the signatures claim.",
    subject: "Signer (certificate subject)",
    issuer: "Issued by",
    role: "Role",
    time: "Signing time",
    chain: "Certificate chain",
    roots: "Trust roots",
    roles: { borrower: "Borrower's signature", branchSeal: "Lender's seal" },
    claimed: " (claimed, not verified)",
  },
};

const isPdf = (bytes) => [0x25, 0x50, 0x44, 0x46, 0x2d].every((b, i) => bytes[i] === b);

/** The document's signature report, or null when there is no document; `{ notPdf }` / `{ unavailable }` otherwise. */
export async function inspectDocument(documentFile, rootFiles) {
  if (documentFile === null) return null;
  const bytes = new Uint8Array(await documentFile.arrayBuffer());
  if (!isPdf(bytes)) return { notPdf: true };
  let module;
  try {
    module = await import("./pdf-signatures.js");
  } catch {
    return { unavailable: true };
  }
  const pems = await Promise.all(rootFiles.map((file) => file.text()));
  return module.inspectSignedPdf(bytes, pems);
}

/** The drop zone's labels in the page's language. */
export function renderRootsDrop(lang, rootFiles) {
  const t = TEXT[lang] ?? TEXT.en;
  document.getElementById("roots-title").textContent = t.rootsLabel;
  document.getElementById("roots-hint").textContent = t.rootsHint;
  document.getElementById("roots-chosen").textContent = rootFiles.map((f) => f.name).join(", ");
  document.getElementById("drop-roots").classList.toggle("has-file", rootFiles.length > 0);
}

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const beijing = (iso, lang) =>
  `${new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false })} (${lang === "zh" ? "北京时间" : "Beijing time"})`;

function signerTable(t, lang, rows) {
  const table = el("dl", "signers");
  for (const row of rows) {
    const item = el("div", "signer");
    const add = (label, value) => {
      item.append(el("dt", "", label), el("dd", "", value));
    };
    add(t.subject, row.subject + (row.claimed ? t.claimed : ""));
    add(t.issuer, row.issuer);
    if (row.role) add(t.role, t.roles[row.role] ?? row.role);
    if (row.signingTime) add(t.time, beijing(row.signingTime, lang));
    if (row.chain) add(t.chain, row.chain.join(" → "));
    table.append(item);
  }
  return table;
}

/** The signatures section, or hidden when there is nothing to say. */
export function renderSignatures(section, report, lang) {
  const t = TEXT[lang] ?? TEXT.en;
  section.replaceChildren();
  section.hidden = report === null;
  if (report === null) return;
  section.append(el("h2", "", t.title));
  if (report.notPdf) return void section.append(el("p", "sig-note", t.notPdf));
  if (report.unavailable) return void section.append(el("p", "sig-note sig-fail", t.unavailable));
  if (!report.signed) return void section.append(el("p", "sig-note", t.unsigned));
  section.dataset.outcome = report.verification.outcome;
  section.append(el("p", "sig-count", t.signedBy(report.claimed.length)));
  const v = report.verification;
  if (v.outcome === "pass") {
    section.append(el("p", "sig-verdict sig-pass", t.pass));
    section.append(signerTable(t, lang, v.signers));
  } else {
    section.append(
      el(
        "p",
        v.outcome === "fail" ? "sig-verdict sig-fail" : "sig-verdict sig-unchecked",
        v.outcome === "fail" ? `${t.fail}${v.code} — ${v.message}` : t.unchecked,
      ),
    );
    section.append(
      signerTable(
        t,
        lang,
        report.claimed.map((c) => ({ ...c, claimed: true })),
      ),
    );
  }
  if (v.roots?.length) section.append(el("p", "sig-roots", `${t.roots}: ${v.roots.join("; ")}`));
}
