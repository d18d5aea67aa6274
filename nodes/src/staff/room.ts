// The staff room as the node opens it: the accounts (NODE_USERS to start with) and the audit
// trail, each kept in a file in the node's data directory (none for an in-memory test node).
import { join } from "node:path";
import type { ApplicationStore } from "../applications.ts";
import type { NodeConfig } from "../config.ts";
import { AuditTrail } from "./audit.ts";
import { StaffDirectory } from "./directory.ts";

export async function openStaffRoom(config: NodeConfig, inMemory: boolean, applications?: ApplicationStore) {
  const file = (name: string) => (inMemory ? {} : { file: join(config.dataDir, name) });
  const directory = await StaffDirectory.open(config.users, file("staff-accounts.json"));
  const audit = await AuditTrail.open(file("audit.jsonl"));
  return {
    directory,
    audit,
    ...(applications === undefined ? {} : { applications }),
    async close(): Promise<void> {
      directory.close();
      await audit.flushed();
    },
  };
}
