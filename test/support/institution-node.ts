// What the institution-node tests share on top of a consortium chain (./consortium-chain.ts):
// lending deployed with branch A's limits and one whitelisted settlement account, branch A
// serving Beijing Xicheng (110105, where the channel fixtures' borrower ID number is from), a
// node configuration for branch A with its master key file, back-office users and bearer headers
// from a role → token map, and the API steps to an approved loan (application, consent, approval
// starting on the chain's today). (No describe/it here: Hardhat mocha loads it like a test.)
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { NodeConfigSchema, type NodeConfig } from "../../nodes/src/config.ts";
import { tokenSha256, type Role } from "../../nodes/src/http/auth.ts";
import { formatShanghaiIso } from "../../nodes/src/channels/times.ts";
import { createMasterKeyFile } from "../../nodes/src/privacy/crypto-box.ts";
import { addMonths, dayToDate, shanghaiDay } from "../../common/lending/dates.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { recordConsent } from "../../nodes/src/bureau/consent.ts";
import { deployLending, govern, type LendingDeployment } from "../../scripts/ops/deploy/consortium.ts";
import { approvingDecision, injectAs } from "./credit-decision.ts";
import { jiedaibaoPayload } from "./channel-fixtures.ts";
import { MEMBERS, type ConsortiumChain } from "./consortium-chain.ts";
import { chainNow } from "./day-boundary.ts";

/** Branch A's settlement account (a salted hash; whitelisted through governance). */
export const SETTLEMENT = `0x${"5e".repeat(32)}`;
/** The region branch A serves: Beijing Xicheng, the fixture borrower's ID number's region. */
export const BRANCH_A_REGION = 110105;
export const BRANCH_A_LIMITS = {
  singleLoanMax: 20_000_000n,
  dailyDisbursementLimit: 100_000_000n,
  outstandingLimit: 1_000_000_000n,
  netTier1Capital: 400_000_000n,
};

/** Back-office bearer tokens by role. */
export type RoleTokens = Partial<Record<Role, string>>;

/** Deploys lending for branch A (limits, settlement whitelist) and sets its region through governance. */
export async function deployBranchALending(chain: ConsortiumChain): Promise<LendingDeployment> {
  const lending = await deployLending(chain.wallets.deployer, chain.deployment, chain.approvers, [
    { memberId: MEMBERS.branchA, limits: BRANCH_A_LIMITS, whitelist: [SETTLEMENT] },
  ]);
  await govern(chain.deployment.governor, chain.approvers, [
    {
      target: chain.deployment.addresses.consortiumRegistry,
      data: chain.deployment.registry.interface.encodeFunctionData("setRegion", [
        MEMBERS.branchA,
        BRANCH_A_REGION,
      ]),
    },
  ]);
  return lending;
}

/** One back-office user per role in `tokens` (user name `test.<role>`). */
export function usersFor(tokens: RoleTokens): NodeConfig["users"] {
  return Object.entries(tokens).map(([role, token]) => ({
    user: `test.${role}`,
    role: role as Role,
    tokenSha256: tokenSha256(token),
  }));
}

/** `as(role)`: the authorization header of that role's token. */
export function bearerAs<T extends RoleTokens>(tokens: T): (role: keyof T) => { authorization: string } {
  return (role) => ({ authorization: `Bearer ${String(tokens[role])}` });
}

/**
 * `api(node, role, method, url, payload?)`: one request to `node`'s API as `role` (its header
 * from `as`), with `payload` as the JSON body when given; the reply is the caller's to check.
 */
export function apiAs<R>(as: (role: R) => { authorization: string }) {
  return (
    node: Pick<NodeService, "app">,
    role: R,
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    payload?: object,
  ) => node.app.inject({ method, url, headers: as(role), ...(payload === undefined ? {} : { payload }) });
}

/**
 * Branch A's node configuration on `chain` with `lending`: data in `<dir>/node`, a fresh master
 * key file `<dir>/master.key`, a random consortium key, the chain's RPC URL, silent logging.
 * `overrides` replace any field (rpcUrl behind a proxy, another member, paging, …).
 */
