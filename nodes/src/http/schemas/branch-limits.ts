// The branch's own quotas under governance's ceilings.
import { z } from "zod";
import { fenString } from "./common.ts";

const decimalFen = /^(0|[1-9][0-9]{0,19})$/;
// zod runs the refinement even when the pattern failed: only a decimal reaches BigInt
const uint64Fen = z
  .string()
  .regex(decimalFen, "a decimal amount in fen")
  .refine((v) => !decimalFen.test(v) || BigInt(v) < 1n << 64n, "at most 2^64 - 1 fen");

const LimitsFen = z.object({
  singleLoanMaxFen: fenString,
  dailyDisbursementLimitFen: fenString,
  outstandingLimitFen: fenString,
  netTier1CapitalFen: fenString,
});
export const BranchLimitsView = z.object({
  branch: z.int(),
  ceilings: LimitsFen,
  limits: LimitsFen,
  governanceAccount: z.string().nullable(),
});
export const SetBranchLimitsBody = z.strictObject({
  singleLoanMaxFen: uint64Fen,
  dailyDisbursementLimitFen: uint64Fen,
  outstandingLimitFen: uint64Fen,
});
export const BranchLimitsSet = BranchLimitsView.extend({ serial: z.string(), outbox: z.unknown() });
