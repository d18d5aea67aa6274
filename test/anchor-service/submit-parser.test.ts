// The fast body parser of POST /v1/leaves (anchor-service/src/intake/submit-parser.ts) must agree
// with the general way (JSON.parse, the zod SubmitBody schema, then packing): whatever it accepts,
// the general way accepts with the same packed bytes and submitters; what it declines (escapes,
// repeated or unknown keys, fractions, exponents, empty lists, too many records) goes the general
// way, which keeps every error code and message. The general way refuses any object that names
// a key twice (duplicateKeyIn), which JSON.parse would otherwise resolve to the last.
import { expect } from "chai";
import fc from "fast-check";
import type { EvidenceRecord } from "../../common/formats/leaf/leaf.ts";
import { encodeLeaf } from "../../common/formats/leaf/leaf.ts";
import { hashLeaf } from "../../common/formats/merkle/rfc9162.ts";
import { duplicateKeyIn, parseSubmitBody } from "../../anchor-service/src/intake/submit-parser.ts";
import { SubmitBody } from "../../anchor-service/src/schemas/leaves.ts";
import { RECORD_BYTES, leafHashOfPacked, packRecord } from "../../common/formats/leaf/packed.ts";

const enc = (text: string) => Buffer.from(text, "utf8");
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

/** The general way: JSON.parse, the schema, then each record packed (submitter 0 until assigned). */
function general(text: string): { packed: Uint8Array; submitters: number[] } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = SubmitBody.safeParse(value);
  if (!parsed.success) return undefined;
  const packed = new Uint8Array(parsed.data.records.length * RECORD_BYTES);
  parsed.data.records.forEach((r, i) => {
    const record = {
      version: 1,
      kind: r.kind,
      digestAlgorithm: r.digestAlgorithm,
      digest: r.digest.toLowerCase(),
      salt: r.salt.toLowerCase(),
      submitter: 0,
      subject: r.subject.toLowerCase(),
    } as EvidenceRecord;
    packed.set(packRecord(record), i * RECORD_BYTES);
  });
  return { packed, submitters: parsed.data.records.map((r) => r.submitter ?? 0) };
}

// each bytes32 in lowercase, uppercase or mixed case
const bytes32 = fc
  .record({
    b: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    mask: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map(
    ({ b, mask }) =>
      `0x${[...Buffer.from(b).toString("hex")].map((c, i) => (mask[i]! % 2 === 0 ? c : c.toUpperCase())).join("")}`,
  );
const ws = fc.constantFrom("", " ", "\n", "\t", "\r\n  ");
/** Mostly a valid value, sometimes one of the invalid ones (the parsers must then agree on declining). */
const mostly = (valid: fc.Arbitrary<string>, invalid: string[]) =>
  fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
const fields = {
  version: mostly(fc.constant("1"), ["1.0", "2", "01", '"1"', "null"]),
  kind: mostly(fc.constantFrom("1", "2", "3", "4", "5", "6", "7"), ["0", "8", "7e0", "-1", "true"]),
  digestAlgorithm: mostly(fc.constantFrom("1", "2"), ["3", "1.5", "2E0"]),
  digest: mostly(
    bytes32.map((h) => JSON.stringify(h)),
    ['"0x12"', "1"],
  ),
  salt: mostly(
    bytes32.map((h) => JSON.stringify(h)),
    [`"0x${"g".repeat(64)}"`],
  ),
  submitter: mostly(fc.constantFrom("2", "1", "4294967295"), [
    "4294967296",
    "0",
    "12345678901",
    "2.0",
    "null",
    '"2"',
  ]),
  subject: mostly(
    bytes32.map((h) => JSON.stringify(h)),
    ['"00"'],
  ),
};
type Field = keyof typeof fields;
/** Usually null, now and then a value. */
const rarely = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 30 }, { arbitrary: value, weight: 1 });
const REQUIRED: Field[] = ["kind", "digestAlgorithm", "digest", "salt"];
const record = fc
  .record({
    optional: fc.subarray<Field>(["version", "submitter", "subject"]),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    dropRequired: rarely(fc.constantFrom(...REQUIRED)),
    extra: rarely(fc.constantFrom('"note":"x"', '"kind":2')),
    values: fc.record(fields),
    ws,
  })
  .map(({ optional, order, dropRequired, extra, values, ws: w }) => {
    const keys = [...REQUIRED.filter((k) => k !== dropRequired), ...optional]
      .map((k, i) => ({ k, o: order[i]! }))
      .sort((x, y) => x.o - y.o)
      .map((x) => x.k);
    const members = keys.map((k) => `${w}"${k}"${w}:${w}${values[k]}`);
    if (extra !== null) members.push(extra);
    return `{${members.join(",")}${w}}`;
  });
