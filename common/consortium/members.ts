// Member kinds, statuses and account roles as ConsortiumRegistry numbers them, generated from the
// contracts (common/chain/generated/enums.ts). AccountRole: exactly one per account, fixed when it
// is attached. Operations: submit evidence to the anchor intake, send ledger, dispute and evidence
// transactions, sign node-to-node requests. LogOperator: commit evidence log heads and sign anchor
// receipts. Governance: propose, approve and execute.
import { AccountRole, MemberKind, MemberStatus } from "../chain/generated/enums.ts";

export { AccountRole, MemberKind, MemberStatus };

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
