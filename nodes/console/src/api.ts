// The node's API as the console calls it: the session's bearer token (kept in sessionStorage,
// so it dies with the tab and with the session's expiry), JSON in and out, the node's error
// envelope turned into an Error carrying its code.
import { NodeApiError, errorEnvelope } from "../../client/api-error.ts";

export type Session = { token: string; user: string; role: string; expiresAt: number };

const KEY = "jl.console.session";

export function savedSession(): Session | undefined {
  const text = sessionStorage.getItem(KEY);
  if (text === null) return undefined;
  const session = JSON.parse(text) as Session;
  if (session.expiresAt <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return session;
}

export function saveSession(session: Session | undefined): void {
  if (session === undefined) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** Called when the node no longer knows the session (expired, logged out, account changed). */
let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function api<T>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  /** Send `body` (a file's text) as it is, with this media type, instead of as JSON. */
  fileType?: string,
): Promise<T> {
  const session = savedSession();
  const headers: Record<string, string> = {};
  if (session !== undefined) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["content-type"] = fileType ?? "application/json";
  const response = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: fileType === undefined ? JSON.stringify(body) : (body as string) }),
  });
  const text = await response.text();
  // a file answer (a result CSV) comes back as its text
  const isJson = response.headers.get("content-type")?.includes("json") ?? true;
  const json = text === "" ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
  if (!response.ok) {
    const error = errorEnvelope(json);
    if (response.status === 401 && session !== undefined && path !== "/v1/staff/sessions") {
      saveSession(undefined);
      onUnauthenticated();
    }
    throw new NodeApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? text,
      json,
    );
  }
  return json as T;
}

/** A file the node answers (the audit trail's CSV), saved by the browser. */
export async function download(path: string, filename: string): Promise<void> {
  const session = savedSession();
  const response = await fetch(path, {
    headers: session === undefined ? {} : { authorization: `Bearer ${session.token}` },
  });
  if (!response.ok)
    throw new NodeApiError(response.status, `HTTP_${response.status}`, await response.text(), undefined);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}
