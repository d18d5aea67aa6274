import { CodedError } from "../errors.ts";

export type PkiErrorCode =
  | "PKI_BAD_PEM" // a trust anchor or certificate that does not parse
  | "PKI_NO_TRUST_ANCHORS" // a verifier configured with no roots would trust nothing (or, worse, anything)
  | "PKI_UNTRUSTED_CHAIN" // no path from the certificate to a configured root
  | "PKI_NOT_VALID_AT" // the certificate was not valid at the time in question
  | "PKI_BAD_TIMESTAMP" // a time-stamp request, reply or token that does not parse, or a refused request
  | "PKI_TIMESTAMP_IMPRINT" // a time-stamp token over another message
  | "PKI_TIMESTAMP_SIGNATURE" // a time-stamp token whose CMS signature does not hold
  | "PKI_NOT_TIMESTAMPING"; // a token signed by a certificate without the time-stamping purpose

export class PkiError extends CodedError<PkiErrorCode> {}
