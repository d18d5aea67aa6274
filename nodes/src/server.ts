// The institution node's process: configuration from the environment (NODE_*, nodes/README.md),
// pino logs with personal data redacted, listen, indexer and outbox running, clean shutdown.
import pino from "pino";
import { nodeConfigFromEnv } from "./config.ts";
import { PII_LOG_OPTIONS } from "./privacy/mask.ts";
import { createNodeService } from "./service.ts";
import { readinessLimitsFromEnv } from "./readiness.ts";
import { exitOnSignals } from "../../common/process/shutdown.ts";
import { logDestination } from "../../common/service/rotating-log.ts";
import { applyClientTls, schemeOf, tlsFromEnv } from "../../common/service/tls.ts";

const config = nodeConfigFromEnv(process.env);
// NODE_TLS_CERT_FILE/_KEY_FILE: serve HTTPS; NODE_TLS_CA_FILE: verify the anchor service, peers
// and the union's credit service against that CA alone (common/service/tls.ts)
const tls = tlsFromEnv(process.env, "NODE");
applyClientTls(tls);
// personal fields masked by name, request URLs (query strings) scrubbed, bodies masked at any depth
// NODE_LOG_FILE: into a file rotated by size (NODE_LOG_MAX_BYTES, NODE_LOG_KEEP); unset: stdout
const destination = logDestination(process.env, "NODE");
const options = { level: config.logLevel, ...PII_LOG_OPTIONS };
const logger = destination === undefined ? pino(options) : pino(options, destination);
// NODE_BACKUP_DIR: POST /ops/backups writes online backups there (common/level-backup.ts)
const backupDir = process.env.NODE_BACKUP_DIR;
const node = await createNodeService({
  config,
  logger,
  ...(tls.server === undefined ? {} : { tls: tls.server }),
  ...(backupDir === undefined || backupDir === "" ? {} : { backupDir }),
  // NODE_READY_MAX_INDEXER_LAG_BLOCKS, NODE_READY_MAX_OUTBOX_BACKLOG, NODE_READY_TIMEOUT_MS
  readinessLimits: readinessLimitsFromEnv(process.env),
});
await node.start();
await node.app.listen({ host: config.host, port: config.port });
logger.info(
  {
    member: config.memberId,
    kind: config.memberKind,
    url: `${schemeOf(tls)}://${config.host}:${config.port}`,
    docs: `${schemeOf(tls)}://${config.host}:${config.port}/docs`,
  },
  "institution node listening",
);

exitOnSignals(logger, () => node.close());
