// The anchor service's SM2 receipt key is bound by governance, not by the service's own word: the
// governed member directory gives the log's operating member (the union) its SM2 key, and every
// verifier — verifyGovernedReceipt, the node's anchor client, `npm run verify -- --member-directory`
// — accepts an SM2 receipt signature only under that key. A receipt re-signed with another SM2 key
// (a valid signature, which the service's /v1/info would happily name) fails with
// RECEIPT_SM2_KEY_NOT_GOVERNED; a directory whose digest is not the governed one is refused.
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnchorClient, AnchorClientError } from "../../common/anchor/client.ts";
import { fromHex, toHex } from "../../common/bytes.ts";
import {
  MemberDirectoryError,
  directoryBytes,
  governedReceiptKey,
  memberDirectoryCall,
  type MemberDirectory,
} from "../../common/consortium/member-directory.ts";
import { sm2 } from "../../common/crypto/sm2.ts";
import {
  DEFAULT_TRUST_ANCHOR_NAME,
  readTrustAnchor,
  trustAnchorJson,
} from "../../common/formats/bundle/trust-anchor.ts";
import {
  isoSeconds,
  receiptDomain,
  receiptSm2Message,
  verifyGovernedReceipt,
  verifyReceipt,
  type Receipt,
  type ReceiptDomain,
} from "../../common/formats/receipt/receipts.ts";
import { governedReceiptSm2Key } from "../../nodes/src/member-names.ts";
import { EXIT_CODES, main as verifyCli } from "../../scripts/cli/verify.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { anchorOne, anchorServiceSuite } from "../support/anchor-suite.ts";
import { rejectedBy } from "../support/expect-error.ts";
import { rewritingProxy } from "../support/rewriting-proxy.ts";
import { MEMBERS, UNION_LOG, recordFor } from "../support/consortium-chain.ts";

const GOVERNED_KEY = `0x${"6d".repeat(32)}`;
const GOVERNED_PUBLIC = toHex(sm2.publicKeyOf(fromHex(GOVERNED_KEY)));
const ROGUE = sm2.generateKeyPair();
const ROGUE_PUBLIC = toHex(ROGUE.publicKey);

// fictional members (test data), each code with a valid GB 32100-2015 check character
const directoryWith = (unionKey: string | undefined): MemberDirectory => ({
  version: 1,
  testData: true,
  members: [
    {
      memberId: MEMBERS.union,
      nameZh: "示例省农村信用社联合社",
      nameEn: "Example Provincial Rural Credit Union",
      uscc: "93330000MA00000014",
      ...(unionKey === undefined ? {} : { receiptSm2PublicKey: unionKey }),
    },
    {
      memberId: MEMBERS.court,
      nameZh: "示例互联网法院",
      nameEn: "Example Internet Court",
      uscc: "11330100MB00000056",
    },
  ],
});

/** `receipt` with its batch SM2-signed again, validly, by `privateKey` (an SM2 key of the attacker's choosing). */
function resigned(domain: ReceiptDomain, receipt: Receipt, privateKey: Uint8Array): Receipt {
  const message = receiptSm2Message(domain, {
    logId: receipt.logId,
    firstSequence: receipt.batch.firstSequence,
    count: receipt.batch.count,
    root: receipt.batch.root,
    receivedAt: Date.parse(receipt.receivedAt) / 1000,
    maxMergeDelaySeconds: receipt.maxMergeDelaySeconds,
  });
  return {
    ...receipt,
    batch: {
      ...receipt.batch,
      sm2: { publicKey: toHex(sm2.publicKeyOf(privateKey)), signature: toHex(sm2.sign(privateKey, message)) },
    },
  };
}

