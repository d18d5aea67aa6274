// signCall (nodes/src/outbox/signer.ts): what the outbox records and re-broadcasts is ethers'
// signed bytes, whichever fees the chain asks for (type 2 through signEip1559, legacy through ethers).
import { expect } from "chai";
import { Transaction, Wallet, keccak256 } from "ethers";
import type { Fees } from "../../../nodes/src/outbox/broadcast.ts";
import { signCall } from "../../../nodes/src/outbox/signer.ts";

describe("outbox signCall: ethers' bytes for every fee type", function () {
  const wallet = new Wallet(keccak256(Buffer.from("sign-call")));
  const chainId = 31_337n;
  const data = `0x${"ab".repeat(26_000)}`;
  const feeCases: Array<[string, Fees]> = [
    ["EIP-1559", { type: 2, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000n }],
    ["EIP-1559 on a free-gas chain", { type: 2, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }],
    ["legacy", { type: 0, gasPrice: 7n }],
  ];

  for (const [label, fees] of feeCases) {
    it(`signs a call with ${label} fees as wallet.signTransaction does`, async function () {
      for (const call of [
        { to: wallet.address, data: "0x", nonce: 0, gasLimit: 21_000n, fees },
        { to: "0x5FbDB2315678afecb367f032d93F642f64180aa3", data, nonce: 41, gasLimit: 9_000_000n, fees },
      ]) {
        const reference = await wallet.signTransaction({
          to: call.to,
          data: call.data,
          value: 0n,
          nonce: call.nonce,
          gasLimit: call.gasLimit,
          chainId,
          ...fees,
        });
        const signed = await signCall(wallet, chainId, call);
        expect(signed).to.deep.equal({ rawTx: reference, txHash: keccak256(reference) });
        expect(Transaction.from(signed.rawTx).type).to.equal(fees.type);
      }
    });
  }
});
