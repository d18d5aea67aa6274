// A document of a format defined by a zod schema, read from JSON: the text parsed, then the value
// checked against the schema, each failure thrown as the format's own coded error (naming every
// bad field). Used by the evidence bundle and the trust anchor; no Node APIs (the court page
// bundles the verifier for the browser).
import type { z } from "zod";

/** `text` as JSON; `fail(JSON.parse's message)` when it is not JSON. */
export function parseJsonText(text: string, fail: (message: string) => Error): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** `value` as `schema` reads it; otherwise `fail` given "<root>.<path>: <message>" per issue, joined by "; ". */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root: string,
  fail: (issues: string) => Error,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw fail(
    result.error.issues.map((issue) => `${[root, ...issue.path].join(".")}: ${issue.message}`).join("; "),
  );
}
