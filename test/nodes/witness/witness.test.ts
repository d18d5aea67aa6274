// The node's C2SP witness: cosigns a checkpoint consistent with the last one it cosigned,
// persists before answering (a reopened LevelDB remembers), answers tlog-witness's statuses,
// and refuses a forked history and a rollback even when the log signs them.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import { formatCheckpoint } from "../../../common/formats/checkpoint/checkpoint.ts";
import { cosignatureVerifier } from "../../../common/formats/checkpoint/cosignature.ts";
import {
  ed25519Signer,
  encodeBase64,
  openNote,
  signNote,
  sm2Signer,
} from "../../../common/formats/checkpoint/note.ts";
import { sm2 } from "../../../common/crypto/sm2.ts";
import {
  consistencyProof,
  hashLeaf,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../common/formats/merkle/rfc9162.ts";
import { WitnessError } from "../../../nodes/src/witness/errors.ts";
import { Witness, type WitnessStore } from "../../../nodes/src/witness/witness.ts";
import { rejectedBy } from "../../support/expect-error.ts";
import { memoryWitness } from "./fixture.ts";

const log = ed25519Signer("jointledger.example/log", new Uint8Array(32).fill(1));
const leaves = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`${tag}${i}`)));
const honest = leaves("leaf ", 20);
const forked = [...honest.slice(0, 5), ...leaves("other ", 15)];

function checkpointOf(tree: Uint8Array[], size: number, signer = log): { text: string; note: string } {
  const text = formatCheckpoint({
    origin: signer.name,
    treeSize: size,
    rootHash: rootFromLeafHashes(tree.slice(0, size)),
  });
  return { text, note: signNote(text, [signer]) };
}

function request(tree: Uint8Array[], oldSize: number, size: number, signer = log): string {
  const proof = oldSize === 0 ? [] : consistencyProof(oldSize, size, memoRangeHasher(tree.slice(0, size)));
  return [`old ${oldSize}`, ...proof.map(encodeBase64), "", checkpointOf(tree, size, signer).note].join("\n");
}

const refusal = (p: Promise<unknown>): Promise<WitnessError> => rejectedBy(p, WitnessError);

describe("witness of an SM2-signed log (signed-note type 0xff)", () => {
  it("cosigns a checkpoint the log signed with SM2, refuses one signed with another SM2 key", async () => {
    const { privateKey } = sm2.generateKeyPair();
    const sm2Log = sm2Signer("jointledger.example/sm2-log", privateKey);
    const witness = memoryWitness({
      name: "union.example/witness",
      seed: new Uint8Array(32).fill(4),
      logs: [sm2Log.vkey],
      now: () => 1_800_000_000,
    });
    const text = formatCheckpoint({
      origin: sm2Log.name,
      treeSize: 5,
      rootHash: rootFromLeafHashes(honest.slice(0, 5)),
    });
    const lines = await witness.addCheckpoint(`old 0\n\n${signNote(text, [sm2Log])}`);
    expect(
      openNote(signNote(text, [sm2Log]) + lines, [cosignatureVerifier(witness.vkey)]).verified,
    ).to.have.length(1);
    const other = sm2Signer(sm2Log.name, sm2.generateKeyPair().privateKey);
    expect((await refusal(witness.addCheckpoint(`old 5\n\n${signNote(text, [other])}`))).statusCode).to.equal(
      403,
    );
  });
});

