// The case archive screen (案件证据包核验): the clerk chooses the ZIP the court's node exported
// (nodes/src/court-package/archive.ts) and every item in it is verified here, on this computer —
// each original against its bundle (digest, leaf encoding, Merkle path) and against the manifest —
// with the archive's bytes never leaving the browser. Where the page's configuration names the
// court's chain endpoints and the loan ledger (a court's node serves it so), the chain side runs
// here too, over JSON-RPC to those endpoints alone: each item's bundle against the EvidenceLog
// heads, and the items together against the loan's evidenceChain on JointLoanLedger; what the
// court's node recorded is shown beside it. Text only, never HTML from the archive. In the page's
// language (Chinese or English), re-rendered when it changes.
import { checkExplanation, translator } from "./i18n.js";
import { markTestEnvironment } from "./environment.js";
import { withChosenEndpoint } from "./endpoint-choice.js";
import { memberLabel } from "./render.js";

const TEXT = {
  zh: {
    title: "案件证据包核验",
    hint: "选择法院节点导出的案件证据包（.zip）：每份材料在本机核验，证据包不上传；链上核验由本机直接询问法院配置的链节点。",
    choose: "选择证据包",
    reading: "正在核验…",
    notArchive: (why) => `不是案件证据包：${why}`,
    columns: ["#", "材料", "类别", "本机核验", "链上核验", "说明"],
    pass: "核验通过",
    fail: "未通过",
    itemOk: "摘要、叶子编码、默克尔路径均通过",
    allOk: (n) => `全部 ${n} 份材料在本机核验通过`,
    someFail: (bad, n) => `${bad} / ${n} 份材料未通过本机核验`,
    unlisted: (names) => `清单未列的文件：${names.join("、")}`,
    loan: (loanId, owner, at) => `贷款 ${loanId} · 提供方 ${owner} · 导出时间 ${at}`,
    application: (a, originator) => `申请 ${a.applicationId}（发起方 ${originator}）`,
    member: (id) => `成员 ${id}`,
    chainChecking: (endpoints) => `正在对照链上核验（本机询问 ${endpoints.join("、")}）…`,
    chainNone: "本页未配置链节点或贷款账本：链上部分未在本机核验，下面是法院节点导出时的记录。",
    chainError: (message) => `链上核验未能完成：${message}`,
    disagree: (endpoints, field, message) =>
      `链节点答复不一致（${endpoints.join(" 与 ")}，不一致项：${field}），链上核验未通过：${message}`,
    chainBy: (endpoints, ledger) => `本机对照链上核验：链节点 ${endpoints.join("、")}，贷款账本 ${ledger}`,
    verdict: {
      verified: "链上核验通过：材料齐全，每份材料的存证在链上，并重现该贷款的链上证据链",
      "verified-with-exceptions": "材料齐全、原件均与链上存证一致，但部分材料有检查未通过（见下表）",
      incomplete: "尚不完整：有材料待上链存证（见下）",
      "not-verified": "链上核验未通过（见下）",
    },
    chainMatch: (onChain) => `链上证据链 ${onChain}：由本包材料重算一致`,
    chainMismatch: (onChain, reproduced) =>
      `链上证据链 ${onChain}：由本包材料重算${reproduced === null ? "无法完成" : `为 ${reproduced}，不一致`}`,
    missing: "链上记录有、证据包中没有（缺失）：",
    pending: "待上链存证（未核验，并非缺失）：",
    pendingSince: (since) => (since === null ? "时间不详" : `自 ${since}`),
    recorded: (verdict) => `法院节点导出时的结论：${verdict}`,
    notInChainCheck: "证据包中缺少此项的文件，无法对照链上核验",
    outcome: {
      verified: "核验通过",
      "original-verified": "原件一致，部分检查未通过",
      altered: "原件被改动",
      "bad-bundle": "存证凭证无效",
      "wrong-loan": "非本案贷款",
      unexpected: "链上无此项",
    },
    failed: "未通过",
    // the plain sentence first, in the page's language; the English technical reason after it
    failedCheck: (name, plain, technical, reason) => `${name} — ${plain}（${technical}：${reason}）`,
    withReason: (plain, technical, reason) => `${plain}（${technical}：${reason}）`,
    // what the archive gets wrong about an item (verify-archive.ts ArchiveProblem codes)
    problem: {
      "missing-file": (file) => `证据包中缺少文件 ${file}`,
      "sha256-mismatch": (file) => `${file} 的 SHA-256 与清单所列不一致：文件已被改动或替换`,
      "leaf-mismatch": (file) => `${file} 对应的存证叶子不是清单所列的叶子`,
      "not-a-bundle": (file) => `${file} 不是有效的存证凭证`,
    },
    // why an item is not the anchored original of this loan, by its outcome against the chain
    outcomeWhy: {
      altered: "原件与其存证叶子中锚定的摘要不一致：原件已被改动或替换",
      "bad-bundle": "存证凭证无效：无法解析、不是所列叶子的凭证，或其核验未通过",
      "wrong-loan": "存证的主体不是本案贷款或其借款人",
      unexpected: "该贷款的链上证据链中没有此项",
    },
    // a file that is no case archive (verify-archive.ts ArchiveFormatError codes)
    format: {
      compressed: (file) => `${file} 被压缩存储；案件证据包中的文件不压缩`,
      truncated: (file) => `${file} 超出证据包末尾：文件不完整`,
      duplicate: (file) => `${file} 在证据包中出现两次`,
      "not-zip": () => "不是 ZIP 文件",
      "no-manifest": () => "证据包中没有清单 manifest.json",
      "bad-manifest": () => "manifest.json 不是案件证据包清单",
    },
    passed: "通过",
    undetermined: "未能判定",
  },
  en: {
    title: "Case archive",
    hint: "Choose the case archive (.zip) the court's node exported: every item is verified on this computer and the archive is not uploaded; the chain side asks the court's configured chain endpoints directly.",
    choose: "Choose archive",
    reading: "Verifying…",
    notArchive: (why) => `Not a case archive: ${why}`,
    columns: ["#", "Item", "Role", "On this computer", "Against the chain", "Details"],
    pass: "verified",
    fail: "NOT verified",
    itemOk: "digest, leaf encoding and Merkle path pass",
    allOk: (n) => `All ${n} items verified on this computer`,
    someFail: (bad, n) => `${bad} of ${n} items NOT verified on this computer`,
    unlisted: (names) => `Files the manifest does not list: ${names.join(", ")}`,
    loan: (loanId, owner, at) => `Loan ${loanId} · from ${owner} · exported ${at}`,
    application: (a, originator) => `Application ${a.applicationId} (originator: ${originator})`,
    member: (id) => `member ${id}`,
    chainChecking: (endpoints) => `Checking against the chain (this computer asks ${endpoints.join(", ")})…`,
    chainNone:
      "This page names no chain endpoint or loan ledger: the chain side was not checked here; below is what the court's node recorded at export.",
    chainError: (message) => `The chain check could not be completed: ${message}`,
    disagree: (endpoints, field, message) =>
      `The chain endpoints disagree (${endpoints.join(" and ")}, on ${field}): not verified against the chain: ${message}`,
    chainBy: (endpoints, ledger) =>
      `Checked against the chain on this computer: endpoints ${endpoints.join(", ")}, loan ledger ${ledger}`,
    verdict: {
      verified:
        "Verified against the chain: the set is complete, every item's evidence is on chain, and together they reproduce the loan's evidence chain",
      "verified-with-exceptions":
        "The set is complete and every original matches its evidence on chain, but some items failed a check (see the table)",
      incomplete: "Incomplete: items are pending anchoring (see below)",
      "not-verified": "NOT verified against the chain (see below)",
    },
    chainMatch: (onChain) => `Evidence chain on chain ${onChain}: reproduced from this archive's items`,
    chainMismatch: (onChain, reproduced) =>
      `Evidence chain on chain ${onChain}: ${reproduced === null ? "cannot be reproduced" : `this archive's items give ${reproduced}, which does not match`}`,
    missing: "On chain but not in the archive (missing):",
    pending: "Pending anchoring (not verified, not withheld):",
    pendingSince: (since) => (since === null ? "since unknown" : `since ${since}`),
    recorded: (verdict) => `The court's node's verdict at export: ${verdict}`,
    notInChainCheck: "the archive lacks this item's files: not checked against the chain",
    outcome: {
      verified: "verified",
      "original-verified": "original matches, some checks failed",
      altered: "altered",
      "bad-bundle": "invalid bundle",
      "wrong-loan": "another loan",
      unexpected: "not on chain",
    },
    failed: "failed",
    failedCheck: (name, plain, technical, reason) => `${name} — ${plain} (${technical}: ${reason})`,
    withReason: (plain, technical, reason) => `${plain} (${technical}: ${reason})`,
    problem: {
      "missing-file": (file) => `The archive lacks ${file}`,
      "sha256-mismatch": (file) => `${file} is not the file the manifest lists: its SHA-256 differs`,
      "leaf-mismatch": (file) => `${file} is the evidence of another leaf than the manifest lists`,
      "not-a-bundle": (file) => `${file} is not a valid evidence bundle`,
    },
    outcomeWhy: {
      altered: "The original does not match the digest anchored in its leaf: it was altered or replaced",
      "bad-bundle":
        "The evidence bundle is not valid: unreadable, for another leaf, or one of its checks failed",
      "wrong-loan": "The evidence is about another loan or borrower",
      unexpected: "The loan's evidence chain on chain holds no such item",
    },
    format: {
      compressed: (file) => `${file} is compressed; a case archive stores its files`,
      truncated: (file) => `${file} runs past the end of the archive: the file is incomplete`,
      duplicate: (file) => `${file} stands twice in the archive`,
      "not-zip": () => "Not a ZIP file",
      "no-manifest": () => "The archive has no manifest.json",
      "bad-manifest": () => "manifest.json is not a case archive manifest",
    },
    passed: "passed",
    undetermined: "not decided",
  },
};

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const pageLang = () => (document.documentElement.lang.toLowerCase().startsWith("zh") ? "zh" : "en");

