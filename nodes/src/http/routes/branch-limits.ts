// The branch's own quotas: read them, set them with the branch's governance key.
import { ADMIN, APPROVERS, roomRoutes } from "../route.ts";
import { BranchLimitsSet, BranchLimitsView, SetBranchLimitsBody } from "../schemas/branch-limits.ts";

export const branchLimitRoutes = roomRoutes("branchLimits", (routes, branchLimits) => {
  routes.get(
    "/v1/branch-limits",
    {
      summary:
        "This branch's quotas on the ledger: governance's ceilings and the limits in force, and the governance account that sets them (null: none configured)",
      reply: BranchLimitsView,
      errors: [409, 503],
      roles: APPROVERS,
    },
    async () => branchLimits.view(),
  );
  routes.put(
    "/v1/branch-limits",
    {
      summary:
        "Set this branch's own quotas (each at most its ceiling: else 422 NODE_ERR_LIMIT_ABOVE_CEILING with the ceiling) with the branch's governance key, through its outbox, awaited",
      body: SetBranchLimitsBody,
      reply: BranchLimitsSet,
      errors: [409, 422, 503, 504],
      roles: ADMIN,
    },
    async ({ body }) =>
      branchLimits.set({
        singleLoanMaxFen: BigInt(body.singleLoanMaxFen),
        dailyDisbursementLimitFen: BigInt(body.dailyDisbursementLimitFen),
        outstandingLimitFen: BigInt(body.outstandingLimitFen),
      }),
  );
});
