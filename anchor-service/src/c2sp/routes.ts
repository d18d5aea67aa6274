// The C2SP read API beside /v1: GET /checkpoint (the latest cosigned checkpoint that met the
// witness policy) and GET /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>] (c2sp.org/tlog-tiles)
// for that checkpoint's tree. Tiles are immutable: cached for a year.
import type { FastifyInstance } from "fastify";
import { parseTilePath, TileError } from "../../../common/formats/checkpoint/tiles.ts";
import { anchorError } from "../errors.ts";
import { readEntryBundle, readTile, TileNotFound, type TileSource } from "./tiles.ts";

export type C2spRouteDeps = {
  tiles: TileSource;
  /** The latest published checkpoint note and its size (undefined: none yet). */
  published: () => { size: number; note: string } | undefined;
};

export function registerC2spRoutes(app: FastifyInstance, deps: C2spRouteDeps): void {
  app.get(
    "/checkpoint",
    { schema: { summary: "The latest witnessed checkpoint (c2sp.org/tlog-checkpoint)" } },
    async (_r, reply) => {
      const published = deps.published();
      if (published === undefined)
        throw anchorError("ANCHOR_ERR_NO_CHECKPOINT", "no checkpoint has met the witness policy yet");
      return reply.type("text/plain; charset=utf-8").header("cache-control", "no-cache").send(published.note);
    },
  );

  app.get<{ Params: { "*": string } }>(
    "/tile/*",
    { schema: { summary: "A Merkle tile or entry bundle of the published tree (c2sp.org/tlog-tiles)" } },
    async (request, reply) => {
      let coordinates;
      try {
        coordinates = parseTilePath(request.params["*"]);
      } catch (error) {
        if (error instanceof TileError) throw anchorError("ANCHOR_ERR_BAD_TILE_PATH", error.message);
        throw error;
      }
      const size = deps.published()?.size ?? 0;
      try {
        const { level, index, width } = coordinates;
        const body =
          level === "entries"
            ? await readEntryBundle(deps.tiles, size, index, width)
            : await readTile(deps.tiles, size, level, index, width);
        return await reply
          .type("application/octet-stream")
          .header("cache-control", "public, max-age=31536000, immutable")
          .send(Buffer.from(body.buffer, body.byteOffset, body.length));
      } catch (error) {
        if (error instanceof TileNotFound) throw anchorError("ANCHOR_ERR_UNKNOWN_TILE", error.message);
        throw error;
      }
    },
  );
}
