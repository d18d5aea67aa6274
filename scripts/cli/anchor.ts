// Anchor documents: hash each file locally (the document never leaves this machine), submit the
// digests in signed batches, wait until they are anchored on chain, and write one evidence
// bundle per file plus a summary table.
//
//   node scripts/cli/anchor.ts <file or folder>... [--service URL] [--out DIR] [--kind N]
//        [--sm3] [--batch N] [--timeout SECONDS] [--keystore FILE] [--member ID]
//
// The member's key: JL_PRIVATE_KEY, or --keystore FILE with its password in JL_KEYSTORE_PASSWORD.
// The member's id: --member, or JL_MEMBER_ID (the records' submitter: each batch is signed as the
// member's own EvidenceSubmission over the records' leaf hashes, which carry it).
// The service: --service, or JL_ANCHOR_URL (default http://127.0.0.1:9545).
import { createHash, getHashes, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs as parseNodeArgs } from "node:util";
import { Wallet } from "ethers";
import type { Receipt } from "../../common/formats/receipt/receipts.ts";
import { requestDomain, signRequest } from "../../common/auth/request-signing.ts";
import { submissionHeaders } from "../../common/anchor/client.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";

export const USAGE =
  "usage: node scripts/cli/anchor.ts <file or folder>... [--service URL] [--out DIR] [--kind N] [--sm3] [--batch N] [--timeout SECONDS] [--keystore FILE] [--member ID]";

export type AnchorArgs = {
  paths: string[];
  service: string;
  out: string | undefined;
  kind: number;
  sm3: boolean;
  batch: number;
  timeoutSeconds: number;
  keystore: string | undefined;
  memberId: number;
};

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): AnchorArgs {
  const { values, positionals } = parseNodeArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      service: { type: "string" },
      out: { type: "string" },
      kind: { type: "string" },
      sm3: { type: "boolean" },
      batch: { type: "string" },
      timeout: { type: "string" },
      keystore: { type: "string" },
      member: { type: "string" },
    },
  });
  if (positionals.length === 0) throw new Error("name at least one file or folder to anchor");
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new Error(`--${name} must be a whole number in ${min}..${max}, got "${raw}"`);
    return Number(raw);
  };
  return {
    paths: positionals,
    service: (values.service ?? env.JL_ANCHOR_URL ?? "http://127.0.0.1:9545").replace(/\/$/, ""),
    out: values.out,
    kind: int("kind", values.kind, EvidenceKind.Document, 1, 7),
    sm3: values.sm3 === true,
    batch: int("batch", values.batch, 1000, 1, 10_000),
    timeoutSeconds: int("timeout", values.timeout, 120, 1, 86_400),
    keystore: values.keystore,
    memberId: memberIdOf(values.member ?? env.JL_MEMBER_ID),
  };
}

function memberIdOf(raw: string | undefined): number {
  if (raw === undefined) throw new Error("set --member (or JL_MEMBER_ID) to the member id the key belongs to: the records are signed as that member's");
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > 0xffff_ffff) throw new Error(`--member must be a whole number in 1..4294967295, got "${raw}"`);
  return Number(raw);
}

/** Every regular file under the given paths (folders recursively), sorted, deduplicated. */
export async function listFiles(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  async function walk(path: string): Promise<void> {
    const info = await stat(path);
    if (info.isDirectory()) {
      // skip what earlier runs wrote: bundles and the summary
      for (const entry of await readdir(path)) if (!entry.endsWith(".evidence.json") && entry !== "anchor-summary.md") await walk(join(path, entry));
    } else if (info.isFile()) {
      out.add(resolve(path));
    }
  }
  for (const p of paths) await walk(p);
  return [...out].sort();
}

export async function digestFile(path: string, algorithm: "sha256" | "sm3"): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}

