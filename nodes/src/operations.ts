// The node's rooms, composed: one instance of each step of the loan road over the node's shared
// dependencies (nodes/src/README.md maps each step to its file). The HTTP routes call the rooms;
// nothing here decides anything.
import type { ConsortiumRegistry, JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import type { Sublevel } from "../../common/level.ts";
import { ApplicationRouting } from "./application-routing.ts";
import type { ApplicationStore } from "./applications.ts";
import { LoanApproval, type LoanApprovalDeps } from "./approval.ts";
import type { AnchorEvidence, ConsentDeps, CreditQueryDeps } from "./bureau/consent.ts";
import { CreditQueries } from "./credit-query.ts";
import { DocumentAccess } from "./document-access.ts";
import type { DocumentStore } from "./documents/document-store.ts";
import { FundFlows } from "./fund-flows.ts";
import type { Cursor } from "./indexer/indexer.ts";
import type { LedgerModel, Loan } from "./indexer/model.ts";
import { LedgerReads } from "./ledger-reads.ts";
import { ConsortiumMembers } from "./members.ts";
import { NodeRequests } from "./node-requests.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { PeerNodes } from "./peers.ts";
import { Reconciliation } from "./reconciliation.ts";
import { CreditReporting } from "./reporting.ts";

export type OperationsDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  applications: ApplicationStore;
  documents: DocumentStore;
  consent: ConsentDeps;
  creditQuery: CreditQueryDeps;
  model: LedgerModel;
  /** ConsortiumRegistry (read-only): routing applications, node-to-node signers. */
  registry: ConsortiumRegistry;
  /** Every chain write goes through the durable outbox. */
  outbox: Outbox;
  /** JointLoanLedger (read-only here). */
  ledger: JointLoanLedger;
  /** The chain's id (signed requests from other members' nodes are bound to it). */
  chainId: () => Promise<bigint>;
  /** Nonces of signed requests already served, remembered until they expire. */
  nonces: Sublevel<string, string>;
  /** This node's chain key (signs requests to other members' nodes). */
  signer: TypedDataSigner;
  /** Other members' nodes (signed requests), by member id. */
  peers: PeerNodes;
  /** The indexer's committed cursor (the last block in the read model). */
  cursor: () => Promise<Cursor | undefined>;
  /** Anchors evidence records (contracts, vouchers) through the anchor service. */
  anchor: AnchorEvidence;
  now?: () => Date;
  /** How long a cancellation waits for the chain's answer before NODE_ERR_OUTBOX_PENDING (default 60 s). */
  chainWriteTimeoutMs?: number;
  /** More of one loan's API output, each from its own module (receiving account, income split, prepayments). */
  loanDetails?: Array<(loan: Loan) => Promise<Record<string, unknown>>>;
} & Pick<
  // approval's optional steps, as approval.ts documents them: receiving accounts kept, the signed
  // contract checked, its on-chain registration queued, the credit decision's gate
  LoanApprovalDeps,
  "receiving" | "verifyContract" | "contractAnchored" | "decisionGate"
>;

/** Every room of the node over one set of dependencies (each room takes only what it uses). */
export class NodeOperations {
  readonly deps: OperationsDeps;
  readonly members: ConsortiumMembers;
  /** Node-to-node requests: headers, body signature, nonce. */
  readonly requests: NodeRequests;
  /** 1. applications and routing */
  readonly applications: ApplicationRouting;
  /** 2. consent and credit queries */
  readonly credit: CreditQueries;
  /** 3. approval (and a joint loan's agreement) */
  readonly approval: LoanApproval;
  /** 4. disbursement, repayment, early settlement, cancellation */
  readonly flows: FundFlows;
  /** the indexed ledger */
  readonly ledger: LedgerReads;
  /** 征信报送 */
  readonly reporting: CreditReporting;
  /** 对账 */
  readonly reconciliation: Reconciliation;
  /** documents through the API and to the court's node */
  readonly documents: DocumentAccess;

  constructor(deps: OperationsDeps) {
    this.deps = deps;
    this.members = new ConsortiumMembers(deps.registry);
    this.requests = new NodeRequests(deps);
    const shared = { ...deps, members: this.members, requests: this.requests };
    this.applications = new ApplicationRouting(shared);
    this.credit = new CreditQueries(shared);
    this.approval = new LoanApproval(shared);
    this.flows = new FundFlows(shared);
    this.ledger = new LedgerReads(shared);
    this.reporting = new CreditReporting(shared);
    this.reconciliation = new Reconciliation(shared);
    this.documents = new DocumentAccess(shared);
  }
}
