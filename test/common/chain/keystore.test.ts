// Keystores decrypted with Node's native scrypt (common/chain/keystore.ts): to the same key as
// ethers, with the same refusals, and what a node loads its account with.
import { expect } from "chai";
import { Wallet, encryptKeystoreJson } from "ethers";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { decryptKeystore } from "../../../common/chain/keystore.ts";
import { loadWallet } from "../../../nodes/src/wiring/storage.ts";

const PASSWORD = "pässwörd ﬁ 密码"; // NFKC changes "ﬁ": the password is normalized as ethers does
const N = 1 << 10; // a small work factor keeps the test quick; the format is the launcher's

async function keystoreOf(
  wallet: { address: string; privateKey: string },
  password = PASSWORD,
): Promise<string> {
  return encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
    scrypt: { N },
  });
}

describe("keystores: native scrypt, ethers' checks", function () {
  it("decrypts an ethers keystore to the same key ethers does", async function () {
    const wallet = Wallet.createRandom();
    const json = await keystoreOf(wallet);
    const ours = await decryptKeystore(json, PASSWORD);
    const theirs = await Wallet.fromEncryptedJson(json, PASSWORD);
    expect(ours.privateKey).to.equal(wallet.privateKey);
    expect(ours.privateKey).to.equal(theirs.privateKey);
    expect(ours.address).to.equal(wallet.address);
  });

  it("refuses a wrong password (the MAC) and a keystore whose address is not its key's", async function () {
    const wallet = Wallet.createRandom();
    const json = await keystoreOf(wallet);
    await decryptKeystore(json, `${PASSWORD}x`).then(
      () => expect.fail("a wrong password was accepted"),
      (error: Error) => expect(error.message).to.match(/incorrect password/),
    );
    const other = Wallet.createRandom().address.slice(2).toLowerCase();
    const relabelled = JSON.stringify({ ...(JSON.parse(json) as object), address: other });
    await decryptKeystore(relabelled, PASSWORD).then(
      () => expect.fail("a keystore naming another address was accepted"),
      (error: Error) => expect(error.message).to.match(/address does not match/),
    );
  });

  it("hands a keystore that is not scrypt with AES-128-CTR to ethers", async function () {
    const wallet = Wallet.createRandom();
    const json = JSON.parse(await keystoreOf(wallet)) as { Crypto: { cipher: string } };
    json.Crypto.cipher = "aes-256-gcm";
    // ethers knows no such cipher either: its own refusal, not a wrong key
    await decryptKeystore(JSON.stringify(json), PASSWORD).then(
      () => expect.fail("an unknown cipher was accepted"),
      (error: Error) => expect(error.message).to.match(/unsupported cipher/),
    );
  });

  it("is what a node loads its account's keystore file with", async function () {
    const wallet = Wallet.createRandom();
    const dir = await mkdtemp(path.join(tmpdir(), "jl-keystore-"));
    try {
      const file = path.join(dir, "node.json");
      await writeFile(file, await keystoreOf(wallet));
      expect((await loadWallet(file, PASSWORD)).address).to.equal(wallet.address);
      await loadWallet(file, "wrong").then(
        () => expect.fail("a wrong password was accepted"),
        (error: Error) => expect(error.message).to.match(/incorrect password/),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
