// Anchor documents: hash each file locally (the document never leaves this machine), submit the
// digests through the member's anchor client (common/anchor/client.ts: signed requests, and every
// receipt checked: the service key's signature, the record's place in the signed batch, the
// record it was sent for), wait until they are anchored on chain, and write one evidence bundle
// per file, each checked offline against its file first, plus a summary table.
//
//   node scripts/cli/anchor.ts <file or folder>... [--service URL] [--out DIR] [--kind N]
//        [--sm3] [--batch N] [--timeout SECONDS] [--keystore FILE] [--member ID] [--as NAME [--data DIR]]
//
// The member's key: JL_PRIVATE_KEY, or --keystore FILE with its password in JL_KEYSTORE_PASSWORD,
// or --as NAME: a member of the consortium `npm start` runs, whose id, anchor service, keystore
// and password the launcher keeps in its data directory (scripts/ops/local/keys.ts).
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
import { AnchorClient, AnchorClientError, type RecordInput } from "../../common/anchor/client.ts";
import { parseBundle } from "../../common/formats/bundle/bundle.ts";
import { decryptKeystore } from "../../common/chain/keystore.ts";
import { verifyOffline, type CheckId } from "../../common/formats/bundle/verify.ts";
import { DigestAlgorithm, EvidenceKind } from "../../common/formats/leaf/leaf.ts";
import { keystoreFile, passwordFile } from "../ops/local/keys.ts";
import { NODE_NAMES, readManifest, type NodeName } from "../ops/local/manifest.ts";
import { trustConsortium } from "../ops/local/tls.ts";
import { TEST_ENVIRONMENT_NOTICE, testEnvironmentOf } from "../../nodes/src/court-page/report.ts";
import { DEVELOPMENT_CHAIN_IDS } from "./verify.ts";

export const USAGE =
  "usage: node scripts/cli/anchor.ts <file or folder>... [--service URL] [--out DIR] [--kind N] [--sm3] [--batch N] [--timeout SECONDS] [--keystore FILE] [--member ID] [--as NAME [--data DIR]]";
export const HELP = `${USAGE}

Hashes each file locally (the document never leaves this machine), anchors the digests through the
anchor service and writes <file>.evidence.json beside each file (or into --out) and
anchor-summary.md (on a development chain, 31337, it opens with "测试环境 — 非正式证据 / Test
environment — not evidence"). Every receipt is checked before anything is written: signed by the service's
key, the record's place in the signed batch, the record it was sent for.

  --service URL        the anchor service (default: JL_ANCHOR_URL, else http://127.0.0.1:9545)
  --out DIR            where the bundles and the summary go (default: beside each file)
  --kind N             the evidence kind, 1..7 (default ${EvidenceKind.Document}, a document)
  --sm3                digest with SM3 instead of SHA-256 (needs a Node whose OpenSSL has SM3)
  --batch N            records per request, 1..10000 (default 1000; the service's limit applies)
  --timeout SECONDS    how long to wait for anchoring (default 120)
  --keystore FILE      the member's key as an encrypted JSON keystore, its password in
                       JL_KEYSTORE_PASSWORD (default: the key in JL_PRIVATE_KEY)
  --member ID          the member id the key belongs to (default: JL_MEMBER_ID)
  --as NAME            act as a member of the consortium \`npm start\` runs (${NODE_NAMES.join(", ")}):
                       its member id, the anchor service's URL, its keystore and the keystores'
                       password are read from the launcher's data directory (consortium.json,
                       keys/NAME.json, keys/.password or JL_KEYSTORE_PASSWORD); the options above
                       still override each
  --data DIR           that data directory (default: JL_DATA_DIR, else ./data)
  -h, --help           this text

Environment: JL_PRIVATE_KEY, JL_KEYSTORE_PASSWORD, JL_MEMBER_ID, JL_ANCHOR_URL, JL_DATA_DIR (above).

Exit codes: 0 anchored, 1 failed (service refused, a receipt or bundle did not verify, timeout), 2 bad input.
`;
/** A document anchored on its own, for no loan or case. */
const NO_SUBJECT = `0x${"00".repeat(32)}`;
/** The offline checks a bundle must pass before it is written: it is this file's, and it hangs together. */
const BUNDLE_CHECKS: readonly CheckId[] = ["digest", "leafEncoding", "merklePath"];

