// What a node is started with: its settings, and what tests pass in instead of files and simulators.
import type { Wallet } from "ethers";
import type { Logger } from "pino";
import type { CreditBureau } from "../bureau/bureau.ts";
import type { NodeConfig } from "../config.ts";
import type { ReadinessLimits } from "../readiness.ts";
import type { ServerTls } from "../../../common/service/tls.ts";

export type NodeServiceOptions = {
  config: NodeConfig;
  inMemory?: boolean;
  logger?: Logger | false;
  /** The member's wallet, when the caller already has it (tests); otherwise the keystore file. */
  wallet?: Wallet;
  /** The credit bureau adapter; a deterministic simulator by default (no real bureau here). */
  bureau?: CreditBureau;
  /** The union's fallback bureau channel (备用查询通道); a simulator of its own by default. */
  bureauFallback?: CreditBureau;
  now?: () => Date;
  /** The branch's governance-role key (tests); else from config.governanceKeystoreFile, if set. */
  governanceWallet?: Wallet;
  /** Serve HTTPS with this certificate and key (NODE_TLS_*, common/service/tls.ts); absent: HTTP. */
  tls?: ServerTls;
  /** Where POST /ops/backups writes online backups of the data directory (NODE_BACKUP_DIR); absent: no backups over HTTP. */
  backupDir?: string;
  /** /readyz's bounds (NODE_READY_*, readiness.ts); absent: DEFAULT_READINESS_LIMITS. */
  readinessLimits?: ReadinessLimits;
};
