// The branch's pass over its contracts' endorsements (nodes/src/e-contract/endorsements.ts) runs
// every second: it reads the store once, then moves only the contracts still open, so its cost does
// not grow with every contract the branch ever registered. A contract recorded after that read is
// moved on by the next pass; a restart reads the store again and finds exactly the open ones. A
// platform's endorsement is seen in the indexed ledger, with no registry read per open contract;
// the platform's node reads the registry only for evidence its index does not hold as active.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import {
  ContractEndorsements,
  ENDORSEMENT_ASK_AGAIN_MS,
  registerSerialOf,
  type ContractEndorsement,
  type ContractEndorsementsDeps,
} from "../../../nodes/src/e-contract/endorsements.ts";
import type { Sublevel } from "../../../common/level.ts";
import { EvidenceState } from "../../../common/chain/generated/enums.ts";
import { PLATFORM } from "../../../nodes/src/members.ts";

const BRANCH_ID = 2;
const PLATFORM_ID = 4;
const leaf = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const loan = (n: number) => `0x${(1000 + n).toString(16).padStart(64, "0")}`;

/** A joint loan's side: its platform, who has endorsed so far, the clock. */
type Joint = { platform: number; endorsers: () => number[]; now: () => Date };

/**
 * A room over a memory store whose full reads are counted, an outbox that confirms what `confirm`
 * allows (and every loan's registration), and a platform whose requests are counted.
 */
function endorsementRoom(
  store: Sublevel<string, ContractEndorsement>,
  confirm: (serial: string) => boolean,
  joint?: Joint,
) {
  const counts = {
    scans: 0,
    statusReads: new Map<string, number>(),
    registryReads: 0,
    enqueued: [] as string[],
    asked: [] as string[][],
  };
  const counted = {
    get: (key: string) => store.get(key),
    put: (key: string, value: ContractEndorsement) => store.put(key, value),
    values: () => {
      counts.scans++;
      return store.values();
    },
  };
  const deps = {
    memberId: BRANCH_ID,
    store: counted,
    outbox: {
      enqueue: async (entry: { serial: string }) => {
        counts.enqueued.push(entry.serial);
        return { ...entry, state: "queued" };
      },
      status: async (serial: string) => {
        counts.statusReads.set(serial, (counts.statusReads.get(serial) ?? 0) + 1);
        if (serial.startsWith("app-")) return { serial, state: "confirmed" };
        return counts.enqueued.includes(serial) && confirm(serial)
          ? { serial, state: "confirmed" }
          : undefined;
      },
    },
    bundle: async (leafHash: string) => ({
      leaf: { encoded: `0x${"00".repeat(224)}${leafHash.slice(2, 4)}` },
      log: { logId: leaf(99), leafIndex: 0 },
      head: { treeSize: 1 },
      inclusionProof: [],
    }),
    // the indexed ledger holds the endorsers; the registry's views are not for the passes
    model: { evidence: async () => ({ endorsers: joint?.endorsers() ?? [] }) },
    registry: {
      endorsers: async () => {
        counts.registryReads++;
        return (joint?.endorsers() ?? []).map(BigInt);
      },
      status: async () => {
        counts.registryReads++;
        throw new Error("not read by a pass");
      },
    },
    peers: {
      call: async (
        _member: number,
        _method: string,
        _path: string,
        body: { endorsements: Array<{ leafHash: string }> },
      ) => {
        counts.asked.push(body.endorsements.map((e) => e.leafHash));
        return { endorsements: [] };
      },
    },
    ...(joint === undefined ? {} : { now: joint.now }),
  };
  // a branch-only contract (platform 0) is done once registered; a joint loan's platform endorses
  const room = new ContractEndorsements(deps as unknown as ContractEndorsementsDeps);
  const anchored = (n: number) =>
    room.contractAnchored({
      loanId: loan(n),
      leafHash: leaf(n),
      loanSerial: `app-${n}`,
      platform: joint?.platform ?? 0,
    });
  return { room, counts, anchored };
}

