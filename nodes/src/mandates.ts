// Mandates (委托): a branch lets another member's operations account service one of its loans —
// cancel it, take its repayments or settlement — until a time it chooses (JointLoanLedger
// grantMandate / revokeMandate / mandate). The branch's node checks what the chain would refuse
// before writing anything (the loan is its own, the agent is an operations account of another
// active member, the expiry is ahead of the chain's clock), then writes through the outbox.
import { z } from "zod";
import type { ConsortiumRegistry, JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { AccountRole, MemberStatus } from "../../common/chain/generated/enums.ts";
import { nodeError } from "./errors.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { OutboxEntry } from "./outbox/entry.ts";
import { awaitChainWrite, ledgerLoan } from "./servicing.ts";
import { Room } from "./room.ts";

export type MandateDeps = {
  memberId: number;
  /** JointLoanLedger, read-only (loan, mandate). */
  ledger: Pick<JointLoanLedger, "loan" | "mandate">;
  /** ConsortiumRegistry, read-only (accountOf). */
  registry: ConsortiumRegistry;
  outbox: Outbox;
  /** Unix seconds of the chain's latest block: the clock the ledger compares expiries with. */
  chainNow: () => Promise<number>;
  chainWriteTimeoutMs?: number;
};

/** A mandate as the ledger states it, as the node answers it. */
export const MandateViewSchema = z.object({
  loanId: z.string(),
  agent: z.string(),
  branch: z.int().nullable(),
  expiresAt: z.string().nullable(),
  active: z.boolean(),
});
export type MandateView = z.infer<typeof MandateViewSchema>;

export class MandateOperations extends Room<MandateDeps> {
  /** The mandate `agent` holds for the loan as the ledger states it (none: branch and expiresAt null). */
  async view(loanId: string, agent: string): Promise<MandateView> {
    const id = loanId.toLowerCase();
    const who = agent.toLowerCase();
    await this.#loanBranch(id);
    let branch: bigint;
    let expiresAt: bigint;
    try {
      [branch, expiresAt] = await this.deps.ledger.mandate(id, who);
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the mandate of ${who} for loan ${id}: ${(error as Error).message}`,
      );
    }
    if (expiresAt === 0n) return { loanId: id, agent: who, branch: null, expiresAt: null, active: false };
    const now = await this.#now();
    return {
      loanId: id,
      agent: who,
      branch: Number(branch),
      expiresAt: new Date(Number(expiresAt) * 1000).toISOString(),
      active: Number(expiresAt) > now,
    };
  }

  /** Grant (or re-grant with another expiry) a mandate for one of this branch's loans. */
  async grant(
    loanId: string,
    agent: string,
    expiresAtIso: string,
  ): Promise<{ mandate: MandateView; serial: string; outbox: OutboxEntry }> {
    const id = loanId.toLowerCase();
    const who = agent.toLowerCase();
    const expiresAt = Math.floor(Date.parse(expiresAtIso) / 1000);
    await this.#requireOwnLoan(id);
    const now = await this.#now();
    if (!(expiresAt > now))
      throw nodeError(
        "NODE_ERR_VALIDATION",
        `expiresAt ${expiresAtIso} is not after the chain's time ${new Date(now * 1000).toISOString()}`,
        { expiresAt, chainNow: now },
      );
    let memberId: bigint, status: bigint, role: bigint;
    try {
      [memberId, status, role] = await this.deps.registry.accountOf(who);
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read account ${who} from the registry: ${(error as Error).message}`,
      );
    }
    if (
      Number(status) !== MemberStatus.Active ||
      Number(role) !== AccountRole.Operations ||
      Number(memberId) === this.deps.memberId
    ) {
      throw nodeError(
        "NODE_ERR_BAD_MANDATE_AGENT",
        `${who} is not an operations account of another active member (member ${memberId}, status ${status}, role ${role})`,
        { agent: who, memberId: Number(memberId), status: Number(status), role: Number(role) },
      );
    }
    // within the outbox's 128 characters: the agent without its 0x
    const serial = `grant:${id}:${who.slice(2)}:${expiresAt}`;
    const entry = await this.#write(
      serial,
      { kind: "grantMandate", args: { loanId: id, agent: who, expiresAt } },
      `granting ${who} a mandate for loan ${id}`,
    );
    return { mandate: await this.view(id, who), serial, outbox: entry };
  }

  /** Revoke the mandate `agent` holds for one of this branch's loans. */
  async revoke(
    loanId: string,
    agent: string,
  ): Promise<{ mandate: MandateView; serial: string; outbox: OutboxEntry }> {
    const id = loanId.toLowerCase();
    const who = agent.toLowerCase();
    await this.#requireOwnLoan(id);
    const current = await this.view(id, who);
    if (current.expiresAt === null)
      throw nodeError("NODE_ERR_NOT_FOUND", `${who} holds no mandate for loan ${id}`);
    if (current.branch !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `the mandate of ${who} for loan ${id} was granted by member ${current.branch}, not this node's member ${this.deps.memberId}`,
      );
    }
    // named after the grant it revokes, so a later grant can be revoked again
    const serial = `revoke:${id}:${who.slice(2)}:${Date.parse(current.expiresAt) / 1000}`;
    const entry = await this.#write(
      serial,
      { kind: "revokeMandate", args: { loanId: id, agent: who } },
      `revoking the mandate of ${who} for loan ${id}`,
    );
    return { mandate: await this.view(id, who), serial, outbox: entry };
  }

  async #write(
    serial: string,
    flow:
      | { kind: "grantMandate"; args: { loanId: string; agent: string; expiresAt: number } }
      | { kind: "revokeMandate"; args: { loanId: string; agent: string } },
    what: string,
  ): Promise<OutboxEntry> {
    return awaitChainWrite(
      this.deps.outbox,
      { serial, ...flow },
      {
        what,
        ...(this.deps.chainWriteTimeoutMs === undefined ? {} : { timeoutMs: this.deps.chainWriteTimeoutMs }),
      },
    );
  }

  async #requireOwnLoan(loanId: string): Promise<void> {
    const branch = await this.#loanBranch(loanId);
    if (branch !== this.deps.memberId) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `loan ${loanId} belongs to branch ${branch}; only its own branch's node grants or revokes mandates for it (this node is member ${this.deps.memberId})`,
      );
    }
  }

  async #loanBranch(loanId: string): Promise<number> {
    return (await ledgerLoan(this.deps.ledger, loanId)).branch;
  }

  async #now(): Promise<number> {
    try {
      return await this.deps.chainNow();
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the chain's time: ${(error as Error).message}`,
      );
    }
  }
}
