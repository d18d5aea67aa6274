// Anchor intake receipts (common/formats/receipt/receipts.ts): one signature per batch, a receipt per record
// that verifies alone; the EIP-712 format written out by hand; every receipt of batches of
// 1, 2, 3, … 1000 records verifying; each signed or proven field tampered; malformed JSON; and
// the batch signing and receipt verification rates (printed, not asserted).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Signature, Wallet, verifyTypedData } from "ethers";
import { toHex } from "../../../../common/bytes.ts";
import { DigestAlgorithm, EvidenceKind, leafHashOf } from "../../../../common/formats/leaf/leaf.ts";
import {
  hashLeaf,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../../common/formats/merkle/rfc9162.ts";
import {
  RECEIPT_TYPES,
  ReceiptSchema,
  isoSeconds,
  receiptDomain,
  receiptsOf,
  signReceiptBatch,
  verifyReceipt,
  type Receipt,
  type ReceiptBatchInput,
  type ReceiptFailureCode,
  type ReceiptVerification,
  type SignedReceiptBatch,
} from "../../../../common/formats/receipt/receipts.ts";
import { expectTypedFormat, typesOf } from "../../../support/eip712.ts";

// ---- Fixtures ---------------------------------------------------------------------------------

const service = new Wallet("0x6c4f1d8b0b9e0f3c2a7d5e9b1c3a8f0e2d4b6a8c0e1f3a5b7c9d1e3f5a7b9c1d");
const impostor = new Wallet("0x2f5e8a1c4b7d0e3f6a9c2b5e8d1f4a7c0b3e6d9f2a5c8b1e4d7f0a3c6b9e2d5f");

const CHAIN_ID = 31337n;
const EVIDENCE_LOG = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const domain = receiptDomain(CHAIN_ID, EVIDENCE_LOG);

const LOG_ID = `0x${createHash("sha256").update("JointLedger.log.union").digest("hex")}`;
const RECEIVED_AT = 1_750_000_000; // 2025-06-15T15:06:40Z
const MAX_MERGE_DELAY = 3600;
const FIRST_SEQUENCE = 41_000;

/** Leaf hashes of real v1 evidence leaves for small batches, cheap synthetic ones for big ones. */
function leafHashes(count: number, seed = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    if (count > 16) return hashLeaf(new Uint8Array(Buffer.from(`leaf ${seed}:${i}`)));
    const digest = `0x${createHash("sha256").update(`contract ${seed}:${i}`).digest("hex")}`;
    return leafHashOf({
      version: 1,
      kind: EvidenceKind.Contract,
      digestAlgorithm: DigestAlgorithm.Sha256,
      digest,
      salt: `0x${String(i + 1).padStart(64, "0")}`,
      submitter: 3,
      subject: `0x${"00".repeat(32)}`,
    });
  });
}

function input(leaves: Uint8Array[], overrides: Partial<ReceiptBatchInput> = {}): ReceiptBatchInput {
  return {
    logId: LOG_ID,
    firstSequence: FIRST_SEQUENCE,
    leafHashes: leaves,
    receivedAt: RECEIVED_AT,
    maxMergeDelaySeconds: MAX_MERGE_DELAY,
    ...overrides,
  };
}

const clone = (r: Receipt): Receipt => structuredClone(r);

/** One bit of a 0x hex string flipped, in hex digit `at` counted after the 0x. */
function flipHex(hex: string, at = hex.length - 3): string {
  const i = 2 + at;
  return hex.slice(0, i) + (Number.parseInt(hex[i]!, 16) ^ 1).toString(16) + hex.slice(i + 1);
}

function expectFail(
  result: ReceiptVerification,
  codes: ReceiptFailureCode | ReceiptFailureCode[],
  label: string,
): void {
  const allowed = Array.isArray(codes) ? codes : [codes];
  expect(result.ok, `${label}: expected a failure`).to.equal(false);
  if (!result.ok) {
    expect(allowed, `${label}: ${result.reason}`).to.include(result.code);
    expect(result.reason.length > 0).to.equal(true);
  }
}

function expectOk(result: ReceiptVerification, label = ""): void {
  expect(result, label).to.deep.equal({ ok: true });
}

/**
 * Tamperings the proof check catches (cheap: no ecrecover reached), for one receipt: the leaf
 * hash, the sequence, the root, each proof element, the proof's length. A changed sequence
 * cannot pass: for a fixed tree size each index has its own left/right path.
 */
