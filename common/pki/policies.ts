// The certificate policies the demo CA asserts, apart from the CA itself so configuration can
// name them as defaults without loading the certificate libraries.

/** Certificate policy OIDs the demo CA asserts (under 2.999, the arc X.660 reserves for examples, so no real CA's policy is borrowed); the verifier reads a signer's role from them. */
export const DEMO_POLICY = {
  /** A branch's seal (机构电子签章). */
  branchSeal: "2.999.7100.1",
  /** A borrower's personal signature (个人签名). */
  borrowerSignature: "2.999.7100.2",
  /** The demo TSA's time-stamp policy (TSTInfo policy) and its certificate's (可信时间戳, 演示用). */
  timeStamping: "2.999.7100.3",
  /** A consortium service's TLS certificate (HTTPS between nodes and the anchor service). */
  tlsService: "2.999.7100.4",
  /** A verifying node's seal on the verification certificates it signs (核验专用章): not a lender's seal, so it seals no contract. */
  verificationSeal: "2.999.7100.5",
} as const;
