// The court's node checks a loan's package against its own chain endpoint (a real Anvil chain,
// a live anchor service): the loan's facts read from the ledger from the deployment block on, in
// bounded windows, and every item's bundle verified with every chain check (head on chain, block
// and time, submitter, lifecycle) — nothing left "not decided here". A withheld voucher is named
// by the chain's value for it, an altered notice named altered; a second endpoint that answers
// otherwise is a named disagreement, not a pass — on the node too, where every endpoint the court
// page is configured with is asked at one block (NODE_ERR_CHAIN_DISAGREEMENT); and a receipt SM2-signed under a key the governed
// member directory does not name fails blockAndTime with the reason, in the package check and on
// the node's signed certificate.
import { expect } from "chai";
import { FetchRequest, JsonRpcProvider } from "ethers";
import { MemoryLevel } from "memory-level";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { createDemoCa } from "../../../common/pki/demo-ca.ts";
import {
  ChainDisagreementError,
  readAgreedChainFacts,
  readChainFacts,
} from "../../../nodes/src/court-package/chain-facts.ts";
import { checkPackage, type EvidencePackage } from "../../../nodes/src/court-package/check.ts";
import { SM2_NOT_GOVERNED_TEXT } from "../../../nodes/src/court-page/certificate.ts";
import { NOT_GOVERNED_CODE } from "../../../nodes/src/court-page/governed-receipt.ts";
import { VerificationReports, type StoredReport } from "../../../nodes/src/court-page/reports.ts";
import { openCourtPage, packageChainOf } from "../../../nodes/src/court-page/wiring.ts";
import type { NodeConfig } from "../../../nodes/src/config.ts";
import { NODE_ERRORS, NodeError } from "../../../nodes/src/errors.ts";
import { rejectedBy } from "../../support/expect-error.ts";
import {
  DISBURSEMENT_SERIAL,
  LOAN,
  governOtherReceiptKey,
  hidingVouchers,
  lyingEndpoint,
  startCasePackageChain,
  type CasePackageChain,
} from "./court-package-chain.ts";

/** Every page's text of `pdf`, as pdfjs-dist reads it, in one string. */
async function pdfText(pdf: Uint8Array): Promise<string> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false });
  const doc = await task.promise;
  let text = "";
  for (let page = 1; page <= doc.numPages; page++)
    for (const item of (await (await doc.getPage(page)).getTextContent()).items)
      if ("str" in item) text += item.str;
  await task.destroy();
  return text;
}

