// The anchor service's process: configuration from the environment, pino logs, listen, and a
// clean shutdown on SIGINT/SIGTERM (finish the write in flight; nothing accepted is lost). Once
// listening it logs "boot timings": when each step of its start ended, ms since the process began
// (the launcher's start-up breakdown reads it).
import { performance } from "node:perf_hooks";
import pino from "pino";
import { configFromEnv } from "./config.ts";
import { createAnchorService } from "./service.ts";
import { openWhenStorageAllows } from "./storage-wait.ts";
import { exitOnSignals } from "../../common/process/shutdown.ts";
import { logDestination } from "../../common/service/rotating-log.ts";
import { applyClientTls, schemeOf, tlsFromEnv } from "../../common/service/tls.ts";

// imports are evaluated before this line: the time to load the service's modules
const boot: Record<string, number> = { modulesLoaded: Math.round(performance.now()) };
const mark = (step: string) => (boot[step] = Math.round(performance.now()));

const config = configFromEnv(process.env);
// ANCHOR_TLS_CERT_FILE/_KEY_FILE: serve HTTPS; ANCHOR_TLS_CA_FILE: verify witnesses and TSAs
// against that CA alone (common/service/tls.ts)
const tls = tlsFromEnv(process.env, "ANCHOR");
applyClientTls(tls);
const backupDir = process.env.ANCHOR_BACKUP_DIR;
// ANCHOR_LOG_FILE: into a file rotated by size (ANCHOR_LOG_MAX_BYTES, ANCHOR_LOG_KEEP); unset: stdout
const destination = logDestination(process.env, "ANCHOR");
const logger =
  destination === undefined
    ? pino({ level: config.logLevel })
    : pino({ level: config.logLevel }, destination);
mark("configured");
// a data directory that cannot be opened yet (read-only, full): 503s meanwhile, not a crash loop
const service = await openWhenStorageAllows(
  () =>
    createAnchorService({
      config,
      logger,
      defaultMetrics: true,
      ...(tls.server === undefined ? {} : { tls: tls.server }),
      // ANCHOR_BACKUP_DIR: POST /ops/backups writes online backups there (common/level-backup.ts)
      ...(backupDir === undefined || backupDir === "" ? {} : { backupDir }),
    }),
  { host: config.host, port: config.port, logger, https: tls.server },
);
mark("serviceCreated");
await service.start();
mark("headsReconciled");
await service.app.listen({ host: config.host, port: config.port });
mark("listening");
logger.info(
  {
    url: `${schemeOf(tls)}://${config.host}:${config.port}`,
    docs: `${schemeOf(tls)}://${config.host}:${config.port}/docs`,
  },
  "anchor service listening",
);
logger.info({ boot }, "boot timings");

exitOnSignals(logger, () => service.close());
