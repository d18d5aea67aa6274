// `npm start` refuses a chain whose latest block is stamped ahead of the machine's clock by more
// than the trusted-time tolerance (scripts/ops/local/tsa.ts): the local demo once moved its
// persistent chain's clock seven weeks ahead, and everything anchored afterwards was certified as
// anchored seven weeks later. The refusal says how to recover. And the local demo TSA keeps its
// root across starts, so tokens from earlier runs still verify.
import { expect } from "chai";
import { TRUSTED_TIME_TOLERANCE_SECONDS } from "../../common/formats/bundle/trusted-time.ts";
import {
  timestampRequest,
  tokenFromResponse,
  verifyTimestampToken,
  TIMESTAMP_QUERY_TYPE,
} from "../../common/pki/timestamp.ts";
import { loadTrustAnchors } from "../../common/pki/trust-anchors.ts";
import { LocalConsortiumError } from "../../scripts/ops/local/errors.ts";
import { assertChainClockNotAhead, startLocalTsa } from "../../scripts/ops/local/tsa.ts";
import { anvilSuite } from "../support/anvil.ts";

describe("npm start: the chain's clock and the demo TSA", function () {
  this.timeout(60_000);
  const local = anvilSuite("jl-clock-");

  it("serves a chain whose clock agrees with this machine's", async function () {
    const ahead = await assertChainClockNotAhead(local.anvil.provider, local.dir);
    expect(ahead).to.be.at.most(TRUSTED_TIME_TOLERANCE_SECONDS);
  });

  it("refuses a chain seven weeks ahead, naming the block, the lead and how to recover", async function () {
    const latest = (await local.anvil.provider.getBlock("latest"))!.timestamp;
    await local.anvil.provider.send("evm_increaseTime", [7 * 7 * 86_400]);
    await local.anvil.provider.send("evm_mine", []);
    try {
      await assertChainClockNotAhead(local.anvil.provider, local.dir);
      expect.fail("a chain seven weeks ahead was accepted");
    } catch (e) {
      expect(e).to.be.instanceOf(LocalConsortiumError);
      expect((e as LocalConsortiumError).code).to.equal("LOCAL_CHAIN_CLOCK_AHEAD");
      const message = (e as Error).message;
      expect(message).to.match(/ahead of this machine's clock \(tolerance 30 s\)/);
      expect(message).to.contain("49.0 days");
      expect(message).to.contain(`mv ${local.dir} ${local.dir}.clock-ahead && npm start`);
    }
    // judged against the clock of the day the block is stamped, it is served
    const now = () => (latest + 7 * 7 * 86_400 + 5) * 1000;
    expect(await assertChainClockNotAhead(local.anvil.provider, local.dir, now)).to.be.at.most(
      TRUSTED_TIME_TOLERANCE_SECONDS,
    );
  });

  it("runs the demo TSA under a root kept in <data>/tsa, the same after a restart", async function () {
    const first = await startLocalTsa(local.dir, 0);
    const message = new TextEncoder().encode("a head");
    const request = await timestampRequest(message);
    const reply = await fetch(first.url, {
      method: "POST",
      headers: { "content-type": TIMESTAMP_QUERY_TYPE },
      body: Buffer.from(request.der),
    });
    const token = tokenFromResponse(new Uint8Array(await reply.arrayBuffer()), request.der);
    await first.close();
    expect(first.created).to.equal(true);
    expect(first.env.ANCHOR_TSA_TRUST_ANCHOR_FILES).to.equal(first.rootFile);
    const second = await startLocalTsa(local.dir, 0);
    await second.close();
    expect(second.created).to.equal(false);
    const verified = await verifyTimestampToken(token, message, await loadTrustAnchors([second.rootFile]));
    expect(verified.tsa).to.contain("演示用");
  });
});
