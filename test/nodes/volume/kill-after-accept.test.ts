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
import { Interface, JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { JOINT_LOAN_LEDGER_ABI } from "../../../common/chain/generated/abis.ts";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
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
    provider = new JsonRpcProvider(consortium.manifest.chain.rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
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

    await provider.send("evm_setAutomine", [false]);
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
      await provider.send("evm_setAutomine", [true]);
    }
    await consortium.restart("branchB");

    for (const serial of serials) await branch.confirmed(serial, 120_000);
    const counted = await repaymentsOnChain(loanId);
    expect(serials.map((s) => counted.get(keccak256(toUtf8Bytes(s)).toLowerCase()) ?? 0)).to.deep.equal(
      serials.map(() => 1),
    );
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

  /** RepaymentReceived events of the loan, counted by serial hash. */
  async function repaymentsOnChain(loanId: string): Promise<Map<string, number>> {
    const event = ledger.getEvent("RepaymentReceived")!;
    const logs = await provider.getLogs({
      address: consortium.manifest.contracts.jointLoanLedger,
      topics: [event.topicHash, loanId.toLowerCase()],
      fromBlock: 0,
      toBlock: "latest",
    });
    const bySerial = new Map<string, number>();
    for (const log of logs) {
      const serial = String(ledger.parseLog(log)!.args.serial).toLowerCase();
      bySerial.set(serial, (bySerial.get(serial) ?? 0) + 1);
    }
    return bySerial;
  }
});
