// Canonical applications as the node keeps them: the whole application (with the borrower's
// personal data) sealed with AES-256-GCM under the node's data key, keyed by a random id. Only
// the HMAC borrower key and the routing decision sit beside it in the clear.
import { randomBytes } from "node:crypto";
import type { Sublevel as LevelSublevel } from "../../common/level.ts";
import type { CanonicalApplication } from "./channels/canonical.ts";
import { nodeError } from "./errors.ts";
import { open, seal } from "./privacy/crypto-box.ts";

type Sublevel = LevelSublevel<string, Uint8Array>;

/** Index of a platform node's submitted applications: the platform's own application id → this node's id. */
const SUBMITTED = "submitted!";
const STORE_ID = /^app_[0-9a-f]{24}$/;

export type StoredApplication = {
  applicationId: string;
  borrowerKey: string;
  assignedBranch: number;
  channel: string;
  createdAt: string;
  application: CanonicalApplication;
};

const replacer = (_key: string, value: unknown) =>
  typeof value === "bigint" ? { $bigint: value.toString() } : value;
const reviver = (_key: string, value: unknown) =>
  value !== null &&
  typeof value === "object" &&
  Object.keys(value).length === 1 &&
  typeof (value as { $bigint?: unknown }).$bigint === "string"
    ? BigInt((value as { $bigint: string }).$bigint)
    : value;

export class ApplicationStore {
  readonly #db: Sublevel;
  readonly #key: Uint8Array;

  constructor(db: Sublevel, key: Uint8Array) {
    this.#db = db;
    this.#key = key;
  }

  /**
   * Store an application. `indexSubmitted`: a platform's node indexes the applications it
   * submitted by the platform's own application id, to find the one a branch asks it to co-fund.
   */
  async put(
    entry: Omit<StoredApplication, "applicationId" | "createdAt">,
    now = new Date(),
    options: { indexSubmitted?: boolean } = {},
  ): Promise<StoredApplication> {
    const applicationId = `app_${randomBytes(12).toString("hex")}`;
    const stored: StoredApplication = { ...entry, applicationId, createdAt: now.toISOString() };
    const plaintext = new TextEncoder().encode(JSON.stringify(stored, replacer));
    const record = {
      type: "put" as const,
      key: applicationId,
      value: seal(this.#key, plaintext, new TextEncoder().encode(applicationId)),
    };
    const index = {
      type: "put" as const,
      key: `${SUBMITTED}${entry.application.applicationId}`,
      value: new TextEncoder().encode(applicationId),
    };
    await this.#db.batch(options.indexSubmitted === true ? [record, index] : [record]);
    return stored;
  }

  /** The application this (platform's) node submitted under the platform's own id `platformApplicationId`. */
  async getSubmitted(platformApplicationId: string): Promise<StoredApplication> {
    const id = await this.#db.get(`${SUBMITTED}${platformApplicationId}`);
    if (id === undefined)
      throw nodeError(
        "NODE_ERR_UNKNOWN_APPLICATION",
        `this node submitted no application ${platformApplicationId}`,
      );
    return this.get(new TextDecoder().decode(id));
  }

  /** The newest `limit` applications stored here, newest first (each opened: the staff's inbox). */
  async list(limit: number): Promise<StoredApplication[]> {
    const all: StoredApplication[] = [];
    for await (const key of this.#db.keys()) if (STORE_ID.test(key)) all.push(await this.get(key));
    return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
  }

  async get(applicationId: string): Promise<StoredApplication> {
    // only this store's own ids: an index key is no application
    if (!STORE_ID.test(applicationId))
      throw nodeError("NODE_ERR_UNKNOWN_APPLICATION", `no application ${applicationId} at this node`);
    const sealed = await this.#db.get(applicationId);
    if (sealed === undefined)
      throw nodeError("NODE_ERR_UNKNOWN_APPLICATION", `no application ${applicationId} at this node`);
    const plaintext = open(this.#key, sealed, new TextEncoder().encode(applicationId));
    return JSON.parse(new TextDecoder().decode(plaintext), reviver) as StoredApplication;
  }
}
