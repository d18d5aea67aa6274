// The anchor service's process: configuration from the environment, pino logs, listen, and a
// clean shutdown on SIGINT/SIGTERM (finish the write in flight; nothing accepted is lost).
import pino from "pino";
import { configFromEnv } from "./config.ts";
import { createAnchorService } from "./service.ts";
import { exitOnSignals } from "../../common/process/shutdown.ts";

const config = configFromEnv(process.env);
const logger = pino({ level: config.logLevel });
const service = await createAnchorService({ config, logger, defaultMetrics: true });
await service.start();
await service.app.listen({ host: config.host, port: config.port });
logger.info({ url: `http://${config.host}:${config.port}`, docs: `http://${config.host}:${config.port}/docs` }, "anchor service listening");

exitOnSignals(logger, () => service.close());
