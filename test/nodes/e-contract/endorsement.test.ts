// The signed contract on chain (e-contract/endorsements.ts) over a real chain and anchor service:
// once the head holding the contract's leaf is committed, the funding branch registers it in the
// EvidenceRegistry and a joint loan's platform endorses it, each through its node's outbox, once;
// the platform endorses nothing but the contract leaf the ledger registered with a loan it co-funds.
import { expect } from "chai";
import { EvidenceRegistry } from "../../../common/chain/generated/contracts.ts";
import { requestDomain, signRequest } from "../../../common/auth/request-signing.ts";
import { endorseSerialOf, registerSerialOf } from "../../../nodes/src/e-contract/endorsements.ts";
import { nodeError } from "../../../nodes/src/errors.ts";
import { approvingDecision, injectAs } from "../../support/credit-decision.ts";
import { MEMBERS } from "../../support/consortium-chain.ts";
import { lendingSuite } from "../../support/lending-suite.ts";
import {
  bearerAs,
  chainToday,
  outboxConfirmed,
  submitJointApplication,
} from "../../support/institution-node.ts";
import { jiedaibaoPayload } from "../../support/channel-fixtures.ts";
import type { NodeService } from "../../../nodes/src/service.ts";

/** A second borrower in the same district (GB 11643 check character right). */
const OTHER_BORROWER = "110105198001010016";
const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;

