// Masking of personal data for API output and logs. One table (PII_FIELDS) names the fields
// that hold personal data and how each is masked; maskApplication (API responses),
// redactForLog (a pino serializer) and PII_LOG_REDACT (pino's `redact` option) all use it, so a
// field added here is masked everywhere.
//
// Every mask is idempotent (mask(mask(x)) === mask(x)): pino may hand the same value to the
// censor twice when two redact paths match it, and a masked value must never be re-masked into
// something else. Values that are not strings or numbers are replaced whole.
import { residentIdCheckChar } from "./borrower-key.ts";

export type MaskKind = "id" | "phone" | "name" | "account" | "address" | "secret";

/** Fields holding personal data, by exact property name, and their mask. */
export const PII_FIELDS: Readonly<Record<string, MaskKind>> = Object.freeze({
  idNumber: "id",
  idNo: "id",
  idCard: "id",
  idCardNumber: "id",
  certNo: "id",
  identityNumber: "id",
  phone: "phone",
  phoneNumber: "phone",
  mobile: "phone",
  mobilePhone: "phone",
  tel: "phone",
  name: "name",
  fullName: "name",
  realName: "name",
  borrowerName: "name",
  applicantName: "name",
  customerName: "name",
  contactName: "name",
  holderName: "name",
  accountName: "name",
  account: "account",
  accountNo: "account",
  accountNumber: "account",
  bankAccount: "account",
  cardNo: "account",
  cardNumber: "account",
  bankCard: "account",
  address: "address",
  homeAddress: "address",
  workAddress: "address",
  residentialAddress: "address",
  creditReport: "secret",
});

export const REDACTED = "[REDACTED]";

// 复姓: compound surnames kept whole, so 欧阳娜娜 shows as 欧阳** rather than 欧***.
const COMPOUND_SURNAMES = new Set([
  "欧阳",
  "司马",
  "上官",
  "诸葛",
  "东方",
  "皇甫",
  "尉迟",
  "公孙",
  "慕容",
  "长孙",
  "宇文",
  "司徒",
  "夏侯",
  "轩辕",
  "令狐",
  "端木",
  "南宫",
  "西门",
  "独孤",
  "澹台",
  "百里",
  "呼延",
  "钟离",
  "申屠",
  "太史",
  "闻人",
  "万俟",
  "濮阳",
  "淳于",
  "单于",
  "公冶",
  "赫连",
  "拓跋",
  "完颜",
  "司空",
  "东郭",
]);

const stars = (n: number): string => "*".repeat(Math.max(0, n));

/** ID numbers: first 3 and last 4 kept (110***********1234); 7 characters or fewer: all stars. */
export function maskIdNumber(value: string): string {
  const s = value.replace(/\s+/g, "");
  if (s.length <= 7) return stars(s.length);
  return `${s.slice(0, 3)}${stars(s.length - 7)}${s.slice(-4)}`;
}

/** Phones: a +86/0086 prefix and separators dropped, first 3 and last 4 kept (138****5678). */
export function maskPhone(value: string): string {
  let s = value.replace(/[\s()-]+/g, "");
  s = s.replace(/^(\+86|0086)/, "");
  if (s.length <= 7) return stars(s.length);
  return `${s.slice(0, 3)}${stars(s.length - 7)}${s.slice(-4)}`;
}

/**
 * Names: the first character kept (the surname), every other one a star: 张三 → 张*, 张三丰 →
 * 张**; a compound surname is kept whole when a given name follows (欧阳娜娜 → 欧阳**). A
 * one-character name is all stars. Counted in code points, so CJK extension characters count once.
 */
export function maskName(value: string): string {
  const chars = [...value.trim()];
  if (chars.length <= 1) return stars(chars.length);
  const keep = chars.length > 2 && COMPOUND_SURNAMES.has(chars[0]! + chars[1]!) ? 2 : 1;
  return chars.slice(0, keep).join("") + stars(chars.length - keep);
}

