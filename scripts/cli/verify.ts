// Verify a document against its evidence bundle, offline and optionally against chain endpoints:
//
//   node scripts/cli/verify.ts <file> <bundle.json> [--trust FILE|URL] [--rpc URL]... [--tsa-trust FILE]... [--json] [--min-confirmations N]
//
// Online checks need the consortium's trust anchor (--trust): without it they are indeterminate
// and the result cannot pass. Exit codes: 0 pass, 1 fail, 2 bad input (arguments, unreadable
// file, invalid bundle or trust anchor), 3 indeterminate. The checks and what they mean:
// common/formats/bundle/BUNDLE.md.
// With --member-directory, the receipt's SM2 key is checked against the key the governed member
// directory binds to the log's operator (the file's SHA-256 must be the one governed on the trust
// anchor's chain), not taken on the anchor service's word.
import { createHash, getHashes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseArgs as parseNodeArgs } from "node:util";
import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { parseBundleJson, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { governedReceiptKey } from "../../common/consortium/member-directory.ts";
import {
  governedSm2KeyAt,
  ReceiptSchema,
  receiptDomain,
  verifyGovernedReceipt,
  type GovernedSm2Key,
} from "../../common/formats/receipt/receipts.ts";
import { DigestAlgorithm } from "../../common/formats/leaf/leaf.ts";
import {
  loadTrustAnchor,
  trustAnchorFingerprint,
  type TrustAnchor,
} from "../../common/formats/bundle/trust-anchor.ts";
import { loadTrustAnchors, type TrustAnchors } from "../../common/pki/trust-anchors.ts";
import {
  overall,
  verifyOffline,
  verifyOnline,
  verifyTrustedTime,
  type CheckId,
  type CheckResult,
  type Outcome,
} from "../../common/formats/bundle/verify.ts";
import { checkWitnesses } from "../../common/formats/checkpoint/bundle-witnesses.ts";
import { parsePolicy, type Policy } from "../../common/formats/checkpoint/policy.ts";
import { testEnvironmentOf } from "../../nodes/src/court-page/report.ts";

export const USAGE =
  "usage: node scripts/cli/verify.ts <file> <bundle.json> [--trust FILE|URL] [--rpc URL]... [--tsa-trust FILE]... [--witness-policy FILE] [--receipt-sm2-key HEX] [--member-directory FILE] [--json] [--min-confirmations N]";
export const HELP = `${USAGE}

Checks that <file> is the document <bundle.json> was made for and, with --rpc, that the chain
agrees: the head is on the consortium's chain, in the consortium's official EvidenceLog, at the
stated block and time; the submitter was an active member then; nobody revoked it since.

  --trust FILE|URL         the consortium's trust anchor (chain id, genesis hash, ConsortiumRegistry):
                           a file the court keeps, or the consortium's published URL, e.g.
                           https://evidence.example.org/.well-known/jointledger-trust-anchor.json
                           (plain http:// only from this machine: localhost, 127.x, [::1]).
                           Required for online checks: without it they are indeterminate, never pass.
                           Its fingerprint is printed: compare it with the one the consortium publishes.
  --rpc URL                a chain JSON-RPC endpoint; repeat for several (their answers must agree)
  --tsa-trust FILE         PEM root(s) of the time-stamping authorities trusted (e.g. the national
                           time service's; npm start's demo TSA: data/tsa/demo-root-ca.pem); repeat for
                           several. trustedTime checks the bundle's RFC 3161 tokens against them, offline
                           too, and must then pass; without it trustedTime is indeterminate, never pass.
  --witness-policy FILE    the court's C2SP tlog-policy file (the log's key, the witnesses', the quorum):
                           the bundle's cosigned checkpoint must meet it and hold the leaf (witnesses),
                           offline too; a forked or re-signed checkpoint fails, a missing one cannot pass
  --receipt-sm2-key HEX    国密: the anchor service's SM2 receipt key (0x04 + 128 hex digits; its /v1/info
                           receiptSm2PublicKey): the intake receipt must carry a valid SM2 signature under
                           it, else blockAndTime fails. With --member-directory it must be the governed key.
  --member-directory FILE  the consortium's member directory (npm start: data/member-directory.json); needs
                           --trust and --rpc: refused unless its SHA-256 is the one governance set on that
                           chain. The receipt's SM2 signature is then accepted only under the key it binds
                           to the log's operator (required when one is bound); another key fails blockAndTime
                           with RECEIPT_SM2_KEY_NOT_GOVERNED
  --json                   print { overall, leafHash, chainId, trustAnchor, checks } as JSON
  --min-confirmations N    blocks required on top of the anchoring block (default 0)
  -h, --help               this text

Evidence on a development chain (chain id 31337) is reported as a test: the table starts with
"测试环境 — 非正式证据 / Test environment — not evidence", the JSON carries testEnvironment.

Exit codes: 0 pass, 1 fail, 2 bad input, 3 indeterminate. Details: common/formats/bundle/BUNDLE.md.
`;
export const EXIT_CODES = { pass: 0, fail: 1, badInput: 2, indeterminate: 3 } as const;
/** Development chains (the nodes' NODE_TEST_CHAIN_IDS default): a report on their evidence is marked a test. */
export const DEVELOPMENT_CHAIN_IDS: readonly number[] = [31337];
/** Per request; a hung endpoint makes its checks indeterminate instead of hanging the CLI. */
const RPC_TIMEOUT_MS = 30_000;

export type CliArgs = {
  file: string;
  bundle: string;
  rpc: string[];
  trust: string | undefined;
  tsaTrust: string[];
  /** Only present when given. */
  witnessPolicy?: string;
  /** Only present when given. */
  receiptSm2Key?: string;
  /** Only present when given. */
  memberDirectory?: string;
  json: boolean;
  minConfirmations: number;
  help: boolean;
};

/** Throws an Error whose message says what to fix. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseNodeArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      rpc: { type: "string", multiple: true },
      trust: { type: "string" },
      "tsa-trust": { type: "string", multiple: true },
      "witness-policy": { type: "string" },
      "receipt-sm2-key": { type: "string" },
      "member-directory": { type: "string" },
      json: { type: "boolean" },
      "min-confirmations": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const help = values.help === true;
  if (!help && positionals.length !== 2)
    throw new Error(`expected <file> and <bundle.json>, got ${positionals.length} argument(s)`);
  const rawMin = values["min-confirmations"] ?? "0";
  if (!/^[0-9]{1,9}$/.test(rawMin))
    throw new Error(`--min-confirmations must be a whole number, got "${rawMin}"`);
  const rpc = values.rpc ?? [];
  for (const url of rpc) {
    if (!/^https?:\/\//.test(url)) throw new Error(`--rpc must be an http(s) URL, got "${url}"`);
  }
  const receiptSm2Key = values["receipt-sm2-key"];
  if (receiptSm2Key !== undefined && !/^0x04[0-9a-fA-F]{128}$/.test(receiptSm2Key))
    throw new Error(`--receipt-sm2-key must be 0x04 and 128 hex digits (an uncompressed SM2 public key)`);
  const trust = values.trust;
  if (trust !== undefined && trust.trim() === "") throw new Error("--trust needs a file or an http(s) URL");
  const memberDirectory = values["member-directory"];
  if (memberDirectory !== undefined && (trust === undefined || rpc.length === 0))
    throw new Error(
      "--member-directory needs --trust and --rpc: the file counts only if its SHA-256 is the one governed on the consortium's chain",
    );
  return {
    file: positionals[0] ?? "",
    bundle: positionals[1] ?? "",
    rpc,
    trust,
    tsaTrust: values["tsa-trust"] ?? [],
    ...(values["witness-policy"] === undefined ? {} : { witnessPolicy: values["witness-policy"] }),
    ...(receiptSm2Key === undefined ? {} : { receiptSm2Key }),
    ...(memberDirectory === undefined ? {} : { memberDirectory }),
    json: values.json === true,
    minConfirmations: Number(rawMin),
    help,
  };
}

/** The digest of the file under the leaf's algorithm, or undefined if this verifier lacks it. */
export async function digestFile(path: string, algorithm: number): Promise<string | undefined> {
  // SM3 (GB/T 32905) comes from Node's OpenSSL when it was built with it.
  const name =
    algorithm === DigestAlgorithm.Sha256 ? "sha256" : algorithm === DigestAlgorithm.Sm3 ? "sm3" : undefined;
  if (name === undefined || !getHashes().includes(name)) return undefined;
  const hash = createHash(name);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}

/** The trust anchor in one line, for the report: a court compares the fingerprint with the published one. */
export function trustAnchorLine(anchor: TrustAnchor | undefined): string {
  if (anchor === undefined)
    return "trust anchor: none (--trust not given): the chain cannot be checked, so the result cannot pass";
  return `trust anchor: ${anchor.name}, chain ${anchor.chainId}, ConsortiumRegistry ${anchor.consortiumRegistry.toLowerCase()}, fingerprint ${trustAnchorFingerprint(anchor)}`;
}

/** Above the table for evidence on a development chain: whatever the outcome, it proves nothing. */
export function testEnvironmentLine(chainId: string): string {
  return `${testEnvironmentOf(chainId, DEVELOPMENT_CHAIN_IDS)!.notice}: chain ${chainId} is a development chain, whose finality is only its own node's word; nothing verified here is evidence`;
}

export function renderTable(
  results: readonly CheckResult[],
  outcome: Outcome,
  anchor?: TrustAnchor,
  online = false,
): string {
  const rows = [["check", "outcome", "reason"], ...results.map((r) => [r.id, r.outcome, r.reason])];
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  const lines = rows.map(([a, b, c]) => `${a!.padEnd(w0)}  ${b!.padEnd(w1)}  ${c}`);
  lines.splice(1, 0, `${"-".repeat(w0)}  ${"-".repeat(w1)}  ------`);
  const head = anchor !== undefined || online ? `${trustAnchorLine(anchor)}\n\n` : "";
  return `${head}${lines.join("\n")}\n\noverall: ${outcome.toUpperCase()}\n`;
}

export function renderJson(
  results: readonly CheckResult[],
  outcome: Outcome,
  bundle: EvidenceBundle,
  anchor?: TrustAnchor,
): string {
  const { leafHash } = bundle.leaf;
  const trustAnchor =
    anchor === undefined
      ? null
      : {
          name: anchor.name,
          chainId: anchor.chainId,
          genesisHash: anchor.genesisHash.toLowerCase(),
          consortiumRegistry: anchor.consortiumRegistry.toLowerCase(),
          fingerprint: trustAnchorFingerprint(anchor),
        };
  const testEnvironment = testEnvironmentOf(bundle.anchor.chainId, DEVELOPMENT_CHAIN_IDS);
  return `${JSON.stringify({ overall: outcome, leafHash, chainId: bundle.anchor.chainId, testEnvironment, trustAnchor, checks: results }, null, 2)}\n`;
}

/**
 * Stricter than `overall`'s default: the CLI was given the document, so a pass must include its
 * digest (an SM3 leaf without SM3 support is indeterminate, not pass); online, the time too.
 */
export function requiredChecks(online: boolean, trustedTime = false): CheckId[] {
  return [
    "digest",
    "leafEncoding",
    "merklePath",
    "headOnChain",
    ...(online ? (["blockAndTime"] as const) : []),
    ...(trustedTime ? (["trustedTime"] as const) : []),
  ];
}

/** user:password in a URL stays out of the report. */
export function endpointName(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}

type Output = { write(text: string): unknown };

/** staticNetwork: no start-up probing and retrying; the checks ask eth_chainId themselves. */
function rpcProvider(url: string, network: Network): JsonRpcProvider {
  const request = new FetchRequest(url);
  request.timeout = RPC_TIMEOUT_MS;
  return new JsonRpcProvider(request, network, { staticNetwork: network });
}

/**
 * The SM2 receipt key the governed directory binds to the bundle's log (`key` undefined: none),
 * from the directory file and the trust anchor's chain. Throws, saying why, for a directory that
 * is not the governed one or a --receipt-sm2-key other than the governed key (the one in force at
 * the receipt's receivedAt, `keys` every governed key with its period).
 */
async function governedReceiptSm2(
  args: CliArgs & { memberDirectory: string },
  anchor: TrustAnchor,
  bundle: EvidenceBundle,
): Promise<{ key: string | undefined; keys: GovernedSm2Key[] }> {
  const provider = rpcProvider(args.rpc[0]!, Network.from(BigInt(anchor.chainId)));
  try {
    const bytes = await readFile(args.memberDirectory);
    const governed = await governedReceiptKey(
      bytes,
      provider,
      { consortiumRegistry: anchor.consortiumRegistry, evidenceLog: bundle.anchor.evidenceLog },
      bundle.log.logId,
    ).catch((e: Error) => {
      throw new Error(`the member directory ${args.memberDirectory} is refused: ${e.message}`);
    });
    // the key in force when the receipt was issued: a rotated-out key still answers for its period
    const receivedAt = ReceiptSchema.safeParse(bundle.receipt).data?.receivedAt;
    const key =
      receivedAt === undefined
        ? governed.sm2PublicKey
        : governedSm2KeyAt(governed.sm2Keys, Date.parse(receivedAt) / 1000)?.publicKey;
    if (args.receiptSm2Key !== undefined && args.receiptSm2Key.toLowerCase() !== key)
      throw new Error(
        `--receipt-sm2-key ${args.receiptSm2Key} is not the SM2 receipt key the governed member directory binds to member ${governed.operatorMemberId}, the log's operator (${key ?? "none"})`,
      );
    return { key, keys: governed.sm2Keys };
  } finally {
    provider.destroy();
  }
}

/** `results` with blockAndTime failed when the receipt's SM2 key is not the governed one. */
function requireGovernedSm2(
  results: CheckResult[],
  bundle: EvidenceBundle,
  governed: { keys: GovernedSm2Key[] },
): CheckResult[] {
  if (bundle.receipt === undefined) return results;
  const domain = receiptDomain(BigInt(bundle.anchor.chainId), bundle.anchor.evidenceLog);
  const verified = verifyGovernedReceipt(domain, bundle.receipt, undefined, governed.keys);
  if (verified.ok) return results;
  const reason = `the intake receipt does not verify under the governed SM2 receipt key (${verified.code}: ${verified.reason})`;
  return results.map((r) => (r.id === "blockAndTime" ? { id: r.id, outcome: "fail", reason } : r));
}

export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  let args: CliArgs;
  let bundle: EvidenceBundle;
  let documentDigest: string | undefined;
  let anchor: TrustAnchor | undefined;
  let tsaTrustAnchors: TrustAnchors | null = null;
  let witnessPolicy: Policy | undefined;
  let governedSm2: { key: string | undefined; keys: GovernedSm2Key[] } | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      out.write(HELP);
      return EXIT_CODES.pass;
    }
    bundle = parseBundleJson(await readFile(args.bundle, "utf8"));
    documentDigest = await digestFile(args.file, bundle.leaf.record.digestAlgorithm);
    if (args.trust !== undefined) anchor = await loadTrustAnchor(args.trust);
    if (args.tsaTrust.length > 0) tsaTrustAnchors = await loadTrustAnchors(args.tsaTrust);
    if (args.witnessPolicy !== undefined)
      witnessPolicy = parsePolicy(await readFile(args.witnessPolicy, "utf8"));
    if (args.memberDirectory !== undefined) {
      governedSm2 = await governedReceiptSm2(
        { ...args, memberDirectory: args.memberDirectory },
        anchor!,
        bundle,
      );
      // the governed key, no other, is the one the receipt must carry
      if (governedSm2.key !== undefined) args = { ...args, receiptSm2Key: governedSm2.key };
    }
  } catch (e) {
    err.write(`verify: ${(e as Error).message}\n${USAGE}\n`);
    return EXIT_CODES.badInput;
  }
  let results: CheckResult[];
  if (args.rpc.length === 0) {
    const options = {
      documentDigest,
      trustedTime: { tsaTrustAnchors },
      ...(args.receiptSm2Key === undefined ? {} : { receiptSm2Key: args.receiptSm2Key }),
    };
    results = await verifyTrustedTime(bundle, verifyOffline(bundle, options), options);
  } else {
    const network = Network.from(BigInt(bundle.anchor.chainId));
    const providers = args.rpc.map((url) => rpcProvider(url, network));
    try {
      results = await verifyOnline(bundle, {
        trustAnchor: anchor ?? null,
        providers,
        documentDigest,
        endpointNames: args.rpc.map(endpointName),
        minConfirmations: args.minConfirmations,
        trustedTime: { tsaTrustAnchors },
        ...(args.receiptSm2Key === undefined ? {} : { receiptSm2Key: args.receiptSm2Key }),
      });
    } finally {
      for (const p of providers) p.destroy();
    }
  }
  if (governedSm2 !== undefined) results = requireGovernedSm2(results, bundle, governedSm2);
  if (documentDigest === undefined) {
    results = results.map((r) =>
      r.id === "digest" ? { ...r, reason: "SM3 not supported by this verifier" } : r,
    );
  }
  let outcome = overall(results, requiredChecks(args.rpc.length > 0, tsaTrustAnchors !== null));
  // witnesses: checked only against a policy the court gave; then its quorum must hold to pass
  const witnesses =
    witnessPolicy === undefined
      ? undefined
      : checkWitnesses(
          { ...bundle, leafHash: bundle.leaf.leafHash, leafIndex: bundle.log.leafIndex },
          witnessPolicy,
        );
  if (witnesses !== undefined && outcome !== "fail" && witnesses.outcome !== "pass")
    outcome = witnesses.outcome;
  const mark = testEnvironmentOf(bundle.anchor.chainId, DEVELOPMENT_CHAIN_IDS);
  const report = args.json
    ? renderJson(results, outcome, bundle, anchor)
    : `${mark === null ? "" : `${testEnvironmentLine(mark.chainId)}\n\n`}${renderTable(results, outcome, anchor, args.rpc.length > 0)}`;
  out.write(
    witnesses === undefined
      ? report
      : args.json
        ? `${JSON.stringify({ ...(JSON.parse(report) as object), witnesses: { outcome: witnesses.outcome, reason: witnesses.reason } }, null, 2)}\n`
        : `${report}witnesses: ${witnesses.outcome} — ${witnesses.reason}\n`,
  );
  return EXIT_CODES[outcome];
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
