// The consortium's members as this node routes by them: kinds as the registry numbers them, and
// the active members by region and kind, read from ConsortiumRegistry (cached for 30 s).
import type { ConsortiumRegistry } from "../../common/chain/generated/contracts.ts";
import { nodeError } from "./errors.ts";

/** Member kinds as the registry numbers them (common/consortium/members.ts). */
export const UNION = 1;
export const BRANCH = 2;
export const PLATFORM = 3;
export const COURT = 4;
export const KIND_NAMES: Record<number, string> = {
  [UNION]: "union",
  [BRANCH]: "branch",
  [PLATFORM]: "platform",
  [COURT]: "court",
};

const ACTIVE = 1;
const CACHE_MS = 30_000;

/** The active members this node routes by. */
export type ActiveMembers = {
  at: number;
  byRegion: Map<number, number>;
  kindOf: Map<number, number>;
  union: number | undefined;
};

export class ConsortiumMembers {
  readonly #registry: ConsortiumRegistry;
  #members: ActiveMembers | undefined;

  /** `registry`: ConsortiumRegistry, read-only. */
  constructor(registry: ConsortiumRegistry) {
    this.#registry = registry;
  }

  /** Active members by region (branches), by kind, and the union (cached for 30 s). */
  async active(): Promise<ActiveMembers> {
    const now = Date.now();
    if (this.#members !== undefined && now - this.#members.at <= CACHE_MS) return this.#members;
    try {
      const ids = await this.#registry.memberIds();
      const members: ActiveMembers = { at: now, byRegion: new Map(), kindOf: new Map(), union: undefined };
      for (const id of ids) {
        const [kind, status, region] = await this.#registry.profileOf(id);
        if (Number(status) !== ACTIVE) continue;
        members.kindOf.set(Number(id), Number(kind));
        if (Number(kind) === BRANCH) members.byRegion.set(Number(region), Number(id));
        if (Number(kind) === UNION) members.union ??= Number(id);
      }
      this.#members = members;
      return members;
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the consortium registry: ${(error as Error).message}`,
      );
    }
  }

  /** A member's kind on chain, active or not (0: no such member). */
  async kindOf(memberId: number): Promise<number> {
    try {
      const [kind] = await this.#registry.profileOf(memberId);
      return Number(kind);
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the consortium registry: ${(error as Error).message}`,
      );
    }
  }

  /** The active branch of a region (NODE_ERR_NO_BRANCH_FOR_REGION if none). */
  async branchForRegion(regionCode: number): Promise<number> {
    const branch = (await this.active()).byRegion.get(regionCode);
    if (branch === undefined)
      throw nodeError(
        "NODE_ERR_NO_BRANCH_FOR_REGION",
        `no active member branch serves region ${regionCode}; the application cannot be routed`,
      );
    return branch;
  }
}
