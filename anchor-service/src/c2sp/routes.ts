// The C2SP read API beside /v1: GET /checkpoint (the latest cosigned checkpoint that met the
// witness policy) and GET /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>] (c2sp.org/tlog-tiles)
// for that checkpoint's tree. Tiles are immutable: cached for a year.
import type { FastifyInstance } from "fastify";
import { parseTilePath, TileError } from "../../../common/formats/checkpoint/tiles.ts";
import { tlogProofOfBundle } from "../../../common/formats/checkpoint/bundle-witnesses.ts";
import { anchorError } from "../errors.ts";
import { readEntryBundle, readTile, TileNotFound, type TileSource } from "./tiles.ts";

export type C2spRouteDeps = {
  /** The evidence bundle of a leaf (evidence/queries.ts), exported as a tlog-proof. */
  bundle?: (leafHash: string) => Promise<{
    leaf: { encoded: string };
    log: { leafIndex: number };
    witnessed?: { checkpoint: string; inclusionProof: string[] } | undefined;
  }>;
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

  const bundle = deps.bundle;
  if (bundle !== undefined) {
    app.get<{ Params: { leafHash: string } }>(
      "/v1/bundles/:leafHash/tlog-proof",
      { schema: { summary: "The leaf's bundle as a C2SP tlog-proof file (c2sp.org/tlog-proof)" } },
      async (request, reply) => {
        if (!/^0x[0-9a-fA-F]{64}$/.test(request.params.leafHash)) {
          throw anchorError("ANCHOR_ERR_VALIDATION", "leafHash must be 0x followed by 64 hex digits");
        }
        const proof = tlogProofOfBundle(await bundle(request.params.leafHash.toLowerCase()));
        if (proof === undefined) {
          throw anchorError("ANCHOR_ERR_NO_CHECKPOINT", "no witnessed checkpoint holds this leaf yet");
        }
        return reply.type("text/plain; charset=utf-8").send(proof);
      },
    );
  }

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
