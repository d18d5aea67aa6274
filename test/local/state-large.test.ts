// A state file too large for the launcher to read into one string (scripts/ops/local/chain.ts,
// STATE_PARSE_LIMIT_BYTES; V8 holds no string past 512 MB): the start hands it to Anvil as it is,
// with its genesis time found by a byte search; Anvil's own parse is the damage check. Run here
// with a limit of a few kilobytes so real dumps take that path: a whole one is loaded unchanged and
// then kept as state.prev.json; one cut short is refused by Anvil, the previous dump put back and
// Anvil started again on it. The genesis time is found wherever the file's chunks cut its header.
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { JsonRpcProvider } from "ethers";
import {
  ANVIL_OWN_DUMP_INTERVAL_SECONDS,
  genesisTimestampInFile,
  guardStateFile,
  localChainProcess,
  stateFile,
} from "../../scripts/ops/local/chain.ts";
import { ServiceProcess } from "../../scripts/ops/local/service-process.ts";
import { anvilSuite, freePort } from "../support/anvil.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Far below any real dump: every file here is "too large". */
const LIMIT = 2048;

describe("local chain: a state file above the parse limit", function () {
  this.timeout(120_000);
  const local = anvilSuite("state-large-");
  let dir: string;
  let dump: Buffer;
  let head: number;
  let genesis: { hash: string; timestamp: number };

  before(async function () {
    const wallet = local.anvil.wallet(1);
    for (let i = 0; i < 5; i++)
      await (await wallet.sendTransaction({ to: wallet.address, value: 1n, data: "0x01" })).wait();
    head = await local.anvil.provider.getBlockNumber();
    const block0 = (await local.anvil.provider.getBlock(0))!;
    genesis = { hash: block0.hash!, timestamp: block0.timestamp };
    // Anvil's own dump, call traces and all: what the start would otherwise rewrite
    const hex = (await local.anvil.provider.send("anvil_dumpState", [])) as string;
    dump = gunzipSync(Buffer.from(hex.slice(2), "hex"));
  });

  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "jl-state-large-"));
    await mkdir(path.dirname(stateFile(dir)), { recursive: true });
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  /** The launcher's chain process on `dir` as consortium.ts starts it after guardStateFile. */
  async function startChain(status: Awaited<ReturnType<typeof guardStateFile>>) {
    const port = await freePort();
    const chain = localChainProcess({
      repoRoot: REPO_ROOT,
      dataDir: dir,
      port,
      logFile: path.join(dir, "chain.log"),
      genesisTimestamp: status.genesisTimestamp ?? Math.floor(Date.now() / 1000),
      stateStatus: status.state,
      parseLimitBytes: LIMIT,
    });
    await chain.start();
    const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true });
    return { chain, provider };
  }

  it("hands a whole dump to Anvil unchanged, with its genesis time, and keeps it as state.prev.json once loaded", async function () {
    await writeFile(stateFile(dir), dump);
    const status = await guardStateFile(dir, { parseLimitBytes: LIMIT });
    expect(status).to.deep.equal({ state: "large", genesisTimestamp: genesis.timestamp });
    expect((await readFile(stateFile(dir))).equals(dump), "state.json left as Anvil wrote it").to.equal(true);
    const previous = stateFile(dir).replace(/\.json$/, ".prev.json");
    expect(await readdir(path.dirname(previous))).to.deep.equal(["state.json"]); // not before Anvil read it

    const { chain, provider } = await startChain(status);
    try {
      expect(await provider.getBlockNumber()).to.equal(head);
      expect((await provider.getBlock(0))!.hash).to.equal(genesis.hash);
      expect((await readFile(previous)).equals(dump), "state.prev.json: the dump Anvil loaded").to.equal(
        true,
      );
    } finally {
      provider.destroy();
      await chain.kill("SIGKILL"); // no dump at exit: the files stay as the start left them
    }
  });

  it("puts state.prev.json back when Anvil refuses a dump cut short, and starts Anvil again on it", async function () {
    const previous = stateFile(dir).replace(/\.json$/, ".prev.json");
    await writeFile(previous, dump);
    await writeFile(stateFile(dir), dump.subarray(0, Math.floor(dump.length * 0.6)));
    const status = await guardStateFile(dir, { parseLimitBytes: LIMIT });
    expect(status.state).to.equal("large");

    const { chain, provider } = await startChain(status);
    try {
      expect(await provider.getBlockNumber()).to.equal(head);
      expect((await provider.getBlock(0))!.hash).to.equal(genesis.hash);
      expect((await readFile(stateFile(dir))).equals(dump)).to.equal(true);
      const files = await readdir(path.dirname(previous));
      expect(files.filter((f) => f.startsWith("state.json.damaged-"))).to.have.length(1);
      expect(await readFile(path.join(dir, "chain.log"), "utf8")).to.contain("failed to parse");
    } finally {
      provider.destroy();
      await chain.kill("SIGKILL");
    }
  });

  it("finds the genesis time wherever the file's 4 MB chunks cut its header", async function () {
    const header = JSON.stringify((JSON.parse(dump.toString("utf8")) as { blocks: unknown[] }).blocks);
    const key = header.indexOf('"parentHash":"0x00000000');
    expect(key).to.be.greaterThan(0);
    const chunk = 4 * 2 ** 20;
    const file = path.join(dir, "cut.json");
    // the chunk boundary falls inside the key, inside its value, and inside the rest of the header
    for (const cut of [3, 20, 90, 700]) {
      const pad = chunk - cut - key - '{"pad":"'.length - '","blocks":'.length;
      await writeFile(file, `{"pad":"${"f".repeat(pad)}","blocks":${header}}`);
      expect(await genesisTimestampInFile(file), `cut ${cut} bytes in`).to.equal(genesis.timestamp);
    }
  });
});

