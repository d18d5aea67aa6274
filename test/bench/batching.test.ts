// The loan benchmark's pure parts around batched transactions: reading each flow's own call back
// out of a plain transaction or a node's batch, how a phase's flows packed into transactions,
// batches for the batched ceiling, and the nonce watch's one JSON-RPC batch a poll.
import { expect } from "chai";
import { type ParamType, Wallet, ZeroAddress, hexlify, randomBytes } from "ethers";
import { encodeBatch } from "../../common/chain/batch.ts";
import { loanIdOf } from "../../common/lending/ids.ts";
import { ledgerInterface, onChainSerial } from "../../nodes/src/outbox/entry.ts";
import { callsIn, flowKeyOf, ownCall, plainGasLimit } from "../../bench/parts/flow-calls.ts";
import { transactionCountRequests, transactionCounts } from "../../bench/parts/nonce-watch.ts";
import { batchSizeOf, batchesOf, flowCall, packingOf } from "../../bench/report/batching.ts";

const LEDGER = Wallet.createRandom().address;
const OTHER = Wallet.createRandom().address;
const NODE = Wallet.createRandom().address;
const bytes32 = () => hexlify(randomBytes(32));

/** A value of each ABI type, enough to encode a call (the ledger is not asked). */
function sample(p: ParamType): unknown {
  if (p.baseType === "tuple") return p.components!.map(sample);
  if (p.baseType === "array") return [];
  if (p.baseType === "address") return ZeroAddress;
  if (p.baseType === "bool") return false;
  if (p.baseType.startsWith("uint") || p.baseType.startsWith("int")) return 1n;
  if (p.baseType === "bytes32") return bytes32();
  if (p.baseType === "string") return "";
  return "0x";
}

function registerLoanData(originator: number, applicationSerial: string): string {
  const terms = ledgerInterface.getFunction("registerLoan")!.inputs[0]!;
  const names = terms.components!.map((c) => c.name);
  const values = sample(terms) as unknown[];
  values[names.indexOf("originator")] = originator;
  values[names.indexOf("applicationSerial")] = applicationSerial;
  return ledgerInterface.encodeFunctionData("registerLoan", [values, "0x"]);
}

const repayData = (loanId: string, serial: string) =>
  ledgerInterface.encodeFunctionData("repay", [loanId, 100n, onChainSerial(serial), bytes32()]);
const disburseData = (loanId: string, serial: string) =>
  ledgerInterface.encodeFunctionData("disburse", [loanId, 100n, bytes32(), onChainSerial(serial), bytes32()]);

const tx = (to: string, data: string, gasLimit = 300_000n) => ({
  hash: bytes32(),
  from: NODE,
  to,
  data,
  gasLimit,
});

