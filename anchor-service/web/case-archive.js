// The case archive screen (案件证据包核验): the clerk chooses the ZIP the court's node exported
// (nodes/src/court-package/archive.ts) and every item in it is verified here, on this computer —
// each original against its bundle (digest, leaf encoding, Merkle path) and against the manifest —
// with no request to any service: the archive's bytes never leave the browser. What needs the
// chain (the head on chain, the loan's evidence chain) is shown as the court's node recorded it.
// Text only, never HTML from the archive. Chinese and English side by side, as on the certificate.
const TEXT = {
  title: "案件证据包核验 Case archive",
  hint: "选择法院节点导出的案件证据包（.zip）：每份材料在本机核验，不上传。Choose the case archive (.zip) the court's node exported: every item is verified on this computer; nothing is sent.",
  choose: "选择证据包 Choose archive",
  reading: "正在核验… Verifying…",
  notArchive: "不是案件证据包 Not a case archive",
  columns: ["#", "材料 Item", "类别 Role", "结果 Result", "说明 Details"],
  pass: "核验通过 verified",
  fail: "未通过 NOT verified",
  itemOk: "摘要、叶子编码、默克尔路径均通过 digest, leaf encoding and Merkle path pass",
  allOk: (n) => `全部 ${n} 份材料在本机核验通过 All ${n} items verified on this computer`,
  someFail: (bad, n) => `${bad} / ${n} 份材料未通过 ${bad} of ${n} items NOT verified`,
  unlisted: (names) => `清单未列的文件 Files the manifest does not list: ${names.join(", ")}`,
  recordedOk:
    "法院节点对照链上证据链：完整一致 The court's node against the chain: complete, the evidence chain matches",
  recordedFail: "法院节点对照链上证据链：未通过 The court's node against the chain: NOT verified",
  missing: (labels) => `缺失 Missing: ${labels.join(", ")}`,
  loan: (loanId, owner, at) => `贷款 Loan ${loanId} · 提供方 From member ${owner} · 导出时间 Exported ${at}`,
};

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function detailsOf(item) {
  const failed = item.checks
    .filter((c) => ["digest", "leafEncoding", "merklePath"].includes(c.id) && c.outcome !== "pass")
    .map((c) => `${c.id}: ${c.reason}`);
  const lines = [...item.problems, ...failed];
  return lines.length === 0 ? TEXT.itemOk : lines.join("; ");
}

function renderReport(output, report) {
  output.replaceChildren();
  output.append(
    element("p", { class: "archive-loan" }, TEXT.loan(report.loanId, report.owner, report.checkedAt)),
  );
  const failed = report.items.filter((i) => !i.ok).length;
  const verdict = element(
    "p",
    {
      id: "archive-verdict",
      "data-ok": String(report.ok),
      class: report.ok ? "message" : "message message-error",
    },
    failed === 0 ? TEXT.allOk(report.items.length) : TEXT.someFail(failed, report.items.length),
  );
  output.append(verdict);
  const recorded = [report.recorded.ok ? TEXT.recordedOk : TEXT.recordedFail];
  if (report.recorded.missing.length > 0)
    recorded.push(TEXT.missing(report.recorded.missing.map((m) => m.label)));
  if (report.unlisted.length > 0) recorded.push(TEXT.unlisted(report.unlisted));
  for (const line of recorded) output.append(element("p", { class: "archive-recorded" }, line));
  const table = element("table", { id: "archive-items" });
  const head = element("tr");
  for (const column of TEXT.columns) head.append(element("th", { scope: "col" }, column));
  table.append(element("thead"), element("tbody"));
  table.tHead.append(head);
  report.items.forEach((item, n) => {
    const row = element("tr", { "data-ok": String(item.ok), "data-label": item.label });
    row.append(
      element("td", {}, String(n + 1)),
      element("td", {}, item.label),
      element("td", {}, item.role),
      element("td", { class: "archive-result" }, item.ok ? TEXT.pass : TEXT.fail),
      element("td", {}, detailsOf(item)),
    );
    table.tBodies[0].append(row);
  });
  output.append(table);
}

export function mountCaseArchive(section) {
  const input = element("input", { type: "file", id: "archive", accept: ".zip,application/zip" });
  const label = element("label", { for: "archive", class: "drop" });
  label.append(element("span", { class: "drop-title" }, TEXT.choose), input);
  const message = element("p", {
    id: "archive-message",
    class: "message",
    role: "status",
    "aria-live": "polite",
  });
  const output = element("div", { id: "archive-report" });
  section.append(
    element("h2", {}, TEXT.title),
    element("p", { class: "intro" }, TEXT.hint),
    label,
    message,
    output,
  );
  section.hidden = false;
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    output.replaceChildren();
    if (file === undefined) return;
    message.textContent = TEXT.reading;
    try {
      const { verifyCaseArchive } = await import("/verify/case-archive-verifier.js");
      renderReport(output, verifyCaseArchive(new Uint8Array(await file.arrayBuffer())));
      message.textContent = "";
    } catch (error) {
      message.textContent = `${TEXT.notArchive}: ${error instanceof Error ? error.message : String(error)}`;
    }
  });
}

const section = document.getElementById("case-archive");
if (section !== null) mountCaseArchive(section);
