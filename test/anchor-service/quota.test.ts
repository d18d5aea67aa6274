// Per-member intake quotas (anchor-service/src/intake/quota.ts): records per second and per UTC
// day, governed by ConsortiumRegistry parameters (anchor.intake.recordsPerSecond / …PerDay, the
// service's defaults where 0). Over quota: 429 ANCHOR_ERR_QUOTA_EXCEEDED with Retry-After,
// nothing stored, other members unaffected. And fairness: a member flooding the intake gets
// 429s, its stored records stay within its quota, and another member's p99 stays within a
// stated bound of its p99 without the flood.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import type { Wallet } from "ethers";
import type { LightMyRequestResponse } from "fastify";
import type { SignOptions } from "../../common/auth/request-signing.ts";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { QUOTA_PARAMETER_KEYS } from "../../anchor-service/src/chain/evidence-log-client.ts";
import { ANCHOR_ERRORS } from "../../anchor-service/src/errors.ts";
import { IntakeQuotas, quotaLimits } from "../../anchor-service/src/intake/quota.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { anchorServiceSuite, systemNow } from "../support/anchor-suite.ts";
import { recordFor } from "../support/consortium-chain.ts";
import type { FloodCounts, FloodInit } from "./flood-client.ts";

type Reply = LightMyRequestResponse;

