// The court's case archive (archive.ts) verified from its own bytes, offline: the ZIP read entry by
// entry, and every item the manifest lists checked against its bundle with the shared verifier
// (common/formats/bundle/verify.ts, verifyOffline): the original's digest under the leaf's
// algorithm is the leaf's, the leaf encodes to its hash, and the Merkle path leads to the bundle's
// head. The manifest's own word is checked too: each file is there, its SHA-256 and leaf are the
// ones the manifest states, and no file stands in the archive unlisted. What needs a chain (the
// head on chain, the evidence chain the court's node compared) is reported as the manifest
// records it; `checkArchiveAgainstChain` re-runs the court's whole check (check.ts) over the
// archive's items against chain facts and a bundle verifier the caller brings (the court page:
// its chain endpoints). Runs in the court page (bundled by anchor-service/web/src/build.ts) and in
// Node alike: node:crypto's hashes are the only platform call.
import { createHash } from "node:crypto";
import { parseBundle } from "../../../common/formats/bundle/bundle.ts";
import { verifyOffline, type CheckResult } from "../../../common/formats/bundle/verify.ts";
import { DigestAlgorithm } from "../../../common/formats/leaf/leaf.ts";
import type { Manifest } from "./archive.ts";
import {
  checkPackage,
  type BundleVerifier,
  type ChainFacts,
  type EvidencePackage,
  type PackageCheck,
} from "./check.ts";

/** The manifest as archive.ts writes it. */
export type ArchiveManifest = Manifest;

/** Checks the page verifies without a chain; an item passes only if each of them passes. */
export const OFFLINE_REQUIRED = ["digest", "leafEncoding", "merklePath"] as const;

export type ArchiveItemResult = {
  role: string;
  label: string;
  original: string;
  leafHash: string;
  ok: boolean;
  /** The offline checks of the item's bundle, in the verifier's order. */
  checks: CheckResult[];
  /** What the archive itself gets wrong about the item: a file missing, a SHA-256 or leaf not the manifest's. */
  problems: ArchiveProblem[];
};

/**
 * One thing the archive gets wrong about an item: a stable code the court page words in its
 * language, the file concerned, and the reason in English.
 *   missing-file     the manifest lists the file; the archive does not hold it
 *   sha256-mismatch  the original's SHA-256 is not the manifest's
 *   leaf-mismatch    the bundle is for another leaf than the manifest's
 *   not-a-bundle     the bundle file is not an evidence bundle
 */
export type ArchiveProblem = {
  code: "missing-file" | "sha256-mismatch" | "leaf-mismatch" | "not-a-bundle";
  file: string;
  reason: string;
};

export type ArchiveReport = {
  loanId: string;
  owner: number;
  checkedAt: string;
  /** Every item verified here, the manifest consistent, nothing missing and no unlisted file. */
  ok: boolean;
  /** What the court's node concluded against the chain when it wrote the archive (not re-checked offline). */
  recorded: {
    ok: boolean;
    verdict: ArchiveManifest["verdict"];
    evidenceChain: ArchiveManifest["evidenceChain"];
    missing: ArchiveManifest["missing"];
    pending: ArchiveManifest["pending"];
  };
  /** The loan's application as the manifest names it (null: none named). */
  application: ArchiveManifest["application"];
  items: ArchiveItemResult[];
  /** Files in the archive the manifest does not list (manifest.json and certificate.pdf aside). */
  unlisted: string[];
};

/**
 * A file that is no case archive, with a stable code the court page words in its language and the
 * entry concerned (empty when none): compressed, truncated, duplicate (an entry), not-zip,
 * no-manifest, bad-manifest.
 */
export class ArchiveFormatError extends Error {
  readonly code: ArchiveFormatCode;
  readonly file: string;

  constructor(code: ArchiveFormatCode, message: string, file = "") {
    super(message);
    this.name = "ArchiveFormatError";
    this.code = code;
    this.file = file;
  }
}

export type ArchiveFormatCode =
  "compressed" | "truncated" | "duplicate" | "not-zip" | "no-manifest" | "bad-manifest";

const FORMAT = "jointledger.case-archive/1";
const LOCAL_HEADER = 0x04034b50;

/** The entries of a ZIP whose entries are stored (archive.ts writes no compression), by name. */
export function readStoredZip(zip: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const names = new TextDecoder("utf-8", { fatal: true });
  const entries = new Map<string, Uint8Array>();
  let at = 0;
  while (at + 30 <= zip.length && view.getUint32(at, true) === LOCAL_HEADER) {
    const method = view.getUint16(at + 8, true);
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    const name = names.decode(zip.subarray(at + 30, at + 30 + nameLength));
    const start = at + 30 + nameLength + extraLength;
    if (method !== 0)
      throw new ArchiveFormatError(
        "compressed",
        `${name} is compressed; a case archive stores its files`,
        name,
      );
    if (start + size > zip.length)
      throw new ArchiveFormatError("truncated", `${name} runs past the end of the archive`, name);
    if (entries.has(name))
      throw new ArchiveFormatError("duplicate", `${name} stands twice in the archive`, name);
    entries.set(name, zip.subarray(start, start + size));
    at = start + size;
  }
  if (entries.size === 0) throw new ArchiveFormatError("not-zip", "not a ZIP archive");
  return entries;
}

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;
const digest = (algorithm: "sha256" | "sm3", bytes: Uint8Array) =>
  hex(new Uint8Array(createHash(algorithm).update(bytes).digest()));

