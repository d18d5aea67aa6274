// A branch's endorsement pass advances its contracts side by side; when one of them fails for good
// (its store write refused), the pass still ends only after every other advance has settled, so
// nothing of it goes on queueing or writing after the pass, or after stop() waited for it.
import { expect } from "chai";
import {
  ContractEndorsements,
  type ContractEndorsement,
  type ContractEndorsementsDeps,
} from "../../../nodes/src/e-contract/endorsements.ts";

describe("e-contract: an endorsement pass settles every advance before it ends", function () {
  it("rejects with the failed write only after the other contracts' advances are done", async function () {
    const events: string[] = [];
    const records = new Map<string, ContractEndorsement>();
    let stopped = false;
    const leaf = (byte: string) => `0x${byte.repeat(32)}`;
    const store = {
      get: async (key: string) => records.get(key),
      put: async (key: string, value: ContractEndorsement) => {
        if (stopped) events.push(`write after stop ${key.slice(0, 4)}`);
        // the first contract's failure can be written nowhere: a store refusing writes
        if (key === leaf("aa") && value.lastError !== undefined) throw new Error("write refused");
        records.set(key, value);
      },
      values: async function* () {
        yield* records.values();
      },
    };
    for (const byte of ["aa", "bb"])
      records.set(leaf(byte), {
        loanId: `0x${"01".repeat(32)}`,
        leafHash: leaf(byte),
        loanSerial: `L-${byte}`,
        platform: 2,
        state: "anchored",
        createdAt: "",
        updatedAt: "",
      } as ContractEndorsement);
    const deps = {
      memberId: 1,
      store,
      outbox: {
        enqueue: async (entry: { serial: string }) => {
          if (stopped) events.push(`enqueue after stop ${entry.serial}`);
          events.push("enqueued");
          return { serial: entry.serial, state: "queued" };
        },
        status: async () => undefined,
      },
      bundle: async (leafHash: string) => {
        if (leafHash === leaf("aa")) throw new Error("no committed head yet");
        await new Promise((r) => setTimeout(r, 100)); // the other contract still on its way
        return {
          leaf: { encoded: `0x${"00".repeat(224)}` },
          log: { logId: `0x${"00".repeat(32)}`, leafIndex: 0 },
          head: { treeSize: 1 },
          inclusionProof: [],
        };
      },
    } as unknown as ContractEndorsementsDeps;
    const room = new ContractEndorsements(deps);
    const error = await room.step().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await room.stop();
    stopped = true;
    await new Promise((r) => setTimeout(r, 300));
    expect(error?.message).to.equal("write refused");
    expect(events).to.deep.equal(["enqueued"]);
    expect(records.get(leaf("bb"))!.state).to.equal("registering");
  });
});
