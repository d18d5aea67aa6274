// The node authenticates a caller before it reads the caller's body, and reads a signed body the
// way its signer meant it:
//   - a request without a valid API token, or with signed-request headers that fail (form,
//     expiry, target, a signer that is no active member of the route's kind), is answered from
//     its headers: a large body is never read (over a real socket, the answer comes while the
//     client has sent none of it);
//   - a signed body is checked against its signature before it is parsed, and a JSON object that
//     repeats a key is refused (400 NODE_ERR_DUPLICATE_KEY) instead of read as its last value;
//   - a forwarded application's ?platform= must name an active platform member (absent: the
//     union's own); refused, nothing is stored;
//   - an approval whose contract cannot be anchored stores no contract.
// NodeOperations runs for real over a fake registry (members, kinds, accounts), stub stores and a
// stub anchor: these are properties of the node's request handling, not of the chain.
import { expect } from "chai";
import { Wallet, hexlify } from "ethers";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { MemoryLevel } from "memory-level";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { AccountRole, MemberKind, MemberStatus } from "../../common/consortium/members.ts";
import { LEAF_VERSION, leafHashOf, type EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { convertApplication } from "../../nodes/src/channels/registry.ts";
import { NodeOperations } from "../../nodes/src/operations.ts";
import { nodeError } from "../../nodes/src/errors.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { clerkNodeApp } from "../support/node-app.ts";

const CHAIN_ID = 31337n;
const REGISTRY = `0x${"22".repeat(20)}`;
const REGION = 110105; // the fixture borrower's region
const ID = { union: 1, branch: 2, otherBranch: 3, platform: 4, court: 5, suspendedPlatform: 6 } as const;
const MiB = 1024 * 1024;

const randomWallet = () => new Wallet(hexlify(randomBytes(32)));
const wallets = {
  union: randomWallet(),
  platform: randomWallet(),
  otherBranch: randomWallet(),
  court: randomWallet(),
  suspended: randomWallet(),
  stranger: randomWallet(),
};

/** ConsortiumRegistry as the node reads it: memberIds, profileOf (kind, status, region), accountOf (member, status, role). */
function fakeRegistry() {
  const profiles = new Map<number, [number, number, number]>([
    [ID.union, [MemberKind.Union, MemberStatus.Active, 0]],
    [ID.branch, [MemberKind.Branch, MemberStatus.Active, REGION]],
    [ID.otherBranch, [MemberKind.Branch, MemberStatus.Active, 330106]],
    [ID.platform, [MemberKind.Platform, MemberStatus.Active, 0]],
    [ID.court, [MemberKind.Court, MemberStatus.Active, 0]],
    [ID.suspendedPlatform, [MemberKind.Platform, MemberStatus.Suspended, 0]],
  ]);
  const accounts = new Map<string, [number, number, number]>([
    [wallets.union.address, [ID.union, MemberStatus.Active, AccountRole.Operations]],
    [wallets.platform.address, [ID.platform, MemberStatus.Active, AccountRole.Operations]],
    [wallets.otherBranch.address, [ID.otherBranch, MemberStatus.Active, AccountRole.Operations]],
    [wallets.court.address, [ID.court, MemberStatus.Active, AccountRole.Operations]],
    [wallets.suspended.address, [ID.suspendedPlatform, MemberStatus.Suspended, AccountRole.Operations]],
  ]);
  const functions: Record<string, (...args: unknown[]) => unknown> = {
    memberIds: () => [...profiles.keys()].map(BigInt),
    profileOf: (id) => (profiles.get(Number(id)) ?? [0, 0, 0]).map(BigInt),
    accountOf: (account) => (accounts.get(String(account)) ?? [0, 0, 0]).map(BigInt),
  };
  return { getAddress: async () => REGISTRY, ...functions };
}

type Stored = {
  applicationId: string;
  borrowerKey: string;
  assignedBranch: number;
  channel: string;
  application: { platformMemberId: number };
};

/** Branch 2's node over the fake registry: what it stores, the nonces it spends, what it anchors. */
async function branchNode(
  options: { anchor?: (records: EvidenceRecord[]) => Promise<Array<{ leafHash: string }>> } = {},
) {
  const stored: Stored[] = [];
  const documents: Array<{ kind: string }> = [];
  const calls: string[] = [];
  const nonces = new MemoryLevel<string, string>().sublevel<string, string>("nonces", {});
  const ops = new NodeOperations({
    memberId: ID.branch,
    consortiumKey: new Uint8Array(32).fill(7),
    registry: fakeRegistry(),
    chainId: async () => CHAIN_ID,
    nonces,
    peers: { urlOf: () => undefined, call: async () => Promise.reject(new Error("no peer in this test")) },
    applications: {
      put: async (entry: Omit<Stored, "applicationId">) => {
        const record = {
          ...entry,
          applicationId: `app_${String(stored.length).padStart(24, "0")}`,
          createdAt: new Date().toISOString(),
        };
        stored.push(record);
        return record;
      },
      get: async (id: string) => stored.find((s) => s.applicationId === id),
    },
    documents: {
      put: async (input: { kind: string }) => {
        calls.push("store");
        documents.push(input);
        return { documentId: `0x${"dd".repeat(32)}`, sha256: `0x${"ee".repeat(32)}` };
      },
    },
    ledger: { params: async () => ({ aprCapBps: 2400n }) },
    outbox: {
      status: async () => undefined,
      enqueue: async (entry: unknown) => (calls.push("enqueue"), entry),
    },
    // the credit decision approves, on the consent these tests name (credit-decision/ is tested on its own)
    decisionGate: async () => ({
      consentLeafHash: `0x${"c0".repeat(32)}`,
      decisionId: `0x${"de".repeat(32)}`,
    }),
    anchor: async (records: EvidenceRecord[]) => {
      calls.push("anchor");
      return (
        options.anchor ??
        (async (r) =>
          r.map((x) => ({
            leafHash: hexlify(leafHashOf({ ...x, version: LEAF_VERSION, submitter: ID.branch })),
          })))
      )(records);
    },
  } as never);
  const app = await clerkNodeApp(ops, { memberId: ID.branch });
  const spentNonces = async () => (await nonces.keys().all()).length;
  /** A forwarded application to `path`, signed by the union over `body`, sending `sent` (default: `body`). */
  const forward = async (path: string, body: string, sent = body) =>
    app.inject({
      method: "POST",
      url: path,
      headers: await signed(wallets.union, path, body),
      payload: sent,
    });
  return { app, ops, stored, documents, calls, spentNonces, forward };
}

/** `test` run on a fresh branch node, closed afterwards whatever the outcome. */
async function onBranchNode(test: (node: Awaited<ReturnType<typeof branchNode>>) => Promise<void>) {
  const node = await branchNode();
  try {
    await test(node);
  } finally {
    await node.app.close();
  }
}

const domain = requestDomain(CHAIN_ID, REGISTRY);

async function signed(
  wallet: Wallet,
  path: string,
  body: string,
  target: number = ID.branch,
  method = "POST",
) {
  return {
    "content-type": "application/json",
    ...(await signRequest(wallet, domain, { method, path, body, target })),
  };
}

/** Sends a request head declaring `declared` body bytes, none of them, and waits up to `waitMs` for an answer. */
async function answerBeforeBody(
  port: number,
  head: string,
  waitMs = 3000,
): Promise<{ status: number; headers: string; body: string; closed: boolean } | undefined> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let buffer = "";
  let closed = false;
  const answered = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const end = buffer.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(buffer)?.[1] ?? -1);
      if (end !== -1 && length >= 0 && buffer.length >= end + 4 + length) resolve();
    });
    socket.on("close", () => {
      closed = true;
      resolve();
    });
  });
  socket.write(head);
  await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, waitMs))]);
  // a closed connection is seen shortly after the answer
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  const end = buffer.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  return {
    status: Number(buffer.split(" ")[1]),
    headers: buffer.slice(0, end).toLowerCase(),
    body: buffer.slice(end + 4),
    closed,
  };
}

