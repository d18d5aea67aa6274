// Part 3's gas per operation: read from gas/snapshot.json, which test/contracts/gas.test.ts
// checks against the contracts (and `npm run gas:snapshot` re-measures); nothing is re-measured.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { GasResult, GasRow } from "../report/types.ts";

type Snapshot = {
  solc: string;
  optimizerRuns: number;
  budget: Record<string, number>;
  commitHead: Record<string, number>;
  ledger: Record<string, number>;
};

/** The snapshot's rows with the budget of each operation (keyed by the name's first word). */
export function gasRows(snapshot: Snapshot): GasResult {
  const rows: GasRow[] = [];
  for (const group of ["ledger", "commitHead"] as const) {
    for (const [name, gas] of Object.entries(snapshot[group]))
      rows.push({ group, name, gas, budget: snapshot.budget[name.split(" ")[0]!] });
  }
  return { solc: snapshot.solc, optimizerRuns: snapshot.optimizerRuns, rows };
}

export async function readGasSnapshot(repoRoot: string): Promise<GasResult> {
  return gasRows(JSON.parse(await readFile(path.join(repoRoot, "gas", "snapshot.json"), "utf8")) as Snapshot);
}
