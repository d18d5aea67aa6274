// The worker thread behind CryptoPool (crypto-pool.ts): secp256k1 work off the service's event
// loop — recovering the signer of a signed request, and signing receipt batches with the service
// key (given in workerData; it never leaves this process).
import { parentPort, workerData } from "node:worker_threads";
import { Wallet } from "ethers";
import { typedDataSignerOf } from "../../../common/auth/eip712.ts";
import { recoverSigner } from "../../../common/auth/request-signing.ts";
import { recoverSubmitter } from "../../../common/formats/receipt/submission.ts";
import type { CryptoTask } from "./crypto-pool.ts";

const { privateKey } = (workerData ?? {}) as { privateKey?: unknown };
const wallet = typeof privateKey === "string" ? typedDataSignerOf(new Wallet(privateKey)) : undefined;

parentPort!.on("message", async (message: string) => {
  const task = JSON.parse(message) as CryptoTask;
  try {
    if (task.kind === "recover") {
      parentPort!.postMessage({ id: task.id, ok: true, value: recoverSigner(task.pending) });
    } else if (task.kind === "recoverSubmission") {
      const { domain, logId, batchRoot, signature } = task;
      const recovered = recoverSubmitter(
        { ...domain, chainId: BigInt(domain.chainId) },
        logId,
        batchRoot,
        signature,
      );
      if ("error" in recovered) throw new Error(recovered.error);
      parentPort!.postMessage({ id: task.id, ok: true, value: recovered.signer });
    } else {
      if (wallet === undefined) throw new Error("this worker has no signing key");
      parentPort!.postMessage({
        id: task.id,
        ok: true,
        value: await wallet.signTypedData(task.domain, task.types, task.value),
      });
    }
  } catch (error) {
    parentPort!.postMessage({ id: task.id, ok: false, value: (error as Error).message });
  }
});
