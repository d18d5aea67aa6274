// 见证人: the witnesses' cosignatures on the bundle's checkpoint (C2SP tlog-witness), each judged
// against the witness policy file the court keeps (C2SP tlog-policy: the log's key, the
// witnesses' keys, the quorum), which the clerk gives in the fourth field as the CA roots in the
// third. The check runs in this browser (verifier.js, built from src/verifier.ts: the shared
// verifier library). Text only, never HTML from the bundle.
import { beijingTime, utcTime } from "./format.js";

const TEXT = {
  zh: {
    policyLabel: "见证策略（可选）",
    policyHint: "法院保存的见证策略文件（C2SP tlog-policy）：日志与见证人的公钥、所需会签数",
    title: "见证人会签",
    intro: (origin, size) => `日志 ${origin} 的检查点（树大小 ${size}）上的签名：`,
    none: "证据包未携带见证人会签的检查点（尚未见证，或为旧版证据包）。",
    unavailable: "本页无法加载核验模块（verifier.js 未生成：运行 npm ci）。",
    policyError: (m) => `见证策略文件无效：${m}`,
    name: "签名者",
    role: { log: "日志", witness: "见证人" },
    keyId: "密钥标识",
    time: "会签时间",
    status: "核验",
    statuses: {
      verified: "✓ 已按策略核验",
      invalid: "✗ 签名无效",
      unknown: "? 策略中无此密钥",
      unchecked: "未核验（未提供见证策略）",
    },
    beijing: "北京时间",
    quorum: ({ threshold, of }) =>
      threshold === 0 ? "无需会签" : `${of.join("、")} 中至少 ${threshold} 个会签`,
    verdict: {
      pass: (quorum) => `见证：符合法院见证策略（${quorum}）。`,
      fail: (quorum, reason) => `见证：不符合法院见证策略（${quorum}）。技术细节：${reason}`,
      indeterminate: (quorum, reason) => `见证：无法按法院见证策略（${quorum}）判定。技术细节：${reason}`,
      nopolicy: "见证：未提供见证策略文件，见证人会签未核验。",
    },
  },
  en: {
    policyLabel: "Witness policy (optional)",
    policyHint:
      "The court's witness policy file (C2SP tlog-policy): the log's and the witnesses' keys, the cosignatures required",
    title: "Witness cosignatures",
    intro: (origin, size) => `Signatures on the checkpoint of log ${origin} (tree size ${size}):`,
    none: "The bundle carries no cosigned checkpoint (not witnessed yet, or an older bundle).",
    unavailable: "The verification module could not be loaded (verifier.js was not generated: run npm ci).",
    policyError: (m) => `The witness policy file is not valid: ${m}`,
    name: "Signed by",
    role: { log: "log", witness: "witness" },
    keyId: "Key id",
    time: "Cosigned at",
    status: "Verified",
    statuses: {
      verified: "✓ verified under the policy",
      invalid: "✗ signature does not verify",
      unknown: "? key not in the policy",
      unchecked: "not checked (no witness policy given)",
    },
    beijing: "Beijing time",
    quorum: ({ threshold, of }) =>
      threshold === 0 ? "no cosignature required" : `required: ${threshold} of ${of.join(", ")}`,
    verdict: {
      pass: (quorum) => `Witnesses: the court's witness policy is met (${quorum}).`,
      fail: (quorum, reason) =>
        `Witnesses: the court's witness policy is not met (${quorum}). Technical: ${reason}`,
      indeterminate: (quorum, reason) =>
        `Witnesses: undecided under the court's witness policy (${quorum}). Technical: ${reason}`,
      nopolicy: "Witnesses: no witness policy file was given, so the cosignatures were not checked.",
    },
  },
};

const text = (lang) => TEXT[lang] ?? TEXT.en;

/** The checkpoint's signatures against the policy file (null: none), or `{ unavailable }`. */
export async function inspectWitnesses(bundle, policyFile) {
  let module;
  try {
    module = await import("./verifier.js");
  } catch {
    return { unavailable: true };
  }
  return module.witnessesOf(bundle, policyFile === null ? null : await policyFile.text());
}

/** The witnesses' effect on the verdict: "fail" / "indeterminate" under a policy, else null. */
export function witnessOutcome(witnesses) {
  if (witnesses === null || witnesses.unavailable) return null;
  if (witnesses.policyError !== undefined) return "indeterminate";
  if (witnesses.quorum === null) return null;
  return witnesses.check.outcome;
}

/** The sentence the verdict adds about the witnesses. */
export function witnessVerdictText(witnesses, lang) {
  const t = text(lang);
  if (witnesses === null || witnesses.unavailable) return t.unavailable;
  if (witnesses.policyError !== undefined) return t.policyError(witnesses.policyError);
  if (witnesses.quorum === null) return t.verdict.nopolicy;
  return t.verdict[witnesses.check.outcome](t.quorum(witnesses.quorum), witnesses.check.reason);
}

/** The drop zone's labels in the page's language. */
export function renderPolicyDrop(lang, policyFile) {
  const t = text(lang);
  document.getElementById("policy-title").textContent = t.policyLabel;
  document.getElementById("policy-hint").textContent = t.policyHint;
  document.getElementById("policy-chosen").textContent = policyFile === null ? "" : policyFile.name;
  document.getElementById("drop-policy").classList.toggle("has-file", policyFile !== null);
}

const el = (tag, className, value) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (value !== undefined) node.textContent = value;
  return node;
};

/** The witnesses section: one row a signature on the checkpoint. */
export function witnessSection(witnesses, lang, id) {
  const t = text(lang);
  const section = el("section", "witnesses");
  section.id = id;
  section.append(el("h2", "", t.title));
  if (witnesses === null || witnesses.unavailable)
    return (section.append(el("p", "", t.unavailable)), section);
  if (witnesses.policyError !== undefined) {
    section.dataset.outcome = "indeterminate";
    section.append(el("p", "witness-verdict", t.policyError(witnesses.policyError)));
    return section;
  }
  section.dataset.outcome = witnesses.quorum === null ? "unchecked" : witnesses.check.outcome;
  section.append(el("p", "witness-verdict", witnessVerdictText(witnesses, lang)));
  if (witnesses.checkpoint === null) return (section.append(el("p", "", t.none)), section);
  section.append(el("p", "", t.intro(witnesses.checkpoint.origin, witnesses.checkpoint.treeSize)));
  const table = el("table", "witness-table");
  const head = el("tr");
  for (const label of [t.name, t.keyId, t.time, t.status]) head.append(el("th", "", label));
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  for (const row of witnesses.signatures) {
    const tr = el("tr");
    tr.dataset.witness = row.policyName ?? row.name;
    tr.dataset.status = row.status;
    tr.dataset.role = row.role;
    const who = `${row.policyName ?? row.name} (${t.role[row.role]})`;
    const when =
      row.timestamp === undefined
        ? "—"
        : `${beijingTime(row.timestamp)} ${t.beijing} · ${utcTime(row.timestamp).slice(11)} UTC`;
    tr.append(
      el("td", "", who),
      el("td", "hash", row.keyId),
      el("td", "", when),
      el("td", `witness-status witness-${row.status}`, t.statuses[row.status]),
    );
    table.tBodies[0].append(tr);
  }
  section.append(table);
  return section;
}