/** Where the CLI writes; tests pass their own. */
export type Io = { out(text: string): void; err(text: string): void; tty: boolean };
const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: process.stderr.isTTY === true,
};

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
  /** --as: the local consortium's member to act as, and the launcher's data directory. */
  as: { name: NodeName; dataDir: string } | undefined;
  help: boolean;
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
      as: { type: "string" },
      data: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return { ...HELP_ONLY, help: true };
  if (positionals.length === 0) throw new Error("name at least one file or folder to anchor");
  const as = values.as;
  if (as !== undefined && !(NODE_NAMES as readonly string[]).includes(as))
    throw new Error(`--as names a member of the local consortium (${NODE_NAMES.join(", ")}), got "${as}"`);
  if (values.data !== undefined && as === undefined) throw new Error("--data goes with --as NAME");
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new Error(`--${name} must be a whole number in ${min}..${max}, got "${raw}"`);
    return Number(raw);
  };
  return {
    paths: positionals,
    // with --as, an unset service and member come from the launcher's manifest (asMember)
    service: (
      values.service ??
      env.JL_ANCHOR_URL ??
      (as === undefined ? "http://127.0.0.1:9545" : "")
    ).replace(/\/$/, ""),
    out: values.out,
    kind: int("kind", values.kind, EvidenceKind.Document, 1, 7),
    sm3: values.sm3 === true,
    batch: int("batch", values.batch, 1000, 1, 10_000),
    timeoutSeconds: int("timeout", values.timeout, 120, 1, 86_400),
    keystore: values.keystore,
    memberId:
      as !== undefined && values.member === undefined ? 0 : memberIdOf(values.member ?? env.JL_MEMBER_ID),
    as:
      as === undefined
        ? undefined
        : { name: as as NodeName, dataDir: values.data ?? env.JL_DATA_DIR ?? "data" },
    help: false,
  };
}

/**
 * --as NAME: what the local consortium's launcher keeps for that member — its id and the anchor
 * service's URL (consortium.json), its keystore and the keystores' password — filled in where
 * the command line left them unset.
 */
async function asMember(
  args: AnchorArgs,
  env: NodeJS.ProcessEnv,
): Promise<{ args: AnchorArgs; env: NodeJS.ProcessEnv }> {
  if (args.as === undefined) return { args, env };
  const { name, dataDir } = args.as;
  const manifest = await readManifest(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT")
      throw new Error(
        `no local consortium in ${dataDir} (consortium.json): run npm start, or name its --data DIR`,
      );
    throw error;
  });
  const password =
    env.JL_KEYSTORE_PASSWORD ??
    (await readFile(passwordFile(dataDir), "utf8").catch(() => undefined))?.trim();
  if (password === undefined)
    throw new Error(`no keystore password for ${dataDir}: set JL_KEYSTORE_PASSWORD as npm start had it`);
  // npm start serves HTTPS from its local CA: trusted here alone
  await trustConsortium(manifest);
  return {
    args: {
      ...args,
      service: args.service === "" ? manifest.anchor.url.replace(/\/$/, "") : args.service,
      memberId: args.memberId === 0 ? manifest.nodes[name].memberId : args.memberId,
      keystore: args.keystore ?? keystoreFile(dataDir, name),
    },
    env: { ...env, JL_KEYSTORE_PASSWORD: password },
  };
}

const HELP_ONLY: AnchorArgs = {
  paths: [],
  service: "",
  out: undefined,
  kind: EvidenceKind.Document,
  sm3: false,
  batch: 1000,
  timeoutSeconds: 120,
  keystore: undefined,
  memberId: 0,
  as: undefined,
  help: true,
};

function memberIdOf(raw: string | undefined): number {
  if (raw === undefined)
    throw new Error(
      "set --member (or JL_MEMBER_ID) to the member id the key belongs to: the records are signed as that member's",
    );
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > 0xffff_ffff)
    throw new Error(`--member must be a whole number in 1..4294967295, got "${raw}"`);
  return Number(raw);
}