describe("court package checked against the court's chain endpoints", function () {
  this.timeout(180_000);
  let fixture: CasePackageChain;
  let liar: Awaited<ReturnType<typeof hidingVouchers>> | undefined;

  before(async function () {
    fixture = await startCasePackageChain();
  });
  after(async function () {
    await liar?.close();
    await fixture?.stop();
  });

  /** The node's reports room over the chain, with the member directory `directory` (the governed one by default). */
  function reports(directory: Uint8Array = fixture.directory, seal?: StoredSeal) {
    return new VerificationReports({
      store: new MemoryLevel<string, StoredReport>({ valueEncoding: "json" }).sublevel<string, StoredReport>(
        "verificationReports",
        { valueEncoding: "json" },
      ),
      memberId: 4,
      chain: { provider: fixture.lc.chain.anvil.provider, endpointName: fixture.lc.chain.anvil.url },
      trust: {
        anchor: () => Promise.resolve(fixture.trustAnchor),
        tsa: null,
        witnessPolicy: undefined,
        memberDirectory: directory,
      },
      seal,
      publicUrl: () => "http://court.test",
    });
  }
  type StoredSeal = ConstructorParameters<typeof VerificationReports>[0]["seal"];

  const nodeCheck = (pkg: EvidencePackage, directory?: Uint8Array) => {
    const { anvil } = fixture.lc.chain;
    const chain = packageChainOf(
      reports(directory),
      [{ provider: anvil.provider, name: anvil.url }],
      fixture.ledgerAddress,
      fixture.deployBlock,
    );
    return chain.facts(LOAN).then((facts) => checkPackage(pkg, facts, chain.verify));
  };

  it("reads the loan's facts from the deployment block on, in bounded windows: the same facts as one scan from block 0", async function () {
    const { provider } = fixture.lc.chain.anvil;
    const whole = await readChainFacts(provider, fixture.ledgerAddress, LOAN);
    const paged = await readChainFacts(provider, fixture.ledgerAddress, LOAN, {
      fromBlock: fixture.deployBlock,
      window: 3,
    });
    expect(paged).to.deep.equal(whole);
    expect(paged.vouchers.map((v) => v.serial)).to.deep.equal([DISBURSEMENT_SERIAL]);
  });

  it("reads the loan's state at its block before the log scan: a node keeping only its latest state answers while blocks come", async function () {
    const target = fixture.lc.chain.anvil.provider;
    // every log request sees a new block mined first; a call at any block but the head fails, as
    // on a node whose few kept states the scan outlasts
    const busyPruned = (t: JsonRpcProvider) =>
      new Proxy(t, {
        get(base, prop) {
          if (prop === "getLogs")
            return async (filter: Parameters<JsonRpcProvider["getLogs"]>[0]) => {
              await base.send("evm_mine", []);
              return base.getLogs(filter);
            };
          if (prop === "call")
            return async (tx: Parameters<JsonRpcProvider["call"]>[0]) => {
              if (typeof tx.blockTag === "number" && tx.blockTag !== (await base.getBlockNumber()))
                throw new Error("missing trie node");
              return base.call(tx);
            };
          const value = Reflect.get(base, prop, base) as unknown;
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(base) : value;
        },
      });
    const range = { fromBlock: fixture.deployBlock, window: 2 };
    const expected = await readChainFacts(target, fixture.ledgerAddress, LOAN, range);
    expect(await readChainFacts(busyPruned(target), fixture.ledgerAddress, LOAN, range)).to.deep.equal(
      expected,
    );
    const endpoints = [
      { provider: busyPruned(target), name: "chosen" },
      { provider: busyPruned(target), name: "other" },
    ];
    expect(await readAgreedChainFacts(endpoints, fixture.ledgerAddress, LOAN, range)).to.deep.equal(expected);
  });

  it("the genuine package: every item verified with every chain check decided by the chain, the evidence chain reproduced", async function () {
    const check = await nodeCheck(fixture.pkg);
    expect(check.verdict, JSON.stringify(check)).to.equal("verified");
    expect(check.evidenceChain.matches).to.equal(true);
    for (const item of check.items) {
      // offline these were "not decided here"
      expect(item.passed, item.label).to.include.members([
        "headOnChain",
        "blockAndTime",
        "submitterMembership",
        "lifecycle",
      ]);
      // only the TSA's time is left undecided: this court trusts no TSA root here
      expect(item.undetermined, item.label).to.deep.equal(["trustedTime"]);
    }
  });

  it("a node that withholds the voucher is named: the chain's voucher digest is missing, not verified", async function () {
    const withheld = { ...fixture.pkg, items: fixture.pkg.items.filter((i) => i.role !== "voucher") };
    const check = await nodeCheck(withheld);
    expect(check.verdict).to.equal("not-verified");
    expect(check.missing.map((m) => [m.role, m.label])).to.deep.equal([["voucher", DISBURSEMENT_SERIAL]]);
    expect(check.evidenceChain.reproduced).to.equal(null);
  });

  it("a node that alters a notice is named: the item altered against its anchored digest, the rest verified", async function () {
    const altered = {
      ...fixture.pkg,
      items: fixture.pkg.items.map((i) =>
        i.role === "notice"
          ? {
              ...i,
              originalBase64: Buffer.from(
                '{"noticeId":"reminder-1","templateId":"overdue-reminder","channel":"app","status":"delivered"}',
              ).toString("base64"),
            }
          : i,
      ),
    };
    const check = await nodeCheck(altered);
    expect(check.verdict).to.equal("not-verified");
    const outcomes = new Map(check.items.map((i) => [i.role, i.outcome]));
    expect(outcomes.get("notice")).to.equal("altered");
    expect(outcomes.get("contract")).to.equal("verified");
  });

  it("a second endpoint that answers otherwise is a named disagreement, never a pass", async function () {
    const { anvil } = fixture.lc.chain;
    liar = await hidingVouchers(anvil.url);
    const liarProvider = new JsonRpcProvider(new FetchRequest(liar.url), undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
    });
    const endpoints = [
      { provider: anvil.provider, name: anvil.url },
      { provider: liarProvider, name: liar.url },
    ];
    try {
      const agreed = await readAgreedChainFacts(endpoints.slice(0, 1), fixture.ledgerAddress, LOAN, {
        fromBlock: fixture.deployBlock,
      });
      expect(agreed.vouchers).to.have.length(1);
      const error = await readAgreedChainFacts(endpoints, fixture.ledgerAddress, LOAN, {
        fromBlock: fixture.deployBlock,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ChainDisagreementError);
      const disagreement = error as ChainDisagreementError;
      expect(disagreement.field).to.equal("vouchers");
      expect(disagreement.endpoints).to.deep.equal(endpoints.map((e) => e.name));
    } finally {
      liarProvider.destroy();
    }
  });

  it("the node's package check asks every configured endpoint at one block: one that answers otherwise is NODE_ERR_CHAIN_DISAGREEMENT in both languages, one that agrees passes", async function () {
    const { anvil } = fixture.lc.chain;
    const honest = await lyingEndpoint(anvil.url, (_method, result) => result);
    const hiding = await hidingVouchers(anvil.url);
    /** The court's node's package chain as openCourtPage wires it, with NODE_COURT_PAGE_RPC_URLS `urls`. */
    const nodeChain = async (urls: string[] | undefined) => {
      const config = {
        memberId: 5,
        host: "127.0.0.1",
        port: 9605,
        rpcUrl: anvil.url,
        courtPageRpcUrls: urls,
        consortiumRegistry: fixture.lc.deployment.addresses.consortiumRegistry,
        jointLoanLedger: fixture.ledgerAddress,
        deployBlock: fixture.deployBlock,
        tsaTrustAnchorFiles: [],
        testChainIds: [31337],
      } as Partial<NodeConfig> as NodeConfig;
      const store = new MemoryLevel<string, StoredReport>({ valueEncoding: "json" });
      return (await openCourtPage(config, anvil.provider, { sublevel: () => store as never })).packageChain;
    };
    try {
      // one endpoint, or a second that agrees: the facts are the chain's
      const alone = await readChainFacts(anvil.provider, fixture.ledgerAddress, LOAN);
      expect(await (await nodeChain(undefined)).facts(LOAN)).to.deep.equal(alone);
      expect(await (await nodeChain([anvil.url, honest.url])).facts(LOAN)).to.deep.equal(alone);
      // the second endpoint was asked at the block the first answered at
      const head = await anvil.provider.getBlockNumber();
      const blockTags = honest.calls
        .filter((c) => c.method === "eth_call")
        .map((c) => (c.params as unknown[])[1]);
      expect(blockTags.length).to.be.greaterThan(0);
      expect(blockTags.every((tag) => Number(tag) === head)).to.equal(true);

      // a second endpoint hiding the voucher: named, never a pass (and the package is not checked)
      const chain = await nodeChain([anvil.url, hiding.url]);
      const error = await rejectedBy(chain.facts(LOAN), NodeError, "hiding endpoint");
      expect(error.code).to.equal("NODE_ERR_CHAIN_DISAGREEMENT");
      expect(NODE_ERRORS[error.code]).to.equal(502);
      expect(error.details).to.deep.equal({ endpoints: [anvil.url, hiding.url], field: "vouchers" });
      expect(error.message)
        .to.contain("链节点答复不一致")
        .and.contain("the chain endpoints disagree")
        .and.contain(`${anvil.url} and ${hiding.url}`);
    } finally {
      await honest.close();
      await hiding.close();
    }
  });

  it("a receipt SM2-signed under a key the governed directory does not name fails blockAndTime, in the check and on the certificate", async function () {
    const other = await governOtherReceiptKey(fixture);
    const check = await nodeCheck(fixture.pkg, other);
    expect(check.verdict).to.equal("verified-with-exceptions");
    for (const item of check.items) {
      expect(item.outcome, item.label).to.equal("original-verified");
      const failed = item.failed.find((f) => f.id === "blockAndTime");
      expect(failed?.reason, item.label).to.include(NOT_GOVERNED_CODE);
    }
    // the old directory is no longer the governed one: the key is not judged, and no pass is claimed for it
    const stale = await nodeCheck(fixture.pkg);
    expect(stale.items[0]!.undetermined).to.include("blockAndTime");

    const issued = await (await createDemoCa()).issueVerificationSeal("示例互联网法院（演示）");
    const sealed = reports(other, { certificatePem: issued.certificatePem, privateKey: issued.privateKey });
    const { report, pdf } = await sealed.create(fixture.pkg.items[0]!.bundle, null);
    const blockAndTime = report.detailedReport.checks.find((c) => c.id === "blockAndTime")!;
    expect(blockAndTime.indication).to.equal("FAILED");
    expect(blockAndTime.reason).to.include(NOT_GOVERNED_CODE);
    expect(report.simpleReport.indication).to.equal("TOTAL_FAILED");
    // the certificate says it in both languages
    const text = (await pdfText(Buffer.from(pdf, "base64"))).replace(/\s+/g, "");
    expect(text).to.include(SM2_NOT_GOVERNED_TEXT.replace(/\s+/g, "").slice(0, 20));
  });
});
