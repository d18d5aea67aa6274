// The branch's own quotas (单笔上限, 日放款限额, 余额上限) under governance's ceilings: the ledger
// takes setOwnBranchLimits only from the branch's governance-role account, so the node sends it
// with a separate key (NODE_GOVERNANCE_KEYSTORE_FILE) through its own outbox (one sender per
// key). A value above its ceiling is refused before anything is written, with the ceiling.
import type { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { nodeError } from "./errors.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { awaitChainWrite } from "./servicing.ts";
import { Room } from "./room.ts";

export const LIMIT_FIELDS = ["singleLoanMax", "dailyDisbursementLimit", "outstandingLimit"] as const;
type Limits = Record<(typeof LIMIT_FIELDS)[number], bigint> & { netTier1Capital: bigint };

export type BranchLimitsDeps = {
  memberId: number;
  memberKind: string;
  /** JointLoanLedger, read-only: the branch's limits and governance's ceilings. */
  ledger: Pick<JointLoanLedger, "branchLimits" | "branchCeilings">;
  /** The governance key's outbox and address; absent: no governance key configured. */
  governance?: { outbox: Outbox; address: string };
  /** A fresh part for each request's serial (the chain's block number). */
  blockNumber: () => Promise<number>;
  chainWriteTimeoutMs?: number;
};

const fen = (l: Limits) => ({
  singleLoanMaxFen: l.singleLoanMax.toString(),
  dailyDisbursementLimitFen: l.dailyDisbursementLimit.toString(),
  outstandingLimitFen: l.outstandingLimit.toString(),
  netTier1CapitalFen: l.netTier1Capital.toString(),
});

export class BranchLimitsOperations extends Room<BranchLimitsDeps> {
  async view() {
    this.#requireBranch();
    const [ceilings, limits] = await Promise.all([this.#read("branchCeilings"), this.#read("branchLimits")]);
    return {
      branch: this.deps.memberId,
      ceilings: fen(ceilings),
      limits: fen(limits),
      governanceAccount: this.deps.governance?.address.toLowerCase() ?? null,
    };
  }

  /** Set the branch's own quotas (fen); each at most its ceiling. */
  async set(input: {
    singleLoanMaxFen: bigint;
    dailyDisbursementLimitFen: bigint;
    outstandingLimitFen: bigint;
  }) {
    this.#requireBranch();
    const governance = this.deps.governance;
    if (governance === undefined) {
      throw nodeError(
        "NODE_ERR_NO_GOVERNANCE_KEY",
        "this node has no governance key: the ledger takes the branch's own quotas only from its governance-role account (set NODE_GOVERNANCE_KEYSTORE_FILE)",
      );
    }
    const wanted = {
      singleLoanMax: input.singleLoanMaxFen,
      dailyDisbursementLimit: input.dailyDisbursementLimitFen,
      outstandingLimit: input.outstandingLimitFen,
    };
    const ceilings = await this.#read("branchCeilings");
    LIMIT_FIELDS.forEach((field, index) => {
      if (wanted[field] > ceilings[field]) {
        throw nodeError(
          "NODE_ERR_LIMIT_ABOVE_CEILING",
          `${field} ${wanted[field]} fen is above governance's ceiling ${ceilings[field]} fen`,
          {
            field,
            fieldIndex: index,
            valueFen: wanted[field].toString(),
            ceilingFen: ceilings[field].toString(),
          },
        );
      }
    });
    const serial = `limits:${this.deps.memberId}:${await this.deps.blockNumber()}:${wanted.singleLoanMax}:${wanted.dailyDisbursementLimit}:${wanted.outstandingLimit}`;
    const flow = {
      serial,
      kind: "setOwnBranchLimits" as const,
      args: {
        branch: this.deps.memberId,
        singleLoanMax: wanted.singleLoanMax,
        dailyDisbursementLimit: wanted.dailyDisbursementLimit,
        outstandingLimit: wanted.outstandingLimit,
      },
    };
    const entry = await awaitChainWrite(governance.outbox, flow, {
      what: "setting the branch's quotas",
      ...(this.deps.chainWriteTimeoutMs === undefined ? {} : { timeoutMs: this.deps.chainWriteTimeoutMs }),
      // governance lowered a ceiling between the check and the block
      refusal: (failure) => {
        if (failure.code !== "LedgerLimitAboveCeiling") return undefined;
        const [, field, value, ceiling] = failure.args as [string, string, string, string];
        return nodeError(
          "NODE_ERR_LIMIT_ABOVE_CEILING",
          `${LIMIT_FIELDS[Number(field)] ?? field} ${value} fen is above governance's ceiling ${ceiling} fen`,
          {
            field: LIMIT_FIELDS[Number(field)],
            fieldIndex: Number(field),
            valueFen: value,
            ceilingFen: ceiling,
          },
        );
      },
    });
    return { ...(await this.view()), serial, outbox: entry };
  }

  #requireBranch(): void {
    if (this.deps.memberKind !== "branch")
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `only a branch has quotas; this node is a ${this.deps.memberKind}`,
      );
  }

  async #read(view: "branchLimits" | "branchCeilings"): Promise<Limits> {
    try {
      const l = await this.deps.ledger[view](this.deps.memberId);
      return {
        singleLoanMax: BigInt(l.singleLoanMax),
        dailyDisbursementLimit: BigInt(l.dailyDisbursementLimit),
        outstandingLimit: BigInt(l.outstandingLimit),
        netTier1Capital: BigInt(l.netTier1Capital),
      };
    } catch (error) {
      throw nodeError(
        "NODE_ERR_CHAIN_UNAVAILABLE",
        `cannot read the branch's ${view} from the ledger: ${(error as Error).message}`,
      );
    }
  }
}
