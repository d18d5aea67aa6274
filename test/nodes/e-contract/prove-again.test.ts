// A contract registration the registry refused because the head its proof names is not on chain
// (blocks lost after the head was committed) is proved again from the anchor service's bundle and
// queued again under its serial: at once when the bundle proves it against another head, after
// PROVE_AGAIN_MS when the bundle still names the same head (the anchor service commits it again
// at the same size); any other refusal still fails the contract.
import { expect } from "chai";
import {
  ContractEndorsements,
  PROVE_AGAIN_MS,
  registerSerialOf,
  registrationEntry,
  type ContractEndorsement,
  type ContractEndorsementsDeps,
} from "../../../nodes/src/e-contract/endorsements.ts";
import { normalizeEntry, type EnqueueInput, type OutboxEntry } from "../../../nodes/src/outbox/entry.ts";

const LEAF = `0x${"ab".repeat(32)}`;
const LOAN = `0x${"01".repeat(32)}`;
const T0 = Date.parse("2026-03-02T08:00:00Z");

/** The anchor service's bundle of the leaf, proved against the head of `treeSize` leaves. */
const bundleAt = (treeSize: number) => ({
  leaf: { encoded: `0x${"00".repeat(224)}` },
  log: { logId: `0x${"11".repeat(32)}`, leafIndex: 0 },
  head: { treeSize },
  inclusionProof: Array.from(
    { length: Math.ceil(Math.log2(treeSize)) },
    (_, i) => `0x${String(i).repeat(64)}`,
  ),
});

function setUp(failureCode: string) {
  let now = T0;
  let treeSize = 4;
  const records = new Map<string, ContractEndorsement>();
  records.set(LEAF, {
    loanId: LOAN,
    leafHash: LEAF,
    loanSerial: "L-1",
    platform: 2,
    state: "registering",
    createdAt: "",
    updatedAt: "",
  });
  const serial = registerSerialOf(LEAF);
  const first = normalizeEntry(registrationEntry(LOAN, LEAF, bundleAt(4)));
  let entry = {
    ...first,
    state: "failed",
    seq: 1,
    attempts: 1,
    failure: { code: failureCode, args: [first.args] },
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
  } as unknown as OutboxEntry;
  const requeues: Array<{ reason: string; treeSize: number }> = [];
  const deps = {
    memberId: 1,
    store: {
      get: async (key: string) => records.get(key),
      put: async (key: string, value: ContractEndorsement) => void records.set(key, value),
      values: async function* () {
        yield* records.values();
      },
    },
    outbox: {
      enqueue: async () => expect.fail("nothing is enqueued anew"),
      status: async (s: string) => (s === serial ? entry : undefined),
      requeue: async (s: string, reason: string, replacement: EnqueueInput) => {
        expect(s).to.equal(serial);
        const normalized = normalizeEntry(replacement);
        expect(normalized.serial).to.equal(serial);
        requeues.push({ reason, treeSize: (normalized.args as { treeSize: number }).treeSize });
        entry = { ...entry, args: normalized.args, state: "queued", failure: undefined } as OutboxEntry;
        return entry;
      },
    },
    bundle: async () => bundleAt(treeSize),
    now: () => new Date(now),
  } as unknown as ContractEndorsementsDeps;
  return {
    room: new ContractEndorsements(deps),
    record: () => records.get(LEAF)!,
    requeues,
    setNow: (ms: number) => (now = ms),
    setTreeSize: (size: number) => (treeSize = size),
  };
}

describe("e-contract: a registration refused for a head the chain lost is proved again", function () {
  it("is queued again at once with the proof against the head the anchor service now gives", async function () {
    const t = setUp("EvidenceLogUnknownHead");
    t.setTreeSize(9);
    await t.room.step();
    expect(t.requeues).to.have.length(1);
    expect(t.requeues[0]!.treeSize).to.equal(9);
    expect(t.requeues[0]!.reason).to.match(/head of 9 leaves.*head of 4/);
    expect(t.record().state).to.equal("registering");
    // queued again: the next pass waits for it, it does not prove it once more
    await t.room.step();
    expect(t.requeues).to.have.length(1);
  });

  it("with the same proof, waits PROVE_AGAIN_MS for the head to be committed again, then sends it again", async function () {
    const t = setUp("EvidenceLogUnknownHead");
    await t.room.step();
    expect(t.requeues).to.deep.equal([]);
    expect(t.record().state).to.equal("registering");
    expect(t.record().lastError).to.match(/head of 4 leaves .* not on chain/);
    t.setNow(T0 + PROVE_AGAIN_MS - 1);
    await t.room.step();
    expect(t.requeues).to.deep.equal([]);
    t.setNow(T0 + PROVE_AGAIN_MS);
    await t.room.step();
    expect(t.requeues.map((r) => r.treeSize)).to.deep.equal([4]);
  });

  it("any other refusal fails the contract, with the registry's error", async function () {
    const t = setUp("EvidenceRegistryWrongLoan");
    t.setTreeSize(9);
    await t.room.step();
    expect(t.requeues).to.deep.equal([]);
    expect([t.record().state, t.record().failure?.code]).to.deep.equal([
      "failed",
      "EvidenceRegistryWrongLoan",
    ]);
  });
});
