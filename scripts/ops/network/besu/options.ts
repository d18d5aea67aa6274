// The Besu network generator's options: parsed from the command line, validated once, with
// messages that name the option and say what to change. QBFT's fault tolerance is computed here
// because both the CLI's warnings and the generated README report it.
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";

/** A problem with the options; `problems` has one line per option at fault. */
export class BesuOptionsError extends Error {
  readonly code = "BESU_BAD_OPTIONS";
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid options:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "BesuOptionsError";
    this.problems = problems;
  }
}

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Besu's largest contract size and block gas limit (besu.hyperledger.org, "free gas networks"). */
export const MAX_CONTRACT_SIZE = 2_147_483_647;
export const MAX_GAS_LIMIT = 0x1f_ffff_ffff_ffff;

export const BesuOptionsSchema = z
  .object({
    validators: int(1, 100).default(4),
    rpcNodes: int(1, 100).default(2),
    out: z.string({ error: "is required (the folder to write the network into)" }).min(1, "is required"),
    /** Where the folder will live on the machine that runs the services (absolute paths in the env files). */
    installDir: z.string().min(1).optional(),
    chainId: int(2, 2 ** 32 - 1).default(2026),
    blockPeriod: int(1, 60).default(2),
    requestTimeout: int(2, 600).default(4),
    epochLength: int(100, 1_000_000).default(30_000),
    // the largest deployment (JointLoanLedger) needs about 6 M gas
    gasLimit: int(10_000_000, MAX_GAS_LIMIT).default(100_000_000),
    contractSizeLimit: int(24_576, MAX_CONTRACT_SIZE).default(MAX_CONTRACT_SIZE),
    maxLogsRange: int(1, 1_000_000).default(1000),
    besuVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "must be an exact release such as 25.6.0 (the image is pinned; no 'latest')")
      .default("25.6.0"),
    subnet: z
      .string()
      .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/, "must be an IPv4 /24 such as 172.16.240.0/24")
      .default("172.16.240.0/24"),
    rpcHost: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, "must be a host name or IPv4 address")
      .default("127.0.0.1"),
    rpcPort: int(1024, 65535).default(8545),
    validatorRpcPort: int(1024, 65535).default(21001),
    anchorPort: int(1024, 65535).default(9545),
    nodePort: int(1024, 65535).default(9601),
    /** RFC 3161 TSAs that stamp every head (comma-separated http(s) URLs); absent: none. */
    tsaUrls: z
      .string()
      .transform((v) => v.split(",").map((u) => u.trim()))
      .pipe(z.array(z.url().regex(/^https?:\/\/[^'\s]+$/, "must be http(s) URLs, comma-separated")))
      .optional(),
    /** PEM files of the TSAs' roots (comma-separated), copied into the folder. */
    tsaRoots: z
      .string()
      .transform((v) => v.split(",").map((f) => f.trim()))
      .pipe(z.array(z.string().min(1, "must name PEM files, comma-separated")))
      .optional(),
    /** The founders' legal names and credit codes (a member directory file); absent: fictional test identities. */
    memberDirectory: z.string().min(1, "must name a member directory file").optional(),
    /** Deterministic keys and secrets (tests); random when absent. */
    seed: z.string().min(1, "must not be empty").optional(),
    /** scrypt cost of the keystores; lower only for tests. */
    scryptN: int(1024, 2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, "must be a power of two")
      .default(131_072),
  })
  .superRefine((o, ctx) => {
    if (o.requestTimeout <= o.blockPeriod) {
      ctx.addIssue({
        code: "custom",
        path: ["requestTimeout"],
        message: `must be longer than the block period (${o.blockPeriod} s); Besu suggests about twice the block period`,
      });
    }
    if ((o.tsaUrls === undefined) !== (o.tsaRoots === undefined))
      ctx.addIssue({
        code: "custom",
        path: [o.tsaUrls === undefined ? "tsaUrls" : "tsaRoots"],
        message:
          "--tsa-urls and --tsa-roots go together: a TSA's tokens are kept only when they chain to a root the network trusts",
      });
    const octets = o.subnet.split("/")[0]!.split(".").map(Number);
    if (octets.some((n) => n > 255))
      ctx.addIssue({ code: "custom", path: ["subnet"], message: "has an octet above 255" });
    if (o.validators + o.rpcNodes > 200)
      ctx.addIssue({
        code: "custom",
        path: ["validators"],
        message: "validators plus RPC nodes must fit the /24 subnet (at most 200 nodes)",
      });
    for (const [name, value] of [
      ["installDir", o.installDir],
      ["out", o.out],
    ] as const) {
      if (value !== undefined && /['\n\r"\\$`]/.test(value))
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: "must not contain quotes, backslashes, $, ` or line breaks (it is written into env files)",
        });
    }
    const ports = [
      ...Array.from({ length: o.rpcNodes }, (_, i) => ["--rpc-port", o.rpcPort + i] as const),
      ...Array.from(
        { length: o.validators },
        (_, i) => ["--validator-rpc-port", o.validatorRpcPort + i] as const,
      ),
      ["--anchor-port", o.anchorPort] as const,
      ...Array.from({ length: 5 }, (_, i) => ["--node-port", o.nodePort + i] as const),
    ];
    const seen = new Map<number, string>();
    for (const [option, port] of ports) {
      if (port > 65535)
        ctx.addIssue({
          code: "custom",
          path: [optionField(option)],
          message: `the range starting here runs past port 65535`,
        });
      const other = seen.get(port);
      if (other !== undefined && other !== option)
        ctx.addIssue({
          code: "custom",
          path: [optionField(option)],
          message: `port ${port} overlaps the ports of ${other}`,
        });
      seen.set(port, option);
    }
  });

export type BesuOptions = z.output<typeof BesuOptionsSchema> & { installDir: string };

const OPTIONS = {
  validators: "--validators",
  rpcNodes: "--rpc-nodes",
  out: "--out",
  installDir: "--install-dir",
  chainId: "--chain-id",
  blockPeriod: "--block-period",
  requestTimeout: "--request-timeout",
  epochLength: "--epoch-length",
  gasLimit: "--gas-limit",
  contractSizeLimit: "--contract-size-limit",
  maxLogsRange: "--max-logs-range",
  besuVersion: "--besu-version",
  subnet: "--subnet",
  rpcHost: "--rpc-host",
  rpcPort: "--rpc-port",
  validatorRpcPort: "--validator-rpc-port",
  anchorPort: "--anchor-port",
  nodePort: "--node-port",
  tsaUrls: "--tsa-urls",
  tsaRoots: "--tsa-roots",
  memberDirectory: "--member-directory",
  seed: "--seed",
  scryptN: "--scrypt-n",
} as const satisfies Record<keyof z.input<typeof BesuOptionsSchema>, string>;

function optionField(flag: string): string {
  return Object.entries(OPTIONS).find(([, f]) => f === flag)?.[0] ?? flag;
}

export const USAGE = `usage: npm run network:besu -- --out <folder> [options]

  --validators N            QBFT validators (default 4; fewer than 4 tolerates no faulty validator)
  --rpc-nodes N             non-validating RPC nodes the services talk to (default 2)
  --out DIR                 new folder to write the network into (must not exist or be empty)
  --install-dir DIR         where the folder will live on the services' machine (default: --out, absolute)
  --chain-id N              (default 2026)
  --block-period S          QBFT block period in seconds (default 2)
  --request-timeout S       QBFT round timeout in seconds, longer than the block period (default 4)
  --epoch-length N          (default 30000)
  --gas-limit N             block gas limit (default 100000000)
  --contract-size-limit N   bytes (default 2147483647, Besu's maximum for free-gas networks)
  --max-logs-range N        eth_getLogs block-range limit of every node; the services page by it (default 1000)
  --besu-version X.Y.Z      hyperledger/besu image tag (default 25.6.0)
  --subnet A.B.C.0/24       docker network for the nodes' fixed addresses (default 172.16.240.0/24)
  --rpc-host HOST           address the RPC nodes are published on and the services use (default 127.0.0.1)
  --rpc-port P              host port of the first RPC node, +1 for each next (default 8545)
  --validator-rpc-port P    loopback host port of validator 1's admin RPC, +1 for each next (default 21001)
  --anchor-port P           anchor service port (default 9545)
  --node-port P             first institution node's port, +1 for each next (default 9601)
  --tsa-urls URL,…          RFC 3161 TSAs that stamp every head (production: the national time service's; README)
  --tsa-roots FILE,…        PEM root certificates of those TSAs (copied into tsa/); with --tsa-urls
  --member-directory FILE   the founders' legal names and unified social credit codes (member directory JSON;
                            README); default: fictional test identities, marked as test data
  --seed TEXT               derive every key and secret from TEXT (tests and reproducible demos only)
  --scrypt-n N              keystore scrypt cost, a power of two (default 131072; lower only for tests)
`;

/** Parse and validate command-line arguments; throws BesuOptionsError listing every problem. */
export function parseBesuArgs(argv: string[]): BesuOptions {
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.values(OPTIONS).map((flag) => [flag.slice(2), { type: "string" as const }]),
      ),
    });
    values = parsed.values;
  } catch (error) {
    throw new BesuOptionsError([(error as Error).message.replace(/\. To specify.*$/s, "")]);
  }
  const raw: Record<string, string> = {};
  for (const [field, flag] of Object.entries(OPTIONS)) {
    const value = values[flag.slice(2)];
    if (value !== undefined) raw[field] = value;
  }
  return validateBesuOptions(raw);
}

