// npx node scripts/ops/network/allowlist.ts --network <folder> (--add-account A | --remove-account A | --add-node ENODE | --remove-node ENODE)… [--apply]
//
// Changes the local-permissioning allowlists of every node in a network folder at once (Besu
// recommends identical allowlists on every node): rewrites each nodes/*/permissions_config.toml.
// With --apply, the validators reload the file through their admin RPC (perm_reloadPermissionsFromFile);
// RPC nodes have no PERM API and pick the change up when restarted one at a time.
import { readFile, readdir, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { getAddress } from "ethers";
import { permissionsToml, type BesuNode } from "./besu/besu-config.ts";
import { parseFlatToml } from "./besu/formats.ts";
import { openNetworkFolder } from "./network-folder.ts";

export type AllowlistChange = {
  addAccounts?: string[];
  removeAccounts?: string[];
  addNodes?: string[];
  removeNodes?: string[];
};

const ENODE = /^enode:\/\/[0-9a-f]{128}@(\d{1,3}\.){3}\d{1,3}:\d{1,5}$/;

/** Apply a change to every node's permissions file; returns the new lists. */
export async function changeAllowlists(
  dir: string,
  change: AllowlistChange,
): Promise<{ accounts: string[]; nodes: string[]; files: string[] }> {
  const nodesDir = path.join(dir, "nodes");
  const names = (await readdir(nodesDir)).sort();
  const files = names.map((n) => path.join(nodesDir, n, "permissions_config.toml"));
  const current = parseFlatToml(await readFile(files[0]!, "utf8"));
  let accounts = (current["accounts-allowlist"] as string[]).map((a) => a.toLowerCase());
  let nodes = [...(current["nodes-allowlist"] as string[])];
  for (const a of change.addAccounts ?? []) {
    const account = getAddress(a).toLowerCase();
    if (!accounts.includes(account)) accounts.push(account);
  }
  const removeAccounts = new Set((change.removeAccounts ?? []).map((a) => getAddress(a).toLowerCase()));
  accounts = accounts.filter((a) => !removeAccounts.has(a));
  for (const e of change.addNodes ?? []) {
    if (!ENODE.test(e)) throw new Error(`${e} is not an enode URL (enode://<128 hex digits>@<IPv4>:<port>)`);
    if (!nodes.includes(e)) nodes.push(e);
  }
  nodes = nodes.filter((e) => !(change.removeNodes ?? []).includes(e));
  const content = permissionsToml(
    nodes.map((enode) => ({ enode }) as BesuNode),
    accounts,
  );
  for (const file of files) {
    const temporary = `${file}.tmp-${process.pid}`;
    await writeFile(temporary, content, { mode: (await stat(file)).mode & 0o777 });
    await rename(temporary, file);
  }
  return { accounts, nodes, files };
}

if (import.meta.main) {
  const { values } = parseArgs({
    strict: true,
    options: {
      network: { type: "string" },
      "add-account": { type: "string", multiple: true },
      "remove-account": { type: "string", multiple: true },
      "add-node": { type: "string", multiple: true },
      "remove-node": { type: "string", multiple: true },
      apply: { type: "boolean" },
    },
  });
  if (values.network === undefined) {
    process.stderr.write(
      "usage: npx node scripts/ops/network/allowlist.ts --network <folder> (--add-account A | --remove-account A | --add-node ENODE | --remove-node ENODE)… [--apply]\n",
    );
    process.exit(2);
  }
  try {
    const result = await changeAllowlists(values.network, {
      addAccounts: values["add-account"],
      removeAccounts: values["remove-account"],
      addNodes: values["add-node"],
      removeNodes: values["remove-node"],
    });
    process.stdout.write(
      `${result.files.length} permissions files now allow ${result.accounts.length} accounts and ${result.nodes.length} nodes\n`,
    );
    const { manifest } = await openNetworkFolder(values.network);
    for (const node of manifest.nodes) {
      if (node.role === "rpc") {
        process.stdout.write(
          `  ${node.name}: restart it to load the change (docker compose restart ${node.name}), one RPC node at a time\n`,
        );
        continue;
      }
      if (values.apply !== true) {
        process.stdout.write(
          `  ${node.name}: curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"perm_reloadPermissionsFromFile","params":[]}' ${node.rpcUrl}\n`,
        );
        continue;
      }
      const reply = (await (
        await fetch(node.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "perm_reloadPermissionsFromFile",
            params: [],
          }),
        })
      ).json()) as { error?: { message: string } };
      process.stdout.write(
        `  ${node.name}: ${reply.error === undefined ? "reloaded" : `reload failed: ${reply.error.message}`}\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`allowlist: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