function proofTamperings(r: Receipt): [string, Receipt, ReceiptFailureCode[]][] {
  const out: [string, Receipt, ReceiptFailureCode[]][] = [];
  const add = (label: string, change: (c: Receipt) => void, codes: ReceiptFailureCode[]): void => {
    const c = clone(r);
    change(c);
    out.push([label, c, codes]);
  };
  add("leafHash last bit", (c) => (c.leafHash = flipHex(c.leafHash)), ["RECEIPT_BAD_PROOF"]);
  add("leafHash first bit", (c) => (c.leafHash = flipHex(c.leafHash, 0)), ["RECEIPT_BAD_PROOF"]);
  // Sequence −1 of sequence 0 is no longer a valid number: RECEIPT_MALFORMED.
  const sequenceCodes: ReceiptFailureCode[] = [
    "RECEIPT_BAD_PROOF",
    "RECEIPT_BAD_SEQUENCE",
    "RECEIPT_MALFORMED",
  ];
  add("sequence + 1", (c) => (c.sequence += 1), sequenceCodes);
  add("sequence - 1", (c) => (c.sequence -= 1), sequenceCodes);
  add("batch.root", (c) => (c.batch.root = flipHex(c.batch.root)), ["RECEIPT_BAD_PROOF"]);
  r.proof.forEach((_, j) => {
    add(`proof[${j}] one bit`, (c) => (c.proof[j] = flipHex(c.proof[j]!)), ["RECEIPT_BAD_PROOF"]);
  });
  if (r.proof.length > 0) {
    add("proof last dropped", (c) => c.proof.pop(), ["RECEIPT_BAD_PROOF"]);
    add("proof first dropped", (c) => c.proof.shift(), ["RECEIPT_BAD_PROOF"]);
    if (r.proof.length > 1) add("proof reversed", (c) => c.proof.reverse(), ["RECEIPT_BAD_PROOF"]);
  }
  add("proof extended", (c) => c.proof.push(c.leafHash), ["RECEIPT_BAD_PROOF"]);
  return out;
}

/** Tamperings that only the signature catches (each costs an ecrecover). */
function signatureTamperings(r: Receipt): [string, Receipt, ReceiptFailureCode[]][] {
  const out: [string, Receipt, ReceiptFailureCode[]][] = [];
  const add = (
    label: string,
    change: (c: Receipt) => void,
    codes: ReceiptFailureCode[] = ["RECEIPT_BAD_SIGNATURE"],
  ): void => {
    const c = clone(r);
    change(c);
    out.push([label, c, codes]);
  };
  add("receivedAt + 1 s", (c) => (c.receivedAt = isoSeconds(RECEIVED_AT + 1)));
  add("receivedAt - 1 day", (c) => (c.receivedAt = isoSeconds(RECEIVED_AT - 86_400)));
  add("maxMergeDelaySeconds + 1", (c) => (c.maxMergeDelaySeconds += 1));
  add("maxMergeDelaySeconds 0", (c) => (c.maxMergeDelaySeconds = 0));
  add("logId", (c) => (c.logId = flipHex(c.logId)));
  // RFC 9162 proofs do not always bind the tree size (index 0 of 3 and of 4 share a proof
  // shape), so a changed count may pass the proof; the signature covers it.
  const countCodes: ReceiptFailureCode[] = [
    "RECEIPT_BAD_PROOF",
    "RECEIPT_BAD_SEQUENCE",
    "RECEIPT_BAD_SIGNATURE",
  ];
  add("batch.count + 1", (c) => (c.batch.count += 1), countCodes);
  if (r.batch.count > 1) add("batch.count - 1", (c) => (c.batch.count -= 1), countCodes);
  add("firstSequence and sequence shifted together", (c) => {
    c.batch.firstSequence += 1;
    c.sequence += 1;
  });
  add("signature r", (c) => (c.batch.signature = flipHex(c.batch.signature, 63)));
  add("signature s", (c) => (c.batch.signature = flipHex(c.batch.signature, 127)));
  add(
    "signature v",
    (c) =>
      (c.batch.signature =
        c.batch.signature.slice(0, 130) + (c.batch.signature.endsWith("1b") ? "1c" : "1b")),
  );
  add("service.address", (c) => (c.service.address = impostor.address));
  return out;
}

// ---- Format -----------------------------------------------------------------------------------

