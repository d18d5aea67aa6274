// The document store's 国密 option (NODE_DOCUMENT_CIPHER=sm4): documents sealed with SM4-CTR +
// HMAC-SM3 on a real LevelDB read back after a reopen, the bytes on disk are neither the plaintext
// nor AES blobs, a store switched back to AES still reads them, and the default is unchanged. The
// cipher under it meets the standard's own example (GM/T 0002-2012 = GB/T 32907-2016, Appendix A).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../common/bytes.ts";
import { sm4EncryptBlock } from "../../../common/crypto/sm4.ts";
import { DocumentStore } from "../../../nodes/src/documents/document-store.ts";
import { documentSublevels } from "../../../nodes/src/documents/keys.ts";
import { nodeConfigFromEnv } from "../../../nodes/src/config.ts";
import {
  deriveKey,
  generateKey,
  SEAL_VERSION,
  SM4_SEAL_VERSION,
  type SealCipher,
} from "../../../nodes/src/privacy/crypto-box.ts";
import { levelBackends } from "../../support/level-backends.ts";
import { NODE_ENV_EXAMPLE } from "../../support/node-env.ts";

const OWNER = 102;
const clerk = {
  actor: { userId: "clerk-102", role: "clerk" as const, memberId: OWNER },
  purpose: "loan review",
};
const key = deriveKey(generateKey(), "documents");
const [, onDisk] = levelBackends<Uint8Array, Uint8Array>("document-store-sm4-", {
  keyEncoding: "view",
  valueEncoding: "view",
});

describe("document store, SM4 option (国密)", function () {
  this.timeout(20_000);

  it("GM/T 0002-2012 Appendix A: the SM4 block cipher under the store meets the standard's example", function () {
    const block = Uint8Array.from(Buffer.from("0123456789abcdeffedcba9876543210", "hex"));
    expect(toHex(sm4EncryptBlock(block, block))).to.equal("0x681edf34d206965e86b3e94f536e4246");
  });

  it("seals with SM4 on a real LevelDB; reads back after a reopen; stored bytes are not the plaintext", async function () {
    const backing = await onDisk!.create();
    try {
      const open = (cipher?: SealCipher) =>
        DocumentStore.open({
          sublevels: documentSublevels(backing.db),
          key,
          courtMayRead: async () => false,
          ...(cipher === undefined ? {} : { cipher }),
        });
      const contract = new TextEncoder().encode(`借款合同 ${randomBytes(4).toString("hex")} `.repeat(500));
      const sm4Store = await open("sm4");
      const { documentId: sm4Doc } = await sm4Store.put({ kind: "contract", bytes: contract, owner: OWNER });

      await backing.reopen();
      const blobs = documentSublevels(backing.db).blobs;
      const stored = (await blobs.get(fromHex(sm4Doc)))!;
      expect(stored[0], "version byte").to.equal(SM4_SEAL_VERSION);
      expect(
        Buffer.from(stored).includes(Buffer.from(contract.subarray(0, 64))),
        "plaintext on disk",
      ).to.equal(false);
      // a node switched back to the default keeps reading what SM4 sealed; new documents are AES again
      const aesStore = await open();
      expect(toHex(await aesStore.get(sm4Doc, clerk))).to.equal(toHex(contract));
      const { documentId: aesDoc } = await aesStore.put({ kind: "voucher", bytes: contract, owner: OWNER });
      expect((await blobs.get(fromHex(aesDoc)))![0]).to.equal(SEAL_VERSION);
      expect(toHex(await (await open("sm4")).get(aesDoc, clerk))).to.equal(toHex(contract));
    } finally {
      await backing.dispose();
    }
  });

  it("NODE_DOCUMENT_CIPHER: AES-256-GCM unless sm4 is asked for; other values refused", function () {
    expect(nodeConfigFromEnv(NODE_ENV_EXAMPLE).documentCipher).to.equal("aes-256-gcm");
    const sm4 = nodeConfigFromEnv({ ...NODE_ENV_EXAMPLE, NODE_DOCUMENT_CIPHER: "sm4" });
    expect(sm4.documentCipher).to.equal("sm4");
    expect(() => nodeConfigFromEnv({ ...NODE_ENV_EXAMPLE, NODE_DOCUMENT_CIPHER: "sm4-ecb" })).to.throw(
      /NODE_DOCUMENT_CIPHER/,
    );
  });
});
