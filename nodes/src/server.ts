// The institution node's process: configuration from the environment (NODE_*, nodes/README.md),
// pino logs with personal data redacted, listen, indexer and outbox running, clean shutdown.
// Once the indexer's first sync is done it logs "boot timings": when each step of its start
// ended, ms since the process began (the launcher's start-up breakdown reads it).
import { performance } from "node:perf_hooks";
import pino from "pino";
import { nodeConfigFromEnv } from "./config.ts";
import { PII_LOG_OPTIONS } from "./privacy/mask.ts";
import { createNodeService } from "./service.ts";
import { readinessLimitsFromEnv } from "./readiness.ts";
import { exitOnSignals } from "../../common/process/shutdown.ts";
import { logDestination } from "../../common/service/rotating-log.ts";
import { applyClientTls, schemeOf, tlsFromEnv } from "../../common/service/tls.ts";

// imports are evaluated before this line: the time to load the node's modules
const boot: Record<string, number> = { modulesLoaded: performance.now() };
const mark = (step: string) => (boot[step] = Math.round(performance.now()));
boot.modulesLoaded = Math.round(boot.modulesLoaded!);

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
mark("configured");
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
mark("serviceCreated");
await node.start();
mark("started");
await node.app.listen({ host: config.host, port: config.port });
mark("listening");
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
void firstIndexerSync().then((at) => {
  if (at !== undefined) boot.indexerFirstSync = at;
  logger.info({ boot }, "boot timings");
});

/**
 * When the indexer's first sync since the start ended (ms since the process began); undefined
 * if it has not within a minute (its errors are logged by the indexer itself).
 */
async function firstIndexerSync(): Promise<number | undefined> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const { lastSyncAt } = node.indexer.status();
    if (lastSyncAt !== null) return Math.round(lastSyncAt - performance.timeOrigin);
    await new Promise((resolve) => setTimeout(resolve, 20).unref());
  }
  return undefined;
}
