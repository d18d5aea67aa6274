// The tests' guard against Shanghai midnight (test/support/day-boundary.ts): loans are disbursed
// on their start day only, so a suite that owns its chain moves it past a midnight that is near,
// and one that does not waits it out. The decision on injected times (past dates, or derived
// from the clock), then over Anvil with the chain placed just before a midnight, then a node
// API suite's loan approved and disbursed across one.
import { expect } from "chai";
import { dateToDay, dayToDate, shanghaiDay } from "../../common/lending/dates.ts";
import { anvilSuite } from "../support/anvil.ts";
import { approveAssistedLoan, chainToday, outboxConfirmed, SETTLEMENT } from "../support/institution-node.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { CLERK_APPROVER_TOKENS, callsAs } from "../support/node-calls.ts";
import {
  chainNow,
  chainPastNearMidnight,
  MIDNIGHT_MARGIN_SECONDS,
  nextShanghaiMidnight,
  PAST_MIDNIGHT_SECONDS,
  pastNearMidnight,
  waitOutNearMidnight,
} from "../support/day-boundary.ts";

/** 00:00 Asia/Shanghai on 2025-03-01 (16:00 UTC the day before), in Unix seconds. */
const MIDNIGHT = dateToDay("2025-03-01") * 86_400 - 8 * 3600;

