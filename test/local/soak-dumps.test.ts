// The launcher killed with SIGKILL in the middle of its state dumps (scripts/ops/local/chain.ts):
// a process running startStateDumps back to back under continuous transactions is killed at
// random moments (seeded), again and again. After every kill state.json is a whole dump and
// consistent: every account's nonce is what the dump's own mined transactions made it, and each
// of those transactions is in a block the dump holds (no state change without its block). The
// next start (guardStateFile) clears the temporaries a kill left and keeps state.prev.json whole.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { guardStateFile, stateFile } from "../../scripts/ops/local/chain.ts";
import { anvilSuite } from "../support/anvil.ts";
import { seeded } from "../support/faults/seeded.ts";

const CHILD = fileURLToPath(new URL("./soak-dump-child.ts", import.meta.url));
const KILLS = 6;

type Dump = {
  best_block_number: number | string;
  accounts: Record<string, { nonce: number }>;
  blocks: Array<{ header: { number: string } }>;
  transactions: Array<{ info: { from: string }; block_number: number }>;
};

/** What in `dump` contradicts itself: a nonce its mined transactions do not explain, or a transaction past its blocks. */
function inconsistencies(dump: Dump, sender: string): string[] {
  const out: string[] = [];
  const heads = new Set(dump.blocks.map((b) => Number(BigInt(b.header.number))));
  const best = Number(dump.best_block_number);
  const mined = dump.transactions.filter((t) => t.info.from.toLowerCase() === sender.toLowerCase());
  for (const t of mined)
    if (!heads.has(t.block_number) || t.block_number > best)
      out.push(`a transaction of block ${t.block_number}, which the dump (head ${best}) does not hold`);
  const nonce = dump.accounts[sender.toLowerCase()]?.nonce ?? 0;
  if (nonce !== mined.length) out.push(`nonce ${nonce}, ${mined.length} mined transactions`);
  return out;
}

describe("local chain: the launcher killed mid-dump", function () {
  this.timeout(240_000);
  const local = anvilSuite("soak-dumps-");

  it(`leaves a whole, consistent state.json after ${KILLS} SIGKILLs at random moments; the next start clears what they left`, async function () {
    const file = stateFile(local.dir);
    await mkdir(path.dirname(file), { recursive: true });
    const provider = local.anvil.provider;
    const wallet = local.anvil.wallet(1);
    const rng = seeded(Number(process.env.FAULT_SEED ?? 18));
    let sending = true;
    const sender = (async () => {
      let nonce = await provider.getTransactionCount(wallet.address, "latest");
      while (sending) {
        await wallet.sendTransaction({ to: wallet.address, value: 1n, nonce: nonce++ });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let pausedAtKill = 0;
    let temporariesLeft = 0;
    const heads: number[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        const child = spawn(process.execPath, [CHILD], {
          env: { ...process.env, DUMP_RPC_URL: local.anvil.url, DUMP_DATA_DIR: local.dir },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const exited = new Promise((r) => child.once("exit", r));
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += String(d)));
        // a first whole dump, then the kill somewhere in the following ones
        await new Promise<void>((resolve, reject) => {
          child.stdout.on("data", (d) => {
            if (String(d).includes("dumped")) resolve();
          });
          child.once("exit", () => reject(new Error(`the dump process exited: ${stderr}`)));
        });
        await new Promise((r) => setTimeout(r, rng.int(0, 120)));
        child.kill("SIGKILL");
        await exited;
        if ((await provider.send("anvil_getAutomine", [])) === false) pausedAtKill++;
        temporariesLeft += (await readdir(path.dirname(file))).filter((f) => f.includes(".tmp")).length;
        // a restarted chain mines again (a new Anvil starts with automine on)
        await provider.send("evm_setAutomine", [true]);

        const dump = JSON.parse(await readFile(file, "utf8")) as Dump; // whole: it parses
        expect(inconsistencies(dump, wallet.address), `after kill ${k + 1}`).to.deep.equal([]);
        heads.push(Number(dump.best_block_number));
      }
    } finally {
      sending = false;
      await sender;
    }
    console.log(
      `      ${KILLS} kills: ${pausedAtKill} while mining was paused, ${temporariesLeft} temporaries left behind; dump heads ${heads.join(", ")}`,
    );
    expect(heads[heads.length - 1]).to.be.greaterThan(heads[0]!);

    // a kill during the write leaves its temporary: the next start removes it (one is planted,
    // cut short, so the check does not depend on where the kills fell)
    await writeFile(`${file}.tmp-999999`, '{"accounts": {');
    const status = await guardStateFile(local.dir);
    expect(status.state).to.equal("loaded");
    expect((await readdir(path.dirname(file))).filter((f) => f.includes(".tmp"))).to.deep.equal([]);
    expect(await readFile(file.replace(/\.json$/, ".prev.json"), "utf8")).to.equal(
      await readFile(file, "utf8"),
    );
  });
});
