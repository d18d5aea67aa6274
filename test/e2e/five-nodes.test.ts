// Five institution nodes on one chain, end to end over real sockets: the local consortium
// (scripts/ops/local: Anvil, the anchor service and the union, branch A, branch B, platform and court
// nodes as child processes) started in a temp directory on ephemeral ports, and the three
// scenarios of scripts/demo driven over HTTP. Branch A is SIGKILLed while the joint loan's first
// installment's repayment is in flight from its outbox (mining paused) and restarted. Then: every
// node's index agrees with the chain and with every other node on every loan and fund flow, the
// funders' core-banking books reconcile with zero differences, the court got the documents and a
// ruling is on chain, every flow landed exactly once, and no borrower's name, ID number, phone or
// account number is in any transaction, any event or any service's log file.
import { expect } from "chai";
import { Contract, JsonRpcProvider, Wallet, hexlify, keccak256, toUtf8Bytes, id as topicOf } from "ethers";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { DISPUTE_RESOLUTION_ABI } from "../../common/chain/generated/abis.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { NODE_NAMES } from "../../scripts/ops/local/manifest.ts";
import { NodeApi, NodeApiError, type OutboxEntryView } from "../../nodes/client/node-api.ts";
import { runScenarios, type DemoResult } from "../../scripts/demo/scenarios.ts";
import { chainClockEnv, wallClock } from "../../scripts/demo/clock.ts";

const REPAYMENT_RECEIVED = topicOf("RepaymentReceived(bytes32,bytes32,bytes32,uint256,uint256,uint256)");
const FUNDS_DISBURSED = topicOf("FundsDisbursed(bytes32,uint32,uint256,bytes32,bytes32,bytes32)");

