// A C2SP tlog-witness (c2sp.org/tlog-witness) run by a member's node (the court's, the union's):
// it cosigns a log's checkpoint only if it is consistent with the last checkpoint it cosigned for
// that log, and records the new one durably before answering. So an operator who shows the court
// one history and a bank another, or rolls the log back, cannot get both cosigned.
import type { Logger } from "pino";
import { parseCheckpoint, type Checkpoint } from "../../../common/formats/checkpoint/checkpoint.ts";
import { cosigner, type Cosigner } from "../../../common/formats/checkpoint/cosignature.ts";
import {
  decodeBase64,
  encodeBase64,
  formatSignatureLine,
  logVerifier,
  NoteError,
  openNote,
  parseVkey,
  type NoteVerifier,
} from "../../../common/formats/checkpoint/note.ts";
import { decimalLine, parseHashedBody } from "../../../common/formats/checkpoint/proof.ts";
import { EMPTY_ROOT, verifyConsistency } from "../../../common/formats/merkle/rfc9162.ts";
import { bytesEqual } from "../../../common/bytes.ts";
import type { Sublevel } from "../../../common/level.ts";
import { WitnessError } from "./errors.ts";

/** What the witness keeps per log origin: the latest checkpoint it cosigned. */
export type WitnessedHead = { size: number; root: string; cosignedAt: number };
export type WitnessStore = Sublevel<string, WitnessedHead>;

export type WitnessOptions = {
  /** The witness's key name (a schema-less URL, e.g. court.example/witness). */
  name: string;
  /** Ed25519 seed, 32 bytes. */
  seed: Uint8Array;
  /** vkeys of the logs followed; each origin is its key's name. */
  logs: readonly string[];
  store: WitnessStore;
  /** Unix seconds. */
  now: () => number;
  log?: Logger;
};

/** At most 63 consistency proof lines (tlog-witness). */
const MAX_PROOF_LINES = 63;

export class Witness {
  readonly #cosigner: Cosigner;
  readonly #logs = new Map<string, NoteVerifier>();
  readonly #store: WitnessStore;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  // check-then-persist is one critical section: two concurrent requests must not both pass the
  // old-size check and then write in the wrong order (the rollback race tlog-witness describes)
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: WitnessOptions) {
    this.#cosigner = cosigner(options.name, options.seed);
    for (const vkey of options.logs) {
      const key = parseVkey(vkey);
      this.#logs.set(key.name, logVerifier(key));
    }
    this.#store = options.store;
    this.#now = options.now;
    this.#log = options.log;
  }

  /** This witness's cosignature/v1 vkey: what a policy file lists. */
  get vkey(): string {
    return this.#cosigner.vkey;
  }

  get name(): string {
    return this.#cosigner.name;
  }

  /** The latest checkpoint cosigned for an origin (undefined: none yet). */
  async latest(origin: string): Promise<WitnessedHead | undefined> {
    return this.#store.get(origin);
  }

  /** POST add-checkpoint: its body in, the cosignature lines out; refusals are WitnessErrors. */
  async addCheckpoint(body: string): Promise<string> {
    const request = parseRequest(body);
    const run = this.#queue.then(() => this.#add(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #add(request: AddCheckpointRequest): Promise<string> {
    const { oldSize, proof, note } = request;
    let checkpoint: Checkpoint;
    let text: string;
    try {
      const origin = note.slice(0, note.indexOf("\n"));
      const verifier = this.#logs.get(origin);
      if (verifier === undefined)
        throw new WitnessError("NODE_ERR_WITNESS_UNKNOWN_LOG", `no log ${origin} here`);
      text = openNote(note, [verifier]).note.text;
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      if (error instanceof WitnessError) throw error;
      if (
        error instanceof NoteError &&
        (error.code === "NOTE_UNVERIFIED" || error.code === "NOTE_BAD_SIGNATURE")
      ) {
        throw new WitnessError("NODE_ERR_WITNESS_FORBIDDEN", error.message);
      }
      throw new WitnessError("NODE_ERR_WITNESS_BAD_REQUEST", (error as Error).message);
    }
    const { origin, treeSize, rootHash } = checkpoint;
    if (oldSize > treeSize) {
      throw new WitnessError(
        "NODE_ERR_WITNESS_BAD_REQUEST",
        `old size ${oldSize} above the checkpoint's ${treeSize}`,
      );
    }
    const latest = await this.#store.get(origin);
    const latestSize = latest?.size ?? 0;
    if (oldSize !== latestSize) {
      throw new WitnessError(
        "NODE_ERR_WITNESS_CONFLICT",
        `the last checkpoint cosigned for ${origin} has size ${latestSize}, not ${oldSize}`,
        { size: latestSize },
      );
    }
    const refuse = (why: string): never => {
      // a validly signed checkpoint that is inconsistent is evidence against the log: kept in the log
      this.#log?.warn({ origin, oldSize, treeSize, note }, `witness refused a signed checkpoint: ${why}`);
      throw new WitnessError("NODE_ERR_WITNESS_INCONSISTENT", why);
    };
    if (treeSize === 0 && !bytesEqual(rootHash, EMPTY_ROOT))
      refuse("a size-0 checkpoint's root is not the empty tree's");
    if (oldSize === 0) {
      if (proof.length > 0) refuse("a proof from size 0 is empty");
    } else {
      const oldRoot = decodeBase64(latest!.root)!;
      if (oldSize === treeSize) {
        if (!bytesEqual(oldRoot, rootHash)) refuse(`a second root for size ${treeSize}: the log forked`);
      } else if (!verifyConsistency(oldSize, treeSize, oldRoot, rootHash, proof)) {
        refuse(`not consistent with size ${oldSize} cosigned before: a fork or a rollback`);
      }
    }
    const now = this.#now();
    // persisted (synced) before the cosignature leaves: a crash after answering cannot forget it
    await this.#store.put(
      origin,
      { size: treeSize, root: encodeBase64(rootHash), cosignedAt: now },
      { sync: true },
    );
    return formatSignatureLine(this.#cosigner.cosign(text, now));
  }
}

export type AddCheckpointRequest = { oldSize: number; proof: Uint8Array[]; note: string };

/** `old <N>\n`, ≤ 63 base64 hash lines, a blank line, the signed checkpoint. */
export function parseRequest(body: string): AddCheckpointRequest {
  const { header, hashes, checkpoint } = parseHashedBody(body, oldSizeLine, badRequest);
  return { oldSize: header, proof: hashes, note: checkpoint };
}

/** The request's header: `old <N>` alone, and no more proof lines than any tree needs. */
function oldSizeLine(lines: readonly string[]): { value: number; lines: number } {
  if (lines.length - 1 > MAX_PROOF_LINES) badRequest(`more than ${MAX_PROOF_LINES} proof lines`);
  return {
    value: decimalLine(lines[0], "old") ?? badRequest("the first line is not `old <size>`"),
    lines: 1,
  };
}

function badRequest(why: string): never {
  throw new WitnessError("NODE_ERR_WITNESS_BAD_REQUEST", why);
}
