// A node's outbox sender as its own process, for the SIGKILL test (test/nodes/outbox/crash-kill.test.ts):
// opens the LevelDB directory, drains in the background, and is killed at random moments. It starts
// only when run as a program: Hardhat's mocha runner also imports every .ts file under test/.
import { Level } from "level";
import { Outbox } from "../../nodes/src/outbox/outbox.ts";
import { OutboxSender } from "../../nodes/src/outbox/sender.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

if (import.meta.main) {
  const root = new Level(env("OUTBOX_DIR"));
  await root.open();
  const outbox = new Outbox(root.sublevel("outbox", { valueEncoding: "json" }));
  const sender = new OutboxSender({
    outbox,
    rpcUrl: env("OUTBOX_RPC"),
    chainId: BigInt(env("OUTBOX_CHAIN_ID")),
    privateKey: env("OUTBOX_KEY"),
    ledger: env("OUTBOX_LEDGER"),
    fromBlock: Number(env("OUTBOX_FROM_BLOCK")),
    pollingMs: 50,
    retry: { initialMs: 50, maxMs: 400 },
    unknownTxMs: 500,
    // flows packed into batched transactions (1: one flow per transaction)
    maxBatch: Number(process.env.OUTBOX_MAX_BATCH ?? 1),
    ...(process.env.OUTBOX_RPC_TIMEOUT_MS === undefined
      ? {}
      : { rpcTimeoutMs: Number(process.env.OUTBOX_RPC_TIMEOUT_MS) }),
  });
  // as a node does when its chain check finds blocks lost: confirmed flows the chain no longer holds go back
  // (until it succeeds: nothing owes a failed one, and lost flows would stay counted confirmed)
  if (process.env.OUTBOX_RECHECK === "1")
    for (;;) {
      try {
        await sender.recheck();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  // tells the test a transaction is recorded as sent (now or left so by the last kill), so it
  // can aim a kill at one in flight
  outbox.onChange((entry) => {
    if (entry.state === "sent") process.stdout.write("sent\n");
  });
  if ((await outbox.list({ state: "sent", limit: 1 })).length > 0) process.stdout.write("sent\n");
  sender.start();
  process.stdout.write("ready\n");
}