/** Bank accounts: always `**** **** **** 1234` (length hidden); fewer than 8 characters: `****`. */
export function maskAccount(value: string): string {
  const s = value.replace(/[\s-]+/g, "");
  if (s.length < 8) return "****";
  return `**** **** **** ${s.slice(-4)}`;
}

/** Addresses: the first 6 characters (province and city, as a rule) and `****`. */
export function maskAddress(value: string): string {
  const chars = [...value.trim()];
  if (chars.length <= 6) return "****";
  return `${chars.slice(0, 6).join("")}****`;
}

/** The mask of a property name, if it holds personal data (own keys only: not "constructor"). */
export function piiKindOf(field: string): MaskKind | undefined {
  return Object.hasOwn(PII_FIELDS, field) ? PII_FIELDS[field] : undefined;
}

/** Masks one value as `kind`. Numbers are masked as their decimal string; other types vanish. */
export function maskValue(kind: MaskKind, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (kind === "secret") return REDACTED;
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") return REDACTED;
  const s = String(value);
  switch (kind) {
    case "id":
      return maskIdNumber(s);
    case "phone":
      return maskPhone(s);
    case "name":
      return maskName(s);
    case "account":
      return maskAccount(s);
    case "address":
      return maskAddress(s);
  }
}

/**
 * A deep copy of `value` with every PII_FIELDS property masked, at any depth, in plain objects
 * and arrays. Other objects (Date, Buffer, class instances) are kept as they are; a cycle
 * becomes "[Circular]"; below 16 levels the rest is replaced by REDACTED (fail closed).
 */
export function maskPii<T>(value: T): T {
  return walk(value, new WeakSet(), 0) as T;
}

/**
 * A loan application (or any response body holding one) as the API may show it. The shape is
 * known by its field names: applicant, co-borrowers, contacts and accounts all use names from
 * PII_FIELDS, at whatever depth they sit.
 */
export function maskApplication<T>(application: T): T {
  return maskPii(application);
}

/** A pino serializer: the same masking as maskApplication, for objects logged under a key. */
export function redactForLog(value: unknown): unknown {
  return maskPii(value);
}

const MAX_DEPTH = 16;
// pino's redact paths are literal; wildcards cover PII fields down to five levels
// (`req.body.coBorrowers.0.idNumber`). Deeper objects should go through redactForLog.
const REDACT_DEPTH = 5;

/**
 * pino `redact` paths for every PII_FIELDS name at levels 1–5 (`idNumber`, `*.idNumber`, …,
 * `*.*.*.*.idNumber`). Top-level `name` is left out: it is pino's logger name.
 */
export const PII_LOG_REDACT_PATHS: readonly string[] = Object.freeze(
  Object.keys(PII_FIELDS).flatMap((field) =>
    Array.from({ length: REDACT_DEPTH }, (_, depth) => `${"*.".repeat(depth)}${field}`).filter(
      (path) => path !== "name",
    ),
  ),
);

/** pino's censor: masks by the last path segment, so a line keeps its shape and last digits. */
export function censorPii(value: unknown, path: readonly (string | symbol)[]): unknown {
  const field = path[path.length - 1];
  const kind = typeof field === "string" ? piiKindOf(field) : undefined;
  return kind === undefined ? REDACTED : maskValue(kind, value);
}

/** The `redact` option for the node's logger: `pino({ redact: PII_LOG_REDACT, … })`. */
export const PII_LOG_REDACT = Object.freeze({ paths: [...PII_LOG_REDACT_PATHS], censor: censorPii });

/** A 32-byte hex value (loan, document, flow ids, borrower keys): pseudonymous, kept in logs whole. */
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

function scrubUrlPart(raw: string, inQuery: boolean): string {
  let text: string;
  try {
    // a + is a space only in a query string
    text = decodeURIComponent(inQuery ? raw.replace(/\+/g, " ") : raw);
  } catch {
    return REDACTED; // undecodable: its digits could hide behind %3x escapes
  }
  return HEX32.test(text) ? text : scrubFreeText(text);
}

