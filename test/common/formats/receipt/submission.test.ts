// The submitter's signature over a request (common/formats/receipt/submission.ts): the EIP-712
// digest written out by hand; every leaf of requests of 1..40 records proves into the signed
// root; a proof for another leaf, index, root, log, chain or EvidenceLog, a forged signer name
// and malformed input are refused with a reason.
import { expect } from "chai";
import { TypedDataEncoder, Wallet, keccak256, toUtf8Bytes, AbiCoder } from "ethers";
import { toHex } from "../../../../common/bytes.ts";
import { hashLeaf, rootFromLeafHashes } from "../../../../common/formats/merkle/rfc9162.ts";
import {
  SUBMISSION_TYPES,
  checkSubmissionProof,
  signSubmission,
  submissionDomain,
  submissionProofOf,
  submissionRoot,
} from "../../../../common/formats/receipt/submission.ts";

const member = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const operator = new Wallet("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const LOG = `0x${"ab".repeat(32)}`;
const EVIDENCE_LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = submissionDomain(31337n, EVIDENCE_LOG);
const leaves = (n: number, tag = "x") =>
  Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`${tag} ${i}`)));

describe("submission signature (EvidenceSubmission)", function () {
  it("is EIP-712 over (logId, batchRoot) under the named domain, written out by hand", async function () {
    const hashes = leaves(3);
    const { batchRoot, signature } = await signSubmission(member, domain, LOG, hashes);
    expect(batchRoot).to.equal(toHex(rootFromLeafHashes(hashes)));
    const abi = AbiCoder.defaultAbiCoder();
    const typeHash = keccak256(toUtf8Bytes("EvidenceSubmission(bytes32 logId,bytes32 batchRoot)"));
    const domainHash = keccak256(
      abi.encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [
          keccak256(
            toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
          ),
          keccak256(toUtf8Bytes("JointLedger Evidence Submission")),
          keccak256(toUtf8Bytes("1")),
          31337n,
          EVIDENCE_LOG,
        ],
      ),
    );
    const structHash = keccak256(abi.encode(["bytes32", "bytes32", "bytes32"], [typeHash, LOG, batchRoot]));
    const digest = keccak256(`0x1901${domainHash.slice(2)}${structHash.slice(2)}`);
    expect(
      TypedDataEncoder.hash(
        domain,
        { EvidenceSubmission: [...SUBMISSION_TYPES.EvidenceSubmission] },
        { logId: LOG, batchRoot },
      ),
    ).to.equal(digest);
    expect(member.signingKey.sign(digest).serialized).to.equal(signature);
  });

  it("places every leaf of requests of 1..40 records in the signed root", async function () {
    for (let n = 1; n <= 40; n++) {
      const hashes = leaves(n, `n${n}`);
      const { signature } = await signSubmission(member, domain, LOG, hashes);
      for (let i = 0; i < n; i++) {
        const proof = submissionProofOf(hashes, i, { signature, signer: member.address });
        expect(checkSubmissionProof(domain, LOG, toHex(hashes[i]!), proof), `${i} of ${n}`).to.deep.equal({
          ok: true,
          signer: member.address,
        });
      }
    }
  });

  it("refuses another leaf, index, root, log, chain, EvidenceLog or a signer it does not recover to", async function () {
    const hashes = leaves(5);
    const { signature } = await signSubmission(member, domain, LOG, hashes);
    const proof = submissionProofOf(hashes, 2, { signature, signer: member.address });
    const leaf = toHex(hashes[2]!);
    const reasonOf = (d = domain, log = LOG, l = leaf, p: unknown = proof) => {
      const r = checkSubmissionProof(d, log, l, p);
      expect(r.ok).to.equal(false);
      return (r as { reason: string }).reason;
    };
    expect(reasonOf(domain, LOG, toHex(hashes[3]!))).to.include("does not place leaf");
    expect(reasonOf(domain, LOG, leaf, { ...proof, index: 1 })).to.include("at index 1");
    expect(reasonOf(domain, LOG, leaf, { ...proof, index: 5 })).to.include("index 5 of a request of 5");
    expect(
      reasonOf(domain, LOG, leaf, { ...proof, batchRoot: submissionRoot(leaves(5, "other")) }),
    ).to.include("does not place leaf");
    expect(reasonOf(domain, `0x${"cd".repeat(32)}`)).to.include(
      `not to the signer it names, ${member.address}`,
    );
    expect(reasonOf(submissionDomain(1n, EVIDENCE_LOG))).to.include("recovers to");
    expect(reasonOf(submissionDomain(31337n, operator.address))).to.include("recovers to");
    // the operator names the member as signer over its own signature: the name does not make it the member's
    const { signature: operators } = await signSubmission(operator, domain, LOG, hashes);
    expect(reasonOf(domain, LOG, leaf, { ...proof, signature: operators })).to.equal(
      `the submission signature over root ${proof.batchRoot} recovers to ${operator.address}, not to the signer it names, ${member.address}`,
    );
    expect(reasonOf(domain, LOG, leaf, { ...proof, signature: "0x12" })).to.include("malformed");
    expect(reasonOf(domain, LOG, leaf, { ...proof, extra: 1 })).to.include("malformed");
    expect(reasonOf(domain, LOG, leaf, null)).to.include("malformed");
  });

  it("refuses an empty request and a zero log id when signing", async function () {
    await signSubmission(member, domain, LOG, []).then(
      () => expect.fail("signed an empty request"),
      (e: Error) => expect(e.message).to.include("at least one leaf hash"),
    );
    await signSubmission(member, domain, `0x${"00".repeat(32)}`, leaves(1)).then(
      () => expect.fail("signed for the zero log"),
      (e: Error) => expect(e.message).to.include("non-zero"),
    );
  });
});
