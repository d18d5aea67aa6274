// The member directory on a generated (Besu) network, run against a chain that behaves like it
// (Anvil with the generated chain id, behind the Besu-rules proxy): deploy.ts governs the file the
// generator wrote (refusing one edited since) and every node's env names it; govern.ts's member-directory
// action checks the file first — credit code check characters, names, SM2 keys on the curve, its
// one spelling, every member on chain — and refuses a bad file with GOVERN_BAD_DIRECTORY,
// proposing nothing; a good file is proposed by the union, approved by branch A with its own
// governance key and executed, after which nodes read names from it. Rotating the anchor's SM2
// receipt key governs a new file that keeps the old key with the period it was in force: a
// receipt the old key signed before the rotation still verifies against the chain's directory,
// one dated after it fails with the reason.
import { expect } from "chai";
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { Wallet } from "ethers";
import { fromHex, toHex } from "../../common/bytes.ts";
import {
  directoryBytes,
  governedReceiptKey,
  readGovernedDirectory,
  type MemberDirectory,
} from "../../common/consortium/member-directory.ts";
import { usccCheckCharacter } from "../../common/consortium/uscc.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import {
  isoSeconds,
  receiptDomain,
  signReceiptBatch,
  verifyGovernedReceipt,
  type Receipt,
} from "../../common/formats/receipt/receipts.ts";
import { UNION_LOG_ID } from "../../scripts/ops/network/besu/consortium.ts";
import { GovernError, runGovern } from "../../scripts/ops/network/govern.ts";
import { rejectedBy } from "../support/expect-error.ts";
import { runScript, startGeneratedNetwork, type GeneratedNetwork } from "./generated-network.ts";

const CHAIN_ID = 4244;
const OLD_KEY = fromHex(`0x${"2f".repeat(32)}`);
const NEW_KEY = fromHex(`0x${"71".repeat(32)}`);
const OLD_PUBLIC = toHex(sm2.publicKeyOf(OLD_KEY));
const NEW_PUBLIC = toHex(sm2.publicKeyOf(NEW_KEY));

/** A fictional but well-formed credit code for member `id` (its check character computed). */
const usccFor = (id: number) => {
  const first17 = `913301000000000${String(id).padStart(2, "0")}`;
  return `${first17}${usccCheckCharacter(first17)}`;
};

