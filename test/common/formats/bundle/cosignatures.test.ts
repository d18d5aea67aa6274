// Each signature on a bundle's witnessed checkpoint as the court page and the signed certificate
// list it: verified under the court's policy, invalid (the policy's key, a signature that does not
// hold), unknown to the policy, or unchecked without one; the quorum stated.
import { expect } from "chai";
import { witnessReport } from "../../../../common/formats/bundle/cosignatures.ts";
import { cosigner } from "../../../../common/formats/checkpoint/cosignature.ts";
import { parseNote, formatNote } from "../../../../common/formats/checkpoint/note.ts";
import { kOfNPolicy, parsePolicy } from "../../../../common/formats/checkpoint/policy.ts";
import { sampleBundle } from "../../../support/bundle.fixture.ts";
import { SAMPLE_LOG, SAMPLE_WITNESSES, witnessedSampleBundle } from "../../../support/witnesses.ts";

const policyOf = (union = SAMPLE_WITNESSES.union.vkey) =>
  parsePolicy(
    kOfNPolicy(
      SAMPLE_LOG.vkey,
      [
        { name: "court", vkey: SAMPLE_WITNESSES.court.vkey },
        { name: "union", vkey: union },
      ],
      2,
    ),
  );
const rows = (report: ReturnType<typeof witnessReport>) =>
  report.signatures.map((s) => [s.policyName ?? s.name, s.role, s.status]);

describe("bundle cosignatures: the witness table of the page and the certificate", function () {
  it("lists the log's signature and each cosignature with its key id and time, verified under the court's policy", function () {
    const report = witnessReport(witnessedSampleBundle(), policyOf());
    expect(rows(report)).to.deep.equal([
      ["jointledger.test/log", "log", "verified"],
      ["court", "witness", "verified"],
      ["union", "witness", "verified"],
    ]);
    expect(report.signatures[1]).to.deep.include({
      keyId: SAMPLE_WITNESSES.court.keyId.toString(16).padStart(8, "0"),
      timestamp: 1_800_000_000,
    });
    expect(report.check.outcome).to.equal("pass");
    expect(report.quorum).to.deep.equal({ threshold: 2, of: ["court", "union"] });
    expect(report.checkpoint).to.deep.equal({
      origin: "jointledger.test/log",
      treeSize: sampleBundle().head.treeSize,
    });
  });

  it("a key the policy does not know is unknown; a signature under the policy's key that does not hold is invalid; the quorum fails", function () {
    const other = cosigner("union.test/witness", new Uint8Array(32).fill(9)).vkey;
    const unknown = witnessReport(witnessedSampleBundle(), policyOf(other));
    expect(rows(unknown)[2]).to.deep.equal(["union.test/witness", "witness", "unknown"]);
    expect(unknown.check.outcome).to.equal("fail");

    // the union's cosignature with one byte of its signature changed
    const bundle = witnessedSampleBundle();
    const note = parseNote(bundle.witnessed!.checkpoint);
    const union = note.signatures[2]!;
    const signature = Uint8Array.from(union.signature);
    signature[signature.length - 1]! ^= 1;
    note.signatures[2] = { ...union, signature };
    const tampered = { ...bundle, witnessed: { ...bundle.witnessed!, checkpoint: formatNote(note) } };
    const invalid = witnessReport(tampered, policyOf());
    expect(rows(invalid)[2]).to.deep.equal(["union", "witness", "invalid"]);
    expect(invalid.check.outcome).to.equal("fail");
  });

  it("without a policy every signature is shown unchecked and nothing is decided; without a checkpoint nothing is listed", function () {
    const report = witnessReport(witnessedSampleBundle(), undefined);
    expect(report.signatures.map((s) => s.status)).to.deep.equal(["unchecked", "unchecked", "unchecked"]);
    expect(report.quorum).to.equal(null);
    expect(report.check.outcome).to.equal("indeterminate");
    const plain = witnessReport(sampleBundle(), policyOf());
    expect(plain).to.deep.include({ checkpoint: null, signatures: [] });
    expect(plain.check.outcome).to.equal("indeterminate");
  });
});
