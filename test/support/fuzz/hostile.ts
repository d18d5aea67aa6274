// Hostile-input generators for HTTP route fuzzing (fast-check). Everything here produces raw
// JSON *text* (or bytes), not JS values, so a body can carry what JSON.stringify never writes:
// 1e400, -0, 30-digit integers, duplicate keys, lone surrogates as raw bytes, 20,000 levels of
// nesting. Routes compose them with `objectText`: each field valid, hostile, missing, or joined
// by unknown fields.
import fc from "fast-check";

const q = (s: string) => JSON.stringify(s);

/** encodeURIComponent that takes any string: lone surrogates (which it refuses) become U+FFFD. */
export const uri = (s: string): string =>
  encodeURIComponent(
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"),
  );

/** Unicode edge cases: NUL, lone surrogates, bidi overrides, emoji ZWJ sequences, BOM, combining marks, look-alike digits. */
export const UNICODE_EDGES = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF",
  "x\uDBFFy",
  "\uDC00\uD800",
  "\u202Eevil\u202C.pdf",
  "\u200F\u200E\u2066\u2069",
  "مرحبا بالعالم",
  "שלום",
  "🏦💰",
  "👩‍👩‍👧‍👦",
  "\uFEFF",
  "e\u0301\u0301\u0301",
  "İı",
  "０ｘ１２３",
  "𝟘𝕩𝟙𝟚",
  "١٢٣",
  "张伟",
  "\r\n\t",
  "\\",
  '"',
  "'; DROP TABLE loans; --",
  "<script>alert(1)</script>",
  "${7*7}",
  "%00%ZZ",
  "../../../etc/passwd",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-0",
  "0x",
] as const;

/** A string that is hostile to a parser, validator, logger or database key. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom("\uD800", "\uDC00", "\u0000", "\u202E", "a", "🏦"),
      maxLength: 60,
    }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => "a".repeat(n)) },
);

/** Numbers as JSON text, including ones JSON.stringify never writes (1e400, -0, 30 digits). */
export const hostileNumberText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "0",
      "-0",
      "-1",
      "1",
      "1.5",
      "-1.5",
      "0.1",
      "1e400",
      "-1e400",
      "1e308",
      "5e-324",
      "1E2",
      "-0.0",
      "9007199254740991",
      "9007199254740992",
      "9007199254740993",
      "-9007199254740993",
      "4294967295",
      "4294967296",
      "18446744073709551616",
      "-9223372036854775809",
      "123456789012345678901234567890",
      "1" + "0".repeat(400),
    ),
  },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 256n), max: 2n ** 256n }).map(String) },
);

/** Any JSON scalar as text, hostile or not. */
export const scalarText: fc.Arbitrary<string> = fc.oneof(
  hostileNumberText,
  hostileString.map(q),
  fc.constantFrom("null", "true", "false", '""', "[]", "{}"),
);

/** Amounts in fen as JSON text: negative, zero, enormous, fractional, padded, full-width, hex, or as numbers. */
export const hostileAmountText: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(
      "-1",
      "0",
      "00",
      "01",
      "1.00",
      "0.01",
      "1e3",
      " 1",
      "1 ",
      "+1",
      "1_000",
      "１２",
      "0x10",
      "Infinity",
      "NaN",
      "",
      "9".repeat(19),
      "9".repeat(20),
      "1" + "0".repeat(18),
      "18446744073709551616",
      "1" + "0".repeat(77),
      "-" + "9".repeat(30),
    )
    .map(q),
  hostileNumberText,
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map((n) => q(n.toString())),
);

export const hex32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}`);

/** Hashes that are almost right: wrong length, no prefix, non-hex, whitespace, look-alike digits. */
export const badHash: fc.Arbitrary<string> = fc.oneof(
  fc
    .integer({ min: 0, max: 70 })
    .filter((n) => n !== 64)
    .map((n) => `0x${"ab".repeat(35).slice(0, n)}`),
  hex32.map((h) => h.slice(2)),
  hex32.map((h) => `0X${h.slice(2)}`),
  hex32.map((h) => `${h.slice(0, 10)}g${h.slice(11)}`),
  hex32.map((h) => ` ${h}`),
  hex32.map((h) => `${h}\n`),
  hex32.map((h) => `${h}\u0000`),
  hex32.map((h) => h.replace(/[0-9]/, "０")),
  hex32.map((h) => `${h}${h.slice(2)}`),
  fc.constantFrom("", "0x", "0x" + "0".repeat(64), "0x" + "f".repeat(64), "0x" + "F".repeat(64)),
  hostileString,
);

/** Keys that have tripped JS services before: prototype keys, empty, huge, unicode. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "",
    "extra",
    "$bigint",
  ),
  hostileString,
);

/** Arbitrary JSON text of bounded size with hostile scalars and keys (duplicates possible). */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>(
  (tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalarText, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 5 }).map((xs) => `[${xs.join(",")}]`),
    object: fc
      .array(fc.tuple(hostileKey, tie("value")), { maxLength: 5 })
      .map((kv) => `{${kv.map(([k, v]) => `${q(k)}:${v}`).join(",")}}`),
  }),
).value;

/** Deeply nested arrays or objects (100 – 20,000 levels), optionally inside a field. */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom("array", "object", "mixed"))
  .map(([depth, kind]) => {
    if (kind === "array") return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    if (kind === "object") return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    return `${'[{"a":'.repeat(depth / 2)}1${"}]".repeat(depth / 2)}`;
  });

/** Large but under the usual body limits: long arrays, long strings, many keys. */
export const hugeJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => `[${"0,".repeat(n)}0]`),
  fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => q("x".repeat(n))),
  fc
    .integer({ min: 1_000, max: 50_000 })
    .map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`),
);

