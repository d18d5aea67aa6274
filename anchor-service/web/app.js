// The verification page's controller: language, the two file inputs (click or drop), the
// verification run, and re-rendering everything when the language changes.
// body[data-phase] is idle | working | done | error (what the browser test waits on).
import { api } from "./api.js";
import { fileSize, shortHash } from "./format.js";
import { LANGS, defaultLang, translator } from "./i18n.js";
import { renderCertificate, renderResult } from "./render.js";
import { PageError, isLeafHash, runVerification } from "./verification.js";
import { inspectDocument, renderRootsDrop, renderSignatures } from "./signatures.js";
import { renderPolicyDrop } from "./witnesses.js";
import { markTestEnvironment } from "./environment.js";
import { renderEndpointChoice, withChosenEndpoint } from "./endpoint-choice.js";

const BUNDLE_FORMAT = "jointledger.evidence-bundle/1";

const state = {
  lang: storedLang() ?? defaultLang(navigator.languages ?? [navigator.language]),
  documentFile: null,
  bundleFile: null,
  /** CA root certificates (PEM files) a signed PDF's signatures are checked against (signatures.js). */
  rootFiles: [],
  /** The court's witness policy file (C2SP tlog-policy) the checkpoint's cosignatures are checked against (witnesses.js), or null. */
  policyFile: null,
  /** The document's signature report (signatures.js), or null. */
  signatures: null,
  /** The leaf of a verification link (/verify?leaf=…), if the page was opened with one. */
  leaf: null,
  badLeaf: false,
  /** /v1/info of this service once known (null if it did not answer: a node serves no log). */
  info: null,
  /** /verify/config.json: the chain endpoints and trust anchor the page checks with (null if it did not answer). */
  settings: null,
  infoReady: Promise.resolve(),
  result: null,
  /** The serving node's signed certificate of this result: { reportId, json, pdf } links, or { error }. */
  signed: null,
  /** { key, vars } of the last problem, or of the progress message. */
  message: null,
  phase: "idle",
};

const $ = (id) => document.getElementById(id);

function storedLang() {
  try {
    const lang = localStorage.getItem("jl-verify-lang");
    return LANGS.includes(lang) ? lang : null;
  } catch {
    return null;
  }
}

function render() {
  const t = translator(state.lang);
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("pageTitle");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]"))
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const button of document.querySelectorAll("[data-lang]"))
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  document.body.dataset.phase = state.phase;
  void markTestEnvironment($("test-env"), state.lang);
  renderEndpointChoice($("endpoint-choice"), state.settings, state.lang);

  const chosen = (file) =>
    file === null
      ? t("noFile")
      : t("fileWithSize", { name: file.name, size: fileSize(file.size, state.lang) });
  $("document-chosen").textContent = chosen(state.documentFile);
  $("bundle-chosen").textContent = chosen(state.bundleFile);
  $("drop-document").classList.toggle("has-file", state.documentFile !== null);
  $("drop-bundle").classList.toggle("has-file", state.bundleFile !== null);
  renderRootsDrop(state.lang, state.rootFiles);
  renderPolicyDrop(state.lang, state.policyFile);
  renderSignatures($("signatures"), state.signatures, state.lang);
  const notice = $("leaf-notice");
  notice.hidden = state.leaf === null;
  notice.textContent = state.leaf === null ? "" : t("leafNotice", { leaf: shortHash(state.leaf) });
  $("verify").disabled = state.phase === "working";

  const message = $("message");
  message.textContent = state.message === null ? "" : t(state.message.key, state.message.vars);
  message.className = state.phase === "error" ? "message message-error" : "message";

  const result = $("result");
  const certificate = $("certificate");
  if (state.result === null) {
    result.hidden = true;
    result.replaceChildren();
    certificate.replaceChildren();
  } else {
    result.hidden = false;
    renderResult(result, state.result, t, state.lang, {
      offerSigned: state.settings?.reports === true,
      signed: state.signed,
    });
    renderCertificate(certificate, state.result, t, state.lang);
  }
}

