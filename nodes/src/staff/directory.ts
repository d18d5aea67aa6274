// The node's back-office accounts as the admin keeps them: the configured users (NODE_USERS) to
// start with, then accounts the admin creates, disables, re-enables, gives another role or a new
// token. Authentication stays where it is (http/auth.ts): it reads `users`, a list this
// directory keeps in place — each enabled account's API token and each open console session
// (a short-lived token a login hands out, removed when it expires or its account changes).
// Tokens are stored only as their SHA-256; a new token is shown once, to the admin who made it.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { ApiUser } from "../config.ts";
import type { Role } from "../actor.ts";
import { FailedTokenLimiter } from "../../../common/auth/failed-token-limiter.ts";
import { tokenSha256 } from "../actor.ts";
import { StaffError } from "../errors.ts";

export type StaffAccount = {
  user: string;
  role: Role;
  tokenSha256: string;
  disabled: boolean;
  createdAt: number;
  changedAt: number;
};

/** An account as the admin's list shows it (no token digest). */
export type StaffAccountView = Omit<StaffAccount, "tokenSha256">;

export type StaffSession = { token: string; user: string; role: Role; expiresAt: number };

export type StaffDirectoryOptions = {
  /** How long a console session lasts (default 30 minutes). */
  sessionTtlMs?: number;
  /** Refused console logins per address before 429 (default 5 per 5 minutes). */
  loginLimiter?: FailedTokenLimiter;
  /** Where the accounts are kept across restarts (a JSON file); absent: in memory only. */
  file?: string;
  now?: () => number;
};

const DEFAULT_SESSION_TTL_MS = 30 * 60_000;

function newToken(): string {
  return randomBytes(32).toString("base64url");
}

function sameDigest(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, "hex"), Buffer.from(b, "hex"));
}

export class StaffDirectory {
  /** What authentication reads: enabled accounts' tokens and open sessions (kept in place). */
  readonly users: ApiUser[] = [];
  readonly sessionTtlMs: number;
  readonly loginLimiter: FailedTokenLimiter;
  readonly #accounts = new Map<string, StaffAccount>();
  /** Open sessions by their token's digest, each with the timer that ends it. */
  readonly #sessions = new Map<string, { user: string; timer: NodeJS.Timeout }>();
  readonly #file: string | undefined;
  readonly #now: () => number;

  private constructor(options: StaffDirectoryOptions) {
    this.sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.loginLimiter =
      options.loginLimiter ?? new FailedTokenLimiter({ maxFailures: 5, windowMs: 5 * 60_000 });
    this.#file = options.file;
    this.#now = options.now ?? Date.now;
  }

