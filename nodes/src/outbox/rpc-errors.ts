// What went wrong on the way to the chain, as the sender tells it apart: a revert the ledger
// explains (the entry fails or is recognised as done), an RPC or node problem (the entry keeps
// its state and is tried again after a backoff), or a stop.
import { EvidenceLog } from "../../../common/chain/generated/contracts.ts";
import { decodeRevertData, revertDataOf } from "../../../common/chain/revert.ts";
import type { OutboxFailure } from "./entry.ts";
import { disputeInterface, evidenceInterface, ledgerInterface } from "./entry.ts";

/** An RPC or node problem: the entry keeps its state and is tried again after a backoff. */
export class RetryLater extends Error {}

/** The sender is stopping: the step in progress ends without touching its entry. */
export class Stopped extends Error {}

/** A revert the ledger explains (custom error, Error(string), Panic), or undefined for anything else. */
export function revertFailure(error: unknown): OutboxFailure | undefined {
  const data = revertDataOf(error);
  if (data === undefined) return undefined;
  // DisputeResolution calls into the ledger, so either contract's errors can come back; the
  // evidence kinds' from the EvidenceRegistry, and from the EvidenceLog it checks a proof with
  // (EvidenceLogUnknownHead: a head the chain does not hold)
  const decoded = decodeRevertData(data, [
    ledgerInterface,
    disputeInterface,
    evidenceInterface,
    EvidenceLog.interface,
  ]);
  return decoded === undefined
    ? { code: "UnknownRevert", args: [data] }
    : { code: decoded.name, args: decoded.args };
}

/** The node's own words inside an ethers error (JSON-RPC error message), as one string. */
export function rpcMessage(error: unknown): string {
  const e = error as {
    info?: { error?: { message?: unknown } };
    error?: { message?: unknown };
    message?: unknown;
  };
  return [e?.info?.error?.message, e?.error?.message, e?.message]
    .filter((m) => typeof m === "string")
    .join(" ");
}

/** An error as the entry's lastError shows it: code, ethers' short message, the node's words. */
export function describe(error: unknown): string {
  if (error instanceof RetryLater) return error.message;
  const e = error as { code?: unknown; shortMessage?: unknown; message?: unknown };
  const text = [e?.shortMessage, e?.message].find((m): m is string => typeof m === "string") ?? String(error);
  const inner = rpcMessage(error);
  const detail = inner !== "" && !text.includes(inner) ? `: ${inner}` : "";
  return `${typeof e?.code === "string" ? `${e.code}: ` : ""}${text}${detail}`.slice(0, 500);
}
