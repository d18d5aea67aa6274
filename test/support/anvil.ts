// Starts a real Anvil node (from the @foundry-rs/anvil npm package) on a free loopback port for
// end-to-end tests, with its well-known development accounts, and stops it afterwards.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import {
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  type Provider,
  type TransactionReceipt,
  type Wallet,
} from "ethers";
import { until } from "./faults/seeded.ts";

const MNEMONIC = "test test test test test test test test test test test junk";

/**
 * The transaction's receipt once it is mined, by asking for it until it comes. Not ethers'
 * waitForTransaction: it looks for the receipt, then starts a block subscription whose first poll
 * only notes the head; a transaction mined between the two is never seen when no further block
 * comes, which on an idle automine chain is always.
 */
export async function minedReceipt(
  provider: Provider,
  hash: string,
  timeoutMs = 60_000,
): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt | null = null;
  await until(
    async () => (receipt = await provider.getTransactionReceipt(hash)) !== null,
    `transaction ${hash} mined`,
    timeoutMs,
  );
  return receipt!;
}

/** A running Anvil: its URL and port, its process, a provider, its development accounts, stop(). */
export type AnvilNode = Awaited<ReturnType<typeof startAnvil>>;

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

export async function startAnvil(options: { args?: string[]; port?: number } = {}) {
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
    /** Development account i, connected to the node's provider. */
    wallet: (i: number) =>
      HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).connect(provider) as unknown as Wallet,
    async stop(): Promise<void> {
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * One describe block's Anvil and temporary directory (named from `dirPrefix`): started and made
 * before its tests, stopped and removed after them. Read them inside tests and hooks.
 */
export function anvilSuite(dirPrefix: string): { readonly anvil: AnvilNode; readonly dir: string } {
  const suite = {} as { anvil: AnvilNode; dir: string };
  before(async function () {
    suite.anvil = await startAnvil();
    suite.dir = await mkdtemp(join(tmpdir(), dirPrefix));
  });
  after(async function () {
    await suite.anvil?.stop();
    if (suite.dir !== undefined) await rm(suite.dir, { recursive: true, force: true });
  });
  return suite;
}