describe("receipts: format", () => {
  it("uses the EIP-712 domain and ReceiptBatch type of the spec", () => {
    expectTypedFormat(domain, RECEIPT_TYPES, {
      domain: {
        name: "JointLedger Anchor Receipt",
        version: "1",
        chainId: 31337n,
        verifyingContract: EVIDENCE_LOG,
      },
      encodeType:
        "ReceiptBatch(bytes32 logId,uint64 firstSequence,uint64 count,bytes32 batchRoot,uint64 receivedAt,uint32 maxMergeDelaySeconds)",
    });
    expect(() => receiptDomain(0n, EVIDENCE_LOG)).to.throw(RangeError);
    expect(() => receiptDomain(1n, "0xabc")).to.throw(RangeError);
  });

  it("signs the batch root as typed data written out by hand", async () => {
    const leaves = leafHashes(3);
    const { batch } = await signReceiptBatch(service, domain, input(leaves));
    const root = toHex(rootFromLeafHashes(leaves));
    expect(batch).to.deep.equal({
      logId: LOG_ID,
      firstSequence: FIRST_SEQUENCE,
      count: 3,
      root,
      receivedAt: RECEIVED_AT,
      maxMergeDelaySeconds: MAX_MERGE_DELAY,
      signature: batch.signature,
      service: service.address,
    });
    const recovered = verifyTypedData(
      { name: "JointLedger Anchor Receipt", version: "1", chainId: 31337, verifyingContract: EVIDENCE_LOG },
      typesOf(
        "ReceiptBatch(bytes32 logId,uint64 firstSequence,uint64 count,bytes32 batchRoot,uint64 receivedAt,uint32 maxMergeDelaySeconds)",
      ),
      {
        logId: LOG_ID,
        firstSequence: FIRST_SEQUENCE,
        count: 3,
        batchRoot: root,
        receivedAt: RECEIVED_AT,
        maxMergeDelaySeconds: MAX_MERGE_DELAY,
      },
      batch.signature,
    );
    expect(recovered).to.equal(service.address);
  });

  it("writes each receipt as JSON: hex hashes, safe-integer numbers, ISO time with 'Z'", async () => {
    const leaves = leafHashes(3);
    const { batch, receipts } = await signReceiptBatch(service, domain, input(leaves));
    expect(receipts[1]).to.deep.equal({
      leafHash: toHex(leaves[1]!),
      sequence: FIRST_SEQUENCE + 1,
      logId: LOG_ID,
      receivedAt: "2025-06-15T15:06:40Z",
      maxMergeDelaySeconds: MAX_MERGE_DELAY,
      batch: { firstSequence: FIRST_SEQUENCE, count: 3, root: batch.root, signature: batch.signature },
      proof: inclusionProof(1, 3, memoRangeHasher(leaves)).map(toHex),
      service: { address: service.address },
    });
    for (const r of receipts) {
      expect(ReceiptSchema.safeParse(r).success).to.equal(true);
      expect(JSON.parse(JSON.stringify(r))).to.deep.equal(r);
    }
  });

  it("formats receivedAt without fractional seconds", () => {
    expect(isoSeconds(0)).to.equal("1970-01-01T00:00:00Z");
    expect(isoSeconds(RECEIVED_AT)).to.equal("2025-06-15T15:06:40Z");
    expect(isoSeconds(253_402_300_799)).to.equal("9999-12-31T23:59:59Z");
    expect(() => isoSeconds(253_402_300_800)).to.throw(RangeError);
    expect(() => isoSeconds(1.5)).to.throw(RangeError);
  });

  it("gives each receipt its own objects: editing one leaves the others intact", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(2)));
    receipts[0]!.batch.root = `0x${"00".repeat(32)}`;
    receipts[0]!.service.address = impostor.address;
    expectOk(verifyReceipt(domain, receipts[1]));
  });
});

// ---- Every receipt verifies alone; tampering fails ---------------------------------------------

