// The funders' core-banking books, simulated: every flow the demo makes is booked here for the
// member that made it (its disbursements; for the servicing branch, the repayments it collected),
// with the value date of the block that carried it. Kept in <dir>/<node>.jsonl so a day's file
// holds every run's flows of that day, as a real bank's export would. A day's export is the
// node's reconciliation CSV (nodes/src/reconcile/reconcile.ts: serial, loan_id, type, amount,
// value_date, account_masked).
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { formatYuan } from "../../common/lending/money.ts";
import type { BooksEntry } from "../../nodes/src/reconcile/reconcile.ts";
import type { NodeName } from "../ops/local/manifest.ts";

/** A flow as the core-banking system books it: a row of the books file the node reconciles, fen as text. */
export type BookedFlow = Pick<BooksEntry, "serial" | "loanId" | "type" | "valueDate" | "accountMasked"> & {
  amountFen: string;
};

export class CoreBanking {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async book(node: NodeName, flow: BookedFlow): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await appendFile(this.#file(node), `${JSON.stringify(flow)}\n`, { mode: 0o600 });
  }

  async flows(node: NodeName): Promise<BookedFlow[]> {
    let text: string;
    try {
      text = await readFile(this.#file(node), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as BookedFlow);
  }

  /** The day's export of `node`'s books as the reconciliation CSV; also its row count. */
  async dayCsv(node: NodeName, day: string): Promise<{ csv: string; rows: number }> {
    const rows = (await this.flows(node)).filter((f) => f.valueDate === day);
    const lines = [
      "serial,loan_id,type,amount,value_date,account_masked",
      ...rows.map((f) =>
        [f.serial, f.loanId, f.type, formatYuan(BigInt(f.amountFen)), f.valueDate, f.accountMasked].join(","),
      ),
    ];
    return { csv: `${lines.join("\n")}\n`, rows: rows.length };
  }

  #file(node: NodeName): string {
    return path.join(this.dir, `${node}.jsonl`);
  }
}