/** What failed on this computer, each in the page's language first, the English technical reason after it. */
function offlineDetails(item, T, t) {
  const problems = item.problems.map((p) =>
    T.withReason(T.problem[p.code](p.file), t("technical"), p.reason),
  );
  const failed = item.checks
    .filter((c) => ["digest", "leafEncoding", "merklePath"].includes(c.id) && c.outcome !== "pass")
    .map((c) => T.failedCheck(t(`check_${c.id}`), checkExplanation(t, c), t("technical"), c.reason));
  const lines = [...problems, ...failed];
  return lines.length === 0 ? T.itemOk : lines.join("; ");
}

/** The chain check's item for an archive item (same role, label and leaf), or undefined. */
const chainItemOf = (chain, item) =>
  chain?.items.find(
    (c) => c.role === item.role && c.label === item.label && c.leafHash === item.leafHash.toLowerCase(),
  );

function chainDetails(c, T, t) {
  const name = (id) => t(`check_${id}`);
  if (c.outcome === "verified")
    return [
      `${T.passed}: ${c.passed.map(name).join("; ")}`,
      ...(c.undetermined.length === 0 ? [] : [`${T.undetermined}: ${c.undetermined.map(name).join("; ")}`]),
    ].join(" · ");
  if (c.outcome === "original-verified")
    return `${T.failed}: ${c.failed
      .map((f) =>
        T.failedCheck(name(f.id), checkExplanation(t, { ...f, outcome: "fail" }), t("technical"), f.reason),
      )
      .join("; ")}`;
  return T.withReason(T.outcomeWhy[c.outcome], t("technical"), c.reason);
}

