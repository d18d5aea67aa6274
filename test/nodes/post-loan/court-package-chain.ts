// A loan's evidence package on a real chain, for the court's checks that ask it (the court's node
// and the court page): an Anvil consortium with the lending contracts, a live anchor service (its
// receipts SM2-signed too, under a key the governed member directory binds to the union, the log's
// operator), and a loan registered on JointLoanLedger with its contract and consent leaves and
// disbursed with its voucher; every item — the contract, the consent, the credit query, the
// voucher, a notice and the approving decision — anchored under heads committed to EvidenceLog,
// each original with its bundle.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { createAnchorService, type AnchorService } from "../../../anchor-service/src/service.ts";
import { fromHex, toHex } from "../../../common/bytes.ts";
import {
  directoryBytes,
  memberDirectoryCall,
  type MemberDirectory,
} from "../../../common/consortium/member-directory.ts";
import { sm2 } from "../../../common/crypto/sm2.ts";
import { readTrustAnchor, type TrustAnchor } from "../../../common/formats/bundle/trust-anchor.ts";
import { EvidenceKind } from "../../../common/formats/leaf/leaf.ts";
import { dayToDate } from "../../../common/lending/dates.ts";
import { loanIdOf } from "../../../common/lending/ids.ts";
import { RepaymentMethod } from "../../../common/lending/schedule.ts";
import type { EvidencePackage, EvidenceRole } from "../../../nodes/src/court-package/check.ts";
import { govern } from "../../../scripts/ops/deploy/consortium.ts";
import { ACCOUNT_OF, termsFor } from "../../contracts/lending.fixture.ts";
import { BRANCH_A, PLATFORM, startLendingChain, type LendingChain } from "../indexer/lending-chain.ts";
import { submitOverHttp } from "../../support/anchor-suite.ts";
import { sha256Hex } from "../../support/bundle.fixture.ts";
import { MEMBERS } from "../../support/consortium-chain.ts";

/** The loan's application on the platform: the loan id derives from it. */
export const APPLICATION = {
  applicationId: "PLT-CASE-2026-0042",
  originator: PLATFORM,
  recordId: "app-record-42",
};
const APPLICATION_SERIAL = keccak256(toUtf8Bytes(APPLICATION.applicationId));
export const LOAN = loanIdOf(PLATFORM, APPLICATION_SERIAL).toLowerCase();
export const DISBURSEMENT_SERIAL = keccak256(toUtf8Bytes("DSB-2026-0042"));

/** The anchor service's SM2 receipt key, the one the governed directory binds to the union. */
const RECEIPT_SM2_KEY = `0x${"6d".repeat(32)}`;
export const RECEIPT_SM2_PUBLIC = toHex(sm2.publicKeyOf(fromHex(RECEIPT_SM2_KEY)));

type Spec = {
  role: EvidenceRole;
  label: string;
  original: string;
  kind: number;
  subject: "loan" | "borrower";
};

export type CasePackageChain = {
  lc: LendingChain;
  anchorUrl: string;
  ledgerAddress: string;
  /** The block the lending contracts were deployed by (at most): where the loan's logs are looked for from. */
  deployBlock: number;
  trustAnchor: TrustAnchor;
  /** The governed member directory's bytes (fictional members: test data). */
  directory: Uint8Array;
  pkg: EvidencePackage;
  stop(): Promise<void>;
};

