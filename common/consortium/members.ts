// Member kinds and statuses as the ConsortiumRegistry numbers them (enum order on chain).
export const MemberKind = Object.freeze({ None: 0, Union: 1, Branch: 2, Platform: 3, Court: 4 } as const);
export type MemberKind = (typeof MemberKind)[keyof typeof MemberKind];

export const MemberStatus = Object.freeze({ None: 0, Active: 1, Suspended: 2 } as const);
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

/**
 * What a chain account may do for its member, as ConsortiumRegistry numbers it; exactly one per
 * account, fixed when it is attached. Operations: submit evidence to the anchor intake, send
 * ledger, dispute and evidence transactions, sign node-to-node requests. LogOperator: commit
 * evidence log heads and sign anchor receipts. Governance: propose, approve and execute.
 */
export const AccountRole = Object.freeze({ None: 0, Operations: 1, LogOperator: 2, Governance: 3 } as const);
export type AccountRole = (typeof AccountRole)[keyof typeof AccountRole];

/** An account to attach and its one role. */
export type AccountInit = { account: string; role: AccountRole };

/** What ConsortiumRegistry.bootstrap / addMember take for one member. */
export type MemberInit = {
  id: number;
  kind: MemberKind;
  regionCode: number;
  name: string;
  accounts: AccountInit[];
};

/** Shorthands for founders' account lists. */
export const operations = (account: string): AccountInit => ({ account, role: AccountRole.Operations });
export const logOperator = (account: string): AccountInit => ({ account, role: AccountRole.LogOperator });
export const governance = (account: string): AccountInit => ({ account, role: AccountRole.Governance });
