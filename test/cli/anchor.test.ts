// The anchor CLI (scripts/cli/anchor.ts) against a stand-in anchor service that signs genuine
// receipts with its operator key and can tamper with them on the way out: every tampered receipt
// is refused before anything is written, and genuine ones get through to the wait for anchoring.
import { expect } from "chai";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { AnchorClientError } from "../../common/anchor/client.ts";
import { leafHashOf, type EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { type Receipt, receiptDomain, signReceiptBatch } from "../../common/formats/receipt/receipts.ts";
import { HELP, type Io, main } from "../../scripts/cli/anchor.ts";

const CHAIN_ID = 31337n;
const EVIDENCE_LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LOG_ID = `0x${"11".repeat(32)}`;
const MEMBER = new Wallet(`0x${"22".repeat(32)}`);
const MEMBER_ID = 2;

type Tamper = (receipts: Receipt[]) => Receipt[];

/** GET /v1/info, POST /v1/leaves (genuine receipts signed by `operator`, then `tamper`), GET /v1/bundles/:leaf (never anchored). */
async function standInService(
  operator: Wallet,
  tamper: Tamper,
): Promise<{ url: string; close(): Promise<void> }> {
  let nextSequence = 0;
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    let text = "";
    req.on("data", (chunk) => (text += String(chunk)));
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/v1/info") {
        return reply(200, {
          chainId: CHAIN_ID.toString(),
          logId: LOG_ID,
          operator: operator.address,
          evidenceLog: EVIDENCE_LOG,
          consortiumRegistry: EVIDENCE_LOG,
          evidenceRegistry: EVIDENCE_LOG,
          maxRecordsPerRequest: 1000,
        });
      }
      if (req.method === "POST" && req.url === "/v1/leaves") {
        const { records } = JSON.parse(text) as { records: Array<Omit<EvidenceRecord, "version">> };
        const leafHashes = records.map((r) => leafHashOf({ ...r, version: 1 }));
        void signReceiptBatch(operator, receiptDomain(CHAIN_ID, EVIDENCE_LOG), {
          logId: LOG_ID,
          firstSequence: nextSequence,
          leafHashes,
          receivedAt: Math.floor(Date.now() / 1000),
          maxMergeDelaySeconds: 60,
        }).then(({ receipts }) => {
          nextSequence += records.length;
          reply(200, { receipts: tamper(receipts) });
        });
        return;
      }
      if (req.method === "GET" && req.url?.startsWith("/v1/bundles/"))
        return reply(409, { error: { code: "ANCHOR_ERR_NOT_ANCHORED", message: "not yet anchored" } });
      reply(404, { error: { code: "ANCHOR_ERR_NOT_FOUND", message: "no such route" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const quiet = (): Io & { text: () => string } => {
  let text = "";
  return { out: (t) => (text += t), err: (t) => (text += t), tty: false, text: () => text };
};

/** Another hex digit in the same place: a one-character change to a 0x hash. */
const flip = (hex: string, at = 10) =>
  `${hex.slice(0, at)}${hex[at] === "0" ? "1" : "0"}${hex.slice(at + 1)}`;

describe("anchor CLI", function () {
  this.timeout(30_000);
  const operator = new Wallet(`0x${"33".repeat(32)}`);
  let folder: string;

  beforeEach(async function () {
    folder = await mkdtemp(join(tmpdir(), "anchor-cli-receipts-"));
    await writeFile(join(folder, "contract.pdf"), "a loan contract");
    await writeFile(join(folder, "consent.pdf"), "a borrower's consent");
  });
  afterEach(async function () {
    await rm(folder, { recursive: true, force: true });
  });

  async function anchorWith(tamper: Tamper): Promise<unknown> {
    const service = await standInService(operator, tamper);
    try {
      await main(
        [folder, "--service", service.url, "--timeout", "1"],
        { JL_PRIVATE_KEY: MEMBER.privateKey, JL_MEMBER_ID: String(MEMBER_ID) },
        quiet(),
      );
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await service.close();
    }
  }

  it("accepts genuine receipts and then waits for anchoring (the control for the refusals below)", async function () {
    const error = await anchorWith((receipts) => receipts);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/was not anchored within 1 s \(its receipt is valid/);
  });

  const tampered: Array<[string, Tamper, RegExp]> = [
    [
      "signed by a key that is not the operator's",
      (receipts) => receipts.map((r) => ({ ...r, service: { address: MEMBER.address } })),
      /signed by|signature/,
    ],
    [
      "with an inclusion proof that does not lead to the signed batch root",
      (receipts) => receipts.map((r) => ({ ...r, proof: r.proof.map((p) => flip(p)) })),
      /proof does not place leafHash/,
    ],
    [
      "with the signed batch root changed",
      (receipts) => receipts.map((r) => ({ ...r, batch: { ...r.batch, root: flip(r.batch.root) } })),
      /proof does not place leafHash/,
    ],
    [
      "for another record (the two receipts swapped)",
      (receipts) => [...receipts].reverse(),
      /not the record sent/,
    ],
    ["one receipt short", (receipts) => receipts.slice(1), /2 record\(s\) sent, 1 receipt\(s\) back/],
    [
      "for another log",
      (receipts) => receipts.map((r) => ({ ...r, logId: flip(r.logId) })),
      /signature|signed by/,
    ],
  ];
  for (const [what, tamper, reason] of tampered) {
    it(`refuses a receipt ${what}, writing nothing`, async function () {
      const error = await anchorWith(tamper);
      expect(error).to.be.instanceOf(AnchorClientError);
      expect((error as AnchorClientError).code).to.equal("ANCHOR_CLIENT_BAD_RECEIPT");
      expect((error as Error).message).to.match(reason);
      expect((await readdir(folder)).sort()).to.deep.equal(["consent.pdf", "contract.pdf"]);
    });
  }

  it("prints its help and exits 0 with --help, 2 without a file", async function () {
    const out = quiet();
    expect(await main(["--help"], {}, out)).to.equal(0);
    expect(out.text()).to.equal(HELP);
    for (const option of [
      "--service URL",
      "--out DIR",
      "--kind N",
      "--sm3",
      "--batch N",
      "--timeout SECONDS",
      "--keystore FILE",
      "--member ID",
      "--help",
    ])
      expect(HELP, option).to.include(option);
    const err = quiet();
    expect(await main([], { JL_MEMBER_ID: "2" }, err)).to.equal(2);
    expect(err.text()).to.match(
      /name at least one file or folder[\s\S]*usage: node scripts\/cli\/anchor\.ts/,
    );
  });
});