/** The screen for `view` ({ report, chain, chainState, settings }) in the page's language. */
function renderReport(output, view) {
  const lang = pageLang();
  const T = TEXT[lang];
  const t = translator(lang);
  const { report, chain } = view;
  // members by the governed directory's legal name and credit code once the chain named them
  // (the registry's name, marked, without a directory); until then by number
  const who = (id) =>
    view.members instanceof Map && view.members.get(id)
      ? memberLabel({ members: view.members }, id, t)
      : T.member(id);
  output.replaceChildren();
  output.append(
    element("p", { class: "archive-loan" }, T.loan(report.loanId, who(report.owner), report.checkedAt)),
  );
  if (report.application !== null)
    output.append(
      element(
        "p",
        { class: "archive-loan" },
        T.application(report.application, who(report.application.originator)),
      ),
    );
  const failed = report.items.filter((i) => !i.ok).length;
  output.append(
    element(
      "p",
      {
        id: "archive-verdict",
        "data-ok": String(report.ok),
        class: `archive-box ${failed === 0 ? "archive-pass" : "archive-fail"}`,
      },
      failed === 0 ? T.allOk(report.items.length) : T.someFail(failed, report.items.length),
    ),
  );

  const chainBox = element("div", { id: "archive-chain", "data-state": view.chainState });
  if (view.chainState === "checking")
    chainBox.append(element("p", {}, T.chainChecking(view.settings.chainEndpoints)));
  else if (view.chainState === "none")
    chainBox.append(element("p", { class: "archive-recorded" }, T.chainNone));
  else if (view.chainState === "disagree")
    chainBox.append(
      element(
        "p",
        {
          id: "archive-chain-verdict",
          class: "archive-box archive-fail",
          "data-verdict": "endpoints-disagree",
          "data-field": view.disagreement.field,
        },
        T.disagree(view.disagreement.endpoints, view.disagreement.field, view.disagreement.message),
      ),
    );
  else if (view.chainState === "error")
    chainBox.append(
      element(
        "p",
        { id: "archive-chain-verdict", class: "message message-error", "data-verdict": "error" },
        T.chainError(view.chainError),
      ),
    );
  else {
    const good = chain.verdict === "verified";
    chainBox.append(
      element(
        "p",
        {
          id: "archive-chain-verdict",
          "data-verdict": chain.verdict,
          class: `archive-box ${good ? "archive-pass" : chain.verdict === "not-verified" ? "archive-fail" : "archive-undecided"}`,
        },
        T.verdict[chain.verdict],
      ),
      element("p", { class: "archive-recorded" }, T.chainBy(chain.endpoints, chain.loanLedger)),
      element(
        "p",
        { id: "archive-evidence-chain", "data-matches": String(chain.evidenceChain.matches) },
        chain.evidenceChain.matches
          ? T.chainMatch(chain.evidenceChain.onChain)
          : T.chainMismatch(chain.evidenceChain.onChain, chain.evidenceChain.reproduced),
      ),
    );
    if (chain.missing.length > 0) {
      chainBox.append(element("p", {}, T.missing));
      const list = element("ul", { id: "archive-missing" });
      for (const m of chain.missing)
        list.append(
          element(
            "li",
            { "data-role": m.role, "data-label": m.label },
            `[${m.role}] ${m.label}: ${m.chainValue}`,
          ),
        );
      chainBox.append(list);
    }
  }
  output.append(chainBox);

  const pending = chain?.pending ?? report.recorded.pending;
  if (pending.length > 0) {
    output.append(element("p", {}, T.pending));
    const list = element("ul", { id: "archive-pending" });
    for (const p of pending)
      list.append(
        element(
          "li",
          { "data-role": p.role, "data-label": p.label },
          `[${p.role}] ${p.label}: ${p.leafHash}, ${T.pendingSince(p.since)}`,
        ),
      );
    output.append(list);
  }
  output.append(
    element(
      "p",
      { class: "archive-recorded", id: "archive-recorded" },
      T.recorded(T.verdict[report.recorded.verdict]),
    ),
  );
  if (report.unlisted.length > 0)
    output.append(element("p", { class: "archive-recorded" }, T.unlisted(report.unlisted)));

  const table = element("table", { id: "archive-items" });
  const head = element("tr");
  for (const column of T.columns) head.append(element("th", { scope: "col" }, column));
  table.append(element("thead"), element("tbody"));
  table.tHead.append(head);
  report.items.forEach((item, n) => {
    const c = chainItemOf(chain, item);
    const chainOutcome = chain === null ? "" : (c?.outcome ?? "absent");
    const row = element("tr", {
      "data-ok": String(item.ok),
      "data-label": item.label,
      "data-chain": chainOutcome,
    });
    const details = [
      offlineDetails(item, T, t),
      ...(chain === null ? [] : [c === undefined ? T.notInChainCheck : chainDetails(c, T, t)]),
    ];
    row.append(
      element("td", {}, String(n + 1)),
      element("td", {}, item.label),
      element("td", {}, item.role),
      element("td", { class: "archive-result" }, item.ok ? T.pass : T.fail),
      element("td", { class: "archive-chain-result" }, c === undefined ? "—" : T.outcome[c.outcome]),
      element("td", {}, details.join(" · ")),
    );
    table.tBodies[0].append(row);
  });
  output.append(table);
}

