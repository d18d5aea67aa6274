// Builds the result view and the printable certificate from a verification result. Everything
// from the bundle or the service is inserted as text (never as HTML): a forged bundle cannot
// put markup on a court's screen.
import { beijingTime, fileSize, shortHash, utcTime } from "./format.js";
import { checkExplanation, hasKey } from "./i18n.js";
import { evidenceTime, trustedTime, verdictOf } from "./verification.js";
import { witnessSection, witnessVerdictText } from "./witnesses.js";

const SYMBOL = { pass: "✓", fail: "✗", indeterminate: "?" };

/** el("p", { class: "x", "data-y": 1 }, "text", child, …): attributes and text only. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A table of `className` with one header row of `columns` (text) and the body `rows`. */
function table(className, columns, rows) {
  return el(
    "table",
    { class: className },
    el("thead", {}, el("tr", {}, ...columns.map((label) => el("th", { scope: "col" }, label)))),
    el("tbody", {}, rows),
  );
}

function badge(outcome, t) {
  return el(
    "span",
    { class: `badge badge-${outcome}` },
    el("span", { class: "symbol", "aria-hidden": "true" }, SYMBOL[outcome]),
    " ",
    t(`outcome_${outcome}`),
  );
}

export function memberLabel(result, id, t) {
  const m = result.members.get(id);
  if (m === undefined || m === null) return t("unknownMember", { id });
  const kind = hasKey(`memberKind_${m.kind}`) ? t(`memberKind_${m.kind}`) : m.kind;
  // the legal name in the page's language with its credit code, only from the governed directory
  if (m.identity !== undefined)
    return t("memberLabelLegal", {
      nameZh: m.identity.nameZh,
      nameEn: m.identity.nameEn,
      uscc: m.identity.uscc,
      kind,
      id,
    });
  return t("memberLabel", { name: m.name, kind, id });
}

function hash(value) {
  return el("code", { class: "hash" }, value);
}

function lastRecord(lifecycle, action) {
  const records = lifecycle?.records ?? [];
  for (let i = records.length - 1; i >= 0; i--) if (records[i].action === action) return records[i];
  return undefined;
}

/** The lifecycle state now (from the registry) and its sentence. */
function statusOf(result, t) {
  const { lifecycle } = result;
  const state = lifecycle?.state ?? result.bundle.status.state;
  let text = t(`state${state}`);
  const who = (record) => memberLabel(result, record.byMember, t);
  const when = (record) => beijingTime(Date.parse(record.at) / 1000);
  if (state === "Revoked") {
    const r = lastRecord(lifecycle, "revoked");
    if (r !== undefined) text = t("revokedBy", { time: when(r), who: who(r) });
  } else if (state === "Superseded") {
    const r = lastRecord(lifecycle, "superseded");
    if (r !== undefined)
      text = t("supersededBy", {
        time: when(r),
        who: who(r),
        leaf: r.replacement ?? lifecycle.replacement ?? "",
      });
  }
  let hold = t("no");
  const legalHold = lifecycle?.legalHold ?? result.bundle.status.legalHold;
  if (legalHold) {
    const r = lastRecord(lifecycle, "legalHoldPlaced");
    hold = r === undefined ? t("yes") : `${t("yes")} — ${t("holdPlaced", { time: when(r), who: who(r) })}`;
  }
  const endorsers = lifecycle?.endorsers ?? result.bundle.status.endorsements;
  return { state, text, legalHold, hold, endorsers };
}

