// The node's OpenAPI document beyond its schemas: who may call each route, read from the route's
// declared access (authorize.ts) — an API user's bearer token, another member's node signing the
// request, or anyone — and every error answer with the catalogue's codes of its status.
import {
  EXPIRES_AT_HEADER,
  NONCE_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  TARGET_HEADER,
} from "../../../common/auth/request-signing.ts";
import {
  headerScheme,
  type ApiDocumentOptions,
  type DocumentedRoute,
} from "../../../common/service/openapi.ts";
import { NODE_ERRORS } from "../errors.ts";

const SECURITY_SCHEMES = {
  bearer: {
    type: "http" as const,
    scheme: "bearer" as const,
    description:
      "An API user's token (NODE_USERS_FILE; `npm start` writes the demo tokens to data/consortium.json). A missing or unknown token is 401, a role the route does not take 403.",
  },
  nodeSigner: headerScheme(
    SIGNER_HEADER,
    'Node-to-node requests: another member\'s node signs EIP-712 NodeRequest(string method, string path, bytes32 bodyHash, uint256 nonce, uint64 expiresAt, uint32 target), domain { name: "JointLedger", version: "1", chainId, verifyingContract: <ConsortiumRegistry> }, bodyHash the SHA-256 of the exact body bytes, target this node\'s member id (common/auth/request-signing.ts; the anchor\'s API document works one request through). This header: the signing operations account.',
  ),
  nodeNonce: headerScheme(NONCE_HEADER, "A random 128-bit decimal, never reused by the signer."),
  nodeExpiresAt: headerScheme(EXPIRES_AT_HEADER, "Unix seconds after which the request is refused."),
  nodeSignature: headerScheme(SIGNATURE_HEADER, "The EIP-712 NodeRequest signature (see x-jl-signer)."),
  nodeTarget: headerScheme(
    TARGET_HEADER,
    "The member id of the node meant to serve the request (421 elsewhere).",
  ),
} as const;

const SIGNED = [{ nodeSigner: [], nodeNonce: [], nodeExpiresAt: [], nodeSignature: [], nodeTarget: [] }];
const BEARER = [{ bearer: [] }];

/** The route's access as authorize.ts reads it: `auth` "open" or "signed", else an API token with roles. */
function security(route: DocumentedRoute) {
  const auth = (route.config as { auth?: string } | undefined)?.auth;
  return auth === "open" ? [] : auth === "signed" ? SIGNED : BEARER;
}

export const NODE_API_DOCUMENT: ApiDocumentOptions = {
  title: "JointLedger institution node",
  description:
    "An institution's back-office API. Staff call it with a bearer token (Authorize, above); node-to-node routes are signed by another member's node. Amounts are fen as decimal strings, days are Asia/Shanghai calendar days.",
  version: "1.0.0",
  securitySchemes: SECURITY_SCHEMES,
  security,
  // 415 (a body type the node does not parse) and 500 are the shell's answers, outside the catalogue
  examples: {
    "^app_[0-9a-f]{24}$": "app_5f0c2a9e1b7d4c3a8e6f1029",
    "^[0-9A-Za-z._-]{1,64}$": "run-2026-03-16",
    "^$|^(?:[0-9a-zA-Z+/]{4})*(?:(?:[0-9a-zA-Z+/]{2}==)|(?:[0-9a-zA-Z+/]{3}=))?$": "JVBERi0xLjcKJcfsj6IK",
  },
  errorCodes: [...Object.entries(NODE_ERRORS), ["NODE_ERR_VALIDATION", 415], ["NODE_ERR_INTERNAL", 500]],
};
