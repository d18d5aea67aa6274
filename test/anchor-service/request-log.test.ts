// The anchor service's one line per request (common/service/request-log.ts) names the calling
// member: a submission's member, by its operations key, once the signature over the request
// verified. A request whose signature fails, or that carries none, and an open read name no
// caller. Lines captured from a real pino stream.
import { expect } from "chai";
import { Wallet } from "ethers";
import { SIGNER_HEADER } from "../../common/auth/request-signing.ts";
import { MEMBERS, recordFor } from "../support/consortium-chain.ts";
import { anchorServiceSuite } from "../support/anchor-suite.ts";
import { capturedLog } from "../support/captured-log.ts";

describe("anchor service: the request log names the calling member", function () {
  const { log, lines } = capturedLog({ level: "info" });
  const suite = anchorServiceSuite({ logger: log });

  it("a verified submission names its member; a forged or unsigned one and an open read name none", async function () {
    const body = JSON.stringify({ records: [recordFor("a contract")] });
    const accepted = await suite.postLeaves(body);
    expect(accepted.statusCode, accepted.body).to.equal(200);
    // branch A's address in the headers, signed by another key: the signature does not verify
    const forged = await suite.service.app.inject({
      method: "POST",
      url: "/v1/leaves",
      payload: body,
      headers: {
        "content-type": "application/json",
        ...(await suite.chain.sign(new Wallet(Wallet.createRandom().privateKey), body)),
        [SIGNER_HEADER]: suite.chain.wallets.branchA.address,
      },
    });
    expect(forged.statusCode, forged.body).to.equal(401);
    const unsigned = await suite.service.app.inject({
      method: "POST",
      url: "/v1/leaves",
      payload: body,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.statusCode).to.equal(401);
    const read = await suite.service.app.inject({ url: "/healthz" });
    expect(read.statusCode).to.equal(200);

    const requests = lines().filter((l) => l.msg === "request");
    expect(requests.map((l) => [l.route, l.status])).to.deep.equal([
      ["/v1/leaves", 200],
      ["/v1/leaves", 401],
      ["/v1/leaves", 401],
      ["/healthz", 200],
    ]);
    expect(requests[0]).to.include({ method: "POST", member: MEMBERS.branchA, role: "operations" });
    for (const line of requests.slice(1)) {
      expect(line).not.to.have.property("member");
      expect(line).not.to.have.property("role");
    }
  });
});
