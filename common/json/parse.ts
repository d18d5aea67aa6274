// A document of a format defined by a zod schema, read from JSON: the text parsed, then the value
// checked against the schema, each failure thrown as the format's own coded error (naming every
// bad field). Used by the evidence bundle and the trust anchor; no Node APIs (the court page
// bundles the verifier for the browser).
import type { z } from "zod";

export type JsonFormatErrors = {
  /** The value does not fit the schema: one "<root>.<path>: <message>" per issue, joined by "; ". */
  invalid: (issues: string) => Error;
  /** The text is not JSON: JSON.parse's message. */
  notJson: (message: string) => Error;
};

/** The format's two readers: `parse` a value already parsed from JSON, `parseJson` JSON text. */
export function jsonFormat<S extends z.ZodType>(schema: S, root: string, errors: JsonFormatErrors) {
  const parse = (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw errors.invalid(
      result.error.issues.map((issue) => `${[root, ...issue.path].join(".")}: ${issue.message}`).join("; "),
    );
  };
  const parseJson = (text: string): z.output<S> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw errors.notJson((e as Error).message);
    }
    return parse(value);
  };
  return { parse, parseJson };
}
