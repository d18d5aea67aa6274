// The court's check of a loan's evidence package, on bundles built in memory over one log head:
// the complete package verifies and reproduces the loan's evidence chain; a withheld voucher, an
// altered original, an item of another loan and a voucher the chain never saw are each named.
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
import { evidenceChainStart, extendEvidenceChain } from "../../../common/lending/ids.ts";
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

const LOAN = sha256Hex("loan under arbitration");
const OTHER_LOAN = sha256Hex("another loan");
const BORROWER = sha256Hex("borrower key");

type Spec = { role: EvidenceRole; label: string; original: string; kind: number; subject: string };

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
  });
  const complete = ["loan contract", "consent", "DSB-1", "REP-1", "reminder"];

  it("the complete package verifies and reproduces the evidence chain on chain", async function () {
    const check = await checkPackage(pkg(complete), facts);
    expect(check.items.map((i) => i.outcome)).to.deep.equal(Array(5).fill("verified"));
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
    expect(read.items).to.have.length(4);
    for (const item of read.items) {
      expect(item.outcome).to.equal("verified");
      expect(sha256Hex(files.get(item.original)!)).to.equal(item.sha256);
      expect(JSON.parse(files.get(item.bundle)!.toString("utf8")).leaf.leafHash).to.equal(item.leafHash);
    }
    expect(files.get("certificate.pdf")!.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
  });
});
