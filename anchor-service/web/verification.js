// One verification, from what the clerk gave to everything the page shows: hash the document
// here, find the evidence (the bundle given, the leaf of a QR link, or a digest lookup), run every
// check — in this browser against the chain endpoints the serving node names (verifier.js), or,
// where it names none, by the anchor service that served the page (POST /v1/verify) — then gather
// the names and lifecycle that make the result readable and recompute the Merkle path here.
import { ApiError, api } from "./api.js";
import { recomputeRoot } from "./merkle.js";
import { hasWebCrypto, sha256, toHex } from "./sha256.js";
import { sm3 } from "./sm3.js";
import { beijingTime } from "./format.js";
import { inspectWitnesses, witnessOutcome } from "./witnesses.js";

const LEAF = /^0x[0-9a-fA-F]{64}$/;

/** A problem to show the clerk: an i18n key and its values. */
export class PageError extends Error {
  constructor(key, vars = {}) {
    super(key);
    this.key = key;
    this.vars = vars;
  }
}

export function isLeafHash(value) {
  return typeof value === "string" && LEAF.test(value);
}

/**
 * input: { documentFile, bundleFile, leaf, policyFile } (each may be null; a bundle file given
 * wins over the leaf of a link; the policy judges the checkpoint's witnesses); progress(key) reports each stage. Returns the result the page renders;
 * throws PageError.
 */
export async function runVerification(input, info, settings, progress) {
  let document = null;
  let documentBytes = null;
  if (input.documentFile !== null) {
    progress(hasWebCrypto() ? "hashing" : "hashingPortable");
    documentBytes = new Uint8Array(await input.documentFile.arrayBuffer());
    document = {
      name: input.documentFile.name,
      size: input.documentFile.size,
      digest: toHex(await sha256(documentBytes)),
    };
  }

  let bundle;
  let others = null;
  if (input.bundleFile !== null) {
    bundle = await readBundleFile(input.bundleFile);
  } else {
    // a node serves no evidence log (no /v1/info): there the evidence comes with its bundle
    if (info === null) throw new PageError("errNeedBundle");
    let leaf = input.leaf;
    if (leaf === null) {
      if (document === null) throw new PageError("errNoInput");
      progress("lookingUp");
      // a document anchored under SM3 is found by its SM3 digest
      const sm3Digest = toHex(sm3(documentBytes));
      const found = await api
        .digest(document.digest)
        .catch(() =>
          expect(() => api.digest(sm3Digest), { ANCHOR_ERR_UNKNOWN_DIGEST: ["errUnknownDigest"] }),
        );
      others = found.leaves;
      const anchored = found.leaves.find((l) => l.status === "anchored");
      if (anchored === undefined) throw new PageError("errPending");
      leaf = anchored.leafHash;
    }
    progress("fetchingBundle");
    bundle = await expect(() => api.bundle(leaf), {
      ANCHOR_ERR_UNKNOWN_LEAF: ["errUnknownLeaf", { leaf }],
      ANCHOR_ERR_NOT_ANCHORED: ["errPending"],
      ANCHOR_ERR_VALIDATION: ["errBadLeaf"],
    });
  }

  // the leaf names the document's digest algorithm: 2 is SM3 (GB/T 32905), computed here too
  if (document !== null && bundle.leaf?.record?.digestAlgorithm === 2)
    document.digest = toHex(sm3(documentBytes));
  progress("checking");
  const endpoints = settings?.chainEndpoints ?? [];
  const verification =
    endpoints.length > 0
      ? await verifyHere(bundle, document?.digest ?? null, settings)
      : await expect(() => api.verify(bundle, document?.digest ?? null), {
          ANCHOR_ERR_VALIDATION: (e) => ["errBundleInvalid", { message: e.message }],
          ANCHOR_ERR_BAD_JSON: (e) => ["errBundleInvalid", { message: e.message }],
        });

  const leafHash = bundle.leaf.leafHash.toLowerCase();
  // names and lifecycle come from this service's contracts: only shown for its own log's bundles
  const sameLog =
    info !== null &&
    same(info.evidenceLog, bundle.anchor.evidenceLog) &&
    same(info.evidenceRegistry, bundle.anchor.evidenceRegistry) &&
    same(info.consortiumRegistry, bundle.anchor.consortiumRegistry);
  const lifecycle = sameLog ? await api.lifecycle(leafHash).catch(() => null) : null;
  const memberIds = new Set([
    bundle.leaf.record.submitter,
    ...(lifecycle?.endorsers ?? []),
    ...(lifecycle?.records ?? []).map((r) => r.byMember),
  ]);
  const members = new Map();
  if (sameLog) {
    await Promise.all(
      [...memberIds].map(async (id) => members.set(id, await api.member(id).catch(() => null))),
    );
  }

  // where no anchor service names them (a node's page), the names come from the court's chain endpoint
  if (
    !sameLog &&
    endpoints.length > 0 &&
    verification.checks.some((c) => c.id === "headOnChain" && c.outcome === "pass")
  ) {
    const names = await import("./verifier.js")
      .then((module) => module.membersOf([...memberIds], settings))
      .catch(() => new Map());
    for (const [id, member] of names) members.set(id, member);
  }

  const merkle = await recomputeRoot(
    bundle.log.leafIndex,
    bundle.head.treeSize,
    leafHash,
    bundle.inclusionProof,
    bundle.head.rootHash,
  );
  const witnesses = await inspectWitnesses(bundle, input.policyFile ?? null);
  const verifiedAt = Math.floor(Date.now() / 1000);
  const reportId = await reportIdOf({ leafHash, digest: document?.digest ?? null, verifiedAt, verification });
  const publicUrl = info?.publicUrl ?? null;
  return {
    document,
    bundle,
    leafHash,
    others,
    verification,
    sameLog,
    /** The checks were run against the court's endpoints, without an anchor service's reads (a node's page). */
    ownChain: info === null && endpoints.length > 0,
    lifecycle,
    members,
    merkle,
    witnesses,
    verifiedAt,
    reportId,
    publicUrl,
  };
}

