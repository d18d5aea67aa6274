// The anchor service's configuration, from environment variables, validated once. Only
// server.ts reads the environment; everything else receives a Config.
import { isIP } from "node:net";
import { z } from "zod";
import { commaList, parseEnvConfig } from "../../common/config/env.ts";
import { OPS_CONFIG_FIELDS } from "../../common/config/ops.ts";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A comma-separated list of http(s) URLs; unset: none. */
const httpUrls = () =>
  commaList(z.url().refine((u) => /^https?:/.test(u), "must be an http(s) URL")).default([]);

export const ConfigSchema = z.object({
  /** HTTP listen address and port. */
  host: z.string().default("127.0.0.1"),
  port: int(0, 65535).default(8545 + 1000),
  /** LevelDB directory; created if missing. */
  dataDir: z.string().min(1),
  /** Chain JSON-RPC endpoint. */
  rpcUrl: z.url(),
  /** Contract addresses. */
  evidenceLog: address,
  consortiumRegistry: address,
  evidenceRegistry: address,
  /** The log this service operates (EvidenceLog log id) and its operator key. */
  logId: hex32,
  operatorKey: hex32,
  /** Commit a head every interval or every `commitLeaves` new leaves, whichever comes first. */
  commitIntervalMs: int(50, 3_600_000).default(1000),
  commitLeaves: int(1, 1_000_000).default(10_000),
  /** The promised maximum merge delay in receipts (seconds from receipt to anchored head). */
  maxMergeDelaySeconds: int(1, 86_400).default(60),
  /** Blocks to wait after inclusion before a head counts (0 on QBFT, which is final). */
  confirmations: int(0, 64).default(0),
  /** How long an active-membership answer from the chain is trusted. */
  membershipCacheMs: int(0, 600_000).default(2000),
  /** Request limits. */
  maxRecordsPerRequest: int(1, 10_000).default(10_000),
  maxBodyBytes: int(1024, 64 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Signed requests may not be valid for longer than this (bounds nonce storage). */
  maxRequestTtlSeconds: int(10, 86_400).default(300),
  /** eth_getLogs page size, for RPC endpoints with range limits. */
  logPageBlocks: int(1, 1_000_000).default(5000),
  /**
   * Per-member intake quotas used while governance has not set the ConsortiumRegistry parameters
   * `anchor.intake.recordsPerSecond` / `anchor.intake.recordsPerDay` (0 there means unset). The
   * per-second default is above one service's measured capacity (a member alone may use it all;
   * governance sets the consortium's share); the per-day default ends a flood within minutes.
   */
  intakeRecordsPerSecond: int(1, 10_000_000).default(100_000),
  intakeRecordsPerDay: int(1, 1_000_000_000_000).default(5_000_000),
  /**
   * The address courts reach this service on (https://evidence.example.org): the certificate's QR
   * code and links lead there, never to the request's Host header. Unset: the listen address
   * (right for local use only). An http(s) origin, optionally with a path; no query or fragment.
   */
  publicUrl: z
    .url()
    .refine((u) => {
      if (!URL.canParse(u)) return false;
      const url = new URL(u);
      return (
        (url.protocol === "https:" || url.protocol === "http:") &&
        url.username === "" &&
        url.password === "" &&
        url.search === "" &&
        url.hash === ""
      );
    }, "must be an http(s) URL without credentials, query or fragment")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  /**
   * RFC 3161 time-stamping authorities asked to stamp every committed head (http(s) URLs,
   * comma-separated; tsa/README.md). Unset: none (bundles carry no tokens; trustedTime is
   * indeterminate).
   */
  tsaUrls: httpUrls(),
  /**
   * PEM files of the TSA roots trusted (comma-separated): tokens that do not chain to them are not
   * kept, and POST /v1/verify checks trustedTime against them. Unset: tokens are kept unverified and
   * /v1/verify's trustedTime is indeterminate.
   */
  tsaTrustAnchorFiles: commaList(z.string().min(1)).default([]),
  /**
   * JSON-RPC endpoints the verification page's chain checks ask from the court's browser
   * (comma-separated http(s) URLs; the page's CSP connect-src lists exactly these; each must allow
   * the page's origin in its CORS settings). Unset: the page asks this service's POST /v1/verify.
   */
  verifyPageRpcUrls: httpUrls(),
  /** How long one time-stamp request may take. */
  tsaTimeoutMs: int(100, 120_000).default(10_000),
  /** C2SP checkpoint origin and key name (c2sp/). Unset: `jointledger/<logId>`. */
  checkpointOrigin: z
    .string()
    .regex(/^[^\s+]+$/, "a key name: no spaces, no '+'")
    .optional(),
  /** Ed25519 seed of the checkpoint key (0x + 64 hex). Unset: derived from the operator key (HKDF). */
  checkpointKey: hex32.optional(),
  /** SM2 private key (0x + 64 hex): checkpoints carry an SM2 signature too (signed-note type 0xff). */
  checkpointSm2Key: hex32.optional(),
  /** Receipt signature types: EIP-712 always; `eip712,sm2` signs every receipt batch with SM2 too (国密). */
  receiptSignatures: z.enum(["eip712", "eip712,sm2"]).default("eip712"),
  /** SM2 private key (0x + 64 hex) for receipts; required by `eip712,sm2`. */
  receiptSm2Key: hex32.optional(),
  /** Witnesses asked to cosign each checkpoint, `name=submission-prefix-URL`, comma-separated; names as in the policy. */
  witnessUrls: commaList(z.string().regex(/^[^=\s]+=https?:\/\/\S+$/, "must be name=http(s)://…")).default(
    [],
  ),
  /** tlog-policy file naming the witnesses' keys and the quorum that publishes a checkpoint. Required with witnesses. */
  witnessPolicyFile: z.string().min(1).optional(),
  ...OPS_CONFIG_FIELDS,
});

export type Config = z.infer<typeof ConfigSchema>;

/** Environment variable names, one per field (documented in anchor-service/README.md). */
export const ENV: Record<keyof Config, string> = {
  host: "ANCHOR_HOST",
  port: "ANCHOR_PORT",
  dataDir: "ANCHOR_DATA_DIR",
  rpcUrl: "ANCHOR_RPC_URL",
  evidenceLog: "ANCHOR_EVIDENCE_LOG",
  consortiumRegistry: "ANCHOR_CONSORTIUM_REGISTRY",
  evidenceRegistry: "ANCHOR_EVIDENCE_REGISTRY",
  logId: "ANCHOR_LOG_ID",
  operatorKey: "ANCHOR_OPERATOR_KEY",
  commitIntervalMs: "ANCHOR_COMMIT_INTERVAL_MS",
  commitLeaves: "ANCHOR_COMMIT_LEAVES",
  maxMergeDelaySeconds: "ANCHOR_MAX_MERGE_DELAY_SECONDS",
  confirmations: "ANCHOR_CONFIRMATIONS",
  membershipCacheMs: "ANCHOR_MEMBERSHIP_CACHE_MS",
  maxRecordsPerRequest: "ANCHOR_MAX_RECORDS_PER_REQUEST",
  maxBodyBytes: "ANCHOR_MAX_BODY_BYTES",
  maxRequestTtlSeconds: "ANCHOR_MAX_REQUEST_TTL_SECONDS",
  logPageBlocks: "ANCHOR_LOG_PAGE_BLOCKS",
  intakeRecordsPerSecond: "ANCHOR_INTAKE_RECORDS_PER_SECOND",
  intakeRecordsPerDay: "ANCHOR_INTAKE_RECORDS_PER_DAY",
  publicUrl: "ANCHOR_PUBLIC_URL",
  tsaUrls: "ANCHOR_TSA_URLS",
  tsaTrustAnchorFiles: "ANCHOR_TSA_TRUST_ANCHOR_FILES",
  tsaTimeoutMs: "ANCHOR_TSA_TIMEOUT_MS",
  verifyPageRpcUrls: "ANCHOR_VERIFY_PAGE_RPC_URLS",
  checkpointOrigin: "ANCHOR_CHECKPOINT_ORIGIN",
  checkpointKey: "ANCHOR_CHECKPOINT_KEY",
  receiptSignatures: "ANCHOR_RECEIPT_SIGNATURES",
  receiptSm2Key: "ANCHOR_RECEIPT_SM2_KEY",
  checkpointSm2Key: "ANCHOR_CHECKPOINT_SM2_KEY",
  witnessUrls: "ANCHOR_WITNESS_URLS",
  witnessPolicyFile: "ANCHOR_WITNESS_POLICY_FILE",
  metricsToken: "ANCHOR_METRICS_TOKEN",
  metricsAllowedAddresses: "ANCHOR_METRICS_ALLOWED_ADDRESSES",
  logLevel: "ANCHOR_LOG_LEVEL",
};

/** Build a Config from an environment; throws a readable list of what is wrong. */
export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  return parseEnvConfig(ConfigSchema, ENV, env, "anchor-service");
}

/**
 * Where courts reach this service: ANCHOR_PUBLIC_URL, else the listen address (a wildcard
 * address as loopback). Links and QR codes are built from this, never from a request's Host.
 */
export function publicUrlOf(config: Pick<Config, "publicUrl" | "host" | "port">): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host =
    config.host === "0.0.0.0" || config.host === ""
      ? "127.0.0.1"
      : config.host === "::"
        ? "::1"
        : config.host;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${config.port}`;
}
