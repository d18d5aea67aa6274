// The security headers of the service's browser-facing pages. The court verification page
// (routes/verify-page.ts) sets its own; the API docs (/docs, Swagger UI) get the same policy —
// only this origin, no framing, no referrer, no sniffing — with one addition Swagger UI needs:
// its stylesheet draws its icons from data: URLs.
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const DOCS_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DOCS_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};
