// The CLI's --witness-policy: the bundle's cosigned checkpoint is checked offline against the
// court's tlog-policy file. A genuine one passes; a checkpoint the log re-signed over a forked
// root (the witnesses' lines kept) fails; a bundle without one cannot pass under a quorum.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kOfNPolicy } from "../../common/formats/checkpoint/policy.ts";
import { EXIT_CODES, main, parseArgs } from "../../scripts/cli/verify.ts";
import { DOCUMENT, sampleBundle } from "../support/bundle.fixture.ts";
import { SAMPLE_LOG, SAMPLE_WITNESSES, witnessedSampleBundle } from "../support/witnesses.ts";

function sink(): { write(text: string): boolean; text: () => string } {
  let text = "";
  return { write: (t: string) => ((text += t), true), text: () => text };
}

describe("verify CLI: --witness-policy", function () {
  const log = SAMPLE_LOG;
  const { court, union } = SAMPLE_WITNESSES;
  const witnessedBundle = witnessedSampleBundle;
  let dir: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "jl-verify-witness-"));
    writeFileSync(join(dir, "contract.pdf"), DOCUMENT);
    writeFileSync(
      join(dir, "policy.txt"),
      kOfNPolicy(
        log.vkey,
        [
          { name: "court", vkey: court.vkey },
          { name: "union", vkey: union.vkey },
        ],
        2,
      ),
    );
    const genuine = witnessedBundle();
    writeFileSync(join(dir, "genuine.json"), JSON.stringify(genuine));
    writeFileSync(join(dir, "forked.json"), JSON.stringify(witnessedBundle(new Uint8Array(32).fill(7))));
    writeFileSync(join(dir, "plain.json"), JSON.stringify(sampleBundle()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (bundle: string, json = false) => {
    const out = sink();
    const code = await main(
      [
        join(dir, "contract.pdf"),
        join(dir, bundle),
        "--witness-policy",
        join(dir, "policy.txt"),
        ...(json ? ["--json"] : []),
      ],
      out,
      sink(),
    );
    return { code, text: out.text() };
  };

  it("parses the option only when given", () => {
    expect(parseArgs(["a", "b", "--witness-policy", "p.txt"]).witnessPolicy).to.equal("p.txt");
    expect(parseArgs(["a", "b"])).to.not.have.property("witnessPolicy");
  });

  it("a genuine cosigned checkpoint: witnesses pass, naming both witnesses (offline: indeterminate overall, as without chain)", async () => {
    const { text } = await run("genuine.json");
    expect(text).to.match(/witnesses: pass — cosigned by court at .*, union at /);
    const json = JSON.parse((await run("genuine.json", true)).text) as { witnesses: { outcome: string } };
    expect(json.witnesses.outcome).to.equal("pass");
  });

  it("a forked root re-signed by the log with the witnesses' lines kept: witnesses fail, exit 1", async () => {
    const { code, text } = await run("forked.json");
    expect(text).to.match(
      /witnesses: fail — the checkpoint does not verify: the cosignature of witness court/,
    );
    expect(code).to.equal(EXIT_CODES.fail);
  });

  it("a bundle without a cosigned checkpoint cannot pass under a 2-of-2 policy", async () => {
    const { code, text } = await run("plain.json");
    expect(text).to.match(/witnesses: indeterminate/);
    expect(code).to.not.equal(EXIT_CODES.pass);
  });
});
