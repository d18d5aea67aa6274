// What a refused node-to-node request may write when a node's routes are fuzzed: a signed request
// spends its nonce once its signer is authenticated as an active member of the route's kind, even
// if the operation then refuses (a one-time ticket: the refused request cannot be replayed either);
// a request refused at authentication writes nothing. (No describe/it here: Hardhat mocha loads it like a test.)

/** The node's request-nonces sublevel, as LevelDB keys start. */
export const NONCE_PREFIX = Buffer.from("!request-nonces!", "utf8");

/** Codes a request is refused with before its nonce is spent. */
export const AUTH_CODES: ReadonlySet<string> = new Set([
  "NODE_ERR_AUTH",
  "NODE_ERR_ROLE",
  "NODE_ERR_VALIDATION",
  "NODE_ERR_BAD_JSON",
  "NODE_ERR_NOT_FOUND",
  "NODE_ERR_WRONG_TARGET",
  "NODE_ERR_WRONG_MEMBER_KIND",
]);

export const startsWith = (key: Buffer, prefix: Buffer): boolean =>
  key.subarray(0, prefix.length).equals(prefix);

/** A key a request refused with `code` may have written: its spent nonce, once authenticated. */
export const nonceMayWrite = (key: Buffer, code: string): boolean =>
  startsWith(key, NONCE_PREFIX) && !AUTH_CODES.has(code);
