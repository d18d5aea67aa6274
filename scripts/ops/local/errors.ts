// What can stop the local consortium from starting, each with a stable code and a message that
// says what to do about it.
import { CodedError } from "../../../common/errors.ts";

export type LocalErrorCode =
  | "LOCAL_PORT_IN_USE"
  | "LOCAL_ALREADY_RUNNING"
  | "LOCAL_ORPHANS_RUNNING"
  | "LOCAL_NOT_READY"
  | "LOCAL_EXITED"
  | "LOCAL_BAD_PASSWORD"
  | "LOCAL_CHAIN_UNREACHABLE"
  | "LOCAL_UNFUNDED"
  | "LOCAL_BAD_CONFIG"
  | "LOCAL_CHAIN_CLOCK_AHEAD"; // the chain's latest block is stamped ahead of this machine's clock

export class LocalConsortiumError extends CodedError<LocalErrorCode> {}
