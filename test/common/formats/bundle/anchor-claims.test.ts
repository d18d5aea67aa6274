// The anchoring claims and the intake receipt of a bundle (common/formats/bundle/anchor-claims.ts),
// judged against what a chain is made to say: a backdated anchor in front of a genuine recommit,
// a receipt that is forged, for another leaf or broken by the anchor's time, a lost anchor that is
// vouched for or not, and an earlier claim the chain holds but that does not say what it claims.
import { expect } from "chai";
import { Interface, Wallet, keccak256, toUtf8Bytes } from "ethers";
import {
  receiptDomain,
  signReceiptBatch,
  type Receipt,
} from "../../../../common/formats/receipt/receipts.ts";
import { fromHex } from "../../../../common/bytes.ts";
import { EVIDENCE_LOG_ABI } from "../../../../common/chain/generated/abis.ts";
import {
  CLOCK_TOLERANCE_SECONDS,
  checkReceipt,
  headsCommitted,
  judgeAnchorClaims,
  receiptTimingProblems,
  type ChainSaid,
  type ClaimFacts,
} from "../../../../common/formats/bundle/anchor-claims.ts";
import {
  isoOfUnixSeconds,
  parseBundle,
  type EvidenceBundle,
} from "../../../../common/formats/bundle/bundle.ts";
import { leafHashOf } from "../../../../common/formats/leaf/leaf.ts";
import { OFFLINE_REASON, verifyOffline } from "../../../../common/formats/bundle/verify.ts";
import {
  LEAF_INDEX,
  TREE_SIZE,
  clone,
  recommitted,
  recordFor,
  sampleBundle,
  sha256Hex,
} from "../../../support/bundle.fixture.ts";

const OPERATOR = new Wallet(keccak256(toUtf8Bytes("anchor-claims test operator")));
const MEMBER = new Wallet(keccak256(toUtf8Bytes("anchor-claims test member")));
const DELAY = 60;
const WEEK = 7 * 86_400;

/** A receipt for the sample bundle's leaf from a batch of three (sequences 4..6), signed by `signer`. */
async function receiptFor(
  bundle: EvidenceBundle,
  receivedAt: number,
  signer: Wallet = OPERATOR,
  index = LEAF_INDEX,
): Promise<Receipt> {
  const leafHashes = [4, 5, 6].map((i) =>
    i === LEAF_INDEX
      ? fromHex(bundle.leaf.leafHash)
      : leafHashOf(recordFor(`other ${i}`, sha256Hex(`other document ${i}`), 4)),
  );
  const { receipts } = await signReceiptBatch(
    signer,
    receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog),
    {
      logId: bundle.log.logId,
      firstSequence: 4,
      leafHashes,
      receivedAt,
      maxMergeDelaySeconds: DELAY,
    },
  );
  return receipts[index - 4]!;
}

/** The sample bundle carrying the operator's receipt, received `before` seconds before its anchor. */
async function withReceipt(before = 20): Promise<EvidenceBundle> {
  const bundle = sampleBundle();
  return parseBundle({ ...bundle, receipt: await receiptFor(bundle, bundle.anchor.blockTimestamp - before) });
}

const FABRICATED_2020 = {
  blockNumber: 77,
  blockHash: sha256Hex("fabricated block 77"),
  blockTimestamp: Date.parse("2020-01-01T00:00:00Z") / 1000,
  transactionHash: sha256Hex("fabricated transaction"),
};

/** The chain's answer for a claim it holds exactly as claimed, with a HeadCommitted of `treeSize`. */
function heldAsClaimed(
  bundle: EvidenceBundle,
  claim: { blockHash: string; blockTimestamp: number },
  treeSize = TREE_SIZE,
): ClaimFacts {
  return {
    block: { hash: claim.blockHash, timestamp: claim.blockTimestamp },
    transaction: {
      blockHash: claim.blockHash,
      to: bundle.anchor.evidenceLog,
      status: 1,
      heads: [{ logId: bundle.log.logId, treeSize, rootHash: bundle.head.rootHash }],
    },
  };
}

/** The chain's block at that number is another one: the claimed block was lost. */
const lost: ClaimFacts = {
  block: { hash: sha256Hex("the block the chain has now"), timestamp: 1 },
  transaction: null,
};
const operatorIs = (address: string): ChainSaid["operator"] => ({ address, atBlock: 1234 });

