// The node's storage and keys: its LevelDB (each root sublevel opened by its catalogue name,
// keys.ts), the data key that seals personal data, the member's chain key, and the stores every
// room shares (documents, applications, receiving accounts).
import { readFile } from "node:fs/promises";
import type { Wallet } from "ethers";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import { ApplicationStore } from "../applications.ts";
import type { NodeConfig } from "../config.ts";
import { DocumentStore } from "../documents/document-store.ts";
import { documentSublevels } from "../documents/keys.ts";
import { ReceivingAccounts } from "../entrusted-payment.ts";
import type { LedgerModel } from "../indexer/model.ts";
import { NODE_SUBLEVELS, type NodeSublevel } from "../keys.ts";
import { decryptKeystore } from "../../../common/chain/keystore.ts";
import { deriveKey, loadMasterKey } from "../privacy/crypto-box.ts";
import type { NodeServiceOptions } from "./options.ts";

/** A root sublevel by its catalogue name, typed by the module that receives it. */
export type Sublevels = (which: NodeSublevel) => never;

export type NodeStorage = Awaited<ReturnType<typeof openStorage>>;

/** The LevelDB (in memory for tests), the documents' data key, the member's wallet. */
export async function openStorage(options: NodeServiceOptions) {
  const { config } = options;
  const { root, sublevel } = await openStore(config, options.inMemory === true);
  const dataKey = deriveKey(await loadMasterKey(config.masterKeyFile), "documents");
  const wallet = options.wallet ?? (await loadWallet(config.keystoreFile, config.keystorePassword));
  return { root, sublevel, dataKey, documentCipher: config.documentCipher, wallet };
}

export type SharedStores = Awaited<ReturnType<typeof openSharedStores>>;

/** The stores several rooms use: sealed documents, sealed applications, each loan's receiving account. */
export async function openSharedStores(storage: NodeStorage, model: LedgerModel) {
  const { root, sublevel, dataKey, documentCipher } = storage;
  const documents = await DocumentStore.open({
    sublevels: documentSublevels(root),
    key: dataKey,
    cipher: documentCipher,
    // a court reads a loan's documents once the loan's case is assigned to it (from the index)
    courtMayRead: async (court, loanId) => (await model.caseOf(loanId))?.court === court,
  });
  return {
    documents,
    applications: new ApplicationStore(sublevel("applications"), dataKey),
    // which account each loan approved or agreed to here pays (受托支付 or the borrower's own)
    receiving: new ReceivingAccounts(sublevel("receivingAccounts")),
  };
}

async function openStore(config: NodeConfig, inMemory: boolean) {
  const root = inMemory
    ? new MemoryLevel<string, Uint8Array>({ valueEncoding: "view" })
    : new Level<string, Uint8Array>(`${config.dataDir}/node`, { valueEncoding: "view" });
  await root.open();
  // each module declares the sublevel types it needs; the root hands them out by name and encoding
  const rootLevel = root as unknown as { sublevel(name: string, options?: { valueEncoding: string }): never };
  const sublevel: Sublevels = (which) => {
    const { name, valueEncoding } = NODE_SUBLEVELS[which];
    return rootLevel.sublevel(name, valueEncoding === undefined ? undefined : { valueEncoding });
  };
  return { root, sublevel };
}

export async function loadWallet(file: string, password: string): Promise<Wallet> {
  return decryptKeystore(await readFile(file, "utf8"), password);
}
