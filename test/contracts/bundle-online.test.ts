// verifyOnline (common/formats/bundle/verify.ts) against the deployed consortium: a real bundle built
// from a committed head passes every check with two agreeing endpoints; a head the chain lacks,
// a wrong block, a revoked or superseded leaf, a suspended submitter, endpoints that disagree or
// fail, a chain that lost the head and got it re-committed; and the CLI over HTTP JSON-RPC.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Interface,
  type Contract,
  type Signer,
  type Provider,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";
import { receiptDomain, signReceiptBatch } from "../../common/formats/receipt/receipts.ts";
import {
  signSubmission,
  submissionDomain,
  submissionProofOf,
} from "../../common/formats/receipt/submission.ts";
import type { TypedDataSigner } from "../../common/auth/eip712.ts";
import { toHex } from "../../common/bytes.ts";
import { CONSORTIUM_REGISTRY_ABI, EVIDENCE_LOG_ABI } from "../../common/chain/generated/abis.ts";
import { EVIDENCE_STATES } from "../../common/chain/generated/enums.ts";
import { buildBundle, parseBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import {
  DigestAlgorithm,
  EvidenceKind,
  encodeLeaf,
  leafHashOf,
  type EvidenceRecord,
} from "../../common/formats/leaf/leaf.ts";
import {
  CHECK_IDS,
  overall,
  verifyOffline,
  verifyOnline,
  type CheckId,
  type CheckResult,
} from "../../common/formats/bundle/verify.ts";
import {
  TRUST_ANCHOR_PATH,
  readTrustAnchor,
  trustAnchorFingerprint,
  trustAnchorJson,
  type TrustAnchor,
} from "../../common/formats/bundle/trust-anchor.ts";
import {
  consistencyProof,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../common/formats/merkle/rfc9162.ts";
import { EXIT_CODES, main } from "../../scripts/cli/verify.ts";
import { sha256Hex } from "../support/bundle.fixture.ts";
import { forgeLookalikeBundle } from "../support/forgery.fixture.ts";
import {
  BRANCH_A,
  BRANCH_B,
  PLATFORM,
  UNION,
  UNION_LOG,
  deployConsortium,
  type Consortium,
} from "./consortium.fixture.ts";

const DOCUMENT = new TextEncoder().encode("loan contract LN-2026-0042");
const DOCUMENT_DIGEST = sha256Hex(DOCUMENT);
const TARGET = 5;
const REVOKED_BY_SUBMITTER = 1; // reason code
/** The checks a chain answers (BUNDLE.md's checks 4 to 8). */
const CHAIN_CHECKS = ["headOnChain", "blockAndTime", "finality", "submitterMembership", "lifecycle"] as const;

function recordOf(label: string, digest: string, submitter: number): EvidenceRecord {
  return {
    version: 1,
    kind: EvidenceKind.Contract,
    digestAlgorithm: DigestAlgorithm.Sha256,
    digest,
    salt: sha256Hex(`salt ${label}`),
    submitter,
    subject: sha256Hex("loan LN-2026-0042"),
  };
}

/** Seven leaves; the document's at index 5, submitted by `submitter`. */
function records(submitter = BRANCH_A, prefix = "a"): EvidenceRecord[] {
  return Array.from({ length: 7 }, (_, i) =>
    i === TARGET
      ? recordOf(`${prefix} doc`, DOCUMENT_DIGEST, submitter)
      : recordOf(`${prefix} ${i}`, sha256Hex(`${prefix} other ${i}`), [PLATFORM, BRANCH_B][i % 2]!),
  );
}

type Committed = { treeSize: number; headIndex: number; receipt: TransactionReceipt };

/** Commits the head over `all` (extending the previous head of `previousSize`, if any). */
async function commit(c: Consortium, all: readonly EvidenceRecord[], previousSize = 0): Promise<Committed> {
  const hashes = all.map(leafHashOf);
  const proof =
    previousSize === 0 ? [] : consistencyProof(previousSize, all.length, memoRangeHasher(hashes)).map(toHex);
  const log = c.evidenceLog.connect(c.signers.unionAnchor) as Contract;
  const tx = await log.getFunction("commitHead")(
    UNION_LOG,
    all.length,
    toHex(rootFromLeafHashes(hashes)),
    proof,
  );
  const receipt = (await tx.wait()) as TransactionReceipt;
  const headIndex = Number(await c.evidenceLog.getFunction("headCount")(UNION_LOG)) - 1;
  return { treeSize: all.length, headIndex, receipt };
}

/** The operations key each member submits with. */
function opsOf(c: Consortium, member: number): TypedDataSigner {
  return {
    [UNION]: c.signers.unionOps,
    [BRANCH_A]: c.signers.branchAOps,
    [BRANCH_B]: c.signers.branchBOps,
    [PLATFORM]: c.signers.platformOps,
  }[member]!;
}

/**
 * A bundle for leaf `index` of `all` in the committed head, as the anchor service would build it.
 * The leaf's submission is signed by `submittedBy` (default: its submitter's operations key) over
 * a request of every leaf of `all` with the same submitter; null: no submission signature.
 */
async function bundleOf(
  c: Consortium,
  all: readonly EvidenceRecord[],
  index: number,
  head: Committed,
  submittedBy?: TypedDataSigner | null,
): Promise<EvidenceBundle> {
  const provider = c.ethers.provider;
  const network = await provider.getNetwork();
  const request = all.filter((r) => r.submitter === all[index]!.submitter);
  const signer = submittedBy === undefined ? opsOf(c, all[index]!.submitter) : submittedBy;
  let submission;
  if (signer !== null) {
    const requestHashes = request.map(leafHashOf);
    const signed = await signSubmission(
      signer,
      submissionDomain(network.chainId, await c.evidenceLog.getAddress()),
      UNION_LOG,
      requestHashes,
    );
    submission = submissionProofOf(requestHashes, request.indexOf(all[index]!), {
      signature: signed.signature,
      signer: await signer.getAddress(),
    });
  }
  const hashes = all.slice(0, head.treeSize).map(leafHashOf);
  const block = (await provider.getBlock(head.receipt.blockNumber))!;
  const leafHash = toHex(hashes[index]!);
  const status = await c.evidenceRegistry.getFunction("status")(leafHash);
  const endorsers: bigint[] = await c.evidenceRegistry.getFunction("endorsers")(leafHash);
  const replacement = String(status.replacement);
  return buildBundle({
    record: all[index]!,
    log: { logId: UNION_LOG, operatorMember: UNION, leafIndex: index },
    head: { treeSize: head.treeSize, rootHash: toHex(rootFromLeafHashes(hashes)), headIndex: head.headIndex },
    inclusionProof: inclusionProof(index, head.treeSize, memoRangeHasher(hashes)),
    anchor: {
      chainId: (await provider.getNetwork()).chainId,
      evidenceLog: await c.evidenceLog.getAddress(),
      evidenceRegistry: await c.evidenceRegistry.getAddress(),
      consortiumRegistry: await c.registry.getAddress(),
      transactionHash: head.receipt.hash,
      blockNumber: head.receipt.blockNumber,
      blockHash: block.hash!,
      blockTimestamp: block.timestamp,
    },
    status: {
      state: EVIDENCE_STATES[Number(status.state)]!,
      legalHold: Boolean(status.legalHold),
      replacement: /^0x0+$/.test(replacement) ? null : replacement,
      endorsements: endorsers.map(Number),
      checkedAtBlock: await provider.getBlockNumber(),
    },
    // the union's intake receipt, as its anchor service signs it (verified by blockAndTime)
    receipt: (
      await signReceiptBatch(
        c.signers.unionAnchor,
        receiptDomain((await provider.getNetwork()).chainId, await c.evidenceLog.getAddress()),
        {
          logId: UNION_LOG,
          firstSequence: 0,
          leafHashes: hashes,
          receivedAt: block.timestamp - 2,
          maxMergeDelaySeconds: 60,
        },
      )
    ).receipts[index],
    ...(submission === undefined ? {} : { submission }),
  });
}

const byId = (results: readonly CheckResult[], id: CheckId): CheckResult => results.find((r) => r.id === id)!;
const outcomes = (results: readonly CheckResult[]) =>
  Object.fromEntries(results.map((r) => [r.id, r.outcome]));
// these bundles carry no time-stamp token and the verifier trusts no TSA: trustedTime is
// indeterminate (checked in test/common/formats/bundle/trusted-time.test.ts)
const allPass = Object.fromEntries(
  CHECK_IDS.map((id) => [id, id === "trustedTime" ? "indeterminate" : "pass"]),
);
const except = (changes: Partial<Record<CheckId, string>>) => ({ ...allPass, ...changes });

/** Forwards everything to `target`; `call` results go through `edit` first. */
function withCall(target: Provider, edit: (data: string, result: string) => string): Provider {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === "call") {
        return async (tx: { data?: string }) => edit(tx.data ?? "0x", await t.call(tx));
      }
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** An endpoint whose every request fails, like a node that is down. */
function brokenProvider(target: Provider): Provider {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== "function") return value;
      return async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.9:8545");
      };
    },
  });
}

