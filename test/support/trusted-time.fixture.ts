// Bundles with trusted time for tests: the example bundle (bundle.fixture.ts) anchored at a chosen
// block time with the log operator's intake receipt, and stamped by a demo TSA
// (common/pki/demo-tsa.ts) whose clock the test sets. (No describe/it here.)
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { fromHex } from "../../common/bytes.ts";
import { parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { headTimestampMessage } from "../../common/formats/bundle/trusted-time.ts";
import { receiptDomain, signReceiptBatch } from "../../common/formats/receipt/receipts.ts";
import type { DemoTsa } from "../../common/pki/demo-tsa.ts";
import { timestampRequest, tokenFromResponse } from "../../common/pki/timestamp.ts";
import { sampleBundle } from "./bundle.fixture.ts";

const OPERATOR = new Wallet(keccak256(toUtf8Bytes("trusted-time test operator")));
export const SEVEN_WEEKS = 7 * 7 * 86_400;

/** The bundle's head stamped by `tsa` (or `message` stamped instead, for a token over something else). */
export async function stamped(
  bundle: EvidenceBundle,
  tsa: DemoTsa,
  message?: Uint8Array,
): Promise<EvidenceBundle> {
  const request = await timestampRequest(
    message ??
      headTimestampMessage({
        logId: bundle.log.logId,
        treeSize: bundle.head.treeSize,
        rootHash: bundle.head.rootHash,
      }),
  );
  const token = tokenFromResponse(await tsa.respond(request.der), request.der);
  const tokens = [
    ...(bundle.trustedTime?.tokens ?? []),
    { tsa: "http://tsa.test/", token: Buffer.from(token).toString("base64") },
  ];
  return parseBundle({ ...bundle, trustedTime: { tokens } });
}

/** The sample bundle anchored at `blockTime`, with the operator's intake receipt dated `receivedAt`. */
export async function anchoredAt(blockTime: number, receivedAt: number): Promise<EvidenceBundle> {
  const bundle = sampleBundle();
  const { receipts } = await signReceiptBatch(
    OPERATOR,
    receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog),
    {
      logId: bundle.log.logId,
      firstSequence: bundle.log.leafIndex,
      leafHashes: [fromHex(bundle.leaf.leafHash)],
      receivedAt,
      maxMergeDelaySeconds: 60,
    },
  );
  return parseBundle({
    ...bundle,
    anchor: {
      ...bundle.anchor,
      blockTimestamp: blockTime,
      anchoredAt: new Date(blockTime * 1000).toISOString(),
    },
    receipt: receipts[0],
  });
}
