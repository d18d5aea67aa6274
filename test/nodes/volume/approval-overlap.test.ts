// Approval's waits overlapped (nodes/src/approval.ts): the reads its checks need start together,
// and a joint loan's platform agreement and the contract's anchoring run at once. What must not
// move does not: a request failing several checks gets the first check's refusal; nothing is
// stored before both the agreement and the anchoring are in; the contract is stored, then
// recorded for its endorsement, then the loan queued, then its receiving account recorded; a
// refusal or a crash at any step leaves no later step done.
import { expect } from "chai";
import { hexlify } from "ethers";
import { LEAF_VERSION, leafHashOf, type EvidenceRecord } from "../../../common/formats/leaf/leaf.ts";
import { LoanApproval, type LoanApprovalDeps } from "../../../nodes/src/approval.ts";
import { convertApplication } from "../../../nodes/src/channels/registry.ts";
import { NodeError, nodeError } from "../../../nodes/src/errors.ts";
import { PLATFORM } from "../../../nodes/src/members.ts";
import { jiedaibaoPayload } from "../../support/channel-fixtures.ts";
import { rejectedBy } from "../../support/expect-error.ts";

const BRANCH_ID = 2;
const PLATFORM_ID = 4;
const APPLICATION_ID = "app_000000000000000000000000";
const AGREEMENT = `0x${"ab".repeat(65)}`;
const ACTOR = { userId: "approver", role: "approver", memberId: BRANCH_ID } as const;

/** A promise with its resolve and reject in hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

type Hooks = {
  gate?: () => Promise<{ consentLeafHash: string; decisionId: string }>;
  params?: () => Promise<{ aprCapBps: bigint }>;
  agreement?: () => Promise<unknown>;
  anchor?: (records: readonly EvidenceRecord[]) => Promise<Array<{ leafHash: string }>>;
  store?: () => Promise<void>;
  recorded?: () => Promise<void>;
  listed?: boolean;
  /** The registry's answer for the platform's kind (default PLATFORM). */
  kind?: () => number;
};

/** A branch's approval room over stubs that log each step they are asked for, in order. */
function approvalRoom(hooks: Hooks = {}) {
  const calls: string[] = [];
  const application = convertApplication("jiedaibao", jiedaibaoPayload(), {
    platformMemberId: PLATFORM_ID,
    receivedAt: new Date().toISOString(),
  });
  const leafOf = (r: EvidenceRecord) =>
    hexlify(leafHashOf({ ...r, version: LEAF_VERSION, submitter: BRANCH_ID }));
  const deps = {
    memberId: BRANCH_ID,
    consortiumKey: new Uint8Array(32).fill(7),
    applications: {
      get: async () => ({
        applicationId: APPLICATION_ID,
        borrowerKey: `0x${"bb".repeat(32)}`,
        assignedBranch: BRANCH_ID,
        channel: "jiedaibao",
        application,
      }),
    },
    decisionGate: async () => {
      calls.push("gate");
      return (hooks.gate ?? (async () => ({ consentLeafHash: `0x${"c0".repeat(32)}`, decisionId: "d-1" })))();
    },
    ledger: {
      params: async () => {
        calls.push("params");
        return (hooks.params ?? (async () => ({ aprCapBps: 2400n })))();
      },
    },
    members: {
      kindOf: async () => {
        calls.push("kindOf");
        return hooks.kind?.() ?? PLATFORM;
      },
    },
    outbox: {
      status: async () => {
        calls.push("status");
        return undefined;
      },
      enqueue: async (entry: { serial: string }) => {
        calls.push("enqueue");
        return { ...entry, state: "queued" };
      },
    },
    peers: {
      urlOf: () => (hooks.listed === false ? undefined : "http://platform.invalid"),
      call: async () => {
        calls.push("agreement");
        if (hooks.agreement !== undefined) return hooks.agreement();
        return { platformAgreements: [AGREEMENT] };
      },
    },
    anchor: async (records: readonly EvidenceRecord[]) => {
      calls.push("anchor");
      if (hooks.anchor !== undefined) return hooks.anchor(records);
      return records.map((r) => ({ leafHash: leafOf(r), sequence: 1 }));
    },
    documents: {
      put: async () => {
        calls.push("store");
        await hooks.store?.();
        return { documentId: `0x${"dd".repeat(32)}`, sha256: `0x${"ee".repeat(32)}` };
      },
    },
    contractAnchored: async () => {
      calls.push("contractAnchored");
      await hooks.recorded?.();
    },
    receiving: {
      record: async () => {
        calls.push("receiving");
      },
    },
  };
  // the room's other dependencies (signer, requests, chainId) serve only the platform's side
  const room = new LoanApproval(deps as unknown as LoanApprovalDeps);
  const approve = (platformShareBps = 3000) =>
    room.approve(ACTOR, {
      applicationId: APPLICATION_ID,
      contractBase64: Buffer.from("借款合同 signed").toString("base64"),
      platformShareBps,
      startDate: new Date().toISOString().slice(0, 10),
    });
  return { calls, approve, leafOf };
}