describe("node: the caller is authenticated before its body is read", function () {
  this.timeout(30_000);
  let node: Awaited<ReturnType<typeof branchNode>>;
  let port: number;
  before(async function () {
    node = await branchNode();
    await node.app.listen({ host: "127.0.0.1", port: 0 });
    port = (node.app.server.address() as { port: number }).port;
  });
  after(async () => node.app.close());

  const head = (path: string, headers: Record<string, string>, bytes = 8 * MiB) =>
    `POST ${path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n${Object.entries(
      headers,
    )
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n`;

  it("an 8 MiB body without an API token, or with a wrong one: 401 NODE_ERR_AUTH before a byte of it is sent, and the connection closes", async function () {
    for (const headers of [{}, { authorization: "Bearer not-a-token" }] as Array<Record<string, string>>) {
      const answer = await answerBeforeBody(port, head("/v1/consents", headers));
      expect(answer, "answered while the body was still unsent").to.not.equal(undefined);
      expect(answer!.status).to.equal(401);
      expect(JSON.parse(answer!.body)).to.have.nested.property("error.code", "NODE_ERR_AUTH");
      expect(answer!.headers).to.include("connection: close");
      expect(answer!.closed).to.equal(true);
    }
  });

  it("a signed route's 8 MiB body under headers that fail (missing, expired, for another node, a stranger's or a non-union key): refused before it is read", async function () {
    const path = "/v1/forwarded-applications/jiedaibao?platform=4";
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, "NODE_ERR_AUTH"],
      [
        await signRequest(
          wallets.union,
          domain,
          { method: "POST", path, body: "{}", target: ID.branch },
          { expiresAt: now - 10 },
        ),
        401,
        "NODE_ERR_AUTH",
      ],
      [
        await signRequest(wallets.union, domain, {
          method: "POST",
          path,
          body: "{}",
          target: ID.otherBranch,
        }),
        421,
        "NODE_ERR_WRONG_TARGET",
      ],
      [
        await signRequest(wallets.stranger, domain, { method: "POST", path, body: "{}", target: ID.branch }),
        403,
        "NODE_ERR_ROLE",
      ],
      [
        await signRequest(wallets.platform, domain, { method: "POST", path, body: "{}", target: ID.branch }),
        403,
        "NODE_ERR_ROLE",
      ],
    ];
    for (const [headers, status, code] of cases) {
      const answer = await answerBeforeBody(port, head(path, headers));
      expect(answer, `${code}: answered while the body was still unsent`).to.not.equal(undefined);
      expect(answer!.status, answer!.body).to.equal(status);
      expect(JSON.parse(answer!.body)).to.have.nested.property("error.code", code);
      expect(answer!.closed, "a refused large body is not drained").to.equal(true);
    }
    expect(node.stored).to.have.length(0);
    expect(await node.spentNonces()).to.equal(0);
  });

  it("a valid token without the route's role (a clerk approving a loan): 403 NODE_ERR_ROLE before a byte of the 8 MiB body is sent", async function () {
    const answer = await answerBeforeBody(port, head("/v1/loans", { authorization: "Bearer clerk-token" }));
    expect(answer, "answered while the body was still unsent").to.not.equal(undefined);
    expect(answer!.status, answer!.body).to.equal(403);
    expect(JSON.parse(answer!.body)).to.have.nested.property("error.code", "NODE_ERR_ROLE");
    expect(answer!.closed, "a refused large body is not drained").to.equal(true);
    expect(node.stored).to.have.length(0);
  });

  it("an unknown route is answered 404 from its headers too", async function () {
    const answer = await answerBeforeBody(
      port,
      head("/v1/no-such-route", { authorization: "Bearer clerk-token" }),
    );
    expect(answer?.status).to.equal(404);
    expect(JSON.parse(answer!.body)).to.have.nested.property("error.code", "NODE_ERR_NOT_FOUND");
  });
});