async function settingsOf() {
  try {
    const reply = await fetch("/verify/config.json");
    return reply.ok ? await reply.json() : null;
  } catch {
    return null;
  }
}

export function mountCaseArchive(section) {
  const input = element("input", { type: "file", id: "archive", accept: ".zip,application/zip" });
  const label = element("label", { for: "archive", class: "drop" });
  const title = element("h2");
  const hint = element("p", { class: "intro" });
  const chooseText = element("span", { class: "drop-title" });
  label.append(chooseText, input);
  const mark = element("p", { class: "test-env", id: "archive-test-env", hidden: "" });
  const message = element("p", {
    id: "archive-message",
    class: "message",
    role: "status",
    "aria-live": "polite",
  });
  const output = element("div", { id: "archive-report" });
  section.append(title, mark, hint, label, message, output);
  section.hidden = false;
  let view = null;
  let problem = null;
  const settings = settingsOf();
  const paint = () => {
    const lang = pageLang();
    const T = TEXT[lang];
    title.textContent = T.title;
    hint.textContent = T.hint;
    chooseText.textContent = T.choose;
    void markTestEnvironment(mark, lang);
    message.textContent =
      problem === null
        ? ""
        : problem === "reading"
          ? T.reading
          : T.notArchive(formatProblem(problem, T, translator(lang)));
    if (view !== null) renderReport(output, view);
  };
  new MutationObserver(paint).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["lang"],
  });
  paint();
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    output.replaceChildren();
    view = null;
    if (file === undefined) return;
    problem = "reading";
    paint();
    try {
      const verifier = await import("/verify/case-archive-verifier.js");
      const zip = new Uint8Array(await file.arrayBuffer());
      const report = verifier.verifyCaseArchive(zip);
      const config = await settings;
      const chainReady =
        config !== null && config.chainEndpoints.length > 0 && typeof config.loanLedger === "string";
      view = { report, chain: null, chainState: chainReady ? "checking" : "none", settings: config };
      problem = null;
      paint();
      if (!chainReady) return;
      try {
        // the court's chosen endpoint first: the others cross-check it
        const chosen = withChosenEndpoint(config);
        view = { ...view, settings: chosen };
        paint();
        const ids = [report.owner, report.application?.originator].filter((id) => typeof id === "number");
        const named = import("./verifier.js")
          .then((module) => module.membersOf([...new Set(ids)], chosen))
          .catch(() => null);
        view = { ...view, chain: await verifier.checkArchiveOnChain(zip, chosen), chainState: "done" };
        const members = await named;
        if (members !== null) view = { ...view, members };
      } catch (error) {
        if (error?.name === "ChainDisagreementError") {
          view = {
            ...view,
            chainState: "disagree",
            disagreement: { endpoints: error.endpoints, field: error.field, message: error.message },
          };
          paint();
          return;
        }
        view = {
          ...view,
          chainState: "error",
          chainError: error instanceof Error ? error.message : String(error),
        };
      }
      paint();
    } catch (error) {
      problem =
        error?.name === "ArchiveFormatError"
          ? { code: error.code, file: error.file, reason: error.message }
          : { reason: error instanceof Error ? error.message : String(error) };
      paint();
    }
  });
}

/** Why a file is no case archive, in the page's language, the English reason after it. */
function formatProblem(problem, T, t) {
  const plain = T.format[problem.code];
  return plain === undefined
    ? problem.reason
    : T.withReason(plain(problem.file), t("technical"), problem.reason);
}

const section = document.getElementById("case-archive");
if (section !== null) mountCaseArchive(section);