function manifestOf(entries: Map<string, Uint8Array>): ArchiveManifest {
  const bytes = entries.get("manifest.json");
  if (bytes === undefined)
    throw new ArchiveFormatError("no-manifest", "the archive has no manifest.json", "manifest.json");
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as ArchiveManifest;
  } catch (e) {
    throw new ArchiveFormatError(
      "bad-manifest",
      `manifest.json is not JSON: ${(e as Error).message}`,
      "manifest.json",
    );
  }
  if (manifest?.format !== FORMAT || !Array.isArray(manifest.items))
    throw new ArchiveFormatError(
      "bad-manifest",
      `manifest.json is not a ${FORMAT} manifest`,
      "manifest.json",
    );
  return manifest;
}

function verifyItem(
  item: ArchiveManifest["items"][number],
  entries: Map<string, Uint8Array>,
): ArchiveItemResult {
  const problems: ArchiveProblem[] = [];
  const problem = (code: ArchiveProblem["code"], file: string, reason: string) =>
    problems.push({ code, file, reason });
  let checks: CheckResult[] = [];
  const original = entries.get(item.original);
  const bundleBytes = entries.get(item.bundle);
  if (original === undefined)
    problem("missing-file", item.original, `${item.original} is not in the archive`);
  if (bundleBytes === undefined) problem("missing-file", item.bundle, `${item.bundle} is not in the archive`);
  if (original !== undefined && digest("sha256", original) !== item.sha256.toLowerCase())
    problem(
      "sha256-mismatch",
      item.original,
      `${item.original}'s SHA-256 is not the manifest's ${item.sha256}`,
    );
  if (original !== undefined && bundleBytes !== undefined) {
    try {
      const bundle = parseBundle(JSON.parse(new TextDecoder().decode(bundleBytes)));
      const algorithm = bundle.leaf.record.digestAlgorithm === DigestAlgorithm.Sm3 ? "sm3" : "sha256";
      checks = verifyOffline(bundle, { documentDigest: digest(algorithm, original) });
      if (bundle.leaf.leafHash.toLowerCase() !== item.leafHash.toLowerCase())
        problem(
          "leaf-mismatch",
          item.bundle,
          `the bundle is for leaf ${bundle.leaf.leafHash}, not the manifest's ${item.leafHash}`,
        );
    } catch (e) {
      problem(
        "not-a-bundle",
        item.bundle,
        `${item.bundle} is not an evidence bundle: ${(e as Error).message}`,
      );
    }
  }
  const passed = (id: string) => checks.some((c) => c.id === id && c.outcome === "pass");
  return {
    role: item.role,
    label: item.label,
    original: item.original,
    leafHash: item.leafHash,
    ok: problems.length === 0 && OFFLINE_REQUIRED.every(passed),
    checks,
    problems,
  };
}

/** Every item of the archive checked against its bundle and the manifest; throws ArchiveFormatError on a file that is no case archive. */
export function verifyCaseArchive(zip: Uint8Array): ArchiveReport {
  const entries = readStoredZip(zip);
  const manifest = manifestOf(entries);
  const items = manifest.items.map((item) => verifyItem(item, entries));
  const listed = new Set([
    "manifest.json",
    "certificate.pdf",
    ...manifest.items.flatMap((i) => [i.original, i.bundle]),
  ]);
  const unlisted = [...entries.keys()].filter((name) => !listed.has(name));
  const pending = manifest.pending ?? [];
  return {
    loanId: manifest.loanId,
    owner: manifest.owner,
    checkedAt: manifest.checkedAt,
    ok:
      items.every((i) => i.ok) &&
      unlisted.length === 0 &&
      manifest.ok &&
      manifest.missing.length === 0 &&
      pending.length === 0,
    recorded: {
      ok: manifest.ok,
      // a manifest written before verdicts: ok or not
      verdict: manifest.verdict ?? (manifest.ok ? "verified" : "not-verified"),
      evidenceChain: manifest.evidenceChain,
      missing: manifest.missing,
      pending,
    },
    application: manifest.application ?? null,
    items,
    unlisted,
  };
}

/** The package the archive holds, as the owning node handed it over (an item whose file is gone is left out). */
export function packageOfArchive(zip: Uint8Array): EvidencePackage {
  const entries = readStoredZip(zip);
  const manifest = manifestOf(entries);
  const items = manifest.items.flatMap((item) => {
    const original = entries.get(item.original);
    const bundle = entries.get(item.bundle);
    if (original === undefined || bundle === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bundle));
    } catch {
      parsed = null;
    }
    return [
      {
        role: item.role,
        label: item.label,
        leafHash: item.leafHash,
        originalBase64: Buffer.from(original).toString("base64"),
        bundle: parsed,
      },
    ];
  });
  return {
    loanId: manifest.loanId,
    owner: manifest.owner,
    items,
    ...(manifest.application === null || manifest.application === undefined
      ? {}
      : { application: manifest.application }),
    ...(manifest.pending === undefined ? {} : { pending: manifest.pending }),
  };
}

/**
 * The court's check (check.ts) re-run over the archive's own items: each bundle by `verify` (the
 * court page: every check against its chain endpoints), the items together against `facts` read
 * from the chain (chain-facts.ts). An item taken out of the archive is named missing (a chain
 * item) or simply absent from the result (the page names it from the manifest); one altered, of
 * another loan or unknown to the chain is named as the court's node would.
 */
export async function checkArchiveAgainstChain(
  zip: Uint8Array,
  facts: ChainFacts,
  verify: BundleVerifier,
): Promise<PackageCheck> {
  return checkPackage(packageOfArchive(zip), facts, verify);
}
