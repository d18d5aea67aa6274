// Starts a real Anvil node (from the @foundry-rs/anvil npm package) on a free loopback port for
// end-to-end tests, with its well-known development accounts, and stops it afterwards.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Wallet } from "ethers";

const MNEMONIC = "test test test test test test test test test test test junk";

export type AnvilNode = {
  url: string;
  port: number;
  process: ChildProcess;
  provider: JsonRpcProvider;
  /** Development account i, connected to the node's provider. */
  wallet(i: number): Wallet;
  stop(): Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

export async function startAnvil(options: { args?: string[]; port?: number } = {}): Promise<AnvilNode> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    "node_modules/.bin/anvil",
    ["--port", String(port), "--host", "127.0.0.1", "--silent", ...(options.args ?? [])],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`anvil did not start on ${url}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const provider = new JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  provider.pollingInterval = 100;
  const mnemonic = Mnemonic.fromPhrase(MNEMONIC);
  return {
    url,
    port,
    process: child,
    provider,
    wallet: (i) =>
      HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).connect(provider) as unknown as Wallet,
    async stop() {
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
