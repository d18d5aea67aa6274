// Ports for the local consortium: a free ephemeral port when asked for 0, and a clear error when a
// fixed port is already taken (by an earlier `npm start` or another program).
import { createServer } from "node:net";
import { LocalConsortiumError } from "./errors.ts";

export const HOST = "127.0.0.1";

/** A port the OS reports free on the loopback interface right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Throws LOCAL_PORT_IN_USE, naming the service and the variable to change, if `port` is taken. */
export async function assertPortFree(port: number, service: string, variable: string): Promise<void> {
  const problem = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(port, HOST, () => server.close(() => resolve(null)));
  });
  if (problem === null) return;
  if (problem.code === "EADDRINUSE") {
    throw new LocalConsortiumError(
      "LOCAL_PORT_IN_USE",
      `port ${port} (${service}) is already in use on ${HOST}: stop whatever holds it (\`ss -ltnp 'sport = :${port}'\` shows it; another \`npm start\`?) or choose another port with ${variable}`,
    );
  }
  throw new LocalConsortiumError(
    "LOCAL_PORT_IN_USE",
    `cannot listen on ${HOST}:${port} (${service}): ${problem.message}; choose another port with ${variable}`,
  );
}

/** `port` itself, or a free ephemeral port when it is 0. */
export async function resolvePort(port: number): Promise<number> {
  return port === 0 ? freePort() : port;
}
