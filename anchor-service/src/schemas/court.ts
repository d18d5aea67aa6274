// Schemas of the reads behind the court verification page (zod, turned into OpenAPI at /docs):
// a member's public profile, a leaf's lifecycle in the EvidenceRegistry, and the QR code target.
import { z } from "zod";
import {
  EVIDENCE_STATES,
  LIFECYCLE_ACTIONS as CHAIN_LIFECYCLE_ACTIONS,
  MEMBER_KINDS as CHAIN_MEMBER_KINDS,
  MEMBER_STATUSES as CHAIN_MEMBER_STATUSES,
} from "../../../common/chain/generated/enums.ts";
import { uncapitalized } from "../../../common/chain/names.ts";
import { bytes32 } from "./leaves.ts";

/** The registry's enums as the API spells them ("legalHoldPlaced"), in chain order. */
export const MEMBER_KINDS = uncapitalized(CHAIN_MEMBER_KINDS);
export const MEMBER_STATUSES = uncapitalized(CHAIN_MEMBER_STATUSES);
export const LIFECYCLE_ACTIONS = uncapitalized(CHAIN_LIFECYCLE_ACTIONS);

export const MemberParams = z.strictObject({
  memberId: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1)
    .describe("a consortium member id"),
});

export const MemberResponse = z.object({
  id: z.int(),
  name: z.string().describe("the institution's registered name (ConsortiumRegistry)"),
  kind: z.enum(MEMBER_KINDS),
  status: z.enum(MEMBER_STATUSES).describe("its status now"),
  regionCode: z.int().describe("administrative region code (GB/T 2260)"),
});

export const LifecycleResponse = z.object({
  leafHash: z.string(),
  state: z.enum(EVIDENCE_STATES).describe("Unknown: never registered in the lifecycle registry"),
  legalHold: z.boolean(),
  submitter: z.int().describe("0 when not registered"),
  registeredAt: z.string().nullable().describe("ISO 8601 UTC; null when not registered"),
  replacement: z.string().nullable().describe("the leaf hash that supersedes this one"),
  endorsers: z.array(z.int()).describe("member ids that endorsed (co-signed) the evidence, in order"),
  records: z
    .array(
      z.object({
        action: z.enum(LIFECYCLE_ACTIONS),
        reasonCode: z.int(),
        byMember: z.int(),
        at: z.string().describe("ISO 8601 UTC block time"),
        replacement: z.string().nullable(),
      }),
    )
    .describe("the append-only lifecycle records, oldest first"),
  checkedAtBlock: z.int().describe("the block every field was read at"),
});

export const QrQuery = z.strictObject({
  leaf: bytes32.describe("the leaf hash the QR code's link verifies"),
});
