// Security checks on signed member-to-service requests, each a real request against a real
// institution node and anchor service over Anvil: a replayed request, a request replayed to
// another service or route, a request signed for another chain, and requests signed by a member
// after it was suspended on chain. Each refusal leaves nothing written.
// (Replay at the anchor service itself: test/anchor-service/api.test.ts, "ANCHOR_ERR_REPLAY …".)
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { createAnchorService, type AnchorService } from "../../anchor-service/src/service.ts";
import { createNodeService, type NodeService } from "../../nodes/src/service.ts";
import { digestDb } from "../../scripts/fuzz/harness.ts";
import { MEMBERS, recordFor, startConsortiumChain, type ConsortiumChain } from "../helpers/consortium-chain.ts";
import { branchNodeConfig, deployBranchALending } from "../helpers/institution-node.ts";
import { jiedaibaoPayload } from "../nodes/channels/fixtures.ts";

type Reply = { statusCode: number; body: string; json(): unknown };

describe("security: signed requests — replay, cross-service replay, another chain, suspended members (real node and anchor)", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let anchor: AnchorService;
  let node: NodeService;
  let dir: string;
  const FORWARD = "/v1/forwarded-applications/jiedaibao?platform=4";

  before(async function () {
    chain = await startConsortiumChain();
    dir = await mkdtemp(join(tmpdir(), "security-signed-"));
    const lending = await deployBranchALending(chain);
    // membership is read from the chain on every request (no cache), so a suspension counts at once
    anchor = await createAnchorService({ config: chain.config({ dataDir: join(dir, "anchor"), commitIntervalMs: 3_600_000, membershipCacheMs: 0 }), logger: false });
    await anchor.start();
    const anchorUrl = await anchor.app.listen({ host: "127.0.0.1", port: 0 });
    node = await createNodeService({ config: await branchNodeConfig(chain, lending, { dir, anchorUrl }), logger: false, wallet: chain.wallets.branchA });
  });

  after(async function () {
    await node?.close();
    await anchor?.close();
    await chain?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const domain = (chainId = chain.chainId) => requestDomain(chainId, chain.deployment.addresses.consortiumRegistry);
  const sign = (wallet: Wallet, method: string, path: string, body: string, chainId?: bigint) => signRequest(wallet, domain(chainId), { method, path, body });
  const code = (reply: Reply) => (reply.json() as { error: { code: string; details?: { auth?: string } } }).error;
  const nodeDigest = () => digestDb(node.root as never, (key) => key.subarray(0, 18).toString("latin1") === "!documents!!access");
  const anchorDigest = () => digestDb(anchor.db.root as never);

  async function forward(headers: Record<string, string>, body: string, path = FORWARD): Promise<Reply> {
    return node.app.inject({ method: "POST", url: path, payload: body, headers: { "content-type": "application/json", ...headers } });
  }

  it("a replayed forwarded application: the first is accepted, the same signed request again is 401 and stores nothing", async function () {
    const body = JSON.stringify(jiedaibaoPayload());
    const headers = await sign(chain.wallets.unionOps, "POST", FORWARD, body);
    const first = await forward(headers, body);
    expect(first.statusCode, first.body).to.equal(200);
    const before = await nodeDigest();
    const again = await forward(headers, body);
    expect(again.statusCode, again.body).to.equal(401);
    expect(code(again).code).to.equal("NODE_ERR_AUTH");
    expect(await nodeDigest(), "a second application was stored").to.equal(before);
  });

  it("a request signed for the anchor service, replayed to a node (and back): refused by the signature over method and path", async function () {
    const body = JSON.stringify({ records: [recordFor("signed for the anchor")] });
    const forAnchor = await sign(chain.wallets.unionOps, "POST", "/v1/leaves", body);
    const nodeBefore = await nodeDigest();
    const atNode = await forward(forAnchor, body);
    expect(atNode.statusCode).to.equal(401);
    expect(code(atNode)).to.deep.include({ code: "NODE_ERR_AUTH" });
    expect(code(atNode).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    expect(await nodeDigest()).to.equal(nodeBefore);

    // the same bytes signed for the node's route, sent to the anchor's (a body valid there, so it reaches authentication)
    const forNode = await sign(chain.wallets.unionOps, "POST", FORWARD, body);
    const anchorBefore = await anchorDigest();
    const atAnchor = await anchor.app.inject({ method: "POST", url: "/v1/leaves", payload: body, headers: { "content-type": "application/json", ...forNode } });
    expect(atAnchor.statusCode).to.equal(401);
    expect(code(atAnchor).code).to.equal("ANCHOR_ERR_AUTH_INVALID");
    expect(await anchorDigest()).to.equal(anchorBefore);
  });

  it("a request signed under another chain's domain is refused by the node and the anchor service", async function () {
    const application = JSON.stringify(jiedaibaoPayload());
    const atNode = await forward(await sign(chain.wallets.unionOps, "POST", FORWARD, application, 1n), application);
    expect(atNode.statusCode).to.equal(401);
    expect(code(atNode).details?.auth).to.equal("AUTH_BAD_SIGNATURE");
    const records = JSON.stringify({ records: [recordFor("another chain")] });
    const atAnchor = await anchor.app.inject({ method: "POST", url: "/v1/leaves", payload: records, headers: { "content-type": "application/json", ...(await sign(chain.wallets.branchA, "POST", "/v1/leaves", records, 1n)) } });
    expect(code(atAnchor).code).to.equal("ANCHOR_ERR_AUTH_INVALID");
  });

  it("a suspended member's signed requests: refused by the node (NODE_ERR_ROLE) and the anchor (ANCHOR_ERR_MEMBER_SUSPENDED), nothing stored", async function () {
    const loanId = `0x${randomBytes(32).toString("hex")}`;
    const path = `/v1/cases/${loanId}/documents`;
    const fetchAsCourt = async () => node.app.inject({ method: "GET", url: path, headers: await sign(chain.wallets.court, "GET", path, "") });
    const submitAsCourt = async () => {
      const body = JSON.stringify({ records: [recordFor(`ruling ${randomBytes(4).toString("hex")}`)] });
      return anchor.app.inject({ method: "POST", url: "/v1/leaves", payload: body, headers: { "content-type": "application/json", ...(await sign(chain.wallets.court, "POST", "/v1/leaves", body)) } });
    };
    // while active: authenticated (this loan has no case for it, so the node forbids; the anchor accepts)
    expect(code(await fetchAsCourt()).code).to.equal("NODE_ERR_FORBIDDEN");
    expect((await submitAsCourt()).statusCode).to.equal(200);

    await chain.suspend(MEMBERS.court);
    const nodeBefore = await nodeDigest();
    const anchorBefore = await anchorDigest();
    const refusedByNode = await fetchAsCourt();
    expect(refusedByNode.statusCode).to.equal(403);
    expect(code(refusedByNode).code).to.equal("NODE_ERR_ROLE");
    const refusedByAnchor = await submitAsCourt();
    expect(refusedByAnchor.statusCode).to.equal(403);
    expect(code(refusedByAnchor).code).to.equal("ANCHOR_ERR_MEMBER_SUSPENDED");
    expect(await nodeDigest(), "the suspended member's nonce or anything else was stored at the node").to.equal(nodeBefore);
    expect(await anchorDigest()).to.equal(anchorBefore);
  });
});