/**
 * A request URL as a log may show it: every path segment, query name and query value decoded and
 * run through scrubFreeText (ID numbers, phones, account numbers masked; a 32-byte hex id kept);
 * a query parameter named like a PII field (`?idNumber=`, `?phone=`) masked by its kind. The
 * path and the parameter names stay readable: `/v1/documents/0x…?purpose=查阅 110***********1233`.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf("#");
  const bare = hash === -1 ? url : url.slice(0, hash);
  const question = bare.indexOf("?");
  const path = question === -1 ? bare : bare.slice(0, question);
  const out = path
    .split("/")
    .map((segment) => (segment === "" ? "" : scrubUrlPart(segment, false)))
    .join("/");
  if (question === -1) return out;
  const query = bare
    .slice(question + 1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = scrubUrlPart(equals === -1 ? pair : pair.slice(0, equals), true);
      if (equals === -1) return name;
      const kind = piiKindOf(name);
      const raw = pair.slice(equals + 1);
      const value =
        kind === undefined ? scrubUrlPart(raw, true) : String(maskValue(kind, scrubUrlPart(raw, true)));
      return `${name}=${value}`;
    });
  return `${out}?${query.join("&")}`;
}

/**
 * pino's `req` serializer for the node (Fastify logs every request under `req`): what Fastify's
 * own serializer shows, with the URL through redactUrl. Query strings carry free text (a
 * document access's `?purpose=`), which reached the request log unmasked.
 */
export function requestForLog(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === "string" ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** The node logger's serializers: requests through requestForLog, applications and bodies through redactForLog. */
export const PII_LOG_SERIALIZERS = Object.freeze({
  req: requestForLog,
  application: redactForLog,
  body: redactForLog,
});

/** The node logger's options besides its level: `pino({ level, ...PII_LOG_OPTIONS })` (server.ts, service.ts). */
export const PII_LOG_OPTIONS = Object.freeze({ redact: PII_LOG_REDACT, serializers: PII_LOG_SERIALIZERS });

/**
 * Masks ID-number, phone and account-like digit runs inside free text (an access purpose, a
 * note) before it is stored or logged. It cannot find names or addresses: keep those out.
 */
export function scrubFreeText(text: string): string {
  return text
    .replace(/(?<!\d)\d{17}[\dXx](?![\dA-Za-z])/g, (m) => maskIdNumber(m))
    .replace(/(?<!\d)1[3-9]\d{9}(?!\d)/g, (m) => maskPhone(m))
    .replace(/\d{12,}/g, (m) => maskAccount(m));
}

/**
 * The kind of personal data `text` visibly holds, if any: an 18-character resident ID number
 * whose GB 11643 check character matches, a mainland mobile number (1[3-9] and 9 digits), or a
 * 16–19 digit card number (optionally in groups of 4) that passes the Luhn check. Precise on
 * purpose, so that ordinary numbers (timestamps, serials) pass; it cannot see names or addresses.
 */
export function findPiiPattern(text: string): MaskKind | undefined {
  for (const m of text.matchAll(/(?<![0-9A-Za-z])(\d{17})([\dXx])(?![0-9A-Za-z])/g)) {
    if (residentIdCheckChar(m[1]!) === m[2]!.toUpperCase()) return "id";
  }
  if (/(?<!\d)1[3-9]\d{9}(?!\d)/.test(text)) return "phone";
  for (const m of text.matchAll(/(?<![\d -])(\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![\d])/g)) {
    if (luhnValid(m[1]!.replace(/[ -]/g, ""))) return "account";
  }
  return undefined;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function walk(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    if (seen.has(value)) return "[Circular]";
    seen.add(value);
    const out = value.map((item) => walk(item, seen, depth + 1));
    seen.delete(value);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kind = piiKindOf(key);
    out[key] = kind === undefined ? walk(item, seen, depth + 1) : maskValue(kind, item);
  }
  seen.delete(value);
  return out;
}
