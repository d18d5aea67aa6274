// scripts/cli/verify.ts --tsa-trust: the bundle's RFC 3161 tokens checked offline against the TSA
// roots given. A bundle whose block time is seven weeks ahead of its TSA's time (the chain's clock
// moved) fails with the reason; a genuine one passes trustedTime; without --tsa-trust trustedTime
// is indeterminate, and with it a pass needs trustedTime.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createDemoCa } from "../../common/pki/demo-ca.ts";
import { createDemoTsa } from "../../common/pki/demo-tsa.ts";
import { EXIT_CODES, main, parseArgs, requiredChecks } from "../../scripts/cli/verify.ts";
import { DOCUMENT, sampleBundle } from "../support/bundle.fixture.ts";
import { SEVEN_WEEKS, anchoredAt, stamped } from "../support/trusted-time.fixture.ts";

type Report = { overall: string; checks: { id: string; outcome: string; reason: string }[] };

function sink() {
  let text = "";
  return { write: (t: string) => ((text += t), true), text: () => text };
}

describe("verify CLI: trustedTime (--tsa-trust)", function () {
  this.timeout(60_000);
  const T = sampleBundle().anchor.blockTimestamp;
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "jl-verify-tsa-"));
    const ca = await createDemoCa({ now: new Date((T - SEVEN_WEEKS) * 1000) });
    const tsaAt = (at: number) => createDemoTsa(ca, { now: () => new Date(at * 1000) });
    await writeFile(join(dir, "tsa-root.pem"), ca.certificatePem);
    await writeFile(join(dir, "contract.pdf"), DOCUMENT);
    await writeFile(
      join(dir, "genuine.json"),
      JSON.stringify(await stamped(await anchoredAt(T, T - 2), await tsaAt(T + 3))),
    );
    const today = T - SEVEN_WEEKS;
    await writeFile(
      join(dir, "ahead.json"),
      JSON.stringify(await stamped(await anchoredAt(T, today), await tsaAt(today + 2))),
    );
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });
  const run = async (...args: string[]) => {
    const out = sink();
    const code = await main([join(dir, "contract.pdf"), ...args, "--json"], out, sink());
    return { code, report: JSON.parse(out.text()) as Report };
  };
  const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

  it("parses --tsa-trust, repeated", function () {
    expect(parseArgs(["a", "b", "--tsa-trust", "x.pem", "--tsa-trust=y.pem"]).tsaTrust).to.deep.equal([
      "x.pem",
      "y.pem",
    ]);
    expect(requiredChecks(false, true)).to.include("trustedTime");
  });

  it("fails a bundle anchored on a chain seven weeks ahead of its TSA, with the reason (exit 1)", async function () {
    const { code, report } = await run(join(dir, "ahead.json"), "--tsa-trust", join(dir, "tsa-root.pem"));
    expect(code).to.equal(EXIT_CODES.fail);
    expect(report.overall).to.equal("fail");
    expect(check(report, "trustedTime").outcome).to.equal("fail");
    expect(check(report, "trustedTime").reason).to.match(
      /is 4233598 s after the time .* attests .* the chain's clock was ahead/,
    );
  });

  it("passes trustedTime for a genuine bundle; without --tsa-trust it is indeterminate", async function () {
    const withRoot = await run(join(dir, "genuine.json"), "--tsa-trust", join(dir, "tsa-root.pem"));
    expect(
      check(withRoot.report, "trustedTime").outcome,
      check(withRoot.report, "trustedTime").reason,
    ).to.equal("pass");
    expect(check(withRoot.report, "trustedTime").reason).to.contain("evidence time (TSA-attested)");
    expect(withRoot.code).to.equal(EXIT_CODES.indeterminate); // offline: the chain was not asked
    const without = await run(join(dir, "genuine.json"));
    expect(check(without.report, "trustedTime").outcome).to.equal("indeterminate");
    expect(check(without.report, "trustedTime").reason).to.contain("no TSA trust anchor");
  });

  it("refuses a --tsa-trust file that holds no certificate (exit 2)", async function () {
    await writeFile(join(dir, "empty.pem"), "no certificate here");
    const err = sink();
    const code = await main(
      [join(dir, "contract.pdf"), join(dir, "genuine.json"), "--tsa-trust", join(dir, "empty.pem")],
      sink(),
      err,
    );
    expect(code).to.equal(EXIT_CODES.badInput);
    expect(err.text()).to.contain("holds no certificate");
  });
});
