// The evidence writes packed with the ledger's flows: fresh registrations of signed contracts'
// leaves (EvidenceRegistry.register) and endorsements (endorse) of different loans go in one
// batched transaction with loan registrations, each confirmed from its own event — the registry's
// log with its leaf (and member), not any log of the batch; an evidence write already on chain that
// a lagging node does not show yet is confirmed once it does, not failed on the registry's duplicate
// refusal; and a batch mined again without the account's delegation puts them back and sends them
// anew.
import { expect } from "chai";
import { Contract, JsonRpcProvider, Network, type Log, type TransactionRequest } from "ethers";
import { BATCH_EXECUTOR, delegateOf } from "../../../common/chain/batch.ts";
import { EvidenceRegistry } from "../../../common/chain/generated/contracts.ts";
import { FlowEffects } from "../../../nodes/src/outbox/effects.ts";
import {
  evidenceInterface,
  ledgerInterface,
  loanIdOfEntry,
  type OutboxEntry,
} from "../../../nodes/src/outbox/entry.ts";
import { MEMBERS } from "../../support/consortium-chain.ts";
import {
  anchorLeaves,
  bytes32,
  endorseEvidence,
  outboxSuite,
  registerEvidence,
  registerLoan,
  serial,
  undelegate,
  type AnchoredLeaf,
} from "./fixture.ts";

