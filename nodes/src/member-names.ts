// What the console shows of the consortium: each member's legal names and unified social credit
// code, from the directory file governance set (common/consortium/member-directory.ts: the file is
// read again and checked against the governed SHA-256 at each ask, so a file edited on disk is
// refused, not shown), and whether the chain is a development chain, marked as a test environment.
import { readFile } from "node:fs/promises";
import type { Provider } from "ethers";
import {
  MemberDirectoryError,
  readGovernedDirectory,
  type MemberDirectory,
} from "../../common/consortium/member-directory.ts";
import { nodeError } from "./errors.ts";

export type ConsortiumView = {
  /** The chain's id and whether it is a development chain (NODE_TEST_CHAIN_IDS, default 31337). */
  environment(): { chainId: string; testEnvironment: boolean };
  /** The governed directory; NODE_ERR_NO_MEMBER_DIRECTORY (409) with the reason when there is none to give. */
  members(): Promise<MemberDirectory>;
};

export function consortiumView(options: {
  chainId: bigint;
  testChainIds: readonly number[];
  directoryFile: string | undefined;
  provider: Provider;
  consortiumRegistry: string;
}): ConsortiumView {
  const { chainId, testChainIds, directoryFile } = options;
  const environment = {
    chainId: chainId.toString(),
    testEnvironment: testChainIds.some((id) => BigInt(id) === chainId),
  };
  return {
    environment: () => environment,
    async members() {
      if (directoryFile === undefined)
        throw nodeError("NODE_ERR_NO_MEMBER_DIRECTORY", "no member directory file is configured");
      try {
        const bytes = await readFile(directoryFile);
        return await readGovernedDirectory(bytes, options.provider, options.consortiumRegistry);
      } catch (error) {
        const missing = (error as { code?: unknown }).code === "ENOENT";
        if (missing || error instanceof MemberDirectoryError || error instanceof SyntaxError)
          throw nodeError("NODE_ERR_NO_MEMBER_DIRECTORY", (error as Error).message);
        throw error;
      }
    },
  };
}
