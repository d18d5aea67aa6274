// The member directory a generated network starts with (common/consortium/member-directory.ts):
// each founder's legal names and unified social credit code and, in the anchor operator's (the
// union's) entry, the SM2 key the anchor service signs intake receipts with, a key the generator
// makes with the network. The identities come from --member-directory (the consortium's own file,
// any JSON layout: it is rewritten in the directory's one spelling); without it, the local
// consortium's fictional founders, marked as test data so every page and certificate says so.
// deploy.ts governs the file's SHA-256 in the deployment itself and every node's env file names
// the file, so nodes and verifiers bind names and the receipt key from the first block on.
import { readFile } from "node:fs/promises";
import { keccak256 } from "ethers";
import { fromHex, toHex } from "../../../../common/bytes.ts";
import {
  MemberDirectorySchema,
  directoryBytes,
  directoryDigest,
  directoryFileProblems,
  type MemberDirectory,
} from "../../../../common/consortium/member-directory.ts";
import { sm2 } from "../../../../common/crypto/sm2.ts";
import { duplicateKeyIn } from "../../../../common/json/duplicate-keys.ts";
import { MEMBER_DIRECTORY_FILE, demoMemberDirectory } from "../../local/deployment.ts";
import type { FounderPlan } from "./consortium.ts";
import { BesuOptionsError } from "./options.ts";

export { MEMBER_DIRECTORY_FILE };

export type NetworkDirectory = {
  bytes: Uint8Array;
  /** SHA-256 of the bytes as governance sets it (64 hex digits): what deploy.ts puts on chain. */
  sha256: string;
  /** The founders' fictional identities (no --member-directory). */
  testData: boolean;
};

/** The anchor service's SM2 receipt key from a 32-byte secret, re-hashed until in SM2's range. */
export function receiptSm2KeyPair(secret: string): { privateKey: string; publicKey: string } {
  for (let key = secret; ; key = keccak256(key)) {
    try {
      // outside [1, n-2] with probability ~2^-32: re-hash rather than bias
      return { privateKey: key, publicKey: toHex(sm2.publicKeyOf(fromHex(key))) };
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
}

const refused = (problems: readonly string[]) =>
  new BesuOptionsError(problems.map((p) => `--member-directory: ${p}`));

/** The directory in `file`, in whatever JSON layout; refused with every problem named. */
async function givenDirectory(file: string): Promise<MemberDirectory> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw refused([`cannot read ${file}: ${error.message}`]);
  });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw refused([`${file} is not UTF-8 JSON: ${(error as Error).message}`]);
  }
  // JSON.parse keeps a repeated key's last value, a reader of the file its first
  const repeated = duplicateKeyIn(bytes);
  if (repeated !== undefined) throw refused([`${file}: ${repeated}: a key is repeated`]);
  const parsed = MemberDirectorySchema.safeParse(json);
  if (!parsed.success)
    throw refused(parsed.error.issues.map((i) => `${i.path.join(".") || "directory"}: ${i.message}`));
  return parsed.data;
}

/**
 * The network's directory: `file`'s identities (or the fictional founders'), exactly the founders,
 * the anchor operator's entry carrying `receiptSm2PublicKey`. A file naming another receipt key
 * for the operator is refused: the anchor service signs with the key generated here.
 */
export async function networkDirectory(options: {
  file: string | undefined;
  founders: readonly FounderPlan[];
  anchorOperatorId: number;
  receiptSm2PublicKey: string;
}): Promise<NetworkDirectory> {
  const { founders, anchorOperatorId, receiptSm2PublicKey } = options;
  const given =
    options.file === undefined
      ? demoMemberDirectory(receiptSm2PublicKey)
      : await givenDirectory(options.file);
  const ids = new Set(given.members.map((m) => m.memberId));
  const problems = [
    ...founders
      .filter((f) => !ids.has(f.id))
      .map((f) => `names no entry for founding member ${f.id} (${f.name})`),
    ...given.members
      .filter((m) => !founders.some((f) => f.id === m.memberId))
      .map((m) => `member ${m.memberId} is not a founding member (${founders.map((f) => f.id).join(", ")})`),
  ];
  const operatorKey = given.members.find((m) => m.memberId === anchorOperatorId)?.receiptSm2PublicKey;
  if (operatorKey !== undefined && operatorKey !== receiptSm2PublicKey)
    problems.push(
      `member ${anchorOperatorId}'s receiptSm2PublicKey ${operatorKey} is not the anchor service's receipt key, which the generator makes (${receiptSm2PublicKey}); leave it out`,
    );
  if (problems.length > 0) throw refused(problems);
  const directory: MemberDirectory = {
    ...given,
    members: given.members.map((m) => (m.memberId === anchorOperatorId ? { ...m, receiptSm2PublicKey } : m)),
  };
  const bytes = directoryBytes(directory);
  const unfit = directoryFileProblems(bytes);
  if (unfit.length > 0) throw refused(unfit);
  return {
    bytes,
    sha256: directoryDigest(bytes).toString(16).padStart(64, "0"),
    testData: directory.testData === true,
  };
}
