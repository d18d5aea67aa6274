// Clean shutdown for the services: on SIGINT or SIGTERM, run `close` once (finish the work in
// flight, close storage) and exit 0, or 1 if closing failed.
type Log = { info(obj: object, msg: string): void; error(obj: object, msg: string): void };

export function exitOnSignals(log: Log, close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      log.info({ signal }, "shutting down");
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
