// The node's configuration from its environment: the keeper's interval (hourly by default only
// on the union's node, 0 for rounds on request only) and refusals naming the variable.
import { expect } from "chai";
import { nodeConfigFromEnv } from "../../nodes/src/config.ts";

const ENV = {
  NODE_DATA_DIR: "data/node",
  NODE_MEMBER_ID: "2",
  NODE_MEMBER_KIND: "branch",
  NODE_KEYSTORE_FILE: "keys/branchA.json",
  NODE_KEYSTORE_PASSWORD: "secret",
  NODE_MASTER_KEY_FILE: "keys/branchA.master.key",
  NODE_CONSORTIUM_KEY: `0x${"11".repeat(32)}`,
  NODE_RPC_URL: "http://127.0.0.1:8545",
  NODE_ANCHOR_URL: "http://127.0.0.1:9545",
  NODE_CONSORTIUM_REGISTRY: `0x${"22".repeat(20)}`,
  NODE_JOINT_LOAN_LEDGER: `0x${"33".repeat(20)}`,
  NODE_DISPUTE_RESOLUTION: `0x${"44".repeat(20)}`,
  NODE_EVIDENCE_REGISTRY: `0x${"55".repeat(20)}`,
};

describe("node configuration: keeper interval", function () {
  it("leaves the interval unset by default, takes 0 (on request only) or at least one second", function () {
    expect(nodeConfigFromEnv(ENV).keeperIntervalMs).to.equal(undefined);
    expect(nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "0" }).keeperIntervalMs).to.equal(0);
    expect(nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "60000" }).keeperIntervalMs).to.equal(60_000);
  });

  it("refuses an interval below one second, naming the variable", function () {
    expect(() => nodeConfigFromEnv({ ...ENV, NODE_KEEPER_INTERVAL_MS: "500" })).to.throw(/NODE_KEEPER_INTERVAL_MS/);
  });
});
