// Canonical JSON (RFC 8785, JCS) for the values the bureau module hashes: object keys sorted by
// UTF-16 code units, no whitespace, strings and numbers as JSON.stringify writes them (which is
// what JCS specifies for ECMAScript). The query log's digest is SHA-256 of these bytes, so a court
// can recompute it from the stored entry with any JCS library.

export type CanonicalValue =
  null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`canonical JSON: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON: unsupported value of type ${typeof value}`);
}
