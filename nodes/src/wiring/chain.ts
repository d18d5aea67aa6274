// The node's side of the chain: the provider and the contracts it reads, the anchor service,
// other members' nodes, the indexer (the shared ledger's read model) and the outbox with its
// sender (every write), plus a branch's governance key with an outbox and sender of its own.
import type { Wallet } from "ethers";
import type { Logger } from "pino";
import { AnchorClient, AnchorClientError, type RecordInput } from "../../../common/anchor/client.ts";
import { coalescedSubmit } from "../../../common/anchor/coalesce.ts";
import { typedDataSignerOf } from "../../../common/auth/eip712.ts";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";
import {
  ConsortiumRegistry,
  DisputeResolution,
  JointLoanLedger,
} from "../../../common/chain/generated/contracts.ts";
import type { AnchorEvidence } from "../bureau/consent.ts";
import type { NodeConfig } from "../config.ts";
import { indexerSublevels } from "../indexer/db.ts";
import { LedgerIndexer } from "../indexer/indexer.ts";
import { governedReceiptSm2Key } from "../member-names.ts";
import { ConsortiumMembers } from "../members.ts";
import { Outbox } from "../outbox/outbox.ts";
import { OutboxSender, type OutboxSenderOptions } from "../outbox/sender.ts";
import { PeerNodes } from "../peers.ts";
import type { NodeServiceOptions } from "./options.ts";
import { loadWallet, type NodeStorage, type Sublevels } from "./storage.ts";

export type NodeChain = Awaited<ReturnType<typeof connectChain>>;

/** The provider, the contracts, the anchor service and other members' nodes, as this member. */
export async function connectChain(config: NodeConfig, wallet: Wallet) {
  const provider = jsonRpcProvider(config.rpcUrl);
  const chainId = (await provider.getNetwork()).chainId;
  const registry = ConsortiumRegistry.at(config.consortiumRegistry, provider);
  // the member's EIP-712 signatures (requests to the anchor service and to other nodes, a
  // platform's agreements): the wallet's own, each domain and format prepared once
  const signer = typedDataSignerOf(wallet);
  // with a governed member directory, receipts' SM2 key is the consortium's word, not the service's
  const anchor = new AnchorClient(
    config.anchorUrl,
    signer,
    config.memberId,
    config.memberDirectoryFile === undefined
      ? undefined
      : governedReceiptSm2Key({
          directoryFile: config.memberDirectoryFile,
          provider,
          consortiumRegistry: config.consortiumRegistry,
        }),
  );
  // concurrent requests' records share signed submissions (each answered once its own are durable)
  const submit = coalescedSubmit((records: readonly RecordInput[]) => anchor.submit(records), {
    separable: (error) => error instanceof AnchorClientError && error.code === "ANCHOR_CLIENT_REFUSED",
  });
  const anchorRecords: AnchorEvidence = async (records) =>
    (await submit(records)).map((r) => ({ leafHash: r.leafHash, sequence: r.sequence }));
  return {
    provider,
    chainId,
    registry,
    members: new ConsortiumMembers(registry),
    ledger: JointLoanLedger.at(config.jointLoanLedger, provider),
    disputes: DisputeResolution.at(config.disputeResolution, provider),
    anchor,
    /** Anchors evidence records, answering each one's leaf hash and sequence. */
    anchorRecords,
    /** Signs the member's EIP-712 typed data with its chain key. */
    signer,
    peers: new PeerNodes({
      signer,
      directory: config.directory,
      chainId: async () => chainId,
      registryAddress: async () => config.consortiumRegistry,
    }),
    /** The latest block's timestamp (unix seconds). */
    chainNow: async () => (await provider.getBlock("latest"))!.timestamp,
  };
}

export type ChainWriters = Awaited<ReturnType<typeof chainReadModelAndWriters>>;

