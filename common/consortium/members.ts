// Member kinds and statuses as the ConsortiumRegistry numbers them (enum order on chain).
export const MemberKind = Object.freeze({ None: 0, Union: 1, Branch: 2, Platform: 3, Court: 4 } as const);
export type MemberKind = (typeof MemberKind)[keyof typeof MemberKind];

export const MemberStatus = Object.freeze({ None: 0, Active: 1, Suspended: 2 } as const);
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

/** What ConsortiumRegistry.bootstrap / addMember take for one member. */
export type MemberInit = {
  id: number;
  kind: MemberKind;
  regionCode: number;
  name: string;
  accounts: string[];
};
