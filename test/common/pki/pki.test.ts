// The demo CA and chain verification (common/pki): what it issues is labelled a demo, chains to
// its own root and to no other, and is refused outside its validity.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Certificate } from "pkijs";
import {
  DEMO_ORGANIZATION,
  DEMO_POLICY,
  createDemoCa,
  loadDemoCa,
  saveDemoCa,
} from "../../../common/pki/demo-ca.ts";
import { PkiError } from "../../../common/pki/errors.ts";
import {
  certificatesFromPem,
  loadTrustAnchors,
  policiesOf,
  subjectOf,
  trustAnchorsFromPem,
  verifyChain,
} from "../../../common/pki/trust-anchors.ts";

const pkijsOf = (pem: string): Certificate => certificatesFromPem(pem)[0]!;

async function refusedWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(PkiError);
    expect((e as PkiError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("common/pki: demo CA and chain verification", function () {
  this.timeout(30_000);

  it("issues a branch seal and a borrower certificate, both labelled a demo, chaining to the demo root", async () => {
    const ca = await createDemoCa();
    const seal = await ca.issueBranchSeal("Branch A, Demo County 农商行");
    const borrower = await ca.issueBorrowerCertificate("张三");
    const anchors = trustAnchorsFromPem([ca.certificatePem]);
    expect(anchors.subjects[0]).to.contain(DEMO_ORGANIZATION);
    for (const [issued, policy] of [
      [seal, DEMO_POLICY.branchSeal],
      [borrower, DEMO_POLICY.borrowerSignature],
    ] as const) {
      const leaf = pkijsOf(issued.certificatePem);
      expect(subjectOf(leaf)).to.contain("演示用").and.contain("Demo");
      expect(policiesOf(leaf)).to.deep.equal([policy]);
      const path = await verifyChain(leaf, [], anchors, new Date());
      expect(path.length).to.equal(2);
    }
    expect(subjectOf(pkijsOf(seal.certificatePem))).to.contain("Branch A\\, Demo County 农商行");
    expect(subjectOf(pkijsOf(borrower.certificatePem))).to.contain("张三");
  });

  it("refuses a certificate from another CA as untrusted", async () => {
    const trusted = await createDemoCa();
    const other = await createDemoCa({ name: "Impostor Root CA 演示用" });
    const leaf = pkijsOf((await other.issueBorrowerCertificate("张三")).certificatePem);
    await refusedWith(
      verifyChain(leaf, [], trustAnchorsFromPem([trusted.certificatePem]), new Date()),
      "PKI_UNTRUSTED_CHAIN",
    );
  });

  it("refuses a certificate at a time outside its validity", async () => {
    const ca = await createDemoCa();
    const leaf = pkijsOf((await ca.issueBorrowerCertificate("张三")).certificatePem);
    const anchors = trustAnchorsFromPem([ca.certificatePem]);
    await refusedWith(
      verifyChain(leaf, [], anchors, new Date(leaf.notAfter.value.getTime() + 1000)),
      "PKI_NOT_VALID_AT",
    );
    await refusedWith(
      verifyChain(leaf, [], anchors, new Date(leaf.notBefore.value.getTime() - 1000)),
      "PKI_NOT_VALID_AT",
    );
  });

  it("refuses PEM that is not a certificate and an empty set of anchors", () => {
    expect(() => trustAnchorsFromPem(["not a pem"]))
      .to.throw(PkiError)
      .with.property("code", "PKI_BAD_PEM");
    expect(() => trustAnchorsFromPem([]))
      .to.throw(PkiError)
      .with.property("code", "PKI_NO_TRUST_ANCHORS");
  });

  it("keeps the demo root in a folder (key mode 0600) and issues under the same root after loading it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jl-demo-ca-"));
    try {
      const ca = await createDemoCa();
      const certPath = await saveDemoCa(ca, dir);
      expect((await stat(join(dir, "demo-root-ca.key"))).mode & 0o777).to.equal(0o600);
      const loaded = await loadDemoCa(dir);
      expect(loaded.certificatePem).to.equal(ca.certificatePem);
      const leaf = pkijsOf((await loaded.issueBranchSeal("Branch B")).certificatePem);
      expect(await verifyChain(leaf, [], await loadTrustAnchors([certPath]), new Date())).to.have.length(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
