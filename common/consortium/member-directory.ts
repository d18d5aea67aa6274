// The consortium's member directory: each member's legal Chinese and English names and unified
// social credit code (uscc.ts), kept as one JSON file whose SHA-256 governance sets as a
// ConsortiumRegistry parameter (the same M-of-N proposal path as intake quotas; the registry's
// member records stay as they are). A reader — a page, a certificate, a report — shows names only
// from a file whose digest is the one governed at the block it reads: an operator cannot rename a
// member by editing the file, and a stale file is refused, not shown.
import { createHash } from "node:crypto";
import { Interface, keccak256, toUtf8Bytes, type Provider } from "ethers";
import { z } from "zod";
import { RegistryReader } from "../chain/registry.ts";
import { MemberIdentitySchema, type MemberIdentity } from "./uscc.ts";

/** The ConsortiumRegistry parameter holding the directory file's SHA-256 (as a uint256). */
export const MEMBER_DIRECTORY_PARAMETER_KEY = keccak256(toUtf8Bytes("consortium.memberDirectory.sha256"));

export const MemberDirectorySchema = z
  .strictObject({ version: z.literal(1), members: z.array(MemberIdentitySchema).min(1) })
  .superRefine((directory, ctx) => {
    const ids = directory.members.map((m) => m.memberId);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated !== undefined)
      ctx.addIssue({ code: "custom", message: `member ${repeated} is listed twice` });
  });
export type MemberDirectory = z.infer<typeof MemberDirectorySchema>;

/** The file's one spelling: members by id, fields in schema order, a final newline. */
export function directoryBytes(directory: MemberDirectory): Uint8Array {
  const members = [...MemberDirectorySchema.parse(directory).members]
    .sort((a, b) => a.memberId - b.memberId)
    .map(({ memberId, nameZh, nameEn, uscc }) => ({ memberId, nameZh, nameEn, uscc }));
  return new TextEncoder().encode(`${JSON.stringify({ version: 1, members }, null, 2)}\n`);
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
export const identityOf = (directory: MemberDirectory, memberId: number): MemberIdentity | undefined =>
  directory.members.find((m) => m.memberId === memberId);
