// C2SP signed-note, tlog-checkpoint, tlog-cosignature, tlog-tiles, tlog-policy and tlog-proof.
// Published vectors: the signed-note specification's example, golang.org/x/mod sumdb/note's
// PeterNeumann note (Ed25519 is deterministic, so signing its text with its seed must give its
// signature byte for byte), the tlog-tiles specification's path and tile-count examples, a
// cosignature/v1 and a vkey of transparency-dev/formats' tests, and tlog-proof's serialisation
// examples from the same module. Tiles: every proof computed from tiles equals the log's own.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { toHex } from "../../../../common/bytes.ts";
import { sm2 } from "../../../../common/crypto/sm2.ts";
import { formatCheckpoint, parseCheckpoint } from "../../../../common/formats/checkpoint/checkpoint.ts";
import {
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignedMessage,
  cosigner,
} from "../../../../common/formats/checkpoint/cosignature.ts";
import {
  decodeBase64,
  ed25519Signer,
  logVerifier,
  openNote,
  parseNote,
  parseSignatureLine,
  parseVkey,
  signNote,
  sm2Signer,
} from "../../../../common/formats/checkpoint/note.ts";
import {
  kOfNPolicy,
  parsePolicy,
  quorumMet,
  verifyCheckpoint,
} from "../../../../common/formats/checkpoint/policy.ts";
import {
  formatTlogProof,
  parseTlogProof,
  verifyTlogProof,
} from "../../../../common/formats/checkpoint/proof.ts";
import {
  formatEntryBundle,
  parseEntryBundle,
  parseTilePath,
  TileReader,
  tileIndexPath,
  tilePath,
  tilesOf,
  tileWidth,
  TILE_WIDTH,
} from "../../../../common/formats/checkpoint/tiles.ts";
import {
  consistencyProof,
  hashLeaf,
  inclusionProof,
  memoRangeHasher,
  rootFromLeafHashes,
} from "../../../../common/formats/merkle/rfc9162.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const sha = (s: string) => new Uint8Array(createHash("sha256").update(s).digest());
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

describe("signed-note", () => {
  it("the specification's example verifies with its vkey", () => {
    const vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const note =
      "This is an example message.\n\n" +
      "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    const { note: opened, verified } = openNote(note, [logVerifier(vkey)]);
    expect(opened.text).to.equal("This is an example message.\n");
    expect(verified).to.have.length(1);
    expect(() => openNote(note.replace("example message", "example messagE"), [logVerifier(vkey)])).to.throw(
      /does not verify/,
    );
  });

  describe("golang.org/x/mod sumdb/note's PeterNeumann vector", () => {
    const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const skeySeed = decodeBase64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")!.subarray(1);
    const text =
      "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const signed = `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

    it("signing its text with its seed gives its note byte for byte, and its vkey", () => {
      const signer = ed25519Signer("PeterNeumann", skeySeed);
      expect(signer.vkey).to.equal(vkey);
      expect(signNote(text, [signer])).to.equal(signed);
    });

    it("verifies; a signature from an unknown key is ignored, none from a known key is refused", () => {
      const other = ed25519Signer("EnochRoot", seed(3));
      const twice = signed + signNote(text, [other]).slice(text.length + 1);
      expect(openNote(twice, [logVerifier(vkey)]).verified.map((v) => v.verifier.name)).to.deep.equal([
        "PeterNeumann",
      ]);
      expect(() => openNote(signNote(text, [other]), [logVerifier(vkey)])).to.throw(
        /no signature from a known key/,
      );
    });

    it("refuses mangled vkeys (wrong ID, wrong length with adjusted ID, upper-case ID)", () => {
      for (const bad of [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      ]) {
        expect(() => parseVkey(bad), bad).to.throw();
      }
      expect(() =>
        logVerifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
      ).to.throw();
    });
  });

  it("parses transparency-dev/formats' vkeys, one with '+' in its base64 and one of type 0x04", () => {
    expect(parseVkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").type[0]).to.equal(0x01);
    const witness = parseVkey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
    expect(witness.type[0]).to.equal(0x04);
    expect(cosignatureVerifier(witness).keyId).to.equal(0xda77ade7);
  });

  it("SM2 (type 0xff sm2-sm3/gbt32918) signs and verifies a note; its vkey round-trips", () => {
    const { privateKey } = sm2.generateKeyPair();
    const signer = sm2Signer("jointledger.example/log", privateKey);
    const text = "jointledger.example/log\n1\n" + b64(sha("x")) + "\n";
    const note = signNote(text, [signer]);
    const verifier = logVerifier(signer.vkey);
    expect(parseVkey(signer.vkey).type[0]).to.equal(0xff);
    expect(openNote(note, [verifier]).verified).to.have.length(1);
    expect(() => openNote(note.replace("\n1\n", "\n2\n"), [verifier])).to.throw(/does not verify/);
  });

  it("refuses control characters, a missing blank line and malformed signature lines", () => {
    expect(() => parseNote("a\tb\n\n\u2014 k AAAAAAA=\n")).to.throw(/control/);
    expect(() => parseNote("text\n\u2014 k AAAAAAA=\n")).to.throw();
    expect(() => parseSignatureLine("\u2014 k+y AAAAAAA=")).to.throw();
    expect(() => parseSignatureLine("\u2014 k AAAA")).to.throw(); // key ID only, no signature
  });
});

describe("tlog-checkpoint", () => {
  it("parses the specification's example and formats it back", () => {
    const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint.origin).to.equal("example.com/behind-the-sofa");
    expect(checkpoint.treeSize).to.equal(20852163);
    expect(formatCheckpoint(checkpoint)).to.equal(text);
  });

  it("refuses leading zeroes, a short root and empty lines", () => {
    const root = b64(sha("r"));
    for (const bad of [
      `o\n01\n${root}\n`,
      `o\n1\n${b64(new Uint8Array(31))}\n`,
      `o\n1\n${root}\n\n`,
      `o\n1\n`,
    ]) {
      expect(() => parseCheckpoint(bad), bad).to.throw();
    }
  });
});

