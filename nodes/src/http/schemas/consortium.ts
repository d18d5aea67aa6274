// The consortium as the console shows it: the chain (a development chain marked as a test
// environment) and the members' legal names and credit codes from the governed directory.
import { z } from "zod";
import { MemberDirectorySchema } from "../../../../common/consortium/member-directory.ts";

export const EnvironmentReply = z.strictObject({
  chainId: z.string().describe("the chain's id, decimal").meta({ example: "31337" }),
  testEnvironment: z
    .boolean()
    .describe("a development chain (NODE_TEST_CHAIN_IDS, default 31337): pages mark it a test environment"),
});

export const MembersReply = MemberDirectorySchema.describe(
  "the member directory governance set: each member's legal Chinese and English names and unified social credit code",
);