/** Every regular file under the given paths (folders recursively), sorted, deduplicated. */
export async function listFiles(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  async function walk(path: string): Promise<void> {
    const info = await stat(path);
    if (info.isDirectory()) {
      // skip what earlier runs wrote: bundles and the summary
      for (const entry of await readdir(path))
        if (!entry.endsWith(".evidence.json") && entry !== "anchor-summary.md") await walk(join(path, entry));
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
    return decryptKeystore(await readFile(args.keystore, "utf8"), password);
  }
  const key = env.JL_PRIVATE_KEY;
  if (key === undefined)
    throw new Error("set JL_PRIVATE_KEY to the member account's key, or use --keystore FILE");
  return new Wallet(key);
}

type Row = {
  file: string;
  digest: string;
  leafHash: string;
  sequence: number;
  anchoredAt: string;
  bundle: string;
};

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: Io = processIo,
): Promise<number> {
  let args: AnchorArgs;
  try {
    args = parseArgs(argv, env);
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.out(HELP);
    return 0;
  }
  if (args.sm3 && !getHashes().includes("sm3")) {
    io.err("this Node's OpenSSL has no SM3; drop --sm3 to use SHA-256\n");
    return 2;
  }
  const member = await asMember(args, env);
  args = member.args;
  const client = new AnchorClient(args.service, await loadWallet(args, member.env), args.memberId);
  await client.info();
  const files = await listFiles(args.paths);
  const show = (label: string, done: number) => {
    const line = progressLine(label, done, files.length);
    if (io.tty) io.err(`\r${line}`);
    else if (done === files.length) io.err(`${line}\n`);
  };

  // hash locally and submit in batches; the client refuses any receipt that does not verify
  const pending: Array<{ file: string; digest: string; receipt: Receipt }> = [];
  for (let i = 0; i < files.length; i += args.batch) {
    const slice = files.slice(i, i + args.batch);
    const records: RecordInput[] = [];
    for (const file of slice) {
      records.push({
        kind: args.kind as RecordInput["kind"],
        digestAlgorithm: args.sm3 ? DigestAlgorithm.Sm3 : DigestAlgorithm.Sha256,
        digest: await digestFile(file, args.sm3 ? "sm3" : "sha256"),
        salt: `0x${randomBytes(32).toString("hex")}`,
        subject: NO_SUBJECT,
      });
    }
    const receipts = await client.submit(records);
    receipts.forEach((receipt, j) => pending.push({ file: slice[j]!, digest: records[j]!.digest, receipt }));
    show("submitted", Math.min(files.length, i + args.batch));
  }
  if (io.tty) io.err("\n");

  // wait for anchoring, then fetch, check and write each bundle
  const rows: Row[] = [];
  const chains: string[] = [];
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  for (const item of pending) {
    const raw = await anchoredBundle(client, item.receipt.leafHash, item.file, deadline, args.timeoutSeconds);
    const bundle = parseBundle(raw);
    const failed = verifyOffline(bundle, { documentDigest: item.digest }).filter(
      (r) => BUNDLE_CHECKS.includes(r.id) && r.outcome !== "pass",
    );
    if (bundle.leaf.leafHash.toLowerCase() !== item.receipt.leafHash.toLowerCase() || failed.length > 0) {
      const why =
        failed.map((r) => `${r.id}: ${r.reason}`).join("; ") || `it is for leaf ${bundle.leaf.leafHash}`;
      throw new AnchorClientError(
        "ANCHOR_CLIENT_BAD_BUNDLE",
        `the anchor service returned a bundle for ${item.file} that does not verify (${why}); nothing written for it`,
      );
    }
    const outDir = args.out ?? dirname(item.file);
    await mkdir(outDir, { recursive: true });
    const path = join(outDir, `${basename(item.file)}.evidence.json`);
    await writeFile(path, `${JSON.stringify(raw, null, 2)}\n`);
    chains.push(bundle.anchor.chainId);
    rows.push({
      file: item.file,
      digest: item.digest,
      leafHash: item.receipt.leafHash,
      sequence: item.receipt.sequence,
      anchoredAt: bundle.anchor.anchoredAt,
      bundle: path,
    });
    show("anchored", rows.length);
  }
  if (io.tty) io.err("\n");

  // bundles on a development chain are tests, whatever they verify: the summary says so first
  const development = [...new Set(chains)].filter(
    (id) => testEnvironmentOf(id, DEVELOPMENT_CHAIN_IDS) !== null,
  );
  const table = [
    ...development.map(
      (id) =>
        `> ${TEST_ENVIRONMENT_NOTICE}: chain ${id} is a development chain; these bundles are not evidence\n`,
    ),
    "| file | sha-256 / sm3 digest | leaf hash | sequence | anchored (UTC) | bundle |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) => `| ${r.file} | ${r.digest} | ${r.leafHash} | ${r.sequence} | ${r.anchoredAt} | ${r.bundle} |`,
    ),
  ].join("\n");
  // the summary goes with the bundles: --out, else the first folder named (or the first file's)
  const first = resolve(args.paths[0]!);
  const summaryDir = args.out ?? ((await stat(first)).isDirectory() ? first : dirname(first));
  const summary = join(summaryDir, "anchor-summary.md");
  await writeFile(summary, `${table}\n`);
  io.out(`${table}\n\n${rows.length} file(s) anchored; summary written to ${summary}\n`);
  return 0;
}

/** The leaf's bundle once it is anchored, polling every 250 ms until the deadline. */
async function anchoredBundle(
  client: AnchorClient,
  leafHash: string,
  file: string,
  deadline: number,
  timeoutSeconds: number,
): Promise<unknown> {
  for (;;) {
    try {
      return await client.bundle(leafHash);
    } catch (error) {
      if (!(error instanceof AnchorClientError) || error.code !== "ANCHOR_CLIENT_NOT_ANCHORED") throw error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${file} was not anchored within ${timeoutSeconds} s (its receipt is valid; retry later)`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

if (import.meta.main) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`anchor: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
