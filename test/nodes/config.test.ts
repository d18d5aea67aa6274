// The node's configuration from its environment: the keeper's interval (hourly by default only
// on the union's node, 0 for rounds on request only), the outbox's flows per transaction (at most
// what the per-transaction gas cap allows) and refusals naming the variable.
import { expect } from "chai";
import { nodeConfigFromEnv } from "../../nodes/src/config.ts";
import { NODE_ENV_EXAMPLE } from "../support/node-env.ts";

const ENV = NODE_ENV_EXAMPLE;

describe("node configuration: keeper interval", function () {
  it("leaves the interval unset by default, takes 0 (on request only) or at least one second", function () {
    expect(nodeConfigFromEnv(ENV).keeperIntervalMs).to.equal(undefined);
    expect(nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "0" }).keeperIntervalMs).to.equal(0);
    expect(nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "60000" }).keeperIntervalMs).to.equal(60_000);
  });

  it("refuses an interval below one second, naming the variable", function () {
    expect(() => nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "500" })).to.throw(
      /NODE_KEEPER_INTERVAL_MS/,
    );
  });
});

describe("node configuration: outbox packing", function () {
  it("packs 16 flows a transaction by default and takes 1 to 16", function () {
    expect(nodeConfigFromEnv(ENV).outboxMaxBatch).to.equal(16);
    expect(nodeConfigFromEnv({ ...ENV, NODE_OUTBOX_MAX_BATCH: "1" }).outboxMaxBatch).to.equal(1);
    expect(nodeConfigFromEnv({ ...ENV, NODE_OUTBOX_MAX_BATCH: "16" }).outboxMaxBatch).to.equal(16);
  });

  it("refuses more than 16, whose largest registrations would pass the per-transaction gas cap, naming the variable", function () {
    for (const value of ["17", "256", "0"])
      expect(() => nodeConfigFromEnv({ ...ENV, NODE_OUTBOX_MAX_BATCH: value }), value).to.throw(
        /NODE_OUTBOX_MAX_BATCH/,
      );
  });
});