describe("receipts: batches of 1, 2, 3, 5, 8, 13 and 1000 records", function () {
  this.timeout(120_000);

  for (const count of [1, 2, 3, 5, 8, 13]) {
    it(`${count} record(s): every receipt verifies alone, every tampering of every receipt fails`, async () => {
      const leaves = leafHashes(count);
      const { batch, receipts } = await signReceiptBatch(service, domain, input(leaves));
      expect(batch.root).to.equal(toHex(rootFromLeafHashes(leaves)));
      expect(receipts.map((r) => r.sequence)).to.deep.equal(leaves.map((_, i) => FIRST_SEQUENCE + i));
      for (const r of receipts) {
        // Verified from its JSON text alone: nothing else about the batch is passed in.
        expectOk(verifyReceipt(domain, JSON.parse(JSON.stringify(r))), `sequence ${r.sequence}`);
        expectOk(verifyReceipt(domain, r, service.address));
        for (const [label, tampered, codes] of [...proofTamperings(r), ...signatureTamperings(r)]) {
          expectFail(verifyReceipt(domain, tampered), codes, `${count}/${r.sequence}: ${label}`);
        }
      }
    });
  }

  it("1000 records: every receipt verifies; proof tampering of every receipt and signature tampering of a sample fail", async () => {
    const leaves = leafHashes(1000);
    const { batch, receipts } = await signReceiptBatch(service, domain, input(leaves, { firstSequence: 0 }));
    expect(batch.count).to.equal(1000);
    expect(batch.root).to.equal(toHex(rootFromLeafHashes(leaves)));
    for (const r of receipts) {
      expectOk(verifyReceipt(domain, r), `sequence ${r.sequence}`);
      // ceil(log2 1000) = 10 at most; the ragged right edge (992..999) is 8 deep.
      expect(r.proof.length >= 8 && r.proof.length <= 10, `proof length ${r.proof.length}`).to.equal(true);
      for (const [label, tampered, codes] of proofTamperings(r)) {
        expectFail(verifyReceipt(domain, tampered), codes, `${r.sequence}: ${label}`);
      }
    }
    for (const i of [0, 1, 511, 512, 513, 767, 995, 998, 999]) {
      for (const [label, tampered, codes] of signatureTamperings(receipts[i]!)) {
        expectFail(verifyReceipt(domain, tampered), codes, `${i}: ${label}`);
      }
    }
  });
});

// ---- Other forgeries --------------------------------------------------------------------------

describe("receipts: forgeries and wrong expectations", () => {
  it("a batch signed by another key and claiming the service's address fails", async () => {
    const { receipts } = await signReceiptBatch(impostor, domain, input(leafHashes(2)));
    expectOk(verifyReceipt(domain, receipts[0])); // honest about its own signer
    const claimed = clone(receipts[0]!);
    claimed.service.address = service.address;
    expectFail(verifyReceipt(domain, claimed), "RECEIPT_BAD_SIGNATURE", "claimed service");
  });

  it("RECEIPT_WRONG_SERVICE when the signer is not the expected service", async () => {
    const { receipts } = await signReceiptBatch(impostor, domain, input(leafHashes(2)));
    expectFail(verifyReceipt(domain, receipts[0], service.address), "RECEIPT_WRONG_SERVICE", "impostor");
    const genuine = await signReceiptBatch(service, domain, input(leafHashes(2)));
    expectOk(verifyReceipt(domain, genuine.receipts[0], service.address.toLowerCase()));
    expect(() => verifyReceipt(domain, genuine.receipts[0], "0x1234")).to.throw(RangeError);
  });

  it("fails under another chain id or EvidenceLog address", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(3)));
    for (const other of [
      receiptDomain(CHAIN_ID + 1n, EVIDENCE_LOG),
      receiptDomain(CHAIN_ID, "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
    ]) {
      expectFail(verifyReceipt(other, receipts[0]), "RECEIPT_BAD_SIGNATURE", other.verifyingContract);
    }
  });

  it("a root and proof spliced in from another genuine batch fail the signature", async () => {
    const a = await signReceiptBatch(service, domain, input(leafHashes(4, 1)));
    const b = await signReceiptBatch(service, domain, input(leafHashes(4, 2)));
    const spliced = clone(a.receipts[2]!);
    spliced.leafHash = b.receipts[2]!.leafHash;
    spliced.proof = b.receipts[2]!.proof;
    spliced.batch.root = b.receipts[2]!.batch.root;
    expectFail(verifyReceipt(domain, spliced), "RECEIPT_BAD_SIGNATURE", "spliced");
  });

  it("refuses the high-s twin of a valid signature as malformed", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(2)));
    const sig = Signature.from(receipts[0]!.batch.signature);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const twin = clone(receipts[0]!);
    twin.batch.signature = `0x${sig.r.slice(2)}${(N - BigInt(sig.s)).toString(16).padStart(64, "0")}${sig.v === 27 ? "1c" : "1b"}`;
    expectFail(verifyReceipt(domain, twin), "RECEIPT_MALFORMED", "high s");
  });

  it("accepts the same instant written with another offset; refuses a fraction of a second", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(1)));
    const shanghai = clone(receipts[0]!);
    shanghai.receivedAt = "2025-06-15T23:06:40+08:00";
    expectOk(verifyReceipt(domain, shanghai), "same instant, +08:00");
    const millis = clone(receipts[0]!);
    millis.receivedAt = "2025-06-15T15:06:40.000Z";
    expectOk(verifyReceipt(domain, millis), "same instant, .000");
    const fraction = clone(receipts[0]!);
    fraction.receivedAt = "2025-06-15T15:06:40.500Z";
    expectFail(verifyReceipt(domain, fraction), "RECEIPT_MALFORMED", "fraction");
  });
});