export async function branchNodeConfig(
  chain: ConsortiumChain,
  lending: LendingDeployment,
  options: { dir: string; anchorUrl: string; tokens?: RoleTokens; overrides?: Partial<NodeConfig> },
): Promise<NodeConfig> {
  const masterKeyFile = join(options.dir, "master.key");
  await createMasterKeyFile(masterKeyFile);
  return NodeConfigSchema.parse({
    dataDir: join(options.dir, "node"),
    memberId: MEMBERS.branchA,
    memberKind: "branch",
    keystoreFile: "unused",
    keystorePassword: "unused",
    masterKeyFile,
    consortiumKey: `0x${randomBytes(32).toString("hex")}`,
    rpcUrl: chain.anvil.url,
    anchorUrl: options.anchorUrl,
    consortiumRegistry: chain.deployment.addresses.consortiumRegistry,
    jointLoanLedger: lending.addresses.jointLoanLedger,
    disputeResolution: lending.addresses.disputeResolution,
    evidenceRegistry: chain.deployment.addresses.evidenceRegistry,
    deployBlock: chain.deployment.blockNumber,
    users: usersFor(options.tokens ?? {}),
    logLevel: "silent",
    ...options.overrides,
  });
}

/**
 * The chain's today in Asia/Shanghai (YYYY-MM-DD), the day of its next block (./day-boundary.ts):
 * a loan starting on it can be disbursed now.
 */
export async function chainToday(chain: ConsortiumChain): Promise<string> {
  return dayToDate(shanghaiDay(await chainNow(chain.anvil.provider)));
}

type Reply = Awaited<ReturnType<NodeService["app"]["inject"]>>;

/**
 * A consent letter's dates for a node whose clock reads `now` (default: the real clock): signed
 * on 2026-11-22 10:00 Beijing time, valid until 10:00 a year after the clock's day. Whole days, so
 * the same letter stored twice the same day carries the same dates.
 */
export function consentDates(now: number = Date.now()): { signedAt: string; validUntil: string } {
  const day = formatShanghaiIso(now).slice(0, 10);
  return { signedAt: "2026-11-22T10:00:00+08:00", validUntil: `${addMonths(day, 12)}T10:00:00+08:00` };
}

/**
 * The borrower's consent to a loan-approval credit query, recorded and anchored at `node` through
 * its bureau (not its API): signed a minute ago, valid for 365 days.
 */
export async function consentAt(
  node: NodeService,
  borrowerKey: string,
  letter: Uint8Array = randomBytes(32),
) {
  const now = Date.now();
  return recordConsent(
    {
      borrowerKey,
      letterDigest: `0x${Buffer.from(await crypto.subtle.digest("SHA-256", letter)).toString("hex")}`,
      signedAt: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 365 * 86_400_000).toISOString(),
      scope: ["LOAN_APPROVAL"],
    },
    node.ops.credit.deps.consent,
  );
}

type As = (role: "clerk" | "approver") => { authorization: string };
const base64 = (v: string | Uint8Array) => Buffer.from(v).toString("base64");

/** Through `node`'s API (clerk): the borrower's signed consent letter `letter` to the application; its leaf hash. */
export async function storeConsent(
  node: NodeService,
  as: As,
  applicationId: string,
  letter: string | Uint8Array,
): Promise<string> {
  const consent = (
    await node.app.inject({
      method: "POST",
      url: "/v1/consents",
      headers: as("clerk"),
      payload: {
        applicationId,
        letterBase64: base64(letter),
        ...consentDates(),
        scope: ["LOAN_APPROVAL"],
      },
    })
  ).json() as { consent: { leafHash: string } };
  return consent.consent.leafHash;
}

/**
 * Through `node`'s API (approver): the loan of a consented application with signed contract
 * `contract`, the platform funding `platformShareBps` (default 0: assisted), starting on the
 * chain's today; `extra` adds to the request (an entrusted payee, …). The reply is the caller's to check.
 */
export async function approveLoan(
  node: NodeService,
  chain: ConsortiumChain,
  as: As,
  loan: {
    applicationId: string;
    consentLeafHash: string;
    contract: string | Uint8Array;
    platformShareBps?: number;
    extra?: Record<string, unknown>;
  },
): Promise<{ startDate: string; approved: Reply }> {
  await approvingDecision(injectAs(node.app, as), loan.applicationId);
  const startDate = await chainToday(chain);
  const approved = await node.app.inject({
    method: "POST",
    url: "/v1/loans",
    headers: as("approver"),
    payload: {
      applicationId: loan.applicationId,
      contractBase64: base64(loan.contract),
      consentLeafHash: loan.consentLeafHash,
      platformShareBps: loan.platformShareBps ?? 0,
      startDate,
      ...loan.extra,
    },
  });
  return { startDate, approved };
}

