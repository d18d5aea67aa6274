// The staff room's request and answer schemas (../http/routes/staff.ts): console sessions, accounts, the audit trail.
import { z } from "zod";

const userName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64");
const role = z.enum(["clerk", "approver", "admin", "court-clerk"]);

export const LoginBody = z.strictObject({ user: userName, token: z.string().min(1).max(512) });
export const SessionReply = z
  .strictObject({ token: z.string(), user: z.string(), role, expiresAt: z.number() })
  .describe("a console session: its bearer token (sent as 'Authorization: Bearer …') until expiresAt (ms)");
export const MeReply = z.strictObject({ user: z.string(), role, memberId: z.number() });
export const LogoutReply = z.strictObject({ ended: z.boolean() });

const Account = z.strictObject({
  user: z.string(),
  role,
  disabled: z.boolean(),
  createdAt: z.number(),
  changedAt: z.number(),
});
export const AccountsReply = z.strictObject({ accounts: z.array(Account) });
export const AccountReply = z.strictObject({ account: Account });
export const AccountWithTokenReply = z
  .strictObject({ account: Account, token: z.string() })
  .describe("the account and its new API token, shown this once");
export const CreateAccountBody = z.strictObject({ user: userName, role });
export const AccountParams = z.strictObject({ user: userName });
export const ChangeAccountBody = z
  .strictObject({ role: role.optional(), disabled: z.boolean().optional() })
  .refine((b) => b.role !== undefined || b.disabled !== undefined, "name a role, disabled, or both");

export const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  user: userName.optional(),
  beforeSeq: z.coerce.number().int().min(1).optional(),
});
export const AuditReply = z.strictObject({
  entries: z.array(
    z.strictObject({
      seq: z.number(),
      at: z.number(),
      user: z.string(),
      role: z.string(),
      action: z.string(),
      path: z.string(),
      status: z.number(),
      note: z.string().optional(),
    }),
  ),
});

const inboxState = z.enum(["new", "in-review", "second-approver", "approved", "declined"]);
export const InboxQuery = z.strictObject({
  channel: z.string().min(1).max(64).optional(),
  state: inboxState.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const InboxReply = z.strictObject({
  applications: z.array(
    z.strictObject({
      applicationId: z.string(),
      channel: z.string(),
      platformApplicationId: z.string(),
      assignedBranch: z.number(),
      createdAt: z.string(),
      principalFen: z.string(),
      termMonths: z.number().optional(),
      termDays: z.number().optional(),
      aprBps: z.number(),
      state: inboxState.describe(
        "new: no credit decision yet; in-review: referred, waiting for an approver; second-approver: referred above the dual-approval threshold, two different approvers must approve; approved / declined: its latest decision",
      ),
    }),
  ),
});
