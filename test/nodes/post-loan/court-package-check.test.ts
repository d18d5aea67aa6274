// The court's check of a loan's evidence package, on bundles built in memory over one log head:
// the complete package verifies and reproduces the loan's evidence chain; a withheld voucher, an
// altered original, an item of another loan and a voucher the chain never saw are each named; so are
// a withheld decision record or credit-query log, an application the loan id does not derive from,
// a decision of another application and a query log no decision was made on.
import { expect } from "chai";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import { toHex } from "../../../common/bytes.ts";
import { buildBundle } from "../../../common/formats/bundle/bundle.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  leafHashOf,
  type EvidenceRecord,
} from "../../../common/formats/leaf/leaf.ts";
import {
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../common/formats/merkle/rfc9162.ts";
import { evidenceChainStart, extendEvidenceChain, loanIdOf } from "../../../common/lending/ids.ts";
import {
  checkPackage,
  type ChainFacts,
  type EvidencePackage,
  type EvidenceRole,
  type PackageItem,
} from "../../../nodes/src/court-package/check.ts";
import { caseArchive } from "../../../nodes/src/court-package/archive.ts";
import { sha256Hex, signedSubmission } from "../../support/bundle.fixture.ts";

/** The entries of a stored ZIP, read from its local headers. */
function unzipStored(zip: Uint8Array): Map<string, Buffer> {
  const b = Buffer.from(zip);
  const out = new Map<string, Buffer>();
  for (let at = 0; b.readUInt32LE(at) === 0x04034b50;) {
    const size = b.readUInt32LE(at + 18);
    const nameLength = b.readUInt16LE(at + 26);
    const name = b.subarray(at + 30, at + 30 + nameLength).toString("utf8");
    out.set(name, b.subarray(at + 30 + nameLength, at + 30 + nameLength + size));
    at += 30 + nameLength + size;
  }
  return out;
}

const APPLICATION = { applicationId: "PLT-APP-1", originator: 7, recordId: "app-record-1" };
const LOAN = loanIdOf(APPLICATION.originator, keccak256(toUtf8Bytes(APPLICATION.applicationId)));
const OTHER_LOAN = sha256Hex("another loan");
const BORROWER = sha256Hex("borrower key");

type Spec = { role: EvidenceRole; label: string; original: string; kind: number; subject: string };

const QUERY_LOG =
  '{"purpose":"LOAN_APPROVAL","reportDigest":"0x01","when":"2026-01-01T00:00:00.000Z","who":"u1"}';
const LATER_QUERY_LOG = QUERY_LOG.replace("u1", "u2");
/** The leaf of a spec, known before the items are built: a decision names its query's leaf. */
const leafOfSpec = (label: string, original: string, kind: number, subject: string) =>
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
const QUERY_LEAF = leafOfSpec("query", QUERY_LOG, EvidenceKind.CreditQuery, BORROWER);
const CONSENT_LEAF = leafOfSpec("consent", "授权书 PDF", EvidenceKind.Consent, BORROWER);
const decisionDocument = (recordId: string, consentLeafHash = CONSENT_LEAF) =>
  JSON.stringify({
    applicationId: recordId,
    consentLeafHash,
    outcome: "approve",
    queryLeafHash: QUERY_LEAF,
  });

const SPECS: Spec[] = [
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
function anchoredItems(): PackageItem[] {
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
  const root = toHex(rootFromLeafHashes(leaves));
  return SPECS.map((s, i) => ({
    role: s.role,
    label: s.label,
    leafHash: hexlify(leaves[i]!),
    originalBase64: Buffer.from(s.original).toString("base64"),
    bundle: buildBundle({
      record: records[i]!,
      // the fixture's log, where member 2 signs its submissions
      log: { logId: keccak256(toUtf8Bytes("jointledger.log.union.1")), operatorMember: 1, leafIndex: i },
      head: { treeSize: leaves.length, rootHash: root, headIndex: 0 },
      inclusionProof: inclusionProof(i, leaves.length, memoRangeHasher(leaves)),
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

describe("court package: each item against its bundle, together against the loan's evidence chain", function () {
  const all = anchoredItems();
  const byLabel = (label: string) => all.find((i) => i.label === label)!;
  const digestOf = (label: string) => sha256Hex(SPECS.find((s) => s.label === label)!.original);
  const facts: ChainFacts = {
    loanId: LOAN,
    borrowerKey: BORROWER,
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
  const pkg = (labels: string[], edit: (i: PackageItem) => PackageItem = (i) => i): EvidencePackage => ({
    loanId: LOAN,
    owner: 2,
    items: labels.map((l) => edit(byLabel(l))),
    application: APPLICATION,
  });
  const complete = ["loan contract", "consent", "DSB-1", "REP-1", "reminder", "query", "decision"];

  it("the fixture's consent leaf is the one its decision names", function () {
    expect(byLabel("consent").leafHash).to.equal(CONSENT_LEAF);
    expect(byLabel("query").leafHash).to.equal(QUERY_LEAF);
  });

  it("the complete package verifies and reproduces the evidence chain on chain", async function () {
    const check = await checkPackage(pkg(complete), facts);
    expect(check.items.map((i) => i.outcome)).to.deep.equal(Array(complete.length).fill("verified"));
    expect(check.application).to.include({ recordId: APPLICATION.recordId, matches: true });
    expect(check.missing).to.deep.equal([]);
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.ok).to.equal(true);
  });

  it("a withheld voucher is named as missing and the chain is not reproduced", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "REP-1")), facts);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([{ role: "voucher", label: "REP-1", chainValue: digestOf("REP-1") }]);
    expect(check.evidenceChain).to.include({ reproduced: null, matches: false });
  });

  it("an altered original is named as altered (and so missing from the chain)", async function () {
    const check = await checkPackage(
      pkg(complete, (i) =>
        i.label === "DSB-1"
          ? { ...i, originalBase64: Buffer.from("disbursement voucher, edited").toString("base64") }
          : i,
      ),
      facts,
    );
    expect(check.items.find((i) => i.label === "DSB-1")!.outcome).to.equal("altered");
    expect(check.missing.map((m) => m.label)).to.deep.equal(["DSB-1"]);
    expect(check.ok).to.equal(false);
  });

  it("an altered notice fails the package though the chain is reproduced", async function () {
    const check = await checkPackage(
      pkg(complete, (i) =>
        i.label === "reminder" ? { ...i, originalBase64: Buffer.from("{}").toString("base64") } : i,
      ),
      facts,
    );
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.items.find((i) => i.label === "reminder")!.outcome).to.equal("altered");
    expect(check.ok).to.equal(false);
  });

  it("an item of another loan and a voucher the chain never recorded are each named", async function () {
    const check = await checkPackage(pkg([...complete, "REP-9", "REP-X"]), facts);
    expect(check.items.find((i) => i.label === "REP-9")!.outcome).to.equal("wrong-loan");
    expect(check.items.find((i) => i.label === "REP-X")!.outcome).to.equal("unexpected");
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.ok).to.equal(false);
  });

  it("a bundle for another leaf, or no bundle, is a bad bundle", async function () {
    const check = await checkPackage(
      pkg(complete, (i) =>
        i.label === "consent"
          ? { ...i, bundle: byLabel("DSB-1").bundle }
          : i.label === "REP-1"
            ? { ...i, bundle: {} }
            : i,
      ),
      facts,
    );
    expect(check.items.find((i) => i.label === "consent")!.outcome).to.equal("bad-bundle");
    expect(check.items.find((i) => i.label === "REP-1")!.outcome).to.equal("bad-bundle");
    expect(check.missing.map((m) => m.label)).to.deep.equal(["credit-query consent", "REP-1"]);
  });

  it("a withheld decision record is named, and so is the query it was made on", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "decision")), facts);
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([
      {
        role: "decision",
        label: `the credit decision approving application ${APPLICATION.recordId}`,
        chainValue: CONSENT_LEAF,
      },
    ]);
    // with no decision naming it, the query log is one the loan's records never read
    expect(check.items.find((i) => i.label === "query")!.outcome).to.equal("unexpected");
  });

  it("a withheld credit-query log is named by its leaf", async function () {
    const check = await checkPackage(pkg(complete.filter((l) => l !== "query")), facts);
    expect(check.ok).to.equal(false);
    expect(check.missing).to.deep.equal([
      { role: "credit-query", label: "the credit query a decision was made on", chainValue: QUERY_LEAF },
    ]);
  });

  it("an altered decision record is named as altered and the approving decision as missing", async function () {
    const check = await checkPackage(
      pkg(complete, (i) =>
        i.label === "decision"
          ? { ...i, originalBase64: Buffer.from(decisionDocument("app-record-9")).toString("base64") }
          : i,
      ),
      facts,
    );
    expect(check.items.find((i) => i.label === "decision")!.outcome).to.equal("altered");
    expect(check.missing.map((m) => m.role)).to.deep.equal(["decision"]);
    expect(check.ok).to.equal(false);
  });

  it("a decision of another application and a query no decision read are each named", async function () {
    const check = await checkPackage(
      pkg([...complete, "decision of another application", "query no decision read"]),
      facts,
    );
    expect(check.items.find((i) => i.label === "decision of another application")!.outcome).to.equal(
      "wrong-loan",
    );
    expect(check.items.find((i) => i.label === "query no decision read")!.outcome).to.equal("unexpected");
    expect(check.missing).to.deep.equal([]);
    expect(check.ok).to.equal(false);
  });

  it("an application the loan id is not derived from, or none, is named as missing", async function () {
    for (const application of [{ ...APPLICATION, originator: 8 }, undefined]) {
      const { application: _drop, ...rest } = pkg(complete);
      const check = await checkPackage(application === undefined ? rest : { ...rest, application }, facts);
      expect(check.ok).to.equal(false);
      expect(check.missing.map((m) => [m.role, m.chainValue])).to.deep.include(["application", LOAN]);
      // the decision cannot be tied to an application the loan does not come from
      expect(check.missing.map((m) => m.role)).to.include("decision");
    }
  });

  it("exports one case archive: originals, bundles, a manifest with every result, a bilingual certificate", async function () {
    const withheld = pkg(complete.filter((l) => l !== "REP-1"));
    const check = await checkPackage(withheld, facts);
    const { zip, manifest } = await caseArchive(withheld, check, new Date(1_767_225_600_000));
    expect(manifest.loanId).to.equal(LOAN);
    const files = unzipStored(zip);
    expect([...files.keys()].slice(0, 2)).to.deep.equal(["manifest.json", "certificate.pdf"]);
    const read = JSON.parse(files.get("manifest.json")!.toString("utf8")) as typeof manifest;
    expect(read.ok).to.equal(false);
    expect(read.missing.map((m) => m.label)).to.deep.equal(["REP-1"]);
    expect(read.items).to.have.length(complete.length - 1);
    for (const item of read.items) {
      expect(item.outcome).to.equal("verified");
      expect(sha256Hex(files.get(item.original)!)).to.equal(item.sha256);
      expect(JSON.parse(files.get(item.bundle)!.toString("utf8")).leaf.leafHash).to.equal(item.leafHash);
    }
    expect(files.get("certificate.pdf")!.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
  });
});
