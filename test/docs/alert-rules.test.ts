// The Prometheus alert rules shipped beside each service's metrics are loadable and speak about
// series the service really exposes: every rule has a name, an expression, a severity (page or
// ticket) and a summary; every series an expression names is in the service's registry, with
// the labels the expression selects on.
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import type { Registry } from "prom-client";
import { parse } from "yaml";
import { createMetrics } from "../../anchor-service/src/metrics.ts";
import { httpMetrics } from "../../common/service/metrics.ts";
import { createNodeMetrics } from "../../nodes/src/metrics.ts";

type Rule = {
  alert?: string;
  expr?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
};

/** Each series name the registry exposes, with its label names. */
async function series(registry: Registry): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const labels = new Set<string>();
    for (const value of metric.values) for (const label of Object.keys(value.labels)) labels.add(label);
    out.set(metric.name, labels);
  }
  return out;
}

function nodeRegistry(): Registry {
  const metrics = createNodeMetrics();
  httpMetrics(metrics.registry, "node").requests.inc({ method: "GET", route: "/x", status: "200" });
  return metrics.registry;
}

function anchorRegistry(): Registry {
  const metrics = createMetrics();
  metrics.rejectedRequests.inc({ code: "ANCHOR_ERR_VALIDATION" });
  metrics.tsaTokens.inc({ tsa: "demo" });
  metrics.tsaFailures.inc({ tsa: "demo" });
  return metrics.registry;
}

const FILES: [string, string, () => Registry][] = [
  ["nodes/src/metrics.alerts.yml", "node_", nodeRegistry],
  ["anchor-service/src/metrics.alerts.yml", "anchor_", anchorRegistry],
];

describe("Prometheus alert rules beside the metrics", function () {
  for (const [file, prefix, registry] of FILES)
    it(`${file}: every rule complete, every series and label it names exposed`, async function () {
      const doc = parse(await readFile(new URL(`../../${file}`, import.meta.url), "utf8")) as {
        groups: { name: string; rules: Rule[] }[];
      };
      const exposed = await series(registry());
      const rules = doc.groups.flatMap((g) => g.rules);
      expect(rules.length).to.be.at.least(5);
      for (const rule of rules) {
        expect(rule.alert, JSON.stringify(rule)).to.be.a("string");
        expect(rule.expr, rule.alert).to.be.a("string");
        expect(rule.labels?.severity, rule.alert).to.be.oneOf(["page", "ticket"]);
        expect(rule.annotations?.summary, rule.alert).to.be.a("string");
        const names = [...rule.expr!.matchAll(new RegExp(`\\b${prefix}[a-z_]+`, "g"))].map((m) => m[0]);
        if (!/\bup\{/.test(rule.expr!)) expect(names, `${rule.alert} names a series`).to.not.be.empty;
        for (const name of names) {
          expect(exposed.has(name), `${rule.alert}: ${name} is exposed`).to.equal(true);
          const selector = new RegExp(`${name}\\{([^}]*)\\}`).exec(rule.expr!)?.[1];
          for (const label of [...(selector ?? "").matchAll(/([a-z_]+)\s*(=~|!=|=)/g)].map((m) => m[1]!))
            expect([...exposed.get(name)!], `${rule.alert}: ${name} has label ${label}`).to.include(label);
        }
      }
    });
});
