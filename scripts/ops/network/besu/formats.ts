// The three text formats the generator writes, each limited to the subset it needs so that the
// output is unambiguous: flat TOML (Besu's config and permissions files), block-style YAML
// (docker-compose.yml) and dotenv (the services' env files, read by `node --env-file`, Node's
// util.parseEnv and `set -a; . file`).

export type TomlValue = string | number | boolean | readonly string[];
/** A TOML line: a key and value, or a comment (a string starting with '#'), or a blank line (""). */
export type TomlLine = readonly [key: string, value: TomlValue] | string;

/**
 * Flat TOML: `key=value` with basic strings, integers, booleans and arrays of strings. Strings are
 * written with JSON escapes, which TOML basic strings share, so every value also reads as JSON.
 */
export function toToml(lines: readonly TomlLine[]): string {
  return `${lines
    .map((line) => {
      if (typeof line === "string") return line;
      const [key, value] = line;
      if (!/^[a-z0-9-]+$/.test(key)) throw new Error(`TOML key ${key} is not a bare key`);
      if (typeof value === "number" && !Number.isSafeInteger(value))
        throw new Error(`TOML value of ${key} is not an integer`);
      return `${key}=${JSON.stringify(value)}`;
    })
    .join("\n")}\n`;
}

export type Yaml = YamlScalar | readonly Yaml[] | { readonly [key: string]: Yaml };
type YamlScalar = string | number | boolean | null;

/** Block-style YAML; strings double-quoted (JSON escapes are valid YAML), keys plain. */
export function toYaml(value: Yaml, comment?: string): string {
  const header =
    comment === undefined
      ? ""
      : `${comment
          .split("\n")
          .map((l) => `# ${l}`.trimEnd())
          .join("\n")}\n`;
  return `${header}${block(value, 0)}\n`;
}

function scalar(value: YamlScalar): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error("YAML numbers must be finite");
  return String(value);
}

function isMap(value: Yaml): value is { readonly [key: string]: Yaml } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Array.isArray narrows a readonly array to any[]; this keeps the element type
function isList(value: Yaml): value is readonly Yaml[] {
  return Array.isArray(value);
}

function block(value: Yaml, indent: number): string {
  const pad = " ".repeat(indent);
  if (isList(value)) {
    if (value.length === 0) return `${pad}[]`;
    return value
      .map((item) => {
        if (isMap(item) || isList(item)) {
          const inner = block(item, indent + 2);
          return `${pad}- ${inner.slice(indent + 2)}`;
        }
        return `${pad}- ${scalar(item)}`;
      })
      .join("\n");
  }
  if (isMap(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return `${pad}{}`;
    return entries
      .map(([key, item]) => {
        if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`YAML key ${key} needs quoting`);
        if ((isMap(item) && Object.keys(item).length > 0) || (isList(item) && item.length > 0))
          return `${pad}${key}:\n${block(item, indent + 2)}`;
        if (isMap(item)) return `${pad}${key}: {}`;
        if (isList(item)) return `${pad}${key}: []`;
        return `${pad}${key}: ${scalar(item)}`;
      })
      .join("\n");
  }
  return `${pad}${scalar(value)}`;
}

/** A dotenv line: a variable and value, or a comment ('#…'), or a blank line (""). */
export type EnvLine = readonly [name: string, value: string | number] | string;

/** KEY='value' lines; values may not contain single quotes or line breaks. */
export function toEnvFile(lines: readonly EnvLine[]): string {
  return `${lines
    .map((line) => {
      if (typeof line === "string") return line;
      const [name, value] = line;
      const text = String(value);
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`${name} is not an environment variable name`);
      if (/['\n\r]/.test(text))
        throw new Error(`${name}: value must not contain single quotes or line breaks`);
      return `${name}='${text}'`;
    })
    .join("\n")}\n`;
}

/** Read back flat TOML written by toToml (comments and blank lines skipped). */
export function parseFlatToml(text: string): Record<string, TomlValue> {
  const out: Record<string, TomlValue> = {};
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const match = /^([a-z0-9-]+)\s*=\s*(.+)$/.exec(line);
    if (match === null) throw new Error(`line ${i + 1} is not key=value: ${line}`);
    out[match[1]!] = JSON.parse(match[2]!) as TomlValue;
  }
  return out;
}
