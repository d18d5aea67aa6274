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
//
// Key rotation. The chain keeps only the current file's digest (the registry parameter; earlier
// values only in ParameterChanged events and archive state), and a court verifies an old bundle
// against today's directory. So the directory itself carries the history a receipt needs: the
// current key with the time it came into force (receiptSm2KeyValidFrom) and each key rotated out
// with the period it was in force (previousReceiptSm2Keys). A receipt verifies under the key in
// force at its receivedAt only: an old key keeps verifying what it signed in its period, and
// nothing dated after it (receiptSm2KeysOf, verifyGovernedReceipt).
import { createHash } from "node:crypto";
import { Interface, keccak256, toUtf8Bytes, type Provider } from "ethers";
import { z } from "zod";
import { EvidenceLog } from "../chain/generated/contracts.ts";
import { RegistryReader } from "../chain/registry.ts";
import { fromHex } from "../bytes.ts";
import { sm2 } from "../crypto/sm2.ts";
import { duplicateKeyIn } from "../json/duplicate-keys.ts";
import type { GovernedSm2Key } from "../formats/receipt/receipts.ts";
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

/** A moment as the directory states it: ISO 8601 UTC, whole seconds ("2026-12-06T08:00:00Z"). */
const MomentSchema = z.iso.datetime({ precision: 0 }).meta({ example: "2026-12-06T08:00:00Z" });

/** A receipt key rotated out, and the receipts' receivedAt it was in force for: [validFrom, validUntil). */
const PreviousSm2KeySchema = z.strictObject({
  publicKey: Sm2PublicKeySchema,
  /** Absent: from the start. */
  validFrom: MomentSchema.optional(),
  validUntil: MomentSchema,
});

const seconds = (moment: string): number => Date.parse(moment) / 1000;

