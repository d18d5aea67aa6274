// Public reads from the chain that the court verification page shows beside the checks:
//   GET /v1/members/:memberId     an institution's registered name, kind and status (ConsortiumRegistry)
//   GET /v1/lifecycle/:leafHash   a leaf's lifecycle now: state, legal hold, endorsers, records (EvidenceRegistry)
// Both read the contracts this service is configured with, at one block, and hold nothing.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EvidenceRegistry } from "../../../common/chain/generated/contracts.ts";
import { EVIDENCE_STATES } from "../../../common/chain/generated/enums.ts";
import { isoOfUnixSeconds } from "../../../common/formats/bundle/bundle.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";
import { AnchorError, anchorError } from "../errors.ts";
import {
  LIFECYCLE_ACTIONS,
  LifecycleResponse,
  MEMBER_KINDS,
  MEMBER_STATUSES,
  MemberParams,
  MemberResponse,
} from "../schemas/court.ts";
import { ErrorResponse, LeafParams } from "../schemas/leaves.ts";

const ZERO32 = /^0x0{64}$/;
const errors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

export type Member = {
  id: number;
  name: string;
  kind: (typeof MEMBER_KINDS)[number];
  status: (typeof MEMBER_STATUSES)[number];
  regionCode: number;
};

export function registerCourtReads(app: FastifyInstance, chain: EvidenceLogClient): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get("/v1/members/:memberId", {
    schema: {
      summary: "A consortium member's registered name, kind, region and status now",
      params: MemberParams,
      response: { 200: MemberResponse, ...errors },
    },
    handler: async (request) => onChain(() => readMember(chain, request.params.memberId)),
  });

  api.get("/v1/lifecycle/:leafHash", {
    schema: {
      summary:
        "A leaf's lifecycle in the EvidenceRegistry now: state, legal hold, endorsers and the append-only records",
      params: LeafParams,
      response: { 200: LifecycleResponse, ...errors },
    },
    handler: async (request) =>
      onChain(() => readLifecycle(chain, chain.evidenceRegistry, request.params.leafHash.toLowerCase())),
  });
}

async function readMember(chain: EvidenceLogClient, memberId: number): Promise<Member> {
  const block = await chain.provider.getBlockNumber();
  const [kind, status, regionCode] = await chain.registry.profileOf(memberId, { blockTag: block });
  // profileOf answers zeros for an unknown id; member() would revert
  if (Number(status) === 0)
    throw anchorError("ANCHOR_ERR_NOT_FOUND", `no consortium member with id ${memberId}`);
  const m = await chain.registry.member(memberId, { blockTag: block });
  return {
    id: memberId,
    name: String(m.name),
    kind: MEMBER_KINDS[Number(kind)] ?? "none",
    status: MEMBER_STATUSES[Number(status)] ?? "none",
    regionCode: Number(regionCode),
  };
}

async function readLifecycle(chain: EvidenceLogClient, registry: EvidenceRegistry, leafHash: string) {
  const block = await chain.provider.getBlockNumber();
  const at = { blockTag: block };
  const [s, endorsers, records] = await Promise.all([
    registry.status(leafHash, at),
    registry.endorsers(leafHash, at),
    registry.records(leafHash, at),
  ]);
  const state = EVIDENCE_STATES[Number(s.state)] ?? "Unknown";
  const registered = state !== "Unknown";
  return {
    leafHash,
    state,
    legalHold: Boolean(s.legalHold),
    submitter: Number(s.submitter),
    registeredAt: registered ? isoOfUnixSeconds(Number(s.registeredAt)) : null,
    replacement: ZERO32.test(String(s.replacement)) ? null : String(s.replacement).toLowerCase(),
    endorsers: endorsers.map(Number),
    records: records.map((r) => ({
      action: actionName(Number(r.action)),
      reasonCode: Number(r.reasonCode),
      byMember: Number(r.byMember),
      at: isoOfUnixSeconds(Number(r.timestamp)),
      replacement: ZERO32.test(String(r.replacement)) ? null : String(r.replacement).toLowerCase(),
    })),
    checkedAtBlock: block,
  };
}

function actionName(action: number): (typeof LIFECYCLE_ACTIONS)[number] {
  const name = LIFECYCLE_ACTIONS[action];
  // a registry newer than this service: say so rather than mislabel the record
  if (name === undefined)
    throw new Error(
      `the EvidenceRegistry reports lifecycle action ${action}, which this service does not know`,
    );
  return name;
}

/** A chain that cannot be asked is the caller's 503, not a bug. */
async function onChain<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof AnchorError) throw e;
    throw anchorError("ANCHOR_ERR_CHAIN_UNAVAILABLE", `cannot read the chain: ${(e as Error).message}`);
  }
}
