// The anchor service's /metrics and /readyz token is rate-limited per source address like the
// node's API tokens (FailedTokenLimiter, common/auth/): after 10 refused tokens within 60 s an
// address gets 429 ANCHOR_ERR_OPS_RATE_LIMITED with Retry-After, the right token included, while
// other addresses are served; each refusal is logged without the token.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import pino from "pino";
import { createAnchorService } from "../../anchor-service/src/service.ts";
import { startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

describe("anchor service: refused metrics tokens are rate-limited and logged", function () {
  this.timeout(60_000);
  let chain: ConsortiumChain;
  before(async function () {
    chain = await startConsortiumChain();
  });
  after(async () => chain?.stop());

  it("10 wrong tokens from one address: then 429 ANCHOR_ERR_OPS_RATE_LIMITED (Retry-After) even with the right one; another address is served; no token in the log", async function () {
    const token = randomBytes(24).toString("hex");
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const service = await createAnchorService({
      config: chain.config({ dataDir: "unused", metricsToken: token }),
      inMemory: true,
      logger,
    });
    try {
      const get = (url: string, remoteAddress: string, sent?: string) =>
        service.app.inject({
          method: "GET",
          url,
          remoteAddress,
          headers: sent === undefined ? {} : { authorization: `Bearer ${sent}` },
        });
      const guess = (i: number) => `guess-${i}-${token.slice(0, 8)}`;
      // no header is no guess: not counted
      for (let i = 0; i < 12; i++) expect((await get("/metrics", "192.0.2.50")).statusCode).to.equal(401);
      for (let i = 0; i < 10; i++) {
        const reply = await get(i % 2 === 0 ? "/metrics" : "/readyz", "192.0.2.50", guess(i));
        expect(reply.statusCode, reply.body).to.equal(401);
        expect(reply.json()).to.have.nested.property("error.code", "ANCHOR_ERR_OPS_UNAUTHORIZED");
      }
      for (const sent of [token, guess(10)]) {
        const limited = await get("/metrics", "192.0.2.50", sent);
        expect(limited.statusCode, limited.body).to.equal(429);
        expect(limited.json()).to.have.nested.property("error.code", "ANCHOR_ERR_OPS_RATE_LIMITED");
        expect(Number(limited.headers["retry-after"])).to.be.within(1, 60);
      }
      expect((await get("/metrics", "192.0.2.51", token)).statusCode).to.equal(200);
      const refusals = lines.filter((l) => l.includes("metrics token refused"));
      expect(refusals).to.have.length(10);
      expect(JSON.parse(refusals.at(-1)!)).to.include({ sourceIp: "192.0.2.50", failures: 10, limit: 10 });
      for (let i = 0; i <= 10; i++)
        expect(
          lines.some((l) => l.includes(guess(i))),
          `guess ${i} logged`,
        ).to.equal(false);
      expect(lines.some((l) => l.includes(token))).to.equal(false);
    } finally {
      await service.close();
    }
  });
});
