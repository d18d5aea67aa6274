// The branch's own quotas: read them, set them with the branch's governance key.
import { ADMIN, APPROVERS } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { BranchLimitsSet, BranchLimitsView, SetBranchLimitsBody } from "../schemas/branch-limits.ts";
import { fenJson, tokenErrors } from "../schemas/common.ts";

export const branchLimitRoutes: RouteFile = (api, deps) => {
  const branchLimits = deps.branchLimits;
  if (branchLimits === undefined) return;
  api.get("/v1/branch-limits", {
    schema: {
      summary:
        "This branch's quotas on the ledger: governance's ceilings and the limits in force, and the governance account that sets them (null: none configured)",
      response: { 200: BranchLimitsView, ...tokenErrors(409, 503) },
    },
    config: { roles: APPROVERS },
    handler: async () => branchLimits.view(),
  });
  api.put("/v1/branch-limits", {
    schema: {
      summary:
        "Set this branch's own quotas (each at most its ceiling: else 422 NODE_ERR_LIMIT_ABOVE_CEILING with the ceiling) with the branch's governance key, through its outbox, awaited",
      body: SetBranchLimitsBody,
      response: { 200: BranchLimitsSet, ...tokenErrors(409, 422, 503, 504) },
    },
    config: { roles: ADMIN },
    handler: async (request) => {
      const b = request.body;
      return fenJson(
        BranchLimitsSet,
        await branchLimits.set({
          singleLoanMaxFen: BigInt(b.singleLoanMaxFen),
          dailyDisbursementLimitFen: BigInt(b.dailyDisbursementLimitFen),
          outstandingLimitFen: BigInt(b.outstandingLimitFen),
        }),
      );
    },
  });
};
