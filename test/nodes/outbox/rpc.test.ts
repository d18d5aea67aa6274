// RPC trouble: the endpoint is down (a dead port, then a live one), goes down while the sender
// works, or loses the answer to eth_sendRawTransaction (the transaction reached the chain, or
// did not). The entry stays queued or sent meanwhile, retries with backoff, and is confirmed by
// exactly one transaction once the endpoint answers again.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { freePort } from "../../support/anvil.ts";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import { disburse, outboxSuite, registerLoan, serial, until, untilState } from "./fixture.ts";

type Mode = "up" | "down" | "lose-send-answer" | "drop-send";

/** A JSON-RPC relay to Anvil that can be switched off or made to lose eth_sendRawTransaction. */
async function relay(
  target: string,
): Promise<{ url: string; mode: Mode; requests: string[]; close(): Promise<void> }> {
  const state = { mode: "up" as Mode, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const method = (JSON.parse(body) as { method: string }).method;
      state.requests.push(method);
      if (state.mode === "down") return void req.socket.destroy();
      if (method === "eth_sendRawTransaction" && state.mode === "drop-send") {
        state.mode = "down";
        return void req.socket.destroy();
      }
      const answer = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const text = await answer.text();
      if (method === "eth_sendRawTransaction" && state.mode === "lose-send-answer") {
        // the node took it; the answer is lost, and the endpoint stays away for a while
        state.mode = "down";
        return void req.socket.destroy();
      }
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(text);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe("outbox sender: RPC outages", function () {
  this.timeout(120_000);
  const { lc, store, senderOn } = outboxSuite();
  let loanId: string;

  beforeEach(async function () {
    // a registered loan to disburse
    const entry = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    loanId = loanIdOfEntry(entry);
    const sender = senderOn();
    await sender.drain();
    await sender.stop();
  });

  /** A disbursement of 6,000 yuan of the registered loan, queued. */
  const enqueueDisbursement = () => store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
  /** Branch A's sender through `rpcUrl`, giving up on each call after a second. */
  const senderVia = (rpcUrl: string) => senderOn({ rpcUrl, rpcTimeoutMs: 1_000 });
  /** Until the entry has been tried at least `n` times. */
  const attempted = (entry: string, n: number, what: string) =>
    until(async () => ((await store.outbox.status(entry))?.attempts ?? 0) >= n, 15_000, what);
  /** Until the entry is confirmed. */
  const confirmedSoon = (entry: string) => untilState(store.outbox, entry, "confirmed", 15_000);
  const address = () => lc.chain.wallets.branchA.address;
  const nonceOf = () => lc.chain.anvil.provider.getTransactionCount(address(), "latest");

  it("retries against a dead endpoint, keeping the entry queued, then confirms once through a live one", async function () {
    const nonce0 = await nonceOf();
    const dis = await enqueueDisbursement();
    const dead = senderVia(`http://127.0.0.1:${await freePort()}`);
    dead.start();
    await attempted(dis.serial, 3, "three attempts");
    await dead.stop();
    const waiting = (await store.outbox.status(dis.serial))!;
    expect(waiting.state).to.equal("queued");
    expect(waiting.lastError).to.be.a("string").and.not.equal("");
    expect(waiting.txHash).to.equal(undefined);

    const live = senderOn();
    await live.drain();
    await live.stop();
    const done = (await store.outbox.status(dis.serial))!;
    expect(done.state).to.equal("confirmed");
    expect(done.lastError).to.equal(undefined);
    expect(await nonceOf()).to.equal(nonce0 + 1);
  });

  it("rides out an outage in the same sender", async function () {
    const r = await relay(lc.chain.anvil.url);
    try {
      const nonce0 = await nonceOf();
      r.mode = "down";
      const dis = await enqueueDisbursement();
      const sender = senderVia(r.url);
      sender.start();
      await attempted(dis.serial, 2, "two attempts");
      expect((await store.outbox.status(dis.serial))!.state).to.equal("queued");
      r.mode = "up";
      await confirmedSoon(dis.serial);
      await sender.stop();
      expect(await nonceOf()).to.equal(nonce0 + 1);
    } finally {
      await r.close();
    }
  });

  for (const [mode, what] of [
    ["lose-send-answer", "the transaction reached the chain but the answer was lost"],
    ["drop-send", "the transaction never reached the chain"],
  ] as const) {
    it(`stays "sent" through an outage at broadcast (${what}), then confirms with one transaction`, async function () {
      const r = await relay(lc.chain.anvil.url);
      try {
        const nonce0 = await nonceOf();
        r.mode = mode;
        const dis = await enqueueDisbursement();
        const sender = senderVia(r.url);
        sender.start();
        await attempted(dis.serial, 3, "retries after the broadcast");
        const sent = (await store.outbox.status(dis.serial))!;
        expect(sent.state).to.equal("sent");
        expect(sent.nonce).to.equal(nonce0);
        expect(await nonceOf()).to.equal(mode === "lose-send-answer" ? nonce0 + 1 : nonce0);
        r.mode = "up";
        await confirmedSoon(dis.serial);
        await sender.stop();
        const done = (await store.outbox.status(dis.serial))!;
        expect(done.txHash).to.equal(sent.txHash);
        expect(await nonceOf()).to.equal(nonce0 + 1);
        expect(r.requests.filter((m) => m === "eth_sendRawTransaction")).to.have.length(
          mode === "lose-send-answer" ? 1 : 2,
        );
      } finally {
        await r.close();
      }
    });
  }
});