describe("local chain: no dumps of Anvil's own while it runs", function () {
  this.timeout(120_000);
  let dir: string;
  let chain: ServiceProcess | undefined;
  let provider: JsonRpcProvider | undefined;
  beforeEach(async function () {
    chain = undefined;
    provider = undefined;
    dir = await mkdtemp(path.join(tmpdir(), "jl-anvil-own-"));
    await mkdir(path.dirname(stateFile(dir)), { recursive: true });
  });
  afterEach(async function () {
    provider?.destroy();
    await chain?.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  /** The launcher's chain process on `dir`, with `interval` in place of its --state-interval when given. */
  async function launcherChain(interval?: number) {
    const port = await freePort();
    const launcher = localChainProcess({
      repoRoot: REPO_ROOT,
      dataDir: dir,
      port,
      logFile: path.join(dir, "chain.log"),
      genesisTimestamp: Math.floor(Date.now() / 1000),
    });
    const args = [...launcher.spec.args];
    const at = args.indexOf("--state-interval");
    if (interval !== undefined) args[at + 1] = String(interval);
    chain = new ServiceProcess({ ...launcher.spec, args });
    await chain.start();
    provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true });
    return { args: launcher.spec.args, chain, provider };
  }

  /** Blocks mined once a second for `seconds`, after each the chain directory's files. */
  async function mineAndList(p: JsonRpcProvider, seconds: number): Promise<string[][]> {
    const seen: string[][] = [];
    for (let i = 0; i < seconds; i++) {
      await p.send("evm_mine", []);
      await new Promise((r) => setTimeout(r, 1000));
      seen.push(await readdir(path.dirname(stateFile(dir))));
    }
    return seen;
  }

  it("Anvil with --state dumps by itself every --state-interval seconds while it runs", async function () {
    // the control: the same process with an interval of 2 s writes state.json while running
    const { provider: p } = await launcherChain(2);
    const seen = await mineAndList(p, 8);
    expect(
      seen.some((files) => files.includes("state.json")),
      "a dump of Anvil's own while running",
    ).to.equal(true);
  });

  it("leaves state.json to the launcher's dumps until the stop: its --state-interval is a century", async function () {
    const { args, chain: c, provider: p } = await launcherChain();
    expect(args[args.indexOf("--state-interval") + 1]).to.equal(String(ANVIL_OWN_DUMP_INTERVAL_SECONDS));
    expect(ANVIL_OWN_DUMP_INTERVAL_SECONDS).to.be.at.least(100 * 365 * 24 * 3600);
    // four times the control's interval without a dump
    const seen = await mineAndList(p, 8);
    expect(seen, "a dump while running").to.deep.equal(seen.map(() => []));
    await c.stop();
    // its dump at the stop stays
    expect(await readdir(path.dirname(stateFile(dir)))).to.deep.equal(["state.json"]);
  });
});