/** The indexer, the member's outbox and sender, and the governance writer when a key is given. */
export async function chainReadModelAndWriters(
  options: NodeServiceOptions,
  storage: NodeStorage,
  chain: NodeChain,
  log: Logger,
) {
  const { config } = options;
  const { sublevel, wallet } = storage;
  const indexer = new LedgerIndexer({
    provider: chain.provider,
    addresses: {
      jointLoanLedger: config.jointLoanLedger,
      disputeResolution: config.disputeResolution,
      evidenceRegistry: config.evidenceRegistry,
    },
    fromBlock: config.deployBlock,
    db: indexerSublevels(sublevel("indexer")),
    pageBlocks: config.logPageBlocks,
    pollMs: config.indexerPollMs,
    log,
    // flows the outbox confirmed in blocks the chain lost go back to be sent again
    onChainLoss: (reason: string) => void recheckAfterChainLoss(sender, log, reason),
  });
  const outbox = new Outbox(sublevel("outbox"), { sync: options.inMemory !== true });
  // the member's flows are packed into batched transactions where the chain can (EIP-7702)
  const sender = outboxSender(config, chain, outbox, wallet, { maxBatch: config.outboxMaxBatch, log });
  // the governance key writes through its own outbox and sender: one sender per key, so no nonce contention
  const governance = await governanceWriter(options, sublevel, chain);
  return { indexer, outbox, sender, governance };
}

function outboxSender(
  config: NodeConfig,
  chain: NodeChain,
  outbox: Outbox,
  wallet: Wallet,
  batching: Pick<OutboxSenderOptions, "maxBatch" | "log"> = {},
): OutboxSender {
  return new OutboxSender({
    ...batching,
    outbox,
    provider: chain.provider,
    chainId: chain.chainId,
    privateKey: wallet.privateKey,
    ledger: config.jointLoanLedger,
    disputeResolution: config.disputeResolution,
    evidenceRegistry: config.evidenceRegistry,
    fromBlock: config.deployBlock,
    logPageBlocks: config.logPageBlocks,
  });
}

/** How a recheck after a chain loss is retried: doubling from firstMs to maxMs, until it succeeds or the sender stops. */
export type RecheckRetry = { firstMs?: number; maxMs?: number };

/**
 * After the chain lost blocks: the outbox's confirmed flows are checked again, retried until the
 * check succeeds (an endpoint down for long must not leave lost flows counted confirmed) or the
 * sender stops. Resolves when done (for tests; the node does not wait for it).
 */
export function recheckAfterChainLoss(
  sender: Pick<OutboxSender, "recheck" | "stopped">,
  log: Pick<Logger, "warn">,
  reason: string,
  retry: RecheckRetry = {},
): Promise<void> {
  const firstMs = retry.firstMs ?? 2_000;
  const maxMs = retry.maxMs ?? 60_000;
  log.warn({ reason }, "the chain lost blocks: rechecking the outbox's confirmed flows");
  return new Promise((resolve) => {
    const attempt = (n: number, delayMs: number): void => {
      if (sender.stopped) return resolve();
      sender.recheck().then(
        (back) => {
          if (back.length > 0) log.warn({ flows: back.length }, "flows the chain lost are sent again");
          resolve();
        },
        (error: unknown) => {
          if (sender.stopped) return resolve();
          log.warn(
            { err: (error as Error).message, attempt: n, retryInMs: delayMs },
            "outbox recheck failed; retrying",
          );
          setTimeout(() => attempt(n + 1, Math.min(delayMs * 2, maxMs)), delayMs).unref();
        },
      );
    };
    attempt(1, firstMs);
  });
}

/** A branch's governance-role key with its own outbox and sender, when one is given or configured. */
async function governanceWriter(options: NodeServiceOptions, sublevel: Sublevels, chain: NodeChain) {
  const { config } = options;
  const file = config.governanceKeystoreFile;
  const wallet =
    options.governanceWallet ??
    (file === undefined
      ? undefined
      : await loadWallet(file, config.governanceKeystorePassword ?? config.keystorePassword));
  if (wallet === undefined) return undefined;
  const outbox = new Outbox(sublevel("governanceOutbox"), { sync: options.inMemory !== true });
  return { address: wallet.address, outbox, sender: outboxSender(config, chain, outbox, wallet) };
}
