// The local consortium's secrets, all under <dataDir>/keys/ (mode 0700, files 0600), created on
// the first start and reused afterwards; nothing secret is written anywhere else:
//   <name>.json           encrypted JSON keystore of each chain account (scrypt N = 2^14: a demo
//                         setting that decrypts in ~0.1 s; production keystores use ethers' 2^17)
//   .password             the keystores' password, unless JL_KEYSTORE_PASSWORD is set
//   <node>.master.key     each node's master key for encryption at rest (nodes/src/privacy)
//   consortium.key        the consortium's borrower-key HMAC secret, shared by all five nodes
//   union-anchor.sm2.key  the anchor service's SM2 receipt key (国密), whose public key the
//                         governed member directory binds to the union, the log's operator
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";
import { fromHex, toHex } from "../../../common/bytes.ts";
import { decryptKeystore } from "../../../common/chain/keystore.ts";
import { sm2 } from "../../../common/crypto/sm2.ts";
import { AccountRole } from "../../../common/consortium/members.ts";
import { createMasterKeyFile } from "../../../nodes/src/privacy/crypto-box.ts";
import { LocalConsortiumError } from "./errors.ts";
import type { NodeName } from "./manifest.ts";

/**
 * Every chain account the launcher generates, one key per role: each node's own key (its
 * member's operations key), the union's and branch A's governance keys, the union's anchor key
 * (its evidence log's operator), and the deployer, who belongs to no member.
 */
export const ACCOUNT_NAMES = [
  "deployer",
  "union-governance",
  "union-anchor",
  "branchA-governance",
  "union",
  "branchA",
  "branchB",
  "platform",
  "court",
] as const;
export type AccountName = (typeof ACCOUNT_NAMES)[number];

/** The one role each member account is attached with (ConsortiumRegistry.AccountRole). */
export const ACCOUNT_ROLES: Record<Exclude<AccountName, "deployer">, AccountRole> = {
  union: AccountRole.Operations,
  branchA: AccountRole.Operations,
  branchB: AccountRole.Operations,
  platform: AccountRole.Operations,
  court: AccountRole.Operations,
  "union-anchor": AccountRole.LogOperator,
  "union-governance": AccountRole.Governance,
  "branchA-governance": AccountRole.Governance,
};

const SCRYPT_N = 1 << 14;

export function keysDir(dataDir: string): string {
  return path.join(dataDir, "keys");
}

export function keystoreFile(dataDir: string, name: AccountName): string {
  return path.join(keysDir(dataDir), `${name}.json`);
}

/** The keystores' password the launcher generated (unless JL_KEYSTORE_PASSWORD was set). */
export function passwordFile(dataDir: string): string {
  return path.join(keysDir(dataDir), ".password");
}

export function masterKeyFile(dataDir: string, node: NodeName): string {
  return path.join(keysDir(dataDir), `${node}.master.key`);
}

export function anchorReceiptSm2KeyFile(dataDir: string): string {
  return path.join(keysDir(dataDir), "union-anchor.sm2.key");
}

/** Creates `file` with `content` (mode 0600) unless it exists; true if it created it. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

export type KeyMaterial = {
  password: string;
  passwordSource: "JL_KEYSTORE_PASSWORD" | "generated" | "file";
  wallets: Record<AccountName, Wallet>;
  /** Accounts whose keystores did not exist and were generated now. */
  created: AccountName[];
  consortiumKey: string;
  /** The anchor service's SM2 receipt key: private (0x + 64 hex, ANCHOR_RECEIPT_SM2_KEY) and public (0x04 ‖ x ‖ y). */
  anchorReceiptSm2: { privateKey: string; publicKey: string };
};

export async function loadOrCreateKeys(
  dataDir: string,
  nodes: readonly NodeName[],
  env: NodeJS.ProcessEnv,
): Promise<KeyMaterial> {
  const dir = keysDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);

  let password: string;
  let passwordSource: KeyMaterial["passwordSource"];
  const given = env.JL_KEYSTORE_PASSWORD;
  if (given !== undefined && given !== "") {
    password = given;
    passwordSource = "JL_KEYSTORE_PASSWORD";
  } else {
    const file = passwordFile(dataDir);
    const created = await createExclusive(file, `${randomBytes(24).toString("base64url")}\n`);
    password = (await readFile(file, "utf8")).trim();
    passwordSource = created ? "generated" : "file";
    if ((await stat(file)).mode & 0o077) await chmod(file, 0o600);
  }

  const wallets = {} as Record<AccountName, Wallet>;
  const created: AccountName[] = [];
  // all at once: each keystore's scrypt runs on libuv's thread pool (decryptKeystore)
  await Promise.all(
    ACCOUNT_NAMES.map(async (name) => {
      const file = keystoreFile(dataDir, name);
      const existing = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (existing === undefined) {
        const wallet = Wallet.createRandom();
        const json = await encryptKeystoreJson(
          { address: wallet.address, privateKey: wallet.privateKey },
          password,
          { scrypt: { N: SCRYPT_N } },
        );
        await createExclusive(file, json);
        wallets[name] = new Wallet(wallet.privateKey);
        created.push(name);
        return;
      }
      try {
        wallets[name] = await decryptKeystore(existing, password);
      } catch (error) {
        throw new LocalConsortiumError(
          "LOCAL_BAD_PASSWORD",
          `cannot decrypt ${file} (${(error as Error).message}): ${passwordSource === "JL_KEYSTORE_PASSWORD" ? "JL_KEYSTORE_PASSWORD is not the password these keystores were created with" : `${path.join(dir, ".password")} does not match it`}`,
        );
      }
    }),
  );
  created.sort((a, b) => ACCOUNT_NAMES.indexOf(a) - ACCOUNT_NAMES.indexOf(b));

  for (const node of nodes) {
    const file = masterKeyFile(dataDir, node);
    if (
      !(await stat(file).then(
        () => true,
        () => false,
      ))
    )
      await createMasterKeyFile(file);
  }
  const consortiumKeyFile = path.join(dir, "consortium.key");
  await createExclusive(consortiumKeyFile, `0x${randomBytes(32).toString("hex")}\n`);
  const consortiumKey = (await readFile(consortiumKeyFile, "utf8")).trim();
  if (!/^0x[0-9a-f]{64}$/.test(consortiumKey))
    throw new LocalConsortiumError("LOCAL_BAD_CONFIG", `${consortiumKeyFile} must hold 0x and 64 hex digits`);
  const sm2File = anchorReceiptSm2KeyFile(dataDir);
  await createExclusive(sm2File, `${toHex(sm2.generateKeyPair().privateKey)}\n`);
  const sm2PrivateKey = (await readFile(sm2File, "utf8")).trim();
  if (!/^0x[0-9a-f]{64}$/.test(sm2PrivateKey))
    throw new LocalConsortiumError("LOCAL_BAD_CONFIG", `${sm2File} must hold 0x and 64 hex digits`);
  const anchorReceiptSm2 = {
    privateKey: sm2PrivateKey,
    publicKey: toHex(sm2.publicKeyOf(fromHex(sm2PrivateKey))),
  };
  return { password, passwordSource, wallets, created, consortiumKey, anchorReceiptSm2 };
}

/** A fresh back-office API token (the node stores only its SHA-256). */
export function newApiToken(node: NodeName, role: string): string {
  return `jl_${node}_${role}_${randomBytes(18).toString("base64url")}`;
}
