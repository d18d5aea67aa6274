// A node killed with SIGKILL right after it accepted a burst of repayments, before any of them
// reached the chain and before the anchor service committed their vouchers (mining paused, so
// neither can happen): after a restart every accepted repayment is on chain exactly once, and
// every voucher's evidence bundle is complete. The vouchers were anchored in shared submissions
// (common/anchor/coalesce.ts); what the node accepted it had a durable, signed receipt for and a
// durable outbox entry, and the rest follows on its own.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Interface, type JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { JOINT_LOAN_LEDGER_ABI } from "../../../common/chain/generated/abis.ts";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import { pagedLogs } from "../../../common/chain/logs.ts";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";
import { NodeApi } from "../../../nodes/client/node-api.ts";
import { startLocalConsortium, type LocalConsortium } from "../../../scripts/ops/local/consortium.ts";
import { openDisbursedLoan } from "../../support/faults/loans.ts";
import { until } from "../outbox/fixture.ts";

const EPHEMERAL = { chain: 0, anchor: 0, nodes: { union: 0, branchA: 0, branchB: 0, platform: 0, court: 0 } };
const BURST = 16;

describe("a node killed between accepting flows and their anchoring and sending", function () {
  this.timeout(600_000);
  let dataDir: string;
  let consortium: LocalConsortium;
  let provider: JsonRpcProvider;

  before(async function () {
    dataDir = await mkdtemp(path.join(tmpdir(), "volume-kill-"));
    consortium = await startLocalConsortium({ dataDir, ports: EPHEMERAL });
    provider = jsonRpcProvider(consortium.manifest.chain.rpcUrl);
  });

  after(async function () {
    provider?.destroy();
    await consortium?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** The anchor service's answer for a path (status and body). */
  const anchorGet = async (url: string) => {
    const reply = await fetch(new URL(url, consortium.manifest.anchor.url));
    return { status: reply.status, body: (await reply.json()) as Record<string, unknown> };
  };

  it("puts every accepted repayment on chain once and completes every voucher's bundle after a restart", async function () {
    const { manifest } = consortium;
    const { loanId } = await openDisbursedLoan(manifest, `VK${Date.now().toString(36).toUpperCase()}`);
    const branch = new NodeApi("branchB", manifest.nodes.branchB.url, manifest.nodes.branchB.tokens);
    const serials = Array.from({ length: BURST }, (_, i) => `RPY-VK-${Date.now().toString(36)}-${i}`);

    // the launcher's way: its periodic state dumps end by resuming mining, so they stop meanwhile
    const resumeMining = await consortium.pauseMining();
    let vouchers: string[];
    try {
      // all accepted at once: their vouchers anchored in shared submissions, their flows queued
      const accepted = await Promise.all(
        serials.map((serial) =>
          branch.post<{ voucher: string }>(`/v1/loans/${loanId}/repayments`, "clerk", {
            serial,
            amountFen: "100",
          }),
        ),
      );
      vouchers = accepted.map((a) => a.voucher);
      await consortium.kill("branchB");
      // neither the flows nor the vouchers' heads could be mined: the kill came before both
      for (const serial of serials)
        expect(await serialUsed(serial), `${serial} not on chain yet`).to.equal(false);
      for (const voucher of vouchers) {
        const { body } = await anchorGet(`/v1/digests/${voucher}`);
        const leaves = body.leaves as Array<{ leafHash: string; status: string }>;
        expect(leaves.map((l) => l.status)).to.deep.equal(["pending"]);
      }
    } finally {
      await resumeMining();
    }
    await consortium.restart("branchB");

    for (const serial of serials) await branch.confirmed(serial, 120_000);
    const booked = await repaymentsOnChain(loanId);
    for (const serial of serials) {
      const hash = keccak256(toUtf8Bytes(serial)).toLowerCase();
      expect(
        booked.filter((h) => h === hash),
        `${serial} booked once`,
      ).to.have.length(1);
    }
    for (const voucher of vouchers) {
      const { body } = await anchorGet(`/v1/digests/${voucher}`);
      const [leaf] = body.leaves as Array<{ leafHash: string }>;
      await until(
        async () => (await anchorGet(`/v1/bundles/${leaf!.leafHash}`)).status === 200,
        60_000,
        `the bundle of voucher ${voucher}`,
      );
    }
  });

  const ledger = new Interface(JOINT_LOAN_LEDGER_ABI);

  const serialUsed = (serial: string): Promise<boolean> =>
    JointLoanLedger.at(consortium.manifest.contracts.jointLoanLedger, provider).serialUsed(
      keccak256(toUtf8Bytes(serial)),
    );

  /** The serial hashes of the loan's RepaymentReceived events, one per event (a flow booked twice appears twice). */
  async function repaymentsOnChain(loanId: string): Promise<string[]> {
    const serials: string[] = [];
    const filter = {
      address: consortium.manifest.contracts.jointLoanLedger,
      topics: [ledger.getEvent("RepaymentReceived")!.topicHash, loanId.toLowerCase()],
    };
    const pages = pagedLogs(provider, filter, { fromBlock: 0, pageBlocks: 10_000 });
    for await (const page of pages)
      serials.push(...page.map((log) => String(ledger.parseLog(log)!.args.serial).toLowerCase()));
    return serials;
  }
});
