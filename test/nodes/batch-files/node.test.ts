// Daily batch files through a real branch node on a real chain: a disbursement file and then a
// small repayment file uploaded over the node's API, each row recorded by the node's own flow path
// and sent by its outbox; the result file names, for every row, the transaction and block that
// carry it on chain (checked against the chain's receipts); the same file again adds nothing.
import { expect } from "chai";
import { lendingSuite } from "../../support/lending-suite.ts";
import {
  apiAs,
  approveAssistedLoan,
  bearerAs,
  outboxConfirmed,
  SETTLEMENT,
} from "../../support/institution-node.ts";
import { jiedaibaoPayload } from "../../support/channel-fixtures.ts";
import { until } from "../outbox/fixture.ts";

const TOKENS = { clerk: "clerk-token-1", approver: "approver-token-1" } as const;
type Progress = { id: string; rows: number; done: boolean; counts: Record<string, number> };

describe("batch files on a branch node over a real chain", function () {
  this.timeout(180_000);
  const suite = lendingSuite("node-batch-files-", { branch: { tokens: TOKENS } });
  const as = bearerAs(TOKENS);
  const api = apiAs(as);

  const upload = async (kind: string, file: string) => {
    const res = await suite.branch.app.inject({
      method: "POST",
      url: `/v1/batch-files/${kind}`,
      headers: { ...as("clerk"), "content-type": "text/csv" },
      payload: file,
    });
    expect(res.statusCode, res.body).to.equal(200);
    return res.json<Progress>();
  };
  const progress = async (id: string) =>
    (await api(suite.branch, "clerk", "GET", `/v1/batch-files/${id}`)).json() as Progress;
  const finished = async (id: string): Promise<Progress> => {
    await until(async () => (await progress(id)).done, 90_000, `batch ${id} done`);
    return progress(id);
  };

  it("confirms every row of a repayment file with its transaction and block; the same file again adds nothing", async function () {
    const payload = jiedaibaoPayload();
    payload.shenqingBianhao = "JDB-BATCH-1";
    payload.daikuan.jine = "10000.00";
    payload.daikuan.feiyong = [];
    const { submitted, approved } = await approveAssistedLoan(suite.branch, suite.chain, as, {
      payload,
      letter: "授权书 JDB-BATCH-1",
      contract: "借款合同 JDB-BATCH-1",
    });
    expect(submitted.statusCode, submitted.body).to.equal(200);
    expect(approved.statusCode, approved.body).to.equal(200);
    const { loanId, serial } = approved.json() as { loanId: string; serial: string };
    await outboxConfirmed(suite.branch, as, serial);

    // the disbursement as a one-row file: the same checks as the single-flow route (own whitelisted account)
    const disbursements = await upload(
      "disbursement",
      `serial,loanId,amountFen,accountHash\nDSB-BATCH-1,${loanId},1000000,${SETTLEMENT}\n`,
    );
    expect((await finished(disbursements.id)).counts).to.deep.equal({
      pending: 0,
      confirmed: 1,
      failed: 0,
      refused: 0,
    });

    const serials = ["RPY-BATCH-1", "RPY-BATCH-2", "RPY-BATCH-3"];
    const file = `serial,loanId,amountFen\n${serials.map((s, i) => `${s},${loanId},${(i + 1) * 1000}`).join("\n")}\n`;
    const batch = await upload("repayment", file);
    expect(batch.rows).to.equal(3);
    const done = await finished(batch.id);
    expect(done.counts).to.deep.equal({ pending: 0, confirmed: 3, failed: 0, refused: 0 });

    const result = await suite.branch.app.inject({
      method: "GET",
      url: `/v1/batch-files/${batch.id}/result`,
      headers: as("clerk"),
    });
    expect(result.statusCode, result.body).to.equal(200);
    const [header, ...lines] = result.body.trimEnd().split("\n");
    expect(header).to.equal("line,serial,outcome,txHash,blockNumber,error");
    expect(lines).to.have.length(3);
    for (const [i, line] of lines.entries()) {
      const [lineNo, rowSerial, outcome, txHash, blockNumber, error] = line.split(",");
      expect({ lineNo, rowSerial, outcome, error }).to.deep.equal({
        lineNo: String(i + 2),
        rowSerial: serials[i],
        outcome: "confirmed",
        error: "",
      });
      // the transaction named is on chain, in the block named, and succeeded
      const receipt = await suite.chain.anvil.provider.getTransactionReceipt(txHash!);
      expect(receipt, `receipt of ${txHash}`).to.not.equal(null);
      expect(receipt!.status).to.equal(1);
      expect(receipt!.blockNumber).to.equal(Number(blockNumber));
    }

    // the same file again is the same batch: nothing new queued
    const before = await suite.branch.outbox.counts();
    const again = await upload("repayment", file);
    expect(again.id).to.equal(batch.id);
    expect(again.counts).to.deep.equal(done.counts);
    await suite.branch.sender.drain();
    expect(await suite.branch.outbox.counts()).to.deep.equal(before);
    expect(await progress(batch.id)).to.deep.equal(done);
  });
});
