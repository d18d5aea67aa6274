// The institution node's configuration, from environment variables, validated once. Only
// server.ts reads the environment.
import { z } from "zod";
import { parseEnvConfig } from "../../common/config/env.ts";
import { OPS_CONFIG_FIELDS } from "../../common/config/ops.ts";
import { DEMO_POLICY } from "../../common/pki/policies.ts";
import { DEFAULT_MAX_BATCH } from "./outbox/sender.ts";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** An environment variable holding JSON, parsed (a value that is not a string is taken as it is). */
const jsonText = (v: unknown): unknown => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);

/**
 * The most fresh flows the outbox may pack into one transaction: its gas limit (estimate +25 %)
 * must stay under the per-transaction cap of 2^24 (EIP-7825, Osaka). The ledger's largest
 * registration under its default term limit (1,096 days: 36 monthly installments) with the most
 * fees (120) estimates at 797,423 gas alone: 16 of them with the margin ask 15.9 M, 17 ask 16.9 M.
 */
const OUTBOX_MAX_BATCH_LIMIT = 16;

/** A back-office user: a bearer token stored only as its SHA-256, and a role. */
export const ApiUser = z.strictObject({
  user: z.string().min(1).max(64),
  role: z.enum(["clerk", "approver", "admin", "court-clerk"]),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, "lower-case hex SHA-256 of the token"),
});
export type ApiUser = z.infer<typeof ApiUser>;

/** "a, b,,c" → ["a", "b", "c"]: the environment's comma-separated lists. */
function commaSeparated(value: unknown): unknown {
  return typeof value === "string"
    ? value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")
    : value;
}