// ---- Malformed receipts -----------------------------------------------------------------------

describe("receipts: malformed input never throws", () => {
  it("RECEIPT_MALFORMED for wrong types, shapes and ranges", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(3)));
    const base = receipts[1]!;
    const cases: [string, unknown][] = [
      ["null", null],
      ["a string", JSON.stringify(base)],
      ["an array", [base]],
    ];
    const variant = (label: string, change: (c: Record<string, any>) => void): void => {
      const c = structuredClone(base) as unknown as Record<string, any>;
      change(c);
      cases.push([label, c]);
    };
    variant("no leafHash", (c) => delete c.leafHash);
    variant("leafHash short", (c) => (c.leafHash = c.leafHash.slice(0, 64)));
    variant("leafHash non-hex", (c) => (c.leafHash = `0x${"zz".repeat(32)}`));
    variant("leafHash without 0x", (c) => (c.leafHash = c.leafHash.slice(2)));
    variant("sequence as string", (c) => (c.sequence = String(c.sequence)));
    variant("sequence negative", (c) => (c.sequence = -1));
    variant("sequence fractional", (c) => (c.sequence = 1.5));
    variant("sequence 2^53", (c) => (c.sequence = 2 ** 53));
    variant("logId 31 bytes", (c) => (c.logId = c.logId.slice(0, 64)));
    variant("receivedAt without offset", (c) => (c.receivedAt = "2025-06-15T15:06:40"));
    variant("receivedAt as number", (c) => (c.receivedAt = RECEIVED_AT));
    variant("receivedAt nonsense", (c) => (c.receivedAt = "yesterday"));
    variant("maxMergeDelaySeconds 2^32", (c) => (c.maxMergeDelaySeconds = 2 ** 32));
    variant("maxMergeDelaySeconds negative", (c) => (c.maxMergeDelaySeconds = -1));
    variant("no batch", (c) => delete c.batch);
    variant("batch.count 0", (c) => (c.batch.count = 0));
    variant("batch.root short", (c) => (c.batch.root = c.batch.root.slice(0, 10)));
    variant("batch.signature 64 bytes", (c) => (c.batch.signature = c.batch.signature.slice(0, 130)));
    variant("batch.signature v = 0", (c) => (c.batch.signature = `${c.batch.signature.slice(0, 130)}00`));
    variant("batch.firstSequence + count beyond 2^53", (c) => {
      c.batch.firstSequence = 2 ** 53 - 1;
      c.batch.count = 2;
      c.sequence = 2 ** 53 - 1;
    });
    variant("proof not an array", (c) => (c.proof = c.proof[0]));
    variant("proof element short", (c) => (c.proof[0] = c.proof[0].slice(0, 40)));
    variant("proof of 65 hashes", (c) => (c.proof = Array.from({ length: 65 }, () => c.leafHash)));
    variant("no service", (c) => delete c.service);
    variant("service.address short", (c) => (c.service.address = c.service.address.slice(0, 40)));
    variant("service.address bad checksum", (c) => {
      c.service.address = c.service.address.replace(/[a-f]/, (ch: string) => ch.toUpperCase());
    });
    for (const [label, value] of cases) {
      let result: ReceiptVerification | undefined;
      expect(() => (result = verifyReceipt(domain, value)), label).to.not.throw();
      expectFail(result!, "RECEIPT_MALFORMED", label);
    }
  });

  it("RECEIPT_BAD_SEQUENCE for a sequence outside its batch", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(3)));
    for (const sequence of [FIRST_SEQUENCE - 1, FIRST_SEQUENCE + 3, 0]) {
      const c = clone(receipts[0]!);
      c.sequence = sequence;
      expectFail(verifyReceipt(domain, c), "RECEIPT_BAD_SEQUENCE", String(sequence));
    }
  });

  it("ignores unknown extra fields (they are not signed and not returned by the schema)", async () => {
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(2)));
    expectOk(verifyReceipt(domain, { ...receipts[0], note: "from the court clerk" }));
    expect(ReceiptSchema.parse({ ...receipts[0], note: "x" })).to.deep.equal(receipts[0]);
  });
});