const body = fc
  .record({ records: fc.array(record, { minLength: 0, maxLength: 6 }), ws })
  .map(({ records, ws: w }) => `${w}{${w}"records"${w}:${w}[${records.join(`,${w}`)}]${w}}${w}`);

describe("anchor intake: the fast body parser agrees with JSON.parse + zod", function () {
  it("accepts only what the general way accepts, with the same packed records and submitters", function () {
    let accepted = 0;
    fc.assert(
      fc.property(body, (text) => {
        const fast = parseSubmitBody(enc(text), 10_000);
        const slow = general(text);
        if (fast === undefined) return true; // declined: the general way decides
        accepted++;
        if (slow === undefined) throw new Error(`fast path accepted what the schema refuses: ${text}`);
        expect(hex(fast.packed)).to.equal(hex(slow.packed));
        expect([...fast.submitters]).to.deep.equal(slow.submitters);
        return true;
      }),
      { numRuns: 3000 },
    );
    expect(accepted, "the generator produces plain bodies too").to.be.greaterThan(500);
  });

  it("declines escapes, repeated or unknown keys, fractions, exponents, empty or too long lists, trailing bytes", function () {
    const r = `"kind":1,"digestAlgorithm":1,"digest":"0x${"ab".repeat(32)}","salt":"0x${"cd".repeat(32)}"`;
    expect(parseSubmitBody(enc(`{"records":[{${r}}]}`), 10)).to.not.equal(undefined);
    for (const text of [
      `{"records":[{${r.replace('"kind"', '"\\u006bind"')}}]}`,
      `{"records":[{${r},"kind":2}]}`,
      `{"records":[{${r},"note":"x"}]}`,
      `{"records":[{${r.replace('"kind":1', '"kind":1.0')}}]}`,
      `{"records":[{${r.replace('"kind":1', '"kind":1e0')}}]}`,
      `{"records":[]}`,
      `{"records":[{${r}}],"more":1}`,
      `{"records":[{${r}}]}x`,
      `\ufeff{"records":[{${r}}]}`,
    ]) {
      expect(parseSubmitBody(enc(text), 10), text).to.equal(undefined);
    }
    // more records than allowed: declined, so the general way answers ANCHOR_ERR_TOO_MANY_RECORDS
    expect(parseSubmitBody(enc(`{"records":[{${r}},{${r}}]}`), 2)?.count).to.equal(2);
    expect(parseSubmitBody(enc(`{"records":[{${r}},{${r}}]}`), 1)).to.equal(undefined);
  });

  it("duplicateKeyIn finds the first key an object repeats (decoded, at any depth) and nothing else", function () {
    const cases: Array<[string, string | undefined]> = [
      ['{"records":[{"kind":7,"kind":1}]}', "records[0].kind"],
      ['{"records":[],"records":[]}', "records"],
      ['{"a":{"b":[1,{"c":1,"d":{"e":1,"e":2}}]}}', "a.b[1].d.e"],
      ['[{"x":1},{"x":1,"x":2}]', "[1].x"],
      ['{"kind":1,"kin\\u0064":2}', "kind"],
      ['{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
      ['{"k":"\\"k\\":1,","k2":["k","k"]}', undefined],
      ['{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}', undefined],
      ['{"":1,"":2}', ""],
      ['[[],{},[{}],{"a":[]}]', undefined],
      ['{"a":[{},{}],"b":1}', undefined],
    ];
    for (const [text, path] of cases) {
      JSON.parse(text); // every case is valid JSON
      expect(duplicateKeyIn(enc(text)), text).to.equal(path);
    }
    // JSON written by a serializer, whatever its strings and nesting, repeats no key: none is found
    fc.assert(
      fc.property(fc.json({ depthSize: "small" }), (text) => {
        expect(duplicateKeyIn(enc(text))).to.equal(undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("leafHashOfPacked is hashLeaf(encodeLeaf(record)) for every kind, algorithm and submitter edge", function () {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 5, 6, 7),
        fc.constantFrom(1, 2),
        fc.uint8Array({ minLength: 96, maxLength: 96 }),
        fc.constantFrom(1, 2, 255, 256, 65_536, 16_777_216, 4_294_967_295),
        (kind, digestAlgorithm, raw, submitter) => {
          const record = {
            version: 1,
            kind,
            digestAlgorithm,
            digest: hex(raw.subarray(0, 32)),
            salt: hex(raw.subarray(32, 64)),
            submitter,
            subject: hex(raw.subarray(64)),
          } as EvidenceRecord;
          const packed = new Uint8Array(3 * RECORD_BYTES);
          packed.set(packRecord(record), RECORD_BYTES);
          expect(hex(leafHashOfPacked(packed, RECORD_BYTES))).to.equal(hex(hashLeaf(encodeLeaf(record))));
        },
      ),
      { numRuns: 300 },
    );
  });
});