/** A one-line progress bar on stderr. */
export function progressLine(label: string, done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${label.padEnd(10)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`;
}

async function loadWallet(args: AnchorArgs, env: NodeJS.ProcessEnv): Promise<Wallet> {
  if (args.keystore !== undefined) {
    const password = env.JL_KEYSTORE_PASSWORD;
    if (password === undefined) throw new Error("--keystore needs its password in JL_KEYSTORE_PASSWORD");
    return (await Wallet.fromEncryptedJson(await readFile(args.keystore, "utf8"), password)) as Wallet;
  }
  const key = env.JL_PRIVATE_KEY;
  if (key === undefined) throw new Error("set JL_PRIVATE_KEY to the member account's key, or use --keystore FILE");
  return new Wallet(key);
}

type Row = { file: string; digest: string; leafHash: string; sequence: number; anchoredAt: string; bundle: string };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let args: AnchorArgs;
  try {
    args = parseArgs(argv, env);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.sm3 && !getHashes().includes("sm3")) {
    console.error("this Node's OpenSSL has no SM3; drop --sm3 to use SHA-256");
    return 2;
  }
  const wallet = await loadWallet(args, env);
  const info = (await (await fetch(`${args.service}/v1/info`)).json()) as { chainId?: string; consortiumRegistry: string; evidenceLog: string; logId: string };
  if (info.chainId === undefined) throw new Error(`${args.service} has not reached its chain yet; retry shortly`);
  const domain = requestDomain(BigInt(info.chainId), info.consortiumRegistry);
  const files = await listFiles(args.paths);
  const tty = process.stderr.isTTY;
  const show = (label: string, done: number) => {
    const line = progressLine(label, done, files.length);
    if (tty) process.stderr.write(`\r${line}`);
    else if (done === files.length) process.stderr.write(`${line}\n`);
  };

  // hash locally and submit in batches; keep each file's salt for its bundle
  const pending: Array<{ file: string; digest: string; receipt: Receipt }> = [];
  for (let i = 0; i < files.length; i += args.batch) {
    const slice = files.slice(i, i + args.batch);
    const records: Array<{ kind: number; digestAlgorithm: number; digest: string; salt: string }> = [];
    for (const file of slice) {
      records.push({
        kind: args.kind,
        digestAlgorithm: args.sm3 ? DigestAlgorithm.Sm3 : DigestAlgorithm.Sha256,
        digest: await digestFile(file, args.sm3 ? "sm3" : "sha256"),
        salt: `0x${randomBytes(32).toString("hex")}`,
      });
    }
    const body = JSON.stringify({ records });
    const headers = {
      ...(await signRequest(wallet, domain, { method: "POST", path: "/v1/leaves", body })),
      ...(await submissionHeaders(wallet, { chainId: info.chainId, evidenceLog: info.evidenceLog, logId: info.logId }, args.memberId, records)),
    };
    const response = await fetch(`${args.service}/v1/leaves`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const reply = (await response.json()) as { receipts?: Receipt[]; error?: { code: string; message: string } };
    if (!response.ok || reply.receipts === undefined) throw new Error(`the service refused the batch: ${reply.error?.code} ${reply.error?.message}`);
    reply.receipts.forEach((receipt, j) => pending.push({ file: slice[j]!, digest: records[j]!.digest, receipt }));
    show("submitted", Math.min(files.length, i + args.batch));
  }
  if (tty) process.stderr.write("\n");

  // wait for anchoring, then fetch and write each bundle
  const rows: Row[] = [];
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  for (const item of pending) {
    for (;;) {
      const response = await fetch(`${args.service}/v1/bundles/${item.receipt.leafHash}`);
      if (response.ok) {
        const bundle = (await response.json()) as { anchor: { anchoredAt: string } };
        const outDir = args.out ?? dirname(item.file);
        await mkdir(outDir, { recursive: true });
        const path = join(outDir, `${basename(item.file)}.evidence.json`);
        await writeFile(path, `${JSON.stringify(bundle, null, 2)}\n`);
        rows.push({ file: item.file, digest: item.digest, leafHash: item.receipt.leafHash, sequence: item.receipt.sequence, anchoredAt: bundle.anchor.anchoredAt, bundle: path });
        break;
      }
      if (Date.now() > deadline) throw new Error(`${item.file} was not anchored within ${args.timeoutSeconds} s (its receipt is valid; retry later)`);
      await new Promise((r) => setTimeout(r, 250));
    }
    show("anchored", rows.length);
  }
  if (tty) process.stderr.write("\n");

  const table = [
    "| file | sha-256 / sm3 digest | leaf hash | sequence | anchored (UTC) | bundle |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.file} | ${r.digest} | ${r.leafHash} | ${r.sequence} | ${r.anchoredAt} | ${r.bundle} |`),
  ].join("\n");
  // the summary goes with the bundles: --out, else the first folder named (or the first file's)
  const first = resolve(args.paths[0]!);
  const summaryDir = args.out ?? ((await stat(first)).isDirectory() ? first : dirname(first));
  const summary = join(summaryDir, "anchor-summary.md");
  await writeFile(summary, `${table}\n`);
  console.log(table);
  console.log(`\n${rows.length} file(s) anchored; summary written to ${summary}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`anchor: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
