// The verifying node's report: each check's indication and sub-indication, and the overall
// indication, as the EU DSS simple and detailed reports state them.
import { expect } from "chai";
import type { CourtVerification } from "../../../common/formats/bundle/court-verification.ts";
import { CHECK_IDS, type CheckResult } from "../../../common/formats/bundle/verify.ts";
import { reportCheck, reportIdOf, simpleReport } from "../../../nodes/src/court-page/report.ts";

const passing = (): CheckResult[] => CHECK_IDS.map((id) => ({ id, outcome: "pass", reason: "ok" }));
const verification = (checks: CheckResult[], overall: CourtVerification["overall"]): CourtVerification => ({
  overall,
  checks,
  trustAnchor: { name: "t", chainId: "1", genesisHash: "0x", consortiumRegistry: "0x", fingerprint: "f" },
});

describe("court-page/report: indications and sub-indications", function () {
  it("names each failure by what failed, an unreachable chain TRY_LATER, a missing document SIGNED_DATA_NOT_FOUND", function () {
    expect(reportCheck({ id: "digest", outcome: "fail", reason: "differs" })).to.deep.equal({
      id: "digest",
      indication: "FAILED",
      subIndication: "HASH_FAILURE",
      reason: "differs",
    });
    expect(reportCheck({ id: "lifecycle", outcome: "fail", reason: "revoked" }).subIndication).to.equal(
      "REVOKED",
    );
    expect(reportCheck({ id: "trustedTime", outcome: "fail", reason: "ahead" }).subIndication).to.equal(
      "TIMESTAMP_ORDER_FAILURE",
    );
    expect(
      reportCheck({ id: "headOnChain", outcome: "indeterminate", reason: "the chain could not be asked (x)" })
        .subIndication,
    ).to.equal("TRY_LATER");
    expect(
      reportCheck({ id: "digest", outcome: "indeterminate", reason: "no document" }).subIndication,
    ).to.equal("SIGNED_DATA_NOT_FOUND");
    expect(reportCheck({ id: "merklePath", outcome: "pass", reason: "ok" })).to.not.have.property(
      "subIndication",
    );
  });

  it("TOTAL_PASSED only with the document and every check; a failure anywhere, the witnesses' included, is TOTAL_FAILED", function () {
    expect(simpleReport(verification(passing(), "pass"), null, true)).to.deep.equal({
      indication: "TOTAL_PASSED",
    });
    expect(simpleReport(verification(passing(), "pass"), null, false)).to.deep.equal({
      indication: "INDETERMINATE",
      subIndication: "SIGNED_DATA_NOT_FOUND",
    });
    const witnessesFailed = reportCheck({ id: "witnesses", outcome: "fail", reason: "quorum not met" });
    expect(simpleReport(verification(passing(), "pass"), witnessesFailed, true)).to.deep.equal({
      indication: "TOTAL_FAILED",
      subIndication: "WITNESS_QUORUM_FAILURE",
    });
    const revoked = passing().map((c) => (c.id === "lifecycle" ? { ...c, outcome: "fail" as const } : c));
    expect(simpleReport(verification(revoked, "fail"), null, true)).to.deep.equal({
      indication: "TOTAL_FAILED",
      subIndication: "REVOKED",
    });
    const notFinal = passing().map((c) =>
      c.id === "finality" ? { ...c, outcome: "indeterminate" as const } : c,
    );
    expect(simpleReport(verification(notFinal, "pass"), null, true).indication).to.equal("INDETERMINATE");
  });

  it("a report id names one verification: JLR-<Beijing date>-<10 hex>", function () {
    const at = new Date("2026-03-01T17:00:00Z");
    const id = reportIdOf({ leafHash: "0xab", digest: null, at, checks: [], node: "http://n" });
    expect(id).to.match(/^JLR-20260302-[0-9A-F]{10}$/);
    expect(reportIdOf({ leafHash: "0xac", digest: null, at, checks: [], node: "http://n" })).to.not.equal(id);
  });
});
