// The witness over the node's HTTP API: open (no token: the log's signature authenticates),
// text bodies, the 409 with the last cosigned size as text/x.tlog.size, refusals with the
// node's catalogue codes; absent when the node runs no witness.
import { expect } from "chai";
import { formatCheckpoint } from "../../../common/formats/checkpoint/checkpoint.ts";
import { cosignatureVerifier } from "../../../common/formats/checkpoint/cosignature.ts";
import { ed25519Signer, openNote, signNote } from "../../../common/formats/checkpoint/note.ts";
import { hashLeaf, rootFromLeafHashes } from "../../../common/formats/merkle/rfc9162.ts";
import { memoryWitness } from "./fixture.ts";
import { clerkNodeApp } from "../../support/node-app.ts";

describe("witness routes", () => {
  const log = ed25519Signer("jointledger.example/log", new Uint8Array(32).fill(1));
  const leaves = Array.from({ length: 9 }, (_, i) => hashLeaf(new Uint8Array([i])));
  const note = (size: number) =>
    signNote(
      formatCheckpoint({
        origin: log.name,
        treeSize: size,
        rootHash: rootFromLeafHashes(leaves.slice(0, size)),
      }),
      [log],
    );
  const witness = () =>
    memoryWitness({
      name: "court.example/witness",
      seed: new Uint8Array(32).fill(2),
      logs: [log.vkey],
      now: () => 1_800_000_000,
    });
  const post = (payload: string) => ({
    method: "POST" as const,
    url: "/witness/add-checkpoint",
    headers: { "content-type": "text/plain; charset=utf-8" },
    payload,
  });

  it("cosigns without an API token, answers 409 with the size as text/x.tlog.size, 403 for another key", async () => {
    const w = witness();
    const app = await clerkNodeApp({}, { witness: w });
    const ok = await app.inject(post(`old 0\n\n${note(5)}`));
    expect(ok.statusCode, ok.body).to.equal(200);
    expect(openNote(note(5) + ok.body, [cosignatureVerifier(w.vkey)]).verified).to.have.length(1);
    const conflict = await app.inject(post(`old 0\n\n${note(5)}`));
    expect(conflict.statusCode).to.equal(409);
    expect(conflict.headers["content-type"]).to.equal("text/x.tlog.size");
    expect(conflict.body).to.equal("5\n");
    const impostor = ed25519Signer(log.name, new Uint8Array(32).fill(9));
    const forbidden = await app.inject(
      post(`old 5\n\n${signNote(note(5).split("\n\n")[0]! + "\n", [impostor])}`),
    );
    expect(forbidden.statusCode).to.equal(403);
    expect(forbidden.json().error.code).to.equal("NODE_ERR_WITNESS_FORBIDDEN");
    expect((await app.inject({ url: "/witness/vkey" })).body).to.equal(`${w.vkey}\n`);
    await app.close();
  });

  it("is not served by a node without a witness", async () => {
    const app = await clerkNodeApp({});
    expect((await app.inject(post(`old 0\n\n${note(5)}`))).statusCode).to.equal(404);
    await app.close();
  });
});
