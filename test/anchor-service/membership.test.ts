// Membership answers while the chain endpoint is cut (anchor-service/src/chain/evidence-log-client.ts):
// after the cache period a request waits at most membershipWaitMs for the chain, then the last
// answer stands while the question stays open; one question per account at a time; an account
// the chain never answered for is refused rather than guessed; a suspension counts as soon as
// the chain answers again. The intake quota parameters are read the same way, but never waited
// for once known.
import { expect } from "chai";
import { EvidenceLogClient } from "../../anchor-service/src/chain/evidence-log-client.ts";
import { TcpProxy } from "../support/faults/tcp-proxy.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

const MEMBERSHIP_WAIT_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What `request` answers, or "waited" when a membershipWaitMs timer started just before it runs
 * first: a request that waits for the chain or for its own membershipWaitMs timer (set after this
 * one) loses the race however slow the machine, one answered from memory wins it.
 */
async function beforeWaitEnds<T>(request: () => Promise<T>): Promise<T | "waited"> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<"waited">((r) => (timer = setTimeout(() => r("waited"), MEMBERSHIP_WAIT_MS)));
  try {
    return await Promise.race([request(), waited]);
  } finally {
    clearTimeout(timer);
  }
}

describe("anchor membership during an RPC partition", function () {
  this.timeout(30_000);
  let chain: ConsortiumChain;
  let proxy: TcpProxy;
  let client: EvidenceLogClient;
  let questions = 0;

  before(async function () {
    chain = await startConsortiumChain();
    proxy = await TcpProxy.start({ port: Number(new URL(chain.anvil.url).port) });
    const config = chain.config({ dataDir: "/nonexistent" });
    client = new EvidenceLogClient({
      rpcUrl: proxy.url,
      operatorKey: config.operatorKey,
      evidenceLog: config.evidenceLog,
      consortiumRegistry: config.consortiumRegistry,
      evidenceRegistry: config.evidenceRegistry,
      logId: config.logId,
      confirmations: 0,
      membershipCacheMs: 100,
      membershipWaitMs: MEMBERSHIP_WAIT_MS,
      // far longer than this suite's timeout: a request that waited for it would fail the test
      rpcTimeoutMs: 120_000,
      logPageBlocks: 1000,
    });
    const registry = client.registry as unknown as {
      getFunction(name: string): (...args: unknown[]) => Promise<unknown>;
    };
    const getFunction = registry.getFunction.bind(registry);
    registry.getFunction = (name: string) => {
      const f = getFunction(name);
      return (...args: unknown[]) => {
        if (name === "accountOf") questions++;
        return f(...args);
      };
    };
  });
  after(async function () {
    proxy.restore();
    await client.destroy();
    await proxy.close();
    await chain.stop();
  });

  it("the last answer stands while the chain does not answer; one open question per account; a suspension counts once it answers", async function () {
    const branchB = chain.wallets.branchB.address;
    expect(await client.memberStatus(branchB)).to.deep.equal({
      memberId: MEMBERS.branchB,
      status: "active",
      role: "operations",
    });
    proxy.cut("blackhole");
    await sleep(150); // past the cache period
    questions = 0;
    const answers = await Promise.all([
      client.memberStatus(branchB),
      client.memberStatus(branchB),
      client.memberStatus(branchB),
    ]);
    expect(answers.map((a) => a.status)).to.deep.equal(["active", "active", "active"]);
    expect(questions, "one question to the chain for three requests").to.equal(1);
    // the question is still open (the partition holds it): later requests do not ask again
    await client.memberStatus(branchB);
    expect(questions).to.equal(1);

    // an account the chain never answered for is not guessed: its request waits for the chain
    let settled = false;
    const unknown = client.memberStatus(chain.wallets.outsider.address).finally(() => (settled = true));
    await sleep(400);
    expect(settled, "an account without an answer waits for the chain").to.equal(false);

    await chain.suspend(MEMBERS.branchB); // governance goes to Anvil directly, not through the cut proxy
    proxy.restore(); // held connections are dropped: the open questions fail, the next ones reach the chain
    // its question dies with the partition's connections: the request fails (the route answers 503), it is not let in
    expect(
      await unknown.then(
        () => "answered",
        () => "failed",
      ),
    ).to.equal("failed");
    expect(await client.memberStatus(chain.wallets.outsider.address)).to.deep.equal({
      memberId: 0,
      status: "none",
      role: "none",
    });
    let status = "active";
    for (let i = 0; i < 50 && status === "active"; i++) {
      await sleep(50);
      status = (await client.memberStatus(branchB)).status;
    }
    expect(status).to.equal("suspended");
  });

  it("intake quota parameters: an older answer serves at once while the chain is cut; never answered, the defaults (undefined) after membershipWaitMs, then at once", async function () {
    const unset = { recordsPerSecond: 0, recordsPerDay: 0 };
    expect(await client.intakeQuota()).to.deep.equal(unset);
    const fresh = new EvidenceLogClient({ ...client.options });
    proxy.cut("blackhole");
    try {
      await sleep(150); // past the cache period: a refresh starts and hangs in the partition
      expect(
        await beforeWaitEnds(() => client.intakeQuota()),
        "the older answer, without waiting for the refresh",
      ).to.deep.equal(unset);
      const t = Date.now();
      expect(await fresh.intakeQuota(), "never answered: the service's defaults").to.equal(undefined);
      expect(Date.now() - t, "waited about membershipWaitMs, not the RPC timeout").to.be.lessThan(5_000);
      expect(
        await beforeWaitEnds(() => fresh.intakeQuota()),
        "a second request does not wait again",
      ).to.equal(undefined);
    } finally {
      proxy.restore();
      await fresh.destroy();
    }
  });
});