describe("tlog-cosignature v1", () => {
  it("reads transparency-dev/formats' cosignature's key ID and timestamp", () => {
    const bytes = decodeBase64(
      "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
    )!;
    expect(Buffer.from(bytes).readUInt32BE(0)).to.equal(0x646846b9);
    expect(cosignatureTimestamp(bytes.subarray(4))).to.equal(1727964367);
  });

  it("signs the specification's message layout and verifies; another time or text fails", () => {
    const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    expect(new TextDecoder().decode(cosignedMessage(1679315147, text))).to.equal(
      `cosignature/v1\ntime 1679315147\n${text}`,
    );
    const w = cosigner("witness.example/w1", seed(5));
    const sig = w.cosign(text, 1679315147);
    const verifier = cosignatureVerifier(w.vkey);
    expect(verifier.verify(text, sig.signature)).to.equal(true);
    const later = sig.signature.slice();
    later[7]! += 1;
    expect(verifier.verify(text, later)).to.equal(false);
    expect(verifier.verify(text.replace("20852163", "20852164"), sig.signature)).to.equal(false);
  });
});

describe("tlog-tiles", () => {
  it("the specification's path and tile-count examples", () => {
    expect(tileIndexPath(1234067)).to.equal("x001/x234/067");
    expect(tilePath(0, 1234067)).to.equal("tile/0/x001/x234/067");
    expect(tilePath("entries", 5, 112)).to.equal("tile/entries/005.p/112");
    expect(parseTilePath("0/x001/x234/067")).to.deep.equal({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath("entries/005.p/112")).to.deep.equal({ level: "entries", index: 5, width: 112 });
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
    // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    // partial level 2 tile of width 1"
    const tiles = tilesOf(70_000);
    const at = (level: number) => tiles.filter((t) => t.level === level);
    expect(at(0).filter((t) => t.width === TILE_WIDTH)).to.have.length(273);
    expect(
      at(0)
        .filter((t) => t.width < TILE_WIDTH)
        .map((t) => t.width),
    ).to.deep.equal([112]);
    expect(at(1).map((t) => t.width)).to.deep.equal([256, 17]);
    expect(at(2).map((t) => t.width)).to.deep.equal([1]);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    expect(tilesOf(256).map((t) => [t.level, t.width])).to.deep.equal([
      [0, 256],
      [1, 1],
    ]);
  });

  it("refuses non-canonical tile paths", () => {
    for (const bad of [
      "0/1234067",
      "0/x000/067",
      "0/67",
      "64/000",
      "0/000.p/256",
      "0/000.p/0",
      "00/000",
      "0/000.p/012",
    ]) {
      expect(() => parseTilePath(bad), bad).to.throw();
    }
  });

  it("entry bundles round-trip; a truncated one is refused", () => {
    const entries = [new Uint8Array(224).fill(1), new Uint8Array(0), new Uint8Array([7])];
    const bundle = formatEntryBundle(entries);
    expect(parseEntryBundle(bundle).map(toHex)).to.deep.equal(entries.map(toHex));
    expect(() => parseEntryBundle(bundle.subarray(0, 10))).to.throw();
  });

  it("roots, inclusion and consistency proofs from tiles equal the log's own (sizes 1 … 70,000)", async function () {
    this.timeout(60_000);
    const leaves = Array.from({ length: 70_000 }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf ${i}`)));
    const log = memoRangeHasher(leaves);
    const tilesServed: string[] = [];
    // the log's side: tile (L, N) at width W is the hashes of complete subtrees of 256^L leaves
    const fetch = async (level: number, index: number, width: number) => {
      tilesServed.push(tilePath(level, index, width));
      const span = TILE_WIDTH ** level;
      const out = new Uint8Array(width * 32);
      for (let i = 0; i < width; i++) {
        const first = (index * TILE_WIDTH + i) * span;
        out.set(log(first, first + span), i * 32);
      }
      return out;
    };
    for (const size of [1, 2, 7, 255, 256, 257, 65_536, 65_537, 69_999, 70_000]) {
      const reader = new TileReader(size, fetch);
      expect(toHex(await reader.root()), `root ${size}`).to.equal(
        toHex(rootFromLeafHashes(leaves.slice(0, size))),
      );
      for (const index of [0, size - 1, Math.floor(size / 3)]) {
        const want = inclusionProof(index, size, log).map(toHex);
        expect((await reader.inclusionProof(index)).map(toHex), `inclusion ${index}/${size}`).to.deep.equal(
          want,
        );
      }
      for (const first of [1, Math.floor(size / 2), size - 1].filter((m) => m >= 1 && m < size)) {
        const want = consistencyProof(first, size, log).map(toHex);
        expect(
          (await reader.consistencyProof(first)).map(toHex),
          `consistency ${first}→${size}`,
        ).to.deep.equal(want);
      }
    }
    // partial tiles are asked for at the width the checkpoint's size implies
    expect(tilesServed).to.include("tile/0/273.p/112");
    expect(tilesServed).to.include("tile/1/001.p/17");
    expect(tileWidth(2, 0, 70_000)).to.equal(1);
  });
});

describe("tlog-policy", () => {
  const log = ed25519Signer("jointledger.example/log", seed(1));
  const court = cosigner("court.example/witness", seed(2));
  const union = cosigner("union.example/witness", seed(4));
  const third = cosigner("third.example/witness", seed(6));

  it("parses the specification's two-level example shape and evaluates its quorum", () => {
    const policy = parsePolicy(
      [
        "# comment",
        `log ${log.vkey} https://log.example`,
        `  witness X1 ${court.vkey}`,
        `witness X2\t${union.vkey}`,
        `witness Y1 ${third.vkey}`,
        "group X-witnesses 2 X1 X2",
        "group Y-witnesses any Y1",
        "group X-and-Y all X-witnesses Y-witnesses",
        "quorum X-and-Y",
        "",
      ].join("\n"),
    );
    expect(quorumMet(policy, new Set(["X1", "X2", "Y1"]))).to.equal(true);
    expect(quorumMet(policy, new Set(["X1", "Y1"]))).to.equal(false);
    expect(quorumMet(parsePolicy("quorum none\n"), new Set())).to.equal(true);
  });

  it("refuses forward references, duplicates, bad thresholds and a missing quorum", () => {
    const w = `witness A ${court.vkey}\n`;
    for (const bad of [
      "quorum A\n",
      `${w}group g 2 A\nquorum g\n`,
      `${w}group g 0 A\nquorum g\n`,
      `${w}group g any A A\nquorum g\n`,
      `${w}witness B ${court.vkey}\nquorum A\n`,
      `${w}group none any A\nquorum A\n`,
      w,
      `${w}quorum A\nquorum A\n`,
      `${w}frobnicate\nquorum A\n`,
      `log ${court.vkey}\nquorum none\n`, // a cosignature key is not a log key
    ]) {
      expect(() => parsePolicy(bad), bad).to.throw(/policy/);
    }
  });

  it("verifyCheckpoint: log signature, cosignatures, quorum; a bad cosignature fails the note", () => {
    const policy = parsePolicy(
      kOfNPolicy(
        log.vkey,
        [
          { name: "court", vkey: court.vkey },
          { name: "union", vkey: union.vkey },
        ],
        2,
      ),
    );
    const text = formatCheckpoint({ origin: log.name, treeSize: 3, rootHash: sha("root") });
    const signed = signNote(text, [log]);
    const withOne = signed + formatLine(court.cosign(text, 1_700_000_000));
    const withTwo = withOne + formatLine(union.cosign(text, 1_700_000_001));
    expect(verifyCheckpoint(withOne, policy).quorum).to.equal(false);
    const verdict = verifyCheckpoint(withTwo, policy);
    expect(verdict.quorum).to.equal(true);
    expect(verdict.cosigners).to.deep.equal([
      { name: "court", timestamp: 1_700_000_000 },
      { name: "union", timestamp: 1_700_000_001 },
    ]);
    const forged = union.cosign(text.replace("\n3\n", "\n4\n"), 1_700_000_001);
    expect(() => verifyCheckpoint(withOne + formatLine(forged), policy)).to.throw(/witness union/);
  });
});