export async function startCasePackageChain(): Promise<CasePackageChain> {
  const lc = await startLendingChain();
  const { chain } = lc;
  const deployBlock = await chain.anvil.provider.getBlockNumber();
  const dataDir = await mkdtemp(join(tmpdir(), "case-package-chain-"));
  let anchorService: AnchorService | undefined;
  const stop = async () => {
    await anchorService?.close();
    await lc.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { addresses } = chain.deployment;
    const directory = directoryBytes(directoryOf(RECEIPT_SM2_PUBLIC));
    await govern(chain.deployment.governor, chain.approvers, [
      memberDirectoryCall(addresses.consortiumRegistry, directory),
    ]);
    anchorService = await createAnchorService({
      config: chain.config({
        dataDir,
        commitIntervalMs: 200,
        receiptSignatures: "eip712,sm2",
        receiptSm2Key: RECEIPT_SM2_KEY,
      }),
      inMemory: true,
      logger: false,
    });
    await anchorService.start();
    const anchorUrl = await anchorService.app.listen({ host: "127.0.0.1", port: 0 });
    const ledgerAddress = (await lc.ledger.getAddress()).toLowerCase();
    const pkg = await loanOnChain(lc, anchorUrl);
    const trustAnchor = await readTrustAnchor(chain.anvil.provider, {
      consortiumRegistry: addresses.consortiumRegistry,
      name: "court",
    });
    return { lc, anchorUrl, ledgerAddress, deployBlock, trustAnchor, directory, pkg, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The directory: the union, the log's operator, with `unionKey` as its SM2 receipt key (fictional: test data). */
export function directoryOf(unionKey: string | undefined): MemberDirectory {
  const union = { memberId: MEMBERS.union, uscc: "93330000MA00000014" };
  const names = { nameZh: "案卷测试联合社", nameEn: "Case Package Test Union" };
  const key = unionKey === undefined ? {} : { receiptSm2PublicKey: unionKey };
  return { version: 1, testData: true, members: [{ ...union, ...names, ...key }] };
}

/** Governance binds another SM2 key to the union: the service's own no longer counts. The new directory's bytes. */
export async function governOtherReceiptKey(fixture: Pick<CasePackageChain, "lc">): Promise<Uint8Array> {
  return governDirectory(fixture, directoryOf(toHex(sm2.generateKeyPair().publicKey)));
}

/** Governance adopts `directory` as the consortium's member directory; its bytes. */
export async function governDirectory(
  fixture: Pick<CasePackageChain, "lc">,
  directory: MemberDirectory,
): Promise<Uint8Array> {
  const bytes = directoryBytes(directory);
  const { chain } = fixture.lc;
  await govern(chain.deployment.governor, chain.approvers, [
    memberDirectoryCall(chain.deployment.addresses.consortiumRegistry, bytes),
  ]);
  return bytes;
}

/** Anchors the loan's records, registers and disburses the loan: its package, every item with its bundle. */
async function loanOnChain(lc: LendingChain, anchorUrl: string): Promise<EvidencePackage> {
  const { chain } = lc;
  const terms = termsFor({
    serial: APPLICATION_SERIAL,
    principalFen: 1_000_000n,
    aprBps: 1800,
    method: RepaymentMethod.EqualInstallment,
    startDate: dayToDate(await lc.today()),
    termMonths: 6,
    platformShareBps: 0,
    branch: BRANCH_A,
  });
  const subjects = { loan: LOAN, borrower: terms.borrowerKey.toLowerCase() };
  // the consent and the query are named by the decision record: their leaves first
  const first: Spec[] = [
    {
      role: "contract",
      label: "loan contract",
      original: "借款合同 LN-2026-0042 (PDF)",
      kind: EvidenceKind.Contract,
      subject: "loan",
    },
    {
      role: "consent",
      label: "credit-query consent",
      original: "征信查询授权书 CS-2026-0042 (PDF)",
      kind: EvidenceKind.Consent,
      subject: "borrower",
    },
    {
      role: "credit-query",
      label: "LOAN_APPROVAL query",
      original:
        '{"purpose":"LOAN_APPROVAL","reportDigest":"0x01","when":"2026-12-01T02:00:00.000Z","who":"approver"}',
      kind: EvidenceKind.CreditQuery,
      subject: "borrower",
    },
    {
      role: "voucher",
      label: DISBURSEMENT_SERIAL,
      original: "放款凭证 DSB-2026-0042: 10,000.00 CNY",
      kind: EvidenceKind.FundFlowVoucher,
      subject: "loan",
    },
    {
      role: "notice",
      label: "reminder-1 #1",
      original:
        '{"noticeId":"reminder-1","templateId":"overdue-reminder","channel":"sms","status":"delivered"}',
      kind: EvidenceKind.LifecycleNotice,
      subject: "loan",
    },
  ];
  const leavesOf = async (specs: Spec[]) => {
    const receipts = await submitOverHttp(
      anchorUrl,
      chain,
      specs.map((s) => ({
        kind: s.kind,
        digestAlgorithm: 1,
        digest: sha256Hex(s.original),
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: subjects[s.subject],
      })),
    );
    return receipts.map((r) => r.leafHash.toLowerCase());
  };
  const firstLeaves = await leavesOf(first);
  const decision: Spec = {
    role: "decision",
    label: "decision approve",
    original: JSON.stringify({
      applicationId: APPLICATION.recordId,
      consentLeafHash: firstLeaves[1],
      outcome: "approve",
      queryLeafHash: firstLeaves[2],
    }),
    kind: EvidenceKind.CreditDecision,
    subject: "borrower",
  };
  const specs = [...first, decision];
  const leaves = [...firstLeaves, ...(await leavesOf([decision]))];
  const bundles = await Promise.all(leaves.map((leaf) => waitForBundle(anchorUrl, leaf)));

  // the loan on chain: its contract and consent leaves, then the disbursement's voucher
  const { loanId } = await lc.register({ ...terms, contractLeaf: leaves[0]!, consentLeaf: leaves[1]! });
  expect(loanId.toLowerCase()).to.equal(LOAN);
  await lc.send(
    lc.ledgerAs(BRANCH_A).getFunction("disburse")(
      LOAN,
      terms.principal,
      ACCOUNT_OF[BRANCH_A]!,
      DISBURSEMENT_SERIAL,
      sha256Hex(specs[3]!.original),
    ),
  );
  return {
    loanId: LOAN,
    owner: BRANCH_A,
    application: APPLICATION,
    items: specs.map((s, i) => ({
      role: s.role,
      label: s.label,
      leafHash: leaves[i]!,
      originalBase64: Buffer.from(s.original).toString("base64"),
      bundle: bundles[i],
    })),
  };
}

async function waitForBundle(anchorUrl: string, leafHash: string): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${anchorUrl}/v1/bundles/${leafHash}`);
    if (r.status === 200) return r.json();
    if (Date.now() > deadline) throw new Error(`${leafHash} not anchored in time (last answer ${r.status})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

type RpcCall = { id: unknown; method: string; params?: unknown[] };
type RpcAnswer = { id: unknown; result?: unknown; error?: unknown };

/**
 * A JSON-RPC endpoint in front of `target` that answers as `lie` rewrites each result (by method),
 * and answers a browser's CORS preflight as a court's chain endpoint must. `calls` records what was
 * asked of it.
 */
export async function lyingEndpoint(
  target: string,
  lie: (method: string, result: unknown) => unknown,
): Promise<{ url: string; calls: RpcCall[]; close(): Promise<void> }> {
  const calls: RpcCall[] = [];
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "content-type",
    "access-control-allow-methods": "POST",
  };
  const server = createServer((req, res) => {
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcCall | RpcCall[];
      const asked = Array.isArray(body) ? body : [body];
      calls.push(...asked);
      void fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
        .then(async (reply) => {
          const answer = (await reply.json()) as RpcAnswer | RpcAnswer[];
          const told = (a: RpcAnswer) => {
            const method = asked.find((c) => c.id === a.id)?.method ?? "";
            return "result" in a ? { ...a, result: lie(method, a.result) } : a;
          };
          res
            .writeHead(200, { ...cors, "content-type": "application/json" })
            .end(JSON.stringify(Array.isArray(answer) ? answer.map(told) : told(answer)));
        })
        .catch(() => res.writeHead(502, cors).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An endpoint that hides every fund-flow voucher of the loan from eth_getLogs (keeps the registration). */
export const hidingVouchers = (target: string) =>
  lyingEndpoint(target, (method, result) =>
    method === "eth_getLogs" && Array.isArray(result) ? result.slice(0, 1) : result,
  );