describe("tests' guard against Shanghai midnight", function () {
  describe("the decision", function () {
    it("takes the next Shanghai midnight at 16:00 UTC, the day after at midnight itself", function () {
      expect(new Date(MIDNIGHT * 1000).toISOString()).to.equal("2025-02-28T16:00:00.000Z");
      expect(nextShanghaiMidnight(MIDNIGHT - 1)).to.equal(MIDNIGHT);
      expect(nextShanghaiMidnight(MIDNIGHT - 86_399)).to.equal(MIDNIGHT);
      expect(nextShanghaiMidnight(MIDNIGHT)).to.equal(MIDNIGHT + 86_400);
      const now = Math.floor(Date.now() / 1000);
      const next = nextShanghaiMidnight(now);
      expect(next - now).to.be.within(1, 86_400);
      expect(new Date(next * 1000).getUTCHours()).to.equal(16);
      expect(shanghaiDay(next)).to.equal(shanghaiDay(now) + 1);
    });

    it("moves a minute past a midnight at most 15 minutes away, and not otherwise", function () {
      expect(MIDNIGHT_MARGIN_SECONDS).to.equal(900);
      expect(pastNearMidnight(MIDNIGHT - 30)).to.equal(MIDNIGHT + PAST_MIDNIGHT_SECONDS);
      expect(pastNearMidnight(MIDNIGHT - 1)).to.equal(MIDNIGHT + 60);
      expect(pastNearMidnight(MIDNIGHT - 900)).to.equal(MIDNIGHT + 60);
      expect(pastNearMidnight(MIDNIGHT - 901)).to.equal(undefined);
      expect(pastNearMidnight(MIDNIGHT)).to.equal(undefined);
      expect(pastNearMidnight(MIDNIGHT + 60)).to.equal(undefined);
      expect(pastNearMidnight(MIDNIGHT - 12 * 3600)).to.equal(undefined);
    });

    it("takes another margin and landing", function () {
      expect(pastNearMidnight(MIDNIGHT - 180, 180, 5)).to.equal(MIDNIGHT + 5);
      expect(pastNearMidnight(MIDNIGHT - 181, 180, 5)).to.equal(undefined);
      const now = Math.floor(Date.now() / 1000);
      expect(pastNearMidnight(now, 86_400, 0)).to.equal(nextShanghaiMidnight(now));
    });
  });

  describe("over Anvil", function () {
    const suite = anvilSuite("day-boundary-");

    /** The chain's next block stamped `before` seconds before a Shanghai midnight to come; that midnight. */
    async function placeBefore(before: number): Promise<number> {
      const provider = suite.anvil.provider;
      const midnight = nextShanghaiMidnight((await chainNow(provider)) + before);
      await provider.send("evm_setNextBlockTimestamp", [midnight - before]);
      await provider.send("evm_mine", []);
      return midnight;
    }

    const latest = async () => (await suite.anvil.provider.getBlock("latest"))!;

    it("takes the chain's time as its latest block's when that is ahead of this process's clock", async function () {
      const midnight = await placeBefore(3600);
      expect(await chainNow(suite.anvil.provider)).to.equal(midnight - 3600);
    });

    it("moves a chain 30 s before midnight a minute past it, onto the next day", async function () {
      const midnight = await placeBefore(30);
      await chainPastNearMidnight(suite.anvil.provider);
      const block = await latest();
      expect(block.timestamp).to.equal(midnight + 60);
      expect(shanghaiDay(block.timestamp)).to.equal(shanghaiDay(midnight - 30) + 1);
    });

    it("leaves a chain an hour before midnight where it is", async function () {
      await placeBefore(3600);
      const before = await latest();
      await chainPastNearMidnight(suite.anvil.provider);
      expect((await latest()).number).to.equal(before.number);
    });

    it("waits out a midnight 2 s away, saying so: the next block is on the next day", async function () {
      const midnight = await placeBefore(2);
      const said: string[] = [];
      await waitOutNearMidnight(suite.anvil.provider, (line) => said.push(line), 180, 1);
      expect(said).to.have.length(1);
      expect(said[0]).to.match(/^Shanghai midnight is \d s away: waiting until just after it$/);
      await suite.anvil.provider.send("evm_mine", []);
      expect(shanghaiDay((await latest()).timestamp)).to.equal(shanghaiDay(midnight));
    });

    it("does not wait an hour before midnight", async function () {
      await placeBefore(3600);
      const said: string[] = [];
      await waitOutNearMidnight(suite.anvil.provider, (line) => said.push(line));
      expect(said).to.deep.equal([]);
    });
  });

  describe("a node API suite", function () {
    this.timeout(180_000);
    const suite = lendingSuite("day-boundary-suite-", { branch: { tokens: CLERK_APPROVER_TOKENS } });
    const { as, ok } = callsAs(CLERK_APPROVER_TOKENS);

    /** The fixture's assisted loan (50,000 yuan) approved on the chain's today and disbursed: its start date. */
    async function approveAndDisburse(tag: string): Promise<string> {
      const payload = jiedaibaoPayload();
      payload.shenqingBianhao = `JDB-${tag}`;
      const { startDate, approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
        payload,
        letter: `授权书 ${tag}`,
        contract: `借款合同 ${tag}`,
      });
      expect(approved.statusCode, approved.body).to.equal(200);
      const { loanId, serial } = approved.json() as { loanId: string; serial: string };
      await outboxConfirmed(suite.branch, as, serial);
      await ok(suite.branch, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
        serial: `DSB-${tag}`,
        amountFen: "5000000",
        accountHash: SETTLEMENT,
      });
      await outboxConfirmed(suite.branch, as, `DSB-${tag}`);
      return startDate;
    }

    it("moves the chain and this process's clock, placed 30 s before midnight, a minute past it", async function () {
      const provider = suite.chain.anvil.provider;
      const midnight = nextShanghaiMidnight((await chainNow(provider)) + 30);
      await suite.travelTo(midnight - 30);
      await suite.clearOfMidnight();
      expect((await provider.getBlock("latest"))!.timestamp).to.be.at.least(midnight + 60);
      expect(shanghaiDay(Math.floor(Date.now() / 1000))).to.equal(shanghaiDay(midnight));
      expect(await approveAndDisburse("BOUNDARY-MOVED")).to.equal(dayToDate(shanghaiDay(midnight)));
    });

    it("takes the chain's today from its next block, not from a latest block mined before midnight", async function () {
      const provider = suite.chain.anvil.provider;
      const midnight = nextShanghaiMidnight((await chainNow(provider)) + 30);
      await suite.travelTo(midnight - 30);
      // the chain idle across midnight: its clock and this process's go on, no block is mined
      const movedNow = Date.now;
      await provider.send("evm_increaseTime", [120]);
      Date.now = () => movedNow() + 120_000;
      try {
        expect(await chainToday(suite.chain)).to.equal(dayToDate(shanghaiDay(midnight)));
        expect(await approveAndDisburse("BOUNDARY-IDLE")).to.equal(dayToDate(shanghaiDay(midnight)));
      } finally {
        Date.now = movedNow;
      }
    });
  });
});