describe("contract endorsements: a pass reads the open contracts only", function () {
  const dbs: Array<MemoryLevel<string, ContractEndorsement>> = [];
  /** The contract-endorsements sublevel of a fresh memory database (closed after each test). */
  const freshStore = () => {
    const db = new MemoryLevel<string, ContractEndorsement>({ valueEncoding: "json" });
    dbs.push(db);
    return db.sublevel<string, ContractEndorsement>("contract-endorsements", { valueEncoding: "json" });
  };
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
  });

  it("the store is read once; done contracts are not looked at again; one recorded later is moved on by the next pass", async function () {
    const store = freshStore();
    const { room, counts, anchored } = endorsementRoom(store, () => true);
    for (let n = 1; n <= 3; n++) await anchored(n);
    await room.step();
    for (let n = 1; n <= 3; n++) expect((await store.get(leaf(n)))?.state).to.equal("done");
    const reads = new Map(counts.statusReads);
    for (let i = 0; i < 5; i++) await room.step();
    expect(counts.scans, "full reads of the store").to.equal(1);
    expect(counts.statusReads, "no done contract looked at again").to.deep.equal(reads);

    await anchored(4);
    await room.step();
    expect(counts.enqueued).to.include(registerSerialOf(leaf(4)));
    expect((await store.get(leaf(4)))?.state).to.equal("done");
    expect(counts.scans).to.equal(1);
  });

  it("after a restart the first pass reads the store again and moves exactly the contracts still open", async function () {
    const store = freshStore();
    // contract 2's registration is not confirmed before the restart
    const first = endorsementRoom(store, (serial) => serial !== registerSerialOf(leaf(2)));
    await first.anchored(1);
    await first.anchored(2);
    await first.room.step();
    expect((await store.get(leaf(1)))?.state).to.equal("done");
    expect((await store.get(leaf(2)))?.state).to.equal("registering");

    const second = endorsementRoom(store, () => true);
    // its outbox holds the registration queued before the restart
    second.counts.enqueued.push(registerSerialOf(leaf(2)));
    await second.room.step();
    await second.room.step();
    expect(second.counts.scans).to.equal(1);
    expect([...second.counts.statusReads.keys()]).to.deep.equal([registerSerialOf(leaf(2))]);
    expect((await store.get(leaf(2)))?.state).to.equal("done");
  });

  it("a contract recorded while the first pass reads the store is kept for the passes after it", async function () {
    const store = freshStore();
    // nothing is confirmed: every contract stays open
    const { room, counts, anchored } = endorsementRoom(store, () => false);
    await anchored(1);
    const pass = room.step();
    await anchored(2);
    await pass;
    await room.step();
    expect(counts.enqueued).to.have.members([registerSerialOf(leaf(1)), registerSerialOf(leaf(2))]);
    expect(counts.scans).to.equal(1);
  });

  it("a platform that accepted to endorse is not asked again each pass, only after a while without its endorsement on chain", async function () {
    const store = freshStore();
    let clock = Date.parse("2026-03-01T00:00:00Z");
    let endorsers: number[] = [];
    const { room, counts, anchored } = endorsementRoom(store, () => true, {
      platform: PLATFORM_ID,
      endorsers: () => endorsers,
      now: () => new Date(clock),
    });
    await anchored(1);
    await anchored(2);
    await room.step();
    expect(counts.asked, "both asked together once registered").to.deep.equal([[leaf(1), leaf(2)]]);
    for (let i = 0; i < 5; i++) {
      clock += 1_000;
      await room.step();
    }
    expect(counts.asked, "not asked again while the endorsement is on its way").to.have.length(1);
    clock += ENDORSEMENT_ASK_AGAIN_MS;
    await room.step();
    expect(counts.asked, "asked again after a while without it on chain").to.have.length(2);
    endorsers = [PLATFORM_ID];
    await room.step();
    for (const n of [1, 2]) expect((await store.get(leaf(n)))?.state).to.equal("done");
    expect(counts.asked).to.have.length(2);
    expect(counts.registryReads, "the platform's endorsement seen in the indexed ledger").to.equal(0);
  });
});

describe("contract endorsements: the platform's check reads the registry only for evidence its index does not hold as active", function () {
  const LEAF = leaf(7);
  const LOAN = loan(7);

  /** A platform's room whose indexed ledger holds loan 7 (its contract LEAF) and, as given, the evidence. */
  function platformRoom(indexed: { state: string; submitter: number } | undefined, onChain: number) {
    const statusReads: string[] = [];
    const enqueued: string[] = [];
    const deps = {
      memberId: PLATFORM_ID,
      members: { active: async () => ({ kindOf: new Map([[PLATFORM_ID, PLATFORM]]) }) },
      requests: { verify: async () => ({ memberId: BRANCH_ID }) },
      model: {
        loan: async () => ({
          branch: BRANCH_ID,
          platform: PLATFORM_ID,
          funders: [{ memberId: BRANCH_ID }, { memberId: PLATFORM_ID }],
          evidence: { contractLeaf: LEAF },
        }),
        evidence: async () => indexed,
      },
      registry: {
        status: async (leafHash: string) => {
          statusReads.push(leafHash);
          return { state: BigInt(onChain), submitter: BigInt(BRANCH_ID) };
        },
      },
      outbox: {
        enqueue: async (entry: { serial: string }) => {
          enqueued.push(entry.serial);
          return { ...entry, state: "queued" };
        },
      },
    };
    const room = new ContractEndorsements(deps as unknown as ContractEndorsementsDeps);
    const ask = () =>
      room.endorseAll({} as never, { endorsements: [{ loanId: LOAN, leafHash: LEAF }] }).then(
        () => "queued",
        (e: { code: string }) => e.code,
      );
    return { ask, statusReads, enqueued };
  }

  it("indexed as the branch's active evidence: queued with no registry read", async function () {
    const p = platformRoom({ state: "Active", submitter: BRANCH_ID }, Number(EvidenceState.Revoked));
    expect(await p.ask()).to.equal("queued");
    expect(p.statusReads).to.deep.equal([]);
  });

  it("not indexed yet, or not active in the index: the registry's word", async function () {
    const fresh = platformRoom(undefined, Number(EvidenceState.Active));
    expect(await fresh.ask()).to.equal("queued");
    expect(fresh.statusReads).to.deep.equal([LEAF]);
    const revoked = platformRoom({ state: "Revoked", submitter: BRANCH_ID }, Number(EvidenceState.Revoked));
    expect(await revoked.ask()).to.equal("NODE_ERR_ENDORSEMENT_REFUSED");
    expect(revoked.enqueued).to.deep.equal([]);
  });
});
