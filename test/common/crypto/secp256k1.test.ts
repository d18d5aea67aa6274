// libsecp256k1 (WebAssembly) in place of ethers' SigningKey: the same signatures, the same
// recovered addresses and the same refusals as ethers, on random and on hostile input.
import { expect } from "chai";
import {
  Signature,
  SigningKey,
  Wallet,
  hexlify,
  keccak256,
  randomBytes,
  recoverAddress,
  toBeHex,
} from "ethers";
import { recoverAddressOf, signDigest, signedBy } from "../../../common/crypto/secp256k1.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const digest = () => keccak256(randomBytes(32));
const word = (n: bigint) => toBeHex(n, 32);

/** What ethers says: the address, or that it throws. */
function ethersRecovery(d: string, sig: Signature): string {
  try {
    return recoverAddress(d, sig);
  } catch {
    return "throws";
  }
}

function ours(d: string, sig: Signature): string {
  try {
    return recoverAddressOf(d, sig);
  } catch {
    return "throws";
  }
}

describe("secp256k1 on libsecp256k1: ethers' answers", () => {
  it("signs byte for byte as SigningKey (RFC 6979, low s), for 200 random keys and digests", () => {
    for (let i = 0; i < 200; i++) {
      const key = hexlify(randomBytes(32));
      const d = digest();
      expect(signDigest(key, d).serialized).to.equal(new SigningKey(key).sign(d).serialized);
    }
  });

  it("recovers the signer as recoverAddress does, for 200 random signatures", () => {
    for (let i = 0; i < 200; i++) {
      const wallet = Wallet.createRandom();
      const d = digest();
      const sig = wallet.signingKey.sign(d);
      expect(recoverAddressOf(d, sig)).to.equal(wallet.address);
      expect(recoverAddressOf(d, sig.serialized)).to.equal(wallet.address);
      // another digest recovers another key, the same one ethers recovers
      const elsewhere = digest();
      expect(recoverAddressOf(elsewhere, sig)).to.equal(recoverAddress(elsewhere, sig));
    }
  });

  it("hostile signatures: the same address or the same refusal as ethers", () => {
    const wallet = Wallet.createRandom();
    const d = digest();
    const good = wallet.signingKey.sign(d);
    const r = BigInt(good.r);
    const s = BigInt(good.s);
    const cases: Array<[string, { r: string; s: string; yParity: 0 | 1 }]> = [
      ["v flipped", { r: good.r, s: good.s, yParity: good.yParity === 0 ? 1 : 0 }],
      ["high s (n - s)", { r: good.r, s: word(N - s), yParity: good.yParity }],
      ["r = 0", { r: word(0n), s: good.s, yParity: good.yParity }],
      ["s = 0", { r: good.r, s: word(0n), yParity: good.yParity }],
      ["r = n", { r: word(N), s: good.s, yParity: good.yParity }],
      ["r + 1", { r: word(r + 1n), s: good.s, yParity: good.yParity }],
    ];
    for (let i = 0; i < 40; i++)
      cases.push([
        `random ${i}`,
        {
          r: hexlify(randomBytes(32)),
          s: word(BigInt(hexlify(randomBytes(32))) >> 1n),
          yParity: (i % 2) as 0 | 1,
        },
      ]);
    let refused = 0;
    for (const [name, fields] of cases) {
      let sig: Signature;
      try {
        sig = Signature.from(fields);
      } catch {
        continue; // ethers will not even build it: nothing reaches recovery
      }
      const expected = ethersRecovery(d, sig);
      if (expected === "throws") refused += 1;
      expect(ours(d, sig), name).to.equal(expected);
      expect(signedBy(d, sig, wallet.address), name).to.equal(expected === wallet.address);
    }
    // the cases do reach refusals (r = 0, r = n, r off the curve), not only other addresses
    expect(refused).to.be.greaterThan(2);
  });

  it("signedBy: true only for the named signer's own signature over that digest", () => {
    const a = Wallet.createRandom();
    const b = Wallet.createRandom();
    const d = digest();
    expect(signedBy(d, a.signingKey.sign(d), a.address)).to.equal(true);
    expect(signedBy(d, a.signingKey.sign(d), b.address)).to.equal(false);
    expect(signedBy(digest(), a.signingKey.sign(d), a.address)).to.equal(false);
    // an address not checksummed is not the checksummed one (callers pass getAddress's form)
    expect(signedBy(d, a.signingKey.sign(d), a.address.toLowerCase())).to.equal(false);
  });

  it("refuses a key or digest that is not 32 bytes", () => {
    expect(() => signDigest(hexlify(randomBytes(31)), digest())).to.throw(RangeError, /32 bytes/);
    expect(() => signDigest(hexlify(randomBytes(32)), hexlify(randomBytes(33)))).to.throw(
      RangeError,
      /32 bytes/,
    );
    expect(() =>
      recoverAddressOf(hexlify(randomBytes(31)), Wallet.createRandom().signingKey.sign(digest())),
    ).to.throw(RangeError);
  });
});
