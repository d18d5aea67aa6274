// Encryption at rest (nodes/src/privacy/crypto-box.ts): AES-256-GCM round trips and layout,
// every single-byte tamper and every truncation refused, wrong aad or key refused, HKDF against
// an RFC 5869 extract-and-expand written here with HMAC, and the master key file's checks.
import { expect } from "chai";
import { createHmac, randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  IV_BYTES,
  SEAL_OVERHEAD,
  SEAL_VERSION,
  TAG_BYTES,
  createMasterKeyFile,
  deriveKey,
  generateKey,
  loadMasterKey,
  open,
  seal,
} from "../../../nodes/src/privacy/crypto-box.ts";
import { PrivacyError, type PrivacyErrorCode } from "../../../nodes/src/errors.ts";
import { codeThrown } from "../../support/expect-error.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

const codeOf = (fn: () => unknown): PrivacyErrorCode | undefined => codeThrown(fn, PrivacyError);

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<PrivacyErrorCode | undefined> {
  try {
    await fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PrivacyError);
    return (error as PrivacyError).code;
  }
  return undefined;
}

/** RFC 5869 HKDF-SHA256 from its definition (one block suffices for 32 bytes). */
function referenceHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  return new Uint8Array(createHmac("sha256", prk).update(info).update(Uint8Array.of(1)).digest());
}

