import { expect } from "chai";
import { BureauClient } from "../../../nodes/src/bureau/client.ts";
import { FallbackBureau } from "../../../nodes/src/bureau/fallback.ts";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import { keyN } from "./fixtures.ts";

const query = (n: number) => ({
  borrowerKey: keyN(n),
  purpose: "LOAN_APPROVAL" as const,
  operator: "officer.1",
  institution: 1,
});
const client = (mode: "normal" | "outage", seed: string) =>
  new BureauClient(new BureauSimulator({ seed, latencyMs: 1, mode, notFoundRate: 0 }), {
    retries: 0,
    failureThreshold: 1,
    coolDownMs: 60_000,
  });

describe("bureau: the fallback channel (备用查询通道)", function () {
  it("answers from the primary while it is up", async function () {
    const bureau = new FallbackBureau(client("normal", "primary"), client("normal", "fallback"));
    expect((await bureau.queryWithChannel(query(1))).channel).to.equal("primary");
  });

  it("uses the fallback when the primary is down (unavailable, then its breaker open) and says so", async function () {
    const primary = client("outage", "primary");
    const seen: string[] = [];
    const bureau = new FallbackBureau(primary, client("normal", "fallback"), {
      onFallback: (e) => seen.push(e.code),
    });
    const first = await bureau.queryWithChannel(query(2));
    expect(first.channel).to.equal("fallback");
    expect(first.report.borrowerKey).to.equal(keyN(2));
    expect(primary.state).to.equal("open");
    expect((await bureau.queryWithChannel(query(3))).channel).to.equal("fallback");
    expect(seen).to.deep.equal(["NODE_ERR_BUREAU_UNAVAILABLE", "NODE_ERR_BUREAU_CIRCUIT_OPEN"]);
  });

  it("does not ask the fallback again for the bureau's own answer (no credit file)", async function () {
    const fallback = new BureauSimulator({ seed: "fallback", latencyMs: 1, notFoundRate: 0 });
    const bureau = new FallbackBureau(
      new BureauSimulator({ seed: "primary", latencyMs: 1, notFoundRate: 1 }),
      fallback,
    );
    const error = await bureau.queryWithChannel(query(4)).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    );
    expect(error?.code).to.equal("NODE_ERR_BUREAU_NOT_FOUND");
    expect(fallback.stats.received).to.equal(0);
  });

  it("fails with the fallback's error when both channels are down", async function () {
    const bureau = new FallbackBureau(client("outage", "primary"), client("outage", "fallback"));
    const error = await bureau.queryWithChannel(query(5)).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    );
    expect(error?.code).to.equal("NODE_ERR_BUREAU_UNAVAILABLE");
  });
});
