// The rooms after disbursement: notices to borrowers (gateway, contact window and cap, evidence),
// mediation, the keeper (overdue reminders and escalation, mediation cases, expiry) and cases
// (arbitration, the court's document fetch, ruling, closing).
import { VoidSigner } from "ethers";
import type { Logger } from "pino";
import { DisputeResolution } from "../../../common/chain/generated/contracts.ts";
import { CaseOperations, outboxEscalator, outboxExpirer } from "../cases.ts";
import type { LoanContracts } from "../e-contract/contracts.ts";
import { Keeper } from "../keeper/keeper.ts";
import { MediationError } from "../mediation/errors.ts";
import { MediationService } from "../mediation/mediation.ts";
import { type NotificationGateway, SimulatedGateway } from "../notices/gateway.ts";
import { NoticeService } from "../notices/notices.ts";
import type { ChainWriters, NodeChain } from "./chain.ts";
import type { NodeServiceOptions } from "./options.ts";
import type { NodeStorage, SharedStores } from "./storage.ts";

export type PostLoanRooms = ReturnType<typeof postLoanRooms>;

export function postLoanRooms(
  options: NodeServiceOptions,
  parts: {
    storage: NodeStorage;
    chain: NodeChain;
    writers: ChainWriters;
    stores: SharedStores;
    log: Logger;
    /** Signed-agreement verification, as a contract's (absent: no trust anchors; agreements refused). */
    eContracts?: LoanContracts | undefined;
    /** The SMS / app gateway (absent: the simulator, which delivers nothing). */
    gateway?: NotificationGateway;
  },
) {
  const { config } = options;
  const { storage, chain, writers, log, eContracts } = parts;
  const { model } = writers.indexer;
  const now = () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const notices = new NoticeService({
    gateway: parts.gateway ?? new SimulatedGateway({ now }),
    anchor: chain.anchorRecords,
    notices: storage.sublevel("notices"),
    contacts: storage.sublevel("noticeContacts"),
    now,
    log,
  });
  const mediation = new MediationService({
    ledger: chain.ledger,
    model,
    cases: storage.sublevel("mediation"),
    notices,
    anchor: chain.anchorRecords,
    verifyAgreement: (pdf) => {
      if (eContracts === undefined)
        throw new MediationError(
          "NODE_ERR_MEDIATION_SIGNING_OFF",
          "this node verifies no signed documents (NODE_CONTRACT_TRUST_ANCHOR_FILES is not set)",
        );
      return eContracts.verify(pdf);
    },
    now,
  });
  // any node may run the keeper: it previews escalate as this member and writes through the outbox
  const keeper = new Keeper({
    model,
    ledger: chain.ledger,
    disputes: DisputeResolution.at(
      config.disputeResolution,
      new VoidSigner(storage.wallet.address, chain.provider),
    ),
    escalate: outboxEscalator(writers.outbox, chain.ledger),
    expire: outboxExpirer(writers.outbox),
    reminders: storage.sublevel("reminders"),
    notices,
    mediation,
    now,
    log,
  });
  const cases = new CaseOperations({
    memberId: config.memberId,
    memberKind: config.memberKind,
    documents: parts.stores.documents,
    outbox: writers.outbox,
    model,
    ledger: chain.ledger,
    disputes: chain.disputes,
    registry: chain.registry,
    anchor: chain.anchorRecords,
    peers: chain.peers,
    keeper,
    notices,
    mediation,
  });
  return { keeper, cases, notices, mediation };
}

/** Runs a keeper round every interval (the union's node hourly by default; others only when configured); returns its stop. */
export function scheduleKeeper(options: NodeServiceOptions, keeper: Keeper, log: Logger): () => void {
  const { config } = options;
  const interval = config.keeperIntervalMs ?? (config.memberKind === "union" ? 3_600_000 : 0);
  if (interval <= 0) return () => {};
  const round = () =>
    keeper
      .runOnce()
      .catch((error) =>
        log.warn({ err: (error as Error).message }, "keeper round failed; retried next interval"),
      );
  const timer = setInterval(round, interval);
  timer.unref();
  return () => clearInterval(timer);
}