/**
 * Through `node`'s API: a jiedaibao application (clerk, at `applicationUrl`; `payload`, default the
 * channel fixtures' jiedaibaoPayload(); credited to the node's own member, as a back-office user's
 * application is), the borrower's signed consent letter `letter` (clerk), and the approver's
 * assisted loan with signed contract `contract` starting on the chain's today (approveLoan). The
 * application's and the approval's replies are the caller's to check.
 */
export async function approveAssistedLoan(
  node: NodeService,
  chain: ConsortiumChain,
  as: As,
  options: {
    letter: string | Uint8Array;
    contract: string | Uint8Array;
    applicationUrl?: string;
    payload?: ReturnType<typeof jiedaibaoPayload>;
    extra?: Record<string, unknown>;
  },
): Promise<{
  submitted: Reply;
  applicationId: string;
  consentLeafHash: string;
  startDate: string;
  approved: Reply;
}> {
  const url = options.applicationUrl ?? "/v1/applications/jiedaibao";
  const submitted = await node.app.inject({
    method: "POST",
    url,
    headers: as("clerk"),
    payload: options.payload ?? jiedaibaoPayload(),
  });
  const { applicationId } = submitted.json() as { applicationId: string };
  const consentLeafHash = await storeConsent(node, as, applicationId, options.letter);
  const { startDate, approved } = await approveLoan(node, chain, as, {
    applicationId,
    consentLeafHash,
    contract: options.contract,
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  });
  return { submitted, applicationId, consentLeafHash, startDate, approved };
}

/**
 * Through the nodes' APIs, a joint loan's application: `payload` submitted at the platform's node
 * (clerk), which must forward it to the borrower's branch, where the borrower's consent letter
 * `letter` is stored (clerk); `atBranch` is the application's id at the branch.
 */
export async function submitJointApplication(
  platform: NodeService,
  branch: NodeService,
  as: As,
  options: { payload: ReturnType<typeof jiedaibaoPayload>; letter: string | Uint8Array },
): Promise<{ atBranch: string; consentLeafHash: string }> {
  const routed = await platform.app.inject({
    method: "POST",
    url: "/v1/applications/jiedaibao",
    headers: as("clerk"),
    payload: options.payload,
  });
  expect(routed.statusCode, routed.body).to.equal(200);
  const atBranch = (routed.json() as { forwardedTo: { applicationId: string } }).forwardedTo.applicationId;
  return { atBranch, consentLeafHash: await storeConsent(branch, as, atBranch, options.letter) };
}

/**
 * A joint application `applicationId` (jiedaibao) submitted at the platform's node, forwarded to
 * the branch's, its consent stored and an approving credit decision made there: ready to approve.
 */
export async function approvableJointApplication(
  platform: NodeService,
  branch: NodeService,
  as: As,
  applicationId: string,
): Promise<{ atBranch: string; consentLeafHash: string }> {
  const payload = jiedaibaoPayload();
  payload.shenqingBianhao = applicationId;
  const submitted = await submitJointApplication(platform, branch, as, {
    payload,
    letter: `授权书 ${applicationId}`,
  });
  await approvingDecision(injectAs(branch.app, as), submitted.atBranch);
  return submitted;
}

/** An outbox entry as GET /v1/outbox/:serial shows it. */
export type OutboxEntryView = { state: string; failure?: { code: string; args: string[] } };

/** Polls `node`'s GET /v1/outbox/:serial (clerk) until the entry is confirmed or failed; throws after `timeoutMs`. */
export async function outboxSettled(
  node: NodeService,
  as: (role: "clerk") => { authorization: string },
  serial: string,
  timeoutMs = 20_000,
): Promise<OutboxEntryView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = (
      await apiAs(as)(node, "clerk", "GET", `/v1/outbox/${encodeURIComponent(serial)}`)
    ).json() as OutboxEntryView;
    if (entry.state === "confirmed" || entry.state === "failed") return entry;
    if (Date.now() > deadline) throw new Error(`${serial} still ${entry.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** outboxSettled, and it must be confirmed (throws with the failure otherwise). */
export async function outboxConfirmed(...args: Parameters<typeof outboxSettled>): Promise<void> {
  const entry = await outboxSettled(...args);
  if (entry.state === "failed") throw new Error(`${args[2]} failed: ${JSON.stringify(entry.failure)}`);
}
