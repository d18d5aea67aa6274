// The benchmark's nonce watch against a chain endpoint that stops answering: a poll left without a
// reply is dropped after its timeout, and a wait for mined transactions ends at its deadline with
// the counts it reached, instead of waiting for ever.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NonceWatch } from "../../bench/parts/nonce-watch.ts";

const ADDRESS = "0x90f79bf6eb2c4f870365e785982e1f101e93b906";

describe("bench: NonceWatch when the chain stops answering", function () {
  this.timeout(30_000);
  let server: Server;
  let answered = 0;
  /** Replies this many polls, then holds every later request open without a reply. */
  let answering = 0;
  /** The transaction count the endpoint answers. */
  let count = 7;

  before(async function () {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (answered >= answering) return; // a stalled endpoint: no reply, the socket left open
        answered++;
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify([{ jsonrpc: "2.0", id: 0, result: `0x${count.toString(16)}` }]));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });

  after(function () {
    server.closeAllConnections();
    server.close();
  });

  it("ends a wait at its deadline, naming what was reached, when the polls get no reply", async function () {
    answering = 1; // the start's read
    const watch = new NonceWatch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await watch.start([ADDRESS]);
    expect(watch.count(ADDRESS)).to.equal(7);
    try {
      const error = await watch
        .until(new Map([[ADDRESS, 8]]), 1_500, async () => `${ADDRESS} at ${watch.count(ADDRESS)}/8`)
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(error?.message).to.equal(`not all transactions mined after 1.5 s: ${ADDRESS} at 7/8`);
    } finally {
      watch.stop();
    }
  });

  it("recovers once the endpoint answers again: a stalled poll is dropped after its timeout", async function () {
    answered = 0;
    answering = 1;
    const watch = new NonceWatch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await watch.start([ADDRESS]);
    try {
      // the next poll stalls; a moment later the endpoint answers again, with one more mined
      setTimeout(() => {
        count = 8;
        answering = 1_000_000;
      }, 200);
      const mined = await watch.until(new Map([[ADDRESS, 8]]), 20_000, async () => "");
      expect(mined).to.be.a("number");
      expect(watch.count(ADDRESS)).to.equal(8);
    } finally {
      watch.stop();
    }
  });
});
