// The lending rooms: the core rooms of the loan road (operations.ts: applications and routing,
// credit queries, approval, fund flows, reads, reporting, reconciliation, documents), the
// electronic contract (电子合同), a joint loan's income split, prepayments, mandates, a branch's
// own limits and its daily batch files.
import { loadTrustAnchors } from "../../../common/pki/trust-anchors.ts";
import { batchFileRoom } from "../batch-files/room.ts";
import { BranchLimitsOperations } from "../branch-limits.ts";
import { LoanContracts } from "../e-contract/contracts.ts";
import { ContractEndorsements } from "../e-contract/endorsements.ts";
import { EvidenceRegistry } from "../../../common/chain/generated/contracts.ts";
import { IncomeSplitOperations } from "../income-split.ts";
import type { Cursor } from "../indexer/indexer.ts";
import { MandateOperations } from "../mandates.ts";
import { BRANCH } from "../members.ts";
import type { SignedHeaders } from "../node-requests.ts";
import { NodeOperations } from "../operations.ts";
import { PrepaymentOperations } from "../prepayment.ts";
import type { NodeChain, ChainWriters } from "./chain.ts";
import type { CreditRooms } from "./credit.ts";
import type { NodeServiceOptions } from "./options.ts";
import type { NodeStorage, SharedStores } from "./storage.ts";

export type LendingRooms = Awaited<ReturnType<typeof lendingRooms>>;

type LendingParts = {
  storage: NodeStorage;
  chain: NodeChain;
  writers: ChainWriters;
  stores: SharedStores;
  credit: CreditRooms;
};

/** The core rooms (NodeOperations) and the lending rooms around them, over one outbox. */
export async function lendingRooms(options: NodeServiceOptions, parts: LendingParts) {
  const { config } = options;
  const { storage, chain, writers, stores, credit } = parts;
  const { sublevel } = storage;
  const { model } = writers.indexer;
  const eContracts = await loanContracts(options, chain, stores);
  const { incomeSplit, prepayments } = jointLoanRooms(options, parts, (request) =>
    // a branch's signed request, its nonce spent by the operations' one nonce store
    ops.requests.verify(request as SignedHeaders, BRANCH),
  );
  const ops = new NodeOperations({
    memberId: config.memberId,
    consortiumKey: Buffer.from(config.consortiumKey.slice(2), "hex"),
    applications: stores.applications,
    decisionGate: (applicationId, borrowerKey) => credit.decisions.approvalGate(applicationId, borrowerKey),
    ...(eContracts === undefined ? {} : { verifyContract: (pdf: Uint8Array) => eContracts.verify(pdf) }),
    contractAnchored: (contract): Promise<void> => contractEndorsements.contractAnchored(contract),
    documents: stores.documents,
    consent: credit.consentDeps,
    creditQuery: credit.creditDeps,
    model,
    registry: chain.registry,
    outbox: writers.outbox,
    anchor: chain.anchorRecords,
    ledger: chain.ledger,
    chainId: async () => chain.chainId,
    signer: chain.signer,
    peers: chain.peers,
    cursor: (): Promise<Cursor | undefined> => writers.indexer.cursor(),
    nonces: sublevel("requestNonces"),
    receiving: stores.receiving,
    loanDetails: [
      async (loan) => ({ receiving: await stores.receiving.view(loan.loanId) }),
      (loan) => incomeSplit.loanDetail(loan),
      (loan) => prepayments.loanDetail(loan),
    ],
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  // the signed contract on chain: registered by its branch, endorsed by a joint loan's platform
  const contractEndorsements: ContractEndorsements = new ContractEndorsements({
    memberId: config.memberId,
    store: sublevel("contractEndorsements"),
    outbox: writers.outbox,
    bundle: (leafHash) => chain.anchor.bundle(leafHash),
    registry: EvidenceRegistry.at(config.evidenceRegistry, chain.provider),
    model,
    members: ops.members,
    requests: ops.requests,
    peers: chain.peers,
  });
  return {
    ops,
    eContracts,
    contractEndorsements,
    incomeSplit,
    prepayments,
    // a branch's daily files, each row through the same single-flow path as the routes
    batchFiles: batchFileRoom({
      db: sublevel("batchFiles"),
      outbox: writers.outbox,
      flows: ops.flows,
      memberId: config.memberId,
    }),
    ...mandateRooms(options, chain, writers),
  };
}

/** 电子合同: drafts and signed-contract verification, when the node names the CA roots it trusts. */
async function loanContracts(options: NodeServiceOptions, chain: NodeChain, stores: SharedStores) {
  const { config } = options;
  if (config.contractTrustAnchorFiles === undefined) return undefined;
  return new LoanContracts({
    memberId: config.memberId,
    applications: stores.applications,
    partyOf: async (memberId) =>
      config.contractParties[String(memberId)] ?? { name: `成员 ${memberId}`, identifier: "—" },
    disputeResolution: config.contractDispute,
    // the ledger charges min(governed penalty rate, cap − contract rate): the contract says the same
    penaltyAprBps: async (contractAprBps) => {
      const p = await chain.ledger.params();
      return Math.max(0, Math.min(Number(p.penaltyAprBps), Number(p.aprCapBps) - contractAprBps));
    },
    place: config.contractPlace,
    anchors: await loadTrustAnchors(config.contractTrustAnchorFiles),
    roles: config.contractRolePolicies,
  });
}

/** A joint loan's agreed income split (its platform admin's acceptance signed by a branch), and partial prepayments. */
function jointLoanRooms(
  options: NodeServiceOptions,
  parts: LendingParts,
  verifyBranchRequest: (request: unknown) => Promise<{ memberId: number }>,
) {
  const { config } = options;
  const { storage, chain, writers, stores } = parts;
  const incomeSplit = new IncomeSplitOperations({
    memberId: config.memberId,
    ledger: chain.ledger,
    outbox: writers.outbox,
    peers: chain.peers,
    signer: chain.signer,
    chainId: async () => chain.chainId,
    ledgerAddress: config.jointLoanLedger,
    verifyBranchRequest,
    acceptances: storage.sublevel("incomeSplitAcceptances"),
    blockNumber: () => chain.provider.getBlockNumber(),
  });
  const prepayments = new PrepaymentOperations({
    memberId: config.memberId,
    ledger: chain.ledger,
    provider: chain.provider,
    ledgerAddress: config.jointLoanLedger,
    logPageBlocks: config.logPageBlocks,
    outbox: writers.outbox,
    documents: stores.documents,
    anchor: chain.anchorRecords,
    account: async () => storage.wallet.address,
    chainNow: chain.chainNow,
  });
  return { incomeSplit, prepayments };
}

/** Mandates over this branch's loans, and the branch's own limits (set with its governance key, when it has one). */
function mandateRooms(options: NodeServiceOptions, chain: NodeChain, writers: ChainWriters) {
  const { config } = options;
  const { governance } = writers;
  const mandates = new MandateOperations({
    memberId: config.memberId,
    ledger: chain.ledger,
    registry: chain.registry,
    outbox: writers.outbox,
    chainNow: chain.chainNow,
  });
  const branchLimits = new BranchLimitsOperations({
    memberId: config.memberId,
    memberKind: config.memberKind,
    ledger: chain.ledger,
    ...(governance === undefined
      ? {}
      : { governance: { outbox: governance.outbox, address: governance.address } }),
    blockNumber: () => chain.provider.getBlockNumber(),
  });
  return { mandates, branchLimits };
}
