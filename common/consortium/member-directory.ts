// The consortium's member directory: each member's legal Chinese and English names and unified
// social credit code (uscc.ts), kept as one JSON file whose SHA-256 governance sets as a
// ConsortiumRegistry parameter (the same M-of-N proposal path as intake quotas; the registry's
// member records stay as they are). A reader — a page, a certificate, a report — shows names only
// from a file whose digest is the one governed at the block it reads: an operator cannot rename a
// member by editing the file, and a stale file is refused, not shown.
//
// An anchor operator's entry also carries the SM2 public key its service signs intake receipts
// with (国密): a verifier accepts an SM2 receipt signature only under the key governance set for
// the member operating the log, not under whatever key the service announces about itself.
import { createHash } from "node:crypto";
import { Interface, keccak256, toUtf8Bytes, type Provider } from "ethers";
import { z } from "zod";
import { EvidenceLog } from "../chain/generated/contracts.ts";
import { RegistryReader } from "../chain/registry.ts";
import { MemberIdentitySchema } from "./uscc.ts";

/** The ConsortiumRegistry parameter holding the directory file's SHA-256 (as a uint256). */
export const MEMBER_DIRECTORY_PARAMETER_KEY = keccak256(toUtf8Bytes("consortium.memberDirectory.sha256"));

/** An uncompressed SM2 public key, 0x04 ‖ x ‖ y, lowercase (the file has one spelling). */
const Sm2PublicKeySchema = z
  .string()
  .regex(/^0x04[0-9a-f]{128}$/, "must be 0x04 and 128 lowercase hex digits")
  .describe("the SM2 public key the member's anchor service signs intake receipts with")
  .meta({
    // the SM2 curve's base point (GB/T 32918.5), a well-formed key
    example:
      "0x0432c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0",
  });

/** A member's entry: its legal identity and, for an anchor operator, its SM2 receipt key. */
export const DirectoryEntrySchema = MemberIdentitySchema.extend({
  receiptSm2PublicKey: Sm2PublicKeySchema.optional(),
});
export type DirectoryEntry = z.infer<typeof DirectoryEntrySchema>;

export const MemberDirectorySchema = z
  .strictObject({
    version: z.literal(1),
    /** Fictional members and codes (a demo or test consortium): every reader shows it as test data. */
    testData: z.literal(true).optional(),
    members: z.array(DirectoryEntrySchema).min(1),
  })
  .superRefine((directory, ctx) => {
    const ids = directory.members.map((m) => m.memberId);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated !== undefined)
      ctx.addIssue({ code: "custom", message: `member ${repeated} is listed twice` });
  });
export type MemberDirectory = z.infer<typeof MemberDirectorySchema>;

/** The file's one spelling: members by id, fields in schema order, a final newline. */
export function directoryBytes(directory: MemberDirectory): Uint8Array {
  const parsed = MemberDirectorySchema.parse(directory);
  const members = [...parsed.members]
    .sort((a, b) => a.memberId - b.memberId)
    .map(({ memberId, nameZh, nameEn, uscc, receiptSm2PublicKey }) => ({
      memberId,
      nameZh,
      nameEn,
      uscc,
      ...(receiptSm2PublicKey === undefined ? {} : { receiptSm2PublicKey }),
    }));
  const file = { version: 1, ...(parsed.testData === true ? { testData: true } : {}), members };
  return new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`);
}

/** SHA-256 of the file's bytes, as the parameter holds it. */
export const directoryDigest = (bytes: Uint8Array): bigint =>
  BigInt(`0x${createHash("sha256").update(bytes).digest("hex")}`);

const REGISTRY = new Interface(["function setParameter(bytes32 key, uint256 value)"]);

/** The governance call that makes `bytes` the directory (propose it like any other). */
export function memberDirectoryCall(
  consortiumRegistry: string,
  bytes: Uint8Array,
): { target: string; data: string; summary: string } {
  const digest = directoryDigest(bytes);
  return {
    target: consortiumRegistry,
    data: REGISTRY.encodeFunctionData("setParameter", [MEMBER_DIRECTORY_PARAMETER_KEY, digest]),
    summary: `set the member directory to the file with SHA-256 ${digest.toString(16).padStart(64, "0")}`,
  };
}

export class MemberDirectoryError extends Error {}

/** The directory in `bytes` if governance set exactly these bytes; why not otherwise. */
export function governedDirectory(bytes: Uint8Array, governed: bigint): MemberDirectory {
  if (governed === 0n) throw new MemberDirectoryError("governance has set no member directory");
  const digest = directoryDigest(bytes);
  if (digest !== governed)
    throw new MemberDirectoryError(
      `the directory file's SHA-256 ${digest.toString(16).padStart(64, "0")} is not the governed ${governed
        .toString(16)
        .padStart(64, "0")}`,
    );
  return MemberDirectorySchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** The governed directory as of `blockTag` (default latest), read from `bytes` and the registry. */
export async function readGovernedDirectory(
  bytes: Uint8Array,
  provider: Provider,
  consortiumRegistry: string,
  blockTag?: number,
): Promise<MemberDirectory> {
  const governed = await new RegistryReader(consortiumRegistry, provider).parameter(
    MEMBER_DIRECTORY_PARAMETER_KEY,
    blockTag,
  );
  return governedDirectory(bytes, governed);
}

/** The member's identity in `directory`, or undefined. */
export const identityOf = (directory: MemberDirectory, memberId: number): DirectoryEntry | undefined =>
  directory.members.find((m) => m.memberId === memberId);

/** The SM2 receipt key governance set for `memberId` (a log's operating member), or undefined: none. */
export const receiptSm2KeyOf = (directory: MemberDirectory, memberId: number): string | undefined =>
  identityOf(directory, memberId)?.receiptSm2PublicKey;

/** The SM2 receipt key governance binds to a log: its operating member's, from the governed directory. */
export type GovernedReceiptKey = { operatorMemberId: number; sm2PublicKey: string | undefined };

/**
 * The SM2 key receipts of log `logId` may carry: the log's operating member as `evidenceLog` names
 * it (the call reverts for no such log), and that member's key in the directory in `bytes` — which
 * must be the governed one (MemberDirectoryError otherwise: a directory not governed binds nothing).
 */
export async function governedReceiptKey(
  bytes: Uint8Array,
  provider: Provider,
  contracts: { consortiumRegistry: string; evidenceLog: string },
  logId: string,
): Promise<GovernedReceiptKey> {
  const [directory, log] = await Promise.all([
    readGovernedDirectory(bytes, provider, contracts.consortiumRegistry),
    EvidenceLog.at(contracts.evidenceLog, provider).logInfo(logId),
  ]);
  const operatorMemberId = Number(log.memberId);
  return { operatorMemberId, sm2PublicKey: receiptSm2KeyOf(directory, operatorMemberId) };
}