describe("node: signed bodies are checked before they are parsed, and parsed strictly", function () {
  this.timeout(30_000);
  const path = "/v1/forwarded-applications/jiedaibao?platform=4";

  it("a body other than the one signed: 401 (AUTH_BAD_SIGNATURE) before it is parsed, even when it is not JSON; nothing stored, no nonce spent", async function () {
    await onBranchNode(async (node) => {
      const body = JSON.stringify(jiedaibaoPayload());
      for (const sent of ["{not json", body.replace("50000.00", "90000.00")]) {
        const reply = await node.forward(path, body, sent);
        expect(reply.statusCode, reply.body).to.equal(401);
        expect(reply.json()).to.deep.nested.include({
          "error.code": "NODE_ERR_AUTH",
          "error.details.auth": "AUTH_BAD_SIGNATURE",
        });
      }
      expect(node.stored).to.have.length(0);
      expect(await node.spentNonces()).to.equal(0);
    });
  });

  it("a signed object that repeats a key (at the top, nested, or spelled with an escape): 400 NODE_ERR_DUPLICATE_KEY with its path; nothing stored, no nonce spent", async function () {
    await onBranchNode(async (node) => {
      const body = JSON.stringify(jiedaibaoPayload());
      const repeated = [
        [`{"shenqingBianhao":"JDB20261122999999",${body.slice(1)}`, "shenqingBianhao"],
        [body.replace('"daikuan":{', '"daikuan":{"jine":"1.00",'), "daikuan.jine"],
        [body.replace('"jiekuanren":{', '"jiekuanren":{"xingm\\u0069ng":"李四",'), "jiekuanren.xingming"],
      ] as const;
      for (const [sent, duplicate] of repeated) {
        const reply = await node.forward(path, sent);
        expect(reply.statusCode, reply.body).to.equal(400);
        expect(reply.json()).to.deep.nested.include({
          "error.code": "NODE_ERR_DUPLICATE_KEY",
          "error.details.path": duplicate,
        });
      }
      expect(node.stored).to.have.length(0);
      expect(await node.spentNonces()).to.equal(0);
      // the same body without the repeat is served
      const ok = await node.forward(path, body);
      expect(ok.statusCode, ok.body).to.equal(200);
      expect(node.stored).to.have.length(1);
      expect(await node.spentNonces()).to.equal(1);
    });
  });
});

