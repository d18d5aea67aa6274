// The channels this node accepts applications from. Adding a platform: one adapter file next to
// this one, and one line in CHANNELS (README.md).
import type { CanonicalApplication } from "./canonical.ts";
import { type Channel, type ChannelContext, convertWith } from "./channel.ts";
import { ChannelError } from "./errors.ts";
import { huinong } from "./huinong.ts";
import { jiedaibao } from "./jiedaibao.ts";
import { rongyitong } from "./rongyitong.ts";

const CHANNELS: readonly Channel[] = [jiedaibao, rongyitong, huinong];

const BY_ID: ReadonlyMap<string, Channel> = new Map(CHANNELS.map((c) => [c.id, c]));
if (BY_ID.size !== CHANNELS.length) throw new Error("channels/registry.ts: two channels share an id");

/** The adapter for `id`; NODE_ERR_UNKNOWN_CHANNEL if there is none. */
export function channelFor(id: string): Channel {
  const channel = BY_ID.get(id);
  if (channel === undefined) {
    throw new ChannelError(
      "NODE_ERR_UNKNOWN_CHANNEL",
      `no channel ${JSON.stringify(id)}; known: ${channelIds().join(", ")}`,
      [{ field: "channel", message: `one of ${channelIds().join(", ")}` }],
    );
  }
  return channel;
}

/** Ids of every registered channel, sorted. */
export function channelIds(): string[] {
  return [...BY_ID.keys()].sort();
}

/** A platform payload → the canonical application. Throws ChannelError. */
export function convertApplication(
  channelId: string,
  payload: unknown,
  context: ChannelContext,
): CanonicalApplication {
  return convertWith(channelFor(channelId), payload, context);
}
