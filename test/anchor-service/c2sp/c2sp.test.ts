// The anchor's C2SP side: checkpoints of its Merkle store cosigned by the court's and the union's
// witnesses (2 of 2) and published only then; tiles and entry bundles served from the store, and
// every proof a client computes from tiles alone equals the store's own. A log that forks or
// rolls back gets no cosignature, publishes nothing, and the court's policy flags its checkpoint.
import { expect } from "chai";
import Fastify from "fastify";
import { MemoryLevel } from "memory-level";
import { toHex } from "../../../common/bytes.ts";
import { ed25519Signer, signNote } from "../../../common/formats/checkpoint/note.ts";
import { kOfNPolicy, parsePolicy, verifyCheckpoint } from "../../../common/formats/checkpoint/policy.ts";
import {
  formatTlogProof,
  parseTlogProof,
  verifyTlogProof,
} from "../../../common/formats/checkpoint/proof.ts";
import { parseEntryBundle, TileReader, tilePath } from "../../../common/formats/checkpoint/tiles.ts";
import { formatCheckpoint } from "../../../common/formats/checkpoint/checkpoint.ts";
import { hashLeaf } from "../../../common/formats/merkle/rfc9162.ts";
import {
  Checkpointer,
  type CheckpointerDeps,
  type WitnessClient,
} from "../../../anchor-service/src/c2sp/checkpointer.ts";
import { registerC2spRoutes } from "../../../anchor-service/src/c2sp/routes.ts";
import { MerkleStore, MERKLE_NODES_SUBLEVEL_OPTIONS } from "../../../anchor-service/src/log/merkle-store.ts";
import { WitnessError } from "../../../nodes/src/witness/errors.ts";
import { Witness, type WitnessStore } from "../../../nodes/src/witness/witness.ts";

const ORIGIN = "jointledger.example/log";
const entry = (tag: string, i: number) =>
  new Uint8Array(224).fill(i % 251).map((b, k) => (k < tag.length ? tag.charCodeAt(k) : b));

async function logOf(entries: Uint8Array[]) {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: "view", valueEncoding: "view" });
  const nodes = db.sublevel<Uint8Array, Uint8Array>("nodes", MERKLE_NODES_SUBLEVEL_OPTIONS);
  const hashes = entries.map(hashLeaf);
  const store = await MerkleStore.open(
    nodes,
    { leafHashes: async (from, to) => hashes.slice(from, to) },
    { size: 0, storedFromLevel: 3 },
  );
  const append = store.prepareAppend(hashes);
  await db.batch(append.ops.map((op) => ({ ...op })));
  append.commit();
  return store;
}

function witnessNode(name: string, seedByte: number, logVkey: string) {
  const db = new MemoryLevel<string, unknown>({ valueEncoding: "json" });
  const witness = new Witness({
    name,
    seed: new Uint8Array(32).fill(seedByte),
    logs: [logVkey],
    store: db.sublevel("witness", { valueEncoding: "json" }) as unknown as WitnessStore,
    now: () => 1_800_000_000,
  });
  // tlog-witness over HTTP, in process: the status a refusal carries, the 409's size body
  const client = (policyName: string): WitnessClient => ({
    name: policyName,
    async addCheckpoint(body) {
      try {
        return { status: 200, body: await witness.addCheckpoint(body) };
      } catch (error) {
        if (!(error instanceof WitnessError)) throw error;
        return {
          status: error.statusCode,
          body: error.code === "NODE_ERR_WITNESS_CONFLICT" ? `${error.details.size}\n` : error.message,
        };
      }
    },
  });
  return { witness, client };
}