describe("node: a forwarded application is credited to an active platform member, or to the union", function () {
  this.timeout(30_000);

  it("?platform= naming a branch, a court, a suspended platform or no member: 409 NODE_ERR_WRONG_MEMBER_KIND, nothing stored", async function () {
    await onBranchNode(async (node) => {
      const body = JSON.stringify(jiedaibaoPayload());
      for (const member of [ID.branch, ID.otherBranch, ID.court, ID.suspendedPlatform, ID.union, 99]) {
        const path = `/v1/forwarded-applications/jiedaibao?platform=${member}`;
        const reply = await node.forward(path, body);
        expect(reply.statusCode, `${member}: ${reply.body}`).to.equal(409);
        expect(reply.json()).to.deep.nested.include({
          "error.code": "NODE_ERR_WRONG_MEMBER_KIND",
          "error.details.member": member,
        });
      }
      expect(node.stored).to.have.length(0);
      expect(await node.spentNonces(), "a refused forward spends no nonce").to.equal(0);
    });
  });

  it("an active platform: credited to it; no ?platform: credited to the union that signed it", async function () {
    await onBranchNode(async (node) => {
      const body = JSON.stringify(jiedaibaoPayload());
      for (const [path, credited] of [
        [`/v1/forwarded-applications/jiedaibao?platform=${ID.platform}`, ID.platform],
        ["/v1/forwarded-applications/jiedaibao", ID.union],
      ] as const) {
        const reply = await node.forward(path, body);
        expect(reply.statusCode, reply.body).to.equal(200);
        expect(node.stored.at(-1)!.application.platformMemberId).to.equal(credited);
      }
    });
  });

  it("the union's node names no platform when it forwards its own application", async function () {
    const paths: string[] = [];
    const ops = new NodeOperations({
      memberId: ID.union,
      consortiumKey: new Uint8Array(32).fill(7),
      registry: fakeRegistry(),
      peers: {
        urlOf: () => "http://branch",
        call: async (_member: number, _method: string, path: string) => (
          paths.push(path),
          { applicationId: "app_x" }
        ),
      },
      applications: {
        put: async (entry: object) => ({
          ...entry,
          applicationId: "app_000000000000000000000001",
          createdAt: "",
        }),
      },
    } as never);
    await ops.applications.submit(
      { userId: "clerk", role: "clerk", memberId: ID.union },
      "jiedaibao",
      jiedaibaoPayload(),
    );
    await ops.applications.submit(
      { userId: "clerk", role: "clerk", memberId: ID.union },
      "jiedaibao",
      jiedaibaoPayload(),
      ID.platform,
    );
    expect(paths).to.deep.equal([
      "/v1/forwarded-applications/jiedaibao",
      `/v1/forwarded-applications/jiedaibao?platform=${ID.platform}`,
    ]);
  });
});