export const NodeConfigSchema = z.object({
  host: z.string().default("127.0.0.1"),
  port: int(0, 65535).default(9600),
  dataDir: z.string().min(1),
  /** This institution: its member id and kind (union, branch, platform, court). */
  memberId: int(1, 2 ** 32 - 1),
  memberKind: z.enum(["union", "branch", "platform", "court"]),
  /** The member's chain key: an encrypted JSON keystore file; its password in NODE_KEYSTORE_PASSWORD. */
  keystoreFile: z.string().min(1),
  keystorePassword: z.string().min(1),
  /**
   * The branch's governance-role key (an encrypted JSON keystore), for the one ledger write the
   * branch makes in that role: its own quotas (setOwnBranchLimits). Unset: that route answers
   * 409 NODE_ERR_NO_GOVERNANCE_KEY. Its password: NODE_GOVERNANCE_KEYSTORE_PASSWORD, else NODE_KEYSTORE_PASSWORD.
   */
  governanceKeystoreFile: z.string().min(1).optional(),
  governanceKeystorePassword: z.string().min(1).optional(),
  /** 32-byte master key file (0600) for encryption at rest; `npm start` and the network generator create one per member. */
  masterKeyFile: z.string().min(1),
  /** What the document store seals new documents with: AES-256-GCM, or SM4-CTR + HMAC-SM3 (国密). Either reads back. */
  documentCipher: z.enum(["aes-256-gcm", "sm4"]).default("aes-256-gcm"),
  /** The consortium's borrower-key secret (HMAC key), shared by members out of band. */
  consortiumKey: hex32,
  rpcUrl: z.url(),
  anchorUrl: z.url(),
  consortiumRegistry: address,
  jointLoanLedger: address,
  disputeResolution: address,
  evidenceRegistry: address,
  /** Block the ledger was deployed in (the indexer starts there). */
  deployBlock: int(0, Number.MAX_SAFE_INTEGER).default(0),
  logPageBlocks: int(1, 1_000_000).default(2000),
  indexerPollMs: int(50, 3_600_000).default(1000),
  /** Fresh flows the outbox packs into one batched transaction at most (1: one flow per transaction; nodes/src/outbox/README.md). */
  outboxMaxBatch: int(1, OUTBOX_MAX_BATCH_LIMIT).default(DEFAULT_MAX_BATCH),
  /**
   * Where this branch's credit queries go: "union", the union's credit-query service (signed
   * requests; the union's node must be in the directory), or "bureau", its own bureau line. The
   * union's node always uses its own (two channels); platforms' and courts' nodes query nothing.
   */
  creditQueryVia: z.enum(["union", "bureau"]).default("bureau"),
  /** The union's node: how many days one credit report serves every branch asking about that borrower. */
  creditReportFreshnessDays: int(1, 365).default(30),
  /** Other members' node URLs (JSON object: member id → base URL): where the union forwards applications. */
  directory: z.preprocess(jsonText, z.record(z.string().regex(/^[1-9][0-9]*$/), z.url())).default({}),
  /**
   * How often this node runs a keeper round on its own (escalation, reminders); 0: only on request
   * (POST /v1/keeper/rounds). Unset: hourly on the union's node (it keeps the escalation going by
   * default), only on request elsewhere.
   */
  keeperIntervalMs: int(0, 86_400_000)
    .refine((v) => v === 0 || v >= 1000, "0 (rounds only on request) or at least 1000 ms")
    .optional(),
  /** The hour (Asia/Shanghai, 0–23) the nightly post-loan batch starts; unset: it runs on request only. */
  postLoanBatchHour: int(0, 23).optional(),
  /**
   * Electronic contracts (电子合同): the CA root certificates a signed contract must chain to, PEM
   * files, comma-separated (production: the licensed CA's; `npm start`: the demo CA's). Unset: no
   * contract routes, and approval anchors a contract's bytes unchecked.
   */
  contractTrustAnchorFiles: z.preprocess(commaSeparated, z.array(z.string().min(1)).min(1)).optional(),
  /**
   * The court verification page this node serves (/verify, anchor-service/web): the JSON-RPC
   * endpoints its chain checks ask from the clerk's browser, comma-separated (default: this node's
   * NODE_RPC_URL; each must allow the page's origin in its CORS settings).
   */
  courtPageRpcUrls: z.preprocess(commaSeparated, z.array(z.url()).min(1)).optional(),
  /** Where clerks reach this node (the certificate's QR code and report links); default http://host:port. */
  publicUrl: z.url().optional(),
  /** TSA root certificates (PEM files, comma-separated) the page's and the certificate's trustedTime relies on; unset: none. */
  tsaTrustAnchorFiles: z.preprocess(commaSeparated, z.array(z.string().min(1))).default([]),
  /** The court's witness policy (C2SP tlog-policy file) the node's signed certificates judge cosignatures by; unset: not checked. */
  witnessPolicyFile: z.string().min(1).optional(),
  /**
   * The consortium's member directory file (common/consortium/member-directory.ts): legal names and
   * credit codes, served to the console only while its SHA-256 is the one governance set. Unset:
   * GET /v1/members answers 409 and members go by number. Set, it also binds the anchor service's
   * SM2 receipt key (member-names.ts, governedReceiptSm2Key).
   */
  memberDirectoryFile: z.string().min(1).optional(),
  /** Chain ids that are development chains: every console page marks them a test environment. */
  testChainIds: z.preprocess(commaSeparated, z.array(z.coerce.number().int().min(1))).default([31337]),
  /**
   * The seal (电子签章) this node signs verification certificates with: its certificate and its
   * PKCS #8 private key, PEM files (npm start: issued by the demo CA in data/pki). Unset: no
   * signed certificates (POST /verify/reports answers 409).
   */
  sealCertificateFile: z.string().min(1).optional(),
  sealKeyFile: z.string().min(1).optional(),
  /** Certificate policy OIDs marking a borrower's signing certificate and a branch's seal certificate (default: the demo CA's). */
  contractRolePolicies: z
    .preprocess(
      jsonText,
      z.strictObject({
        borrower: z.array(z.string().regex(/^\d+(\.\d+)+$/)).min(1),
        branchSeal: z.array(z.string().regex(/^\d+(\.\d+)+$/)).min(1),
      }),
    )
    .default({ borrower: [DEMO_POLICY.borrowerSignature], branchSeal: [DEMO_POLICY.branchSeal] }),
  /** Names printed on contracts (JSON object: member id → { name, identifier }, the identifier a unified social credit code). */
  contractParties: z
    .preprocess(
      jsonText,
      z.record(
        z.string().regex(/^[1-9][0-9]*$/),
        z.strictObject({ name: z.string().min(1), identifier: z.string().min(1) }),
      ),
    )
    .default({}),
  /** The contracts' dispute-resolution clause (JSON { kind: "court" | "arbitration", body }). */
  contractDispute: z
    .preprocess(jsonText, z.strictObject({ kind: z.enum(["court", "arbitration"]), body: z.string().min(1) }))
    .default({ kind: "court", body: "合同签订地有管辖权的人民法院" }),
  /** Where this branch signs its contracts (签订地). */
  contractPlace: z.string().min(1).default("贷款人住所地"),
  /**
   * The node's C2SP witness of the evidence log (nodes/src/witness/): its key name (e.g.
   * court.example/witness), its Ed25519 seed file (64 hex digits, mode 0600), and the vkeys of the
   * logs it follows (comma-separated). Unset name: no witness routes.
   */
  witnessName: z
    .string()
    .regex(/^[^\s+]+$/, "a key name: no spaces, no '+'")
    .optional(),
  witnessKeyFile: z.string().min(1).optional(),
  witnessLogs: z.preprocess(commaSeparated, z.array(z.string().min(1))).default([]),
  /** Back-office users (JSON array of { user, role, tokenSha256 }). */
  users: z.preprocess(jsonText, z.array(ApiUser)).default([]),
  /** Largest request body a route takes unless it says otherwise (bytes): 16 MiB. */
  maxBodyBytes: int(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Largest books file POST /v1/reconciliations takes (bytes): 32 MiB, about 290,000 rows. */
  reconcileMaxBodyBytes: int(1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  ...OPS_CONFIG_FIELDS,
});
export type NodeConfig = z.infer<typeof NodeConfigSchema>;

/** The fields in the order the environment variables are documented and written to env files. */
const ENV_FIELDS = [
  "host",
  "port",
  "dataDir",
  "memberId",
  "memberKind",
  "keystoreFile",
  "keystorePassword",
  "governanceKeystoreFile",
  "governanceKeystorePassword",
  "masterKeyFile",
  "documentCipher",
  "witnessName",
  "witnessKeyFile",
  "witnessLogs",
  "consortiumKey",
  "rpcUrl",
  "anchorUrl",
  "consortiumRegistry",
  "jointLoanLedger",
  "disputeResolution",
  "evidenceRegistry",
  "deployBlock",
  "logPageBlocks",
  "indexerPollMs",
  "outboxMaxBatch",
  "directory",
  "creditQueryVia",
  "creditReportFreshnessDays",
  "keeperIntervalMs",
  "postLoanBatchHour",
  "contractTrustAnchorFiles",
  "courtPageRpcUrls",
  "publicUrl",
  "tsaTrustAnchorFiles",
  "witnessPolicyFile",
  "memberDirectoryFile",
  "testChainIds",
  "sealCertificateFile",
  "sealKeyFile",
  "contractRolePolicies",
  "contractParties",
  "contractDispute",
  "contractPlace",
  "users",
  "maxBodyBytes",
  "reconcileMaxBodyBytes",
  "metricsToken",
  "metricsAllowedAddresses",
  "logLevel",
] as const satisfies ReadonlyArray<keyof NodeConfig>;

/**
 * Each field's environment variable: NODE_ and the field's name in upper snake case
 * (`keystoreFile` → NODE_KEYSTORE_FILE). A field missing from ENV_FIELDS does not compile here.
 */
export const NODE_ENV: Record<keyof NodeConfig, string> = Object.fromEntries(
  ENV_FIELDS.map((field) => [field, `NODE_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`]),
) as Record<(typeof ENV_FIELDS)[number], string>;

export function nodeConfigFromEnv(env: NodeJS.ProcessEnv): NodeConfig {
  return parseEnvConfig(NodeConfigSchema, NODE_ENV, env, "node");
}