/** A member's entry: its legal identity and, for an anchor operator, its SM2 receipt key and the keys it rotated out. */
export const DirectoryEntrySchema = MemberIdentitySchema.extend({
  receiptSm2PublicKey: Sm2PublicKeySchema.optional(),
  /** When receiptSm2PublicKey came into force (absent: from the start); required once a key was rotated out. */
  receiptSm2KeyValidFrom: MomentSchema.optional(),
  previousReceiptSm2Keys: z.array(PreviousSm2KeySchema).max(64).optional(),
}).superRefine((entry, ctx) => {
  const issue = (message: string) =>
    ctx.addIssue({ code: "custom", message: `member ${entry.memberId}: ${message}` });
  if (entry.receiptSm2KeyValidFrom !== undefined && entry.receiptSm2PublicKey === undefined)
    issue("receiptSm2KeyValidFrom without a receiptSm2PublicKey");
  const periods = receiptSm2KeysOfEntry(entry);
  // a malformed moment has its own issue already; its periods cannot be compared
  if (periods.some((p) => Number.isNaN(p.validFrom ?? 0) || Number.isNaN(p.validUntil ?? 0))) return;
  for (const p of periods)
    if (p.validFrom !== undefined && p.validUntil !== undefined && p.validFrom >= p.validUntil)
      issue(`the SM2 receipt key ${p.publicKey}'s period ends (validUntil) at or before it begins`);
  // one key in force at any time: sorted by start, each period ends before the next begins
  const sorted = [...periods].sort((a, b) => (a.validFrom ?? -Infinity) - (b.validFrom ?? -Infinity));
  sorted.slice(1).forEach((next, i) => {
    const end = sorted[i]!.validUntil;
    if (end === undefined || next.validFrom === undefined || next.validFrom < end)
      issue(
        `the periods of SM2 receipt keys ${sorted[i]!.publicKey} and ${next.publicKey} overlap: a key rotated out needs its validUntil, the key after it a validFrom at or after it`,
      );
  });
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

const ENTRY_FIELDS = Object.keys(DirectoryEntrySchema.shape);
const PREVIOUS_KEY_FIELDS = Object.keys(PreviousSm2KeySchema.shape);

/** `value`'s defined fields in the order `fields` names them (the file's one field order). */
const ordered = (value: object, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(
    fields.map((f) => [f, (value as Record<string, unknown>)[f]] as const).filter(([, v]) => v !== undefined),
  );

/** The file's one spelling: members by id, fields in schema order, key periods by end, a final newline. */
export function directoryBytes(directory: MemberDirectory): Uint8Array {
  const parsed = MemberDirectorySchema.parse(directory);
  const members = [...parsed.members]
    .sort((a, b) => a.memberId - b.memberId)
    .map((m) =>
      ordered(
        {
          ...m,
          previousReceiptSm2Keys: m.previousReceiptSm2Keys
            ?.toSorted((a, b) => seconds(a.validUntil) - seconds(b.validUntil))
            .map((k) => ordered(k, PREVIOUS_KEY_FIELDS)),
        },
        ENTRY_FIELDS,
      ),
    );
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

/**
 * Why `bytes` cannot be proposed as the directory (an empty list: it can): not JSON, a key
 * repeated (JSON.parse would show the last, a reader of the file the first), a field the schema
 * refuses (a credit code's check character, a name, a key, overlapping key periods), an SM2 key
 * off the curve, or not the file's one spelling (directoryBytes), which every node compares
 * byte for byte with the governed digest.
 */
export function directoryFileProblems(bytes: Uint8Array): string[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return [`not UTF-8 JSON: ${(error as Error).message}`];
  }
  const repeated = duplicateKeyIn(bytes);
  if (repeated !== undefined) return [`${repeated}: a key is repeated`];
  const parsed = MemberDirectorySchema.safeParse(json);
  if (!parsed.success)
    return parsed.error.issues.map((i) => `${i.path.join(".") || "directory"}: ${i.message}`);
  const offCurve = parsed.data.members.flatMap((m) =>
    [m.receiptSm2PublicKey, ...(m.previousReceiptSm2Keys ?? []).map((k) => k.publicKey)]
      .filter((key): key is string => key !== undefined)
      .filter((key) => {
        try {
          sm2.z(fromHex(key));
          return false;
        } catch {
          return true;
        }
      })
      .map((key) => `member ${m.memberId}: ${key} is not a point of the SM2 curve`),
  );
  if (offCurve.length > 0) return offCurve;
  const canonical = directoryBytes(parsed.data);
  if (Buffer.compare(Buffer.from(canonical), Buffer.from(bytes)) !== 0)
    return [
      "not the directory's one spelling: members by id, fields in schema order, two-space JSON, a final newline (directoryBytes)",
    ];
  return [];
}

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

/** Every SM2 receipt key of an entry with the period it is in force for (unix seconds), the current one last. */
function receiptSm2KeysOfEntry(entry: z.input<typeof DirectoryEntrySchema>): GovernedSm2Key[] {
  const previous = (entry.previousReceiptSm2Keys ?? []).map((k) => ({
    publicKey: k.publicKey,
    ...(k.validFrom === undefined ? {} : { validFrom: seconds(k.validFrom) }),
    validUntil: seconds(k.validUntil),
  }));
  const current =
    entry.receiptSm2PublicKey === undefined
      ? []
      : [
          {
            publicKey: entry.receiptSm2PublicKey,
            ...(entry.receiptSm2KeyValidFrom === undefined
              ? {}
              : { validFrom: seconds(entry.receiptSm2KeyValidFrom) }),
          },
        ];
  return [...previous, ...current];
}

/** The SM2 receipt keys governance set for `memberId`, each with its period (none: an empty list). */
export function receiptSm2KeysOf(directory: MemberDirectory, memberId: number): GovernedSm2Key[] {
  const entry = identityOf(directory, memberId);
  return entry === undefined ? [] : receiptSm2KeysOfEntry(entry);
}

/**
 * The SM2 receipt key governance binds to a log: its operating member's, from the governed
 * directory — the current key, and every key with its period (for receipts of any date).
 */
export type GovernedReceiptKey = {
  operatorMemberId: number;
  sm2PublicKey: string | undefined;
  sm2Keys: GovernedSm2Key[];
};

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
  return {
    operatorMemberId,
    sm2PublicKey: receiptSm2KeyOf(directory, operatorMemberId),
    sm2Keys: receiptSm2KeysOf(directory, operatorMemberId),
  };
}
