import { CodedError } from "../errors.ts";

export type PkiErrorCode =
  | "PKI_BAD_PEM" // a trust anchor or certificate that does not parse
  | "PKI_NO_TRUST_ANCHORS" // a verifier configured with no roots would trust nothing (or, worse, anything)
  | "PKI_UNTRUSTED_CHAIN" // no path from the certificate to a configured root
  | "PKI_NOT_VALID_AT"; // the certificate was not valid at the time in question

export class PkiError extends CodedError<PkiErrorCode> {}