describe("anchor intake quotas", function () {
  describe("IntakeQuotas (clocks moved by hand)", function () {
    let ms = 0;
    let seconds = 1_000 * 86_400 + 3_600; // an hour into a UTC day
    const quotas = () =>
      new IntakeQuotas(
        () => ms,
        () => seconds,
      );
    const limits = { recordsPerSecond: 100, recordsPerDay: 1_000 };

    it("a bucket of one second's records, refilled continuously; Retry-After for what is missing", function () {
      const q = quotas();
      expect(q.charge(1, 100, limits)).to.equal(undefined);
      const refused = q.charge(1, 50, limits)!;
      expect(refused.code).to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      expect(refused.statusCode).to.equal(429);
      expect(refused.details).to.deep.include({
        quota: "recordsPerSecond",
        limit: 100,
        retryAfterSeconds: 1,
      });
      expect(q.admits(1, limits)?.code, "no record left: refused before the body").to.equal(
        "ANCHOR_ERR_QUOTA_EXCEEDED",
      );
      expect(q.admits(2, limits), "another member has its own bucket").to.equal(undefined);
      ms += 100;
      // 10 records in the bucket, but the last request refused needed 50: turned away before its body
      expect(q.admits(1, limits)?.details).to.deep.include({ retryAfterSeconds: 1 });
      ms += 399;
      expect(q.admits(1, limits)?.code).to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      expect(q.charge(1, 50, limits)?.code).to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      ms += 1;
      expect(q.admits(1, limits)).to.equal(undefined);
      expect(q.charge(1, 50, limits)).to.equal(undefined);
      ms += 10;
      expect(q.admits(1, limits), "a request taken: one record is enough again").to.equal(undefined);
      ms += 10_000; // refills to one second's worth, no more
      expect(q.charge(1, 100, limits)).to.equal(undefined);
      expect(q.charge(1, 1, limits)?.code).to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
    });

    it("a request larger than a second's worth is taken from a full bucket and paid back before the next", function () {
      const q = quotas();
      ms += 10_000;
      expect(q.charge(3, 250, limits), "a full bucket takes it").to.equal(undefined);
      const refused = q.admits(3, limits)!;
      expect(refused.details).to.deep.include({ retryAfterSeconds: 2 }); // 150 in debt + 1 record at 100/s: 1.51 s
      ms += 1_500;
      expect(q.admits(3, limits)?.code, "still no whole record").to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      ms += 500;
      expect(q.charge(3, 250, limits)?.code, "not before the bucket is full again").to.equal(
        "ANCHOR_ERR_QUOTA_EXCEEDED",
      );
      ms += 500;
      expect(q.charge(3, 250, limits)).to.equal(undefined);
    });

    it("a reservation lets no more concurrent requests be parsed than the bucket can take; released when the body is refused", function () {
      const q = quotas();
      ms += 10_000;
      expect(q.charge(5, 100, limits)).to.equal(undefined);
      ms += 600;
      expect(q.charge(5, 80, limits)?.code, "60 records in the bucket").to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      ms += 200; // 80 in the bucket
      const first = q.reserve(5, limits);
      expect(first, "sets aside the 80 the refused request needed").to.equal(80);
      expect(q.reserve(5, limits), "a concurrent request is refused before its parse").to.not.be.a("number");
      expect(q.charge(5, 80, limits, first as number)).to.equal(undefined);
      ms += 500; // 50 in the bucket
      const second = q.reserve(5, limits);
      expect(second, "after a request taken, one record").to.equal(1);
      q.release(5, second as number, limits);
      expect(q.charge(5, 50, limits)).to.equal(undefined);
    });

    it("records per UTC day, counted per member, reset at midnight; Retry-After until then", function () {
      const q = quotas();
      for (let i = 0; i < 10; i++) {
        ms += 1_000;
        expect(q.charge(4, 100, limits)).to.equal(undefined);
      }
      ms += 1_000;
      const refused = q.charge(4, 1, limits)!;
      expect(refused.details).to.deep.include({
        quota: "recordsPerDay",
        limit: 1_000,
        used: 1_000,
        retryAfterSeconds: 86_400 - 3_600,
      });
      expect(q.admits(4, limits)?.details).to.deep.include({ quota: "recordsPerDay" });
      seconds += 86_400 - 3_600; // midnight UTC
      expect(q.charge(4, 1, limits)).to.equal(undefined);
    });

    it("governed limits where set (non-zero), the defaults elsewhere", function () {
      const defaults = { recordsPerSecond: 20_000, recordsPerDay: 20_000_000 };
      expect(quotaLimits(undefined, defaults)).to.deep.equal(defaults);
      expect(quotaLimits({ recordsPerSecond: 0, recordsPerDay: 0 }, defaults)).to.deep.equal(defaults);
      expect(quotaLimits({ recordsPerSecond: 5, recordsPerDay: 0 }, defaults)).to.deep.equal({
        recordsPerSecond: 5,
        recordsPerDay: 20_000_000,
      });
    });
  });

  describe("over HTTP, governed on chain", function () {
    this.timeout(180_000);
    // the quota parameters are read once a cache period (re-read by hand after governance changes them)
    const suite = anchorServiceSuite({ config: { commitLeaves: 1_000_000, membershipCacheMs: 600_000 } });

    async function setQuota(recordsPerSecond: number, recordsPerDay: number): Promise<void> {
      const registry = suite.chain.deployment.registry;
      await govern(suite.chain.deployment.governor, suite.chain.approvers, [
        {
          target: suite.chain.deployment.addresses.consortiumRegistry,
          data: registry.interface.encodeFunctionData("setParameter", [
            QUOTA_PARAMETER_KEYS.recordsPerSecond,
            recordsPerSecond,
          ]),
        },
        {
          target: suite.chain.deployment.addresses.consortiumRegistry,
          data: registry.interface.encodeFunctionData("setParameter", [
            QUOTA_PARAMETER_KEYS.recordsPerDay,
            recordsPerDay,
          ]),
        },
      ]);
      expect(await suite.service.chain.refreshIntakeQuota()).to.deep.equal({
        recordsPerSecond,
        recordsPerDay,
      });
    }

    const domain = () =>
      requestDomain(suite.chain.chainId, suite.chain.deployment.addresses.consortiumRegistry);
    const records = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => recordFor(`${prefix} ${i} ${randomBytes(8).toString("hex")}`));
    /** A signed submission ready to send (signed before any timing). */
    async function signed(
      signer: Wallet,
      n: number,
      prefix: string,
      options: SignOptions = {},
    ): Promise<{ body: string; headers: Record<string, string> }> {
      const body = JSON.stringify({ records: records(n, prefix) });
      return {
        body,
        headers: {
          "content-type": "application/json",
          ...(await signRequest(signer, domain(), { method: "POST", path: "/v1/leaves", body }, options)),
          ...(await suite.chain.submission(signer, body)),
        },
      };
    }
    const send = (r: { body: string; headers: Record<string, string> }): Promise<Reply> =>
      suite.service.app.inject({ method: "POST", url: "/v1/leaves", payload: r.body, headers: r.headers });

    function expectQuota(
      reply: Reply,
      quota: "recordsPerSecond" | "recordsPerDay",
    ): { retryAfterSeconds: number } {
      expect(reply.statusCode, reply.body.slice(0, 300)).to.equal(429);
      expect(ANCHOR_ERRORS.ANCHOR_ERR_QUOTA_EXCEEDED).to.equal(429);
      const error = (
        reply.json() as { error: { code: string; details: { quota: string; retryAfterSeconds: number } } }
      ).error;
      expect(error.code).to.equal("ANCHOR_ERR_QUOTA_EXCEEDED");
      expect(error.details.quota).to.equal(quota);
      expect(reply.headers["retry-after"]).to.equal(String(error.details.retryAfterSeconds));
      expect(error.details.retryAfterSeconds).to.be.greaterThan(0);
      return error.details;
    }

    it("records per second: 429 with Retry-After, nothing stored, the same signed request accepted once the bucket refills; other members unaffected", async function () {
      await setQuota(1_000, 0);
      const full = await signed(suite.chain.wallets.branchA, 1_000, "per second: full");
      const over = await signed(suite.chain.wallets.branchA, 600, "per second: over");
      const other = await signed(suite.chain.wallets.branchB, 1_000, "per second: other member");
      expect((await send(full)).statusCode).to.equal(200);
      const size = suite.service.merkle.size;
      const refused = expectQuota(await send(over), "recordsPerSecond");
      expect(refused.retryAfterSeconds).to.equal(1);
      expect(suite.service.merkle.size, "nothing stored").to.equal(size);
      expect((await send(other)).statusCode, "branch B has its own quota").to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await send(over)).statusCode, "the nonce was not spent by the refusal").to.equal(200);
    });

    it("records per day: counted per member per UTC day, 429 until midnight with Retry-After, then accepted", async function () {
      await setQuota(1_000_000, 50);
      const day = Math.floor(systemNow() / 86_400);
      suite.frozenNow = day * 86_400 + 7_200; // 02:00 UTC today
      try {
        const at = { now: suite.frozenNow, ttlSeconds: 60 };
        expect((await send(await signed(suite.chain.wallets.court, 40, "per day", at))).statusCode).to.equal(
          200,
        );
        const size = suite.service.merkle.size;
        const refused = expectQuota(
          await send(await signed(suite.chain.wallets.court, 20, "per day: over", at)),
          "recordsPerDay",
        );
        expect(refused.retryAfterSeconds).to.equal(86_400 - 7_200);
        expect(suite.service.merkle.size).to.equal(size);
        expect(
          (await send(await signed(suite.chain.wallets.court, 10, "per day: up to the quota", at)))
            .statusCode,
        ).to.equal(200);
        expectQuota(
          await send(await signed(suite.chain.wallets.court, 1, "per day: one more", at)),
          "recordsPerDay",
        );
        expect(
          (await send(await signed(suite.chain.wallets.platform, 50, "per day: another member", at)))
            .statusCode,
        ).to.equal(200);
        suite.frozenNow = (day + 1) * 86_400; // midnight UTC
        expect(
          (
            await send(
              await signed(suite.chain.wallets.court, 1, "per day: the next day", {
                now: suite.frozenNow,
                ttlSeconds: 60,
              }),
            )
          ).statusCode,
        ).to.equal(200);
      } finally {
        suite.frozenNow = undefined;
      }
    });

    // the victim's own rate stays well within any quota here: 5 records a request, one after another
    const VICTIM_REQUESTS = 200;
    const VICTIM_RECORDS = 5;
    const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;

    /**
     * Branch B's p99 alone, then while `requests` are flooded from another process over 8
     * connections (each re-sent until accepted, after `pauseMs` when refused; Retry-After ignored).
     */
    async function underFlood(
      flood: Omit<FloodInit, "url" | "clients" | "maxRequests">,
    ): Promise<{ baseline: number; flooded: number; counts: FloodCounts; seconds: number; records: number }> {
      if (suite.service.app.server.address() === null)
        await suite.service.app.listen({ host: "127.0.0.1", port: 0 });
      const url = `http://127.0.0.1:${(suite.service.app.server.address() as AddressInfo).port}`;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const post = (r: { body: string; headers: Record<string, string> }): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = http.request(
            `${url}/v1/leaves`,
            { method: "POST", agent, headers: r.headers },
            (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            },
          );
          req.on("error", reject);
          req.end(r.body);
        });
      /** The victim's requests one after another (signed first); each latency in ms. */
      const victimRun = async (prefix: string): Promise<number[]> => {
        const requests = await Promise.all(
          Array.from({ length: VICTIM_REQUESTS }, (_, i) =>
            signed(suite.chain.wallets.branchB, VICTIM_RECORDS, `${prefix} ${i}`),
          ),
        );
        const latencies: number[] = [];
        for (const r of requests) {
          const t0 = performance.now();
          expect(await post(r)).to.equal(200);
          latencies.push(performance.now() - t0);
        }
        return latencies;
      };
      try {
        await victimRun("warm-up");
        const baseline = p99(await victimRun("baseline"));
        const sizeBefore = suite.service.merkle.size;
        // its own process: its clients do not share the service's event loop (a member calls from elsewhere)
        const flooder = spawn(
          process.execPath,
          [fileURLToPath(new URL("./flood-client.ts", import.meta.url))],
          { stdio: ["ignore", "inherit", "inherit", "ipc"] },
        );
        const started = new Promise((resolve) => flooder.once("message", resolve));
        const finished = new Promise<FloodCounts>((resolve, reject) => {
          flooder.on("message", (m: unknown) => m !== "started" && resolve(m as FloodCounts));
          flooder.on("error", reject);
        });
        flooder.send({ url, clients: 8, maxRequests: 200_000, ...flood } satisfies FloodInit);
        await started;
        const floodStart = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 300)); // the flood under way (a quota's first second spent)
        const flooded = p99(await victimRun("under the flood"));
        flooder.send("stop");
        const counts = await finished;
        const seconds = (performance.now() - floodStart) / 1000;
        flooder.kill();
        return {
          baseline,
          flooded,
          counts,
          seconds,
          records: suite.service.merkle.size - sizeBefore - VICTIM_REQUESTS * VICTIM_RECORDS,
        };
      } finally {
        agent.destroy();
      }
    }

    // generous for a shared two-core machine, and far below what the member flood below does
    // without a quota (measured there: the victim's p99 8 ms alone, 805 ms under it; 12–78 ms with it),
    // or the non-member flood while its bodies were drained (8 → 168 ms) or parsed (36 → 255 ms)
    const bound = (baseline: number) => 4 * baseline + 100;

    // Latency on a shared two-core machine has outliers of its own: a round that misses the bound
    // is run once more (fresh flood, fresh baseline), and only two misses in a row fail.
    const RETRIES = 1;

    it("fairness: a member flooding 1,000-record requests from its own process, retrying every 50 ms, gets 429s, stores no more than its quota allows, and another member's p99 stays within 4× its baseline + 100 ms", async function () {
      this.retries(RETRIES);
      const PER_SECOND = 2_000;
      await setQuota(PER_SECOND, 0);
      const pool = await Promise.all(
        Array.from({ length: 60 }, (_, i) => signed(suite.chain.wallets.branchA, 1_000, `flood ${i}`)),
      );
      // each refusal retried after 50 ms on each of the 8 connections, whatever Retry-After says;
      // re-sent back to back it is a request-rate flood, which a quota on records does not answer
      // (THREATS.md: a connection-rate limit in front of the service)
      const { baseline, flooded, counts, seconds, records } = await underFlood({
        pauseMs: 50,
        requests: pool,
      });
      console.log(
        `      victim p99 ${baseline.toFixed(1)} ms alone, ${flooded.toFixed(1)} ms under the flood (bound ${bound(baseline).toFixed(1)} ms); ` +
          `flooder: ${counts.sent} requests in ${seconds.toFixed(2)} s, ${counts.accepted} accepted (${records} records), ${counts.quota} refused 429`,
      );
      expect(
        counts.other,
        `flood requests refused for anything but the quota: ${counts.otherCodes.join("; ")}`,
      ).to.equal(0);
      expect(counts.quota, "the flooder receives 429s").to.be.greaterThan(0);
      // the bucket's second of records, then the rate (a request is taken whole from a full bucket)
      expect(records).to.equal(counts.accepted * 1_000);
      expect(records).to.be.at.most(PER_SECOND + Math.ceil(PER_SECOND * seconds));
      expect(flooded, `victim p99 under the flood (alone: ${baseline.toFixed(1)} ms)`).to.be.at.most(
        bound(baseline),
      );
    });

    it("a non-member flooding 1.8 MB bodies under bad signatures, back to back, is refused from the headers (403) and another member's p99 stays within 4× its baseline + 100 ms", async function () {
      this.retries(RETRIES);
      // 7,000 records (≈1.8 MB) signed by a non-member over another body: refused before the body is read or parsed
      const body = JSON.stringify({ records: records(7_000, "non-member flood") });
      expect(Buffer.byteLength(body)).to.be.within(1_700_000, 2_000_000);
      const headers = {
        "content-type": "application/json",
        ...(await signRequest(suite.chain.wallets.outsider, domain(), {
          method: "POST",
          path: "/v1/leaves",
          body: "{}",
        })),
      };
      const size = suite.service.merkle.size;
      const pool = Array.from({ length: 8 }, () => ({ body, headers }));
      const { baseline, flooded, counts, seconds } = await underFlood({
        pauseMs: 0,
        refusal: { status: 403, code: "ANCHOR_ERR_NOT_MEMBER" },
        requests: pool,
      });
      console.log(
        `      victim p99 ${baseline.toFixed(1)} ms alone, ${flooded.toFixed(1)} ms under the flood (bound ${bound(baseline).toFixed(1)} ms); non-member: ${counts.sent} requests of 1.8 MB in ${seconds.toFixed(2)} s, ${counts.quota} refused 403`,
      );
      expect(counts.other, counts.otherCodes.join("; ")).to.equal(0);
      expect(counts.accepted).to.equal(0);
      expect(counts.quota, "the non-member's requests were refused").to.be.greaterThan(0);
      expect(suite.service.merkle.size - size).to.equal(3 * VICTIM_REQUESTS * VICTIM_RECORDS); // the victim's records only
      expect(flooded, `victim p99 under the flood (alone: ${baseline.toFixed(1)} ms)`).to.be.at.most(
        bound(baseline),
      );
    });
  });
});
