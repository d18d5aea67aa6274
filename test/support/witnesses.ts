// Two C2SP witnesses (the court's and the union's, as the nodes run them) behind one local HTTP
// server speaking tlog-witness, and the court's 2-of-2 policy over them: what an anchor service
// under test sends its checkpoints to (ANCHOR_WITNESS_URLS, ANCHOR_WITNESS_POLICY_FILE).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryLevel } from "memory-level";
import { ed25519Signer } from "../../common/formats/checkpoint/note.ts";
import { kOfNPolicy } from "../../common/formats/checkpoint/policy.ts";
import { WitnessError } from "../../nodes/src/witness/errors.ts";
import { Witness, type WitnessStore } from "../../nodes/src/witness/witness.ts";

export type WitnessPair = {
  /** name=url for each witness, as ANCHOR_WITNESS_URLS lists them. */
  witnessUrls: string[];
  /** The log's checkpoint key (the service's ANCHOR_CHECKPOINT_KEY) and origin. */
  checkpointKey: string;
  checkpointOrigin: string;
  /** The court's tlog-policy: the log's key, both witnesses, quorum 2 of 2. */
  policyText: string;
  close(): Promise<void>;
};

const NAMES = ["court", "union"] as const;

export async function startWitnessPair(origin = "jointledger.test/log"): Promise<WitnessPair> {
  const logSeed = new Uint8Array(32).fill(0x11);
  const logVkey = ed25519Signer(origin, logSeed).vkey;
  const witnesses = NAMES.map(
    (name, i) =>
      new Witness({
        name: `${name}.test/witness`,
        seed: new Uint8Array(32).fill(0x20 + i),
        logs: [logVkey],
        store: new MemoryLevel<string, unknown>({ valueEncoding: "json" }).sublevel("witness", {
          valueEncoding: "json",
        }) as unknown as WitnessStore,
        now: () => Math.floor(Date.now() / 1000),
      }),
  );
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const witness = witnesses[NAMES.findIndex((n) => req.url === `/${n}/add-checkpoint`)];
      if (witness === undefined) return void res.writeHead(404).end();
      witness.addCheckpoint(Buffer.concat(chunks).toString("utf8")).then(
        (lines) => res.writeHead(200, { "content-type": "text/plain" }).end(lines),
        (error: unknown) => {
          const e = error as WitnessError;
          if (e.code === "NODE_ERR_WITNESS_CONFLICT")
            res.writeHead(409, { "content-type": "text/x.tlog.size" }).end(`${e.details.size}\n`);
          else res.writeHead(e.statusCode ?? 500).end(e.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    witnessUrls: NAMES.map((n) => `${n}=${base}/${n}`),
    checkpointKey: `0x${Buffer.from(logSeed).toString("hex")}`,
    checkpointOrigin: origin,
    policyText: kOfNPolicy(
      logVkey,
      witnesses.map((w, i) => ({ name: NAMES[i]!, vkey: w.vkey })),
      2,
    ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
