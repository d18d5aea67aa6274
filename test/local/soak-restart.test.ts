// What makes the local consortium's restart fast enough for the soak's target (≤ 30 s), without
// changing what it loads: the keystores decrypted with Node's native scrypt, to the same key as
// ethers and with the same refusals.
import { expect } from "chai";
import { Wallet, encryptKeystoreJson } from "ethers";
import { decryptKeystore } from "../../scripts/ops/local/keys.ts";

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

describe("local consortium restart: keystores", function () {
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
});
