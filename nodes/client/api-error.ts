// A node's error answer as an Error: the HTTP status, the stable code from the node's error
// catalogue (HTTP_<status> where the answer carries none) and the answer's body. Shared by the
// HTTP client (node-api.ts) and the console, which bundles it for the browser: no Node APIs here.

export class NodeApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The node's error envelope, `{ error: { code, message } }`, where the answer holds one. */
export function errorEnvelope(body: unknown): { code?: string; message?: string } | undefined {
  return (body as { error?: { code?: string; message?: string } } | undefined)?.error;
}
