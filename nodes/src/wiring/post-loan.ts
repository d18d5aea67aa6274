// The rooms after disbursement: the keeper (overdue escalation, expiry, borrower reminders) and
// cases (arbitration, the court's document fetch, ruling, closing).
import { VoidSigner } from "ethers";
import type { Logger } from "pino";
import { DisputeResolution } from "../../../common/chain/generated/contracts.ts";
import { CaseOperations, outboxEscalator, outboxExpirer } from "../cases.ts";
import { Keeper } from "../keeper/keeper.ts";
import type { ChainWriters, NodeChain } from "./chain.ts";
import type { NodeServiceOptions } from "./options.ts";
import type { NodeStorage, SharedStores } from "./storage.ts";

export type PostLoanRooms = ReturnType<typeof postLoanRooms>;

export function postLoanRooms(
  options: NodeServiceOptions,
  parts: { storage: NodeStorage; chain: NodeChain; writers: ChainWriters; stores: SharedStores; log: Logger },
) {
  const { config } = options;
  const { storage, chain, writers, log } = parts;
  const { model } = writers.indexer;
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
    // no SMS gateway here: reminders are logged (the borrower key only) for the back office
    send: async (r) =>
      log.info(
        { loanId: r.loanId, borrowerKey: r.borrowerKey, daysPastDue: r.daysPastDue },
        "reminder due to the borrower",
      ),
    now: () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000),
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
  });
  return { keeper, cases };
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
