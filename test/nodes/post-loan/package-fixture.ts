// A loan's evidence package built in memory over one log head, for the court's check and the case
// archive: the loan's contract, consent, vouchers, a notice, the credit query and decision records,
// a post-loan re-query's log at the branch and at the union (and items that must be refused: a decision of another application, a query no decision read, a
// voucher of another loan, one the chain never saw), each original with its bundle.
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import { buildBundle } from "../../../common/formats/bundle/bundle.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  leafHashOf,
  type EvidenceRecord,
} from "../../../common/formats/leaf/leaf.ts";
import { inclusionProof, memoRangeHasher, treeHead } from "../../../common/formats/merkle/rfc9162.ts";
import { evidenceChainStart, extendEvidenceChain, loanIdOf } from "../../../common/lending/ids.ts";
import type {
  ChainFacts,
  EvidencePackage,
  EvidenceRole,
  PackageItem,
} from "../../../nodes/src/court-package/check.ts";
import { sha256Hex, signedSubmission } from "../../support/bundle.fixture.ts";

export const APPLICATION = { applicationId: "PLT-APP-1", originator: 7, recordId: "app-record-1" };
export const LOAN = loanIdOf(APPLICATION.originator, keccak256(toUtf8Bytes(APPLICATION.applicationId)));
export const OTHER_LOAN = sha256Hex("another loan");
export const BORROWER = sha256Hex("borrower key");

export type Spec = { role: EvidenceRole; label: string; original: string; kind: number; subject: string };

export const QUERY_LOG =
  '{"purpose":"LOAN_APPROVAL","reportDigest":"0x01","when":"2026-01-01T00:00:00.000Z","who":"u1"}';
export const LATER_QUERY_LOG = QUERY_LOG.replace("u1", "u2");
/** The branch's log of a nightly post-loan re-query, and the union's log of that ask (member 2 asking). */
export const POST_LOAN_QUERY_LOG =
  '{"purpose":"POST_LOAN_MANAGEMENT","reportDigest":"0x02","when":"2026-02-01T00:00:00.000Z","who":"post-loan-batch"}';
export const unionAskLog = (asker: number, purpose = "POST_LOAN_MANAGEMENT") =>
  JSON.stringify({
    asker,
    cached: false,
    channel: "primary",
    consentLeafHash: "0x00",
    purpose,
    reportDigest: "0x02",
    when: "2026-02-01T00:00:00.000Z",
    who: "post-loan-batch",
  });
/** The leaf of a spec, known before the items are built: a decision names its query's leaf. */
export const leafOfSpec = (label: string, original: string, kind: number, subject: string) =>
  hexlify(
    leafHashOf({
      version: 1,
      kind: kind as EvidenceRecord["kind"],
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest: sha256Hex(original),
      salt: sha256Hex(`salt:${label}`),
      submitter: 2,
      subject,
    }),
  );
export const QUERY_LEAF = leafOfSpec("query", QUERY_LOG, EvidenceKind.CreditQuery, BORROWER);
export const CONSENT_LEAF = leafOfSpec("consent", "授权书 PDF", EvidenceKind.Consent, BORROWER);
export const decisionDocument = (recordId: string, consentLeafHash = CONSENT_LEAF) =>
  JSON.stringify({
    applicationId: recordId,
    consentLeafHash,
    outcome: "approve",
    queryLeafHash: QUERY_LEAF,
  });