/** Validate options given as an object (field names as in BesuOptionsSchema). */
export function validateBesuOptions(raw: Record<string, unknown>): BesuOptions {
  const parsed = BesuOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BesuOptionsError(
      parsed.error.issues.map(
        (i) => `${OPTIONS[String(i.path[0]) as keyof typeof OPTIONS] ?? String(i.path[0])}: ${i.message}`,
      ),
    );
  }
  return { ...parsed.data, installDir: path.resolve(parsed.data.installDir ?? parsed.data.out) };
}

export type Tolerance = {
  validators: number;
  /** Faulty (or offline) validators QBFT tolerates: floor((n − 1) / 3). */
  faulty: number;
  /** Signatures a block needs: ceil(2n / 3). */
  quorum: number;
};

export function qbftTolerance(validators: number): Tolerance {
  return { validators, faulty: Math.floor((validators - 1) / 3), quorum: Math.ceil((2 * validators) / 3) };
}

/** Warnings about options that are valid but risky. */
export function besuWarnings(options: BesuOptions): string[] {
  const warnings: string[] = [];
  const t = qbftTolerance(options.validators);
  if (options.validators < 4) {
    warnings.push(
      `${options.validators} validator(s): QBFT then tolerates no faulty validator (f = floor((n-1)/3) = ${t.faulty}); if any validator stops, the chain stops. Use at least 4.`,
    );
  }
  if (options.seed !== undefined)
    warnings.push(
      "--seed: every key and secret is derived from the seed; anyone who knows it has them all. Never use a seeded network in production.",
    );
  if (options.memberDirectory === undefined)
    warnings.push(
      "no --member-directory: member-directory.json names the founders with fictional identities (testData; every page and certificate marks them as test data). Give the consortium's own with --member-directory FILE for production.",
    );
  if (options.scryptN < 131_072)
    warnings.push(`--scrypt-n ${options.scryptN}: keystores are cheap to brute-force; for tests only.`);
  return warnings;
}
