// Calls to the service that served this page (same origin: besides it, only the chain endpoints
// of /verify/config.json are reachable under the page's Content-Security-Policy, and only
// verifier.js asks those). Errors keep the service's stable code.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(path, init) {
  let response;
  try {
    response = await fetch(path, { ...init, credentials: "omit", cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "NETWORK", e instanceof Error ? e.message : String(e));
  }
  const text = await response.text();
  let body;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(
      response.status,
      "NOT_JSON",
      `${path} answered ${response.status} with a body that is not JSON`,
    );
  }
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(
      response.status,
      error.code ?? `HTTP_${response.status}`,
      error.message ?? `${path} answered ${response.status}`,
    );
  }
  return body;
}

export const api = {
  /** The serving node's settings for the page: chain endpoints, trust anchor, TSA roots (serve.ts). */
  pageSettings: () => call("/verify/config.json"),
  info: () => call("/v1/info"),
  digest: (digest) => call(`/v1/digests/${digest}`),
  bundle: (leafHash) => call(`/v1/bundles/${leafHash}`),
  verify: (bundle, documentDigest) =>
    call("/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      // only the digest is sent, never the document
      body: JSON.stringify(documentDigest === null ? { bundle } : { bundle, documentDigest }),
    }),
  /** The serving node verifies the bundle itself and signs a certificate with its seal (court-page/reports.ts). */
  signedReport: (bundle, documentDigest) =>
    call("/verify/reports", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(documentDigest === null ? { bundle } : { bundle, documentDigest }),
    }),
  lifecycle: (leafHash) => call(`/v1/lifecycle/${leafHash}`),
  member: (id) => call(`/v1/members/${id}`),
};