// ---- Signing side -----------------------------------------------------------------------------

describe("receipts: signing and re-issuing", () => {
  it("re-issues identical receipts from the stored batch and its leaf hashes", async () => {
    const leaves = leafHashes(7);
    const { batch, receipts } = await signReceiptBatch(service, domain, input(leaves));
    expect(receiptsOf(batch, leaves)).to.deep.equal(receipts);
    const stored: SignedReceiptBatch = JSON.parse(JSON.stringify(batch));
    expect(receiptsOf(stored, leaves)).to.deep.equal(receipts);
  });

  it("refuses to re-issue from leaf hashes that are not the batch's", async () => {
    const leaves = leafHashes(4);
    const { batch } = await signReceiptBatch(service, domain, input(leaves));
    expect(() => receiptsOf(batch, leaves.slice(0, 3))).to.throw(RangeError, /4 records/);
    expect(() => receiptsOf(batch, [leaves[1]!, leaves[0]!, leaves[2]!, leaves[3]!])).to.throw(
      RangeError,
      /root/,
    );
  });

  it("refuses bad batch input as a caller bug", async () => {
    const leaves = leafHashes(2);
    const bad: [string, ReceiptBatchInput][] = [
      ["no leaves", input([])],
      ["zero logId", input(leaves, { logId: `0x${"00".repeat(32)}` })],
      ["short logId", input(leaves, { logId: "0x1234" })],
      ["leaf of 31 bytes", input([leaves[0]!, leaves[1]!.subarray(1)])],
      ["negative firstSequence", input(leaves, { firstSequence: -1 })],
      ["last sequence beyond 2^53", input(leaves, { firstSequence: Number.MAX_SAFE_INTEGER })],
      ["fractional receivedAt", input(leaves, { receivedAt: RECEIVED_AT + 0.5 })],
      ["receivedAt past year 9999", input(leaves, { receivedAt: 253_402_300_800 })],
      ["maxMergeDelaySeconds 2^32", input(leaves, { maxMergeDelaySeconds: 2 ** 32 })],
    ];
    for (const [label, value] of bad) {
      let caught: unknown;
      await signReceiptBatch(service, domain, value).catch((e: unknown) => (caught = e));
      expect(caught, label).to.be.instanceOf(RangeError);
    }
  });

  it("copes with the largest safe sequence", async () => {
    const { receipts } = await signReceiptBatch(
      service,
      domain,
      input(leafHashes(2), { firstSequence: Number.MAX_SAFE_INTEGER - 1 }),
    );
    expect(receipts[1]!.sequence).to.equal(Number.MAX_SAFE_INTEGER);
    for (const r of receipts) expectOk(verifyReceipt(domain, r));
  });
});

// ---- Throughput (printed for the record, never asserted) ---------------------------------------

describe("receipts: throughput (reported, not asserted)", function () {
  this.timeout(120_000);

  it("signs batches of 1, 100, 1000 and 10000 records; verifies single receipts", async () => {
    const lines: string[] = [];
    for (const count of [1, 100, 1000, 10_000]) {
      const leaves = leafHashes(count, 9);
      await signReceiptBatch(service, domain, input(leaves)); // warm-up
      const rounds = count >= 1000 ? 5 : 50;
      const t = performance.now();
      for (let i = 0; i < rounds; i++) await signReceiptBatch(service, domain, input(leaves));
      const ms = (performance.now() - t) / rounds;
      lines.push(`batch ${count}: ${ms.toFixed(2)} ms, ${Math.round((count * 1000) / ms)} records/s`);
    }
    const { receipts } = await signReceiptBatch(service, domain, input(leafHashes(1000, 7)));
    const t = performance.now();
    for (let i = 0; i < 300; i++) expectOk(verifyReceipt(domain, receipts[i]));
    const ms = (performance.now() - t) / 300;
    lines.push(`verifyReceipt: ${ms.toFixed(2)} ms, ${Math.round(1000 / ms)}/s`);
    console.log(lines.map((l) => `      ${l}`).join("\n"));
  });
});
