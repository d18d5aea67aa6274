// Reads bench/anchor.ts's report (bench/anchor-report.md format): its first Markdown table, row
// by row, kept verbatim for the combined report, and the headline figures found in it by the
// metric's wording. anchor.ts has no machine-readable output, so this parser is deliberately
// lenient: a row it cannot read is still passed through, and a figure it cannot find is absent.

export type AnchorRow = { id: string; metric: string; value: string; target: string; met: string };

export type AnchorFigures = {
  /** (a) durable ingest through HTTP, records/s */
  ingestPerSecond?: number;
  /** (b) the OpenZeppelin baseline, records/s */
  baselinePerSecond?: number;
  /** a/b as the report states it */
  ratio?: number;
  anchoredP99Ms?: number;
  lookupP99Ms?: number;
  gasPerLeaf?: number;
  bytesPerLeaf?: number;
};

export type AnchorReport = { title: string; preamble: string[]; rows: AnchorRow[]; figures: AnchorFigures };

/** "26,519" → 26519; "1.65" → 1.65; undefined when there is no number. */
function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.replaceAll(",", ""));
  return Number.isFinite(v) ? v : undefined;
}

/** The first number followed by `unit` in `text` (bold markers ignored). */
export function numberBefore(text: string, unit: RegExp | string): number | undefined {
  const plain = text.replaceAll("**", "");
  const u = typeof unit === "string" ? unit.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : unit.source;
  const m = new RegExp(`(-?[0-9][0-9,]*(?:\\.[0-9]+)?)\\s*(?:${u})`).exec(plain);
  return num(m?.[1]);
}

function cells(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return trimmed.split("|").map((c) => c.trim());
}

export function parseAnchorReport(markdown: string): AnchorReport {
  const lines = markdown.split(/\r?\n/);
  const title = (lines.find((l) => l.startsWith("# ")) ?? "# Anchor service benchmark").slice(2).trim();
  const firstTable = lines.findIndex((l) => l.trim().startsWith("|"));
  const preamble = lines
    .slice(0, firstTable < 0 ? lines.length : firstTable)
    .filter((l) => l.trim() !== "" && !l.startsWith("# "));
  const rows: AnchorRow[] = [];
  if (firstTable >= 0) {
    for (let i = firstTable; i < lines.length && lines[i]!.trim().startsWith("|"); i++) {
      const c = cells(lines[i]!);
      if (c.every((x) => /^:?-+:?$/.test(x))) continue; // the separator row
      if (i === firstTable) continue; // the header row
      rows.push({
        id: c[0] ?? "",
        metric: c[1] ?? "",
        value: c[2] ?? "",
        target: c[3] ?? "",
        met: c[4] ?? "",
      });
    }
  }
  const find = (test: (r: AnchorRow) => boolean) => rows.find(test);
  const figures: AnchorFigures = {};
  const ingest = find((r) => r.id === "a" && /ingest/i.test(r.metric));
  const baseline = find((r) => r.id === "b" || /baseline/i.test(r.metric));
  const ratio = find((r) => r.id === "a/b" || /ratio/i.test(r.metric));
  const anchored = find(
    (r) => /submit → anchored|submit -> anchored/i.test(r.metric) && !/light/i.test(r.metric),
  );
  const lookup = find((r) => /proof lookup/i.test(r.metric));
  const gas = find((r) => /gas per anchored leaf/i.test(r.metric));
  const storage = find((r) => /storage/i.test(r.metric));
  const set = <K extends keyof AnchorFigures>(key: K, value: number | undefined) => {
    if (value !== undefined) figures[key] = value;
  };
  if (ingest !== undefined) set("ingestPerSecond", numberBefore(ingest.value, "records/s"));
  if (baseline !== undefined && baseline !== ingest)
    set("baselinePerSecond", numberBefore(baseline.value, "records/s"));
  if (ratio !== undefined) set("ratio", numberBefore(ratio.value, "×"));
  if (anchored !== undefined) set("anchoredP99Ms", numberBefore(anchored.value.replace(/^.*p99/, ""), "ms"));
  if (lookup !== undefined) set("lookupP99Ms", numberBefore(lookup.value.replace(/^.*p99/, ""), "ms"));
  if (gas !== undefined) set("gasPerLeaf", numberBefore(gas.value, "gas/leaf"));
  if (storage !== undefined) set("bytesPerLeaf", numberBefore(storage.value, "bytes/leaf"));
  return { title, preamble, rows, figures };
}