describe("outbox sender: evidence writes packed with the ledger's flows", function () {
  this.timeout(180_000);
  const suite = outboxSuite();
  const { lc, store, senderOn } = suite;
  const provider = () => lc.chain.anvil.provider;
  const address = () => lc.chain.wallets.branchA.address;
  const nonceOf = () => provider().getTransactionCount(address(), "latest");
  const registryAddress = () => lc.chain.deployment.addresses.evidenceRegistry;
  const registry = () => EvidenceRegistry.at(registryAddress(), provider());
  const registryAs = (role: "branchA" | "branchB") =>
    new Contract(registryAddress(), evidenceInterface, lc.chain.wallets[role].connect(provider()));

  /** `anchored` registered by its submitter, branch B, outside the outbox: a leaf branch A may endorse. */
  async function registeredByBranchB(anchored: AnchoredLeaf): Promise<void> {
    const { leaf, logId, treeSize, leafIndex, proof } = anchored;
    await (
      await registryAs("branchB").getFunction("register")(leaf, logId, treeSize, leafIndex, proof)
    ).wait();
  }

  /** Leaves for branch A to register and, registered by branch B, to endorse. */
  async function evidence(registrations: number, endorsements: number) {
    const own = await anchorLeaves(lc, MEMBERS.branchA, registrations);
    const others = await anchorLeaves(lc, MEMBERS.branchB, endorsements);
    for (const leaf of others) await registeredByBranchB(leaf);
    return { own, others };
  }

  /** Enqueues branch A's registration of `own` and endorsement of `others`, each about a loan of its own. */
  async function enqueueEvidence(own: AnchoredLeaf[], others: AnchoredLeaf[]): Promise<OutboxEntry[]> {
    const entries = [];
    for (const leaf of own)
      entries.push(
        await store.outbox.enqueue(registerEvidence(serial("REG"), bytes32(serial("LOAN")), leaf)),
      );
    for (const leaf of others)
      entries.push(
        await store.outbox.enqueue(
          endorseEvidence(serial("END"), bytes32(serial("LOAN")), leaf.leafHash, MEMBERS.branchA),
        ),
      );
    return entries;
  }

  /** Each registered leaf active with branch A's registration, each endorsed one endorsed by branch A once. */
  async function expectOnChain(own: AnchoredLeaf[], others: AnchoredLeaf[]): Promise<void> {
    for (const leaf of own) {
      const status = await registry().status(leaf.leafHash);
      expect([Number(status.state), Number(status.submitter)], leaf.leafHash).to.deep.equal([
        1,
        MEMBERS.branchA,
      ]);
    }
    for (const leaf of others)
      expect((await registry().endorsers(leaf.leafHash)).map(Number), leaf.leafHash).to.deep.equal([
        MEMBERS.branchA,
      ]);
  }

  it("sends fresh evidence registrations and endorsements of different loans in one transaction with loan registrations, each confirmed from its own event", async function () {
    const sender = senderOn({ maxBatch: 16, evidenceRegistry: registryAddress() });
    await sender.drain();
    expect(await delegateOf(provider(), address())).to.equal(BATCH_EXECUTOR);
    const { own, others } = await evidence(3, 2);
    const nonce0 = await nonceOf();
    const loans = [];
    for (let i = 0; i < 2; i++) loans.push(await store.outbox.enqueue(registerLoan(serial("APP"), lc.today)));
    const writes = await enqueueEvidence(own, others);
    await sender.drain();

    const entries = await Promise.all(
      [...loans, ...writes].map(async (e) => (await store.outbox.status(e.serial))!),
    );
    expect(entries.map((e) => e.state)).to.deep.equal(entries.map(() => "confirmed"));
    expect(new Set(entries.map((e) => e.txHash)).size, "one transaction").to.equal(1);
    expect(await nonceOf()).to.equal(nonce0 + 1);
    const receipt = (await provider().getTransactionReceipt(entries[0]!.txHash!))!;
    expect(entries.every((e) => e.blockNumber === receipt.blockNumber)).to.equal(true);
    const fromRegistry = receipt.logs
      .filter((l) => l.address === registryAddress())
      .map((l) => evidenceInterface.parseLog(l)!);
    expect(
      fromRegistry.filter((p) => p.name === "EvidenceRegistered").map((p) => p.args.leafHash),
    ).to.have.members(own.map((l) => l.leafHash));
    expect(
      fromRegistry
        .filter((p) => p.name === "EvidenceEndorsed")
        .map((p) => [p.args.leafHash, Number(p.args.memberId)]),
    ).to.have.deep.members(others.map((l) => [l.leafHash, MEMBERS.branchA]));
    // loan() reverts for a loan the ledger does not know
    for (const loan of loans) await lc.ledger.getFunction("loan")(loanIdOfEntry(loan));
    await expectOnChain(own, others);
  });

  it("reads an evidence write's own event only from the registry's log with its leaf, and its member's", async function () {
    const effects = new FlowEffects({
      provider: provider(),
      ledger: lc.ledgerAddress,
      evidenceRegistry: registryAddress(),
    });
    const [leaf, other] = await anchorLeaves(lc, MEMBERS.branchA, 2);
    const [reg, end] = await enqueueEvidence([leaf!], [other!]);
    const logOf = (at: string, event: string, values: unknown[]) =>
      ({ address: at, ...evidenceInterface.encodeEventLog(event, values) }) as unknown as Log;
    const registeredLog = (at: string, leafHash: string) =>
      logOf(at, "EvidenceRegistered", [leafHash, MEMBERS.branchA, 1, bytes32("subject"), leaf!.logId, 0]);
    const endorsedLog = (at: string, leafHash: string, memberId: number) =>
      logOf(at, "EvidenceEndorsed", [leafHash, memberId]);
    const holds = (entry: OutboxEntry, ...logs: Log[]) => effects.inReceipt(entry, { logs });

    expect(holds(reg!, registeredLog(registryAddress(), leaf!.leafHash)), "its own").to.equal(true);
    expect(holds(reg!, registeredLog(registryAddress(), other!.leafHash)), "another leaf").to.equal(false);
    expect(
      holds(reg!, registeredLog(lc.ledgerAddress, leaf!.leafHash)),
      "from the ledger's address",
    ).to.equal(false);
    expect(
      holds(reg!, endorsedLog(registryAddress(), leaf!.leafHash, MEMBERS.branchA)),
      "an endorsement",
    ).to.equal(false);
    expect(holds(reg!), "no logs").to.equal(false);

    expect(holds(end!, endorsedLog(registryAddress(), other!.leafHash, MEMBERS.branchA)), "its own").to.equal(
      true,
    );
    expect(
      holds(end!, endorsedLog(registryAddress(), other!.leafHash, MEMBERS.branchB)),
      "another member",
    ).to.equal(false);
    expect(
      holds(end!, endorsedLog(registryAddress(), leaf!.leafHash, MEMBERS.branchA)),
      "another leaf",
    ).to.equal(false);
    expect(
      holds(end!, endorsedLog(lc.ledgerAddress, other!.leafHash, MEMBERS.branchA)),
      "from the ledger",
    ).to.equal(false);

    // a batch's receipt holds both contracts' logs: each entry finds its own among them
    const loan = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const loanRegistered = {
      address: lc.ledgerAddress,
      ...ledgerInterface.encodeEventLog("LoanRegistered", [
        loanIdOfEntry(loan),
        MEMBERS.branchA,
        0,
        bytes32("borrower"),
        600_000n,
        1800,
        0,
        bytes32("contract"),
        bytes32("consent"),
        bytes32("account"),
      ]),
    } as unknown as Log;
    const mixed = [
      loanRegistered,
      registeredLog(registryAddress(), leaf!.leafHash),
      endorsedLog(registryAddress(), other!.leafHash, MEMBERS.branchA),
    ];
    for (const entry of [loan, reg!, end!]) expect(holds(entry, ...mixed), entry.kind).to.equal(true);
    const elsewhere = { ...loanRegistered, address: registryAddress() } as Log;
    expect(holds(loan, elsewhere), "a ledger event from the registry's address").to.equal(false);
  });

  it("confirms an evidence write already on chain from an earlier transaction once a lagging node shows it, not failed on the duplicate refusal", async function () {
    const sender0 = senderOn({ maxBatch: 16, evidenceRegistry: registryAddress() });
    await sender0.drain();
    await sender0.stop();
    const { own, others } = await evidence(1, 1);
    const before = await provider().getBlockNumber();
    // the earlier transactions: both writes sent with branch A's key, then the entries queued anew
    // (a database restored from a backup): their estimates revert as duplicates
    const { leaf, logId, treeSize, leafIndex, proof } = own[0]!;
    await (
      await registryAs("branchA").getFunction("register")(leaf, logId, treeSize, leafIndex, proof)
    ).wait();
    await (await registryAs("branchA").getFunction("endorse")(others[0]!.leafHash)).wait();
    const writes = await enqueueEvidence(own, others);
    const nonce0 = await nonceOf();

    // a node lagging behind those blocks: its first two answers to each registry view are from before them
    const views = ["status", "endorsers"].map((name) => evidenceInterface.getFunction(name)!.selector);
    class Lagging extends JsonRpcProvider {
      readonly lied = new Map<string, number>();
      override async call(tx: TransactionRequest): Promise<string> {
        const view = views.find((v) => typeof tx.data === "string" && tx.data.startsWith(v));
        const lied = this.lied.get(view ?? "") ?? 0;
        if (view !== undefined && lied < 2) {
          this.lied.set(view, lied + 1);
          return super.call({ ...tx, blockTag: before });
        }
        return super.call(tx);
      }
    }
    const lagging = new Lagging(lc.chain.anvil.url, Network.from(lc.chain.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    try {
      const sender = senderOn({ provider: lagging, maxBatch: 16, evidenceRegistry: registryAddress() });
      await sender.drain();
      await sender.stop();
    } finally {
      lagging.destroy();
    }
    expect([...lagging.lied.values()]).to.deep.equal([2, 2]);
    for (const w of writes) {
      const e = (await store.outbox.status(w.serial))!;
      expect([e.state, e.failure], e.kind).to.deep.equal(["confirmed", undefined]);
    }
    expect(await nonceOf(), "nothing sent").to.equal(nonce0);
    await expectOnChain(own, others);
  });

  it("puts back the evidence writes of a batch mined again without its events once the chain lost the delegation, and sends them anew", async function () {
    const { own, others } = await evidence(2, 1);
    await undelegate(lc.chain.wallets.branchA.connect(provider()), lc.chain.chainId);
    expect(await delegateOf(provider(), address())).to.equal(undefined);
    const snapshot = (await provider().send("evm_snapshot", [])) as string;
    const sender = senderOn({ maxBatch: 16, evidenceRegistry: registryAddress() });
    const loan = await store.outbox.enqueue(registerLoan(serial("APP"), lc.today));
    const flows = [loan, ...(await enqueueEvidence(own, others))];
    await sender.drain();
    const packed = await Promise.all(flows.map(async (f) => (await store.outbox.status(f.serial))!));
    expect(packed.map((e) => e.state)).to.deep.equal(flows.map(() => "confirmed"));
    expect(new Set(packed.map((e) => e.txHash)).size, "one transaction").to.equal(1);
    const batch = packed[0]!;
    expect(await provider().send("evm_revert", [snapshot])).to.equal(true);
    expect(await delegateOf(provider(), address())).to.equal(undefined);

    // the node's chain check after a rewind: the batch goes out again with its very bytes, is mined
    // on the account without its delegation (the calls reach nothing) and each write is sent anew
    const back = await sender.recheck();
    expect(back).to.have.members(flows.map((f) => f.serial));
    await sender.drain();
    const again = (await provider().getTransactionReceipt(batch.txHash!))!;
    expect(again.status, "the batch mined again, succeeding").to.equal(1);
    expect(again.logs, "without any call's event").to.have.length(0);
    for (const f of flows) {
      const e = (await store.outbox.status(f.serial))!;
      expect(e.state, f.serial).to.equal("confirmed");
      expect(e.txHash, f.serial).to.not.equal(batch.txHash);
      expect(e.reverts ?? 0, `${f.serial}: no revert of its own`).to.equal(0);
    }
    await lc.ledger.getFunction("loan")(loanIdOfEntry(loan));
    await expectOnChain(own, others);
  });
});
