// An anchor intake for unit tests, without a service around it: its receipts signed by a test key
// under a fixed domain, for one test log, on a fixed clock. (No describe/it here: Hardhat mocha
// loads it like a test.)
import type { Wallet } from "ethers";
import { receiptDomain } from "../../common/formats/receipt/receipts.ts";
import { Intake, type IntakeDeps } from "../../anchor-service/src/intake/intake.ts";

/** The receipts' domain: the local chain, a fixed EvidenceLog address. */
export const TEST_RECEIPT_DOMAIN = receiptDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

/** An Intake on the given stores whose receipts `signer` signs; `extra` adds or replaces dependencies. */
export function testIntake(
  stores: Pick<IntakeDeps, "db" | "records" | "merkle">,
  signer: Wallet,
  extra: Partial<IntakeDeps> = {},
): Intake {
  return new Intake({
    ...stores,
    receiptSigner: signer,
    receiptDomain: () => TEST_RECEIPT_DOMAIN,
    logId: `0x${"ab".repeat(32)}`,
    maxMergeDelaySeconds: 60,
    now: () => 1_790_000_000,
    ...extra,
  });
}