describe("member directory on a generated network (govern.ts member-directory, SM2 receipt key rotation)", function () {
  this.timeout(240_000);
  let network: GeneratedNetwork;
  const file = (name: string) => path.join(network.dir, name);
  const govern = (...argv: string[]) => runGovern([...argv, "--network", network.out]);
  const governedOnChain = (bytes: Uint8Array) =>
    readGovernedDirectory(bytes, network.anvil.provider, network.manifest.contracts.consortiumRegistry);
  const unionReceiptKeys = (bytes: Uint8Array) =>
    governedReceiptKey(bytes, network.anvil.provider, network.manifest.contracts, UNION_LOG_ID);
  const unionId = () => network.manifest.members.find((m) => m.kind === "union")!.id;

  /** The founders' directory; the union's entry with `union`'s SM2 receipt key fields. */
  const directory = (union: Partial<MemberDirectory["members"][number]>): MemberDirectory => ({
    version: 1,
    testData: true,
    members: network.manifest.members.map((m) => ({
      memberId: m.id,
      nameZh: `示例成员${m.id}`,
      nameEn: `Example member ${m.id}`,
      uscc: usccFor(m.id),
      ...(m.id === unionId() ? union : {}),
    })),
  });

  /** Proposes `directoryFile` as the union, approves as branch A, executes as the union. */
  async function adopt(directoryFile: string, proposal: string): Promise<void> {
    const proposed = await govern(
      "propose",
      "member-directory",
      "--as",
      "union",
      "--file",
      proposal,
      "--directory",
      directoryFile,
    );
    expect(proposed.join("\n")).to.contain("set the member directory to the file with SHA-256");
    expect((await govern("approve", "--as", "branchA", "--file", proposal))[0]).to.contain("ready");
    await govern("execute", "--as", "union", "--file", proposal);
  }

  async function receiptAt(receivedAt: number, key: Uint8Array): Promise<Receipt> {
    const domain = receiptDomain(BigInt(CHAIN_ID), network.manifest.contracts.evidenceLog);
    const { receipts } = await signReceiptBatch(new Wallet(`0x${"44".repeat(32)}`), domain, {
      logId: UNION_LOG_ID,
      firstSequence: receivedAt,
      leafHashes: [fromHex(`0x${receivedAt.toString(16).padStart(64, "0")}`)],
      receivedAt,
      maxMergeDelaySeconds: 60,
      sm2PrivateKey: key,
    });
    return receipts[0]!;
  }

  before(async function () {
    network = await startGeneratedNetwork({
      chainId: CHAIN_ID,
      seed: "member-directory",
      nodePort: 41101,
      maxLogsRange: 5,
    });
    // the folder's directory edited since generation: refused before anything is deployed
    const generated = path.join(network.out, "member-directory.json");
    const original = await readFile(generated);
    await writeFile(generated, original.toString("utf8").replace("Zhuji", "Zhuji City"));
    const refused = await runScript("scripts/ops/network/deploy.ts", ["--network", network.out]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain(
      `not the ${network.manifest.memberDirectory.sha256} the generator wrote`,
    );
    expect(await network.anvil.provider.getTransactionCount(network.manifest.deployer.address)).to.equal(0);
    await writeFile(generated, original);
    const deployed = await runScript("scripts/ops/network/deploy.ts", ["--network", network.out]);
    expect(deployed.code, deployed.stderr).to.equal(0);
    expect(deployed.stdout).to.contain(
      `member directory member-directory.json governed (SHA-256 ${network.manifest.memberDirectory.sha256}, fictional test identities)`,
    );
  });

  after(async function () {
    await network?.stop();
  });

  it("deploy.ts governs the directory the generator wrote: the file every node's env names is the governed one and binds the anchor's SM2 receipt key", async function () {
    for (const member of network.manifest.members) {
      const file = parseEnv(
        await readFile(path.join(network.out, member.node.envFile), "utf8"),
      ).NODE_MEMBER_DIRECTORY_FILE!;
      const governed = await governedOnChain(await readFile(file));
      expect(governed.testData, member.key).to.equal(true);
      expect(governed.members.map((m) => m.memberId)).to.deep.equal(
        network.manifest.members.map((m) => m.id),
      );
    }
    const anchorKey = parseEnv(
      await readFile(path.join(network.out, "env/anchor.env"), "utf8"),
    ).ANCHOR_RECEIPT_SM2_KEY!;
    const bound = await unionReceiptKeys(await readFile(path.join(network.out, "member-directory.json")));
    expect(bound.sm2PublicKey).to.equal(toHex(sm2.publicKeyOf(fromHex(anchorKey))));
  });

  it("refuses a bad directory file with GOVERN_BAD_DIRECTORY, naming the problem, and proposes nothing", async function () {
    const good = directory({ receiptSm2PublicKey: OLD_PUBLIC });
    const union = network.manifest.members.find((m) => m.kind === "union")!;
    const nonceBefore = await network.anvil.provider.getTransactionCount(union.governance!.account);
    const wrongCheck = usccFor(unionId()).slice(0, 17) + (usccFor(unionId()).endsWith("0") ? "1" : "0");
    const cases: Array<[string, Uint8Array | string, RegExp]> = [
      [
        "bad-check.json",
        `${JSON.stringify({ ...good, members: good.members.map((m) => ({ ...m, uscc: m.memberId === unionId() ? wrongCheck : m.uscc })) }, null, 2)}\n`,
        /uscc: not a unified social credit code: check character/,
      ],
      [
        "short-name.json",
        `${JSON.stringify({ ...good, members: good.members.map((m) => ({ ...m, nameZh: "示" })) }, null, 2)}\n`,
        /nameZh: /,
      ],
      [
        "off-curve.json",
        directoryBytes(directory({ receiptSm2PublicKey: `0x04${"11".repeat(64)}` })),
        /is not a point of the SM2 curve/,
      ],
      ["unspelled.json", JSON.stringify(good), /not the directory's one spelling/],
      [
        "stranger.json",
        directoryBytes({
          ...good,
          members: [
            ...good.members,
            { memberId: 99, nameZh: "陌生机构", nameEn: "Stranger", uscc: usccFor(99) },
          ],
        }),
        /member 99 is not a member of the consortium on chain/,
      ],
      ["not-json.json", "{ members: [", /not UTF-8 JSON/],
    ];
    for (const [name, content, reason] of cases) {
      await writeFile(file(name), content);
      const error = await rejectedBy(
        govern(
          "propose",
          "member-directory",
          "--as",
          "union",
          "--file",
          file(`${name}.proposal`),
          "--directory",
          file(name),
        ),
        GovernError,
        name,
      );
      expect(error.code, name).to.equal("GOVERN_BAD_DIRECTORY");
      expect(error.message, name).to.match(reason);
      // nothing proposed: no proposal file, no transaction from the union's governance key
      await access(file(`${name}.proposal`)).then(
        () => expect.fail(`${name}: a proposal file was written`),
        () => undefined,
      );
    }
    expect(await network.anvil.provider.getTransactionCount(union.governance!.account)).to.equal(nonceBefore);
  });

  it("adopts a directory through governance (union proposes, branch A approves with its own key); nodes read names from it", async function () {
    const bytes = directoryBytes(directory({ receiptSm2PublicKey: OLD_PUBLIC }));
    await writeFile(file("directory-1.json"), bytes);
    await adopt(file("directory-1.json"), file("directory-1.proposal.json"));
    const governed = await governedOnChain(bytes);
    expect(governed.members.map((m) => m.uscc)).to.deep.equal(
      network.manifest.members.map((m) => usccFor(m.id)),
    );
    const bound = await unionReceiptKeys(bytes);
    expect(bound.sm2PublicKey).to.equal(OLD_PUBLIC);
  });

  it("rotates the SM2 receipt key: the old key's receipt before the rotation passes, one dated after fails with the reason", async function () {
    const rotatedAt = (await network.anvil.provider.getBlock("latest"))!.timestamp;
    const before = await receiptAt(rotatedAt - 120, OLD_KEY);
    const bytes = directoryBytes(
      directory({
        receiptSm2PublicKey: NEW_PUBLIC,
        receiptSm2KeyValidFrom: isoSeconds(rotatedAt),
        previousReceiptSm2Keys: [{ publicKey: OLD_PUBLIC, validUntil: isoSeconds(rotatedAt) }],
      }),
    );
    await writeFile(file("directory-2.json"), bytes);
    await adopt(file("directory-2.json"), file("directory-2.proposal.json"));

    // the first directory is no longer the governed one
    await rejectedBy(governedOnChain(await readFile(file("directory-1.json"))), Error, "the first directory");
    const bound = await unionReceiptKeys(bytes);
    expect(bound.sm2PublicKey).to.equal(NEW_PUBLIC);
    const domain = receiptDomain(BigInt(CHAIN_ID), network.manifest.contracts.evidenceLog);
    expect(verifyGovernedReceipt(domain, before, undefined, bound.sm2Keys)).to.deep.equal({ ok: true });

    const after = await receiptAt(rotatedAt + 60, OLD_KEY);
    const refused = verifyGovernedReceipt(domain, after, undefined, bound.sm2Keys);
    expect(refused.ok === false && refused.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");
    expect(refused.ok === false && refused.reason).to.contain(
      `in force from the start until ${isoSeconds(rotatedAt)}, not at the receipt's receivedAt ${isoSeconds(rotatedAt + 60)}`,
    );
    expect(
      verifyGovernedReceipt(domain, await receiptAt(rotatedAt + 60, NEW_KEY), undefined, bound.sm2Keys),
    ).to.deep.equal({
      ok: true,
    });
  });
});