describe("five nodes end to end: joint, assisted and overdue loans; restart; index agreement; privacy", function () {
  this.timeout(600_000);
  let dir: string;
  let consortium: LocalConsortium;
  let provider: JsonRpcProvider;
  let result: DemoResult;
  let clockFile: string;
  const driverLog: string[] = [];
  /** Branch A's outbox entry of the joint loan's repayment at the moment it was killed. */
  let atKill: OutboxEntryView[] = [];

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "five-nodes-"));
    clockFile = join(dir, "chain-clock");
    const ephemeral = Object.fromEntries(NODE_NAMES.map((n) => [n, 0]));
    consortium = await startLocalConsortium({
      dataDir: dir,
      ports: { chain: 0, anchor: 0, nodes: ephemeral },
      // the services live in the chain's time, which the overdue scenario moves (this process too)
      env: chainClockEnv(clockFile),
    });
    provider = new JsonRpcProvider(consortium.manifest.chain.rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const branchA = new NodeApi(
      "branchA",
      consortium.manifest.nodes.branchA.url,
      consortium.manifest.nodes.branchA.tokens,
    );
    let resumeMining: (() => Promise<void>) | undefined;
    result = await runScenarios(consortium.manifest, {
      // this consortium is thrown away after the test: the overdue scenario may move its clock
      disposableChain: true,
      clockFile,
      log: (line) => void driverLog.push(line),
      hooks: {
        // mining paused (the launcher's dumps, which end by resuming it, stopped meanwhile): branch
        // A's sender gets the repayment in flight, not mined
        beforeRepayments: async () => void (resumeMining = await consortium.pauseMining()),
        repaymentsEnqueued: async ({ serials }) => {
          const deadline = Date.now() + 60_000;
          for (;;) {
            const first = await branchA.get<OutboxEntryView>(`/v1/outbox/${serials[0]}`);
            if (first.state === "sent") break;
            if (Date.now() > deadline)
              throw new Error(
                `branch A's repayment is still ${first.state} with mining paused: ${JSON.stringify(first)}`,
              );
            await new Promise((r) => setTimeout(r, 50));
          }
          atKill = await Promise.all(serials.map((s) => branchA.get<OutboxEntryView>(`/v1/outbox/${s}`)));
          await consortium.kill("branchA", "SIGKILL");
          // the transaction in flight is mined while branch A is down
          await resumeMining!();
          await provider.send("evm_mine", []);
          await consortium.restart("branchA");
        },
      },
    });
    console.log(
      `      scenario durations: ${result.scenarios.map((s) => `${s.id} ${(s.ms / 1000).toFixed(1)} s`).join(", ")} (joint includes branch A's kill and restart)`,
    );
  });

  after(async function () {
    provider?.destroy();
    await consortium?.stop();
    wallClock(clockFile);
    if (process.env.KEEP_E2E_DIR === undefined && dir !== undefined)
      await rm(dir, { recursive: true, force: true });
  });

  it("ran the three scenarios: joint loan partly repaid, assisted loan settled, the overdue loan ruled and closed, the mediated one adopted on chain and performed", function () {
    expect(
      result.scenarios.map((s) => s.id),
      driverLog.join("\n"),
    ).to.deep.equal(["joint", "assisted", "overdue"]);
    expect(result.joint.state).to.equal("Active");
    expect(result.joint.repaymentSerials.length).to.equal(1);
    expect(result.assisted.state).to.equal("Settled");
    expect("skipped" in result.overdue, JSON.stringify(result.overdue)).to.equal(false);
    const overdue = result.overdue as Exclude<DemoResult["overdue"], { skipped: string }>;
    expect(overdue.keeper.map((k) => k.stage)).to.deep.equal(["Reminder", "Mediation", "Arbitration"]);
    expect(overdue.keeper.every((k) => k.escalated)).to.equal(true);
    expect(overdue.keeper[0]!.remindersScheduled).to.be.greaterThan(0);
    expect(overdue.stage).to.equal("Closed");
    // mediation refused, then the court's complete package verified against the chain
    expect(overdue.mediation.status).to.equal("refused");
    expect(overdue.courtPackage.ok).to.equal(true);
    // every item passes every check, the chain's time checks included: the consortium lived in the chain's time
    expect(overdue.courtPackage.verdict).to.equal("verified");
    // the mediation records from branch A's node, which holds the case; reminders from the union's
    expect(overdue.courtPackage.roles).to.include.members([
      "contract",
      "consent",
      "voucher",
      "notice",
      "mediation",
      "decision",
      "credit-query",
    ]);
    // the second late loan: plan accepted at branch A, adopted on chain, its first installment paid
    // on the plan's due day; the keeper's next round took it nowhere near arbitration
    expect(overdue.mediation.node).to.equal("branchA");
    expect(overdue.mediated.status).to.equal("accepted");
    expect(overdue.mediated.stage).to.not.equal("Arbitration");
    expect(overdue.mediated.paidOn).to.equal(overdue.mediated.adopted.firstDueDate);
    expect(overdue.mediated.paidFen).to.equal(overdue.mediated.adopted.firstTotalFen);
    expect(overdue.mediated.adopted.installments).to.be.greaterThan(0);
  });

  it("recorded the court's ruling on chain, for the case of the overdue loan", async function () {
    const overdue = result.overdue as Exclude<DemoResult["overdue"], { skipped: string }>;
    const disputes = new Contract(
      consortium.manifest.contracts.disputeResolution,
      DISPUTE_RESOLUTION_ABI,
      provider,
    );
    const onChain = (await disputes.getFunction("caseOf")(overdue.loanId)) as {
      caseId: string;
      court: bigint;
      acceptedAt: bigint;
      closedAt: bigint;
      ruling: string;
    };
    expect(onChain.caseId).to.equal(overdue.caseId);
    expect(Number(onChain.court)).to.equal(consortium.manifest.nodes.court.memberId);
    expect(onChain.ruling).to.equal(overdue.ruling);
    expect(onChain.acceptedAt > 0n && onChain.closedAt > 0n).to.equal(true);
  });

  it("gave the court the case's documents, and refuses them to any node that is not the assigned court, and the court's request to any node it was not signed for", async function () {
    const overdue = result.overdue as Exclude<DemoResult["overdue"], { skipped: string }>;
    const m = consortium.manifest;
    expect(overdue.courtDocuments.map((d) => d.kind).sort()).to.deep.equal(["contract", "voucher"]);
    expect(overdue.courtDocuments.every((d) => d.from === m.nodes.branchA.memberId)).to.equal(true);
    const court = new NodeApi("court", m.nodes.court.url, m.nodes.court.tokens);
    const held = await court.get<{ documents: Array<{ kind: string; owner: number }> }>(
      `/v1/loans/${overdue.loanId}/documents`,
      "court-clerk",
    );
    expect(held.documents.map((d) => d.kind).sort()).to.deep.equal(["contract", "ruling", "voucher"]);
    expect(held.documents.every((d) => d.owner === m.nodes.court.memberId)).to.equal(true);
    // another member's node asking through its API …
    const branchB = new NodeApi("branchB", m.nodes.branchB.url, m.nodes.branchB.tokens);
    const refused = await branchB
      .post(`/v1/cases/${overdue.loanId}/document-fetches`, "admin")
      .catch((e: unknown) => e);
    expect((refused as NodeApiError).code).to.equal("NODE_ERR_WRONG_MEMBER_KIND");
    // … or signing the node-to-node request with its own chain key
    const password = (await readFile(join(dir, "keys", ".password"), "utf8")).trim();
    const key = async (name: string) =>
      Wallet.fromEncryptedJson(await readFile(join(dir, "keys", `${name}.json`), "utf8"), password);
    const domain = requestDomain(BigInt(m.chain.chainId), m.contracts.consortiumRegistry);
    const path = `/v1/cases/${overdue.loanId}/documents`;
    const headers = await signRequest(await key("platform"), domain, {
      method: "GET",
      path,
      body: "",
      target: m.nodes.branchA.memberId,
    });
    const response = await fetch(`${m.nodes.branchA.url}${path}`, { headers });
    expect(response.status).to.equal(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).to.equal("NODE_ERR_ROLE");
    // the court's own request, signed for branch A's node, is served by no other node
    const forBranchA = await signRequest(await key("court"), domain, {
      method: "GET",
      path,
      body: "",
      target: m.nodes.branchA.memberId,
    });
    for (const name of NODE_NAMES.filter((n) => n !== "branchA")) {
      const misdirected = await fetch(`${m.nodes[name].url}${path}`, { headers: forBranchA });
      expect(misdirected.status, name).to.equal(421);
      expect(((await misdirected.json()) as { error: { code: string } }).error.code, name).to.equal(
        "NODE_ERR_WRONG_TARGET",
      );
    }
  });

  it("every node's index agrees with every other node's and with the chain on every loan and fund flow", function () {
    const { chain, nodes } = result.digests;
    expect(chain.loans).to.equal(4);
    // joint: 2 disbursements + the first installment; assisted: 1 + 1 early settlement; overdue: 1
    // disbursement; the mediated loan: 1 disbursement + the plan's first installment
    expect(chain.flows).to.equal(8);
    for (const name of NODE_NAMES) {
      expect({ node: name, ...nodes[name] }, driverLog.join("\n")).to.deep.include({
        node: name,
        digest: chain.digest,
        loans: chain.loans,
        flows: chain.flows,
      });
      expect(nodes[name].cursor).to.be.at.least(chain.toBlock);
    }
    expect(result.digests.agree).to.equal(true);
  });

  it("reconciles each funder's core-banking books of the day on its own node with zero differences", function () {
    const byNode = new Map(result.reconciliations.map((r) => [r.node, r]));
    expect([...byNode.keys()].sort()).to.deep.equal(["branchA", "branchB", "platform"]);
    // branch A: 1 disbursement and the first installment of the joint loan, 1 disbursement of each
    // late loan; on the mediation day, the mediated loan's first plan installment
    expect(result.reconciliations.map((r) => [r.node, r.rows])).to.deep.include.members([
      ["branchA", 4],
      ["branchA", 1],
      ["platform", 1],
      ["branchB", 2],
    ]);
    for (const r of result.reconciliations)
      expect(r, JSON.stringify(r)).to.include({ balanced: true, matched: r.rows });
  });

  it("restart: branch A was killed with the joint loan's repayment in flight; it landed exactly once and its index caught up", async function () {
    expect(atKill.map((e) => e.state)).to.deep.equal(["sent"]);
    const branchA = new NodeApi(
      "branchA",
      consortium.manifest.nodes.branchA.url,
      consortium.manifest.nodes.branchA.tokens,
    );
    for (const serial of result.joint.repaymentSerials)
      expect((await branchA.get<OutboxEntryView>(`/v1/outbox/${serial}`)).state).to.equal("confirmed");
    const ledger = consortium.manifest.contracts.jointLoanLedger;
    // the repayment is announced as a RepaymentReceived of what it paid
    const logs = await provider.getLogs({
      address: ledger,
      topics: [REPAYMENT_RECEIVED, result.joint.loanId],
      fromBlock: consortium.manifest.contracts.deployBlock,
      toBlock: "latest",
    });
    const onChain = logs.map((l) => `0x${l.data.slice(2, 66)}`);
    expect(onChain.length).to.equal(1);
    expect([...onChain].sort()).to.deep.equal(
      result.joint.repaymentSerials.map((s) => keccak256(toUtf8Bytes(s))).sort(),
    );
    const disbursed = await provider.getLogs({
      address: ledger,
      topics: [FUNDS_DISBURSED, result.joint.loanId],
      fromBlock: consortium.manifest.contracts.deployBlock,
      toBlock: "latest",
    });
    expect(disbursed.length).to.equal(2);
    const loan = await branchA.get<{ state: string; principalRepaidFen: string; principalFen: string }>(
      `/v1/loans/${result.joint.loanId}`,
    );
    expect(loan.state).to.equal("Active");
    expect(BigInt(loan.principalRepaidFen) > 0n).to.equal(true);
    expect(BigInt(loan.principalRepaidFen) < BigInt(loan.principalFen)).to.equal(true);
  });

  it("leaves no borrower name, ID number, phone or account number in any transaction, any event or any service's log", async function () {
    const needles = result.personalData;
    expect(needles.length).to.equal(4 * result.borrowers.length);
    expect(result.borrowers.length).to.equal(4);
    const hexNeedles = needles.map((p) => hexlify(toUtf8Bytes(p)).slice(2).toLowerCase());
    const haystack: Array<{ where: string; text: string }> = [];
    const head = await provider.getBlockNumber();
    let transactions = 0;
    for (let n = 0; n <= head; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) {
        transactions++;
        haystack.push({ where: `calldata of ${tx.hash}`, text: tx.data.toLowerCase() });
        const receipt = await provider.getTransactionReceipt(tx.hash);
        for (const log of receipt!.logs)
          haystack.push({
            where: `event in ${tx.hash}`,
            text: [...log.topics, log.data].join("").toLowerCase(),
          });
      }
    }
    const logsDir = join(dir, "logs");
    const logFiles = await readdir(logsDir);
    expect(logFiles.sort()).to.include.members(["anchor.log", ...NODE_NAMES.map((n) => `${n}.log`)]);
    for (const file of logFiles)
      haystack.push({ where: `logs/${file}`, text: await readFile(join(logsDir, file), "utf8") });
    // deployment, governance, registrations, anchors and the scenarios' flows: a chain worth searching
    expect(transactions).to.be.greaterThan(40);
    for (const { where, text } of haystack) {
      needles.forEach((p, i) => {
        if (text.includes(p) || text.includes(hexNeedles[i]!))
          expect.fail(
            `personal data (${i % 4 === 0 ? "name" : i % 4 === 1 ? "ID number" : i % 4 === 2 ? "phone" : "account"}) found in ${where}`,
          );
      });
    }
  });
});
