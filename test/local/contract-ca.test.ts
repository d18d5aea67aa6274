// The local consortium's demo seals and contract parties carry each member's legal Chinese name and
// unified social credit code from the founders' directory, the demo marking beside the name (the
// demo CA's subject), not mangled into it; a data directory whose seals were issued to an older name
// has them issued again.
import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x509 } from "../../common/pki/x509.ts";
import {
  CONTRACT_PARTIES,
  demoContractCa,
  ensureContractCa,
  pkiDir,
} from "../../scripts/ops/local/contract-ca.ts";

const subjectCn = async (file: string) =>
  new x509.X509Certificate(await readFile(file, "utf8")).subjectName.getField("CN")[0];

describe("local contract CA: seals and contract parties by legal name", function () {
  this.timeout(60_000);
  const made: string[] = [];
  /** A data directory of the test's own, removed afterwards. */
  const freshDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "contract-ca-"));
    made.push(dir);
    return dir;
  };
  after(async function () {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it("issues each seal to the member's legal Chinese name; the contracts print that name and its credit code", async function () {
    const dataDir = await freshDataDir();
    const { env, nodeEnv } = await ensureContractCa(dataDir);
    expect(await subjectCn(join(pkiDir(dataDir), "branchA-seal.pem"))).to.equal(
      "杭州上城农村商业银行股份有限公司 电子签章 (Demo)",
    );
    expect(await subjectCn(nodeEnv.court!.NODE_SEAL_CERTIFICATE_FILE!)).to.equal(
      "杭州互联网法院 核验专用章 (Demo)",
    );
    expect(JSON.parse(env.NODE_CONTRACT_PARTIES!)).to.deep.include({
      "2": { name: "杭州上城农村商业银行股份有限公司", identifier: "91330102MA0000002F" },
      "5": { name: "杭州互联网法院", identifier: "11330100MB00000056" },
    });
    expect(JSON.parse(env.NODE_CONTRACT_DISPUTE!)).to.deep.equal({ kind: "court", body: "杭州互联网法院" });
    for (const party of Object.values(CONTRACT_PARTIES))
      expect(party.name, "no demo or English text in a legal name").to.not.match(/演示|Demo|[A-Za-z]/);
  });

  it("a seal kept from an older name is issued again; one issued to the legal name is kept", async function () {
    const dataDir = await freshDataDir();
    await ensureContractCa(dataDir);
    const file = join(pkiDir(dataDir), "branchA-seal.pem");
    const kept = await readFile(join(pkiDir(dataDir), "branchB-seal.pem"), "utf8");
    // as an older start left it: issued to the name with the demo marking mangled in
    const { ca } = await demoContractCa(dataDir);
    const old = await ca.issueBranchSeal("上城农村商业银行（演示 Shangcheng Rural Bank）");
    await writeFile(file, old.certificatePem);
    await ensureContractCa(dataDir);
    expect(await subjectCn(file)).to.equal("杭州上城农村商业银行股份有限公司 电子签章 (Demo)");
    expect(await readFile(join(pkiDir(dataDir), "branchB-seal.pem"), "utf8")).to.equal(kept);
  });
});
