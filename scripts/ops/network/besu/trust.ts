// Trusted time and witnesses for a generated network. The anchor service asks the TSAs named on
// the command line (--tsa-urls) to stamp every head and keeps only tokens chaining to the roots
// given (--tsa-roots, copied into tsa/); every node's court page and certificates rely on the same
// roots. The court's and the union's nodes each run a C2SP witness with a key of their own
// (secrets/<member>/witness.key), following the union log's checkpoint key (derived from the
// anchor operator's key exactly as the service derives it); the anchor service publishes a
// checkpoint only when both cosigned (2 of 2, witness-policy.txt), the policy file a court
// verifies bundles with and every node judges cosignatures by.
import { readFile } from "node:fs/promises";
import { checkpointSigners } from "../../../../anchor-service/src/c2sp/service.ts";
import { ENV } from "../../../../anchor-service/src/config.ts";
import { cosigner } from "../../../../common/formats/checkpoint/cosignature.ts";
import { kOfNPolicy } from "../../../../common/formats/checkpoint/policy.ts";
import { fromHex } from "../../../../common/bytes.ts";
import { NODE_ENV } from "../../../../nodes/src/config.ts";
import type { MemberKey } from "./consortium.ts";
import type { EnvLine } from "./formats.ts";

/** The members whose nodes witness the log, by their name in the policy file. */
export const WITNESSES = ["court", "union"] as const satisfies readonly MemberKey[];
/** Both must cosign before a checkpoint is published. */
export const WITNESS_QUORUM = 2;
export const WITNESS_POLICY_FILE = "witness-policy.txt";

/** The witness's key name on a generated network (what its cosignatures and vkey carry). */
export const networkWitnessName = (member: MemberKey) => `${member}.jointledger.network/witness`;

export type NetworkTrust = {
  files: Array<{ path: string; content: string; secret: boolean }>;
  /** The anchor service's TSA and witness lines. */
  anchorLines: EnvLine[];
  /** A node's: every node's TSA roots and policy, a witnessing node's witness too. */
  nodeLines: (member: MemberKey) => EnvLine[];
};

export async function networkTrust(options: {
  tsaUrls: readonly string[];
  /** PEM files of the TSA roots, read now and copied into the folder. */
  tsaRootFiles: readonly string[];
  logId: string;
  anchorOperatorKey: string;
  /** A witness's Ed25519 seed (0x + 64 hex). */
  witnessSeed: (member: MemberKey) => string;
  nodeUrl: (member: MemberKey) => string;
  /** Where a file of the folder lives on the services' machine. */
  install: (file: string) => string;
}): Promise<NetworkTrust> {
  const { install } = options;
  const files: NetworkTrust["files"] = [];
  const roots = await Promise.all(
    options.tsaRootFiles.map(async (file, i) => {
      const content = await readFile(file, "utf8");
      if (!content.includes("-----BEGIN CERTIFICATE-----"))
        throw new Error(`--tsa-roots: ${file} holds no PEM certificate`);
      const path = `tsa/root-${i + 1}.pem`;
      files.push({ path, content, secret: false });
      return install(path);
    }),
  );
  const [log] = checkpointSigners({ logId: options.logId, operatorKey: options.anchorOperatorKey });
  const witnesses = WITNESSES.map((member) => {
    const seed = options.witnessSeed(member);
    const keyFile = `secrets/${member}/witness.key`;
    files.push({ path: keyFile, content: `${seed.slice(2)}\n`, secret: true });
    return { member, keyFile, vkey: cosigner(networkWitnessName(member), fromHex(seed)).vkey };
  });
  files.push({
    path: WITNESS_POLICY_FILE,
    content: kOfNPolicy(
      log!.vkey,
      witnesses.map((w) => ({ name: w.member, vkey: w.vkey })),
      WITNESS_QUORUM,
    ),
    secret: false,
  });
  const policy = install(WITNESS_POLICY_FILE);
  const tsaLines: EnvLine[] =
    options.tsaUrls.length === 0
      ? [
          "# trusted time (RFC 3161): no TSA was given to the generator, so heads carry no time-stamp token;",
          "# name the TSA and its root here (the folder's README, 'Trusted time and witnesses')",
          `# ${ENV.tsaUrls}='https://tsa.example.cn/tsa'`,
          `# ${ENV.tsaTrustAnchorFiles}='${install("tsa/root-1.pem")}'`,
        ]
      : [
          "# trusted time: these TSAs stamp every committed head; tokens not chaining to these roots are not kept",
          [ENV.tsaUrls, options.tsaUrls.join(",")],
          [ENV.tsaTrustAnchorFiles, roots.join(",")],
        ];
  const anchorLines: EnvLine[] = [
    ...tsaLines,
    `# witnesses: the court's and the union's nodes; a checkpoint is published once ${WITNESS_QUORUM} of ${witnesses.length} cosigned`,
    [ENV.witnessUrls, witnesses.map((w) => `${w.member}=${options.nodeUrl(w.member)}/witness`).join(",")],
    [ENV.witnessPolicyFile, policy],
  ];
  const nodeLines = (member: MemberKey): EnvLine[] => {
    const witness = witnesses.find((w) => w.member === member);
    return [
      "# the court page's and certificates' trustedTime roots, and the witness policy cosignatures are judged by",
      ...(roots.length === 0 ? [] : [[NODE_ENV.tsaTrustAnchorFiles, roots.join(",")] as EnvLine]),
      [NODE_ENV.witnessPolicyFile, policy],
      ...(witness === undefined
        ? []
        : [
            "# this node's C2SP witness of the union log",
            [NODE_ENV.witnessName, networkWitnessName(member)] as EnvLine,
            [NODE_ENV.witnessKeyFile, install(witness.keyFile)] as EnvLine,
            [NODE_ENV.witnessLogs, log!.vkey] as EnvLine,
          ]),
    ];
  };
  return { files, anchorLines, nodeLines };
}