/** Bytes that are not UTF-8 JSON: invalid sequences, encoded surrogates, NULs, truncated JSON. */
export const notJsonBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    Buffer.from('{"records":[', "utf8"),
    Buffer.from("{'a':1}", "utf8"),
    Buffer.from("\uFEFF{}", "utf8"),
    Buffer.from("[1,]", "utf8"),
    Buffer.from('{"a":1}{"b":2}', "utf8"),
    Buffer.from('{"a" 1}', "utf8"),
    Buffer.from("NaN", "utf8"),
  ),
  // a valid JSON prefix followed by raw invalid UTF-8 inside a string
  fc
    .uint8Array({ minLength: 1, maxLength: 20 })
    .map((b) => Buffer.concat([Buffer.from('{"x":"'), Buffer.from(b), Buffer.from('"}')])),
);

/** A whole body that is wrong at the top level: any JSON, deep, huge, or not JSON at all. */
export const hostileBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: jsonText },
  { weight: 1, arbitrary: deepJsonText },
  { weight: 1, arbitrary: hugeJsonText },
  { weight: 2, arbitrary: notJsonBytes },
  { weight: 1, arbitrary: fc.constantFrom("", "null", "0", '"records"', "[]", "{}", "true") },
);

export type FieldSpec = fc.Arbitrary<string>;

/**
 * A JSON object as text: each field valid (most often), hostile (its own bad values, or any
 * hostile JSON), or missing; sometimes unknown extra fields or a duplicated key.
 */
export function objectText(
  fields: Record<string, { valid: FieldSpec; bad?: FieldSpec; optional?: boolean }>,
  options: { validWeight?: number } = {},
): fc.Arbitrary<string> {
  const validWeight = options.validWeight ?? 12;
  const entries = Object.entries(fields).map(([name, spec]) =>
    fc.oneof(
      { weight: validWeight, arbitrary: spec.valid.map((v) => `${q(name)}:${v}`) },
      { weight: 1, arbitrary: (spec.bad ?? scalarText).map((v) => `${q(name)}:${v}`) },
      { weight: 1, arbitrary: jsonText.map((v) => `${q(name)}:${v}`) },
      // an optional field is left out as often as it is sent
      { weight: spec.optional === true ? validWeight : 1, arbitrary: fc.constant("") },
    ),
  );
  const extras = fc.oneof(
    { weight: 20, arbitrary: fc.constant([] as string[]) },
    {
      weight: 1,
      arbitrary: fc.array(
        fc.tuple(hostileKey, scalarText).map(([k, v]) => `${q(k)}:${v}`),
        { minLength: 1, maxLength: 3 },
      ),
    },
  );
  return fc
    .tuple(fc.tuple(...entries), extras)
    .map(([parts, extra]) => `{${[...parts, ...extra].filter((p) => p !== "").join(",")}}`);
}

/** An array of `item` texts (empty, one, a few, or many). */
export function arrayText(item: fc.Arbitrary<string>, maxLength = 5): fc.Arbitrary<string> {
  return fc.array(item, { maxLength }).map((xs) => `[${xs.join(",")}]`);
}

/** A path segment: the valid value, a hostile one (URL-encoded or raw), or an over-long one. */
export function pathSegment(
  valid: fc.Arbitrary<string>,
  bad: fc.Arbitrary<string> = badHash,
): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: valid },
    { weight: 3, arbitrary: bad.map(uri) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "%",
        "%ZZ",
        "%00",
        "%C3%28",
        "%ED%A0%80",
        "..",
        "%2e%2e",
        "a%2Fb",
        "",
        "%20",
        "x".repeat(5000),
        "%F0%9F%8F%A6",
      ),
    },
  );
}

