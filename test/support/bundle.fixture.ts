// A valid evidence bundle built in memory: seven leaves, the document's leaf at index 5, a fake
// anchor block, and the trust anchor of its fictitious chain. Deterministic (salts derived from
// labels), so BUNDLE.md's examples can be regenerated from it. Used by the bundle, CLI and contract tests.
import { createHash } from "node:crypto";
import { SigningKey, computeAddress, keccak256, toUtf8Bytes } from "ethers";
import { toHex } from "../../common/bytes.ts";
import {
  buildBundle,
  isoOfUnixSeconds,
  parseBundle,
  type EvidenceBundle,
} from "../../common/formats/bundle/bundle.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  leafHashOf,
  type EvidenceRecord,
} from "../../common/formats/leaf/leaf.ts";
import {
  TRUST_ANCHOR_FORMAT,
  parseTrustAnchor,
  type TrustAnchor,
} from "../../common/formats/bundle/trust-anchor.ts";
import { inclusionProof, memoRangeHasher, rootFromLeafHashes } from "../../common/formats/merkle/rfc9162.ts";
import {
  submissionDigest,
  submissionDomain,
  submissionProofOf,
  submissionRoot,
} from "../../common/formats/receipt/submission.ts";

export const sha256Hex = (data: string | Uint8Array): string =>
  `0x${createHash("sha256").update(data).digest("hex")}`;

export const DOCUMENT = new TextEncoder().encode("loan contract LN-2025-0001");
export const DOCUMENT_DIGEST = sha256Hex(DOCUMENT);
export const TREE_SIZE = 7;
/** Member 2's operations key in the example (made up; RFC 6979 signing keeps its signature fixed). */
export const MEMBER_KEY = new SigningKey(sha256Hex("example operations key of member 2"));
export const MEMBER_ACCOUNT = computeAddress(MEMBER_KEY.publicKey);
const LOG_ID = keccak256(toUtf8Bytes("jointledger.log.union.1"));
const EVIDENCE_LOG = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
export const LEAF_INDEX = 5;

export function recordFor(
  label: string,
  digest: string,
  submitter = 2,
  digestAlgorithm: DigestAlgorithm = DigestAlgorithm.Sha256,
): EvidenceRecord {
  return {
    version: 1,
    kind: EvidenceKind.Contract,
    digestAlgorithm,
    digest,
    salt: sha256Hex(`salt:${label}`),
    submitter,
    subject: sha256Hex("loan LN-2025-0001"),
  };
}

/** The document's leaf digests DOCUMENT with SHA-256 unless told otherwise. */
export function sampleBundle(
  document: { digest: string; digestAlgorithm: DigestAlgorithm } = {
    digest: DOCUMENT_DIGEST,
    digestAlgorithm: DigestAlgorithm.Sha256,
  },
): EvidenceBundle {
  const records = Array.from({ length: TREE_SIZE }, (_, i) =>
    i === LEAF_INDEX
      ? recordFor("document", document.digest, 2, document.digestAlgorithm)
      : recordFor(`other ${i}`, sha256Hex(`other document ${i}`), 4),
  );
  const leafHashes = records.map(leafHashOf);
  return buildBundle({
    record: records[LEAF_INDEX]!,
    log: { logId: LOG_ID, operatorMember: 1, leafIndex: LEAF_INDEX },
    head: { treeSize: TREE_SIZE, rootHash: toHex(rootFromLeafHashes(leafHashes)), headIndex: 0 },
    inclusionProof: inclusionProof(LEAF_INDEX, TREE_SIZE, memoRangeHasher(leafHashes)),
    anchor: {
      chainId: 20251n,
      evidenceLog: EVIDENCE_LOG,
      evidenceRegistry: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
      consortiumRegistry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
      transactionHash: sha256Hex("fake transaction"),
      blockNumber: 1234,
      blockHash: sha256Hex("fake block 1234"),
      blockTimestamp: 1_767_225_600, // 2026-01-01T00:00:00Z
    },
    status: { state: "Unknown", legalHold: false, replacement: null, endorsements: [], checkedAtBlock: 1240 },
    // member 2 submitted its one record in a request of its own
    submission: signedSubmission([leafHashes[LEAF_INDEX]!], 0),
    generatedAt: new Date("2026-01-01T00:05:00Z"),
  });
}

/** Member 2's submission proof of leaf `index` of a request of `request` leaf hashes, signed with MEMBER_KEY for the example's log. */
export function signedSubmission(request: readonly Uint8Array[], index: number) {
  const signature = MEMBER_KEY.sign(
    submissionDigest(submissionDomain(20251n, EVIDENCE_LOG), LOG_ID, submissionRoot(request)),
  ).serialized;
  return submissionProofOf(request, index, { signature, signer: MEMBER_ACCOUNT });
}

/** A deep copy to corrupt. */
export const clone = (b: EvidenceBundle): EvidenceBundle => structuredClone(b);

/** Flips the lowest bit of the last hex digit of a 0x-string. */
export function flipHex(hex: string): string {
  const last = Number.parseInt(hex.at(-1)!, 16) ^ 1;
  return `${hex.slice(0, -1)}${last.toString(16)}`;
}

/**
 * The trust anchor of the example's fictitious chain 20251 (BUNDLE.md, "Trust anchor"): its
 * registry and official pair are the example bundle's; the genesis hash is made up.
 */
export function sampleTrustAnchor(): TrustAnchor {
  return parseTrustAnchor({
    format: TRUST_ANCHOR_FORMAT,
    name: "JointLedger consortium",
    chainId: "20251",
    genesisHash: sha256Hex("genesis block of the example chain 20251"),
    consortiumRegistry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
    evidenceContracts: {
      evidenceLog: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      evidenceRegistry: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
    },
  });
}

/** `bundle` with its anchor moved into recommits and `anchor` put in front: what a chain that lost the head, or a fabricated earlier anchor, looks like. */
export function recommitted(
  bundle: EvidenceBundle,
  anchor: { blockNumber: number; blockHash: string; blockTimestamp: number; transactionHash: string },
): EvidenceBundle {
  const {
    chainId,
    evidenceLog,
    evidenceRegistry,
    consortiumRegistry,
    anchoredAt: _,
    ...real
  } = bundle.anchor;
  return parseBundle({
    ...bundle,
    anchor: {
      chainId,
      evidenceLog,
      evidenceRegistry,
      consortiumRegistry,
      ...anchor,
      anchoredAt: isoOfUnixSeconds(anchor.blockTimestamp),
    },
    recommits: [
      { at: isoOfUnixSeconds(real.blockTimestamp), reason: "the chain lost the head; re-anchored", ...real },
      ...bundle.recommits,
    ],
  });
}
