// /readyz's bounds come from the environment: NODE_READY_MAX_INDEXER_LAG_BLOCKS,
// NODE_READY_MAX_OUTBOX_BACKLOG and NODE_READY_TIMEOUT_MS, each defaulting when unset; a value
// out of range or not a whole number stops the node at start, naming the variable. A node is held
// to the bounds it was given.
import { expect } from "chai";
import * as readiness from "../../nodes/src/readiness.ts";

const { readinessLimitsFromEnv, DEFAULT_READINESS_LIMITS } = readiness;

describe("node readiness limits from the environment", function () {
  it("defaults each limit when its variable is unset or empty", function () {
    expect(readinessLimitsFromEnv({})).to.deep.equal(DEFAULT_READINESS_LIMITS);
    expect(readinessLimitsFromEnv({ NODE_READY_TIMEOUT_MS: "" })).to.deep.equal(DEFAULT_READINESS_LIMITS);
    expect(Object.values(readiness.READINESS_ENV)).to.deep.equal([
      "NODE_READY_MAX_INDEXER_LAG_BLOCKS",
      "NODE_READY_MAX_OUTBOX_BACKLOG",
      "NODE_READY_TIMEOUT_MS",
    ]);
  });

  it("reads each variable", function () {
    expect(
      readinessLimitsFromEnv({
        NODE_READY_MAX_INDEXER_LAG_BLOCKS: "5",
        NODE_READY_MAX_OUTBOX_BACKLOG: "0",
        NODE_READY_TIMEOUT_MS: "750",
      }),
    ).to.deep.equal({ maxIndexerLagBlocks: 5, maxOutboxBacklog: 0, timeoutMs: 750 });
  });

  it("refuses a value that is not a whole number in range, naming the variable", function () {
    for (const [name, text] of [
      ["NODE_READY_MAX_INDEXER_LAG_BLOCKS", "-1"],
      ["NODE_READY_MAX_INDEXER_LAG_BLOCKS", "2.5"],
      ["NODE_READY_MAX_OUTBOX_BACKLOG", "lots"],
      ["NODE_READY_TIMEOUT_MS", "10"],
      ["NODE_READY_TIMEOUT_MS", "600000"],
    ] as const)
      expect(() => readinessLimitsFromEnv({ [name]: text }), `${name}=${text}`).to.throw(
        RangeError,
        `${name}=${text}: a whole number from`,
      );
  });

  it("holds a node to the bounds it was given: a lag and a backlog the defaults allow are not ready", async function () {
    const limits = readinessLimitsFromEnv({
      NODE_READY_MAX_INDEXER_LAG_BLOCKS: "2",
      NODE_READY_MAX_OUTBOX_BACKLOG: "10",
    });
    const state = await readiness
      .createReadiness(
        {
          chainId: async () => 31337n,
          genesisHash: async () => `0x${"ab".repeat(32)}`,
          indexer: () => ({ cursorBlock: 100, head: 105, lastError: null }),
          outboxBacklog: async () => 11,
          anchorHealthy: async () => {},
        },
        { chainId: 31337n },
        limits,
      )
      .check();
    expect(state.ready).to.equal(false);
    expect(state.reasons).to.deep.equal([
      "indexer: 5 blocks behind the head (at most 2)",
      "outbox: 11 chain writes waiting (at most 10)",
    ]);
  });
});
