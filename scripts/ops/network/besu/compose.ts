// docker-compose.yml for the validators and RPC nodes: the pinned hyperledger/besu image, fixed
// addresses on one bridge network (enode URLs in the allowlists carry IP addresses), each node's
// folder mounted as /config, the shared genesis read-only, a named volume for the chain data.
// Validators' admin RPC is published on the host's loopback only; RPC nodes on --rpc-host.
import { CONTAINER, RPC_PORT, type BesuNode } from "./besu-config.ts";
import { toYaml, type Yaml } from "./formats.ts";
import type { BesuOptions } from "./options.ts";

export const COMPOSE_PROJECT = "jointledger-besu";
export const COMPOSE_NETWORK = "besu";

export function besuImage(options: BesuOptions): string {
  return `hyperledger/besu:${options.besuVersion}`;
}

export function composeFile(nodes: readonly BesuNode[], options: BesuOptions): Yaml {
  const services: Record<string, Yaml> = {};
  for (const node of nodes) {
    services[node.name] = {
      image: besuImage(options),
      restart: "unless-stopped",
      command: [`--config-file=${CONTAINER.config}/config.toml`],
      volumes: [
        `./genesis.json:${CONTAINER.genesis}:ro`,
        `./nodes/${node.name}:${CONTAINER.config}`,
        `${node.name}-data:${CONTAINER.data}`,
      ],
      ports: [`${node.hostRpc.bind}:${node.hostRpc.port}:${RPC_PORT}`],
      networks: { [COMPOSE_NETWORK]: { ipv4_address: node.ip } },
      stop_grace_period: "60s",
    };
  }
  return {
    name: COMPOSE_PROJECT,
    services,
    networks: { [COMPOSE_NETWORK]: { driver: "bridge", ipam: { config: [{ subnet: options.subnet }] } } },
    volumes: Object.fromEntries(nodes.map((n) => [`${n.name}-data`, {}])),
  };
}

export function composeYaml(nodes: readonly BesuNode[], options: BesuOptions): string {
  return toYaml(
    composeFile(nodes, options),
    "JointLedger consortium chain: QBFT validators and RPC nodes (scripts/ops/network/besu.ts).\nStart: docker compose up -d    Runbook: nodes/network/besu/README.md",
  );
}
