// A witness over a fresh in-memory store (memory-level, JSON values), for the tests that need no
// disk. (No describe/it here: Hardhat mocha loads it like a test.)
import { MemoryLevel } from "memory-level";
import { Witness, type WitnessStore } from "../../../nodes/src/witness/witness.ts";

export function memoryWitness(options: Omit<ConstructorParameters<typeof Witness>[0], "store">): Witness {
  const db = new MemoryLevel<string, unknown>({ valueEncoding: "json" });
  return new Witness({
    ...options,
    store: db.sublevel("witness", { valueEncoding: "json" }) as unknown as WitnessStore,
  });
}
