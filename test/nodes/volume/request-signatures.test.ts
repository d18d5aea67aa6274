// A node-to-node request's body signature (nodes/src/node-requests.ts signedBody): the signer
// named in the headers must be the one its signature recovers to, request after request (an
// altered body, another key claiming the signer, a flipped v refused), and the member's kind is
// read from the registry once.
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  AuthError,
  bodyHashOf,
  prepareVerification,
  recoverSigner,
  requestDomain,
  signRequest,
  type TypedDataSigner,
} from "../../../common/auth/request-signing.ts";
import { AccountRole } from "../../../common/consortium/members.ts";
import { NodeError } from "../../../nodes/src/errors.ts";
import { NodeRequests, type SignedHeaders } from "../../../nodes/src/node-requests.ts";
import { BRANCH } from "../../../nodes/src/members.ts";
import { rejectedBy, thrownBy } from "../../support/expect-error.ts";

const PLATFORM_ID = 4;
const DOMAIN = requestDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const PATH = "/v1/loan-agreements/batch";

/** A signed request's headers as signedHeaders passes them on (step 1 done), and its body. */
async function signedRequest(
  signer: TypedDataSigner & { address: string },
  body: string,
  claimed = signer.address,
) {
  const headers = await signRequest(signer, DOMAIN, {
    method: "POST",
    path: PATH,
    body,
    target: PLATFORM_ID,
  });
  headers["x-jl-signer"] = claimed;
  const pending = prepareVerification(
    DOMAIN,
    { method: "POST", path: PATH, rawBody: new Uint8Array(0), headers },
    { now: Math.floor(Date.now() / 1000), maxTtlSeconds: 300, requireTarget: true },
  );
  const signed: SignedHeaders = { pending, kind: BRANCH, memberId: 2, bodyVerified: false };
  return { signed, rawBody: Buffer.from(body, "utf8") };
}

/** The pending request with its signature's v flipped (27 ↔ 28): a valid form, another recovered key. */
function flippedV(signed: SignedHeaders): SignedHeaders {
  const sig = signed.pending.signature;
  const v = sig.slice(130) === "1b" ? "1c" : "1b";
  return { ...signed, pending: { ...signed.pending, signature: `${sig.slice(0, 130)}${v}` } };
}

describe("node-to-node requests: each body signature checked against its named signer, its member's kind read once", function () {
  // signedBody uses no dependency: the registry and nonces serve steps 1 and 3
  const requests = new NodeRequests({} as ConstructorParameters<typeof NodeRequests>[0]);
  const branch = Wallet.createRandom();
  const stranger = Wallet.createRandom();

  it("every request of the signer verifies", async function () {
    for (let i = 0; i < 4; i++) {
      const next = await signedRequest(branch, `{"agreements":[${i}]}`);
      requests.signedBody(next.signed, next.rawBody);
      expect(next.signed.bodyVerified).to.equal(true);
    }
  });

  it("after the signer's good requests, the same refusals as recovery: another body, another key claiming the signer, a flipped v", async function () {
    const known = await signedRequest(branch, '{"agreements":[1]}');
    requests.signedBody(known.signed, known.rawBody);
    expect(known.signed.bodyVerified).to.equal(true);

    const cases: Array<{ name: string; signed: SignedHeaders; rawBody: Buffer }> = [];
    const altered = await signedRequest(branch, '{"agreements":[2]}');
    cases.push({ name: "another body", signed: altered.signed, rawBody: Buffer.from('{"agreements":[3]}') });
    const forged = await signedRequest(stranger, '{"agreements":[4]}', branch.address);
    cases.push({ name: "a stranger's key claiming the signer", ...forged });
    const flipped = await signedRequest(branch, '{"agreements":[5]}');
    cases.push({ name: "v flipped", signed: flippedV(flipped.signed), rawBody: flipped.rawBody });

    for (const c of cases) {
      // what recovery alone says of it: not the claimed signer
      const value = { ...c.signed.pending.value, bodyHash: bodyHashOf(c.rawBody) };
      expect(recoverSigner({ ...c.signed.pending, value }), c.name).to.not.equal(branch.address);
      const error = thrownBy(() => requests.signedBody(c.signed, c.rawBody), AuthError, c.name);
      expect(error.code, c.name).to.equal("AUTH_BAD_SIGNATURE");
      expect(c.signed.bodyVerified, c.name).to.equal(false);
    }
  });

  it("a signer's member's kind is read from the registry once; its status and the key's role are read for every request", async function () {
    let status = 1n;
    const reads = { accountOf: 0, profileOf: 0 };
    const withRegistry = new NodeRequests({
      memberId: PLATFORM_ID,
      chainId: async () => DOMAIN.chainId,
      registry: {
        getAddress: async () => DOMAIN.verifyingContract,
        accountOf: async () => {
          reads.accountOf++;
          return [2n, status, BigInt(AccountRole.Operations)];
        },
        profileOf: async () => {
          reads.profileOf++;
          return [BigInt(BRANCH), status, 0n];
        },
      },
    } as unknown as ConstructorParameters<typeof NodeRequests>[0]);
    const headersOf = async () => ({
      method: "POST",
      path: PATH,
      headers: await signRequest(branch, DOMAIN, {
        method: "POST",
        path: PATH,
        body: "{}",
        target: PLATFORM_ID,
      }),
    });
    for (let i = 0; i < 3; i++) await withRegistry.signedHeaders(await headersOf(), BRANCH);
    expect(reads).to.deep.equal({ accountOf: 3, profileOf: 1 });
    // suspended: refused at once, its kind known or not
    status = 2n;
    const error = await rejectedBy(withRegistry.signedHeaders(await headersOf(), BRANCH), NodeError);
    expect(error.code).to.equal("NODE_ERR_ROLE");
    expect(reads).to.deep.equal({ accountOf: 4, profileOf: 1 });
  });
});
