// The anchor service's process: configuration from the environment, pino logs, listen, and a
// clean shutdown on SIGINT/SIGTERM (finish the write in flight; nothing accepted is lost).
import pino from "pino";
import { configFromEnv } from "./config.ts";
import { createAnchorService } from "./service.ts";

const config = configFromEnv(process.env);
const logger = pino({ level: config.logLevel });
const service = await createAnchorService({ config, logger, defaultMetrics: true });
await service.start();
await service.app.listen({ host: config.host, port: config.port });
logger.info({ url: `http://${config.host}:${config.port}`, docs: `http://${config.host}:${config.port}/docs` }, "anchor service listening");

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    service.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
