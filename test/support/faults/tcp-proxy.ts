// A TCP proxy on a loopback port in front of a service (here: Anvil's JSON-RPC), which a test can
// cut and restore to make the endpoint unreachable:
//   "blackhole"  connections are accepted and never answered (a network partition: requests hang
//                until the client's own timeout), open connections are dropped;
//   "reset"      every connection is reset at once (the endpoint is down: fast failures).
import { type Server, type Socket, createConnection, createServer } from "node:net";

export type CutMode = "blackhole" | "reset";

export class TcpProxy {
  readonly server: Server;
  readonly port: number;
  readonly target: { host: string; port: number };
  #cut: CutMode | undefined;
  readonly #open = new Set<Socket>();

  private constructor(server: Server, port: number, target: { host: string; port: number }) {
    this.server = server;
    this.port = port;
    this.target = target;
  }

  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no port");
    const proxy = new TcpProxy(server, address.port, { host: target.host ?? "127.0.0.1", port: target.port });
    server.on("connection", (socket) => proxy.#accept(socket));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.#cut !== undefined;
  }

  /** Make the endpoint unreachable; every open connection is dropped. */
  cut(mode: CutMode): void {
    this.#cut = mode;
    this.#dropAll();
  }

  /** Reachable again (connections held by a blackhole are dropped, so clients retry). */
  restore(): void {
    this.#cut = undefined;
    this.#dropAll();
  }

  async close(): Promise<void> {
    this.#dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #dropAll(): void {
    for (const socket of this.#open) socket.destroy();
    this.#open.clear();
  }

  #accept(client: Socket): void {
    client.on("error", () => undefined);
    if (this.#cut === "reset") {
      client.resetAndDestroy();
      return;
    }
    this.#open.add(client);
    client.once("close", () => this.#open.delete(client));
    if (this.#cut === "blackhole") return; // held, never answered
    const upstream = createConnection(this.target.port, this.target.host);
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    this.#open.add(upstream);
    upstream.once("close", () => this.#open.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
