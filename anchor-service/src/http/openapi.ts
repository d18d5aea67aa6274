// The anchor service's OpenAPI document beyond its schemas: the intake's signing headers as
// security schemes, with one request worked through end to end (a test re-signs it and compares),
// and the catalogue's codes on every error answer.
import {
  EXPIRES_AT_HEADER,
  NONCE_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
} from "../../../common/auth/request-signing.ts";
import { SUBMISSION_SIGNATURE_HEADER } from "../../../common/formats/receipt/submission.ts";
import {
  headerScheme,
  type ApiDocumentOptions,
  type DocumentedRoute,
} from "../../../common/service/openapi.ts";
import { ANCHOR_ERRORS } from "../errors.ts";

/**
 * One POST /v1/leaves request, signed by Anvil's second well-known development account
 * (private key 0x59c6…690d, never a production key) for a local chain (id 31337) whose
 * ConsortiumRegistry and EvidenceLog are at the addresses a fresh Anvil deployment gives.
 */
export const WORKED_EXAMPLE = {
  privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  chainId: 31337,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  evidenceLog: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  logId: "0x3cb08b93c9d9f6cfc90f68ab0bcaa3817da8ae647e93aac1fd58cf818a382322",
  record: {
    version: 1,
    kind: 1,
    digestAlgorithm: 1,
    digest: "0x5cb44c0e4e6d1e4e6b4afba8fa16cb1a7372d3fcbec9f3d937e2859ec3b8233e",
    salt: `0x${"5a".repeat(32)}`,
    submitter: 2,
    subject: `0x${"00".repeat(32)}`,
  },
  nonce: "240221987654321",
  expiresAt: 1773628260,
  headers: {
    [SIGNER_HEADER]: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    [NONCE_HEADER]: "240221987654321",
    [EXPIRES_AT_HEADER]: "1773628260",
    [SIGNATURE_HEADER]:
      "0x2b7591f2b304db8437e2351c9ae9d5afbaa20ea5f78ef6d8f73afc83daa1958a09979998d3914380b59112b3dc1b0518d2bde52e6e843bdb881a4bee1639b7181b",
    [SUBMISSION_SIGNATURE_HEADER]:
      "0x28568285768e5a7250491cedbb51ba15057e7dbb254eda8d662ece017eeece913b70b4aca71ed446d734d0e89a4b41bae46e62947ec6ecf1daa0c0b9f28209cc1c",
  },
  batchRoot: "0x4178b201daa4abf909af8b9b3a3b89d8f4520f380e22361b8ade29dcb00012d1",
} as const;

const example = WORKED_EXAMPLE;
const body = JSON.stringify({ records: [example.record] });

const SIGNING = `Every header is computed by \`npm run anchor\` and by \`common/anchor/\`'s client; by hand:

1. **x-jl-signature**: EIP-712 typed data, domain \`{ name: "JointLedger", version: "1", chainId, verifyingContract: <ConsortiumRegistry> }\`,
   type \`SignedRequest(string method, string path, bytes32 bodyHash, uint256 nonce, uint64 expiresAt)\`, where
   \`bodyHash\` is the SHA-256 of the exact body bytes, \`path\` the request target as sent, \`nonce\` a random
   128-bit number never reused, \`expiresAt\` unix seconds (at most the service's ANCHOR_MAX_REQUEST_TTL_SECONDS ahead).
2. **x-jl-submission-signature**: EIP-712 \`EvidenceSubmission(bytes32 logId, bytes32 batchRoot)\`, domain
   \`{ name: "JointLedger Evidence Submission", version: "1", chainId, verifyingContract: <EvidenceLog> }\`; \`batchRoot\`
   is the RFC 9162 root of the records' leaf hashes in request order (common/formats/leaf/LEAF.md).
3. **x-jl-signer**: the signing account, an operations account of an active member; **x-jl-nonce**, **x-jl-expires-at**: as signed.

Worked example (chain ${example.chainId}, registry ${example.registry}, EvidenceLog ${example.evidenceLog},
log id ${example.logId}, key ${example.privateKey} — Anvil's development account, never use it elsewhere):

\`\`\`
POST /v1/leaves
content-type: application/json
${Object.entries(example.headers)
  .map(([name, value]) => `${name}: ${value}`)
  .join("\n")}

${body}
\`\`\`

(batchRoot ${example.batchRoot}).`;

/** The anchor's schemes: intake's signed-request headers; reads are open. */
const SECURITY_SCHEMES = {
  jlSigner: headerScheme(SIGNER_HEADER, `The signing account. ${SIGNING}`),
  jlNonce: headerScheme(NONCE_HEADER, "A random 128-bit decimal, never reused by this signer."),
  jlExpiresAt: headerScheme(EXPIRES_AT_HEADER, "Unix seconds after which the request is refused."),
  jlSignature: headerScheme(SIGNATURE_HEADER, "EIP-712 SignedRequest signature (see x-jl-signer)."),
  jlSubmissionSignature: headerScheme(
    SUBMISSION_SIGNATURE_HEADER,
    "EIP-712 EvidenceSubmission signature over the records' batch root (see x-jl-signer).",
  ),
} as const;

const SIGNED = [Object.fromEntries(Object.keys(SECURITY_SCHEMES).map((name) => [name, []]))];

function security(route: DocumentedRoute) {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return route.url === "/v1/leaves" && methods.includes("POST") ? SIGNED : [];
}

export const ANCHOR_API_DOCUMENT: ApiDocumentOptions = {
  title: "JointLedger anchor service",
  description: `Durable evidence intake, RFC 9162 log, on-chain heads, proofs, bundles and verification. Reads are open; POST /v1/leaves is signed by a member's operations key:\n\n${SIGNING}`,
  version: "1.0.0",
  securitySchemes: SECURITY_SCHEMES,
  security,
  // a leaf's 224 encoded bytes (common/formats/leaf/LEAF.md): the worked example's record
  examples: {
    "^0x[0-9a-fA-F]{448}$": `0x${[1, 1, 1]
      .map((n) => n.toString(16).padStart(64, "0"))
      .join(
        "",
      )}${example.record.digest.slice(2)}${example.record.salt.slice(2)}${(2).toString(16).padStart(64, "0")}${example.record.subject.slice(2)}`,
  },
  errorCodes: [...Object.entries(ANCHOR_ERRORS), ["ANCHOR_ERR_INTERNAL", 500]],
};
