// Verify a document against its evidence bundle, offline and optionally against chain endpoints:
//
//   node scripts/cli/verify.ts <file> <bundle.json> [--rpc URL]... [--json] [--min-confirmations N]
//
// Exit codes: 0 pass, 1 fail, 2 bad input (arguments, unreadable file, invalid bundle),
// 3 indeterminate. The checks and what they mean: common/evidence/BUNDLE.md.
import { createHash, getHashes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseArgs as parseNodeArgs } from "node:util";
import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { parseBundleJson, type EvidenceBundle } from "../../common/evidence/bundle.ts";
import { DigestAlgorithm } from "../../common/evidence/leaf.ts";
import { overall, verifyOffline, verifyOnline, type CheckId, type CheckResult, type Outcome } from "../../common/evidence/verify.ts";

export const USAGE = "usage: node scripts/cli/verify.ts <file> <bundle.json> [--rpc URL]... [--json] [--min-confirmations N]";
export const EXIT_CODES = { pass: 0, fail: 1, badInput: 2, indeterminate: 3 } as const;
/** Per request; a hung endpoint makes its checks indeterminate instead of hanging the CLI. */
const RPC_TIMEOUT_MS = 30_000;

export type CliArgs = { file: string; bundle: string; rpc: string[]; json: boolean; minConfirmations: number; help: boolean };

/** Throws an Error whose message says what to fix. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseNodeArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      rpc: { type: "string", multiple: true },
      json: { type: "boolean" },
      "min-confirmations": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const help = values.help === true;
  if (!help && positionals.length !== 2) throw new Error(`expected <file> and <bundle.json>, got ${positionals.length} argument(s)`);
  const rawMin = values["min-confirmations"] ?? "0";
  if (!/^[0-9]{1,9}$/.test(rawMin)) throw new Error(`--min-confirmations must be a whole number, got "${rawMin}"`);
  const rpc = values.rpc ?? [];
  for (const url of rpc) {
    if (!/^https?:\/\//.test(url)) throw new Error(`--rpc must be an http(s) URL, got "${url}"`);
  }
  return { file: positionals[0] ?? "", bundle: positionals[1] ?? "", rpc, json: values.json === true, minConfirmations: Number(rawMin), help };
}

/** The digest of the file under the leaf's algorithm, or undefined if this verifier lacks it. */
export async function digestFile(path: string, algorithm: number): Promise<string | undefined> {
  // SM3 (GB/T 32905) comes from Node's OpenSSL when it was built with it.
  const name = algorithm === DigestAlgorithm.Sha256 ? "sha256" : algorithm === DigestAlgorithm.Sm3 ? "sm3" : undefined;
  if (name === undefined || !getHashes().includes(name)) return undefined;
  const hash = createHash(name);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}

export function renderTable(results: readonly CheckResult[], outcome: Outcome): string {
  const rows = [["check", "outcome", "reason"], ...results.map((r) => [r.id, r.outcome, r.reason])];
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  const lines = rows.map(([a, b, c]) => `${a!.padEnd(w0)}  ${b!.padEnd(w1)}  ${c}`);
  lines.splice(1, 0, `${"-".repeat(w0)}  ${"-".repeat(w1)}  ------`);
  return `${lines.join("\n")}\n\noverall: ${outcome.toUpperCase()}\n`;
}

export function renderJson(results: readonly CheckResult[], outcome: Outcome, bundle: EvidenceBundle): string {
  const { leafHash } = bundle.leaf;
  return `${JSON.stringify({ overall: outcome, leafHash, chainId: bundle.anchor.chainId, checks: results }, null, 2)}\n`;
}

/**
 * Stricter than `overall`'s default: the CLI was given the document, so a pass must include its
 * digest (an SM3 leaf without SM3 support is indeterminate, not pass); online, the time too.
 */
export function requiredChecks(online: boolean): CheckId[] {
  return ["digest", "leafEncoding", "merklePath", "headOnChain", ...(online ? (["blockAndTime"] as const) : [])];
}

/** user:password in a URL stays out of the report. */
export function endpointName(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}

type Output = { write(text: string): unknown };

export async function main(argv: readonly string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  let args: CliArgs;
  let bundle: EvidenceBundle;
  let documentDigest: string | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      out.write(`${USAGE}\n`);
      return EXIT_CODES.pass;
    }
    bundle = parseBundleJson(await readFile(args.bundle, "utf8"));
    documentDigest = await digestFile(args.file, bundle.leaf.record.digestAlgorithm);
  } catch (e) {
    err.write(`verify: ${(e as Error).message}\n${USAGE}\n`);
    return EXIT_CODES.badInput;
  }
  let results: CheckResult[];
  if (args.rpc.length === 0) {
    results = verifyOffline(bundle, { documentDigest });
  } else {
    // staticNetwork: no start-up probing and retrying; the checks ask eth_chainId themselves.
    const network = Network.from(BigInt(bundle.anchor.chainId));
    const providers = args.rpc.map((url) => {
      const request = new FetchRequest(url);
      request.timeout = RPC_TIMEOUT_MS;
      return new JsonRpcProvider(request, network, { staticNetwork: network });
    });
    try {
      results = await verifyOnline(bundle, { providers, documentDigest, endpointNames: args.rpc.map(endpointName), minConfirmations: args.minConfirmations });
    } finally {
      for (const p of providers) p.destroy();
    }
  }
  if (documentDigest === undefined) {
    results = results.map((r) => (r.id === "digest" ? { ...r, reason: "SM3 not supported by this verifier" } : r));
  }
  const outcome = overall(results, requiredChecks(args.rpc.length > 0));
  out.write(args.json ? renderJson(results, outcome, bundle) : renderTable(results, outcome));
  return EXIT_CODES[outcome];
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
