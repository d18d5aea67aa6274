// Reads a network folder written by `npm run network:besu`: its manifest, its env files and the
// keys an operator's scripts sign with (deploy.ts, govern.ts). Nothing here writes.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { JsonRpcProvider, Wallet } from "ethers";
import { decryptKeystore } from "../../../common/chain/keystore.ts";
import type { MemberKey } from "./besu/consortium.ts";
import type { NetworkManifest } from "./besu/generate.ts";
import { CodedError } from "./coded-error.ts";

export class NetworkFolderError extends CodedError {}

export type NetworkFolder = {
  dir: string;
  manifest: NetworkManifest;
  /** The parsed env file (variables as written) at a path relative to the folder. */
  env(file: string): Promise<Record<string, string>>;
  member(key: string): NetworkManifest["members"][number];
  /** A founding member's node account, decrypted from its keystore with the password in its env file. */
  memberWallet(key: MemberKey, provider: JsonRpcProvider): Promise<Wallet>;
  /** A governing founder's governance key (union and branches; others have none). */
  governanceWallet(key: MemberKey, provider: JsonRpcProvider): Promise<Wallet>;
  deployerWallet(provider: JsonRpcProvider): Promise<Wallet>;
};

export async function openNetworkFolder(dir: string): Promise<NetworkFolder> {
  const file = path.join(dir, "network.json");
  let manifest: NetworkManifest;
  try {
    manifest = JSON.parse(await readFile(file, "utf8")) as NetworkManifest;
  } catch (error) {
    throw new NetworkFolderError(
      "NETWORK_NO_MANIFEST",
      `cannot read ${file}: is ${dir} a folder written by npm run network:besu? (${(error as Error).message})`,
    );
  }
  if (manifest.version !== 1 || !Array.isArray(manifest.members) || typeof manifest.chainId !== "number") {
    throw new NetworkFolderError("NETWORK_BAD_MANIFEST", `${file} is not a version-1 network manifest`);
  }
  const env = async (relative: string) =>
    parseEnv(await readFile(path.join(dir, relative), "utf8")) as Record<string, string>;
  const member = (key: string) => {
    const found = manifest.members.find((m) => m.key === key || String(m.id) === key);
    if (found === undefined)
      throw new NetworkFolderError(
        "NETWORK_UNKNOWN_MEMBER",
        `no founding member ${key} in ${file} (known: ${manifest.members.map((m) => m.key).join(", ")})`,
      );
    return found;
  };
  return {
    dir,
    manifest,
    env,
    member,
    async memberWallet(key, provider) {
      const m = member(key);
      const password = (await env(m.node.envFile)).NODE_KEYSTORE_PASSWORD;
      if (password === undefined)
        throw new NetworkFolderError(
          "NETWORK_NO_PASSWORD",
          `${m.node.envFile} has no NODE_KEYSTORE_PASSWORD`,
        );
      return decrypt(path.join(dir, m.node.keystoreFile), password, provider);
    },
    async governanceWallet(key, provider) {
      const g = member(key).governance;
      if (g === undefined)
        throw new NetworkFolderError(
          "NETWORK_NO_GOVERNANCE_KEY",
          `member ${key} does not govern: it has no governance key`,
        );
      const password = (await readFile(path.join(dir, g.passwordFile), "utf8")).trim();
      return decrypt(path.join(dir, g.keystoreFile), password, provider);
    },
    async deployerWallet(provider) {
      const password = (await readFile(path.join(dir, manifest.deployer.passwordFile), "utf8")).trim();
      return decrypt(path.join(dir, manifest.deployer.keystoreFile), password, provider);
    },
  };
}

/** Decrypt a JSON keystore and connect it to `provider`. */
export async function decrypt(file: string, password: string, provider: JsonRpcProvider): Promise<Wallet> {
  const wallet = await decryptKeystore(await readFile(file, "utf8"), password);
  return wallet.connect(provider);
}

/** A provider for a Besu RPC endpoint: one request at a time, no caching (ethers v6 nonce safety). */
export function besuProvider(url: string): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  provider.pollingInterval = 250;
  return provider;
}
