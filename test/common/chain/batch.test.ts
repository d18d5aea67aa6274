// Batched transactions (common/chain/batch.ts) on a real Anvil: the executor at its CREATE2 address,
// an account delegating to it and batching calls that each reach their target as the account,
// callsOf reading both kinds of transaction back, and batchSupport on chains with and without
// the executor, the factory or EIP-7702.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import {
  Contract,
  ContractFactory,
  Interface,
  ZeroAddress,
  getCreate2Address,
  keccak256,
  type Wallet,
} from "ethers";
import {
  BATCH_EXECUTOR,
  BATCH_MODE,
  CREATE2_FACTORY,
  CREATE2_FACTORY_CODE,
  batchSupport,
  callsOf,
  delegateOf,
  delegationAuthorization,
  deployBatchExecutor,
  encodeBatch,
} from "../../../common/chain/batch.ts";
import { BatchExecutor } from "../../../common/chain/generated/contracts.ts";
import { decodeRevert } from "../../../common/chain/revert.ts";
import { deployLending } from "../../../scripts/ops/deploy/consortium.ts";
import { startAnvil, type AnvilNode } from "../../support/anvil.ts";
import { startConsortiumChain } from "../../support/consortium-chain.ts";

type Artifact = { abi: ConstructorParameters<typeof Interface>[0]; bytecode: string };

async function artifact(source: string, name: string): Promise<Artifact> {
  return JSON.parse(await readFile(`artifacts/contracts/${source}/${name}.json`, "utf8")) as Artifact;
}

const RECORDER = new Interface(["function record(bytes32 key)", "function refuse(uint256 value) view"]);
const key = (label: string) => keccak256(Buffer.from(label));