describe("the anchor's SM2 receipt key, bound by the governed member directory (国密)", function () {
  this.timeout(180_000);
  const suite = anchorServiceSuite({
    config: { receiptSignatures: "eip712,sm2", receiptSm2Key: GOVERNED_KEY },
    listen: true,
  });
  let dir: string;
  let directoryFile: string;
  let contracts: { consortiumRegistry: string; evidenceLog: string };
  let domain: ReceiptDomain;
  let logId: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "jl-sm2-governed-"));
    directoryFile = join(dir, "member-directory.json");
    const { addresses } = suite.chain.deployment;
    contracts = { consortiumRegistry: addresses.consortiumRegistry, evidenceLog: addresses.evidenceLog };
    const bytes = directoryBytes(directoryWith(GOVERNED_PUBLIC));
    await writeFile(directoryFile, bytes);
    await govern(suite.chain.deployment.governor, suite.chain.approvers, [
      memberDirectoryCall(contracts.consortiumRegistry, bytes),
    ]);
    domain = receiptDomain(suite.chain.chainId, contracts.evidenceLog);
    logId = UNION_LOG;
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  /** `npm run verify` on doc.txt and `bundleFile` in `dir`, with trust.json and the chain. */
  const run = async (bundleFile: string, extra: string[]) => {
    let said = "";
    const out = { write: (text: string) => (said += text) };
    const args = [join(dir, "doc.txt"), join(dir, bundleFile), "--trust", join(dir, "trust.json")];
    const code = await verifyCli([...args, "--rpc", suite.chain.anvil.url, "--json", ...extra], out, out);
    return { code, said };
  };
  const blockAndTime = (said: string) =>
    (JSON.parse(said) as { checks: Array<{ id: string; outcome: string; reason: string }> }).checks.find(
      (c) => c.id === "blockAndTime",
    )!;

  it("the governed directory gives the log's operator, the union, its SM2 key; an altered file is refused", async function () {
    const { provider } = suite.chain.anvil;
    const bound = await governedReceiptKey(
      directoryBytes(directoryWith(GOVERNED_PUBLIC)),
      provider,
      contracts,
      logId,
    );
    expect(bound).to.deep.equal({
      operatorMemberId: MEMBERS.union,
      sm2PublicKey: GOVERNED_PUBLIC,
      sm2Keys: [{ publicKey: GOVERNED_PUBLIC }],
    });
    // the same directory naming the attacker's key is not the governed file
    const error = await governedReceiptKey(
      directoryBytes(directoryWith(ROGUE_PUBLIC)),
      provider,
      contracts,
      logId,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(MemberDirectoryError);
    expect((error as Error).message).to.match(/is not the governed/);
  });

  it("verifyGovernedReceipt: the genuine receipt passes; another SM2 key, a stripped or an ungoverned one fails", async function () {
    const { receipt } = await anchorOne(suite, "governed SM2: loan contract");
    const operator = suite.chain.wallets.anchor.address;
    expect(verifyGovernedReceipt(domain, receipt, operator, GOVERNED_PUBLIC)).to.deep.equal({ ok: true });

    // checked once per batch, yet a changed signature of a batch already verified still fails
    const signature = receipt.batch.signature;
    const flipped = `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}`;
    const changed = { ...receipt, batch: { ...receipt.batch, signature: flipped } };
    const refusedEip712 = verifyGovernedReceipt(domain, changed, operator, GOVERNED_PUBLIC);
    expect(refusedEip712.ok === false && refusedEip712.code).to.equal("RECEIPT_BAD_SIGNATURE");

    const rogue = resigned(domain, receipt, ROGUE.privateKey);
    // the signature itself is sound: a verifier taking the key from the service accepts it
    expect(verifyReceipt(domain, rogue, operator, ROGUE_PUBLIC)).to.deep.equal({ ok: true });
    const refused = verifyGovernedReceipt(domain, rogue, operator, GOVERNED_PUBLIC);
    expect(refused.ok).to.equal(false);
    expect(refused.ok === false && refused.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");

    const { sm2: _dropped, ...unsignedBatch } = receipt.batch;
    const stripped = verifyGovernedReceipt(
      domain,
      { ...receipt, batch: unsignedBatch },
      operator,
      GOVERNED_PUBLIC,
    );
    expect(stripped.ok === false && stripped.code).to.equal("RECEIPT_BAD_SIGNATURE");

    // governance bound no SM2 key: no SM2 signature is accepted, not even the service's own
    const none = verifyGovernedReceipt(domain, receipt, operator, undefined);
    expect(none.ok === false && none.code).to.equal("RECEIPT_SM2_KEY_NOT_GOVERNED");
  });

  it("the node's anchor client: the governed key passes; a service announcing and signing with another is refused", async function () {
    const node = (port: number, governed = true) =>
      new AnchorClient(
        `http://127.0.0.1:${port}`,
        suite.chain.wallets.branchA,
        MEMBERS.branchA,
        governed
          ? governedReceiptSm2Key({
              directoryFile,
              provider: suite.chain.anvil.provider,
              consortiumRegistry: contracts.consortiumRegistry,
            })
          : undefined,
      );
    const record = () => ({ ...recordFor(`client ${Math.random()}`), kind: 1, digestAlgorithm: 1 }) as const;
    const [genuine] = await node(suite.port).submit([record()]);
    expect(genuine!.batch.sm2?.publicKey).to.equal(GOVERNED_PUBLIC);

    // a service that names another SM2 key in /v1/info and signs its receipts with it
    const impostor = await rewritingProxy(suite.port, (url, json) =>
      url === "/v1/info"
        ? { ...json, receiptSm2PublicKey: ROGUE_PUBLIC }
        : Array.isArray(json.receipts)
          ? {
              ...json,
              receipts: (json.receipts as Receipt[]).map((r) => resigned(domain, r, ROGUE.privateKey)),
            }
          : json,
    );
    try {
      const { port } = impostor;
      // taking the key from the service, as before the binding, the impostor's receipts pass
      const [accepted] = await node(port, false).submit([record()]);
      expect(accepted!.batch.sm2?.publicKey).to.equal(ROGUE_PUBLIC);
      const error = await rejectedBy(node(port).submit([record()]), AnchorClientError, "impostor");
      expect(error.code).to.equal("ANCHOR_CLIENT_BAD_RECEIPT");
      expect(error.message).to.contain(`SM2-signed by ${ROGUE_PUBLIC}, not by ${GOVERNED_PUBLIC}`);
    } finally {
      impostor.close();
    }
  });

  it("the node refuses to anchor under a directory file that is not the governed one", async function () {
    const altered = join(dir, "altered-directory.json");
    await writeFile(altered, directoryBytes(directoryWith(ROGUE_PUBLIC)));
    const resolve = governedReceiptSm2Key({
      directoryFile: altered,
      provider: suite.chain.anvil.provider,
      consortiumRegistry: contracts.consortiumRegistry,
    });
    const error = await resolve({ logId, evidenceLog: contracts.evidenceLog }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).to.equal("NODE_ERR_NO_MEMBER_DIRECTORY");
  });

  it("npm run verify -- --member-directory: genuine passes blockAndTime, another SM2 key fails it, an ungoverned directory is refused", async function () {
    const document = "governed SM2: ruling";
    const { receipt, bundle } = await anchorOne(suite, document);
    const trust = await readTrustAnchor(suite.chain.anvil.provider, {
      consortiumRegistry: contracts.consortiumRegistry,
      name: DEFAULT_TRUST_ANCHOR_NAME,
    });
    await writeFile(join(dir, "trust.json"), trustAnchorJson(trust));
    await writeFile(join(dir, "doc.txt"), document);
    await writeFile(join(dir, "bundle.json"), JSON.stringify(bundle));
    const rogueBundle = { ...bundle, receipt: resigned(domain, receipt, ROGUE.privateKey) };
    await writeFile(join(dir, "rogue-bundle.json"), JSON.stringify(rogueBundle));
    await writeFile(join(dir, "altered.json"), directoryBytes(directoryWith(ROGUE_PUBLIC)));

    const genuine = await run("bundle.json", ["--member-directory", directoryFile]);
    expect(blockAndTime(genuine.said).outcome, genuine.said).to.equal("pass");
    expect(genuine.code, genuine.said).to.not.equal(EXIT_CODES.fail);

    const rogue = await run("rogue-bundle.json", ["--member-directory", directoryFile]);
    expect(rogue.code, rogue.said).to.equal(EXIT_CODES.fail);
    expect(blockAndTime(rogue.said).reason).to.contain("RECEIPT_SM2_KEY_NOT_GOVERNED");
    // without the directory, the key a bundle names for itself raises no objection
    expect(blockAndTime((await run("rogue-bundle.json", [])).said).outcome).to.equal("pass");

    const altered = await run("bundle.json", ["--member-directory", join(dir, "altered.json")]);
    expect(altered.code, altered.said).to.equal(EXIT_CODES.badInput);
    expect(altered.said).to.match(/member directory .* is refused: .*is not the governed/);

    const otherKey = await run("bundle.json", [
      "--member-directory",
      directoryFile,
      "--receipt-sm2-key",
      ROGUE_PUBLIC,
    ]);
    expect(otherKey.code, otherKey.said).to.equal(EXIT_CODES.badInput);
    expect(otherKey.said).to.contain("is not the SM2 receipt key the governed member directory binds");
  });

  it("after the SM2 receipt key is rotated, npm run verify judges each receipt by the key in force at its receivedAt", async function () {
    const document = "governed SM2: before the rotation";
    await writeFile(join(dir, "doc.txt"), document);
    const { receipt, bundle } = await anchorOne(suite, document);
    await writeFile(join(dir, "before.json"), JSON.stringify(bundle));
    // the service still signs with the old key: rotated a second after this receipt, in the directory only
    const rotatedAt = Date.parse(receipt.receivedAt) / 1000 + 1;
    const next = toHex(sm2.generateKeyPair().publicKey);
    const rotated = directoryBytes({
      ...directoryWith(next),
      members: directoryWith(next).members.map((m) =>
        m.memberId === MEMBERS.union
          ? {
              ...m,
              receiptSm2KeyValidFrom: isoSeconds(rotatedAt),
              previousReceiptSm2Keys: [{ publicKey: GOVERNED_PUBLIC, validUntil: isoSeconds(rotatedAt) }],
            }
          : m,
      ),
    });
    const rotatedFile = join(dir, "rotated-directory.json");
    await writeFile(rotatedFile, rotated);
    await govern(suite.chain.deployment.governor, suite.chain.approvers, [
      memberDirectoryCall(contracts.consortiumRegistry, rotated),
    ]);

    const before = await run("before.json", ["--member-directory", rotatedFile]);
    expect(blockAndTime(before.said).outcome, before.said).to.equal("pass");
    // the key in force at that receipt is the old one: naming the new key is refused
    const named = await run("before.json", ["--member-directory", rotatedFile, "--receipt-sm2-key", next]);
    expect(named.code, named.said).to.equal(EXIT_CODES.badInput);

    while (Date.now() / 1000 < rotatedAt + 1) await new Promise((resolve) => setTimeout(resolve, 200));
    const late = "governed SM2: after the rotation";
    await writeFile(join(dir, "doc.txt"), late);
    await writeFile(join(dir, "after.json"), JSON.stringify((await anchorOne(suite, late)).bundle));
    const after = await run("after.json", ["--member-directory", rotatedFile]);
    expect(after.code, after.said).to.equal(EXIT_CODES.fail);
    expect(blockAndTime(after.said).reason).to.contain("RECEIPT_SM2_KEY_NOT_GOVERNED");
    expect(blockAndTime(after.said).reason).to.contain(`until ${isoSeconds(rotatedAt)}`);
  });
});