describe("evidence bundle, verified online (deployed)", function () {
  let c: Consortium;
  let provider: Provider;
  let anchor: TrustAnchor;

  beforeEach(async function () {
    c = await deployConsortium();
    provider = c.ethers.provider as unknown as Provider;
    // the deployer names the official evidence pair, as scripts/ops/deploy/consortium.ts does
    await (
      await c.registry.getFunction("bootstrapEvidenceContracts")(
        await c.evidenceLog.getAddress(),
        await c.evidenceRegistry.getAddress(),
      )
    ).wait();
    anchor = await readTrustAnchor(provider, {
      consortiumRegistry: await c.registry.getAddress(),
      name: "JointLedger test consortium",
    });
  });

  /** verifyOnline bound to the trust anchor, given the document's digest, asking `providers` (default: the one endpoint). */
  const verifyAt = (
    bundle: EvidenceBundle,
    providers: Provider[] = [provider],
    options: Partial<Parameters<typeof verifyOnline>[1]> = {},
  ) => verifyOnline(bundle, { trustAnchor: anchor, providers, documentDigest: DOCUMENT_DIGEST, ...options });

  /** `signer` calls the EvidenceRegistry's `fn` and waits for it to be mined. */
  async function registryCall(signer: Signer, fn: string, ...args: unknown[]): Promise<void> {
    await (await (c.evidenceRegistry.connect(signer) as Contract).getFunction(fn)(...args)).wait();
  }

  async function anchored(submitter = BRANCH_A) {
    const all = records(submitter);
    const head = await commit(c, all);
    return { all, head, bundle: await bundleOf(c, all, TARGET, head) };
  }

  it("passes every check of a real bundle against two agreeing endpoints", async function () {
    const { bundle } = await anchored();
    // a bundle written to JSON and read back is what a court receives
    const received = parseBundle(JSON.parse(JSON.stringify(bundle)));
    const results = await verifyAt(received, [provider, provider]);
    expect(outcomes(results), JSON.stringify(results, null, 1)).to.deep.equal(allPass);
    expect(overall(results)).to.equal("pass");
    expect(byId(results, "headOnChain").reason)
      .to.include("2 endpoints agree")
      .and.include(bundle.head.rootHash);
    expect(byId(results, "blockAndTime").reason).to.include(bundle.anchor.anchoredAt);
    expect(byId(results, "lifecycle").reason).to.equal(
      "anchored; not registered in the lifecycle registry (no revocation recorded) (2 endpoints agree)",
    );
    expect(byId(results, "submitterMembership").reason).to.include(`member ${BRANCH_A}`);
  });

  it("fails submitterMembership for a leaf the log's operator put in a member's name: unsigned, signed by the operator, or by another member", async function () {
    // The union's anchor key commits a leaf with submitter = branch A: head, receipt and lifecycle
    // are all genuine, since the operator decides what its log holds.
    const all = records(BRANCH_A);
    const head = await commit(c, all);
    const cases: Array<[TypedDataSigner | null, string]> = [
      [null, `the bundle carries no signature of the submitter, member ${BRANCH_A}, over the leaf`],
      [
        c.signers.unionAnchor,
        `signed by ${c.signers.unionAnchor.address}, member ${UNION}'s log-operator key at block ${head.receipt.blockNumber}, not an operations key of member ${BRANCH_A}`,
      ],
      [c.signers.unionOps, `signed by ${c.signers.unionOps.address}, member ${UNION}'s operations key`],
      [
        c.signers.branchBOps,
        `signed by ${c.signers.branchBOps.address}, member ${BRANCH_B}'s operations key`,
      ],
      [c.signers.branchAGov, `member ${BRANCH_A}'s governance key`],
      [c.signers.outsider, `signed by ${c.signers.outsider.address}, no member's key`],
    ];
    for (const [signer, reason] of cases) {
      const bundle = await bundleOf(c, all, TARGET, head, signer);
      const results = await verifyAt(bundle, [provider, provider]);
      expect(outcomes(results), reason).to.deep.equal(except({ submitterMembership: "fail" }));
      expect(byId(results, "submitterMembership").reason).to.include(reason);
      expect(overall(results)).to.equal("fail");
    }
    // the operator's signature relabelled as branch A's does not recover to branch A's key (offline too)
    const relabelled = await bundleOf(c, all, TARGET, head, c.signers.unionAnchor);
    relabelled.submission!.signer = c.signers.branchAOps.address;
    const offline = verifyOffline(relabelled);
    expect(byId(offline, "submitterMembership")).to.include({ outcome: "fail" });
    expect(byId(offline, "submitterMembership").reason).to.include(
      `recovers to ${c.signers.unionAnchor.address}, not to the signer it names, ${c.signers.branchAOps.address}`,
    );
    // another member's genuine submission proof moved onto branch A's leaf
    const moved = await bundleOf(c, all, TARGET, head);
    moved.submission = (await bundleOf(c, all, 0, head)).submission;
    expect(
      byId(await verifyOnline(moved, { trustAnchor: anchor, providers: [provider] }), "submitterMembership")
        .reason,
    ).to.include("does not place leaf");
  });

  it("fails the digest online too for another document", async function () {
    const { bundle } = await anchored();
    const results = await verifyOnline(bundle, {
      trustAnchor: anchor,
      providers: [provider],
      documentDigest: sha256Hex("forged contract"),
    });
    expect(outcomes(results)).to.deep.equal(except({ digest: "fail" }));
  });

  it("is indeterminate on finality until enough blocks are on top", async function () {
    const { bundle } = await anchored();
    let results = await verifyAt(bundle, [provider], { minConfirmations: 3 });
    expect(byId(results, "finality").outcome).to.equal("indeterminate");
    expect(overall(results)).to.equal("pass");
    await c.ethers.provider.send("hardhat_mine", ["0x3"]);
    results = await verifyAt(bundle, [provider], { minConfirmations: 3 });
    expect(byId(results, "finality")).to.include({ outcome: "pass" });
    expect(byId(results, "finality").reason).to.include("3 block(s) on top");
  });

  it("fails headOnChain for a head the chain does not have", async function () {
    const { all, head } = await anchored();
    // A valid tree of 8 leaves that was never committed: the math holds, the chain says no.
    const eight = [...all, recordOf("late", sha256Hex("late document"), PLATFORM)];
    const bundle = await bundleOf(c, eight, TARGET, { ...head, treeSize: 8 });
    const results = await verifyAt(bundle, [provider, provider]);
    expect(outcomes(results)).to.deep.include({
      merklePath: "pass",
      headOnChain: "fail",
      blockAndTime: "indeterminate",
    });
    expect(byId(results, "headOnChain").reason).to.include("no head of 8 leaves");
    expect(overall(results)).to.equal("fail");
  });

  it("fails headOnChain for a tree size the hashes cannot bind (7 → 8, same proof shape)", async function () {
    const { bundle } = await anchored();
    const resized = structuredClone(bundle);
    resized.head.treeSize = 8; // the proof still verifies offline (LOG.md): only the chain can tell
    const results = await verifyAt(resized);
    expect(outcomes(results)).to.deep.include({ merklePath: "pass", headOnChain: "fail" });
  });

  it("fails headOnChain on another chain id, an unknown log, a wrong operator or another EvidenceLog address", async function () {
    const { bundle } = await anchored();
    const cases: Array<[(b: EvidenceBundle) => void, string]> = [
      [(b) => (b.anchor.chainId = "1"), "the bundle names chain 1"],
      [(b) => (b.log.logId = sha256Hex("no such log")), "has no log"],
      [(b) => (b.log.operatorMember = BRANCH_B), `not member ${BRANCH_B}`],
      [
        (b) => (b.anchor.evidenceLog = "0x000000000000000000000000000000000000dead"),
        "is not the consortium's official EvidenceLog",
      ],
    ];
    for (const [corrupt, reason] of cases) {
      const b = structuredClone(bundle);
      corrupt(b);
      const results = await verifyOnline(b, { trustAnchor: anchor, providers: [provider] });
      expect(byId(results, "headOnChain"), reason).to.include({ outcome: "fail" });
      expect(byId(results, "headOnChain").reason).to.include(reason);
      expect(overall(results)).to.equal("fail");
    }
    const otherChain = structuredClone(bundle);
    otherChain.anchor.chainId = "1";
    const results = await verifyOnline(otherChain, { trustAnchor: anchor, providers: [provider] });
    expect(outcomes(results)).to.deep.include({
      submitterMembership: "indeterminate",
      lifecycle: "indeterminate",
    });
  });

  it("fails blockAndTime for a wrong block hash or an earlier claimed time", async function () {
    const { bundle } = await anchored();
    const wrongHash = structuredClone(bundle);
    wrongHash.anchor.blockHash = sha256Hex("some other block");
    let results = await verifyAt(wrongHash, [provider, provider]);
    expect(outcomes(results)).to.deep.equal(except({ blockAndTime: "fail" }));
    expect(byId(results, "blockAndTime").reason).to.include(`block ${bundle.anchor.blockNumber} has hash`);

    const earlier = structuredClone(bundle);
    earlier.anchor.blockTimestamp -= 3600;
    earlier.anchor.anchoredAt = new Date(earlier.anchor.blockTimestamp * 1000).toISOString();
    results = await verifyAt(parseBundle(earlier));
    expect(outcomes(results)).to.deep.equal(except({ blockAndTime: "fail" }));
    expect(byId(results, "blockAndTime").reason).to.include("the chain recorded the head at");
  });

  it("reports an active registered leaf with its endorsements, and fails it once revoked by its submitter", async function () {
    const { all, head } = await anchored();
    const hashes = all.map(leafHashOf);
    const proof = inclusionProof(TARGET, all.length, memoRangeHasher(hashes)).map(toHex);
    const leafHash = toHex(hashes[TARGET]!);
    // registered by its submitter, branch A
    await registryCall(
      c.signers.branchAOps,
      "register",
      encodeLeaf(all[TARGET]!),
      UNION_LOG,
      all.length,
      TARGET,
      proof,
    );
    await registryCall(c.signers.platformOps, "endorse", leafHash);
    const bundle = await bundleOf(c, all, TARGET, head);
    expect(bundle.status).to.deep.include({ state: "Active", endorsements: [PLATFORM] });
    let results = await verifyAt(bundle);
    expect(byId(results, "lifecycle")).to.include({ outcome: "pass" });
    expect(byId(results, "lifecycle").reason).to.include("endorsed by 1");

    await registryCall(c.signers.branchAOps, "revoke", leafHash, REVOKED_BY_SUBMITTER);
    results = await verifyAt(bundle, [provider, provider]);
    expect(outcomes(results)).to.deep.equal(except({ lifecycle: "fail" }));
    expect(byId(results, "lifecycle").reason).to.include("revoked").and.include("it was Active");
    expect(overall(results)).to.equal("fail");
  });

  it("fails a superseded leaf, naming its replacement", async function () {
    const { all, head } = await anchored();
    const hashes = all.map(leafHashOf);
    const hasher = memoRangeHasher(hashes);
    for (const i of [TARGET, 6]) {
      const proof = inclusionProof(i, all.length, hasher).map(toHex);
      // each by its submitter: branch A's document, the platform's leaf 6
      const submitter = i === TARGET ? c.signers.branchAOps : c.signers.platformOps;
      await registryCall(submitter, "register", encodeLeaf(all[i]!), UNION_LOG, all.length, i, proof);
    }
    const replacement = toHex(hashes[6]!);
    await registryCall(c.signers.branchAOps, "supersede", toHex(hashes[TARGET]!), replacement, 2);
    const results = await verifyOnline(await bundleOf(c, all, TARGET, head), {
      trustAnchor: anchor,
      providers: [provider],
    });
    expect(byId(results, "lifecycle")).to.include({ outcome: "fail" });
    expect(byId(results, "lifecycle").reason).to.include(replacement);
  });

  it("judges membership at the anchoring block: a later suspension passes, an earlier one fails", async function () {
    const { bundle } = await anchored(PLATFORM);
    await c.govern(c.registry, "suspendMember", [PLATFORM]);
    let results = await verifyAt(bundle, [provider, provider]);
    expect(byId(results, "submitterMembership")).to.include({ outcome: "pass" });
    expect(overall(results)).to.equal("pass");

    // Anchored while suspended (the union's service still commits the platform's leaves).
    const first = records(PLATFORM);
    const later = records(PLATFORM, "b");
    const head = await commit(c, [...first, ...later], first.length);
    const suspended = await bundleOf(c, [...first, ...later], first.length + TARGET, head);
    results = await verifyAt(suspended);
    expect(outcomes(results)).to.deep.equal(except({ submitterMembership: "fail" }));
    expect(byId(results, "submitterMembership").reason).to.include("suspended at block");
  });

  it("answers membership and the official pair on a node that keeps no historical state (the registry's checkpoints)", async function () {
    const { bundle } = await anchored();
    // a pruned node: any call at a block other than the latest fails as Besu's Bonsai storage does
    const pruned = new Proxy(provider, {
      get(t, prop) {
        if (prop === "call") {
          return async (tx: TransactionRequest) => {
            if (tx.blockTag !== undefined && tx.blockTag !== "latest") throw new Error("missing trie node");
            return t.call(tx);
          };
        }
        const value = Reflect.get(t, prop, t) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    });
    const results = await verifyOnline(bundle, { trustAnchor: anchor, providers: [pruned] });
    expect(byId(results, "submitterMembership")).to.include({ outcome: "pass" });
    expect(byId(results, "headOnChain")).to.include({ outcome: "pass" });
  });

  it("asks no registry the bundle names: another ConsortiumRegistry fails headOnChain, membership and lifecycle stay unasked", async function () {
    const { bundle } = await anchored();
    const forged = structuredClone(bundle);
    forged.anchor.consortiumRegistry = forged.anchor.evidenceRegistry;
    const results = await verifyOnline(forged, { trustAnchor: anchor, providers: [provider] });
    expect(outcomes(results)).to.deep.include({
      headOnChain: "fail",
      submitterMembership: "indeterminate",
      lifecycle: "indeterminate",
    });
    expect(byId(results, "headOnChain").reason).to.include(
      `not the trust anchor's ${(await c.registry.getAddress()).toLowerCase()}`,
    );
  });

  it("fails headOnChain when two endpoints disagree about the head's root, naming both answers", async function () {
    const { bundle } = await anchored();
    const abi = new Interface(EVIDENCE_LOG_ABI);
    const headSelector = abi.getFunction("head")!.selector;
    const forgedRoot = sha256Hex("another root");
    const liar = withCall(provider, (data, result) => {
      if (!data.startsWith(headSelector)) return result;
      const [h] = abi.decodeFunctionResult("head", result);
      return abi.encodeFunctionResult("head", [[h.treeSize, h.timestamp, h.blockNumber, forgedRoot]]);
    });
    const results = await verifyOnline(bundle, {
      trustAnchor: anchor,
      providers: [provider, liar],
      endpointNames: ["http://node-a:8545", "http://node-b:8545"],
      documentDigest: DOCUMENT_DIGEST,
    });
    expect(byId(results, "headOnChain").outcome).to.equal("fail");
    const reason = byId(results, "headOnChain").reason;
    expect(reason).to.include("disagree").and.include("http://node-a:8545").and.include("http://node-b:8545");
    expect(reason).to.include(bundle.head.rootHash).and.include(forgedRoot);
    expect(overall(results)).to.equal("fail");
  });

  it("turns an endpoint's errors into indeterminate checks, never an exception", async function () {
    const { bundle } = await anchored();
    const results = await verifyAt(bundle, [provider, brokenProvider(provider)]);
    for (const id of CHAIN_CHECKS) {
      expect(byId(results, id).outcome, id).to.equal("indeterminate");
      expect(byId(results, id).reason).to.include("endpoint 2: connect ECONNREFUSED");
    }
    expect(overall(results)).to.equal("indeterminate");
    // a revert-free failure inside one call is an error too
    const flaky = withCall(provider, (data, result) => {
      if (data.startsWith(new Interface(CONSORTIUM_REGISTRY_ABI).getFunction("statusAt")!.selector))
        throw new Error("request timeout");
      return result;
    });
    const partial = await verifyAt(bundle, [flaky]);
    expect(outcomes(partial)).to.deep.equal(except({ submitterMembership: "indeterminate" }));
  });

  it("checks the re-committed block after the chain lost the head", async function () {
    const all = records();
    const snapshot = await c.ethers.provider.send("evm_snapshot", []);
    const lost = await commit(c, all);
    const original = await bundleOf(c, all, TARGET, lost);
    // The chain is restored from an older dump: the head and its block are gone.
    await c.ethers.provider.send("evm_revert", [snapshot]);
    let results = await verifyAt(original);
    expect(byId(results, "headOnChain").outcome).to.equal("fail");

    await c.ethers.provider.send("hardhat_mine", ["0x2"]);
    const again = await commit(c, all);
    expect(again.receipt.blockNumber).to.not.equal(lost.receipt.blockNumber);
    const block = (await c.ethers.provider.getBlock(again.receipt.blockNumber))!;
    const recommitted = parseBundle({
      ...original,
      recommits: [
        {
          at: new Date().toISOString(),
          reason: "chain restored from a dump lost the head; re-committed",
          transactionHash: again.receipt.hash,
          blockNumber: again.receipt.blockNumber,
          blockHash: block.hash,
          blockTimestamp: block.timestamp,
        },
      ],
    });
    results = await verifyAt(recommitted, [provider, provider]);
    expect(outcomes(results), JSON.stringify(results, null, 1)).to.deep.equal(allPass);
    expect(byId(results, "blockAndTime").reason).to.include("re-committed");
    // without the recommit, the original block no longer holds the head
    results = await verifyAt(original);
    expect(outcomes(results)).to.deep.equal(except({ blockAndTime: "fail" }));
  });

  describe("bound to the trust anchor", function () {
    const forge = async () =>
      forgeLookalikeBundle(c.signers.outsider, {
        consortiumRegistry: await c.registry.getAddress(),
        logId: UNION_LOG,
        operatorMember: UNION,
        submitter: BRANCH_A,
      });

    it("fails forged evidence in a look-alike EvidenceLog that names the real registry and operator (not the official log)", async function () {
      const forged = await forge();
      // every hash holds and the head is on this chain: the math alone cannot tell
      const received = parseBundle(JSON.parse(JSON.stringify(forged.bundle)));
      const results = await verifyOnline(received, {
        trustAnchor: anchor,
        providers: [provider, provider],
        documentDigest: sha256Hex(forged.document),
      });
      expect(outcomes(results)).to.deep.include({
        digest: "pass",
        leafEncoding: "pass",
        merklePath: "pass",
        headOnChain: "fail",
      });
      expect(byId(results, "headOnChain").reason).to.include(
        `the bundle's EvidenceLog ${forged.evidenceLog} is not the consortium's official EvidenceLog ${(await c.evidenceLog.getAddress()).toLowerCase()}`,
      );
      for (const id of ["blockAndTime", "submitterMembership", "lifecycle"] as const)
        expect(byId(results, id).outcome, id).to.not.equal("pass");
      expect(overall(results)).to.equal("fail");
    });

    it("is indeterminate without a trust anchor, never a pass, even for genuine evidence", async function () {
      const { bundle } = await anchored();
      const forged = await forge();
      for (const [b, digest] of [
        [bundle, DOCUMENT_DIGEST],
        [forged.bundle, sha256Hex(forged.document)],
      ] as const) {
        const results = await verifyOnline(b, {
          trustAnchor: null,
          providers: [provider],
          documentDigest: digest,
        });
        for (const id of CHAIN_CHECKS) {
          expect(byId(results, id), id).to.include({ outcome: "indeterminate" });
          expect(byId(results, id).reason).to.include("no trust anchor");
        }
        expect(overall(results)).to.equal("indeterminate");
      }
    });

    it("fails headOnChain when the endpoint is not on the trust anchor's chain (chain id or genesis hash)", async function () {
      const { bundle } = await anchored();
      const cases: Array<[TrustAnchor, string]> = [
        [
          { ...anchor, chainId: "1" },
          `the endpoint serves chain ${anchor.chainId}, but the trust anchor names chain 1`,
        ],
        [
          { ...anchor, genesisHash: sha256Hex("another genesis") },
          `the endpoint's genesis block is ${anchor.genesisHash}, but the trust anchor names ${sha256Hex("another genesis")}`,
        ],
      ];
      for (const [wrong, reason] of cases) {
        const results = await verifyOnline(bundle, {
          trustAnchor: wrong,
          providers: [provider],
          documentDigest: DOCUMENT_DIGEST,
        });
        expect(byId(results, "headOnChain"), reason).to.include({ outcome: "fail" });
        expect(byId(results, "headOnChain").reason).to.include(reason);
        for (const id of ["blockAndTime", "submitterMembership", "lifecycle"] as const)
          expect(byId(results, id).outcome, id).to.equal("indeterminate");
        expect(overall(results)).to.equal("fail");
      }
    });

    it("fails headOnChain for a bundle naming another ConsortiumRegistry, even a whole second consortium's", async function () {
      const { bundle } = await anchored();
      // an outsider deploys a registry, log and lifecycle registry of its own: all real contracts
      const outsider = c.signers.outsider;
      const registry = (await c.ethers.deployContract(
        "ConsortiumRegistry",
        [],
        outsider,
      )) as unknown as Contract;
      const log = (await c.ethers.deployContract(
        "EvidenceLog",
        [await registry.getAddress()],
        outsider,
      )) as unknown as Contract;
      const lifecycle = (await c.ethers.deployContract(
        "EvidenceRegistry",
        [await registry.getAddress(), await log.getAddress()],
        outsider,
      )) as unknown as Contract;
      await (
        await registry.getFunction("bootstrapEvidenceContracts")(
          await log.getAddress(),
          await lifecycle.getAddress(),
        )
      ).wait();
      const forged = structuredClone(bundle);
      forged.anchor.consortiumRegistry = (await registry.getAddress()).toLowerCase();
      forged.anchor.evidenceLog = (await log.getAddress()).toLowerCase();
      forged.anchor.evidenceRegistry = (await lifecycle.getAddress()).toLowerCase();
      const results = await verifyAt(forged);
      expect(byId(results, "headOnChain")).to.include({ outcome: "fail" });
      expect(byId(results, "headOnChain").reason).to.include(
        `the bundle names the ConsortiumRegistry ${forged.anchor.consortiumRegistry}, not the trust anchor's ${anchor.consortiumRegistry}`,
      );
      expect(overall(results)).to.equal("fail");
    });

    it("fails headOnChain for the official log with another lifecycle registry, a log id not opened in it, or another operator", async function () {
      const { bundle } = await anchored();
      const cases: Array<[(b: EvidenceBundle) => void, string]> = [
        [
          (b) => (b.anchor.evidenceRegistry = b.anchor.consortiumRegistry),
          `is not the consortium's official EvidenceRegistry ${(await c.evidenceRegistry.getAddress()).toLowerCase()}`,
        ],
        [
          (b) => (b.log.logId = sha256Hex("a log governance never opened")),
          `the official EvidenceLog has no log ${sha256Hex("a log governance never opened")}`,
        ],
        [
          (b) => (b.log.operatorMember = BRANCH_B),
          `is operated by member ${UNION}, not member ${BRANCH_B} as the bundle says`,
        ],
      ];
      for (const [corrupt, reason] of cases) {
        const b = structuredClone(bundle);
        corrupt(b);
        const results = await verifyAt(b);
        expect(byId(results, "headOnChain"), reason).to.include({ outcome: "fail" });
        expect(byId(results, "headOnChain").reason).to.include(reason);
        expect(overall(results)).to.equal("fail");
      }
    });

    it("reads the official pair on chain: evidence stored while a pair was official still verifies after governance names another; a head added to the retired log later does not", async function () {
      const { all, bundle } = await anchored();
      const log = (await c.ethers.deployContract("EvidenceLog", [
        await c.registry.getAddress(),
      ])) as unknown as Contract;
      const lifecycle = (await c.ethers.deployContract("EvidenceRegistry", [
        await c.registry.getAddress(),
        await log.getAddress(),
      ])) as unknown as Contract;
      await c.govern(c.registry, "setEvidenceContracts", [
        await log.getAddress(),
        await lifecycle.getAddress(),
      ]);
      // the same trust anchor: the pair is read from the registry (at the head's block), not from the anchor file
      const results = await verifyAt(bundle);
      expect(outcomes(results), JSON.stringify(results, null, 1)).to.deep.equal(allPass);
      expect(byId(results, "headOnChain").reason)
        .to.include(`official one at block ${bundle.anchor.blockNumber}`)
        .and.include("governance has named another since");

      // the retired log's operator keeps committing: those heads are not the consortium's evidence
      const more = [...all, ...records(BRANCH_A, "b")];
      const later = await commit(c, more, all.length);
      const laterBundle = await bundleOf(c, more, all.length + TARGET, later);
      const refused = await verifyAt(laterBundle);
      expect(byId(refused, "headOnChain")).to.include({ outcome: "fail" });
      expect(byId(refused, "headOnChain").reason)
        .to.include(`not the consortium's official EvidenceLog ${(await log.getAddress()).toLowerCase()}`)
        .and.include("nor was it official when the bundle's head was stored");
      expect(overall(refused)).to.equal("fail");
    });
  });

  describe("the CLI over HTTP JSON-RPC", function () {
    let server: Server;
    let url: string;
    let dir: string;

    beforeEach(async function () {
      // A minimal JSON-RPC bridge to the in-process network, so the CLI's JsonRpcProvider is real.
      const eip1193 = c.connection.provider;
      server = createServer((req, res) => {
        // the consortium's published trust anchor, as an anchor service serves it
        if (req.method === "GET" && req.url === TRUST_ANCHOR_PATH) {
          res.setHeader("content-type", "application/json");
          res.end(trustAnchorJson(anchor));
          return;
        }
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", async () => {
          const one = async (m: { id: unknown; method: string; params?: unknown[] }) => {
            try {
              return {
                jsonrpc: "2.0",
                id: m.id,
                result: await eip1193.request({ method: m.method, params: m.params ?? [] }),
              };
            } catch (e) {
              const err = e as { code?: number; message: string; data?: unknown };
              return {
                jsonrpc: "2.0",
                id: m.id,
                error: { code: err.code ?? -32000, message: err.message, data: err.data },
              };
            }
          };
          const parsed = JSON.parse(body) as Parameters<typeof one>[0] | Parameters<typeof one>[0][];
          const reply = Array.isArray(parsed) ? await Promise.all(parsed.map(one)) : await one(parsed);
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(reply));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      dir = mkdtempSync(join(tmpdir(), "jl-verify-online-"));
    });

    afterEach(async function () {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    const sink = () => {
      let text = "";
      return { write: (t: string) => ((text += t), true), text: () => text };
    };

    it("passes (exit 0) against two URLs, fails (exit 1) for another file, indeterminate (exit 3) with a dead endpoint", async function () {
      const { bundle } = await anchored();
      writeFileSync(join(dir, "contract.pdf"), DOCUMENT);
      writeFileSync(join(dir, "forged.pdf"), "forged contract");
      writeFileSync(join(dir, "bundle.json"), JSON.stringify(bundle, null, 2));
      writeFileSync(join(dir, "trust-anchor.json"), trustAnchorJson(anchor));
      const trust = ["--trust", join(dir, "trust-anchor.json")];
      const out = sink();
      const code = await main(
        [join(dir, "contract.pdf"), join(dir, "bundle.json"), ...trust, "--rpc", url, "--rpc", `${url}/`],
        out,
        sink(),
      );
      expect(code, out.text()).to.equal(EXIT_CODES.pass);
      expect(out.text()).to.include("overall: PASS").and.include("2 endpoints agree");
      expect(out.text())
        .to.include(`fingerprint ${trustAnchorFingerprint(anchor)}`)
        .and.include(`ConsortiumRegistry ${anchor.consortiumRegistry}`);

      expect(
        await main(
          [join(dir, "forged.pdf"), join(dir, "bundle.json"), ...trust, "--rpc", url],
          sink(),
          sink(),
        ),
      ).to.equal(EXIT_CODES.fail);

      const dead = sink();
      const started = Date.now();
      const deadCode = await main(
        [
          join(dir, "contract.pdf"),
          join(dir, "bundle.json"),
          ...trust,
          "--rpc",
          url,
          "--rpc",
          "http://127.0.0.1:9",
          "--json",
        ],
        dead,
        sink(),
      );
      expect(deadCode, dead.text()).to.equal(EXIT_CODES.indeterminate);
      expect(Date.now() - started < 10_000).to.equal(true);
      const report = JSON.parse(dead.text()) as { checks: CheckResult[] };
      expect(report.checks.find((r) => r.id === "headOnChain")!.reason).to.include("http://127.0.0.1:9");
    });

    it("refuses the look-alike forgery (exit 1) with the trust anchor from the consortium's URL; without a trust anchor nothing passes (exit 3)", async function () {
      const forged = await forgeLookalikeBundle(c.signers.outsider, {
        consortiumRegistry: await c.registry.getAddress(),
        logId: UNION_LOG,
        operatorMember: UNION,
        submitter: BRANCH_A,
      });
      writeFileSync(join(dir, "forged-contract.pdf"), forged.document);
      writeFileSync(join(dir, "forged.json"), JSON.stringify(forged.bundle, null, 2));
      const args = [join(dir, "forged-contract.pdf"), join(dir, "forged.json"), "--rpc", url];

      const out = sink();
      const code = await main([...args, "--trust", `${url}${TRUST_ANCHOR_PATH}`], out, sink());
      expect(code, out.text()).to.equal(EXIT_CODES.fail);
      expect(out.text())
        .to.include("overall: FAIL")
        .and.include(
          `is not the consortium's official EvidenceLog ${(await c.evidenceLog.getAddress()).toLowerCase()}`,
        );
      expect(out.text()).to.include(`fingerprint ${trustAnchorFingerprint(anchor)}`);

      // no trust anchor: the same forgery, and a genuine bundle, are indeterminate, and the report says why
      const { bundle } = await anchored();
      writeFileSync(join(dir, "contract.pdf"), DOCUMENT);
      writeFileSync(join(dir, "bundle.json"), JSON.stringify(bundle, null, 2));
      for (const files of [
        [join(dir, "forged-contract.pdf"), join(dir, "forged.json")],
        [join(dir, "contract.pdf"), join(dir, "bundle.json")],
      ]) {
        const without = sink();
        expect(await main([...files, "--rpc", url], without, sink()), without.text()).to.equal(
          EXIT_CODES.indeterminate,
        );
        expect(without.text())
          .to.include("trust anchor: none (--trust not given)")
          .and.include("overall: INDETERMINATE");
      }

      // a trust anchor that cannot be read or is not one is bad input, not a verdict
      const err = sink();
      expect(await main([...args, "--trust", join(dir, "missing.json")], sink(), err)).to.equal(
        EXIT_CODES.badInput,
      );
      expect(err.text()).to.include("cannot read the trust anchor file");
      writeFileSync(join(dir, "bad-anchor.json"), JSON.stringify({ ...anchor, genesisHash: "0x12" }));
      const bad = sink();
      expect(await main([...args, "--trust", join(dir, "bad-anchor.json")], sink(), bad)).to.equal(
        EXIT_CODES.badInput,
      );
      expect(bad.text()).to.include("trustAnchor.genesisHash");
    });
  });
});
