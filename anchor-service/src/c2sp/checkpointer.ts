// Checkpoints (c2sp.org/tlog-checkpoint) of the committed heads, cosigned by witnesses
// (c2sp.org/tlog-witness) and published once the service's policy (c2sp.org/tlog-policy) is
// met. Runs beside the committer, never on the intake path: a slow or absent witness delays the
// published checkpoint, not a receipt.
import { formatCheckpoint } from "../../../common/formats/checkpoint/checkpoint.ts";
import {
  encodeBase64,
  formatSignatureLine,
  openNote,
  parseNote,
  signNote,
  type NoteSigner,
} from "../../../common/formats/checkpoint/note.ts";
import { quorumMet, type Policy } from "../../../common/formats/checkpoint/policy.ts";

/** One witness's add-checkpoint, as tlog-witness's HTTP call or an in-process witness. */
export type WitnessClient = {
  /** The name the policy file gives it. */
  name: string;
  /** Sends the body; returns the response status and text. */
  addCheckpoint(body: string): Promise<{ status: number; body: string }>;
};

export type CheckpointerDeps = {
  origin: string;
  /** The log's keys: Ed25519, and SM2 where national cryptography is required. */
  signers: readonly NoteSigner[];
  policy: Policy;
  witnesses: readonly WitnessClient[];
  root(size: number): Promise<Uint8Array>;
  consistencyProof(first: number, second: number): Promise<Uint8Array[]>;
  /** Persists a checkpoint note with the cosignatures it gathered. */
  save(size: number, note: string, published: boolean): Promise<void>;
  onError?: (witness: string, error: unknown) => void;
};

export type CheckpointResult = { size: number; note: string; cosigners: string[]; published: boolean };

export class Checkpointer {
  readonly #deps: CheckpointerDeps;
  /** The size each witness last cosigned, as it told us (learned from a 409 when unknown). */
  readonly #witnessSizes = new Map<string, number>();
  #latest: CheckpointResult | undefined;

  constructor(deps: CheckpointerDeps) {
    this.#deps = deps;
  }

  /** The latest published (quorum-met) checkpoint. */
  get published(): CheckpointResult | undefined {
    return this.#latest;
  }

  /** Signs a checkpoint of `size`, gathers cosignatures, publishes it if the policy's quorum holds. */
  async checkpoint(size: number): Promise<CheckpointResult> {
    const { origin, signers, policy, witnesses } = this.#deps;
    const text = formatCheckpoint({ origin, treeSize: size, rootHash: await this.#deps.root(size) });
    const signed = signNote(text, signers);
    const lines = await Promise.all(witnesses.map((w) => this.#cosign(w, signed, size)));
    const cosigners: string[] = [];
    let note = signed;
    lines.forEach((line, i) => {
      if (line === undefined) return;
      note += line;
      cosigners.push(witnesses[i]!.name);
    });
    const published = quorumMet(policy, new Set(cosigners));
    await this.#deps.save(size, note, published);
    const result = { size, note, cosigners, published };
    if (published && (this.#latest === undefined || this.#latest.size <= size)) this.#latest = result;
    return result;
  }

  async #cosign(witness: WitnessClient, signed: string, size: number): Promise<string | undefined> {
    const policyWitness = this.#deps.policy.witnesses.get(witness.name);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const old = this.#witnessSizes.get(witness.name) ?? 0;
        if (old > size) {
          // this log now shows less than it once had cosigned: a rollback, which no witness will sign
          throw new Error(
            `witness ${witness.name} last cosigned size ${old}, beyond ${size}: the log rolled back`,
          );
        }
        const proof = old === 0 || old === size ? [] : await this.#deps.consistencyProof(old, size);
        const body = [`old ${old}`, ...proof.map(encodeBase64), "", signed].join("\n");
        const answer = await witness.addCheckpoint(body);
        if (answer.status === 409 && /^(0|[1-9][0-9]*)\n$/.test(answer.body)) {
          // the witness cosigned another size than we thought: retry once from it
          this.#witnessSizes.set(witness.name, Number(answer.body.trim()));
          continue;
        }
        if (answer.status !== 200)
          throw new Error(`witness ${witness.name} answered ${answer.status}: ${answer.body}`);
        // keep only a line that is this witness's valid cosignature on this checkpoint
        const { note } = openNote(
          signed + answer.body,
          policyWitness === undefined ? [] : [policyWitness.verifier],
        );
        const line = note.signatures.find(
          (s) => s.name === policyWitness!.verifier.name && s.keyId === policyWitness!.verifier.keyId,
        )!;
        this.#witnessSizes.set(witness.name, size);
        return formatSignatureLine(line);
      }
      throw new Error(`witness ${witness.name} kept answering 409`);
    } catch (error) {
      this.#deps.onError?.(witness.name, error);
      return undefined;
    }
  }
}

/** The cosigned checkpoint's text without signatures (what a tlog-proof's reader parses first). */
export function checkpointText(note: string): string {
  return parseNote(note).text;
}
