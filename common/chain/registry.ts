// The one reader of ConsortiumRegistry: who an account is, what a member is, the evidence
// contracts and governance parameters, each at an optional block (a court's view is "as of the
// anchoring block"). Numbers come back as the generated enums, not bigints.
import type { BlockTag, ContractRunner } from "ethers";
import { ConsortiumRegistry } from "./generated/contracts.ts";
import {
  ACCOUNT_ROLES,
  MEMBER_KINDS,
  MEMBER_STATUSES,
  type AccountRole,
  type MemberKind,
  type MemberStatus,
} from "./generated/enums.ts";

/** What an account is to the registry: its member (0: none), that member's status, and the account's role. */
export type AccountInfo = { memberId: number; status: MemberStatus; role: AccountRole };
/** A member's kind, status and region. */
export type MemberProfile = { kind: MemberKind; status: MemberStatus; regionCode: number };
/** A member's whole record. */
export type MemberRecord = MemberProfile & { id: number; name: string };

function enumValue<T extends number>(names: readonly string[], value: bigint, what: string): T {
  const n = Number(value);
  if (!(n >= 0 && n < names.length))
    throw new RangeError(`${what} ${value} is not one the registry numbers (${names.join(", ")})`);
  return n as T;
}

export class RegistryReader {
  readonly contract: ConsortiumRegistry;

  constructor(registry: ConsortiumRegistry | string, runner?: ContractRunner | null) {
    this.contract = typeof registry === "string" ? ConsortiumRegistry.at(registry, runner) : registry;
  }

  async accountOf(account: string, blockTag?: BlockTag): Promise<AccountInfo> {
    const [memberId, status, role] = await this.contract.accountOf(account, { blockTag });
    return {
      memberId: Number(memberId),
      status: enumValue<MemberStatus>(MEMBER_STATUSES, status, "member status"),
      role: enumValue<AccountRole>(ACCOUNT_ROLES, role, "account role"),
    };
  }

  async profileOf(memberId: number | bigint, blockTag?: BlockTag): Promise<MemberProfile> {
    const [kind, status, regionCode] = await this.contract.profileOf(memberId, { blockTag });
    return {
      kind: enumValue<MemberKind>(MEMBER_KINDS, kind, "member kind"),
      status: enumValue<MemberStatus>(MEMBER_STATUSES, status, "member status"),
      regionCode: Number(regionCode),
    };
  }

  async member(memberId: number | bigint, blockTag?: BlockTag): Promise<MemberRecord> {
    const m = await this.contract.member(memberId, { blockTag });
    return {
      id: Number(m.id),
      kind: enumValue<MemberKind>(MEMBER_KINDS, m.kind, "member kind"),
      status: enumValue<MemberStatus>(MEMBER_STATUSES, m.status, "member status"),
      regionCode: Number(m.regionCode),
      name: m.name,
    };
  }

  async statusOf(memberId: number | bigint, blockTag?: BlockTag): Promise<MemberStatus> {
    return enumValue<MemberStatus>(
      MEMBER_STATUSES,
      await this.contract.statusOf(memberId, { blockTag }),
      "member status",
    );
  }

  async memberIds(blockTag?: BlockTag): Promise<number[]> {
    return (await this.contract.memberIds({ blockTag })).map(Number);
  }

  /** The official EvidenceLog and EvidenceRegistry. */
  async evidenceContracts(blockTag?: BlockTag): Promise<{ evidenceLog: string; evidenceRegistry: string }> {
    const [evidenceLog, evidenceRegistry] = await this.contract.evidenceContracts({ blockTag });
    return { evidenceLog, evidenceRegistry };
  }

  /** A governance parameter by key (bytes32); 0 when never set. */
  async parameter(key: string, blockTag?: BlockTag): Promise<bigint> {
    return this.contract.parameter(key, { blockTag });
  }
}