export const SPECS: Spec[] = [
  {
    role: "contract",
    label: "loan contract",
    original: "借款合同 PDF",
    kind: EvidenceKind.Contract,
    subject: LOAN,
  },
  {
    role: "consent",
    label: "consent",
    original: "授权书 PDF",
    kind: EvidenceKind.Consent,
    subject: BORROWER,
  },
  {
    role: "voucher",
    label: "DSB-1",
    original: "disbursement voucher",
    kind: EvidenceKind.FundFlowVoucher,
    subject: LOAN,
  },
  {
    role: "voucher",
    label: "REP-1",
    original: "repayment voucher",
    kind: EvidenceKind.FundFlowVoucher,
    subject: LOAN,
  },
  {
    role: "notice",
    label: "reminder",
    original: '{"noticeId":"reminder"}',
    kind: EvidenceKind.LifecycleNotice,
    subject: LOAN,
  },
  {
    role: "credit-query",
    label: "query",
    original: QUERY_LOG,
    kind: EvidenceKind.CreditQuery,
    subject: BORROWER,
  },
  {
    role: "decision",
    label: "decision",
    original: decisionDocument(APPLICATION.recordId),
    kind: EvidenceKind.CreditDecision,
    subject: BORROWER,
  },
  {
    role: "decision",
    label: "decision of another application",
    original: decisionDocument("app-record-2"),
    kind: EvidenceKind.CreditDecision,
    subject: BORROWER,
  },
  {
    role: "credit-query",
    label: "query no decision read",
    original: LATER_QUERY_LOG,
    kind: EvidenceKind.CreditQuery,
    subject: BORROWER,
  },
  {
    role: "credit-query",
    label: "post-loan query",
    original: POST_LOAN_QUERY_LOG,
    kind: EvidenceKind.CreditQuery,
    subject: BORROWER,
  },
  {
    role: "credit-query",
    label: "union log of the post-loan query",
    original: unionAskLog(2),
    kind: EvidenceKind.CreditQuery,
    subject: BORROWER,
  },
  {
    role: "credit-query",
    label: "union log of another member's ask",
    original: unionAskLog(3),
    kind: EvidenceKind.CreditQuery,
    subject: BORROWER,
  },
  {
    role: "voucher",
    label: "REP-9",
    original: "a voucher of another loan",
    kind: EvidenceKind.FundFlowVoucher,
    subject: OTHER_LOAN,
  },
  {
    role: "voucher",
    label: "REP-X",
    original: "a voucher never on chain",
    kind: EvidenceKind.FundFlowVoucher,
    subject: LOAN,
  },
];

/** Every spec's leaf in one log head, each item with its bundle. */
export function anchoredItems(): PackageItem[] {
  const records: EvidenceRecord[] = SPECS.map((s) => ({
    version: 1,
    kind: s.kind as EvidenceRecord["kind"],
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest: sha256Hex(s.original),
    salt: sha256Hex(`salt:${s.label}`),
    submitter: 2,
    subject: s.subject,
  }));
  const leaves = records.map(leafHashOf);
  const head = treeHead(leaves);
  const rangeHash = memoRangeHasher(leaves);
  return SPECS.map((s, i) => ({
    role: s.role,
    label: s.label,
    leafHash: hexlify(leaves[i]!),
    originalBase64: Buffer.from(s.original).toString("base64"),
    bundle: buildBundle({
      record: records[i]!,
      // the fixture's log, where member 2 signs its submissions
      log: { logId: keccak256(toUtf8Bytes("jointledger.log.union.1")), operatorMember: 1, leafIndex: i },
      head: { treeSize: head.treeSize, rootHash: toHex(head.rootHash), headIndex: 0 },
      inclusionProof: inclusionProof(i, head.treeSize, rangeHash),
      anchor: {
        chainId: 20251n,
        evidenceLog: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        evidenceRegistry: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
        consortiumRegistry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
        transactionHash: sha256Hex("tx"),
        blockNumber: 10,
        blockHash: sha256Hex("block"),
        blockTimestamp: 1_767_225_600,
      },
      status: { state: "Unknown", legalHold: false, replacement: null, endorsements: [], checkedAtBlock: 12 },
      submission: signedSubmission([leaves[i]!], 0),
      generatedAt: new Date(1_767_225_700_000),
    }),
  }));
}

/** The package's items by label; `facts`: what the ledger holds of the loan; `pkg`: a package of the labelled items. */
export const all = anchoredItems();
export const byLabel = (label: string) => all.find((i) => i.label === label)!;
export const originalOf = (label: string) => SPECS.find((s) => s.label === label)!.original;
export const digestOf = (label: string) => sha256Hex(originalOf(label));
export const facts: ChainFacts = {
  loanId: LOAN,
  borrowerKey: BORROWER,
  branch: 2,
  contractLeaf: byLabel("loan contract").leafHash,
  consentLeaf: byLabel("consent").leafHash,
  // the ledger holds a voucher as its document's digest
  vouchers: ["DSB-1", "REP-1"].map((serial) => ({ serial, digest: digestOf(serial) })),
  evidenceChain: extendEvidenceChain(
    extendEvidenceChain(
      evidenceChainStart(byLabel("loan contract").leafHash, byLabel("consent").leafHash),
      digestOf("DSB-1"),
    ),
    digestOf("REP-1"),
  ),
};
export const pkg = (labels: string[], edit: (i: PackageItem) => PackageItem = (i) => i): EvidencePackage => ({
  loanId: LOAN,
  owner: 2,
  items: labels.map((l) => edit(byLabel(l))),
  application: APPLICATION,
});
export const complete = ["loan contract", "consent", "DSB-1", "REP-1", "reminder", "query", "decision"];
/** The complete package of a loan re-queried once by the nightly batch: the branch's log and the union's. */
export const completeWithRequery = [...complete, "post-loan query", "union log of the post-loan query"];
