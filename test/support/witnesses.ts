// Two C2SP witnesses (the court's and the union's, as the nodes run them) behind one local HTTP
// server speaking tlog-witness, and the court's 2-of-2 policy over them: what an anchor service
// under test sends its checkpoints to (ANCHOR_WITNESS_URLS, ANCHOR_WITNESS_POLICY_FILE). And,
// offline, the sample bundle with a cosigned checkpoint, for the verifiers' witness checks.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryLevel } from "memory-level";
import { fromHex } from "../../common/bytes.ts";
import { buildBundle, type EvidenceBundle } from "../../common/formats/bundle/bundle.ts";
import { formatCheckpoint } from "../../common/formats/checkpoint/checkpoint.ts";
import { cosigner } from "../../common/formats/checkpoint/cosignature.ts";
import { ed25519Signer, formatSignatureLine, signNote } from "../../common/formats/checkpoint/note.ts";
import { kOfNPolicy } from "../../common/formats/checkpoint/policy.ts";
import { WitnessError } from "../../nodes/src/witness/errors.ts";
import { Witness, type WitnessStore } from "../../nodes/src/witness/witness.ts";
import { sampleBundle } from "./bundle.fixture.ts";

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

/** The sample bundle's log and its two witnesses, offline (fixed keys). */
export const SAMPLE_LOG = ed25519Signer("jointledger.test/log", new Uint8Array(32).fill(1));
export const SAMPLE_WITNESSES = {
  court: cosigner("court.test/witness", new Uint8Array(32).fill(2)),
  union: cosigner("union.test/witness", new Uint8Array(32).fill(3)),
};

/**
 * sampleBundle() with a checkpoint of `rootHash` signed by the log, carrying the witnesses'
 * cosignatures over the genuine head (so a root other than the bundle's is a fork the log
 * re-signed with the witnesses' lines kept).
 */
export function witnessedSampleBundle(
  rootHash: Uint8Array = fromHex(sampleBundle().head.rootHash),
): EvidenceBundle {
  const bundle = sampleBundle();
  const origin = SAMPLE_LOG.name;
  const real = formatCheckpoint({
    origin,
    treeSize: bundle.head.treeSize,
    rootHash: fromHex(bundle.head.rootHash),
  });
  const cosigned = Object.values(SAMPLE_WITNESSES)
    .map((w) => formatSignatureLine(w.cosign(real, 1_800_000_000)))
    .join("");
  const text = formatCheckpoint({ origin, treeSize: bundle.head.treeSize, rootHash });
  const { leaf, generatedAt: _generatedAt, witnessed: _w, ...rest } = bundle;
  return buildBundle({
    ...rest,
    record: leaf.record,
    witnessed: { checkpoint: signNote(text, [SAMPLE_LOG]) + cosigned, inclusionProof: bundle.inclusionProof },
  });
}
