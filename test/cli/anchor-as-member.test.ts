// `npm run anchor -- FILE --as branchA`: the CLI, run as a child process, acts as a member of the
// consortium `npm start` keeps in its data directory — the member id and the anchor service's URL
// from consortium.json, the key from keys/branchA.json under keys/.password — with nothing handed
// over by hand. A stand-in anchor service records who signed and what was submitted.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";

const BRANCH_A = new Wallet(`0x${"44".repeat(32)}`);
const BRANCH_A_ID = 3;
const PASSWORD = "launcher-generated-password";

type Seen = { signer: string | undefined; submitters: number[] };

/** /v1/info and POST /v1/leaves answered 503 after recording the signer and the records' submitter. */
async function recordingService(seen: Seen): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += String(chunk)));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/v1/info")
        return res.end(
          JSON.stringify({
            chainId: "31337",
            logId: `0x${"11".repeat(32)}`,
            operator: BRANCH_A.address,
            evidenceLog: `0x${"55".repeat(20)}`,
            consortiumRegistry: `0x${"66".repeat(20)}`,
            evidenceRegistry: `0x${"77".repeat(20)}`,
            maxRecordsPerRequest: 1000,
          }),
        );
      if (req.method === "POST" && req.url === "/v1/leaves") {
        seen.signer = req.headers["x-jl-signer"] as string | undefined;
        seen.submitters = (JSON.parse(text) as { records: { submitter: number }[] }).records.map(
          (r) => r.submitter,
        );
      }
      res.statusCode = 503;
      res.end(JSON.stringify({ error: { code: "ANCHOR_ERR_STORAGE_UNAVAILABLE", message: "stand-in" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A data directory laid out as `npm start` leaves it, for branch A only. */
async function launcherDataDir(dir: string, anchorUrl: string): Promise<void> {
  await mkdir(join(dir, "keys"), { recursive: true });
  await writeFile(join(dir, "keys", ".password"), `${PASSWORD}\n`);
  await writeFile(
    join(dir, "keys", "branchA.json"),
    await encryptKeystoreJson({ address: BRANCH_A.address, privateKey: BRANCH_A.privateKey }, PASSWORD, {
      scrypt: { N: 1 << 10 },
    }),
  );
  await writeFile(
    join(dir, "consortium.json"),
    JSON.stringify({
      version: 1,
      dataDir: dir,
      anchor: { url: `${anchorUrl}/` },
      nodes: { branchA: { memberId: BRANCH_A_ID } },
    }),
  );
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/cli/anchor.ts", ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }),
    );
  });
}

describe("anchor CLI --as a member of the local consortium (child process)", function () {
  this.timeout(60_000);
  let dir: string;
  const seen: Seen = { signer: undefined, submitters: [] };
  let service: Awaited<ReturnType<typeof recordingService>>;
  // no JL_PRIVATE_KEY, JL_MEMBER_ID, JL_ANCHOR_URL or JL_KEYSTORE_PASSWORD: the data directory says it all
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("JL_")));

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "anchor-cli-as-"));
    service = await recordingService(seen);
    await launcherDataDir(join(dir, "data"), service.url);
    await writeFile(join(dir, "contract.pdf"), "a loan contract");
  });
  after(async function () {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("signs with branch A's keystore as member 3, at the manifest's anchor service", async function () {
    const { code, stderr } = await runCli([join(dir, "contract.pdf"), "--as", "branchA"], {
      ...env,
      JL_DATA_DIR: join(dir, "data"),
    });
    expect(code, stderr).to.equal(1);
    expect(stderr).to.match(/ANCHOR_ERR_STORAGE_UNAVAILABLE|stand-in/);
    expect(seen.signer).to.equal(BRANCH_A.address);
    expect(seen.submitters).to.deep.equal([BRANCH_A_ID]);
  });

  it("--data names the data directory; an unknown member or a missing consortium is a usage error (exit 2 or 1)", async function () {
    seen.signer = undefined;
    const ok = await runCli([join(dir, "contract.pdf"), "--as", "branchA", "--data", join(dir, "data")], env);
    expect(ok.code, ok.stderr).to.equal(1);
    expect(seen.signer).to.equal(BRANCH_A.address);

    const unknown = await runCli([join(dir, "contract.pdf"), "--as", "branchZ"], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/--as names a member of the local consortium \(union, branchA/);

    const missing = await runCli(
      [join(dir, "contract.pdf"), "--as", "branchA", "--data", join(dir, "nowhere")],
      env,
    );
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/no local consortium in .*nowhere.*run npm start/);
  });

  it("--help names --as and --data and the environment", async function () {
    const { code, stdout } = await runCli(["--help"], env);
    expect(code).to.equal(0);
    for (const text of ["--as NAME", "--data DIR", "JL_DATA_DIR", "JL_KEYSTORE_PASSWORD", "keys/.password"])
      expect(stdout, text).to.include(text);
  });
});
