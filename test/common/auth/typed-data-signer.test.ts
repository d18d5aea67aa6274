// typedDataHash (common/auth/eip712.ts) is TypedDataEncoder.hash with each domain's separator and
// each set of types' encoder made once; typedDataSignerOf signs over it. Both must be ethers' own —
// the same digest, the wallet's signature byte for byte — for every signed format of the system,
// domains and formats interleaved (each cached value used again, none mixed up), and typed data
// ethers cannot encode as given fails as ethers fails, also after a look-alike domain was cached.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { TypedDataEncoder, Wallet } from "ethers";
import { NODE_REQUEST_TYPES, REQUEST_TYPES, requestDomain } from "../../../common/auth/request-signing.ts";
import { mutableTypes, typedDataHash, typedDataSignerOf } from "../../../common/auth/eip712.ts";
import { LOAN_AGREEMENT_TYPES } from "../../../common/lending/agreement.ts";
import { SUBMISSION_TYPES, submissionDomain } from "../../../common/formats/receipt/submission.ts";

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
const address = () => Wallet.createRandom().address;

describe("common/auth/eip712: typedDataSignerOf", () => {
  const wallet = Wallet.createRandom();
  const signer = typedDataSignerOf(wallet);
  const registries = [address(), address()];
  const ledgers = [address(), address()];

  /** One random piece of typed data of each of the system's formats, in a random domain of two chains and two contracts. */
  function samples() {
    const chainId = [31337n, 20260n][Math.floor(Math.random() * 2)]!;
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const request = {
      method: "POST",
      path: `/v1/loans/${hex32()}`,
      bodyHash: hex32(),
      nonce: BigInt(hex32()) >> 128n,
      expiresAt: 1_780_000_000n,
    };
    return [
      {
        domain: requestDomain(chainId, pick(registries)),
        types: mutableTypes(REQUEST_TYPES),
        value: request,
      },
      {
        domain: requestDomain(chainId, pick(registries)),
        types: mutableTypes(NODE_REQUEST_TYPES),
        value: { ...request, target: 4 },
      },
      {
        domain: submissionDomain(chainId, pick(ledgers)),
        types: mutableTypes(SUBMISSION_TYPES),
        value: { logId: hex32(), batchRoot: hex32() },
      },
      {
        // the platform's agreement (common/lending/agreement.ts) over a terms hash
        domain: { name: "JointLoanLedger", version: "1", chainId, verifyingContract: pick(ledgers) },
        types: mutableTypes(LOAN_AGREEMENT_TYPES),
        value: { loanId: hex32(), termsHash: hex32() },
      },
    ];
  }

  it("typedDataHash is TypedDataEncoder.hash for every format, domains and formats interleaved", () => {
    for (let round = 0; round < 12; round++)
      for (const { domain, types, value } of samples())
        expect(typedDataHash(domain, types, value)).to.equal(TypedDataEncoder.hash(domain, types, value));
  });

  it("typedDataHash refuses what ethers refuses, also for a domain spelled like a cached one", () => {
    const [{ domain, types, value }] = samples() as [ReturnType<typeof samples>[0]];
    typedDataHash(domain, types, value);
    const lookAlikes: Array<Record<string, unknown>> = [
      { ...domain, chainId: `${domain.chainId}n` },
      { ...domain, chainId: -1n },
      { ...domain, verifyingContract: domain.verifyingContract.toLowerCase().replace("0x", "0X") },
      { ...domain, unknownField: "x" },
    ];
    for (const lookAlike of lookAlikes) {
      expect(() => TypedDataEncoder.hash(lookAlike, types, value)).to.throw();
      expect(() => typedDataHash(lookAlike, types, value)).to.throw();
    }
    // a domain ethers accepts in another spelling (chainId as a number) is hashed as ethers hashes it
    const asNumber = { ...domain, chainId: Number(domain.chainId) };
    expect(typedDataHash(asNumber, types, value)).to.equal(TypedDataEncoder.hash(asNumber, types, value));
  });

  it("never takes two domains for one when a field's text looks like another field", () => {
    const types = { Mail: [{ name: "contents", type: "string" }] };
    const value = { contents: "x" };
    const joined = { name: "a|version:string:1" };
    const split = { name: "a", version: "1" };
    expect(typedDataHash(joined, types, value)).to.equal(TypedDataEncoder.hash(joined, types, value));
    expect(typedDataHash(split, types, value)).to.equal(TypedDataEncoder.hash(split, types, value));
    expect(typedDataHash(split, types, value)).to.not.equal(typedDataHash(joined, types, value));
  });

  it("gives the wallet's own signature for every format, domains and formats interleaved", async () => {
    for (let round = 0; round < 12; round++)
      for (const { domain, types, value } of samples()) {
        const ours = await signer.signTypedData(domain, types, value);
        expect(ours).to.equal(await wallet.signTypedData(domain, types, value));
      }
    expect(await signer.getAddress()).to.equal(wallet.address);
  });

  it("fails where the wallet fails: a value the types do not fit, an ENS name with no provider", async () => {
    const [request, , submission] = samples();
    const cases = [
      { ...request!, value: { ...request!.value, nonce: -1n } },
      { ...submission!, value: { logId: "0x1234", batchRoot: hex32() } },
      { ...submission!, domain: { ...submission!.domain, verifyingContract: "evidence.jointledger.eth" } },
      // 40 hex digits without 0x: an ENS name to the wallet, though getAddress would take it
      { ...submission!, domain: { ...submission!.domain, verifyingContract: "11".repeat(20) } },
    ];
    for (const { domain, types, value } of cases) {
      const wallets = await wallet.signTypedData(domain, types, value).then(
        () => "signed",
        (e: Error) => e.message,
      );
      const ours = await signer.signTypedData(domain, types, value).then(
        () => "signed",
        (e: Error) => e.message,
      );
      expect(wallets).to.not.equal("signed");
      expect(ours).to.equal(wallets);
    }
  });
});