/**
 * The page's verdict: stricter than the service's overall, as the command-line verifier is; under
 * a witness policy the court gave, its quorum must hold too.
 */
export function verdictOf(result) {
  const byId = Object.fromEntries(result.verification.checks.map((c) => [c.id, c.outcome]));
  const witnessed = witnessOutcome(result.witnesses);
  if (result.verification.overall === "fail" || witnessed === "fail") return "fail";
  if (witnessed === "indeterminate") return "indeterminate";
  if (result.verification.overall === "pass" && byId.blockAndTime === "pass") {
    if (byId.digest === "pass") return "pass";
    if (result.document === null) return "nodocument";
  }
  return "indeterminate";
}

/** The block time that dates the evidence: the last re-commit's, else the anchor's. */
export function evidenceTime(bundle) {
  const n = bundle.recommits.length;
  return n > 0 ? bundle.recommits[n - 1].blockTimestamp : bundle.anchor.blockTimestamp;
}

/** The TSA-attested time (Unix seconds) and the TSA, when trustedTime passed; else null. The evidence time a certificate states. */
export function trustedTime(result) {
  const attested = result.verification.trustedTime;
  if (attested === undefined || attested === null) return null;
  // rounded up: "existed no later than" must not claim a moment before the TSA's
  return { at: Math.ceil(Date.parse(attested.attestedAt) / 1000), tsa: attested.tsa };
}

/** Every check run in this browser against the court's chain endpoints (verifier.js). */
async function verifyHere(bundle, digest, settings) {
  let module;
  try {
    module = await import("./verifier.js");
  } catch {
    throw new PageError("errVerifierMissing");
  }
  try {
    return await module.verifyAgainstChain(bundle, digest, settings);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (String(e?.code).startsWith("BUNDLE_")) throw new PageError("errBundleInvalid", { message });
    throw new PageError("errService", { message });
  }
}

async function readBundleFile(file) {
  const text = await file.text();
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PageError("errBundleJson", { message: e instanceof Error ? e.message : String(e) });
  }
}

/** Runs an API call; a known error code becomes the clerk's message, anything else errService. */
async function expect(call, known) {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const mapped = known[e.code];
    if (typeof mapped === "function") throw new PageError(...mapped(e));
    if (mapped !== undefined) throw new PageError(...mapped);
    throw new PageError("errService", { message: `${e.code}: ${e.message}` });
  }
}

function same(a, b) {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

/**
 * JLV-<Beijing date>-<10 hex digits>: names one verification (the leaf, the document's digest,
 * the moment and the outcomes), so a printed certificate can be referred to.
 */
async function reportIdOf({ leafHash, digest, verifiedAt, verification }) {
  const summary = JSON.stringify({
    leafHash,
    digest,
    verifiedAt,
    checks: verification.checks.map((c) => [c.id, c.outcome]),
  });
  const hash = toHex(await sha256(new TextEncoder().encode(summary)));
  return `JLV-${beijingTime(verifiedAt).slice(0, 10).replaceAll("-", "")}-${hash.slice(2, 12).toUpperCase()}`;
}
