// The OpenAPI document a service publishes at /docs, made usable by someone who has only that
// page: who may call each route (security schemes, per route from its config), which codes of the
// service's catalogue each error answer can carry, and an example for every constrained string
// (without one, Swagger UI invents a value from the pattern, such as a day "8440-60-36").
import type { SwaggerOptions } from "@fastify/swagger";
import { jsonSchemaTransform } from "fastify-type-provider-zod";

/** OpenAPI's security requirement: scheme name → scopes (none here). */
export type SecurityRequirement = Record<string, string[]>;

/** What a service says about its document (title, version) and its callers. */
export type ApiDocumentOptions = {
  title: string;
  description?: string;
  version: string;
  /** components.securitySchemes (OpenAPI 3.0). */
  securitySchemes?: Readonly<Record<string, SecurityScheme>>;
  /** A route's security requirements from its method, URL and config; [] for an open route. */
  security?: (route: DocumentedRoute) => SecurityRequirement[];
  /** The service's error codes with their statuses (its catalogue, and the shell's own): each error answer lists the codes of its status. */
  errorCodes?: readonly (readonly [code: string, status: number])[];
  /** Examples for string patterns beyond EXAMPLES_BY_PATTERN (pattern source → example). */
  examples?: Readonly<Record<string, string>>;
};

/** The two kinds of scheme the services use: a bearer token, and one header of a signed request. */
export type SecurityScheme =
  | { type: "http"; scheme: "bearer"; description: string }
  | { type: "apiKey"; in: "header"; name: string; description: string };

/** One header of a signed request as a security scheme (a requirement names all of them together). */
export const headerScheme = (name: string, description: string): SecurityScheme => ({
  type: "apiKey",
  in: "header",
  name,
  description,
});

export type DocumentedRoute = { method: string | string[]; url: string; config?: unknown };

// sha256("evidence") and an account address: values a caller can paste and see parse
const HASH = "0x2c6a8b1c67a0d2a5a3c8f3ab0b9e0a3a0f5c2bd5d3f1e06f9bd8e7e31bc0d2f4";
const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/**
 * Examples for the patterns the consortium's schemas share, by the pattern's source text. A
 * schema's own example (zod `.meta({ example })`) wins.
 */
export const EXAMPLES_BY_PATTERN: Readonly<Record<string, string>> = {
  "^0x[0-9a-fA-F]{64}$": HASH,
  "^0x[0-9a-fA-F]{40}$": ADDRESS,
  "^0x[0-9a-fA-F]{130}$": `0x${"5c".repeat(32)}${"3a".repeat(32)}1b`,
  "^\\d{4}-\\d{2}-\\d{2}$": "2026-03-16",
  "^\\d{4}-\\d{2}$": "2026-03",
  "^(0|[1-9][0-9]*)$": "1250000",
  "^(0|[1-9]\\d{0,19})$": "1250000",
  "^(0|[1-9][0-9]{0,19})$": "1250000",
  "^[1-9][0-9]{0,18}$": "42",
  "^[1-9][0-9]{0,77}$": "340282366920938463463374607431768211455",
  "^\\d{8,32}$": "6222021001001234567",
  "^[A-Za-z0-9+/]+={0,2}$": "SmxFdmlkZW5jZQ==",
};

/** Example of a date-time (zod's iso.datetime patterns, format date-time): Beijing time, offset stated. */
export const DATE_TIME_EXAMPLE = "2026-03-16T10:30:00+08:00";
const UTC_DATE_TIME_EXAMPLE = "2026-03-16T02:30:00Z";

type JsonSchema = {
  type?: unknown;
  pattern?: string;
  format?: string;
  example?: unknown;
  examples?: unknown;
  [key: string]: unknown;
};

