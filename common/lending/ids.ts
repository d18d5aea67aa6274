// Ids derived exactly as the contracts derive them (JointLoanLedger.loanIdOf,
// DisputeResolution.caseIdOf), so a node can name a loan or case before it is on chain. Each is
// keccak256 over an abi.encode of fixed shape, written straight into a buffer: ethers' ABI coder
// cost more than the hash, and every node derives these for every loan and fund flow it indexes
// or sends. Held to ethers' abi.encode on random values (test/common/ids.test.ts).
import { keccak256 } from "ethers";

const WORD = 32;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * abi.encode(string tag, …`words` static words), the words left zero: the string's offset, the
 * words, then the tag (its length, its bytes padded to whole words). A call copies it and fills
 * the words in.
 */
function taggedEncoding(tag: string, words: number): Buffer {
  const tagBytes = Buffer.from(tag, "utf8");
  const head = WORD * (1 + words);
  const template = Buffer.alloc(head + WORD + Math.ceil(tagBytes.length / WORD) * WORD);
  template.writeUInt32BE(head, WORD - 4);
  template.writeUInt32BE(tagBytes.length, head + WORD - 4);
  tagBytes.copy(template, head + WORD);
  return template;
}

const LOAN = taggedEncoding("JointLedger.loan.v1", 2);
const CASE = taggedEncoding("JointLedger.case.v1", 2);
const EVIDENCE = taggedEncoding("JointLedger.evidence.v1", 2);

/** Writes 32 bytes of hex at word `index` of `out`; anything else is refused, as ethers refuses it. */
function putBytes32(out: Buffer, index: number, value: string, field: string): void {
  if (typeof value !== "string" || !BYTES32.test(value))
    throw new RangeError(`${field} must be 32 bytes of hex (0x and 64 digits), got ${String(value)}`);
  out.write(value.slice(2), index * WORD, "hex");
}

const INTEGER_TEXT = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

/** A whole number as ethers reads one (a number, a bigint, decimal or 0x text); -1n for anything else. */
function wholeNumber(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : -1n;
  return typeof value === "string" && INTEGER_TEXT.test(value) ? BigInt(value) : -1n;
}

/** Writes an unsigned integer below 2^bits at word `index` of `out`. */
function putUint(out: Buffer, index: number, value: number | bigint, bits: number, field: string): void {
  const v = wholeNumber(value);
  if (v < 0n || v >= 1n << BigInt(bits))
    throw new RangeError(`${field} must be a whole number below 2^${bits}, got ${String(value)}`);
  // the word from its low end, 8 bytes at a time, as many as the value needs
  let rest = v;
  for (let end = (index + 1) * WORD; rest > 0n; end -= 8) {
    out.writeBigUInt64BE(rest & 0xffffffffffffffffn, end - 8);
    rest >>= 64n;
  }
}

/** keccak256(abi.encode("JointLedger.loan.v1", uint32 originator, bytes32 applicationSerial)). */
export function loanIdOf(originator: number, applicationSerial: string): string {
  const out = Buffer.from(LOAN);
  putUint(out, 1, originator, 32, "originator");
  putBytes32(out, 2, applicationSerial, "applicationSerial");
  return keccak256(out);
}

/**
 * keccak256(abi.encode("JointLedger.case.v1", bytes32 loanId, uint256 triggeredAt)): the case
 * opened when the loan reached arbitration at block time `triggeredAt` (unix seconds).
 */
export function caseIdOf(loanId: string, triggeredAt: number | bigint): string {
  const out = Buffer.from(CASE);
  putBytes32(out, 1, loanId, "loanId");
  putUint(out, 2, triggeredAt, 256, "triggeredAt");
  return keccak256(out);
}

/** keccak256(abi.encode("JointLedger.evidence.v1", contractLeaf, consentLeaf)): a loan's evidence chain at registration. */
export function evidenceChainStart(contractLeaf: string, consentLeaf: string): string {
  const out = Buffer.from(EVIDENCE);
  putBytes32(out, 1, contractLeaf, "contractLeaf");
  putBytes32(out, 2, consentLeaf, "consentLeaf");
  return keccak256(out);
}

/** The evidence chain after one more fund-flow voucher: keccak256(abi.encode(chain, voucher)). */
export function extendEvidenceChain(chain: string, voucher: string): string {
  const out = Buffer.alloc(2 * WORD);
  putBytes32(out, 0, chain, "chain");
  putBytes32(out, 1, voucher, "voucher");
  return keccak256(out);
}
