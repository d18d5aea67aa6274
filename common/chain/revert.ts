// The one revert decoder: a failed eth_call / eth_estimateGas / transaction → the custom error's
// name and arguments, through the generated interfaces of every contract (a contract's revert can
// carry another's error: DisputeResolution calls into the ledger, the ledger into its verifier).
import { isError, type Interface } from "ethers";
import { CONTRACTS } from "./generated/contracts.ts";

export type JsonValue = string | number | boolean | null | JsonValue[];

/** A decoded revert: the error's name (`Error` and `Panic` for Solidity's built-in ones) and its arguments as JSON (uint → decimal string). */
export type DecodedRevert = { name: string; args: JsonValue[]; signature: string };

const ALL_INTERFACES: readonly Interface[] = Object.values(CONTRACTS).map((c) => c.interface);

/** The revert data ethers carries on a CALL_EXCEPTION, or undefined (a transport failure, a revert without data). */
export function revertDataOf(error: unknown): string | undefined {
  // ethers turns every JSON-RPC error of eth_call/eth_estimateGas into CALL_EXCEPTION, transport
  // failures included: only revert data that decodes is a verdict of the chain
  if (!isError(error, "CALL_EXCEPTION")) return undefined;
  const data = error.data;
  return typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data) ? data : undefined;
}

/** Revert data → the error it encodes, tried against `interfaces` (every contract's by default); undefined when none knows it. */
export function decodeRevertData(
  data: string,
  interfaces: readonly Interface[] = ALL_INTERFACES,
): DecodedRevert | undefined {
  for (const iface of interfaces) {
    try {
      const parsed = iface.parseError(data);
      if (parsed !== null)
        return { name: parsed.name, args: Array.from(parsed.args, toJson), signature: parsed.signature };
    } catch {
      // malformed arguments or not this contract's error: try the next
    }
  }
  return undefined;
}

/** A thrown ethers error → the revert it carries, decoded; undefined for anything that is not a decodable revert. */
export function decodeRevert(
  error: unknown,
  interfaces: readonly Interface[] = ALL_INTERFACES,
): DecodedRevert | undefined {
  const data = revertDataOf(error);
  return data === undefined ? undefined : decodeRevertData(data, interfaces);
}

/** An ABI-decoded value as JSON: integers as decimal strings, tuples and arrays as arrays. */
export function toJson(value: unknown): JsonValue {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return Array.from(value, toJson);
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null)
    return value;
  // the ABI decoder yields only the kinds above; anything else is named by its type, never dumped
  return `[${typeof value}]`;
}
