// signedBy: a signer's key, once recovered, checks its later signatures without recovery; the
// answer is always recoverAddress's (other signers, altered digests, a flipped v).
import { expect } from "chai";
import { Signature, Wallet, keccak256, randomBytes, recoverAddress } from "ethers";
import {
  forgetKnownSigners,
  knowsSigner,
  signedBy,
} from "../../../../common/formats/receipt/known-signer.ts";

const digest = () => keccak256(randomBytes(32));
const flipV = (sig: Signature) => Signature.from({ r: sig.r, s: sig.s, v: sig.v === 27 ? 28 : 27 });

describe("receipts: signatures of a known signer", () => {
  beforeEach(forgetKnownSigners);

  it("agrees with recoverAddress before and after the signer's key is known", () => {
    const signer = Wallet.createRandom();
    const other = Wallet.createRandom();
    expect(knowsSigner(signer.address)).to.equal(false);
    for (let i = 0; i < 20; i++) {
      const d = digest();
      const sig = signer.signingKey.sign(d);
      expect(signedBy(d, sig, signer.address)).to.equal(true);
      expect(knowsSigner(signer.address)).to.equal(true);
      // the same signature for another digest, another signer's signature, a flipped v: all refused
      const elsewhere = digest();
      expect(signedBy(elsewhere, sig, signer.address)).to.equal(
        recoverAddress(elsewhere, sig) === signer.address,
      );
      expect(signedBy(d, other.signingKey.sign(d), signer.address)).to.equal(false);
      expect(recoverAddress(d, flipV(sig))).to.not.equal(signer.address);
      expect(signedBy(d, flipV(sig), signer.address)).to.equal(false);
    }
  });

  it("a known key vouches for no other address: each address is checked against its own key", () => {
    const a = Wallet.createRandom();
    const b = Wallet.createRandom();
    const d = digest();
    expect(signedBy(d, a.signingKey.sign(d), a.address)).to.equal(true);
    // b unknown: a's signature claiming b is recovered and refused, and b's key is not learnt from it
    expect(signedBy(d, a.signingKey.sign(d), b.address)).to.equal(false);
    expect(knowsSigner(b.address)).to.equal(false);
    expect(signedBy(d, b.signingKey.sign(d), b.address)).to.equal(true);
    expect(signedBy(d, b.signingKey.sign(d), a.address)).to.equal(false);
  });

  it("a rotated key: the new address is learnt on its first signature, the old key's signatures claiming it fail", () => {
    const before = Wallet.createRandom();
    const after = Wallet.createRandom();
    const d1 = digest();
    expect(signedBy(d1, before.signingKey.sign(d1), before.address)).to.equal(true);
    const d2 = digest();
    expect(signedBy(d2, after.signingKey.sign(d2), after.address)).to.equal(true);
    expect(signedBy(d2, before.signingKey.sign(d2), after.address)).to.equal(false);
    // and the old one still verifies its own
    expect(signedBy(d2, before.signingKey.sign(d2), before.address)).to.equal(true);
  });

  it("after the keys are forgotten, the first check recovers the key again", () => {
    const signer = Wallet.createRandom();
    const d = digest();
    const sig = signer.signingKey.sign(d);
    expect(signedBy(d, sig, signer.address)).to.equal(true);
    forgetKnownSigners();
    expect(knowsSigner(signer.address)).to.equal(false);
    expect(signedBy(d, sig, signer.address)).to.equal(true);
    expect(knowsSigner(signer.address)).to.equal(true);
  });

  it("keeps at most 8 keys, the least recently used forgotten first", () => {
    const signers = Array.from({ length: 9 }, () => Wallet.createRandom());
    const d = digest();
    for (const s of signers) expect(signedBy(d, s.signingKey.sign(d), s.address)).to.equal(true);
    expect(knowsSigner(signers[0]!.address)).to.equal(false);
    expect(knowsSigner(signers[8]!.address)).to.equal(true);
  });
});