  /** The directory: the saved accounts when `options.file` exists, else the configured users. */
  static async open(
    configured: readonly ApiUser[],
    options: StaffDirectoryOptions = {},
  ): Promise<StaffDirectory> {
    const directory = new StaffDirectory(options);
    const saved = options.file === undefined ? undefined : await readSaved(options.file);
    const at = directory.#now();
    for (const account of saved ??
      configured.map((u) => ({ ...u, disabled: false, createdAt: at, changedAt: at })))
      directory.#accounts.set(account.user, account);
    // a configured user the saved file does not know yet (added to NODE_USERS since) joins it
    for (const u of configured)
      if (!directory.#accounts.has(u.user))
        directory.#accounts.set(u.user, { ...u, disabled: false, createdAt: at, changedAt: at });
    directory.#rebuild();
    return directory;
  }

  list(): StaffAccountView[] {
    return [...this.#accounts.values()]
      .map(({ tokenSha256: _digest, ...view }) => view)
      .sort((a, b) => a.user.localeCompare(b.user));
  }

  /**
   * A console session for `user` presenting its API token, from `address`: refused logins count
   * against the address (429 past the limit, before the token is looked at).
   */
  login(user: string, token: string, address: string): StaffSession {
    const wait = this.loginLimiter.retryAfterSeconds(address);
    if (wait > 0)
      throw new StaffError(
        "NODE_ERR_STAFF_LOGIN_RATE_LIMITED",
        `too many refused logins from this address; try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    const account = this.#accounts.get(user);
    const digest = tokenSha256(token);
    if (account === undefined || account.disabled || !sameDigest(account.tokenSha256, digest)) {
      const failures = this.loginLimiter.fail(address);
      throw new StaffError("NODE_ERR_STAFF_LOGIN", "unknown user, wrong token or disabled account", {
        failures,
        limit: this.loginLimiter.maxFailures,
      });
    }
    const session = newToken();
    const sessionDigest = tokenSha256(session);
    const timer = setTimeout(() => this.#endSession(sessionDigest), this.sessionTtlMs);
    timer.unref();
    this.#sessions.set(sessionDigest, { user, timer });
    this.users.push({ user, role: account.role, tokenSha256: sessionDigest });
    return { token: session, user, role: account.role, expiresAt: this.#now() + this.sessionTtlMs };
  }

  /** Whose token `token` is (an account's or a session's), when it is one in force. */
  identify(token: string): { user: string; role: Role } | undefined {
    const digest = tokenSha256(token);
    const found = this.users.find((u) => sameDigest(u.tokenSha256, digest));
    return found === undefined ? undefined : { user: found.user, role: found.role };
  }

  /** Ends the session whose token is `token` (a logout); false when there is none. */
  logout(token: string): boolean {
    const digest = tokenSha256(token);
    if (!this.#sessions.has(digest)) return false;
    this.#endSession(digest);
    return true;
  }

  /** A new enabled account with a fresh API token (answered once, here). */
  async create(user: string, role: Role): Promise<{ account: StaffAccountView; token: string }> {
    if (this.#accounts.has(user))
      throw new StaffError("NODE_ERR_STAFF_EXISTS", `an account named ${user} exists`);
    const token = newToken();
    const at = this.#now();
    this.#accounts.set(user, {
      user,
      role,
      tokenSha256: tokenSha256(token),
      disabled: false,
      createdAt: at,
      changedAt: at,
    });
    await this.#changed(user);
    return { account: this.#view(user), token };
  }

  /** Disables or re-enables `user`; disabling ends its sessions at once. */
  async setDisabled(user: string, disabled: boolean): Promise<StaffAccountView> {
    const account = this.#get(user);
    if (disabled) this.#keepAnAdmin(user, { ...account, disabled });
    this.#accounts.set(user, { ...account, disabled, changedAt: this.#now() });
    await this.#changed(user);
    return this.#view(user);
  }

  /** Gives `user` another role; its open sessions end (the next login carries the new role). */
  async setRole(user: string, role: Role): Promise<StaffAccountView> {
    const account = this.#get(user);
    this.#keepAnAdmin(user, { ...account, role });
    this.#accounts.set(user, { ...account, role, changedAt: this.#now() });
    await this.#changed(user);
    return this.#view(user);
  }

  /** A new API token for `user` (answered once); the old one and its sessions stop working. */
  async rotate(user: string): Promise<{ account: StaffAccountView; token: string }> {
    const account = this.#get(user);
    const token = newToken();
    this.#accounts.set(user, { ...account, tokenSha256: tokenSha256(token), changedAt: this.#now() });
    await this.#changed(user);
    return { account: this.#view(user), token };
  }

  /** Ends every open session's timer (the node's close). */
  close(): void {
    for (const { timer } of this.#sessions.values()) clearTimeout(timer);
    this.#sessions.clear();
    this.#rebuild();
  }

  #get(user: string): StaffAccount {
    const account = this.#accounts.get(user);
    if (account === undefined) throw new StaffError("NODE_ERR_STAFF_UNKNOWN", `no account named ${user}`);
    return account;
  }

  #view(user: string): StaffAccountView {
    const { tokenSha256: _digest, ...view } = this.#get(user);
    return view;
  }

  /** Refuses a change after which no enabled admin would be left to manage the accounts. */
  #keepAnAdmin(user: string, after: StaffAccount): void {
    const admins = [...this.#accounts.values()].filter(
      (a) => (a.user === user ? after : a).role === "admin" && !(a.user === user ? after : a).disabled,
    );
    if (admins.length === 0)
      throw new StaffError("NODE_ERR_STAFF_LAST_ADMIN", `${user} is the last enabled admin of this node`);
  }

  /** After a change to `user`: its sessions end, the token list is rebuilt, the file rewritten. */
  async #changed(user: string): Promise<void> {
    for (const [digest, session] of this.#sessions)
      if (session.user === user) {
        clearTimeout(session.timer);
        this.#sessions.delete(digest);
      }
    this.#rebuild();
    if (this.#file === undefined) return;
    const temporary = `${this.#file}.tmp`;
    await writeFile(temporary, JSON.stringify([...this.#accounts.values()], null, 2), { mode: 0o600 });
    await rename(temporary, this.#file);
  }

  #endSession(digest: string): void {
    const session = this.#sessions.get(digest);
    if (session !== undefined) clearTimeout(session.timer);
    this.#sessions.delete(digest);
    this.#rebuild();
  }

  /** The token list from the accounts and sessions, replaced in place (authentication holds the array). */
  #rebuild(): void {
    const tokens: ApiUser[] = [];
    for (const a of this.#accounts.values())
      if (!a.disabled) tokens.push({ user: a.user, role: a.role, tokenSha256: a.tokenSha256 });
    for (const [digest, session] of this.#sessions) {
      const account = this.#accounts.get(session.user);
      if (account !== undefined && !account.disabled)
        tokens.push({ user: account.user, role: account.role, tokenSha256: digest });
    }
    this.users.splice(0, this.users.length, ...tokens);
  }
}

async function readSaved(file: string): Promise<StaffAccount[] | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as StaffAccount[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