describe("nodes/privacy crypto-box", () => {
  const key = generateKey();
  const plaintext = utf8("借款合同 — 欧阳娜娜 110101199003071233");
  const aad = utf8("0x" + "11".repeat(32));

  it("round-trips, with the documented layout", () => {
    const sealed = seal(key, plaintext, aad);
    expect(sealed.length).to.equal(plaintext.length + SEAL_OVERHEAD);
    expect(SEAL_OVERHEAD).to.equal(1 + 12 + 16);
    expect(sealed[0]).to.equal(SEAL_VERSION);
    expect(Buffer.from(open(key, sealed, aad)).equals(Buffer.from(plaintext))).to.equal(true);
  });

  it("round-trips empty and large plaintexts and string aad", () => {
    expect(open(key, seal(key, new Uint8Array(0), "x"), "x").length).to.equal(0);
    const big = new Uint8Array(randomBytes(1024 * 1024));
    expect(Buffer.from(open(key, seal(key, big, "doc"), "doc")).equals(Buffer.from(big))).to.equal(true);
  });

  it("uses a fresh IV each time: the same plaintext never seals alike", () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++)
      ivs.add(Buffer.from(seal(key, plaintext, aad).subarray(1, 1 + IV_BYTES)).toString("hex"));
    expect(ivs.size).to.equal(200);
  });

  it("refuses every single-byte tamper of the sealed blob (version, IV, ciphertext, tag)", () => {
    const sealed = seal(key, plaintext, aad);
    let refused = 0;
    for (let i = 0; i < sealed.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = new Uint8Array(sealed);
        tampered[i]! ^= mask;
        expect(
          codeOf(() => open(key, tampered, aad)),
          `byte ${i} ^ ${mask}`,
        ).to.equal("NODE_ERR_DECRYPT");
        refused++;
      }
    }
    expect(refused).to.equal(3 * sealed.length);
  });

  it("refuses every truncation and any appended byte", () => {
    const sealed = seal(key, plaintext, aad);
    for (let n = 0; n < sealed.length; n++)
      expect(
        codeOf(() => open(key, sealed.subarray(0, n), aad)),
        `length ${n}`,
      ).to.equal("NODE_ERR_DECRYPT");
    const longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    expect(codeOf(() => open(key, longer, aad))).to.equal("NODE_ERR_DECRYPT");
  });

  it("refuses a wrong aad (another document id), an empty aad and a wrong key", () => {
    const sealed = seal(key, plaintext, aad);
    const other = new Uint8Array(aad);
    other[other.length - 1]! ^= 1;
    expect(codeOf(() => open(key, sealed, other))).to.equal("NODE_ERR_DECRYPT");
    expect(codeOf(() => open(key, sealed, new Uint8Array(0)))).to.equal("NODE_ERR_DECRYPT");
    expect(codeOf(() => open(generateKey(), sealed, aad))).to.equal("NODE_ERR_DECRYPT");
  });

  it("refuses keys that are not 32 bytes", () => {
    expect(codeOf(() => seal(new Uint8Array(16), plaintext, aad))).to.equal("NODE_ERR_BAD_KEY");
    expect(codeOf(() => open(new Uint8Array(33), seal(key, plaintext, aad), aad))).to.equal(
      "NODE_ERR_BAD_KEY",
    );
  });

  it("the tag is the last 16 bytes and the ciphertext is as long as the plaintext", () => {
    const sealed = seal(key, plaintext, aad);
    expect(sealed.length - 1 - IV_BYTES - TAG_BYTES).to.equal(plaintext.length);
  });

  describe("deriveKey", () => {
    const master = new Uint8Array(32).map((_, i) => 0x40 + i);

    it("is HKDF-SHA256(master, salt 'JointLedger/node/v1', info purpose)", () => {
      expect(
        Buffer.from(deriveKey(master, "documents")).equals(
          Buffer.from(referenceHkdf(master, utf8("JointLedger/node/v1"), utf8("documents"))),
        ),
      ).to.equal(true);
    });

    it("gives stable, distinct keys per purpose and per master", () => {
      const a = Buffer.from(deriveKey(master, "documents")).toString("hex");
      expect(Buffer.from(deriveKey(master, "documents")).toString("hex")).to.equal(a);
      expect(Buffer.from(deriveKey(master, "applications")).toString("hex")).to.not.equal(a);
      expect(Buffer.from(deriveKey(generateKey(), "documents")).toString("hex")).to.not.equal(a);
      expect(deriveKey(master, "documents").length).to.equal(32);
    });

    it("a blob sealed under one purpose's key does not open under another's", () => {
      const sealed = seal(deriveKey(master, "documents"), plaintext, aad);
      expect(codeOf(() => open(deriveKey(master, "applications"), sealed, aad))).to.equal("NODE_ERR_DECRYPT");
    });

    it("refuses bad purposes and bad masters", () => {
      for (const purpose of ["", "Documents", "docs/1", "x".repeat(65)])
        expect(
          codeOf(() => deriveKey(master, purpose)),
          purpose,
        ).to.equal("NODE_ERR_BAD_KEY");
      expect(codeOf(() => deriveKey(new Uint8Array(31), "documents"))).to.equal("NODE_ERR_BAD_KEY");
    });
  });

  describe("master key file", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "jl-masterkey-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("createMasterKeyFile writes 64 hex digits with mode 0600, and loadMasterKey reads them back", async () => {
      const path = join(dir, "master.key");
      const created = await createMasterKeyFile(path);
      expect((await stat(path)).mode & 0o777).to.equal(0o600);
      expect((await readFile(path, "utf8")).trim()).to.match(/^[0-9a-f]{64}$/);
      expect(Buffer.from(await loadMasterKey(path)).equals(Buffer.from(created))).to.equal(true);
    });

    it("never overwrites an existing key file", async () => {
      const path = join(dir, "master.key");
      const first = await createMasterKeyFile(path);
      expect(await asyncCodeOf(() => createMasterKeyFile(path))).to.equal("NODE_ERR_KEY_FILE_EXISTS");
      expect(Buffer.from(await loadMasterKey(path)).equals(Buffer.from(first))).to.equal(true);
    });

    it("accepts 0x-prefixed hex, raw 32 bytes and mode 0400", async () => {
      const k = generateKey();
      const hexPath = join(dir, "hex.key");
      await writeFile(hexPath, `0x${Buffer.from(k).toString("hex").toUpperCase()}\r\n`, { mode: 0o600 });
      expect(Buffer.from(await loadMasterKey(hexPath)).equals(Buffer.from(k))).to.equal(true);
      const rawPath = join(dir, "raw.key");
      await writeFile(rawPath, k, { mode: 0o600 });
      await chmod(rawPath, 0o400);
      expect(Buffer.from(await loadMasterKey(rawPath)).equals(Buffer.from(k))).to.equal(true);
    });

    it("refuses a file readable or writable by group or others", async function () {
      if (process.platform === "win32") this.skip();
      const path = join(dir, "master.key");
      await createMasterKeyFile(path);
      for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o666]) {
        await chmod(path, mode);
        expect(await asyncCodeOf(() => loadMasterKey(path)), mode.toString(8)).to.equal(
          "NODE_ERR_KEY_FILE_PERMISSIONS",
        );
      }
    });

    it("refuses a missing file, a directory and malformed content", async () => {
      expect(await asyncCodeOf(() => loadMasterKey(join(dir, "absent.key")))).to.equal(
        "NODE_ERR_KEY_FILE_MISSING",
      );
      await chmod(dir, 0o700);
      expect(await asyncCodeOf(() => loadMasterKey(dir))).to.equal("NODE_ERR_BAD_KEY");
      const short = join(dir, "short.key");
      await writeFile(short, "ab".repeat(31), { mode: 0o600 });
      expect(await asyncCodeOf(() => loadMasterKey(short))).to.equal("NODE_ERR_BAD_KEY");
    });
  });
});
