// secp256k1 work on a worker thread: recovering a signed request's signer and its submission's,
// and signing receipt batches (libsecp256k1, common/crypto/secp256k1.ts, with the EIP-712
// hashing around it: a few tenths of a millisecond per request), so they run on crypto-worker.ts
// while the loop parses, hashes and writes. The results are the same functions' (recoverSigner,
// recoverSubmitter, typedDataSignerOf's signTypedData), only elsewhere.
import { Worker } from "node:worker_threads";
import type { TypedDataDomain, TypedDataField } from "ethers";
import { Wallet } from "ethers";
import type { TypedDataSigner } from "../../../common/auth/eip712.ts";
import type { PendingVerification } from "../../../common/auth/request-signing.ts";
import type { SubmissionDomain } from "../../../common/formats/receipt/submission.ts";

type Task =
  | { kind: "recover"; pending: Pick<PendingVerification, "domain" | "value" | "signature"> }
  | {
      kind: "recoverSubmission";
      domain: SubmissionDomain;
      logId: string;
      batchRoot: string;
      signature: string;
    }
  | {
      kind: "sign";
      domain: TypedDataDomain;
      types: Record<string, TypedDataField[]>;
      value: Record<string, unknown>;
    };
export type CryptoTask = Task & { id: number };

type Reply = { id: number; ok: boolean; value: string };
type Waiting = { resolve: (value: string) => void; reject: (error: Error) => void };

export class CryptoPool {
  readonly #privateKey: string | undefined;
  #worker: Worker | undefined;
  #next = 0;
  readonly #waiting = new Map<number, Waiting>();
  #closed = false;

  /** `privateKey`: the key receipt batches are signed with (optional: recover only). */
  constructor(privateKey?: string) {
    this.#privateKey = privateKey;
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL("./crypto-worker.ts", import.meta.url), {
      workerData: { privateKey: this.#privateKey },
    });
    worker.unref(); // an idle pool never keeps the process alive
    worker.on("message", (reply: Reply) => {
      const waiting = this.#waiting.get(reply.id);
      if (waiting === undefined) return;
      this.#waiting.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new Error(reply.value));
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined; // the next task starts a new one
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`crypto worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #run(task: Task): Promise<string> {
    if (this.#closed) return Promise.reject(new Error("the crypto pool is closed"));
    const worker = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // one JSON string (bigints as decimal strings, which ethers reads the same): far cheaper to
      // post than the structured clone of the nested objects
      worker.postMessage(
        JSON.stringify({ ...task, id }, (_key, value: unknown) =>
          typeof value === "bigint" ? value.toString() : value,
        ),
      );
    });
  }

  /** recoverSigner(pending) on the worker. */
  recover(pending: PendingVerification): Promise<string> {
    return this.#run({
      kind: "recover",
      pending: { domain: pending.domain, value: pending.value, signature: pending.signature },
    });
  }

  /** recoverSubmitter on the worker: the account that signed EvidenceSubmission(logId, batchRoot); rejects with the reason if none. */
  recoverSubmission(
    domain: SubmissionDomain,
    logId: string,
    batchRoot: string,
    signature: string,
  ): Promise<string> {
    return this.#run({ kind: "recoverSubmission", domain, logId, batchRoot, signature });
  }

  /** A TypedDataSigner for the pool's key whose signing runs on the worker. */
  signer(): TypedDataSigner {
    if (this.#privateKey === undefined) throw new Error("the crypto pool has no signing key");
    const address = new Wallet(this.#privateKey).address;
    return {
      getAddress: async () => address,
      signTypedData: (domain, types, value) => this.#run({ kind: "sign", domain, types, value }),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