/** Label/value rows shared by the screen and the certificate. */
function facts(result, t, lang, { forCertificate }) {
  const { bundle, document } = result;
  const time = evidenceTime(bundle);
  const record = bundle.leaf.record;
  const status = statusOf(result, t);
  const rows = [];
  const row = (id, label, ...value) =>
    rows.push(
      el(
        "div",
        { class: "fact", id: `${forCertificate ? "cert" : "fact"}-${id}` },
        el("dt", {}, label),
        el("dd", {}, ...value),
      ),
    );
  if (forCertificate) {
    row("report", t("factReport"), el("strong", {}, result.reportId));
    row(
      "verified",
      t("factVerifiedAt"),
      `${beijingTime(result.verifiedAt)} ${t("beijing")}`,
      el("br"),
      `${utcTime(result.verifiedAt)} ${t("utc")}`,
    );
  }
  row(
    "document",
    t("factDocument"),
    document === null
      ? t("none")
      : t("fileWithSize", { name: document.name, size: fileSize(document.size, lang) }),
  );
  if (document !== null) {
    const differs = document.digest !== record.digest.toLowerCase();
    rows.push(
      el(
        "div",
        {
          class: differs ? "fact fact-mismatch" : "fact",
          id: `${forCertificate ? "cert" : "fact"}-digest`,
          "data-matches": String(!differs),
        },
        el("dt", {}, t("factDigest")),
        el(
          "dd",
          {},
          hash(document.digest),
          differs
            ? el(
                "span",
                { class: "mismatch-note" },
                el("span", { "aria-hidden": "true" }, "≠ "),
                t("digestDiffers"),
              )
            : null,
        ),
      ),
    );
  }
  row("recorded-digest", t("factRecordedDigest"), hash(record.digest.toLowerCase()));
  // the TSA-attested time is the evidence time when trustedTime passed; the block time beside it
  // (on the certificate each on one line, so it still fits one A4 page)
  const attested = trustedTime(result);
  const oneLine = attested !== null && forCertificate;
  const times = (at) => [
    el("span", { class: "time", "data-zone": "beijing" }, `${beijingTime(at)} ${t("beijing")}`),
    oneLine ? " · " : el("br"),
    el(
      "span",
      { class: "time", "data-zone": "utc" },
      oneLine ? `${utcTime(at).slice(11)} UTC` : `${utcTime(at)} ${t("utc")}`,
    ),
  ];
  if (attested !== null) {
    row(
      "trusted-time",
      t("factTrustedTime"),
      ...times(attested.at),
      el("br"),
      el("span", { class: "small" }, t("trustedTimeBy", { tsa: attested.tsa })),
    );
  }
  row("anchored", attested === null ? t("factAnchored") : t("factAnchoredBlock"), ...times(time));
  row("submitter", t("factSubmitter"), memberLabel(result, record.submitter, t));
  row("kind", t("factKind"), hasKey(`kind${record.kind}`) ? t(`kind${record.kind}`) : String(record.kind));
  if (result.sameLog) {
    rows.push(
      el(
        "div",
        { class: "fact", id: `${forCertificate ? "cert" : "fact"}-status`, "data-state": status.state },
        el("dt", {}, t("factStatus")),
        el("dd", {}, el("span", { class: `state state-${status.state.toLowerCase()}` }, status.text)),
      ),
    );
    row("hold", t("factLegalHold"), status.hold);
    row(
      "endorsements",
      t("factEndorsements"),
      status.endorsers.length === 0
        ? t("none")
        : status.endorsers.map((id) => memberLabel(result, id, t)).join(lang === "zh" ? "、" : "; "),
    );
  } else {
    row("status", t("factStatus"), t(result.ownChain ? "statusInChecks" : "otherLog"));
  }
  row("leaf", t("factLeaf"), hash(result.leafHash));
  // what every chain check was bound to: a court compares the fingerprint with the published one
  const anchor = result.verification.trustAnchor;
  if (anchor !== undefined && anchor !== null) {
    row(
      "trust-anchor",
      t("factTrustAnchor"),
      `${t("trustAnchorValue", { name: anchor.name, chain: anchor.chainId })} · `,
      el("span", { class: "fingerprint" }, t("trustAnchorFingerprint", { fingerprint: anchor.fingerprint })),
      el("br"),
      `${t("trustAnchorRegistry")} `,
      hash(anchor.consortiumRegistry.toLowerCase()),
      forCertificate
        ? null
        : el("span", { class: "small trust-anchor-note" }, el("br"), t("trustAnchorCompare")),
    );
  }
  // who asked the chain: this browser against the court's endpoints, or the serving anchor service
  // (on screen; the printed page keeps to one A4 sheet, and the signed certificate states it)
  const endpoints = result.verification.endpoints;
  if (!forCertificate)
    row(
      "checked-by",
      t("factCheckedBy"),
      endpoints === undefined
        ? t("checkedByService")
        : t("checkedByBrowser", { endpoints: endpoints.join(", ") }),
    );
  return el("dl", { class: "facts" }, rows);
}

const VERDICT_TITLES = {
  pass: "verdictPass",
  fail: "verdictFail",
  indeterminate: "verdictIndeterminate",
  nodocument: "verdictNoDocument",
};