/** The claims judged with the bundle's own receipt checked, the chain naming OPERATOR as the log's operator. */
const judge = (bundle: EvidenceBundle, earlier: ClaimFacts[]) =>
  judgeAnchorClaims(bundle, checkReceipt(bundle), { earlier, operator: operatorIs(OPERATOR.address) });

/** The bundle's first commit claimed in block 900, `offset` seconds from its anchor's time. */
const firstCommit = (bundle: EvidenceBundle, offset: number, blockHash = sha256Hex("block 900")) => ({
  blockNumber: 900,
  blockHash,
  blockTimestamp: bundle.anchor.blockTimestamp + offset,
  transactionHash: sha256Hex("first commit"),
});

describe("anchor claims and the intake receipt", function () {
  describe("checkReceipt (offline)", function () {
    it("accepts the operator's receipt of the bundle's leaf, naming its signer, time and promise", async function () {
      const bundle = await withReceipt(20);
      expect(checkReceipt(bundle)).to.deep.equal({
        kind: "valid",
        signer: OPERATOR.address,
        receivedAt: bundle.anchor.blockTimestamp - 20,
        maxMergeDelaySeconds: DELAY,
      });
      expect(checkReceipt(sampleBundle())).to.deep.equal({ kind: "absent" });
    });

    it("refuses an edited time, another leaf's receipt, another EvidenceLog's receipt and a non-receipt", async function () {
      const bundle = await withReceipt();
      const genuine = bundle.receipt as Receipt;
      const cases: Array<[unknown, string]> = [
        [{ ...genuine, receivedAt: "1999-01-01T00:00:00Z" }, "RECEIPT_BAD_SIGNATURE"],
        [await receiptFor(bundle, Date.parse(genuine.receivedAt) / 1000, OPERATOR, 6), "another leaf"],
        [{ note: "intake receipt passed through" }, "RECEIPT_MALFORMED"],
      ];
      const elsewhere = clone(bundle);
      elsewhere.anchor.evidenceLog = "0x000000000000000000000000000000000000dead";
      for (const [receipt, why] of cases) {
        const result = checkReceipt(parseBundle({ ...bundle, receipt }));
        expect(result.kind, why).to.equal("invalid");
        expect((result as { reason: string }).reason).to.include(why);
      }
      expect(checkReceipt(elsewhere)).to.include({ kind: "invalid" });
      expect((checkReceipt(elsewhere) as { reason: string }).reason).to.include("RECEIPT_BAD_SIGNATURE");
    });
  });

  describe("receiptTimingProblems", function () {
    const receipt = {
      kind: "valid" as const,
      signer: OPERATOR.address,
      receivedAt: 1_800_000_000,
      maxMergeDelaySeconds: DELAY,
    };
    const t = receipt.receivedAt;

    it("accepts an anchor within the promise, and within the clock tolerance either side", function () {
      for (const anchoredAt of [
        t,
        t + 1,
        t + DELAY,
        t - CLOCK_TOLERANCE_SECONDS,
        t + DELAY + CLOCK_TOLERANCE_SECONDS,
      ]) {
        expect(receiptTimingProblems(receipt, anchoredAt), String(anchoredAt - t)).to.deep.equal([]);
      }
    });

    it("refuses an anchor before the receipt and one later than the promise, with the figures", function () {
      const early = receiptTimingProblems(receipt, t - CLOCK_TOLERANCE_SECONDS - 1);
      expect(early).to.have.length(1);
      expect(early[0])
        .to.include(`${CLOCK_TOLERANCE_SECONDS + 1} s before`)
        .and.include(isoOfUnixSeconds(t));
      const late = receiptTimingProblems(receipt, t + 7 * WEEK);
      expect(late).to.have.length(1);
      expect(late[0])
        .to.include(`${7 * WEEK} s after`)
        .and.include(`promised merge delay of ${DELAY} s`)
        .and.include(`+${CLOCK_TOLERANCE_SECONDS} s clock tolerance`);
      expect(receiptTimingProblems(receipt, t + DELAY + CLOCK_TOLERANCE_SECONDS + 1)).to.have.length(1);
    });
  });

  describe("verifyOffline: the receipt is offline math", function () {
    const blockAndTime = (b: EvidenceBundle) => verifyOffline(b).find((r) => r.id === "blockAndTime")!;

    it("stays indeterminate for the operator's receipt kept within its promise", async function () {
      expect(blockAndTime(await withReceipt())).to.deep.equal({
        id: "blockAndTime",
        outcome: "indeterminate",
        reason: OFFLINE_REASON,
      });
    });

    it("fails a forged receipt, and a receipt dated 1999 for an anchor in 2026", async function () {
      const bundle = await withReceipt();
      const edited = parseBundle({
        ...bundle,
        receipt: { ...(bundle.receipt as Receipt), receivedAt: "1999-01-01T00:00:00Z" },
      });
      expect(blockAndTime(edited).outcome).to.equal("fail");
      expect(blockAndTime(edited).reason).to.include("RECEIPT_BAD_SIGNATURE");
      const signed1999 = parseBundle({
        ...bundle,
        receipt: await receiptFor(bundle, Date.parse("1999-01-01T00:00:00Z") / 1000),
      });
      expect(blockAndTime(signed1999).outcome).to.equal("fail");
      expect(blockAndTime(signed1999).reason)
        .to.include("1999-01-01T00:00:00.000Z")
        .and.include("beyond its promised merge delay of 60 s");
    });
  });

  describe("judgeAnchorClaims", function () {
    it("passes a bundle without recommits whose receipt is signed by the log's operator, noting the figures", async function () {
      const bundle = await withReceipt(20);
      const judged = judge(bundle, []);
      expect(judged.problems).to.deep.equal([]);
      expect(judged.undecided).to.deep.equal([]);
      expect(judged.notes.join(" ")).to.include(
        "under a 60 s promise (the log operator's receipt) and anchored 20 s after it",
      );
    });

    it("fails a receipt signed by a key that is not the log's operator, naming both", async function () {
      const bundle = sampleBundle();
      const forged = parseBundle({
        ...bundle,
        receipt: await receiptFor(bundle, bundle.anchor.blockTimestamp - 5, MEMBER),
      });
      const judged = judge(forged, []);
      expect(judged.problems.join(" ")).to.include(
        `signed by ${MEMBER.address}, not by the log's operator ${OPERATOR.address}`,
      );
    });

    it("leaves a bundle without a receipt undecided, never passing: stripping the receipt must not remove the merge-delay check", function () {
      const bundle = sampleBundle();
      expect(checkReceipt(bundle).kind).to.equal("absent");
      const judged = judgeAnchorClaims(bundle, checkReceipt(bundle), { earlier: [] });
      expect(judged.problems).to.deep.equal([]);
      expect(judged.undecided).to.have.length(1);
      expect(judged.undecided[0]).to.match(/^no intake receipt: /);
    });

    it("leaves the signer undecided when the operator cannot be read", async function () {
      const bundle = await withReceipt();
      const judged = judgeAnchorClaims(bundle, checkReceipt(bundle), {
        earlier: [],
        operator: { error: "missing trie node", atBlock: 1234 },
      });
      expect(judged.problems).to.deep.equal([]);
      expect(judged.undecided.join(" ")).to.include("missing trie node");
    });

    describe("a fabricated anchor dated 2020 in front of the genuine one, moved into recommits", function () {
      it("fails: the chain does not hold it and the operator's receipt dates the leaf years later", async function () {
        const forged = recommitted(await withReceipt(), FABRICATED_2020);
        const judged = judge(forged, [lost]);
        expect(judged.problems.join(" "))
          .to.include("2020-01-01T00:00:00.000Z")
          .and.include("s before the intake receipt's time");
      });

      it("fails without a receipt: a lost anchor needs one to vouch for its time", function () {
        const forged = recommitted(sampleBundle(), FABRICATED_2020);
        const judged = judgeAnchorClaims(forged, checkReceipt(forged), {
          earlier: [{ block: null, transaction: null }],
        });
        expect(judged.problems.join(" "))
          .to.include("the chain does not hold the bundle's anchor (block 77, 2020-01-01T00:00:00.000Z)")
          .and.include("no valid intake receipt");
      });

      it("fails when the fabricated anchor points at a block the chain holds but its transaction committed no head with the leaf", async function () {
        const bundle = await withReceipt();
        const earlierBlock = {
          blockNumber: 1000,
          blockHash: sha256Hex("block 1000"),
          blockTimestamp: bundle.anchor.blockTimestamp - 5,
          transactionHash: sha256Hex("commit of 3 leaves"),
        };
        const forged = recommitted(bundle, earlierBlock);
        const judged = judge(forged, [heldAsClaimed(forged, earlierBlock, LEAF_INDEX)]);
        expect(judged.problems.join(" ")).to.include(
          `committed no head of log ${bundle.log.logId.toLowerCase()} that contains leaf ${LEAF_INDEX} (it committed size ${LEAF_INDEX})`,
        );
      });
    });

    it("passes a lost anchor vouched for by the operator's receipt, noting the loss", async function () {
      const bundle = await withReceipt(30);
      const original = firstCommit(bundle, -25, sha256Hex("block 900, lost"));
      const afterLoss = recommitted(bundle, original);
      const judged = judge(afterLoss, [lost]);
      expect(judged.problems).to.deep.equal([]);
      expect(judged.undecided).to.deep.equal([]);
      expect(judged.notes.join(" "))
        .to.include("no longer holds the anchor's block")
        .and.include("vouches for the lost anchor's time");
    });

    it("checks an earlier claim the chain holds: its time, transaction, target, status and head", async function () {
      const bundle = await withReceipt(30);
      const original = firstCommit(bundle, -25);
      const b = recommitted(bundle, original);
      const say = (facts: ClaimFacts) => judge(b, [facts]);
      const held = heldAsClaimed(b, original);
      expect(say(held).problems).to.deep.equal([]);
      expect(
        say({ ...held, block: { ...held.block!, timestamp: original.blockTimestamp + 1 } }).problems.join(
          " ",
        ),
      ).to.include(`block 900 has time ${original.blockTimestamp + 1} on the chain`);
      expect(
        say({
          ...held,
          transaction: { ...held.transaction!, to: "0x000000000000000000000000000000000000dead" },
        }).problems.join(" "),
      ).to.include("not to the EvidenceLog");
      expect(
        say({ ...held, transaction: { ...held.transaction!, status: 0 } }).problems.join(" "),
      ).to.include("failed on the chain");
      expect(
        say({
          ...held,
          transaction: { ...held.transaction!, blockHash: sha256Hex("elsewhere") },
        }).problems.join(" "),
      ).to.include("is in block");
      const otherRoot = {
        ...held,
        transaction: {
          ...held.transaction!,
          heads: [{ logId: b.log.logId, treeSize: TREE_SIZE, rootHash: sha256Hex("another root") }],
        },
      };
      expect(say(otherRoot).problems.join(" ")).to.include("not the bundle's");
      const notFound = say({ ...held, transaction: null });
      expect(notFound.problems).to.deep.equal([]);
      expect(notFound.undecided.join(" ")).to.include("could not find transaction");
    });

    it("fails claims out of time order beyond the clock tolerance (a restored chain may stamp its next block a little behind)", async function () {
      const bundle = await withReceipt(30);
      const after = (seconds: number) => {
        const b = recommitted(bundle, firstCommit(bundle, seconds));
        return judge(b, [lost]).problems;
      };
      expect(after(CLOCK_TOLERANCE_SECONDS)).to.deep.equal([]);
      expect(after(CLOCK_TOLERANCE_SECONDS + 1).join(" "))
        .to.include("the bundle's anchor")
        .and.include("is later than its recommit 1");
    });
  });

  it("reports a recommit dated beyond what a Date can hold as out of order, never throwing", async function () {
    const bundle = await withReceipt(30);
    const b = recommitted(bundle, firstCommit(bundle, -25));
    const far = parseBundle({
      ...b,
      recommits: [{ ...b.recommits[0]!, blockTimestamp: Number.MAX_SAFE_INTEGER }, { ...b.recommits[0]! }],
    });
    const judged = judge(far, [lost, lost]);
    expect(judged.problems.join(" ")).to.include(
      `recommit 1 (${Number.MAX_SAFE_INTEGER} s) is later than its recommit 2`,
    );
  });

  it("headsCommitted reads the EvidenceLog's HeadCommitted events and nothing else", function () {
    const abi = new Interface(EVIDENCE_LOG_ABI);
    const evidenceLog = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const logId = sha256Hex("log");
    const root = sha256Hex("root");
    const event = abi.encodeEventLog("HeadCommitted", [logId, 3, 9, root]);
    const heads = headsCommitted(
      {
        logs: [
          { address: evidenceLog, ...event },
          { address: "0x000000000000000000000000000000000000dEaD", ...event },
          { address: evidenceLog, topics: [sha256Hex("another event")], data: "0x" },
        ] as never,
      },
      evidenceLog.toLowerCase(),
    );
    expect(heads).to.deep.equal([{ logId, treeSize: 9, rootHash: root }]);
  });
});
