// The local consortium's manifest: everything a script needs to talk to the consortium that
// `npm start` runs (chain, contracts, anchor service, the five nodes and their demo tokens).
// Written by scripts/ops/local/consortium.ts to <dataDir>/consortium.json (mode 0600: it holds the
// demo's plain API tokens and governance keys, which never leave data/).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ContractAddresses } from "../network/besu/consortium.ts";

export type NodeName = "union" | "branchA" | "branchB" | "platform" | "court";
export type Role = "clerk" | "approver" | "admin" | "court-clerk";

export const NODE_NAMES: readonly NodeName[] = ["union", "branchA", "branchB", "platform", "court"];

export type ConsortiumManifest = {
  version: 1;
  /** Absolute. */
  dataDir: string;
  /** `local`: an Anvil we started, so time travel is allowed. */
  chain: { rpcUrl: string; chainId: number; genesisHash: string; local: boolean };
  contracts: ContractAddresses & {
    deployBlock: number;
    /** keccak256 of the runtime code at each address above, keyed by the field name. */
    codeHashes: Record<string, string>;
  };
  /** `verifyPageUrl` is `${url}/verify`. */
  anchor: { url: string; logId: string; docsUrl: string; verifyPageUrl: string };
  /** The consortium's trust anchor for courts (`npm run verify -- … --trust <file>`): its file and fingerprint. */
  trustAnchor: { file: string; fingerprint: string };
  /** Set when the services serve HTTPS: the local CA every client of theirs trusts (`curl --cacert <caFile>`). */
  tls?: { caFile: string };
  /** The member directory governance set (public): its file, which every node reads, and its SHA-256 (hex). */
  memberDirectory: { file: string; sha256: string };
  nodes: Record<
    NodeName,
    {
      memberId: number;
      kind: "union" | "branch" | "platform" | "court";
      name: string;
      regionCode: number;
      url: string;
      dataDir: string;
      account: string;
      tokens: Partial<Record<Role, string>>;
      /** Whitelisted 0x-prefixed 32-byte settlement account hashes for disbursement. */
      settlementAccounts: string[];
    }
  >;
  /** Private keys of governance signers for the demo only (the union's and branch A's governance keys), so scripts can pass proposals; stored only in data/ (0600). */
  governance: { signers: string[] };
};

export const MANIFEST_FILE = "consortium.json";
/** Public (no secrets): what a court keeps to verify this consortium's evidence. */
export const TRUST_ANCHOR_FILE = "trust-anchor.json";

export function trustAnchorPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), TRUST_ANCHOR_FILE);
}

export function manifestPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), MANIFEST_FILE);
}

/** Reads <dataDir>/consortium.json. */
export async function readManifest(dataDir: string): Promise<ConsortiumManifest> {
  const text = await readFile(manifestPath(dataDir), "utf8");
  const manifest = JSON.parse(text) as ConsortiumManifest;
  if (manifest.version !== 1)
    throw new Error(
      `unsupported consortium manifest version ${String(manifest.version)} in ${manifestPath(dataDir)}`,
    );
  return manifest;
}
