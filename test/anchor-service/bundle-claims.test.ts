// A real anchor service on Anvil hands out a genuine bundle; each attack on its time claims is
// then verified online (common/formats/bundle/verify.ts with anchor-claims.ts): a fabricated anchor
// dated 2020 in front of the genuine one (moved into recommits), receipts forged or dated 1999,
// and a head the service committed seven weeks after the receipt promised 60 s. Each passed
// before the anchor's claims and the receipt were checked.
import { expect } from "chai";
import { Log, getAddress, type Wallet } from "ethers";
import { receiptDomain, signReceiptBatch, type Receipt } from "../../common/formats/receipt/receipts.ts";
import { fromHex } from "../../common/bytes.ts";
import { isoOfUnixSeconds, parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { readTrustAnchor, type TrustAnchor } from "../../common/formats/bundle/trust-anchor.ts";
import {
  overall,
  verifyOffline,
  verifyOnline,
  type CheckResult,
} from "../../common/formats/bundle/verify.ts";
import { EvidenceLog } from "../../common/chain/generated/contracts.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";
import { recommitted } from "../support/bundle.fixture.ts";

const WEEK = 7 * 86_400;
const SECONDS_1999 = Date.parse("1999-01-01T00:00:00Z") / 1000;

describe("anchor service bundles: the anchor's claims and the intake receipt are verified", function () {
  this.timeout(120_000);
  // rounds run when the test says so
  const suite = anchorServiceSuite({ onDisk: "bundle-claims-" });
  let trustAnchor: TrustAnchor;
  let bundle: EvidenceBundle;

  before(async function () {
    trustAnchor = await readTrustAnchor(suite.chain.anvil.provider, {
      consortiumRegistry: suite.chain.deployment.addresses.consortiumRegistry,
      name: "test consortium",
    });
    const [receipt] = await submit(["loan contract CL-0001", "consent CL-0001"]);
    await suite.service.committer.runOnce();
    bundle = await bundleOf(receipt!.leafHash);
  });

  async function submit(documents: string[]): Promise<Receipt[]> {
    const body = JSON.stringify({ records: documents.map((d) => recordFor(d)) });
    const reply = await suite.postLeaves(body);
    expect(reply.statusCode, reply.body).to.equal(200);
    return (reply.json() as { receipts: Receipt[] }).receipts;
  }

  async function bundleOf(leafHash: string): Promise<EvidenceBundle> {
    const reply = await suite.service.app.inject({ method: "GET", url: `/v1/bundles/${leafHash}` });
    expect(reply.statusCode, reply.body).to.equal(200);
    return parseBundle(reply.json());
  }

  const online = (b: EvidenceBundle) =>
    verifyOnline(parseBundle(JSON.parse(JSON.stringify(b))), {
      trustAnchor,
      providers: [suite.chain.anvil.provider, suite.chain.anvil.provider],
    });
  const blockAndTime = (results: readonly CheckResult[]) => results.find((r) => r.id === "blockAndTime")!;

  /** The genuine bundle with its anchor moved into recommits and `anchor` put in front (with or without its receipt). */
  function backdated(
    anchor: { blockNumber: number; blockHash: string; blockTimestamp: number; transactionHash: string },
    keepReceipt = true,
  ): EvidenceBundle {
    const { receipt: _, ...withoutReceipt } = bundle;
    return recommitted(keepReceipt ? bundle : withoutReceipt, anchor);
  }

  /** The bundle with its receipt replaced by one for its leaf alone, signed by `signer`, received at `receivedAt`. */
  async function withReceiptBy(signer: Wallet, receivedAt: number): Promise<EvidenceBundle> {
    const domain = receiptDomain(suite.chain.chainId, suite.chain.deployment.addresses.evidenceLog);
    const signed = await signReceiptBatch(signer, domain, {
      logId: bundle.log.logId,
      firstSequence: bundle.log.leafIndex,
      leafHashes: [fromHex(bundle.leaf.leafHash)],
      receivedAt,
      maxMergeDelaySeconds: 60,
    });
    return parseBundle({ ...bundle, receipt: signed.receipts[0]! });
  }

  it("passes the genuine bundle, stating when it was received, the promise, and the delay", async function () {
    const results = await online(bundle);
    expect(overall(results), JSON.stringify(results, null, 1)).to.equal("pass");
    const receivedAt = (bundle.receipt as Receipt).receivedAt.replace("Z", ".000Z");
    expect(blockAndTime(results).reason)
      .to.include(bundle.anchor.anchoredAt)
      .and.include(`received at ${receivedAt} under a 60 s promise`);
  });

  /**
   * A node that keeps no state at past blocks (Besu's Bonsai storage, a pruned Anvil): every call
   * at a block other than the latest fails. `logs` stands in for its getLogs when given.
   */
  function pruned(logs?: (filter: unknown) => Promise<unknown[]>) {
    const target = suite.chain.anvil.provider;
    return new Proxy(target, {
      get(t, prop) {
        if (prop === "call") {
          return async (tx: { blockTag?: unknown }) => {
            if (tx.blockTag !== undefined && tx.blockTag !== "latest") {
              // the head, asked by number, is the latest state too
              if (tx.blockTag !== (await t.getBlockNumber())) throw new Error("missing trie node");
            }
            return t.call(tx as never);
          };
        }
        if (prop === "getLogs" && logs !== undefined) return logs;
        const value = Reflect.get(t, prop, t) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    });
  }

  it("names the receipt's signer on an endpoint that keeps no historical state, from the log's operator events", async function () {
    // a later block, so the anchor's is in the past
    await suite.chain.anvil.provider.send("evm_mine", []);
    const results = await verifyOnline(bundle, {
      trustAnchor,
      providers: [suite.chain.anvil.provider, pruned()],
    });
    expect(blockAndTime(results).outcome, blockAndTime(results).reason).to.equal("pass");
    expect(overall(results), JSON.stringify(results, null, 1)).to.equal("pass");
  });

  it("reads the operator an operator change after the anchor replaced, not today's", async function () {
    await suite.chain.anvil.provider.send("evm_mine", []);
    const head = await suite.chain.anvil.provider.getBlockNumber();
    const stranger = "0x000000000000000000000000000000000000dEaD";
    // the log's events as a chain would give them had governance since moved the log from a stranger to today's operator
    const changed = EvidenceLog.interface.encodeEventLog("LogOperatorChanged", [
      bundle.log.logId,
      stranger,
      (await EvidenceLog.at(bundle.anchor.evidenceLog, suite.chain.anvil.provider).logInfo(bundle.log.logId))
        .operator,
    ]);
    const event = {
      address: bundle.anchor.evidenceLog,
      topics: changed.topics,
      data: changed.data,
      blockNumber: head,
      blockHash: `0x${"11".repeat(32)}`,
      transactionHash: `0x${"22".repeat(32)}`,
      transactionIndex: 0,
      index: 0,
      removed: false,
    };
    const withChange = pruned(async (filter) => {
      const { fromBlock, toBlock } = filter as { fromBlock: number; toBlock: number };
      return fromBlock <= head && head <= toBlock ? [new Log(event, suite.chain.anvil.provider)] : [];
    });
    const results = await verifyOnline(bundle, { trustAnchor, providers: [withChange] });
    expect(blockAndTime(results).outcome).to.equal("fail");
    expect(blockAndTime(results).reason).to.include(`not by the log's operator ${getAddress(stranger)}`);
  });

  it("is indeterminate, not a disagreement, when an endpoint has neither the past state nor the log's events", async function () {
    await suite.chain.anvil.provider.send("evm_mine", []);
    const blind = pruned(async () => {
      throw new Error("logs unavailable");
    });
    const results = await verifyOnline(bundle, {
      trustAnchor,
      providers: [suite.chain.anvil.provider, blind],
    });
    expect(blockAndTime(results).outcome).to.equal("indeterminate");
    expect(blockAndTime(results).reason).to.include("could not be read (logs unavailable)");
  });

  it("never passes blockAndTime for the genuine bundle with its receipt removed: the merge-delay check cannot be stripped", async function () {
    expect(bundle.receipt, "the service puts its receipt in every bundle").to.not.equal(undefined);
    const { receipt: _, ...stripped } = bundle;
    const results = await online(parseBundle(stripped));
    expect(blockAndTime(results).outcome, blockAndTime(results).reason).to.equal("indeterminate");
    expect(blockAndTime(results).reason).to.match(/^no intake receipt: /);
    // the CLI, handed the document, needs blockAndTime: it cannot pass such a bundle
    expect(overall(results, ["leafEncoding", "merklePath", "headOnChain", "blockAndTime"])).to.equal(
      "indeterminate",
    );
    expect(blockAndTime(verifyOffline(parseBundle(stripped))).outcome).to.equal("indeterminate");
  });

  describe("backdating: a fabricated anchor in front of the genuine one, which becomes a recommit", function () {
    const fabricated = {
      blockNumber: 3,
      blockHash: `0x${"ab".repeat(32)}`,
      blockTimestamp: Date.parse("2020-01-01T00:00:00Z") / 1000,
      transactionHash: `0x${"cd".repeat(32)}`,
    };

    it("fails: the chain does not hold the 2020 block, and the operator's receipt dates the leaf in the present", async function () {
      const results = await online(backdated(fabricated));
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason)
        .to.include("2020-01-01T00:00:00.000Z")
        .and.include("before the intake receipt's time");
      expect(overall(results)).to.equal("fail");
    });

    it("fails without the receipt: nothing vouches for an anchor the chain does not hold", async function () {
      const results = await online(backdated(fabricated, false));
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason).to.include(
        "the chain does not hold the bundle's anchor (block 3, 2020-01-01T00:00:00.000Z)",
      );
    });

    it("fails an anchor naming a real earlier block whose transaction committed no head with the leaf", async function () {
      // the block that opened the log: real, held by the chain, earlier than the anchor
      const opened = await suite.chain.anvil.provider.getBlock(bundle.anchor.blockNumber - 1, false);
      const tx = opened!.transactions[0]!;
      const results = await online(
        backdated(
          {
            blockNumber: opened!.number,
            blockHash: opened!.hash!,
            blockTimestamp: opened!.timestamp,
            transactionHash: tx,
          },
          false,
        ),
      );
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason).to.include(
        `committed no head of log ${bundle.log.logId.toLowerCase()} that contains leaf ${bundle.log.leafIndex}`,
      );
    });
  });

  describe("receipts", function () {
    it("fails a receipt dated 1999 signed by a member's key: not the log's operator, and out of its promise", async function () {
      const forged = await withReceiptBy(suite.chain.wallets.branchA, SECONDS_1999);
      const results = await online(forged);
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason)
        .to.include(
          `signed by ${suite.chain.wallets.branchA.address}, not by the log's operator ${suite.chain.wallets.anchor.address}`,
        )
        .and.include("1999-01-01T00:00:00.000Z");
    });

    it("fails a receipt dated 1999 even when the operator's key signed it: the head came decades after the promised 60 s", async function () {
      const late = await withReceiptBy(suite.chain.wallets.anchor, SECONDS_1999);
      const results = await online(late);
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason)
        .to.include("beyond its promised merge delay of 60 s")
        .and.not.include("not by the log's operator");
      expect(blockAndTime(verifyOffline(late)).outcome, "offline too").to.equal("fail");
    });

    it("fails the genuine receipt with its time edited, offline and online", async function () {
      const edited = parseBundle({
        ...bundle,
        receipt: { ...(bundle.receipt as Receipt), receivedAt: "1999-01-01T00:00:00Z" },
      });
      expect(blockAndTime(verifyOffline(edited)).reason).to.include("RECEIPT_BAD_SIGNATURE");
      expect(blockAndTime(await online(edited)).outcome).to.equal("fail");
    });
  });

  describe("a chain that lost the anchor's block (restored from an older state)", function () {
    it("passes the service's re-committed bundle, saying the anchor was lost and the operator's receipt vouches for its time; without the receipt it fails", async function () {
      const snapshot = (await suite.chain.anvil.provider.send("evm_snapshot", [])) as string;
      const [receipt] = await submit(["loan contract CL-0003"]);
      await suite.service.committer.runOnce();
      const original = await bundleOf(receipt!.leafHash);
      expect(await suite.chain.anvil.provider.send("evm_revert", [snapshot])).to.equal(true);
      await suite.service.committer.runOnce();
      const recommitted = await bundleOf(receipt!.leafHash);
      expect(recommitted.recommits).to.have.length(1);
      expect(recommitted.anchor.blockHash).to.equal(original.anchor.blockHash);
      const results = await online(recommitted);
      expect(overall(results), JSON.stringify(results, null, 1)).to.equal("pass");
      expect(blockAndTime(results).reason)
        .to.include(`the chain no longer holds the anchor's block ${original.anchor.blockHash.toLowerCase()}`)
        .and.include("that receipt vouches for the lost anchor's time");
      const { receipt: _, ...withoutReceipt } = recommitted;
      const unvouched = await online(parseBundle(withoutReceipt));
      expect(blockAndTime(unvouched).outcome).to.equal("fail");
      expect(blockAndTime(unvouched).reason).to.include("no valid intake receipt to vouch for that time");
    });
  });

  // last (mocha runs a describe's own tests before its nested ones): the chain's clock moves seven weeks ahead
  describe("a head committed long after the receipt's promise", function () {
    it("fails a head anchored seven weeks after a receipt that promised 60 s, with the figures", async function () {
      const [receipt] = await submit(["loan contract CL-0002"]);
      await suite.chain.anvil.provider.send("evm_increaseTime", [7 * WEEK]);
      await suite.service.committer.runOnce();
      const late = await bundleOf(receipt!.leafHash);
      const receivedAt = Date.parse(receipt!.receivedAt) / 1000;
      // Anvil's clock may lag the service's by a second after the revert above
      expect(late.anchor.blockTimestamp - receivedAt).to.be.closeTo(7 * WEEK, 60);
      const results = await online(late);
      expect(blockAndTime(results).outcome).to.equal("fail");
      expect(blockAndTime(results).reason)
        .to.include(
          `${late.anchor.blockTimestamp - receivedAt} s after the intake receipt's time ${isoOfUnixSeconds(receivedAt)}`,
        )
        .and.include("beyond its promised merge delay of 60 s");
      expect(overall(results)).to.equal("fail");
    });
  });
});