describe("bench: batched transactions", function () {
  describe("a flow's own call", function () {
    it("is the one call of a plain transaction, and the node's gas limit is kept for it", function () {
      const loanId = bytes32();
      const plain = tx(LEDGER, repayData(loanId, "RPY-1"));
      expect(ownCall(LEDGER, "repay", plain, onChainSerial("RPY-1"))).to.deep.equal({
        to: LEDGER,
        data: plain.data,
      });
      expect(plainGasLimit(plain)).to.equal(300_000n);
    });

    it("is found among a batch's calls by its key: a registration by its loan id, a flow by its on-chain serial", function () {
      const [a, b] = [bytes32(), bytes32()];
      const loans = [loanIdOf(2, a), loanIdOf(2, b)];
      const registrations = [registerLoanData(2, a), registerLoanData(2, b)];
      const batch = tx(NODE, encodeBatch(registrations.map((data) => ({ to: LEDGER, data }))), 900_000n);
      expect(callsIn(batch)).to.have.length(2);
      expect(ownCall(LEDGER, "registerLoan", batch, loans[1]!).data).to.equal(registrations[1]);
      expect(
        ownCall(LEDGER, "registerLoan", batch, loans[0]!.toUpperCase().replace("0X", "0x")).data,
      ).to.equal(registrations[0]);
      expect(flowKeyOf("registerLoan", registrations[0]!)).to.equal(loans[0]!.toLowerCase());
      // a batch's limit covers all its calls: the ceiling estimates each call on its own
      expect(plainGasLimit(batch)).to.equal(undefined);

      // two flows of one loan in one batch, and the same function on another contract
      const loanId = bytes32();
      const flows = [disburseData(loanId, "DSB-B1"), disburseData(loanId, "DSB-P1")];
      const mixed = tx(
        NODE,
        encodeBatch([
          { to: OTHER, data: disburseData(loanId, "DSB-B1") },
          ...flows.map((data) => ({ to: LEDGER, data })),
          { to: LEDGER, data: repayData(loanId, "DSB-B1") },
        ]),
      );
      expect(ownCall(LEDGER, "disburse", mixed, onChainSerial("DSB-P1")).data).to.equal(flows[1]);
      expect(ownCall(LEDGER, "disburse", mixed, onChainSerial("DSB-B1")).data).to.equal(flows[0]);
      expect(() => ownCall(LEDGER, "repay", mixed, onChainSerial("DSB-P1"))).to.throw(/0 matching calls/);
    });

    it("is never guessed: none or several matching calls are an error", function () {
      const calls = [
        { to: LEDGER, data: "0x01" },
        { to: LEDGER, data: "0x01" },
      ];
      expect(flowCall(calls, (c) => c.data === "0x01" && c === calls[1], "x")).to.equal(calls[1]);
      expect(() => flowCall(calls, (c) => c.data === "0x01", "repay X")).to.throw(
        "repay X: 2 matching calls among the transaction's 2, not 1",
      );
      expect(() => flowCall(calls, () => false, "repay Y")).to.throw("repay Y: 0 matching calls");
    });
  });

  describe("packing", function () {
    it("counts distinct transactions, flows and all calls per transaction, and gas per call", function () {
      // three flows: two in one batch of three calls (the third the node's other work), one plain
      const p = packingOf([
        { txHash: "0xAA", calls: 3, gasUsed: 300_000n },
        { txHash: "0xaa", calls: 3, gasUsed: 300_000n },
        { txHash: "0xbb", calls: 1, gasUsed: 100_000n },
      ]);
      expect(p).to.deep.equal({
        transactions: 2,
        flowsPerTransaction: 1.5,
        callsPerTransaction: 2,
        gasPerCall: 100_000,
      });
      expect(packingOf([])).to.deep.equal({
        transactions: 0,
        flowsPerTransaction: 0,
        callsPerTransaction: 0,
        gasPerCall: 0,
      });
    });

    it("sizes the batched ceiling's batches from the node path's mean flows per transaction", function () {
      expect([0, 1, 1.4, 1.5, 7.69].map(batchSizeOf)).to.deep.equal([1, 1, 1, 2, 8]);
    });

    it("batches each sender's calls in their order, never two senders in one batch", function () {
      const items = ["b1", "p1", "b2", "b3", "p2", "b4", "b5"];
      expect(batchesOf(items, 2, (s) => s[0]!)).to.deep.equal([
        ["b1", "b2"],
        ["p1", "p2"],
        ["b3", "b4"],
        ["b5"],
      ]);
      expect(batchesOf(items, 1, (s) => s[0]!)).to.have.length(7);
      expect(() => batchesOf(items, 0, (s) => s)).to.throw("batch size 0");
    });
  });

  describe("the nonce watch's JSON-RPC batch", function () {
    it("asks every address's mined count in one batch and reads the replies by id, in any order", function () {
      const requests = transactionCountRequests(["0xA", "0xB"]);
      expect(requests).to.deep.equal([
        { jsonrpc: "2.0", id: 0, method: "eth_getTransactionCount", params: ["0xA", "latest"] },
        { jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: ["0xB", "latest"] },
      ]);
      const reply = JSON.stringify([
        { jsonrpc: "2.0", id: 1, result: "0x2a" },
        { jsonrpc: "2.0", id: 0, result: "0x7" },
      ]);
      expect(transactionCounts(reply, 2)).to.deep.equal([7, 42]);
    });

    it("refuses a reply that errs, lacks an id or is not a batch", function () {
      expect(() =>
        transactionCounts(
          JSON.stringify([
            { id: 0, result: "0x1" },
            { id: 1, error: { message: "boom" } },
          ]),
          2,
        ),
      ).to.throw("eth_getTransactionCount 1: boom");
      expect(() =>
        transactionCounts(
          JSON.stringify([
            { id: 0, result: "0x1" },
            { id: 0, result: "0x2" },
          ]),
          2,
        ),
      ).to.throw("without every id");
      expect(() => transactionCounts(JSON.stringify({ error: "x" }), 1)).to.throw("a batch of 1");
    });
  });
});
