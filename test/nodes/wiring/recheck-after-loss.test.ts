// After the indexer sees the chain lose blocks, the node rechecks its outbox's confirmed flows.
// That recheck must be retried until it succeeds: an endpoint down for longer than any fixed
// number of tries would otherwise leave lost flows counted confirmed. It ends when the sender stops.
import { expect } from "chai";
import { recheckAfterChainLoss } from "../../../nodes/src/wiring/chain.ts";

type Warned = { fields: Record<string, unknown>; message: string };

function logger() {
  const warned: Warned[] = [];
  return {
    warned,
    log: { warn: (fields: Record<string, unknown>, message: string) => warned.push({ fields, message }) },
  };
}

/** A sender whose recheck runs `answer` with the call's number (1, 2, …). */
function fakeSender(answer: (call: number, sender: { stopped: boolean }) => string[]) {
  const sender = {
    stopped: false,
    calls: 0,
    recheck: async () => answer(++sender.calls, sender),
  };
  return sender;
}

describe("node wiring: the outbox recheck after a chain loss", function () {
  it("is retried past any fixed number of failures, backing off, until it succeeds", async function () {
    const { warned, log } = logger();
    const sender = fakeSender((call) => {
      if (call <= 40) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
      return ["REP-1", "REP-2"];
    });
    await recheckAfterChainLoss(sender, log as never, "block 12 replaced", { firstMs: 1, maxMs: 4 });
    expect(sender.calls).to.equal(41);
    const retries = warned.filter((w) => w.message === "outbox recheck failed; retrying");
    expect(retries).to.have.length(40);
    // doubling from the first delay up to the cap
    expect(retries.slice(0, 4).map((w) => w.fields.retryInMs)).to.deep.equal([1, 2, 4, 4]);
    expect(warned.at(-1)).to.deep.equal({
      fields: { flows: 2 },
      message: "flows the chain lost are sent again",
    });
  });

  it("stops retrying once the sender stops", async function () {
    const { warned, log } = logger();
    const sender = fakeSender((call, self) => {
      if (call === 3) self.stopped = true;
      throw new Error("socket hang up");
    });
    await recheckAfterChainLoss(sender, log as never, "block 12 replaced", { firstMs: 1, maxMs: 1 });
    expect(sender.calls).to.equal(3);
    expect(warned.filter((w) => w.message === "outbox recheck failed; retrying")).to.have.length(2);
  });
});
