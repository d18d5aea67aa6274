// npm run network:besu -- --validators 4 --rpc-nodes 2 --out <folder> [options]
//
// Writes a Hyperledger Besu QBFT consortium network into a new folder: node keys, genesis, each
// node's config and allowlists, docker-compose.yml, the founding members' keystores and the
// services' env files. Exit code 2 on invalid options. See nodes/network/besu/README.md.
import { generateBesuNetwork, writeNetwork } from "./besu/generate.ts";
import { BesuOptionsError, USAGE, parseBesuArgs } from "./besu/options.ts";

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options, network;
  try {
    options = parseBesuArgs(argv);
    // a --member-directory file is judged here, before anything is written
    network = await generateBesuNetwork(options);
  } catch (error) {
    if (!(error instanceof BesuOptionsError)) throw error;
    process.stderr.write(`network:besu: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  for (const warning of network.warnings) process.stderr.write(`warning: ${warning}\n`);
  try {
    await writeNetwork(options.out, network);
  } catch (error) {
    process.stderr.write(`network:besu: ${(error as Error).message}\n`);
    return 1;
  }
  const t = network.tolerance;
  process.stdout.write(
    [
      `wrote ${network.files.length} files to ${options.out}`,
      `  chain id ${network.manifest.chainId}, ${network.manifest.besuImage}`,
      `  ${t.validators} validator(s): blocks need ${t.quorum} signatures; tolerates ${t.faulty} faulty or offline validator(s)`,
      `  ${options.rpcNodes} RPC node(s): ${network.manifest.nodes
        .filter((n) => n.role === "rpc")
        .map((n) => n.rpcUrl)
        .join(", ")}`,
      `  contracts will be at ConsortiumRegistry ${network.manifest.contracts.consortiumRegistry} (deployer ${network.manifest.deployer.address})`,
      `SECRET: ${options.out}/nodes/*/key, ${options.out}/secrets/ and ${options.out}/env/ hold private keys and passwords; never commit them.`,
      `next: read ${options.out}/README.md, then nodes/network/besu/README.md`,
      "",
    ].join("\n"),
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
