// The court verification page (anchor-service/web/): GET /verify, its static assets under
// /verify/…, and GET /verify/qr.svg?leaf=… (the certificate's QR code, leading back to
// /verify?leaf=…). Everything the page needs comes from this service: a strict
// Content-Security-Policy lets the browser load and connect to nothing else. Also registers the
// chain reads the page shows (court-reads.ts).
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import QRCode from "qrcode";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";
import { anchorError } from "../errors.ts";
import { QrQuery } from "../schemas/court.ts";
import { registerCourtReads } from "./court-reads.ts";

export const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** No CDN, no external fonts, no beacons: only this origin, and no framing by other sites. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

type Asset = { body: Buffer; type: string };

/** The page's files, read once: a handful of small files, served from memory. */
export function loadAssets(dir = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the verification page is missing: no index.html in ${dir}`);
  return assets;
}

export function registerVerifyPage(
  app: FastifyInstance,
  deps: { chain: EvidenceLogClient; info: () => { publicUrl: string } },
): void {
  const assets = loadAssets();
  const send = (reply: FastifyReply, asset: Asset) =>
    reply
      .header("content-security-policy", CSP)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      // the page is small and must never be stale after an upgrade
      .header("cache-control", "no-cache")
      .type(asset.type)
      .send(asset.body);

  const index = assets.get("index.html")!;
  app.get("/verify", { schema: { hide: true } }, async (_request, reply) => send(reply, index));
  app.get("/verify/", { schema: { hide: true } }, async (_request, reply) => send(reply, index));

  app.withTypeProvider<ZodTypeProvider>().get("/verify/qr.svg", {
    schema: { hide: true, querystring: QrQuery },
    handler: async (request, reply) => {
      const svg = await QRCode.toString(verificationUrl(request.query.leaf, deps.info().publicUrl), {
        type: "svg",
        errorCorrectionLevel: "M",
        margin: 2,
      });
      return send(reply, { body: Buffer.from(svg), type: CONTENT_TYPES[".svg"]! });
    },
  });

  app.get<{ Params: { file: string } }>(
    "/verify/:file",
    { schema: { hide: true } },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (asset === undefined)
        throw anchorError("ANCHOR_ERR_NOT_FOUND", `no file ${request.params.file} in the verification page`);
      return send(reply, asset);
    },
  );

  registerCourtReads(app, deps.chain);
}

/** Where the QR code leads: this page at the service's public address (config.publicUrlOf, never the request's Host), verifying that leaf. */
export function verificationUrl(leafHash: string, publicUrl: string): string {
  return `${publicUrl}/verify?leaf=${leafHash.toLowerCase()}`;
}
