// The encrypted store's 国密 option: SM4-CTR + HMAC-SM3 blobs open like AES-GCM ones, refuse the
// same tampering, and live side by side with them under one data key.
import { expect } from "chai";
import {
  generateKey,
  open,
  seal,
  SM4_SEAL_OVERHEAD,
  SM4_SEAL_VERSION,
} from "../../../nodes/src/privacy/crypto-box.ts";
import { PrivacyError } from "../../../nodes/src/errors.ts";
import { codeThrown } from "../../support/expect-error.ts";

const decryptCode = (fn: () => unknown) => codeThrown(fn, PrivacyError);

describe("crypto-box, SM4 option", () => {
  const key = generateKey();
  const plaintext = new TextEncoder().encode("借款合同 — borrower 张三, ID 110101199003071234");

  it("seals with version 2 and opens to the plaintext; an AES blob under the same key still opens", () => {
    const sealed = seal(key, plaintext, "doc-1", "sm4");
    expect(sealed[0]).to.equal(SM4_SEAL_VERSION);
    expect(sealed.length).to.equal(plaintext.length + SM4_SEAL_OVERHEAD);
    expect(Buffer.from(sealed).includes(Buffer.from(plaintext))).to.equal(false);
    expect(new TextDecoder().decode(open(key, sealed, "doc-1"))).to.equal(
      new TextDecoder().decode(plaintext),
    );
    expect(open(key, seal(key, plaintext, "doc-1"), "doc-1")).to.deep.equal(plaintext);
  });

  it("refuses a flipped byte anywhere, a truncation, another aad and another key", () => {
    const sealed = seal(key, plaintext, "doc-1", "sm4");
    for (const at of [1, 16, 17, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at]! ^= 1;
      expect(
        decryptCode(() => open(key, bad, "doc-1")),
        `byte ${at}`,
      ).to.equal("NODE_ERR_DECRYPT");
    }
    expect(decryptCode(() => open(key, sealed.subarray(0, SM4_SEAL_OVERHEAD - 1), "doc-1"))).to.equal(
      "NODE_ERR_DECRYPT",
    );
    expect(decryptCode(() => open(key, sealed, "doc-2"))).to.equal("NODE_ERR_DECRYPT");
    expect(decryptCode(() => open(generateKey(), sealed, "doc-1"))).to.equal("NODE_ERR_DECRYPT");
  });

  it("a version byte moved to AES's does not open (the version is authenticated)", () => {
    const sealed = seal(key, plaintext, "doc-1", "sm4");
    sealed[0] = 1;
    expect(decryptCode(() => open(key, sealed, "doc-1"))).to.equal("NODE_ERR_DECRYPT");
  });
});