const WRITES = ["store", "contractAnchored", "enqueue", "receiving"];
const writesIn = (calls: string[]) => calls.filter((c) => WRITES.includes(c));

describe("approval: overlapped waits, ordering kept", function () {
  it("a platform's kind is read from the registry once (a member's kind never changes); no such member yet (kind 0) is read again", async function () {
    let kind = 0;
    const { calls, approve } = approvalRoom({ kind: () => kind });
    const kindReads = () => calls.filter((c) => c === "kindOf").length;
    // not a member yet: no co-funder, and the next approval asks again
    await approve(0);
    await approve(0);
    expect(kindReads()).to.equal(2);
    // added as a platform: read once more, then remembered
    kind = PLATFORM;
    await approve(3000);
    expect(kindReads()).to.equal(3);
    await approve(3000);
    await approve(3000);
    expect(kindReads()).to.equal(3);
  });

  it("the checks' reads start together, before the first of them answers", async function () {
    const gate = deferred<{ consentLeafHash: string; decisionId: string }>();
    const { calls, approve } = approvalRoom({ gate: () => gate.promise });
    const approval = approve();
    await tick();
    expect(calls).to.have.members(["gate", "params", "kindOf", "status"]);
    gate.resolve({ consentLeafHash: `0x${"c0".repeat(32)}`, decisionId: "d-1" });
    const approved = await approval;
    expect(approved.outbox).to.have.property("serial", approved.serial);
  });

  it("a request failing several checks gets the first check's refusal, and the others' failures are no unhandled rejections", async function () {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { calls, approve } = approvalRoom({
        gate: async () => Promise.reject(nodeError("NODE_ERR_DECISION_REQUIRED", "no decision")),
        params: async () => Promise.reject(new Error("the chain does not answer")),
      });
      expect((await rejectedBy(approve(), NodeError)).code).to.equal("NODE_ERR_DECISION_REQUIRED");
      await tick();
      await tick();
      expect(unhandled, "unhandled rejections").to.deep.equal([]);
      expect(writesIn(calls)).to.deep.equal([]);
      expect(calls).to.not.include("anchor");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("the ledger's cap unreadable: NODE_ERR_CHAIN_UNAVAILABLE, nothing anchored or written", async function () {
    const { calls, approve } = approvalRoom({
      params: async () => Promise.reject(new Error("the chain does not answer")),
    });
    expect((await rejectedBy(approve(), NodeError)).code).to.equal("NODE_ERR_CHAIN_UNAVAILABLE");
    expect(calls).to.not.include("anchor");
    expect(writesIn(calls)).to.deep.equal([]);
  });

  it("the platform's agreement and the anchoring run at once; nothing is stored before both are in; then store, record, queue, receiving account, in that order", async function () {
    const agreement = deferred<unknown>();
    const anchored = deferred<void>();
    const { calls, approve, leafOf } = approvalRoom({
      agreement: () => agreement.promise,
      anchor: async (records) => {
        await anchored.promise;
        return records.map((r) => ({ leafHash: leafOf(r) }));
      },
    });
    const approval = approve();
    for (let i = 0; i < 5; i++) await tick();
    expect(calls, "both asked while neither has answered").to.include.members(["agreement", "anchor"]);
    anchored.resolve();
    for (let i = 0; i < 5; i++) await tick();
    expect(writesIn(calls), "anchored, the platform not yet in: nothing stored").to.deep.equal([]);
    agreement.resolve({ platformAgreements: [AGREEMENT] });
    const approved = await approval;
    expect(writesIn(calls)).to.deep.equal(WRITES);
    expect(approved.outbox).to.have.nested.property("args.platformAgreement", AGREEMENT);
  });

  it("the platform refuses while the contract is anchored: the refusal comes back, nothing is stored, recorded or queued", async function () {
    const { calls, approve } = approvalRoom({
      agreement: async () =>
        Promise.reject(
          nodeError("NODE_ERR_PEER_REFUSED", "member 4's node answered 409", {
            member: PLATFORM_ID,
            status: 409,
            code: "NODE_ERR_AGREEMENT_REFUSED",
          }),
        ),
    });
    expect((await rejectedBy(approve(), NodeError)).code).to.equal("NODE_ERR_PEER_REFUSED");
    for (let i = 0; i < 5; i++) await tick();
    expect(writesIn(calls)).to.deep.equal([]);
  });

  it("the anchoring fails or records another leaf while the platform agrees: nothing is stored", async function () {
    for (const anchor of [
      async () =>
        Promise.reject(nodeError("NODE_ERR_ANCHOR_UNAVAILABLE", "the anchor service does not answer")),
      async () => [{ leafHash: `0x${"ff".repeat(32)}` }],
    ]) {
      const { calls, approve } = approvalRoom({ anchor });
      expect((await rejectedBy(approve(), NodeError)).code).to.equal("NODE_ERR_ANCHOR_UNAVAILABLE");
      expect(calls).to.include("agreement");
      expect(writesIn(calls)).to.deep.equal([]);
    }
  });

  it("a platform with no node listed: refused before anything is anchored or asked", async function () {
    const { calls, approve } = approvalRoom({ listed: false });
    expect((await rejectedBy(approve(), NodeError)).code).to.equal("NODE_ERR_NO_PLATFORM_NODE");
    expect(calls).to.not.include("anchor");
    expect(calls).to.not.include("agreement");
    expect(writesIn(calls)).to.deep.equal([]);
  });

  it("a crash at a write leaves no later write done: the loan is never queued without its contract stored and recorded", async function () {
    const crash = async () => Promise.reject(new Error("killed"));
    const atStore = approvalRoom({ store: crash });
    await approvalFails(atStore.approve());
    expect(writesIn(atStore.calls)).to.deep.equal(["store"]);
    const atRecord = approvalRoom({ recorded: crash });
    await approvalFails(atRecord.approve());
    expect(writesIn(atRecord.calls)).to.deep.equal(["store", "contractAnchored"]);
  });

  it("a branch's own loan (no co-funder) asks no platform and anchors as before", async function () {
    const { calls, approve } = approvalRoom();
    const approved = await approve(0);
    expect(calls).to.not.include("agreement");
    expect(writesIn(calls)).to.deep.equal(WRITES);
    expect(approved.outbox).to.have.nested.property("args.platformAgreement", "0x");
  });
});

async function approvalFails(approval: Promise<unknown>): Promise<void> {
  const outcome = await approval.then(
    () => "approved",
    (error: unknown) => (error as Error).message,
  );
  expect(outcome).to.equal("killed");
}
