// The one table `npm start` prints once everything is ready: each service, its URL, its member,
// where its API docs are, the court verification page and the trust anchor courts verify with.
import type { ConsortiumManifest, NodeName } from "./manifest.ts";

export function serviceTable(manifest: ConsortiumManifest): string {
  const union = manifest.nodes.union;
  const rows: string[][] = [
    ["service", "URL", "member", "API docs"],
    [
      "chain",
      manifest.chain.rpcUrl,
      `chain id ${manifest.chain.chainId}${manifest.chain.local ? " (local Anvil)" : " (external)"}`,
      "JSON-RPC",
    ],
    [
      "anchor service",
      manifest.anchor.url,
      `${union.memberId} ${union.name} (log operator)`,
      manifest.anchor.docsUrl,
    ],
    ...(Object.entries(manifest.nodes) as Array<[NodeName, ConsortiumManifest["nodes"][NodeName]]>).map(
      ([name, n]) => [
        `node ${name}`,
        n.url,
        `${n.memberId} ${n.name} (${n.kind}, region ${n.regionCode})`,
        `${n.url}/docs`,
      ],
    ),
    [
      "verification page",
      manifest.anchor.verifyPageUrl,
      "for courts: drop a document, check its evidence",
      "",
    ],
    [
      "trust anchor",
      manifest.trustAnchor.file,
      "for courts: npm run verify -- … --trust <this file>",
      `fingerprint ${manifest.trustAnchor.fingerprint}`,
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}