/** The @fastify/swagger options for `doc` (zod schemas → JSON Schema, then security, codes, examples). */
export function swaggerOptions(doc: ApiDocumentOptions): SwaggerOptions {
  const examples = { ...EXAMPLES_BY_PATTERN, ...doc.examples };
  return {
    openapi: {
      info: {
        title: doc.title,
        version: doc.version,
        ...(doc.description === undefined ? {} : { description: doc.description }),
      },
      components: { securitySchemes: { ...(doc.securitySchemes ?? {}) } },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      const security = doc.security?.(input.route);
      return security === undefined ? out : { ...out, schema: { ...out.schema, security } };
    },
    transformObject: (documentObject) => {
      if (!("openapiObject" in documentObject)) return documentObject.swaggerObject;
      const openapi = documentObject.openapiObject;
      addShellAnswers(openapi.paths ?? {});
      addExamples(openapi.paths, examples);
      if (doc.errorCodes !== undefined) addErrorCodes(openapi.paths ?? {}, doc.errorCodes);
      return openapi;
    },
  };
}

/** Fills `example` into every string schema with a pattern or a date-time format that has none. */
function addExamples(node: unknown, examples: Readonly<Record<string, string>>): void {
  if (Array.isArray(node)) {
    for (const item of node) addExamples(item, examples);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const schema = node as JsonSchema;
  if (schema.type === "string" && schema.example === undefined && schema.examples === undefined) {
    const example =
      schema.pattern === undefined
        ? schema.format === "date-time"
          ? DATE_TIME_EXAMPLE
          : undefined
        : (examples[schema.pattern] ?? dateTimeExample(schema.pattern));
    if (example !== undefined) schema.example = example;
  }
  for (const value of Object.values(schema)) addExamples(value, examples);
}

/** zod's iso.datetime patterns end in "Z" only, or in "Z" or an offset. */
function dateTimeExample(pattern: string): string | undefined {
  if (!pattern.includes("T(?:")) return undefined;
  return pattern.includes("[+-]") ? DATE_TIME_EXAMPLE : UTC_DATE_TIME_EXAMPLE;
}

type Operation = { responses?: Record<string, { description?: string; content?: Record<string, unknown> }> };

/** The shell's envelope, as the error answers it adds are documented. */
const ENVELOPE = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

/**
 * The shell answers 400 (a request it cannot route or parse) and 500 (a bug; nothing applied) on
 * every route: documented where the route's own schema does not already say so.
 */
function addShellAnswers(paths: object): void {
  for (const methods of Object.values(paths) as Record<string, Operation>[])
    for (const operation of Object.values(methods)) {
      const responses = (operation.responses ??= {});
      for (const status of ["400", "500"])
        responses[status] ??= {
          description: status,
          content: { "application/json": { schema: structuredClone(ENVELOPE) } },
        };
    }
}

/**
 * Each error answer (4xx, 5xx) lists the catalogue's codes of its status as the envelope's
 * `error.code` enum, in its description, and as an example.
 */
function addErrorCodes(paths: object, catalogue: readonly (readonly [string, number])[]): void {
  const byStatus = new Map<string, string[]>();
  for (const [code, status] of catalogue)
    byStatus.set(String(status), [...(byStatus.get(String(status)) ?? []), code]);
  for (const methods of Object.values(paths) as Record<string, Operation>[])
    for (const operation of Object.values(methods))
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const codes = byStatus.get(status);
        if (!/^[45]\d\d$/.test(status) || codes === undefined) continue;
        response.description = `one of: ${codes.join(", ")}`;
        for (const content of Object.values(response.content ?? {})) {
          const media = content as { schema?: JsonSchema; example?: unknown };
          // another status may share the schema object: each gets its own enum
          if (media.schema !== undefined) media.schema = structuredClone(media.schema);
          const envelope = media.schema?.properties as Record<string, JsonSchema> | undefined;
          const code = (envelope?.error?.properties as Record<string, JsonSchema> | undefined)?.code;
          if (code === undefined) continue;
          code.enum = codes;
          media.example = {
            error: { code: codes[0], message: `${codes[0]}: the message says what was refused and why` },
          };
        }
      }
}