for (const backend of ["memory-level", "level (on disk)"] as const) {
  describe(`witness (${backend})`, () => {
    let dir: string | undefined;
    // one type for both backends: they share abstract-level's API
    let db: Level<string, unknown>;
    let clock = 1_800_000_000;

    const open = async () => {
      db =
        backend === "memory-level"
          ? (new MemoryLevel<string, unknown>({ valueEncoding: "json" }) as unknown as Level<string, unknown>)
          : new Level<string, unknown>(dir!, { valueEncoding: "json" });
      await db.open();
      return new Witness({
        name: "court.example/witness",
        seed: new Uint8Array(32).fill(2),
        logs: [log.vkey],
        store: db.sublevel("witness", { valueEncoding: "json" }) as unknown as WitnessStore,
        now: () => clock,
      });
    };

    beforeEach(async () => {
      if (backend !== "memory-level") dir = await mkdtemp(join(tmpdir(), "witness-"));
    });
    afterEach(async () => {
      await db.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("cosigns from size 0, then each consistent extension; the cosignature verifies with its time", async () => {
      const witness = await open();
      const verifier = cosignatureVerifier(witness.vkey);
      const first = await witness.addCheckpoint(request(honest, 0, 5));
      clock += 10;
      const second = await witness.addCheckpoint(request(honest, 5, 12));
      const { verified } = openNote(checkpointOf(honest, 12).note + second, [verifier]);
      expect(verified).to.have.length(1);
      expect(openNote(checkpointOf(honest, 5).note + first, [verifier]).verified).to.have.length(1);
      expect(await witness.latest(log.name)).to.deep.include({ size: 12, cosignedAt: clock });
    });

    it("refuses a forked history: same size, another root; and a fork that extends an old size", async () => {
      const witness = await open();
      await witness.addCheckpoint(request(honest, 0, 12));
      // the log signs a different tree of the same size
      expect((await refusal(witness.addCheckpoint(request(forked, 12, 12)))).code).to.equal(
        "NODE_ERR_WITNESS_INCONSISTENT",
      );
      // or a bigger one whose proof is honest about the fork (so it cannot connect to what was cosigned)
      expect((await refusal(witness.addCheckpoint(request(forked, 12, 20)))).code).to.equal(
        "NODE_ERR_WITNESS_INCONSISTENT",
      );
      expect((await witness.latest(log.name))?.size).to.equal(12); // nothing written on a refusal
    });

    it("refuses a rollback: an old size below the one cosigned is a 409 naming it, a smaller checkpoint 400", async () => {
      const witness = await open();
      await witness.addCheckpoint(request(honest, 0, 12));
      const conflict = await refusal(witness.addCheckpoint(request(honest, 5, 8)));
      expect(conflict.code).to.equal("NODE_ERR_WITNESS_CONFLICT");
      expect(conflict.statusCode).to.equal(409);
      expect(conflict.details.size).to.equal(12);
      // claiming old 12 for a checkpoint of size 8
      const rollback = `old 12\n\n${checkpointOf(honest, 8).note}`;
      expect((await refusal(witness.addCheckpoint(rollback))).code).to.equal("NODE_ERR_WITNESS_BAD_REQUEST");
      expect((await witness.latest(log.name))?.size).to.equal(12);
    });

    // a restart needs the disk: the memory backend runs every other case
    if (backend !== "memory-level")
      it("remembers what it cosigned across a restart (persisted before answering)", async () => {
        const witness = await open();
        await witness.addCheckpoint(request(honest, 0, 12));
        await db.close();
        const reopened = await open();
        expect((await reopened.latest(log.name))?.size).to.equal(12);
        expect((await refusal(reopened.addCheckpoint(request(honest, 0, 5)))).code).to.equal(
          "NODE_ERR_WITNESS_CONFLICT",
        );
        expect((await refusal(reopened.addCheckpoint(request(forked, 12, 20)))).code).to.equal(
          "NODE_ERR_WITNESS_INCONSISTENT",
        );
      });

    it("concurrent requests cannot roll it back: one of two racing from the same old size wins", async () => {
      const witness = await open();
      await witness.addCheckpoint(request(honest, 0, 5));
      const results = await Promise.allSettled([
        witness.addCheckpoint(request(honest, 5, 20)),
        witness.addCheckpoint(request(honest, 5, 8)),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected"]);
      expect((await witness.latest(log.name))?.size).to.equal(20);
    });

    it("answers tlog-witness's statuses: unknown log 404, unsigned 403, malformed 400, bad proof 422", async () => {
      const witness = await open();
      const stranger = ed25519Signer("elsewhere.example/log", new Uint8Array(32).fill(9));
      expect((await refusal(witness.addCheckpoint(request(honest, 0, 3, stranger)))).statusCode).to.equal(
        404,
      );
      const impostor = ed25519Signer(log.name, new Uint8Array(32).fill(9)); // same name, another key
      expect((await refusal(witness.addCheckpoint(request(honest, 0, 3, impostor)))).statusCode).to.equal(
        403,
      );
      const tampered = request(honest, 0, 3).replace("\n3\n", "\n4\n");
      expect((await refusal(witness.addCheckpoint(tampered))).statusCode).to.equal(403);
      expect(
        (await refusal(witness.addCheckpoint("old x\n\n" + checkpointOf(honest, 3).note))).statusCode,
      ).to.equal(400);
      await witness.addCheckpoint(request(honest, 0, 3));
      const badProof = request(honest, 3, 9).replace(
        /\n[A-Za-z0-9+/]{43}=\n/,
        `\n${encodeBase64(new Uint8Array(32))}\n`,
      );
      expect((await refusal(witness.addCheckpoint(badProof))).statusCode).to.equal(422);
    });
  });
}
