// The overdue road through the nodes' API with app.inject(), over a real chain (Anvil), a real
// anchor service and three in-process nodes (branch A, the union, the court; the branch listens
// on a port so the court's node can fetch from it): a keeper round on request escalates an
// overdue loan through the outbox, the union assigns the court, the court fetches and stores the
// case's documents, accepts, records a ruling and closes the case. Every refusal has its code.
// The nodes' index digests agree with each other and with the digest computed from the chain.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { JsonRpcProvider, Wallet } from "ethers";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import type { NodeConfig } from "../../nodes/src/config.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { chainLedgerDigest } from "../../scripts/demo/chain-digest.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { approveAssistedLoan, apiAs, bearerAs, SETTLEMENT } from "../support/institution-node.ts";

const TOKENS = {
  clerk: "clerk-token",
  approver: "approver-token",
  admin: "admin-token",
  "court-clerk": "court-clerk-token",
} as const;
const NOW = () => new Date("2026-11-22T02:05:30Z");

type Reply = { statusCode: number; body: string; json(): unknown };
const code = (r: Reply) => (r.json() as { error?: { code: string } }).error?.code;

describe("arbitration case through the nodes' API (inject): keeper, court assignment, documents, ruling", function () {
  this.timeout(180_000);
  const suite = lendingSuite("case-api-");
  let branch: NodeService;
  let union: NodeService;
  let court: NodeService;
  let loanId: string;
  let firstDueDay: number;
  let startDate: string;
  let baseConfig: NodeConfig;
  const contract = Buffer.from("借款合同 — signed PDF bytes of the case test");
  const as = bearerAs(TOKENS);
  const api = apiAs(as);
  /** A node-to-node GET of `path` signed by `wallet` for branch A's node. */
  const signedGetForBranch = (wallet: Wallet, path: string) =>
    signRequest(
      wallet,
      requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry),
      { method: "GET", path, body: "", target: MEMBERS.branchA },
    );

  before(async function () {
    const base = await suite.config({ tokens: TOKENS, overrides: { dataDir: join(suite.dir, "branch") } });
    const start = async (config: NodeConfig, wallet: typeof suite.chain.wallets.branchA) => {
      const node = await suite.node({ config, wallet, now: NOW });
      node.sender.start();
      return node;
    };
    baseConfig = base;
    branch = await start(base, suite.chain.wallets.branchA);
    const branchUrl = await branch.app.listen({ host: "127.0.0.1", port: 0 });
    union = await start(
      { ...base, memberId: MEMBERS.union, memberKind: "union", dataDir: join(suite.dir, "union") },
      suite.chain.wallets.unionOps,
    );
    court = await start(
      {
        ...base,
        memberId: MEMBERS.court,
        memberKind: "court",
        dataDir: join(suite.dir, "court"),
        directory: { [String(MEMBERS.branchA)]: branchUrl },
      },
      suite.chain.wallets.court,
    );
  });

  async function waitConfirmed(node: NodeService, serial: string): Promise<void> {
    const entry = await node.outbox.settled(serial, 30_000);
    if (entry.state !== "confirmed")
      throw new Error(`${serial} is ${entry.state}: ${JSON.stringify(entry.failure ?? entry.lastError)}`);
  }

  async function syncAll(): Promise<void> {
    for (const node of [branch, union, court]) await node.indexer.syncOnce();
  }

  /** Chain time to 10:00 Beijing on `daysAfterDue` days after the first due day. */
  async function travel(daysAfterDue: number): Promise<void> {
    await suite.travelTo((firstDueDay + daysAfterDue) * 86_400 - 8 * 3600 + 10 * 3600);
  }

  it("registers and disburses an assisted loan at the branch (setting the scene)", async function () {
    const opened = await approveAssistedLoan(branch, suite.chain, as, { letter: "授权书", contract });
    startDate = opened.startDate;
    const approved = opened.approved;
    expect(approved.statusCode, approved.body).to.equal(200);
    const body = approved.json() as { loanId: string; serial: string; schedule: Array<{ dueDay: number }> };
    loanId = body.loanId;
    firstDueDay = body.schedule[0]!.dueDay;
    await waitConfirmed(branch, body.serial);
    const disbursed = await api(branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
      serial: "CASE-DSB-1",
      amountFen: "5000000",
      accountHash: SETTLEMENT,
    });
    expect(disbursed.statusCode, disbursed.body).to.equal(200);
    await waitConfirmed(branch, "CASE-DSB-1");
  });

  it("reconciles only the member's own side of the day: the branch misses its disbursement, the union has nothing to match", async function () {
    await syncAll();
    const header = "serial,loan_id,type,amount,value_date,account_masked\n";
    const reconcile = (node: NodeService, books: string) =>
      node.app.inject({
        method: "POST",
        url: `/v1/reconciliations?day=${startDate}`,
        headers: { ...as("clerk"), "content-type": "text/csv" },
        payload: books,
      });
    const atUnion = (await reconcile(union, header)).json() as { chainFlows: number; balanced: boolean };
    expect(atUnion).to.include({ chainFlows: 0, balanced: true });
    const empty = (await reconcile(branch, header)).json() as {
      missingInBooks: Array<{ serial: string }>;
      balanced: boolean;
    };
    expect(empty.balanced).to.equal(false);
    expect(empty.missingInBooks.length).to.equal(1);
    const full = (
      await reconcile(
        branch,
        `${header}CASE-DSB-1,${loanId},disbursement,50000.00,${startDate},**** **** **** 6789\n`,
      )
    ).json() as { matched: number; balanced: boolean };
    expect(full).to.include({ matched: 1, balanced: true });
  });

  it("runs a keeper round on request (admin only): 4 days late → Reminder, 16 days late → mediation opened, refused → Arbitration, through the outbox", async function () {
    await travel(4);
    await branch.indexer.syncOnce();
    const clerk = await api(branch, "clerk", "POST", "/v1/keeper/rounds");
    expect(clerk.statusCode).to.equal(403);
    expect(code(clerk)).to.equal("NODE_ERR_ROLE");
    const round = await api(branch, "admin", "POST", "/v1/keeper/rounds");
    expect(round.statusCode, round.body).to.equal(200);
    expect(round.json()).to.deep.include({ checked: 1, escalated: [loanId], remindersScheduled: 1 });
    const escalation = (await branch.outbox.list()).find((e) => e.kind === "escalate");
    expect(escalation?.state).to.equal("confirmed");
    let view = (await api(union, "clerk", "GET", `/v1/cases/${loanId}`)).json() as {
      stage: string;
      caseId: string | null;
    };
    expect(view.stage).to.equal("Reminder");
    expect(view.caseId).to.equal(null);

    // the union cannot assign a court before arbitration
    const early = await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, { court: MEMBERS.court });
    expect(early.statusCode).to.equal(409);
    expect(code(early)).to.equal("NODE_ERR_CASE_STAGE");

    await travel(16);
    await branch.indexer.syncOnce();
    // it never stood at mediation: the round opens its case and arbitration waits for the answer
    const held = (await api(branch, "admin", "POST", "/v1/keeper/rounds")).json() as {
      escalated: string[];
      mediationsOpened: string[];
    };
    expect(held).to.deep.include({ escalated: [], mediationsOpened: [loanId] });
    const refusal = await api(branch, "approver", "POST", `/v1/loans/${loanId}/mediation/refusal`);
    expect(refusal.statusCode, refusal.body).to.equal(200);
    const second = (await api(branch, "admin", "POST", "/v1/keeper/rounds")).json() as {
      escalated: string[];
    };
    expect(second.escalated).to.deep.equal([loanId]);
    // nothing more to do: a second round escalates nothing
    await branch.indexer.syncOnce();
    expect(
      ((await api(branch, "admin", "POST", "/v1/keeper/rounds")).json() as { escalated: string[] }).escalated,
    ).to.deep.equal([]);
    view = (await api(union, "clerk", "GET", `/v1/cases/${loanId}`)).json() as {
      stage: string;
      caseId: string | null;
    };
    expect(view.stage).to.equal("Arbitration");
    expect(view.caseId).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("runs the nightly post-loan batch on request (admin only) and lists the overdue loan as an early warning, JSON and CSV", async function () {
    const clerk = await branch.app.inject({
      method: "POST",
      url: "/v1/post-loan/runs/n1",
      headers: as("clerk"),
    });
    expect(clerk.statusCode).to.equal(403);
    const run = await branch.app.inject({
      method: "POST",
      url: "/v1/post-loan/runs/n1",
      headers: as("admin"),
    });
    expect(run.statusCode, run.body).to.equal(200);
    expect(run.json()).to.deep.include({
      scanned: 1,
      warnings: { red: 0, orange: 1, yellow: 0 },
      resumed: 0,
    });
    const list = (
      await branch.app.inject({
        method: "GET",
        url: "/v1/post-loan/runs/n1/warnings",
        headers: as("approver"),
      })
    ).json() as { warnings: Array<{ loanId: string; level: string; daysPastDue: number }> };
    expect(list.warnings.map((w) => [w.loanId, w.level])).to.deep.equal([[loanId, "orange"]]);
    const csv = await branch.app.inject({
      method: "GET",
      url: "/v1/post-loan/runs/n1/warnings.csv",
      headers: as("approver"),
    });
    expect(csv.headers["content-type"]).to.match(/^text\/csv/);
    expect(csv.body).to.contain(`${loanId},${MEMBERS.branchA},orange,`);
    const bad = await branch.app.inject({
      method: "POST",
      url: "/v1/post-loan/runs/a%20b",
      headers: as("admin"),
    });
    expect(code(bad)).to.equal("NODE_ERR_VALIDATION");
  });

  it("refuses court steps by the wrong member, before assignment, or with bad input", async function () {
    const byBranch = await api(branch, "admin", "POST", `/v1/cases/${loanId}/court`, {
      court: MEMBERS.court,
    });
    expect(code(byBranch)).to.equal("NODE_ERR_WRONG_MEMBER_KIND");
    const notACourt = await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, {
      court: MEMBERS.branchB,
    });
    expect(notACourt.statusCode).to.equal(409);
    expect(code(notACourt)).to.equal("NODE_ERR_WRONG_MEMBER_KIND");
    const badBody = await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, { court: "five" });
    expect(badBody.statusCode).to.equal(400);
    expect(code(badBody)).to.equal("NODE_ERR_VALIDATION");
    const clerk = await api(union, "clerk", "POST", `/v1/cases/${loanId}/court`, { court: MEMBERS.court });
    expect(code(clerk)).to.equal("NODE_ERR_ROLE");
    const unknown = await api(union, "clerk", "GET", `/v1/cases/0x${"ab".repeat(32)}`);
    expect(unknown.statusCode).to.equal(404);
    expect(code(unknown)).to.equal("NODE_ERR_UNKNOWN_LOAN");
    for (const step of ["document-fetches", "acceptance", "closure"]) {
      const r = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/${step}`);
      expect(r.statusCode, step).to.equal(409);
      expect(code(r), step).to.equal("NODE_ERR_CASE_NOT_ASSIGNED");
    }
    const branchAccepts = await api(branch, "court-clerk", "POST", `/v1/cases/${loanId}/acceptance`);
    expect(code(branchAccepts)).to.equal("NODE_ERR_WRONG_MEMBER_KIND");
    const noRuling = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/ruling`, {
      rulingBase64: "not base64!",
    });
    expect(code(noRuling)).to.equal("NODE_ERR_VALIDATION");
  });

  it("the union assigns the court; the court fetches the documents from the branch's node and keeps encrypted copies", async function () {
    const assigned = await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, { court: MEMBERS.court });
    expect(assigned.statusCode, assigned.body).to.equal(200);
    const { outbox } = assigned.json() as { outbox: { serial: string } };
    await waitConfirmed(union, outbox.serial);
    // its serial (longer than a fund flow's) reads back through the outbox route
    const state = await api(union, "clerk", "GET", `/v1/outbox/${encodeURIComponent(outbox.serial)}`);
    expect(state.json() as { kind: string; state: string }, state.body).to.include({
      kind: "assignCourt",
      state: "confirmed",
    });
    // the same request again is the same outbox entry
    expect(
      (
        (await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, { court: MEMBERS.court })).json() as {
          outbox: { serial: string; state: string };
        }
      ).outbox,
    ).to.include({ serial: outbox.serial, state: "confirmed" });
    await syncAll();
    const fetched = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/document-fetches`);
    expect(fetched.statusCode, fetched.body).to.equal(200);
    const result = fetched.json() as {
      stored: Array<{ documentId: string; kind: string; sha256: string; from: number }>;
      sources: Array<{ member: number; documents?: number }>;
    };
    expect(result.stored.map((d) => d.kind).sort()).to.deep.equal(["contract", "voucher"]);
    expect(result.sources).to.deep.equal([{ member: MEMBERS.branchA, documents: 2 }]);
    const contractCopy = result.stored.find((d) => d.kind === "contract")!;
    expect(contractCopy.sha256).to.equal(`0x${createHash("sha256").update(contract).digest("hex")}`);
    // the court's own copy, listed and readable by its clerk (the read is logged)
    const listed = (await api(court, "court-clerk", "GET", `/v1/loans/${loanId}/documents`)).json() as {
      documents: Array<{ documentId: string; owner: number; caseId: string }>;
    };
    expect(listed.documents.map((d) => d.documentId).sort()).to.deep.equal(
      result.stored.map((d) => d.documentId).sort(),
    );
    expect(listed.documents.every((d) => d.owner === MEMBERS.court)).to.equal(true);
    const read = await api(
      court,
      "court-clerk",
      "GET",
      `/v1/documents/${contractCopy.documentId}?purpose=arbitration`,
    );
    expect(read.statusCode).to.equal(200);
    expect(Buffer.from(read.rawPayload).equals(contract)).to.equal(true);
    expect(
      (await court.documents.accessLog({ documentId: contractCopy.documentId })).map((e) => e.outcome),
    ).to.deep.equal(["granted"]);
    // fetching again stores nothing twice
    const again = (
      await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/document-fetches`)
    ).json() as { stored: unknown[] };
    expect(again.stored).to.deep.equal([]);
    // the union's node, not the assigned court, cannot take the case's documents from the branch
    const path = `/v1/cases/${loanId}/documents`;
    const headers = await signedGetForBranch(suite.chain.wallets.unionOps, path);
    expect(code(await branch.app.inject({ method: "GET", url: path, headers }))).to.equal("NODE_ERR_ROLE");
    // the assigned court's own request, signed for branch A's node, is not served by the union's node
    const courtForBranch = await signedGetForBranch(suite.chain.wallets.court, path);
    const misdirected = await union.app.inject({ method: "GET", url: path, headers: courtForBranch });
    expect(misdirected.statusCode).to.equal(421);
    expect(code(misdirected)).to.equal("NODE_ERR_WRONG_TARGET");
  });

  it("the court's package: the branch's evidence set, each original against its bundle, together the loan's evidence chain on chain", async function () {
    const clerk = await api(court, "clerk", "POST", `/v1/cases/${loanId}/package-checks`);
    expect(clerk.statusCode).to.equal(403);
    let check: {
      ok: boolean;
      verdict?: string;
      from: number;
      evidenceChain: { matches: boolean };
      items: Array<{ role: string; outcome: string; reason: string }>;
      missing: unknown[];
      application?: { matches: boolean } | null;
    } = { ok: false, from: 0, evidenceChain: { matches: false }, items: [], missing: [] };
    // the anchor service gives a leaf's bundle once its head is committed on chain
    await suite.anchor.committer.runOnce();
    for (let attempt = 0; attempt < 40 && !check.ok; attempt++) {
      const reply = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/package-checks`);
      expect(reply.statusCode, reply.body).to.equal(200);
      check = reply.json() as typeof check;
      if (!check.ok) await new Promise((r) => setTimeout(r, 250));
    }
    expect(check.from).to.equal(MEMBERS.branchA);
    expect(check.missing, JSON.stringify(check)).to.deep.equal([]);
    expect(check.evidenceChain.matches).to.equal(true);
    expect(check.items.map((i) => i.role)).to.include.members([
      "contract",
      "consent",
      "voucher",
      "notice",
      "decision",
      "credit-query",
    ]);
    expect(check.application).to.include({ matches: true });
    const notVerified = check.items.filter((i) => i.outcome !== "verified");
    expect(notVerified, JSON.stringify(notVerified)).to.deep.equal([]);
    expect(check.ok, JSON.stringify(check)).to.equal(true);
    expect(check.verdict).to.equal("verified");
    // the evidence set is the assigned court's only: the union's signed request is refused
    const path = `/v1/cases/${loanId}/evidence-set`;
    const headers = await signedGetForBranch(suite.chain.wallets.unionOps, path);
    expect(code(await branch.app.inject({ method: "GET", url: path, headers }))).to.equal("NODE_ERR_ROLE");
  });

  it("reports a member's node that cannot be reached (503) or refuses (502), with each source's code", async function () {
    const { freePort } = await import("../support/anvil.ts");
    const tryWith = async (url: string) => {
      // the same court member, with another directory entry for branch A
      const other = await createNodeService({
        config: {
          ...baseConfig,
          memberId: MEMBERS.court,
          memberKind: "court",
          dataDir: join(suite.dir, "court-other"),
          directory: { [String(MEMBERS.branchA)]: url },
        },
        inMemory: true,
        logger: false,
        wallet: suite.chain.wallets.court,
        now: NOW,
      });
      try {
        await other.indexer.syncOnce();
        return await api(other, "court-clerk", "POST", `/v1/cases/${loanId}/document-fetches`);
      } finally {
        await other.close();
      }
    };
    const dead = await tryWith(`http://127.0.0.1:${await freePort()}`);
    expect(dead.statusCode).to.equal(503);
    expect(dead.json()).to.deep.include({
      error: {
        code: "NODE_ERR_PEER_UNAVAILABLE",
        message: (dead.json() as { error: { message: string } }).error.message,
        details: [{ member: MEMBERS.branchA, error: "NODE_ERR_PEER_UNAVAILABLE" }],
      },
    });
    // the anchor service is no member's node: it answers 404 to the case route
    const wrong = await tryWith(suite.anchorUrl);
    expect(wrong.statusCode).to.equal(502);
    expect(code(wrong)).to.equal("NODE_ERR_PEER_REFUSED");
  });

  it("the court accepts, records a ruling (stored, anchored, its digest on chain) and closes the case", async function () {
    const ruling = Buffer.from("(2026)浙0192民初1234号 判决书 — ruling PDF bytes");
    const tooEarly = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/ruling`, {
      rulingBase64: ruling.toString("base64"),
    });
    expect(code(tooEarly)).to.equal("NODE_ERR_CASE_STAGE");
    const accepted = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/acceptance`);
    expect(accepted.statusCode, accepted.body).to.equal(200);
    await waitConfirmed(court, (accepted.json() as { outbox: { serial: string } }).outbox.serial);
    const ruled = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/ruling`, {
      rulingBase64: ruling.toString("base64"),
    });
    expect(ruled.statusCode, ruled.body).to.equal(200);
    const r = ruled.json() as {
      ruling: string;
      leafHash: string;
      documentId: string;
      outbox: { serial: string };
    };
    expect(r.ruling).to.equal(`0x${createHash("sha256").update(ruling).digest("hex")}`);
    expect(
      (await suite.anchor.app.inject({ method: "GET", url: `/v1/leaves/${r.leafHash}` })).statusCode,
    ).to.equal(200);
    await waitConfirmed(court, r.outbox.serial);
    const other = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/ruling`, {
      rulingBase64: Buffer.from("another ruling").toString("base64"),
    });
    expect(code(other)).to.equal("NODE_ERR_CASE_STAGE");
    const closed = await api(court, "court-clerk", "POST", `/v1/cases/${loanId}/closure`);
    expect(closed.statusCode, closed.body).to.equal(200);
    await waitConfirmed(court, (closed.json() as { outbox: { serial: string } }).outbox.serial);
    await syncAll();
    const view = (await api(branch, "clerk", "GET", `/v1/cases/${loanId}`)).json() as {
      stage: string;
      court: number;
      ruling: string;
      acceptedAt: number;
      closedAt: number;
      history: Array<{ stage: string }>;
    };
    expect(view).to.include({ stage: "Closed", court: MEMBERS.court, ruling: r.ruling });
    expect(view.acceptedAt).to.be.a("number");
    expect(view.closedAt).to.be.a("number");
    expect(view.history.map((h) => h.stage)).to.deep.equal([
      "Reminder",
      "Mediation",
      "Arbitration",
      "Accepted",
      "Ruled",
      "Closed",
    ]);
    const indexed = await branch.indexer.model.caseOf(loanId);
    expect(indexed).to.include({ court: MEMBERS.court, ruling: r.ruling });
  });

  it("every node's index digest agrees with the others and with the digest computed from the chain", async function () {
    await syncAll();
    const digests = [];
    for (const node of [branch, union, court]) {
      const reply = await api(node, "clerk", "GET", "/v1/index/digest");
      expect(reply.statusCode, reply.body).to.equal(200);
      digests.push(
        reply.json() as { digest: string; loans: number; flows: number; cursor: { blockNumber: number } },
      );
    }
    const fromChain = await chainLedgerDigest(
      suite.chain.anvil.provider,
      suite.lending.addresses.jointLoanLedger,
      suite.chain.deployment.blockNumber,
      { toBlock: digests[0]!.cursor.blockNumber },
    );
    expect(fromChain.loans).to.equal(1);
    expect(fromChain.flows).to.equal(1);
    for (const d of digests)
      expect({ digest: d.digest, loans: d.loans, flows: d.flows }).to.deep.equal({
        digest: fromChain.digest,
        loans: 1,
        flows: 1,
      });
    const anonymous = await court.app.inject({ method: "GET", url: "/v1/index/digest" });
    expect(code(anonymous)).to.equal("NODE_ERR_AUTH");
  });

  it("a digest that follows the head passes a chain that drops its block's state while the views are read", async function () {
    const base = suite.chain.anvil.provider;
    const ledger = suite.lending.addresses.jointLoanLedger;
    const from = suite.chain.deployment.blockNumber;
    const toBlock = await base.getBlockNumber();
    const expected = await chainLedgerDigest(base, ledger, from, { toBlock });
    // a node keeping only its head's state, with a block mined as the first view is read
    let mined = false;
    const pruned = new Proxy(base, {
      get(target, prop) {
        if (prop === "call")
          return async (tx: Parameters<JsonRpcProvider["call"]>[0]) => {
            if (!mined) {
              mined = true;
              await target.send("evm_mine", []);
            }
            if (typeof tx.blockTag === "number" && tx.blockTag < (await target.getBlockNumber()))
              throw new Error("missing trie node");
            return target.call(tx);
          };
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const refused = await chainLedgerDigest(pruned, ledger, from, { toBlock }).then(
      () => "read",
      (e: Error) => e.message,
    );
    expect(refused).to.include("missing trie node");
    mined = false;
    const followed = await chainLedgerDigest(pruned, ledger, from, { toBlock, followHead: true });
    expect(followed.toBlock).to.equal(toBlock + 2);
    expect({ digest: followed.digest, loans: followed.loans, flows: followed.flows }).to.deep.equal({
      digest: expected.digest,
      loans: 1,
      flows: 1,
    });
  });
});
