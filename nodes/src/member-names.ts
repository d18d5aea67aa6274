// What the console shows of the consortium: each member's legal names and unified social credit
// code, from the directory file governance set (common/consortium/member-directory.ts: the file is
// read again and checked against the governed SHA-256 at each ask, so a file edited on disk is
// refused, not shown), and whether the chain is a development chain, marked as a test environment.
// The same directory binds the anchor service's SM2 receipt key: the node's anchor client checks
// receipts against the key governed for the log's operator (governedReceiptSm2Key).
import { readFile } from "node:fs/promises";
import type { Provider } from "ethers";
import {
  MemberDirectoryError,
  governedReceiptKey,
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

/** The directory's refusals (missing, not governed, malformed) as NODE_ERR_NO_MEMBER_DIRECTORY; others as they are. */
function directoryRefusal(error: unknown): unknown {
  const missing = (error as { code?: unknown }).code === "ENOENT";
  return missing || error instanceof MemberDirectoryError || error instanceof SyntaxError
    ? nodeError("NODE_ERR_NO_MEMBER_DIRECTORY", (error as Error).message)
    : error;
}

const RECEIPT_KEY_CACHE_MS = 30_000;

/**
 * The SM2 receipt key the governed directory in `directoryFile` binds to a log's operator, for
 * the node's anchor client (cached 30 s, like the members it routes by): an anchor service
 * announcing another key, or signing with one, is refused. A directory file that is not the
 * governed one fails the submission with NODE_ERR_NO_MEMBER_DIRECTORY rather than trust the service.
 */
export function governedReceiptSm2Key(options: {
  directoryFile: string;
  provider: Provider;
  consortiumRegistry: string;
}): (anchor: { logId: string; evidenceLog: string }) => Promise<string | undefined> {
  let cached: { logId: string; evidenceLog: string; key: string | undefined; at: number } | undefined;
  return async ({ logId, evidenceLog }) => {
    const now = Date.now();
    if (
      cached !== undefined &&
      cached.logId === logId &&
      cached.evidenceLog === evidenceLog &&
      now - cached.at <= RECEIPT_KEY_CACHE_MS
    )
      return cached.key;
    try {
      const bytes = await readFile(options.directoryFile);
      const { sm2PublicKey } = await governedReceiptKey(
        bytes,
        options.provider,
        { consortiumRegistry: options.consortiumRegistry, evidenceLog },
        logId,
      );
      cached = { logId, evidenceLog, key: sm2PublicKey, at: now };
      return sm2PublicKey;
    } catch (error) {
      throw directoryRefusal(error);
    }
  };
}

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
        throw directoryRefusal(error);
      }
    },
  };
}
