// A loan's mediation case is held by its branch's node (mediation.ts): the lender of record, and
// the only member the chain takes the plan's adoption from. A keeper running on another node —
// the union's, whose rounds go across branches — reaches the case through the branch's node:
// each step (open, may it go on to arbitration) is a node-to-node request signed with the
// keeper node's operations key, which the branch's node checks is the union's before it acts.
import { nodeError } from "../errors.ts";
import type { KeeperMediation } from "../keeper/keeper.ts";
import type { SignedHeaders } from "../node-requests.ts";
import type { MediationService } from "./mediation.ts";

export type MediationStep = keyof KeeperMediation;

/** The branch node's route a keeper elsewhere asks a step at. */
export const keeperStepPath = (loanId: string) => `/v1/loans/${loanId}/mediation/keeper-steps`;

export type CaseHolderDeps = {
  memberId: number;
  /** The loan's branch, as the chain records it. */
  branchOf: (loanId: string) => Promise<number>;
  /** This node's own cases. */
  local: KeeperMediation;
  /** One step at the branch's node, its answer. */
  atBranch: (branch: number, loanId: string, step: MediationStep) => Promise<boolean>;
  log?: { warn(obj: object, msg: string): void };
};

/**
 * The keeper's mediation port: this node's case where it is the loan's branch, the branch's node's
 * otherwise. A branch node that cannot be reached opens nothing and holds arbitration: a loan is
 * never taken to arbitration without its branch's word that mediation was tried.
 */
export function caseHolderMediation(deps: CaseHolderDeps): KeeperMediation {
  const step = async (loanId: string, name: MediationStep): Promise<boolean> => {
    const branch = await deps.branchOf(loanId);
    if (branch === deps.memberId) return deps.local[name](loanId);
    try {
      return await deps.atBranch(branch, loanId, name);
    } catch (error) {
      deps.log?.warn(
        { loanId, branch, step: name, err: (error as Error).message },
        "the branch's node did not answer a mediation step; asked again next round",
      );
      return false;
    }
  };
  return { open: (loanId) => step(loanId, "open"), mayArbitrate: (loanId) => step(loanId, "mayArbitrate") };
}

/**
 * The branch's node answers a keeper's step on a case it holds: the mediation room's
 * `verifyKeeperRequest` checks the request is the union's node's (signed, its nonce spent) before
 * anything is opened or recorded.
 */
export async function answerKeeperStep(
  mediation: MediationService,
  headers: SignedHeaders,
  loanId: string,
  step: MediationStep,
): Promise<{ loanId: string; step: MediationStep; answer: boolean }> {
  const verify = mediation.deps.verifyKeeperRequest;
  if (verify === undefined)
    throw nodeError("NODE_ERR_NOT_FOUND", "this node takes no mediation steps from other nodes");
  await verify(headers);
  await mediation.deps.beforeStep?.();
  // both steps are the holder's alone: a loan unknown to the ledger, or another branch's, is
  // refused rather than answered "no case here, arbitration may follow"
  await mediation.requireHolder(loanId);
  const answer = await mediation[step](loanId);
  return { loanId: loanId.toLowerCase(), step, answer };
}