async function verify(leafOverride = null) {
  state.phase = "working";
  state.result = null;
  state.signed = null;
  state.signatures = null;
  state.message = null;
  render();
  // a signed PDF's signatures, beside (not part of) the evidence checks: shown whatever those find
  state.signatures = await inspectDocument(state.documentFile, state.rootFiles).catch((e) => ({
    signed: true,
    claimed: [],
    verification: { outcome: "fail", code: "ERROR", message: e instanceof Error ? e.message : String(e) },
  }));
  try {
    if (state.badLeaf && leafOverride === null) throw new PageError("errBadLeaf");
    await state.infoReady;
    const input = {
      documentFile: state.documentFile,
      bundleFile: leafOverride === null ? state.bundleFile : null,
      leaf: leafOverride ?? state.leaf,
      policyFile: state.policyFile,
    };
    // the court's chosen endpoint first: the others cross-check it
    const settings = withChosenEndpoint(state.settings);
    state.result = await runVerification(input, state.info, settings, (key) => {
      state.message = { key };
      render();
    });
    state.phase = "done";
    state.message = { key: "done" };
    // the address bar now holds the link the certificate's QR code carries
    history.replaceState(null, "", `/verify?leaf=${state.result.leafHash}`);
  } catch (e) {
    state.phase = "error";
    state.message =
      e instanceof PageError
        ? { key: e.key, vars: e.vars }
        : { key: "errService", vars: { message: e instanceof Error ? e.message : String(e) } };
  }
  render();
  if (state.phase === "done") $("result").focus();
}

/** Asks the serving node for its signed certificate of the current result. */
async function signCertificate() {
  const { bundle, document } = state.result;
  state.signed = { pending: true };
  render();
  try {
    const answer = await api.signedReport(bundle, document?.digest ?? null);
    state.signed = { reportId: answer.reportId, json: answer.json, pdf: answer.pdf };
  } catch (e) {
    state.signed = { error: e instanceof Error ? `${e.code ?? ""} ${e.message}`.trim() : String(e) };
  }
  render();
}

/** Several files dropped at once: the one that is an evidence bundle goes to the bundle slot. */
async function assignDropped(files, target) {
  const list = [...files];
  if (list.length === 1) {
    state[target === "bundle" ? "bundleFile" : "documentFile"] = list[0];
    return;
  }
  for (const file of list) {
    if ((await isBundle(file)) && state.bundleFile !== file) state.bundleFile = file;
    else state.documentFile = file;
  }
}

async function isBundle(file) {
  if (!file.name.toLowerCase().endsWith(".json") || file.size > 1_000_000) return false;
  try {
    return JSON.parse(await file.text())?.format === BUNDLE_FORMAT;
  } catch {
    return false;
  }
}

function wireDropZone(zoneId, inputId, target) {
  const zone = $(zoneId);
  const input = $(inputId);
  input.addEventListener("change", () => {
    state[target === "bundle" ? "bundleFile" : "documentFile"] = input.files?.[0] ?? null;
    render();
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer?.files?.length) await assignDropped(event.dataTransfer.files, target);
    render();
  });
}

function reset() {
  state.documentFile = null;
  state.bundleFile = null;
  state.rootFiles = [];
  state.policyFile = null;
  state.signatures = null;
  state.leaf = null;
  state.badLeaf = false;
  state.result = null;
  state.signed = null;
  state.message = null;
  state.phase = "idle";
  $("document").value = "";
  $("bundle").value = "";
  $("roots").value = "";
  $("policy").value = "";
  history.replaceState(null, "", "/verify");
  render();
  $("document").focus();
}

function start() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      state.lang = button.dataset.lang;
      try {
        localStorage.setItem("jl-verify-lang", state.lang);
      } catch {
        // storage unavailable: the choice lasts for this page only
      }
      render();
    });
  }
  wireDropZone("drop-document", "document", "document");
  wireDropZone("drop-bundle", "bundle", "bundle");
  $("roots").addEventListener("change", () => {
    state.rootFiles = [...($("roots").files ?? [])];
    render();
  });
  $("policy").addEventListener("change", () => {
    state.policyFile = $("policy").files?.[0] ?? null;
    render();
  });
  // a file dropped beside the zones must not make the browser navigate away from the page
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    void verify();
  });
  $("result").addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest("button") : null;
    if (target === null) return;
    if (target.id === "print") window.print();
    else if (target.id === "signed-certificate") void signCertificate();
    else if (target.id === "again") reset();
    else if (target.dataset.verifyLeaf !== undefined) void verify(target.dataset.verifyLeaf);
  });

  const leaf = new URLSearchParams(location.search).get("leaf");
  if (leaf !== null) {
    if (isLeafHash(leaf)) state.leaf = leaf.toLowerCase();
    else state.badLeaf = true;
  }
  render();
  state.infoReady = Promise.all([
    api.info().then(
      (info) => void (state.info = info),
      () => void (state.info = null),
    ),
    api.pageSettings().then(
      (settings) => {
        state.settings = settings;
        render();
      },
      () => void (state.settings = null),
    ),
  ]);
  // a verification link opens its verification at once (no document: the clerk may add it)
  if (state.leaf !== null || state.badLeaf) void verify();
}

start();
