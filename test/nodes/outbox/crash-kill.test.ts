// The real thing: the sender runs as a child process on a real LevelDB directory while the
// chain mines once a second, and is killed with SIGKILL at random moments — before a send,
// between recording and broadcasting, while waiting for a receipt — and restarted, until every
// flow is confirmed. Each flow must be on chain exactly once, and the wallet must have sent
// exactly one transaction per flow: nothing duplicated, nothing wasted.
import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import { keccak256, toUtf8Bytes } from "ethers";
import { loanIdOfEntry } from "../../../nodes/src/outbox/entry.ts";
import {
  disburse,
  levelDir,
  privateKeyOf,
  registerLoan,
  repay,
  senderFor,
  serial,
  lendingChainSuite,
  type LendingChain,
} from "./fixture.ts";

function startSender(
  lc: LendingChain,
  dir: string,
): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, ["test/support/outbox-sender-process.ts"], {
    env: {
      ...process.env,
      OUTBOX_DIR: dir,
      OUTBOX_RPC: lc.chain.anvil.url,
      OUTBOX_CHAIN_ID: String(lc.chain.chainId),
      OUTBOX_KEY: privateKeyOf(lc.chain.wallets.branchA),
      OUTBOX_LEDGER: lc.ledgerAddress,
      OUTBOX_FROM_BLOCK: String(lc.deployBlock),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      if (String(d).includes("ready")) resolve();
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`sender process exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
  return { child, ready, exited };
}

describe("outbox sender: SIGKILL at random moments", function () {
  this.timeout(240_000);
  const lc = lendingChainSuite();
  let dir: Awaited<ReturnType<typeof levelDir>>;

  before(async function () {
    dir = await levelDir();
  });

  after(async function () {
    await dir?.remove();
  });

  it("confirms every flow exactly once across kills and restarts", async function () {
    const provider = lc.chain.anvil.provider;
    const address = lc.chain.wallets.branchA.address;
    const loans = 4;
    const flows: Array<{ serial: string; kind: string; loanId: string }> = [];
    {
      const store = await dir.open();
      for (let i = 0; i < loans; i++) {
        const app = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
        const loanId = loanIdOfEntry(app);
        const dis = await store.outbox.enqueue(disburse(serial("DIS"), loanId, 600_000n));
        const rep = await store.outbox.enqueue(repay(serial("REP"), loanId, 1_000n + BigInt(i)));
        flows.push(
          { serial: app.serial, kind: app.kind, loanId },
          { serial: dis.serial, kind: dis.kind, loanId },
          { serial: rep.serial, kind: rep.kind, loanId },
        );
      }
      await store.close();
    }
    const nonce0 = await provider.getTransactionCount(address, "latest");
    // blocks once a second: a kill often lands between broadcast and receipt
    await provider.send("evm_setAutomine", [false]);
    await provider.send("evm_setIntervalMining", [1]);

    let kills = 0;
    let killedWhileSent = 0;
    try {
      for (let round = 0; round < 80; round++) {
        const running = startSender(lc, dir.dir);
        await running.ready;
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 1_200)));
        running.child.kill("SIGKILL");
        await running.exited;
        kills++;
        const store = await dir.open();
        const pending = await store.outbox.list({ state: "queued" });
        const sent = await store.outbox.list({ state: "sent" });
        await store.close();
        if (sent.length > 0) killedWhileSent++;
        if (pending.length + sent.length === 0) break;
      }
      // the last restart runs to the end (in this process, to watch it finish)
      const store = await dir.open();
      const sender = senderFor(lc, store.outbox, lc.chain.wallets.branchA);
      await sender.drain();
      await sender.stop();
      await store.close();
    } finally {
      await provider.send("evm_setIntervalMining", [0]);
      await provider.send("evm_setAutomine", [true]);
    }

    const store = await dir.open();
    const entries = await store.outbox.list();
    await store.close();
    expect(entries.map((e) => e.state)).to.deep.equal(flows.map(() => "confirmed"));
    expect(kills).to.be.greaterThan(1);
    expect(killedWhileSent, "some kills hit a recorded, unconfirmed transaction").to.be.greaterThan(0);

    // on chain: each flow once
    for (const flow of flows) {
      if (flow.kind === "registerLoan") continue;
      const event =
        flow.kind === "disburse"
          ? lc.ledger.filters.FundsDisbursed!(flow.loanId)
          : lc.ledger.filters.RepaymentReceived!(flow.loanId);
      const logs = await lc.ledger.queryFilter(event, lc.deployBlock);
      const mine = logs.filter(
        (l) => "args" in l && String(l.args.serial) === keccak256(toUtf8Bytes(flow.serial)),
      );
      expect(mine, flow.serial).to.have.length(1);
    }
    // and the wallet sent one transaction per flow: none duplicated, none wasted
    expect(await provider.getTransactionCount(address, "latest")).to.equal(nonce0 + flows.length);
    console.log(
      `      ${kills} kills (${killedWhileSent} with a transaction in flight), ${flows.length} flows, ${entries.reduce((n, e) => n + e.attempts, 0)} attempts`,
    );
  });
});