/** The sentence under the verdict: says which failure when it is the only kind. */
function verdictText(result, verdict, t) {
  const time = beijingTime(trustedTime(result)?.at ?? evidenceTime(result.bundle));
  if (verdict === "fail") {
    const failed = result.verification.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
    if (failed.includes("digest")) return t("verdictFailDigestText");
    if (failed.includes("trustedTime")) return t("verdictFailTimeText");
    if (failed.length === 1 && failed[0] === "lifecycle") {
      const status = statusOf(result, t);
      if (status.state === "Revoked") return t("verdictFailRevokedText", { status: status.text });
      if (status.state === "Superseded") return t("verdictFailSupersededText", { status: status.text });
    }
  }
  return t(`${VERDICT_TITLES[verdict]}Text`, { time });
}

function verdictBlock(result, t, id, lang) {
  const verdict = verdictOf(result);
  const symbol = { pass: "✓", fail: "✗", indeterminate: "?", nodocument: "?" }[verdict];
  return el(
    "div",
    { class: `verdict verdict-${verdict}`, id, "data-verdict": verdict },
    el("span", { class: "verdict-symbol", "aria-hidden": "true" }, symbol),
    el(
      "div",
      {},
      el("p", { class: "verdict-title" }, t(VERDICT_TITLES[verdict])),
      el("p", { class: "verdict-text" }, verdictText(result, verdict, t)),
      el("p", { class: "verdict-witnesses" }, witnessVerdictText(result.witnesses, lang)),
    ),
  );
}

function checksTable(result, t, { compact }) {
  const rows = result.verification.checks.map((check) =>
    el(
      "tr",
      { "data-check": check.id, "data-outcome": check.outcome },
      el("th", { scope: "row" }, hasKey(`check_${check.id}`) ? t(`check_${check.id}`) : check.id),
      el("td", { class: "outcome" }, badge(check.outcome, t)),
      el(
        "td",
        {},
        el("p", { class: "plain" }, checkExplanation(t, check, result.lifecycle?.state)),
        compact
          ? null
          : el(
              "p",
              { class: "technical" },
              el("span", { class: "technical-label" }, `${t("technical")}: `),
              check.reason,
            ),
      ),
    ),
  );
  return table("checks", [t("colCheck"), t("colResult"), t("colExplanation")], rows);
}

/** What the verification proves depends on its outcome: a failed one proves nothing. */
const PROVES = {
  pass: "certProves",
  nodocument: "certProvesNoDocument",
  fail: "certProvesFail",
  indeterminate: "certProvesIndeterminate",
};

function statements(result, t) {
  const verdict = verdictOf(result);
  return el(
    "div",
    { class: "statements" },
    el(
      "section",
      { class: `statement statement-proves statement-${verdict}` },
      el("h3", {}, t("certProvesHeading")),
      el("p", {}, t(PROVES[verdict])),
    ),
    el(
      "section",
      { class: "statement statement-not" },
      el("h3", {}, t("certNotHeading")),
      el("p", {}, t("certNot")),
    ),
  );
}

function othersBlock(result, t) {
  const others = result.others;
  if (others === null || others.length < 2) return null;
  const items = others.map((leaf) => {
    const current = leaf.leafHash.toLowerCase() === result.leafHash;
    const who = memberLabel(result, leaf.submitter, t);
    const when =
      leaf.status === "anchored"
        ? t("receivedAt", { time: beijingTime(Date.parse(leaf.receivedAt) / 1000) })
        : t("pending");
    return el(
      "li",
      {},
      hash(shortHash(leaf.leafHash)),
      ` — ${who}, ${when} `,
      current || leaf.status !== "anchored"
        ? null
        : el(
            "button",
            { type: "button", class: "link-button", "data-verify-leaf": leaf.leafHash },
            t("verifyThis"),
          ),
    );
  });
  return el(
    "section",
    { class: "others", id: "others" },
    el("h2", {}, t("othersHeading")),
    el("p", {}, t("othersText", { count: others.length, shown: shortHash(result.leafHash) })),
    el("ul", {}, items),
  );
}