describe("anchor C2SP: witnessed checkpoints and tiles", () => {
  const logKey = ed25519Signer(ORIGIN, new Uint8Array(32).fill(1));
  const court = witnessNode("court.example/witness", 2, logKey.vkey);
  const union = witnessNode("union.example/witness", 3, logKey.vkey);
  const policyText = kOfNPolicy(
    logKey.vkey,
    [
      { name: "court", vkey: court.witness.vkey },
      { name: "union", vkey: union.witness.vkey },
    ],
    2,
  );
  const policy = parsePolicy(policyText);
  // the log's checkpointer over a store, asking both witnesses under the 2-of-2 policy
  const checkpointerOf = (store: MerkleStore, extra: Partial<CheckpointerDeps>) =>
    new Checkpointer({
      origin: ORIGIN,
      signers: [logKey],
      policy,
      witnesses: [court.client("court"), union.client("union")],
      root: (size) => store.root(size),
      consistencyProof: (m, n) => store.consistencyProof(m, n),
      save: async () => {},
      ...extra,
    });
  const entries = Array.from({ length: 70_000 }, (_, i) => entry(`e${i}`, i));
  let witnessLines = ""; // the witnesses' cosignature lines on the honest 70,000-leaf checkpoint

  it("publishes a checkpoint once both witnesses cosigned; tiles give the store's proofs; a tlog-proof verifies offline", async function () {
    this.timeout(120_000);
    const store = await logOf(entries);
    const saved: { size: number; published: boolean }[] = [];
    const checkpointer = checkpointerOf(store, {
      save: async (size, _note, published) => void saved.push({ size, published }),
    });
    const first = await checkpointer.checkpoint(1_000);
    expect(first.cosigners).to.deep.equal(["court", "union"]);
    const second = await checkpointer.checkpoint(70_000); // each witness sends old 1000 and a consistency proof
    expect(second.published).to.equal(true);
    expect(saved).to.deep.equal([
      { size: 1_000, published: true },
      { size: 70_000, published: true },
    ]);
    expect(verifyCheckpoint(second.note, policy).quorum).to.equal(true);
    witnessLines = second.note
      .split("\n")
      .filter((l) => / (court|union)\.example\/witness /.test(l))
      .map((l) => `${l}\n`)
      .join("");

    const app = Fastify();
    registerC2spRoutes(app, {
      tiles: {
        rangeHash: (b, e) => store.rangeHash(b, e),
        entries: async (from, to) => entries.slice(from, to),
      },
      published: () => checkpointer.published,
    });
    const checkpointReply = await app.inject({ method: "GET", url: "/checkpoint" });
    expect(checkpointReply.body).to.equal(second.note);
    const fetch = async (level: number, index: number, width: number) => {
      const reply = await app.inject({ method: "GET", url: `/${tilePath(level, index, width)}` });
      expect(reply.statusCode, tilePath(level, index, width)).to.equal(200);
      return new Uint8Array(reply.rawPayload);
    };
    const reader = new TileReader(70_000, fetch);
    expect(toHex(await reader.root())).to.equal(toHex(await store.root(70_000)));
    for (const index of [0, 255, 256, 12_345, 69_999]) {
      expect((await reader.inclusionProof(index)).map(toHex), `leaf ${index}`).to.deep.equal(
        (await store.inclusionProof(index, 70_000)).map(toHex),
      );
    }
    expect((await reader.consistencyProof(1_000)).map(toHex)).to.deep.equal(
      (await store.consistencyProof(1_000, 70_000)).map(toHex),
    );

    // an entry bundle hashes to its level-0 tile
    const bundle = await app.inject({ method: "GET", url: "/tile/entries/273.p/112" });
    const tile = await fetch(0, 273, 112);
    const hashed = parseEntryBundle(new Uint8Array(bundle.rawPayload)).map(hashLeaf);
    expect(hashed.map(toHex)).to.deep.equal(
      Array.from({ length: 112 }, (_, i) => toHex(tile.subarray(i * 32, i * 32 + 32))),
    );
    // beyond the published tree, or non-canonical: refused with the catalogue's codes
    expect((await app.inject({ method: "GET", url: "/tile/0/273" })).statusCode).to.equal(404);
    expect((await app.inject({ method: "GET", url: "/tile/0/0273" })).statusCode).to.equal(400);

    // the bundle's export: a tlog-proof a court checks with only the leaf and its policy file
    const proofText = formatTlogProof({
      index: 12_345,
      hashes: await reader.inclusionProof(12_345),
      checkpoint: second.note,
    });
    const verdict = verifyTlogProof(
      parseTlogProof(proofText),
      hashLeaf(entries[12_345]!),
      parsePolicy(policyText),
    );
    expect(verdict.included && verdict.quorum).to.equal(true);
    await app.close();
  });

  it("a forked history and a rollback get no cosignature, are not published, and the court's policy flags them", async function () {
    this.timeout(120_000);
    const store = await logOf(entries.slice(0, 2_000));
    const forkedEntries = [
      ...entries.slice(0, 500),
      ...Array.from({ length: 70_500 }, (_, i) => entry(`fork${i}`, i)),
    ];
    const forked = await logOf(forkedEntries);
    const errors: string[] = [];
    const make = (s: MerkleStore) =>
      checkpointerOf(s, { onError: (w, e) => errors.push(`${w}: ${(e as Error).message}`) });
    const honest = make(store);
    // the witnesses' state continues from the previous test: they last cosigned 70,000 of the
    // honest log; a fresh honest log at 2,000 is itself a rollback, and refused
    const rollback = await honest.checkpoint(2_000);
    expect(rollback.cosigners).to.deep.equal([]);
    expect(rollback.published).to.equal(false);
    expect(honest.published).to.equal(undefined);
    expect(errors.filter((e) => /rolled back/.test(e))).to.have.length(2);
    // a fork past what they cosigned: its consistency proof from 70,000 cannot connect to their root
    const fork = await make(forked).checkpoint(71_000);
    expect(fork.cosigners).to.deep.equal([]);
    expect(fork.published).to.equal(false);
    expect(errors.filter((e) => /answered 422/.test(e))).to.have.length(2);

    // what a log operator could show a court instead: its own signature on the forked head, with
    // the witnesses' real cosignatures of the honest head copied under it
    const honestNote = (await court.witness.latest(ORIGIN))!;
    expect(honestNote.size).to.equal(70_000);
    const forkedText = formatCheckpoint({
      origin: ORIGIN,
      treeSize: 70_000,
      rootHash: await forked.root(70_000),
    });
    const copied = witnessLines;
    expect(copied.split("\n")).to.have.length(3);
    expect(() => verifyCheckpoint(signNote(forkedText, [logKey]) + copied, policy)).to.throw(
      /does not verify/,
    );
    expect(verifyCheckpoint(signNote(forkedText, [logKey]), policy).quorum).to.equal(false);
  });
});