describe("e-contract: the signed contract registered by its branch and endorsed by the platform on chain", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-endorsement-", { joint: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);
  const registry = () =>
    EvidenceRegistry.at(suite.chain.deployment.addresses.evidenceRegistry, suite.chain.anvil.provider);

  /** A joint loan (70/30) or a loan the branch funds alone, approved at the branch; its loan id, serial and contract leaf. */
  async function approved(applicationId: string, platformShareBps: number, borrowerIdNumber?: string) {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = applicationId;
    // another borrower: the ledger caps what one borrower owes across the consortium
    if (borrowerIdNumber !== undefined) payload.jiekuanren.zhengjian.haoma = borrowerIdNumber;
    const { atBranch, consentLeafHash } = await submitJointApplication(suite.platform, suite.branch, as, {
      payload,
      letter: `授权书 ${applicationId}`,
    });
    await approvingDecision(injectAs(suite.branch.app, as), atBranch);
    const reply = await suite.branch.app.inject({
      method: "POST",
      url: "/v1/loans",
      headers: as("approver"),
      payload: {
        applicationId: atBranch,
        contractBase64: Buffer.from(`借款合同 ${applicationId}`).toString("base64"),
        consentLeafHash,
        platformShareBps,
        startDate: await chainToday(suite.chain),
      },
    });
    expect(reply.statusCode, reply.body).to.equal(200);
    const { loanId, outbox } = reply.json() as {
      loanId: string;
      outbox: { args: { terms: { contractLeaf: string } } };
    };
    await outboxConfirmed(suite.branch, as, applicationId);
    return { loanId, leafHash: outbox.args.terms.contractLeaf };
  }

  const endorsementOf = async (loanId: string) => {
    const reply = await suite.branch.app.inject({
      method: "GET",
      url: `/v1/loans/${loanId}/contract-endorsement`,
      headers: as("clerk"),
    });
    expect(reply.statusCode, reply.body).to.equal(200);
    return reply.json() as {
      state: string;
      platform: number;
      lastError?: string;
      chain: { state: string; submitter: number; endorsers: number[] };
    };
  };

  /** Runs the branch's endorsement passes until the loan's contract is done (or fails the test). */
  async function untilDone(loanId: string) {
    for (let i = 0; i < 200; i++) {
      // the branch sees its platform's endorsement in its indexed ledger (its indexer is not started here)
      await suite.branch.indexer.syncOnce();
      await suite.branch.contractEndorsements!.step();
      const view = await endorsementOf(loanId);
      if (view.state === "done") return view;
      if (view.state === "failed") expect.fail(`endorsement failed: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return expect.fail(
      `loan ${loanId}'s contract was not endorsed: ${JSON.stringify(await endorsementOf(loanId))}`,
    );
  }

  /** A head committed: the loan's contract registered by branch A and endorsed by the platform. */
  async function committedAndEndorsed(loanId: string) {
    await suite.anchor.committer.runOnce();
    const done = await untilDone(loanId);
    expect(done.chain).to.deep.equal({
      state: "Active",
      submitter: MEMBERS.branchA,
      endorsers: [MEMBERS.platform],
    });
  }

  /** The branch's node asking the platform's node, signed with `wallet`. */
  async function askPlatform(
    wallet: typeof suite.chain.wallets.branchA,
    body: unknown,
    path = "/v1/contract-endorsements",
  ) {
    const text = JSON.stringify(body);
    const domain = requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
    const headers = {
      "content-type": "application/json",
      ...(await signRequest(wallet, domain, { method: "POST", path, body: text, target: MEMBERS.platform })),
    };
    return suite.platform.app.inject({ method: "POST", url: path, headers, payload: text });
  }

  const outboxCount = async (node: NodeService, kind: string) =>
    (await node.outbox.list()).filter((e) => e.kind === kind).length;

  before(async function () {
    // the platform's node reads the ledger through its index and writes through its own outbox
    await suite.platform.start();
  });

  it("a joint loan's contract: registered by the branch once its head is committed, endorsed by the platform, each once", async function () {
    const { loanId, leafHash } = await approved("JDB-ENDORSED", 3000);
    // no committed head yet: the branch has nothing to register with and waits
    await suite.branch.contractEndorsements!.step();
    const waiting = await endorsementOf(loanId);
    expect([waiting.state, waiting.platform, waiting.chain.state]).to.deep.equal([
      "anchored",
      MEMBERS.platform,
      "Unknown",
    ]);
    expect(waiting.lastError).to.be.a("string");

    await committedAndEndorsed(loanId);
    const status = await registry().status(leafHash);
    expect([Number(status.submitter), Number(status.endorsements)]).to.deep.equal([MEMBERS.branchA, 1]);
    await outboxConfirmed(suite.branch, as, registerSerialOf(leafHash));
    await outboxConfirmed(suite.platform, as, endorseSerialOf(leafHash));

    // asked again (a branch retrying after a lost answer): the same entry, nothing sent twice
    const again = await askPlatform(suite.chain.wallets.branchA, { loanId, leafHash });
    expect(again.statusCode, again.body).to.equal(200);
    expect(again.json()).to.deep.equal({ serial: endorseSerialOf(leafHash), state: "confirmed" });
    await suite.branch.contractEndorsements!.step();
    expect((await registry().endorsers(leafHash)).map(Number)).to.deep.equal([MEMBERS.platform]);
    expect(await outboxCount(suite.platform, "endorseEvidence")).to.equal(1);
    expect(await outboxCount(suite.branch, "registerEvidence")).to.equal(1);
  });

  it("an endorsement the registry refused before the branch's registration is sent again when the branch asks once it is registered", async function () {
    const { loanId, leafHash } = await approved("JDB-ENDORSE-AGAIN", 3000);
    // the platform's endorsement went out first (as after a chain that lost the registration): refused
    const serial = endorseSerialOf(leafHash);
    await suite.platform.outbox.enqueue({
      serial,
      kind: "endorseEvidence",
      args: { loanId, leafHash, memberId: MEMBERS.platform },
    });
    let refused = await suite.platform.outbox.status(serial);
    for (let i = 0; i < 200 && refused?.state !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      refused = await suite.platform.outbox.status(serial);
    }
    expect([refused?.state, refused?.failure?.code]).to.deep.equal([
      "failed",
      "EvidenceRegistryUnknownEvidence",
    ]);

    await suite.anchor.committer.runOnce();
    const done = await untilDone(loanId);
    expect(done.chain.endorsers).to.deep.equal([MEMBERS.platform]);
    await outboxConfirmed(suite.platform, as, serial);
  });

  it("a loan the branch funds alone: its contract is registered, nobody is asked to endorse", async function () {
    const { loanId, leafHash } = await approved("JDB-ALONE", 0);
    const endorsed = await outboxCount(suite.platform, "endorseEvidence");
    await suite.anchor.committer.runOnce();
    const done = await untilDone(loanId);
    expect([done.platform, done.chain]).to.deep.equal([
      0,
      { state: "Active", submitter: MEMBERS.branchA, endorsers: [] },
    ]);
    expect(Number((await registry().status(leafHash)).state)).to.equal(1);
    expect(await outboxCount(suite.platform, "endorseEvidence")).to.equal(endorsed);
  });

  it("the platform refuses a leaf that is not the loan's contract, a loan of another branch, a signer that is no branch; nothing queued", async function () {
    const { loanId, leafHash } = await approved("JDB-REFUSALS", 3000);
    await suite.anchor.committer.runOnce();
    await untilDone(loanId);
    const before = await outboxCount(suite.platform, "endorseEvidence");
    const code = (reply: { json: () => unknown }) =>
      (reply.json() as { error?: { code: string } }).error?.code;

    const otherLeaf = await askPlatform(suite.chain.wallets.branchA, {
      loanId,
      leafHash: `0x${"ab".repeat(32)}`,
    });
    expect([otherLeaf.statusCode, code(otherLeaf)]).to.deep.equal([409, "NODE_ERR_ENDORSEMENT_REFUSED"]);
    // branch B is a branch, but the loan is branch A's
    const otherBranch = await askPlatform(suite.chain.wallets.branchB, { loanId, leafHash });
    expect([otherBranch.statusCode, code(otherBranch)]).to.deep.equal([409, "NODE_ERR_ENDORSEMENT_REFUSED"]);
    const byUnion = await askPlatform(suite.chain.wallets.unionOps, { loanId, leafHash });
    expect([byUnion.statusCode, code(byUnion)]).to.deep.equal([403, "NODE_ERR_ROLE"]);
    const unknownLoan = await askPlatform(suite.chain.wallets.branchA, {
      loanId: `0x${"cd".repeat(32)}`,
      leafHash,
    });
    expect([unknownLoan.statusCode, code(unknownLoan)]).to.deep.equal([404, "NODE_ERR_UNKNOWN_LOAN"]);
    expect(await outboxCount(suite.platform, "endorseEvidence")).to.equal(before);
    // the branch's own node has no platform's room to endorse with
    const atBranch = await suite.branch.app.inject({
      method: "GET",
      url: `/v1/loans/0x${"ef".repeat(32)}/contract-endorsement`,
      headers: as("clerk"),
    });
    expect([atBranch.statusCode, code(atBranch)]).to.deep.equal([404, "NODE_ERR_NOT_FOUND"]);
  });

  it("contracts ready together are endorsed in one request; a batch with one contract not the loan's is refused as a whole, naming it, and queues nothing", async function () {
    // the platform's node away until both contracts are registered and waiting for it
    const platformRoom = suite.platform.contractEndorsements!;
    const endorseAll = platformRoom.endorseAll.bind(platformRoom);
    const asked: number[] = [];
    let away = true;
    platformRoom.endorseAll = async (request, body) => {
      if (away) throw nodeError("NODE_ERR_PEER_UNAVAILABLE", "the platform's node is away");
      asked.push(body.endorsements.length);
      return endorseAll(request, body);
    };
    try {
      const first = await approved("JDB-BATCH-ENDORSE-1", 3000);
      const second = await approved("JDB-BATCH-ENDORSE-2", 3000);
      await suite.anchor.committer.runOnce();
      for (let i = 0; i < 200; i++) {
        await suite.branch.contractEndorsements!.step();
        const states = [
          (await endorsementOf(first.loanId)).state,
          (await endorsementOf(second.loanId)).state,
        ];
        if (states.every((s) => s === "endorsing")) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await endorsementOf(second.loanId)).state).to.equal("endorsing");
      // the platform judges a loan as its own index has it: both indexed there first
      for (let i = 0; i < 200; i++) {
        const indexed = await Promise.all(
          [first, second].map((l) => suite.platform.indexer.model.loan(l.loanId)),
        );
        if (indexed.every((l) => l !== undefined)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      away = false;
      const before = await outboxCount(suite.platform, "endorseEvidence");
      const code = (reply: { json: () => unknown }) =>
        (reply.json() as { error?: { code: string; details?: unknown } }).error;

      // the second names the first's contract: the request refused, the first not queued either
      const refused = await askPlatform(
        suite.chain.wallets.branchA,
        { endorsements: [first, { loanId: second.loanId, leafHash: first.leafHash }] },
        "/v1/contract-endorsements/batch",
      );
      expect(refused.statusCode, refused.body).to.equal(409);
      expect(code(refused)?.code).to.equal("NODE_ERR_ENDORSEMENT_REFUSED");
      expect(code(refused)?.details).to.deep.include({ index: 1, loanId: second.loanId });
      expect(await outboxCount(suite.platform, "endorseEvidence")).to.equal(before);

      // the branch's next pass asks for both in one request; each endorsed once
      asked.length = 0;
      await untilDone(first.loanId);
      await untilDone(second.loanId);
      expect(asked[0]).to.equal(2);
      for (const { leafHash } of [first, second]) {
        await outboxConfirmed(suite.platform, as, endorseSerialOf(leafHash));
        expect((await registry().endorsers(leafHash)).map(Number)).to.deep.equal([MEMBERS.platform]);
      }
      expect(await outboxCount(suite.platform, "endorseEvidence")).to.equal(before + 2);
      // queued together in one write, the platform's two endorsements went out packed in one transaction
      const txOf = async (serial: string) =>
        (await suite.platform.outbox.list()).find((e) => e.serial === serial)?.txHash;
      const [a, b] = await Promise.all([first, second].map((l) => txOf(endorseSerialOf(l.leafHash))));
      expect(a).to.be.a("string");
      expect(b).to.equal(a);
    } finally {
      platformRoom.endorseAll = endorseAll;
    }
  });

  it("a registration refused for a head the chain lost is proved against the head committed since and registered", async function () {
    const { loanId, leafHash } = await approved("JDB-LOST-HEAD", 3000, OTHER_BORROWER);
    const provider = suite.chain.anvil.provider;
    // the head holding the contract is committed and the contract registered with a proof against
    // it; then both are lost with their blocks (a chain restored from an older state)
    const snapshot = (await provider.send("evm_snapshot", [])) as string;
    await suite.anchor.committer.runOnce();
    const lostSize = (await suite.anchor.committer.heads()).at(-1)!.treeSize;
    const serial = registerSerialOf(leafHash);
    for (let i = 0; i < 200 && (await suite.branch.outbox.status(serial))?.state !== "confirmed"; i++) {
      await suite.branch.contractEndorsements!.step();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await registry().status(leafHash)).submitter).to.equal(BigInt(MEMBERS.branchA));
    await provider.send("evm_revert", [snapshot]);
    // the branch's outbox sends its registration again, and the registry refuses it: no such head
    let refused = await suite.branch.outbox.status(serial);
    for (let i = 0; i < 300 && refused?.state !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      refused = await suite.branch.outbox.status(serial);
    }
    expect([refused?.state, refused?.failure?.code]).to.deep.equal(["failed", "EvidenceLogUnknownHead"]);
    expect((refused!.args as { treeSize: number }).treeSize).to.equal(lostSize);

    // more evidence anchored, and the anchor service commits a larger head holding the contract too
    const next = await approved("JDB-LOST-HEAD-NEXT", 3000, OTHER_BORROWER);
    await committedAndEndorsed(loanId);
    await outboxConfirmed(suite.branch, as, serial);
    const registered = await suite.branch.outbox.status(serial);
    expect((registered!.args as { treeSize: number }).treeSize).to.be.greaterThan(lostSize);
    await untilDone(next.loanId);
  });
});
