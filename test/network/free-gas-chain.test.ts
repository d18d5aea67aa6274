// The services on a chain that behaves like the consortium's Besu network: Anvil as a free-gas
// chain (base fee 0, gas price 0, no minimum tip) behind a proxy that enforces what Besu enforces
// (no eth_sendTransaction, eth_getLogs over at most 3 blocks, no gas price above 0), with the
// services' accounts holding no ether at all. The anchor service submits, anchors, bundles and
// verifies; a branch's node registers, disburses and repays a loan, each installment on its due
// day (the chain's clock moved there), until it is settled, its
// indexer paging 3 blocks at a time. Every transaction on the chain paid gas price 0, and no call
// broke a rule.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, type Wallet } from "ethers";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import { overall, verifyOffline, verifyOnline } from "../../common/formats/bundle/verify.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import {
  BESU_ERRORS,
  startBesuRulesProxy,
  type BesuRulesProxy,
} from "../../scripts/ops/network/besu-rules-proxy.ts";
import { recordFor, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";
import { verdictAt } from "../support/anchor-suite.ts";
import {
  approveAssistedLoan,
  bearerAs,
  branchNodeConfig,
  deployBranchALending,
  SETTLEMENT,
} from "../support/institution-node.ts";

const MAX_LOGS_RANGE = 3;
const FREE_GAS = ["--base-fee", "0", "--gas-price", "0", "--disable-min-priority-fee"];
const TOKENS = { clerk: "free-gas-clerk", approver: "free-gas-approver" } as const;

describe("services on a free-gas chain with Besu's RPC rules (Anvil behind a rule-enforcing proxy)", function () {
  this.timeout(180_000);
  let chain: ConsortiumChain;
  let proxy: BesuRulesProxy;
  let proxied: JsonRpcProvider;
  let anchor: AnchorService;
  let anchorUrl: string;
  let node: NodeService;
  let dir: string;
  let deployBlock: number;
  const as = bearerAs(TOKENS);
  const rpc = (method: string, params: unknown[] = []) => chain.anvil.provider.send(method, params);

  before(async function () {
    chain = await startConsortiumChain({ anvilArgs: FREE_GAS });
    deployBlock = chain.deployment.blockNumber;
    const lending = await deployBranchALending(chain);
    // on the Besu network nobody holds ether: take it all away from every account the test uses
    for (const wallet of Object.values(chain.wallets)) await rpc("anvil_setBalance", [wallet.address, "0x0"]);

    proxy = await startBesuRulesProxy({ upstream: chain.anvil.url, maxLogsRange: MAX_LOGS_RANGE });
    proxied = new JsonRpcProvider(proxy.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    dir = await mkdtemp(join(tmpdir(), "free-gas-"));
    anchor = await createAnchorService({
      config: chain.config({
        dataDir: join(dir, "anchor"),
        rpcUrl: proxy.url,
        logPageBlocks: MAX_LOGS_RANGE,
        confirmations: 0,
      }),
      logger: false,
    });
    await anchor.start();
    anchorUrl = await anchor.app.listen({ host: "127.0.0.1", port: 0 });

    const config = await branchNodeConfig(chain, lending, {
      dir,
      anchorUrl,
      tokens: TOKENS,
      overrides: { rpcUrl: proxy.url, deployBlock, logPageBlocks: MAX_LOGS_RANGE, indexerPollMs: 100 },
    });
    node = await createNodeService({
      config,
      logger: false,
      wallet: chain.wallets.branchA,
      now: () => new Date("2026-11-22T02:05:30Z"),
    });
    await node.start();
  });

  after(async function () {
    await node?.close();
    await anchor?.close();
    proxied?.destroy();
    await proxy?.close();
    await chain?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("the proxy refuses what Besu refuses", async function () {
    const call = async (method: string, params: unknown[]) =>
      (await (
        await fetch(proxy.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
        })
      ).json()) as { error?: { code: number } };
    const { deployer } = chain.wallets;
    expect(
      (await call("eth_sendTransaction", [{ from: deployer.address, to: deployer.address }])).error?.code,
    ).to.equal(BESU_ERRORS.sendTransaction.code);
    expect(
      (await call("eth_getLogs", [{ fromBlock: "0x0", toBlock: `0x${MAX_LOGS_RANGE.toString(16)}` }])).error
        ?.code,
    ).to.equal(BESU_ERRORS.logRange.code);
    expect(
      (await call("eth_getLogs", [{ fromBlock: "0x1", toBlock: `0x${MAX_LOGS_RANGE.toString(16)}` }])).error,
    ).to.equal(undefined);
    const paying = await (chain.wallets.outsider as Wallet).signTransaction({
      to: deployer.address,
      gasLimit: 21_000,
      gasPrice: 1n,
      nonce: 0,
      chainId: chain.chainId,
    });
    expect((await call("eth_sendRawTransaction", [paying])).error?.code).to.equal(
      BESU_ERRORS.upfrontCost.code,
    );
    // the rule checks above are not held against the services below
    proxy.calls.length = 0;
    proxy.logRanges.length = 0;
    proxy.logBlockHashes.length = 0;
    proxy.transactions.length = 0;
  });

  it("the anchor service submits, anchors on chain, serves a bundle, and verifies it offline, online and over HTTP", async function () {
    const records = ["loan contract FG-0001", "consent FG-0001", "voucher FG-0001"].map((d) => recordFor(d));
    const body = JSON.stringify({ records });
    const signed = await fetch(`${anchorUrl}/v1/leaves`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await chain.sign(chain.wallets.branchA, body)) },
      body,
    });
    expect(signed.status, await signed.clone().text()).to.equal(200);
    const { receipts } = (await signed.json()) as { receipts: Receipt[] };
    await waitFor(
      async () =>
        (
          (await (await fetch(`${anchorUrl}/v1/leaves/${receipts[2]!.leafHash}`)).json()) as {
            status: string;
          }
        ).status === "anchored",
      "leaf anchored",
    );
    const bundle = parseBundle(
      await (await fetch(`${anchorUrl}/v1/bundles/${receipts[0]!.leafHash}`)).json(),
    );
    const digest = records[0]!.digest;
    expect(
      verifyOffline(bundle, { documentDigest: digest }).filter((c) => c.outcome === "fail"),
    ).to.deep.equal([]);
    const trustAnchor = await readTrustAnchor(chain.anvil.provider, {
      consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
      name: "test consortium",
    });
    const online = await verifyOnline(bundle, { trustAnchor, providers: [proxied], documentDigest: digest });
    expect(overall(online), JSON.stringify(online)).to.equal("pass");
    expect(await verdictAt(anchorUrl, bundle, digest)).to.equal("pass");
    expect(
      await chain.anvil.provider.getBalance(chain.wallets.anchor.address),
      "the operator paid nothing",
    ).to.equal(0n);
  });

  it("a branch's node takes a loan from application to settled; its indexer pages 3 blocks at a time", async function () {
    const { approved } = await approveAssistedLoan(node, chain, as, {
      letter: "授权书 free gas",
      contract: "借款合同 free gas",
      applicationUrl: "/v1/applications/jiedaibao",
    });
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId, serial, schedule } = approved.json() as {
      loanId: string;
      serial: string;
      schedule: Array<{ dueDay: number; totalFen: string }>;
    };
    await waitConfirmed(serial);
    // empty blocks between the loan's events: the indexer must page across them
    await rpc("anvil_mine", ["0x7"]);
    const disbursed = await node.app.inject({
      method: "POST",
      url: `/v1/loans/${loanId}/disbursements`,
      headers: as("clerk"),
      payload: { serial: "FG-DSB-1", amountFen: "5000000", accountHash: SETTLEMENT },
    });
    expect(disbursed.statusCode, disbursed.body).to.equal(200);
    await waitConfirmed("FG-DSB-1");
    await rpc("anvil_mine", ["0x5"]);
    // the borrower pays each installment on its due day (this disposable chain's clock moved
    // there): paid on time it costs nothing under the all-in cap, unlike paying the schedule ahead
    for (const [k, installment] of schedule.entries()) {
      const dueAt = installment.dueDay * 86_400 - 8 * 3600 + 10 * 3600; // 10:00 Beijing time
      const now = (await chain.anvil.provider.getBlock("latest"))!.timestamp;
      if (dueAt > now) await rpc("evm_increaseTime", [dueAt - now]);
      await rpc("evm_mine");
      const serial = `FG-RPY-${k + 1}`;
      const paid = await node.app.inject({
        method: "POST",
        url: `/v1/loans/${loanId}/repayments`,
        headers: as("clerk"),
        payload: { serial, amountFen: installment.totalFen },
      });
      expect(paid.statusCode, paid.body).to.equal(200);
      await waitConfirmed(serial);
    }

    await waitFor(
      async () =>
        (
          (
            await node.app.inject({ method: "GET", url: `/v1/loans/${loanId}`, headers: as("clerk") })
          ).json() as { state: string }
        ).state === "Settled",
      "loan indexed as Settled",
    );
    const loan = (
      await node.app.inject({ method: "GET", url: `/v1/loans/${loanId}`, headers: as("clerk") })
    ).json() as { state: string; disbursedFen: string; principalRepaidFen: string };
    expect(loan.disbursedFen).to.equal("5000000");
    expect(loan.principalRepaidFen).to.equal("5000000");
    const head = await chain.anvil.provider.getBlockNumber();
    expect(head - deployBlock, "the loan's life spans many pages").to.be.greaterThan(6 * MAX_LOGS_RANGE);
    expect(
      await chain.anvil.provider.getBalance(chain.wallets.branchA.address),
      "the branch paid nothing",
    ).to.equal(0n);
  });

  it("no service used eth_sendTransaction, asked for more than 3 blocks of logs, or offered a gas price", async function () {
    const methods = new Set(proxy.calls.map((c) => c.method));
    expect(methods.has("eth_sendTransaction")).to.equal(false);
    expect(methods.has("eth_sendRawTransaction")).to.equal(true);
    expect(
      proxy.calls.filter((c) => c.refused !== undefined),
      "refused calls",
    ).to.deep.equal([]);
    // the anchor's heads and the node's register, disburse and the loan's repayments at least
    expect(proxy.transactions.length).to.be.at.least(5);
    for (const tx of proxy.transactions) {
      expect(tx.gasPrice ?? 0n).to.equal(0n);
      expect(tx.maxFeePerGas ?? 0n).to.equal(0n);
      expect(tx.maxPriorityFeePerGas ?? 0n).to.equal(0n);
    }
    expect(
      proxy.logRanges.length,
      "the indexer and the anchor read logs through the proxy",
    ).to.be.greaterThan(6);
    expect(proxy.logRanges.filter((r) => r.blocks > MAX_LOGS_RANGE)).to.deep.equal([]);
    const covered = new Set(
      proxy.logRanges.flatMap((r) => Array.from({ length: r.blocks }, (_, i) => r.from + i)),
    );
    // the indexer reads a single new block's logs by its hash
    for (const hash of proxy.logBlockHashes) covered.add((await chain.anvil.provider.getBlock(hash))!.number);
    const cursor = (await node.indexer.cursor())!.blockNumber;
    expect(cursor - deployBlock).to.be.greaterThan(6 * MAX_LOGS_RANGE);
    for (let n = deployBlock; n <= cursor; n++)
      expect(covered.has(n), `block ${n} was never read`).to.equal(true);
  });

  it("every transaction on the chain, deployment included, paid gas price 0", async function () {
    const provider = chain.anvil.provider;
    const latest = await provider.getBlockNumber();
    let count = 0;
    for (let n = 1; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      expect(block!.baseFeePerGas).to.equal(0n);
      for (const tx of block!.prefetchedTransactions) {
        count += 1;
        expect(tx.gasPrice, tx.hash).to.equal(0n);
        const receipt = await provider.getTransactionReceipt(tx.hash);
        expect(receipt!.gasPrice, tx.hash).to.equal(0n);
        expect(receipt!.gasUsed > 0n).to.equal(true);
      }
    }
    expect(count).to.be.greaterThan(20);
  });

  async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function waitConfirmed(serial: string): Promise<void> {
    await waitFor(async () => {
      const entry = (
        await node.app.inject({ method: "GET", url: `/v1/outbox/${serial}`, headers: as("clerk") })
      ).json() as { state: string; failure?: unknown };
      if (entry.state === "failed") throw new Error(`${serial} failed: ${JSON.stringify(entry.failure)}`);
      return entry.state === "confirmed";
    }, `${serial} confirmed`);
  }
});
