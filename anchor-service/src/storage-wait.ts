// Start-up on a data directory that cannot be opened (a read-only filesystem, a full disk, a
// permission problem): rather than exit — and be restarted, and exit, in a loop — the process
// listens, answers every route with 503 ANCHOR_ERR_STORAGE_UNAVAILABLE and /readyz with the
// reason, and tries to open the directory again every few seconds; once it opens, this stand-in
// closes and the real service takes the port.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { isStorageFailure, storageReason } from "./errors.ts";
import type { ServerTls } from "../../common/service/tls.ts";

export type StorageWaitOptions = {
  host: string;
  port: number;
  logger: Logger;
  retryMs?: number;
  /** The service's HTTPS certificate and key: the stand-in answers on the same scheme. */
  https?: ServerTls | undefined;
};

export async function openWhenStorageAllows<T>(
  open: () => Promise<T>,
  options: StorageWaitOptions,
): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (!isStorageFailure(error)) throw error;
    let reason = storageReason(error);
    options.logger.error({ reason }, "cannot open the data directory; answering 503 until it can be opened");
    const loggerInstance = options.logger as unknown as FastifyBaseLogger;
    const app: FastifyInstance =
      options.https === undefined
        ? Fastify({ loggerInstance })
        : Fastify({ loggerInstance, https: options.https });
    const refusal = () => ({
      error: {
        code: "ANCHOR_ERR_STORAGE_UNAVAILABLE",
        message: `the service cannot open its data directory (${reason}); it retries every few seconds`,
      },
    });
    app.get("/healthz", async () => ({ status: "ok" }));
    app.get("/readyz", async (_request, reply) => reply.code(503).send({ ready: false, storage: reason }));
    app.setNotFoundHandler((_request, reply) => reply.code(503).send(refusal()));
    await app.listen({ host: options.host, port: options.port });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2_000));
      try {
        const opened = await open();
        await app.close();
        options.logger.info("the data directory opened; starting the service");
        return opened;
      } catch (retryError) {
        if (!isStorageFailure(retryError)) {
          await app.close();
          throw retryError;
        }
        reason = storageReason(retryError);
      }
    }
  }
}
