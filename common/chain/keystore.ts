// Web3 Secret Storage (v3) keystores, the chain accounts' keys at rest, decrypted with Node's
// native scrypt (on libuv's thread pool): ethers' scrypt is JavaScript on the event loop, about
// 0.9 s of CPU per keystore at N = 2^14 on a busy 2-core machine, and every service decrypts its
// key as it starts.
import { createDecipheriv, scrypt, timingSafeEqual } from "node:crypto";
import { Wallet, computeAddress, keccak256, toUtf8Bytes } from "ethers";

type ScryptKeystore = {
  address?: string;
  Crypto?: KeystoreCrypto;
  crypto?: KeystoreCrypto;
};
type KeystoreCrypto = {
  cipher?: string;
  cipherparams?: { iv?: string };
  ciphertext?: string;
  kdf?: string;
  kdfparams?: { salt?: string; n?: number; r?: number; p?: number; dklen?: number };
  mac?: string;
};

const HEX = /^[0-9a-f]+$/i;

/**
 * A keystore with scrypt and AES-128-CTR, decrypted with Node's native scrypt, with the same
 * checks as ethers: the MAC (keccak256 of the derived key's second half and the ciphertext) and
 * the address. Any other keystore goes to ethers.
 */
export async function decryptKeystore(json: string, password: string): Promise<Wallet> {
  const keystore = JSON.parse(json) as ScryptKeystore;
  const c = keystore.Crypto ?? keystore.crypto;
  const k = c?.kdfparams;
  const fields = [c?.cipherparams?.iv, c?.ciphertext, k?.salt, c?.mac];
  if (
    c?.kdf !== "scrypt" ||
    c.cipher !== "aes-128-ctr" ||
    k === undefined ||
    !fields.every((f) => typeof f === "string" && HEX.test(f)) ||
    ![k.n, k.r, k.p].every((v) => Number.isSafeInteger(v) && v! > 0) ||
    (k.dklen ?? 32) !== 32
  )
    return (await Wallet.fromEncryptedJson(json, password)) as Wallet;
  const [N, r, p] = [k.n!, k.r!, k.p!];
  const derived = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      toUtf8Bytes(password, "NFKC"),
      Buffer.from(k.salt!, "hex"),
      32,
      { N, r, p, maxmem: 256 * N * r * p + 2 ** 20 },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    ),
  );
  const ciphertext = Buffer.from(c.ciphertext!, "hex");
  const mac = Buffer.from(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2), "hex");
  const expected = Buffer.from(c.mac!, "hex");
  if (expected.length !== mac.length || !timingSafeEqual(mac, expected))
    throw new Error("incorrect password");
  const decipher = createDecipheriv(
    "aes-128-ctr",
    derived.subarray(0, 16),
    Buffer.from(c.cipherparams!.iv!, "hex"),
  );
  const privateKey = `0x${Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("hex")}`;
  if (
    keystore.address !== undefined &&
    computeAddress(privateKey).toLowerCase() !== `0x${keystore.address.replace(/^0x/i, "")}`.toLowerCase()
  )
    throw new Error("the keystore's address does not match its key");
  return new Wallet(privateKey);
}
