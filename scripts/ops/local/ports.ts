// Ports for the local consortium: a free port (below the ephemeral range) when asked for 0, and a clear error when a
// fixed port is already taken (by an earlier `npm start` or another program).
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { LocalConsortiumError } from "./errors.ts";

export const HOST = "127.0.0.1";

/**
 * A port free on the loopback interface, chosen below the kernel's ephemeral range: a port is
 * planned well before its service binds it, and in between every outgoing connection (to the
 * chain, between services) takes an ephemeral port, which can be the planned one. Ports handed out
 * in this process are not handed out again. Falls back to an OS-chosen port.
 */
export async function freePort(): Promise<number> {
  const [low, high] = plannedRange();
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return osChosenPort();
}

const handedOut = new Set<number>();

/** [20000, the ephemeral range's start): Linux's is 32768–60999 unless configured otherwise. */
function plannedRange(): [number, number] {
  try {
    const [start] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const ephemeralStart = Number(start);
    if (Number.isInteger(ephemeralStart) && ephemeralStart > 21_000) return [20_000, ephemeralStart];
  } catch {
    // not Linux: the default range's start
  }
  return [20_000, 32_768];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function osChosenPort(): Promise<number> {
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
