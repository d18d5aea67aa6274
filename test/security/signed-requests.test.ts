// Security checks on signed member-to-service requests, each a real request against a real
// institution node and anchor service over Anvil: a replayed request, a request replayed to
// another service or route, a request signed for another chain, requests signed by a member
// after it was suspended on chain, a request signed for one member's node sent to another's, and
// ten identical requests at once (exactly one served). Each refusal leaves nothing written.
// (Replay at the anchor service itself: test/anchor-service/api.test.ts, "ANCHOR_ERR_REPLAY …".)
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { requestDomain, signRequest, TARGET_HEADER } from "../../common/auth/request-signing.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { digestDb } from "../support/fuzz/harness.ts";
import { MEMBERS, recordFor } from "../support/consortium-chain.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";

type Reply = { statusCode: number; body: string; json(): unknown };

describe("security: signed requests — replay, cross-service replay, another chain, suspended members (real node and anchor)", function () {
  this.timeout(120_000);
  // membership is read from the chain on every request (no cache), so a suspension counts at once
  const suite = lendingSuite("security-signed-", {
    anchor: { onDisk: true, config: { membershipCacheMs: 0 } },
  });
  let node: NodeService;
  /** Branch B's node, on the same chain: requests signed for branch A's node must not work here. */
  let otherNode: NodeService;
  const FORWARD = "/v1/forwarded-applications/jiedaibao?platform=4";

  before(async function () {
    const config = await suite.config();
    node = await suite.node({ config, inMemory: false, wallet: suite.chain.wallets.branchA });
    otherNode = await suite.node({
      config: { ...config, memberId: MEMBERS.branchB, dataDir: join(suite.dir, "branch-b") },
      inMemory: false,
      wallet: suite.chain.wallets.branchB,
    });
  });

  const domain = (chainId = suite.chain.chainId) =>
    requestDomain(chainId, suite.chain.deployment.addresses.consortiumRegistry);
  /** Node-to-node form, for branch A's node unless `target` says otherwise. */
  const sign = (
    wallet: Wallet,
    method: string,
    path: string,
    body: string,
    chainId?: bigint,
    target: number = MEMBERS.branchA,
  ) => signRequest(wallet, domain(chainId), { method, path, body, target });
  /** The service form (the anchor's): no target. */
  const signForService = (wallet: Wallet, method: string, path: string, body: string, chainId?: bigint) =>
    signRequest(wallet, domain(chainId), { method, path, body });
  const code = (reply: Reply) =>
    (reply.json() as { error: { code: string; details?: { auth?: string } } }).error;
  const digestOf = (service: NodeService) =>
    digestDb(service.root as never, (key) => key.subarray(0, 18).toString("latin1") === "!documents!!access");
  const nodeDigest = () => digestOf(node);
  const anchorDigest = () => digestDb(suite.anchor.db.root as never);
  /** How many applications `service` holds (sealed, under their random ids). */
  async function applicationCount(service: NodeService): Promise<number> {
    let count = 0;
    for await (const key of (service.root as unknown as { keys(o: unknown): AsyncIterable<string> }).keys({
      keyEncoding: "utf8",
    }))
      if (key.startsWith("!applications!")) count++;
    return count;
  }

  async function forward(
    headers: Record<string, string>,
    body: string,
    path = FORWARD,
    to: NodeService = node,
  ): Promise<Reply> {
    return to.app.inject({
      method: "POST",
      url: path,
      payload: body,
      headers: { "content-type": "application/json", ...headers },
    });
  }

  it("a replayed forwarded application: the first is accepted, the same signed request again is 401 and stores nothing", async function () {
    const body = JSON.stringify(jiedaibaoPayload());
    const headers = await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body);
    const first = await forward(headers, body);
    expect(first.statusCode, first.body).to.equal(200);
    const before = await nodeDigest();
    const again = await forward(headers, body);
    expect(again.statusCode, again.body).to.equal(401);
    expect(code(again).code).to.equal("NODE_ERR_AUTH");
    expect(await nodeDigest(), "a second application was stored").to.equal(before);
  });

  it("a request signed for the anchor service, replayed to a node (and back): refused by the form and the signature over method and path", async function () {
    const body = JSON.stringify({ records: [recordFor("signed for the anchor")] });
    const forAnchor = await signForService(suite.chain.wallets.unionOps, "POST", "/v1/leaves", body);
    const nodeBefore = await nodeDigest();
    // the service form names no target node: a node refuses it outright …
    const atNode = await forward(forAnchor, body);
    expect(atNode.statusCode).to.equal(401);
    expect(code(atNode)).to.deep.include({ code: "NODE_ERR_AUTH" });
    expect(code(atNode).details?.auth).to.equal("AUTH_MISSING_HEADERS");
    // … and with a target header added, the signature (a SignedRequest, not a NodeRequest) does not hold
    const withTarget = await forward({ ...forAnchor, [TARGET_HEADER]: String(MEMBERS.branchA) }, body);
    expect(withTarget.statusCode).to.equal(401);
    expect(code(withTarget).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    // a service-form signature of the node's own route, with the target added, is refused the same way
    const application = JSON.stringify(jiedaibaoPayload());
    const serviceForm = await signForService(suite.chain.wallets.unionOps, "POST", FORWARD, application);
    const relabelled = await forward(
      { ...serviceForm, [TARGET_HEADER]: String(MEMBERS.branchA) },
      application,
    );
    expect(code(relabelled).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    expect(await nodeDigest()).to.equal(nodeBefore);

    // the same bytes signed for the node's route, sent to the anchor's (a body valid there, so it reaches authentication)
    const forNode = await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body);
    const anchorBefore = await anchorDigest();
    const atAnchor = await suite.anchor.app.inject({
      method: "POST",
      url: "/v1/leaves",
      payload: body,
      headers: { "content-type": "application/json", ...forNode },
    });
    expect(atAnchor.statusCode).to.equal(401);
    expect(code(atAnchor).code).to.equal("ANCHOR_ERR_AUTH_INVALID");
    expect(await anchorDigest()).to.equal(anchorBefore);
  });

  it("a request signed under another chain's domain is refused by the node and the anchor service", async function () {
    const application = JSON.stringify(jiedaibaoPayload());
    const atNode = await forward(
      await sign(suite.chain.wallets.unionOps, "POST", FORWARD, application, 1n),
      application,
    );
    expect(atNode.statusCode).to.equal(401);
    expect(code(atNode).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    const records = JSON.stringify({ records: [recordFor("another chain")] });
    const atAnchor = await suite.anchor.app.inject({
      method: "POST",
      url: "/v1/leaves",
      payload: records,
      headers: {
        "content-type": "application/json",
        ...(await signForService(suite.chain.wallets.branchA, "POST", "/v1/leaves", records, 1n)),
      },
    });
    expect(code(atAnchor).code).to.equal("ANCHOR_ERR_AUTH_INVALID");
  });

  it("a request signed for branch A's node is refused by branch B's (NODE_ERR_WRONG_TARGET, nothing written) and still served by A's", async function () {
    // a court's document fetch for branch A, sent to branch B's node
    const loanId = `0x${randomBytes(32).toString("hex")}`;
    const path = `/v1/cases/${loanId}/documents`;
    const fetchHeaders = await sign(suite.chain.wallets.court, "GET", path, "");
    const otherBefore = await digestOf(otherNode);
    const misdirectedFetch = await otherNode.app.inject({ method: "GET", url: path, headers: fetchHeaders });
    expect(misdirectedFetch.statusCode, misdirectedFetch.body).to.equal(421);
    expect(code(misdirectedFetch)).to.deep.include({
      code: "NODE_ERR_WRONG_TARGET",
      details: { target: MEMBERS.branchA, member: MEMBERS.branchB },
    });
    // a union-signed application forwarded to branch A, sent to branch B's node
    const body = JSON.stringify(jiedaibaoPayload());
    const forwardHeaders = await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body);
    const misdirectedForward = await forward(forwardHeaders, body, FORWARD, otherNode);
    expect(misdirectedForward.statusCode, misdirectedForward.body).to.equal(421);
    expect(code(misdirectedForward).code).to.equal("NODE_ERR_WRONG_TARGET");
    expect(await digestOf(otherNode), "branch B's node stored the application or a nonce").to.equal(
      otherBefore,
    );
    expect(await applicationCount(otherNode)).to.equal(0);
    // the node they were signed for serves both (the case's documents are refused on policy: no case yet)
    expect(code(await node.app.inject({ method: "GET", url: path, headers: fetchHeaders })).code).to.equal(
      "NODE_ERR_FORBIDDEN",
    );
    const served = await forward(forwardHeaders, body);
    expect(served.statusCode, served.body).to.equal(200);
    // the same signature with the target header changed to branch B's: the signature no longer holds
    const relabelled = await forward(
      {
        ...(await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body)),
        [TARGET_HEADER]: String(MEMBERS.branchB),
      },
      body,
      FORWARD,
      otherNode,
    );
    expect(relabelled.statusCode).to.equal(401);
    expect(code(relabelled).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    expect(await applicationCount(otherNode)).to.equal(0);
  });

  it("a forward signed by the union's governance or log-operator key (not its operations key): 403 NODE_ERR_ROLE, nothing written", async function () {
    const body = JSON.stringify(jiedaibaoPayload());
    const before = await nodeDigest();
    for (const wallet of [suite.chain.approvers[0]!, suite.chain.wallets.anchor]) {
      const refused = await forward(await sign(wallet, "POST", FORWARD, body), body);
      expect(refused.statusCode, refused.body).to.equal(403);
      expect(code(refused).code).to.equal("NODE_ERR_ROLE");
    }
    expect(await nodeDigest()).to.equal(before);
  });

  it("the nonces of requests expired over a minute ago are swept; those still valid, or just expired, are kept", async function () {
    const nonces = node.ops.deps.nonces;
    const now = Math.floor(Date.now() / 1000);
    const entries = { long: now - 1_000, recent: now - 30, valid: now + 100 };
    const keyOf = (name: string) => `${"ee".repeat(20)}${Buffer.from(name.padEnd(16, "-")).toString("hex")}`;
    for (const [name, expiresAt] of Object.entries(entries)) await nonces.put(keyOf(name), String(expiresAt));
    expect(await node.ops.requests.sweepExpiredNonces(now)).to.be.at.least(1);
    expect(await nonces.get(keyOf("long"))).to.equal(undefined);
    expect(await nonces.get(keyOf("recent"))).to.equal(String(entries.recent));
    expect(await nonces.get(keyOf("valid"))).to.equal(String(entries.valid));
    // a request served just now keeps its nonce through a sweep: its replay is still refused
    const body = JSON.stringify(jiedaibaoPayload());
    const headers = await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body);
    expect((await forward(headers, body)).statusCode).to.equal(200);
    await node.ops.requests.sweepExpiredNonces();
    expect(code(await forward(headers, body)).code).to.equal("NODE_ERR_AUTH");
    for (const name of Object.keys(entries)) await nonces.del(keyOf(name));
  });

  it("ten identical signed requests at once: exactly one forwarded application is stored, exactly one document fetch gets past the nonce", async function () {
    const body = JSON.stringify(jiedaibaoPayload());
    const headers = await sign(suite.chain.wallets.unionOps, "POST", FORWARD, body);
    const before = await applicationCount(node);
    const replies = await Promise.all(Array.from({ length: 10 }, () => forward(headers, body)));
    expect(
      replies.filter((r) => r.statusCode === 200).length,
      replies.map((r) => r.statusCode).join(" "),
    ).to.equal(1);
    for (const r of replies.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).to.equal(401);
      expect(code(r).code).to.equal("NODE_ERR_AUTH");
    }
    expect(await applicationCount(node), "applications stored").to.equal(before + 1);

    // the court's fetch: one reaches the document policy (no case: NODE_ERR_FORBIDDEN), nine are replays
    const path = `/v1/cases/0x${randomBytes(32).toString("hex")}/documents`;
    const fetchHeaders = await sign(suite.chain.wallets.court, "GET", path, "");
    const fetches = await Promise.all(
      Array.from({ length: 10 }, () => node.app.inject({ method: "GET", url: path, headers: fetchHeaders })),
    );
    const codes = fetches.map((r) => code(r).code);
    expect(codes.filter((c) => c === "NODE_ERR_FORBIDDEN").length, codes.join(" ")).to.equal(1);
    expect(codes.filter((c) => c === "NODE_ERR_AUTH").length, codes.join(" ")).to.equal(9);
  });

  it("a suspended member's signed requests: refused by the node (NODE_ERR_ROLE) and the anchor (ANCHOR_ERR_MEMBER_SUSPENDED), nothing stored", async function () {
    const loanId = `0x${randomBytes(32).toString("hex")}`;
    const path = `/v1/cases/${loanId}/documents`;
    const fetchAsCourt = async () =>
      node.app.inject({
        method: "GET",
        url: path,
        headers: await sign(suite.chain.wallets.court, "GET", path, ""),
      });
    const submitAsCourt = async () => {
      const body = JSON.stringify({ records: [recordFor(`ruling ${randomBytes(4).toString("hex")}`)] });
      return suite.anchor.app.inject({
        method: "POST",
        url: "/v1/leaves",
        payload: body,
        headers: {
          "content-type": "application/json",
          ...(await signForService(suite.chain.wallets.court, "POST", "/v1/leaves", body)),
          ...(await suite.chain.submission(suite.chain.wallets.court, body)),
        },
      });
    };
    // while active: authenticated (this loan has no case for it, so the node forbids; the anchor accepts)
    expect(code(await fetchAsCourt()).code).to.equal("NODE_ERR_FORBIDDEN");
    expect((await submitAsCourt()).statusCode).to.equal(200);

    await suite.chain.suspend(MEMBERS.court);
    const nodeBefore = await nodeDigest();
    const anchorBefore = await anchorDigest();
    const refusedByNode = await fetchAsCourt();
    expect(refusedByNode.statusCode).to.equal(403);
    expect(code(refusedByNode).code).to.equal("NODE_ERR_ROLE");
    const refusedByAnchor = await submitAsCourt();
    expect(refusedByAnchor.statusCode).to.equal(403);
    expect(code(refusedByAnchor).code).to.equal("ANCHOR_ERR_MEMBER_SUSPENDED");
    expect(
      await nodeDigest(),
      "the suspended member's nonce or anything else was stored at the node",
    ).to.equal(nodeBefore);
    expect(await anchorDigest()).to.equal(anchorBefore);
  });
});
