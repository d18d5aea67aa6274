// What a channel adapter is, and the one conversion pipeline every channel goes through:
//   payload → the channel's own zod schema (strict: unknown fields are refused, not dropped)
//           → toCanonical (field conversions, each naming the channel's field on failure)
//           → CanonicalApplication (a final check; failing it is a bug in the adapter).
import { z } from "zod";
import { CanonicalApplication } from "./canonical.ts";
import { ChannelError, type ChannelErrorDetail } from "./errors.ts";
import { type ChannelContext, type CheckedContext, checkContext } from "./fields.ts";

export type { ChannelContext } from "./fields.ts";

export type Channel<S extends z.ZodType = z.ZodType> = {
  /** Lower-case id, used in routes and stored as `channel` on the canonical application. */
  readonly id: string;
  readonly description: string;
  /** The platform's payload, in its own shape. */
  readonly schema: S;
  /**
   * A payload that passed `schema`, with the node's context already checked → the canonical
   * application (method syntax: registries hold Channel<z.ZodType>).
   */
  toCanonical(input: z.output<S>, context: CheckedContext): CanonicalApplication;
};

/** Identity, for type inference of `toCanonical`'s input from the schema. */
export function defineChannel<S extends z.ZodType>(channel: Channel<S>): Channel<S> {
  return Object.freeze(channel);
}

/** A zod enum of a code table's keys: the codes a platform may send, each mapped by the table. */
export function codeOf<M extends Record<string, unknown>>(
  table: M,
): z.ZodEnum<{ [K in keyof M & string]: K }> {
  return z.enum(Object.keys(table) as [keyof M & string, ...(keyof M & string)[]]);
}

/** Zod path → "daikuan.feiyong[0].jine". */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One detail per problem; an unrecognized key is named itself, not its parent object. */
export function zodDetails(error: z.ZodError, prefix: readonly PropertyKey[] = []): ChannelErrorDetail[] {
  const details: ChannelErrorDetail[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        details.push({ field: fieldPath([...path, key]), message: "unknown field" });
    } else {
      details.push({ field: fieldPath(path) || "(payload)", message: issue.message });
    }
  }
  return details;
}

export function validationError(channelId: string, details: ChannelErrorDetail[]): ChannelError {
  const summary = details.map((d) => `${d.field}: ${d.message}`).join("; ");
  return new ChannelError(
    "NODE_ERR_CHANNEL_VALIDATION",
    `${channelId} application is invalid: ${summary}`,
    details,
  );
}

/** What an adapter converts from its own fields; the channel, platform and receipt time come from elsewhere. */
export type ApplicationParts = Pick<CanonicalApplication, "applicationId" | "borrower" | "loan" | "consent">;

/**
 * The adapter's result: its converted parts, the platform and the time of receipt from the checked
 * context, checked against the canonical schema. Adapters check every field in their own names
 * first, so a failure here names canonical fields and means the adapter missed one.
 */
export function applicationOf(
  channelId: string,
  context: CheckedContext,
  parts: ApplicationParts,
): CanonicalApplication {
  const draft: CanonicalApplication = {
    channel: channelId,
    ...parts,
    platformMemberId: context.platformMemberId,
    receivedAt: context.receivedAt,
  };
  const result = CanonicalApplication.safeParse(draft);
  if (!result.success) throw validationError(channelId, zodDetails(result.error, ["(canonical)"]));
  return result.data;
}

/** Validate `payload` against the channel's schema and convert it. Throws ChannelError. */
export function convertWith(
  channel: Channel,
  payload: unknown,
  context: ChannelContext,
): CanonicalApplication {
  const parsed = channel.schema.safeParse(payload);
  if (!parsed.success) throw validationError(channel.id, zodDetails(parsed.error));
  return channel.toCanonical(parsed.data, checkContext(context));
}
