// 国密 known answers: SM3 (GB/T 32905-2016 Appendix A), SM4 (GB/T 32907-2016 Appendix A) and SM2
// signatures (GB/T 32918.2-2016 Appendix A on its 256-bit test curve; GM/T 0003.5-2012 /
// GB/T 32918.5-2017 Appendix A on the recommended curve with the default user id), each with the
// standard's fixed k so the signing path is checked byte for byte, not only verification.
import { expect } from "chai";
import { createCipheriv } from "node:crypto";
import { fromHex, toHex } from "../../../common/bytes.ts";
import { SM2_DEFAULT_USER_ID, sm2, sm2Over } from "../../../common/crypto/sm2.ts";
import { hmacSm3, sm3, sm3Stream } from "../../../common/crypto/sm3.ts";
import { sm4Ctr, sm4DecryptBlock, sm4EncryptBlock, sm4EtmKeys } from "../../../common/crypto/sm4.ts";

const hex = (h: string) => fromHex(`0x${h.replace(/\s+/g, "").toLowerCase()}`);
const plain = (h: string) => toHex(hex(h));

describe("SM3 (GB/T 32905-2016)", () => {
  it('Appendix A.1: "abc"', () => {
    expect(toHex(sm3("abc"))).to.equal(
      plain("66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"),
    );
  });

  it('Appendix A.2: "abcd" × 16 (512 bits), also in chunks', () => {
    const want = plain("debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732");
    expect(toHex(sm3("abcd".repeat(16)))).to.equal(want);
    const stream = sm3Stream();
    for (const part of ["abcd".repeat(5), "abcd".repeat(11)]) stream.update(new TextEncoder().encode(part));
    expect(toHex(stream.digest())).to.equal(want);
  });

  it("HMAC-SM3 differs per key", () => {
    const data = new TextEncoder().encode("x");
    expect(toHex(hmacSm3(new Uint8Array(32), data))).to.not.equal(
      toHex(hmacSm3(new Uint8Array(32).fill(1), data)),
    );
  });
});

describe("SM4 (GB/T 32907-2016)", () => {
  const key = hex("01234567 89abcdef fedcba98 76543210");

  it("Appendix A.1: one block", () => {
    const cipher = sm4EncryptBlock(key, key);
    expect(toHex(cipher)).to.equal(plain("681edf34 d206965e 86b3e94f 536e4246"));
    expect(toHex(sm4DecryptBlock(key, cipher))).to.equal(toHex(key));
  });

  it("Appendix A.2: the block encrypted 1,000,000 times (one ECB stream: each output is the next input)", function () {
    this.timeout(30_000);
    // a fresh cipher per block costs ~50 µs; one stream encrypts the same chain in ~1 s
    const cipher = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
    let block: Uint8Array = key;
    for (let i = 0; i < 1_000_000; i++) block = cipher.update(block);
    expect(toHex(block)).to.equal(plain("595298c7 c6fd271f 0402f804 c33d3f66"));
    expect(toHex(sm4EncryptBlock(key, key))).to.equal(plain("681edf34 d206965e 86b3e94f 536e4246"));
  });

  it("CTR round-trips and refuses a wrong-size key", () => {
    const iv = new Uint8Array(16).fill(7);
    const data = new TextEncoder().encode("借款合同 contract bytes, not a block multiple");
    const sealed = sm4Ctr(key, iv, data);
    expect(toHex(sealed)).to.not.equal(toHex(data));
    expect(toHex(sm4Ctr(key, iv, sealed))).to.equal(toHex(data));
    expect(() => sm4Ctr(new Uint8Array(32), iv, data)).to.throw(RangeError);
  });

  it("the encrypt-then-MAC keys are independent of each other", () => {
    const { encKey, macKey } = sm4EtmKeys(new Uint8Array(32).fill(9));
    expect(encKey.length).to.equal(16);
    expect(macKey.length).to.equal(32);
    expect(toHex(macKey.subarray(0, 16))).to.not.equal(toHex(encKey));
  });
});

describe("SM2 signatures (GB/T 32918.2-2016)", () => {
  const message = new TextEncoder().encode("message digest");

  describe("Appendix A, 256-bit test curve, user id ALICE123@YAHOO.COM", () => {
    const testCurve = sm2Over({
      p: BigInt("0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3"),
      a: BigInt("0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498"),
      b: BigInt("0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A"),
      n: BigInt("0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7"),
      gx: BigInt("0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D"),
      gy: BigInt("0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2"),
    });
    const privateKey = hex("128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263");
    const publicKey = hex(
      "04 0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A" +
        "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857",
    );
    const signature =
      "40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1" +
      "6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7";
    const userId = "ALICE123@YAHOO.COM";

    it("derives the published public key", () => {
      expect(toHex(testCurve.publicKeyOf(privateKey))).to.equal(toHex(publicKey));
    });

    it("signs to the published (r, s) with the published k, and verifies it", () => {
      const k = BigInt("0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F");
      expect(toHex(testCurve.sign(privateKey, message, { userId, k }))).to.equal(plain(signature));
      expect(testCurve.verify(publicKey, message, hex(signature), userId)).to.equal(true);
    });

    it("refuses it under another user id, message or key", () => {
      expect(testCurve.verify(publicKey, message, hex(signature), SM2_DEFAULT_USER_ID)).to.equal(false);
      expect(
        testCurve.verify(publicKey, new TextEncoder().encode("message digesT"), hex(signature), userId),
      ).to.equal(false);
      const other = testCurve.generateKeyPair().publicKey;
      expect(testCurve.verify(other, message, hex(signature), userId)).to.equal(false);
    });
  });

  describe("GM/T 0003.5-2012 Appendix A, recommended curve, default user id", () => {
    const privateKey = hex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
    const publicKey = hex(
      "04 09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020" +
        "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13",
    );
    const signature =
      "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3" +
      "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

    it("Z_A over the default id 1234567812345678", () => {
      expect(toHex(sm2.z(publicKey))).to.equal(
        plain("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"),
      );
    });

    it("signs to the published (r, s) with the published k, and verifies it", () => {
      expect(toHex(sm2.publicKeyOf(privateKey))).to.equal(toHex(publicKey));
      const k = BigInt("0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21");
      expect(toHex(sm2.sign(privateKey, message, { k }))).to.equal(plain(signature));
      expect(sm2.verify(publicKey, message, hex(signature))).to.equal(true);
    });

    it("random-k signatures verify; a flipped bit, a zero r or a malformed key does not", () => {
      const { privateKey: d, publicKey: p } = sm2.generateKeyPair();
      const sig = sm2.sign(d, message);
      expect(sm2.verify(p, message, sig)).to.equal(true);
      const flipped = sig.slice();
      flipped[40]! ^= 1;
      expect(sm2.verify(p, message, flipped)).to.equal(false);
      expect(sm2.verify(p, message, new Uint8Array(64))).to.equal(false);
      expect(sm2.verify(p.subarray(0, 64), message, sig)).to.equal(false);
    });
  });
});