describe("tlog-proof", () => {
  it("serialises as transparency-dev/formats' examples", () => {
    const h1 = sha("hash1");
    const h2 = sha("hash2");
    expect(formatTlogProof({ index: 5, hashes: [h1, h2], checkpoint: "test checkpoint\n" })).to.equal(
      `c2sp.org/tlog-proof@v1\nindex 5\n${b64(h1)}\n${b64(h2)}\n\ntest checkpoint\n`,
    );
    const extra = new TextEncoder().encode("extra information");
    expect(formatTlogProof({ index: 10, hashes: [h1], checkpoint: "checkpoint data\n", extra })).to.equal(
      `c2sp.org/tlog-proof@v1\nextra ${b64(extra)}\nindex 10\n${b64(h1)}\n\ncheckpoint data\n`,
    );
    expect(formatTlogProof({ index: 0, hashes: [], checkpoint: "checkpoint\n" })).to.equal(
      "c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint\n",
    );
  });

  it("refuses transparency-dev/formats' malformed proofs", () => {
    for (const bad of [
      "wrong-header\nindex 0\n\ncheckpoint\n",
      "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n",
      "c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n",
      "c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n",
      "c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n",
      "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n",
      `c2sp.org/tlog-proof@v1\nindex 0\n${b64(new Uint8Array(64))}\n\ncheckpoint\n`,
    ]) {
      expect(() => parseTlogProof(bad), bad).to.throw(/PROOF|index|base64|line|header|blank/i);
    }
  });

  it("a proof of a real log round-trips and verifies against the policy; another leaf does not", () => {
    const log = ed25519Signer("jointledger.example/log", seed(1));
    const w = cosigner("court.example/witness", seed(2));
    const leaves = [0, 1, 2, 3, 4].map((i) => hashLeaf(new Uint8Array([i])));
    const text = formatCheckpoint({ origin: log.name, treeSize: 5, rootHash: rootFromLeafHashes(leaves) });
    const note = signNote(text, [log]) + formatLine(w.cosign(text, 1_700_000_000));
    const policy = parsePolicy(kOfNPolicy(log.vkey, [{ name: "court", vkey: w.vkey }], 1));
    const proof = parseTlogProof(
      formatTlogProof({ index: 3, hashes: inclusionProof(3, 5, memoRangeHasher(leaves)), checkpoint: note }),
    );
    const verdict = verifyTlogProof(proof, leaves[3]!, policy);
    expect(verdict.included && verdict.quorum).to.equal(true);
    expect(verifyTlogProof(proof, leaves[2]!, policy).included).to.equal(false);
  });
});

function formatLine(sig: { name: string; keyId: number; signature: Uint8Array }): string {
  const bytes = Buffer.alloc(4 + sig.signature.length);
  bytes.writeUInt32BE(sig.keyId, 0);
  bytes.set(sig.signature, 4);
  return `\u2014 ${sig.name} ${bytes.toString("base64")}\n`;
}