describe("common/chain/batch: batched transactions through EIP-7702 and ERC-7821", function () {
  this.timeout(60_000);

  describe("encoding", function () {
    const target = "0x1000000000000000000000000000000000000001";
    const other = "0x2000000000000000000000000000000000000002";
    const member = "0x3000000000000000000000000000000000000003";
    const calls = [
      { to: target, data: RECORDER.encodeFunctionData("record", [key("a")]) },
      { to: other, data: "0x" },
      { to: target, data: RECORDER.encodeFunctionData("refuse", [7]) },
    ];

    it("puts BatchExecutor at the CREATE2 address of its compiled creation code, salt 0", async function () {
      const { bytecode } = await artifact("account/BatchExecutor.sol", "BatchExecutor");
      expect(BATCH_EXECUTOR).to.equal(
        getCreate2Address(CREATE2_FACTORY, `0x${"00".repeat(32)}`, keccak256(bytecode)),
      );
    });

    it("encodes execute(batch mode, calls) and callsOf reads the calls back in order", function () {
      const data = encodeBatch(calls);
      const [mode] = BatchExecutor.interface.decodeFunctionData("execute", data);
      expect(mode).to.equal(BATCH_MODE);
      expect(callsOf({ from: member, to: member.toUpperCase().replace("0X", "0x"), data })).to.deep.equal(
        calls,
      );
      expect(callsOf({ from: member, to: member, data: encodeBatch([]) })).to.deep.equal([]);
    });

    it("reads a plain transaction as its one call, and a creation as none", function () {
      expect(callsOf({ from: member, to: target, data: calls[0]!.data })).to.deep.equal([calls[0]]);
      // execute sent to another account is a call to that account, not the sender's batch
      const data = encodeBatch(calls);
      expect(callsOf({ from: member, to: other, data })).to.deep.equal([{ to: other, data }]);
      expect(callsOf({ from: member, to: null, data: "0x6080" })).to.deep.equal([]);
    });
  });

  describe("on Anvil", function () {
    let anvil: AnvilNode;
    let recorder: Contract;

    before(async function () {
      anvil = await startAnvil();
      const { abi, bytecode } = await artifact("test/SenderRecorder.sol", "SenderRecorder");
      recorder = (await new ContractFactory(abi, bytecode, anvil.wallet(0)).deploy()) as Contract;
      await recorder.waitForDeployment();
    });
    after(async function () {
      await anvil?.stop();
    });

    async function sendBatch(member: Wallet, calls: Array<{ to: string; data: string }>, delegate: boolean) {
      const nonce = await anvil.provider.getTransactionCount(member.address);
      const authorizationList = delegate
        ? [await delegationAuthorization(member, { chainId: 31337n, nonce: nonce + 1 })]
        : undefined;
      const tx = await member.sendTransaction({
        ...(delegate ? { type: 4, authorizationList } : {}),
        to: member.address,
        data: encodeBatch(calls),
        nonce,
      });
      return { tx, receipt: await tx.wait() };
    }

    it("has the factory, deploys the executor once, and then says ready", async function () {
      expect(await anvil.provider.getCode(CREATE2_FACTORY)).to.equal(CREATE2_FACTORY_CODE);
      expect(await batchSupport(anvil.provider)).to.equal("deployable");
      const deployer = anvil.wallet(1);
      await deployBatchExecutor(deployer);
      const nonce = await anvil.provider.getTransactionCount(deployer.address);
      await deployBatchExecutor(deployer);
      expect(await anvil.provider.getTransactionCount(deployer.address), "no second transaction").to.equal(
        nonce,
      );
      expect(await BatchExecutor.at(BATCH_EXECUTOR, anvil.provider).version()).to.equal("1.0.0");
      expect(await batchSupport(anvil.provider)).to.equal("ready");
    });

    it("delegates an account in its first batch, whose calls each reach the target as the account", async function () {
      const member = anvil.wallet(2);
      expect(await delegateOf(anvil.provider, member.address)).to.equal(undefined);
      const calls = [
        { to: await recorder.getAddress(), data: RECORDER.encodeFunctionData("record", [key("first")]) },
        { to: await recorder.getAddress(), data: RECORDER.encodeFunctionData("record", [key("second")]) },
      ];
      const { tx, receipt } = await sendBatch(member, calls, true);
      expect(receipt?.status).to.equal(1);
      expect(await delegateOf(anvil.provider, member.address)).to.equal(BATCH_EXECUTOR);
      expect(await recorder.getFunction("senderOf")(key("first"))).to.equal(member.address);
      expect(await recorder.getFunction("senderOf")(key("second"))).to.equal(member.address);
      const mined = await anvil.provider.getTransaction(tx.hash);
      expect(callsOf(mined!)).to.deep.equal(calls);

      // delegated once: later batches are plain transactions to itself
      const third = [{ to: calls[0]!.to, data: RECORDER.encodeFunctionData("record", [key("third")]) }];
      expect((await sendBatch(member, third, false)).receipt?.status).to.equal(1);
      expect(await recorder.getFunction("senderOf")(key("third"))).to.equal(member.address);
    });

    it("reverts the whole batch with the failing call's own error", async function () {
      const member = anvil.wallet(2);
      const to = await recorder.getAddress();
      const calls = [
        { to, data: RECORDER.encodeFunctionData("record", [key("undone")]) },
        { to, data: RECORDER.encodeFunctionData("refuse", [7]) },
      ];
      const error = await member.estimateGas({ to: member.address, data: encodeBatch(calls) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(decodeRevert(error, [recorder.interface])).to.deep.include({
        name: "SenderRecorderRefused",
        args: [member.address, "7"],
      });
      expect(await recorder.getFunction("senderOf")(key("undone"))).to.equal(ZeroAddress);
    });

    it("refuses a stranger's execute on a delegated account", async function () {
      const member = anvil.wallet(2);
      const stranger = anvil.wallet(3);
      const calls = [
        { to: await recorder.getAddress(), data: RECORDER.encodeFunctionData("record", [key("x")]) },
      ];
      const error = await stranger.estimateGas({ to: member.address, data: encodeBatch(calls) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(decodeRevert(error, [BatchExecutor.interface])).to.deep.include({
        name: "AccountUnauthorized",
        args: [stranger.address],
      });
    });

    it("says unsupported without the executor and the factory", async function () {
      await anvil.provider.send("anvil_setCode", [CREATE2_FACTORY, "0x"]);
      await anvil.provider.send("anvil_setCode", [BATCH_EXECUTOR, "0x"]);
      try {
        expect(await batchSupport(anvil.provider)).to.equal("unsupported");
      } finally {
        await anvil.provider.send("anvil_setCode", [CREATE2_FACTORY, CREATE2_FACTORY_CODE]);
      }
      expect(await batchSupport(anvil.provider)).to.equal("deployable");
    });
  });

  describe("on a chain before Prague", function () {
    let anvil: AnvilNode;
    before(async function () {
      anvil = await startAnvil({ args: ["--hardfork", "cancun"] });
    });
    after(async function () {
      await anvil?.stop();
    });

    it("says unsupported though the factory is there, and stays so with the executor deployed", async function () {
      expect(await anvil.provider.getCode(CREATE2_FACTORY)).to.equal(CREATE2_FACTORY_CODE);
      expect(await batchSupport(anvil.provider)).to.equal("unsupported");
      await deployBatchExecutor(anvil.wallet(1));
      expect(await anvil.provider.getCode(BATCH_EXECUTOR)).to.not.equal("0x");
      expect(await batchSupport(anvil.provider)).to.equal("unsupported");
    });
  });

  describe("scripts/ops/deploy: deployLending", function () {
    it("puts the executor at its address with the ledger, so the members' accounts can batch", async function () {
      const chain = await startConsortiumChain();
      try {
        expect(await batchSupport(chain.anvil.provider)).to.equal("deployable");
        await deployLending(chain.wallets.deployer, chain.deployment, chain.approvers, []);
        expect(await batchSupport(chain.anvil.provider)).to.equal("ready");
      } finally {
        await chain.stop();
      }
    });
  });
});