function merkleBlock(result, t) {
  const { bundle, merkle } = result;
  const steps = merkle.steps.map((s, i) =>
    el(
      "tr",
      {},
      el("td", {}, String(i + 1)),
      el("td", {}, hash(s.sibling)),
      el("td", {}, t(s.side === "left" ? "sideLeft" : "sideRight")),
      el("td", {}, hash(s.result)),
    ),
  );
  const anchor = bundle.recommits.length > 0 ? bundle.recommits[bundle.recommits.length - 1] : bundle.anchor;
  return el(
    "details",
    { class: "merkle", id: "merkle" },
    el("summary", {}, t("merkleHeading")),
    el(
      "p",
      {},
      t("merkleIntro", {
        index: bundle.log.leafIndex,
        size: bundle.head.treeSize,
        count: bundle.inclusionProof.length,
      }),
    ),
    el("p", {}, `${t("merkleLeaf")}: `, hash(result.leafHash)),
    table("merkle-steps", [t("merkleStep"), t("merkleSibling"), t("merkleSide"), t("merkleResult")], steps),
    el("p", {}, `${t("merkleRoot")}: `, hash(bundle.head.rootHash.toLowerCase())),
    el(
      "p",
      {
        class: merkle.matches ? "merkle-match" : "merkle-mismatch",
        id: "merkle-result",
        "data-matches": String(merkle.matches),
      },
      t(merkle.matches ? "merkleMatch" : "merkleMismatch"),
    ),
    el(
      "p",
      { class: "small" },
      t("merkleChain", {
        chain: bundle.anchor.chainId,
        log: bundle.anchor.evidenceLog,
        block: anchor.blockNumber,
        tx: anchor.transactionHash,
      }),
    ),
    el("p", { class: "small" }, `${t("merkleLogId")}: `, hash(bundle.log.logId)),
  );
}

/** The serving node's signed certificate: the button, then its links (PDF, JSON report) or why not. */
function signedBlock(t, signed) {
  if (signed === null)
    return el("button", { type: "button", id: "signed-certificate" }, t("signedCertificate"));
  if (signed.pending) return el("p", { id: "signed", class: "small" }, t("signedPending"));
  if (signed.error !== undefined)
    return el("p", { id: "signed", class: "message-error" }, t("signedFailed", { message: signed.error }));
  return el(
    "p",
    { id: "signed", "data-report": signed.reportId },
    `${t("signedReady", { id: signed.reportId })} `,
    el("a", { href: signed.pdf, id: "signed-pdf", target: "_blank", rel: "noopener" }, t("signedPdf")),
    " · ",
    el("a", { href: signed.json, id: "signed-json", target: "_blank", rel: "noopener" }, t("signedJson")),
  );
}

/** The on-screen result; `offerSigned`: the serving node signs certificates. */
export function renderResult(container, result, t, lang, { offerSigned = false, signed = null } = {}) {
  const children = [
    verdictBlock(result, t, "verdict", lang),
    el("h2", {}, t("factsHeading")),
    facts(result, t, lang, { forCertificate: false }),
    el("h2", {}, t("checksHeading")),
    checksTable(result, t, { compact: false }),
    witnessSection(result.witnesses, lang, "witnesses"),
    othersBlock(result, t),
    statements(result, t),
    merkleBlock(result, t),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", id: "print", class: "primary" }, t("printCertificate")),
      offerSigned ? signedBlock(t, signed) : null,
      el("button", { type: "button", id: "again" }, t("newVerification")),
    ),
  ];
  container.replaceChildren(...children.filter((child) => child !== null));
}

/** The printable certificate (shown only when printing). */
export function renderCertificate(container, result, t, lang) {
  const link = `${result.publicUrl ?? location.origin}/verify?leaf=${result.leafHash}`;
  container.replaceChildren(
    el(
      "header",
      { class: "cert-header" },
      el("p", { class: "cert-consortium" }, t("consortium")),
      el("h1", {}, t("certTitle")),
      el("p", { class: "cert-subtitle" }, t("certSubtitle")),
    ),
    verdictBlock(result, t, "cert-verdict", lang),
    el(
      "div",
      { class: "cert-body" },
      facts(result, t, lang, { forCertificate: true }),
      el(
        "figure",
        { class: "cert-qr" },
        el("img", {
          src: `/verify/qr.svg?leaf=${result.leafHash}`,
          alt: t("certQr"),
          id: "cert-qr",
          width: "152",
          height: "152",
        }),
        el("figcaption", {}, t("certQr"), el("br"), el("code", { class: "hash" }, link)),
      ),
    ),
    checksTable(result, t, { compact: true }),
    statements(result, t),
    el("p", { class: "cert-footer" }, t("certFooter")),
  );
}