describe("node: an approval stores the contract only once it is anchored", function () {
  this.timeout(30_000);

  async function approve(anchor?: (records: EvidenceRecord[]) => Promise<Array<{ leafHash: string }>>) {
    const node = await branchNode(anchor === undefined ? {} : { anchor });
    const application = convertApplication("jiedaibao", jiedaibaoPayload(), {
      platformMemberId: ID.branch,
      receivedAt: new Date().toISOString(),
    });
    node.stored.push({
      applicationId: "app_000000000000000000000000",
      borrowerKey: `0x${"bb".repeat(32)}`,
      assignedBranch: ID.branch,
      channel: "jiedaibao",
      application,
    } as Stored);
    const today = new Date().toISOString().slice(0, 10);
    const input = {
      applicationId: "app_000000000000000000000000",
      contractBase64: Buffer.from("借款合同 signed").toString("base64"),
      consentLeafHash: `0x${"c0".repeat(32)}`,
      platformShareBps: 0,
      startDate: today,
    };
    const outcome = await node.ops.approval
      .approve({ userId: "approver", role: "approver", memberId: ID.branch }, input)
      .catch((e: unknown) => e);
    await node.app.close();
    return { node, outcome };
  }

  it("the anchor service fails, or records another leaf: the error comes back and no contract is stored", async function () {
    for (const anchor of [
      async () =>
        Promise.reject(nodeError("NODE_ERR_ANCHOR_UNAVAILABLE", "the anchor service does not answer")),
      async () => [{ leafHash: `0x${"ff".repeat(32)}` }],
    ]) {
      const { node, outcome } = await approve(anchor);
      expect(outcome).to.have.property("code", "NODE_ERR_ANCHOR_UNAVAILABLE");
      expect(node.documents, "no contract stored").to.have.length(0);
      expect(node.calls).to.deep.equal(["anchor"]);
    }
  });

  it("anchored: the contract is stored, then the loan goes to the outbox", async function () {
    const { node, outcome } = await approve();
    expect(outcome).to.have.property("serial", "JDB20261122000123");
    expect(node.documents.map((d) => d.kind)).to.deep.equal(["contract"]);
    expect(node.calls).to.deep.equal(["anchor", "store", "enqueue"]);
  });
});