/** A query string from parameters, each valid, hostile, missing or duplicated, plus junk parameters. */
export function queryString(
  params: Record<string, { valid: fc.Arbitrary<string>; bad?: fc.Arbitrary<string> }>,
): fc.Arbitrary<string> {
  const badValue = fc.oneof(
    hostileString,
    hostileNumberText,
    fc.constantFrom("", "-1", "1e400", "0x10", "1.5", "NaN", "Infinity", "[]", "9007199254740993"),
  );
  const parts = Object.entries(params).map(([name, spec]) =>
    fc.oneof(
      { weight: 5, arbitrary: spec.valid.map((v) => `${name}=${uri(v)}`) },
      { weight: 3, arbitrary: (spec.bad ?? badValue).map((v) => `${name}=${uri(v)}`) },
      {
        weight: 1,
        arbitrary: fc.tuple(spec.valid, badValue).map(([a, b]) => `${name}=${uri(a)}&${name}=${uri(b)}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(`${name}=%ZZ`, `${name}`, `${name}=`, `${name}[]=1`, `${name}[a]=1`),
      },
      { weight: 2, arbitrary: fc.constant("") },
    ),
  );
  const junk = fc.oneof(
    { weight: 8, arbitrary: fc.constant("") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "__proto__=1",
        "constructor[prototype][x]=1",
        "x=1",
        "&&&",
        "=",
        "%ZZ=1",
        `a=${"b".repeat(10_000)}`,
      ),
    },
  );
  return fc.tuple(fc.tuple(...parts), junk).map(([ps, j]) => {
    const all = [...ps, j].filter((p) => p !== "");
    return all.length === 0 ? "" : `?${all.join("&")}`;
  });
}

/** Content types: mostly JSON, sometimes wrong, odd or missing. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "APPLICATION/JSON",
      "text/plain",
      "text/csv",
      "application/xml",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "application/jsonx",
      "application/problem+json",
      "",
      "*/*",
    ),
  },
);

/** The JSON text of a string arbitrary's values. */
export function quoted(strings: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return strings.map(q);
}

/** Extra headers a client should not send: junk names and values, duplicated auth-looking ones. */
export const junkHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom(
        "x-jl-signer",
        "x-jl-nonce",
        "x-jl-target",
        "authorization",
        "accept",
        "x-forwarded-for",
        "content-length",
        "transfer-encoding",
        "x-junk",
        "accept-encoding",
        "cookie",
      ),
      fc.oneof(
        fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
        fc.constantFrom("", "0", "-1", "gzip", "Bearer ", "chunked", "99999999999"),
      ),
      { maxKeys: 3 },
    ),
  },
);

/**
 * A JSON document with one value replaced by hostile JSON text (or removed, or an unknown key
 * added), or left as it is. `document` is a parsed JSON value; the result is JSON text.
 */
export function mutatedJson(
  document: unknown,
  replacement: fc.Arbitrary<string> = fc.oneof(scalarText, jsonText, quoted(badHash), hostileAmountText),
): fc.Arbitrary<string> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    paths.push(path);
    if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(document, []);
  const SLOT = "__FUZZ_SLOT_7f3a__";
  const at = (path: string[], edit: (parent: Record<string, unknown>, key: string) => void): unknown => {
    const copy = structuredClone(document) as Record<string, unknown>;
    if (path.length === 0) return copy;
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    edit(parent, path[path.length - 1]!);
    return copy;
  };
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(JSON.stringify(document)) },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.nat({ max: paths.length - 1 }), replacement).map(([i, text]) => {
        const path = paths[i]!;
        if (path.length === 0) return text;
        return JSON.stringify(at(path, (p, k) => void (p[k] = SLOT))).replace(JSON.stringify(SLOT), text);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: paths.length - 1 })
        .map((i) =>
          JSON.stringify(at(paths[i]!, (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k]))),
        ),
    },
    // a genuine-looking value swapped in: a different 32-byte hex where there was one (tampering)
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat({ max: paths.length - 1 }), hex32).map(([i, h]) =>
        JSON.stringify(
          at(paths[i]!, (p, k) => {
            if (typeof p[k] === "string" && /^0x[0-9a-f]{64}$/i.test(p[k])) p[k] = h;
          }),
        ),
      ),
    },
  );
}

/**
 * The catch-all route's requests: any method, one of `oddPaths` (near misses of the service's
 * own paths) or a hostile path, and sometimes a hostile body (sent as JSON unless GET or HEAD).
 */
export const strayRequest = (oddPaths: string[]) =>
  fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
    path: fc.oneof(
      fc.constantFrom(...oddPaths),
      hostileString.map((s) => `/${uri(s).slice(0, 3000)}`),
    ),
    body: fc.option(hostileBody, { nil: undefined }),
  });

/** Whether a stray request carries its body: GET and HEAD never do. */
export const sendsBody = (c: { method: string; body: string | Buffer | undefined }): boolean =>
  c.body !== undefined && c.method !== "GET" && c.method !== "HEAD";
