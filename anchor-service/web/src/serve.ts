// Serving the court verification page from any of the consortium's services: the anchor service
// (beside the reads the page shows and POST /v1/verify) and the court's own node (the same built
// files). GET /verify, its static assets under /verify/…, GET /verify/config.json (the chain
// endpoints, trust anchor and TSA roots the page checks with: the serving node's configuration,
// so the court's node gives the court's choices) and GET /verify/qr.svg?leaf=… (the certificate's
// QR code, leading back to /verify?leaf=…). The Content-Security-Policy lets the page load from
// its own origin only and connect to it and to exactly the configured chain endpoints.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import QRCode from "qrcode";
import type { TrustAnchor } from "../../../common/formats/bundle/trust-anchor.ts";
import type { TrustAnchors } from "../../../common/pki/trust-anchors.ts";
import { x509 } from "../../../common/pki/x509.ts";
import { QrQuery } from "../../src/schemas/court.ts";

export const WEB_DIR = fileURLToPath(new URL("../", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
};

export type CourtPageOptions = {
  /**
   * The JSON-RPC endpoints the page's chain checks ask (the court's own node's, for example); the
   * only places besides this origin the page may connect to. Empty: the page has the serving
   * anchor service run the checks (POST /v1/verify).
   */
  chainEndpoints: readonly string[];
  /** The trust anchor the page binds its chain checks to (null until the chain has answered). */
  trustAnchor: () => Promise<TrustAnchor | null>;
  /** The TSA roots trustedTime relies on (null: none trusted). */
  tsaTrustAnchors: TrustAnchors | null;
  /** The serving node signs certificates (POST /verify/reports): the page offers one. */
  reports?: boolean;
  /** Blocks required on top of the anchoring block; default 0. */
  minConfirmations?: number;
  /**
   * JointLoanLedger's address on the chain the endpoints serve (the serving node's configuration):
   * the case archive screen reads the loan's evidence chain there. None: the screen shows what the
   * court's node recorded.
   */
  loanLedger?: string;
  /** The block the contracts were deployed in: the case archive screen scans the loan's logs from there. */
  deployBlock?: number;
  /** The governed member directory's text: the page judges a receipt's SM2 key against it (and the chain's digest of it). */
  memberDirectory?: string;
  /** Where the QR code leads: this service's public address. */
  publicUrl: () => string;
  /** The service's catalogue error for a file the page does not have (404). */
  notFound: (message: string) => Error;
};

type Asset = { body: Buffer; type: string };

/** The page's files, read once: a handful of small files (and the built modules), served from memory. */
export function loadAssets(dir = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined && extname(name) !== ".json")
      assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the verification page is missing: no index.html in ${dir}`);
  return assets;
}

/** A chain endpoint as a CSP source: its origin, and its path when it has one. */
export function cspSource(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.username !== "" || url.password !== "")
    throw new Error(`a chain endpoint for the court page carries no credentials: ${url.origin}`);
  return url.pathname === "/" ? url.origin : `${url.origin}${url.pathname}`;
}

/** No CDN, no external fonts, no beacons: this origin, and the chain endpoints configured, only; no framing by other sites. */
export function pageCsp(chainEndpoints: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    ["connect-src 'self'", ...chainEndpoints.map(cspSource)].join(" "),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function registerCourtPage(app: FastifyInstance, options: CourtPageOptions): void {
  const assets = loadAssets();
  const csp = pageCsp(options.chainEndpoints);
  const tsaRoots = (options.tsaTrustAnchors?.roots ?? []).map((root) =>
    x509.PemConverter.encode(root.toSchema().toBER(false), "CERTIFICATE"),
  );
  const send = (reply: FastifyReply, asset: Asset) =>
    reply
      .header("content-security-policy", csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      // the page is small and must never be stale after an upgrade
      .header("cache-control", "no-cache")
      .type(asset.type)
      .send(asset.body);
  // the page is public on every service; on a node, whose routes take a token by default, it says so
  const open = { auth: "open" } as const;

  const index = assets.get("index.html")!;
  app.get("/verify", { config: open, schema: { hide: true } }, async (_request, reply) => send(reply, index));
  app.get("/verify/", { config: open, schema: { hide: true } }, async (_request, reply) =>
    send(reply, index),
  );

  app.get("/verify/config.json", { config: open, schema: { hide: true } }, async (_request, reply) => {
    const trustAnchor = options.chainEndpoints.length === 0 ? null : await options.trustAnchor();
    const settings = {
      chainEndpoints: options.chainEndpoints,
      trustAnchor,
      tsaRoots,
      minConfirmations: options.minConfirmations ?? 0,
      loanLedger: options.chainEndpoints.length === 0 ? null : (options.loanLedger ?? null),
      deployBlock: options.deployBlock ?? 0,
      memberDirectory: options.chainEndpoints.length === 0 ? null : (options.memberDirectory ?? null),
      reports: options.reports === true,
    };
    return send(reply, { body: Buffer.from(JSON.stringify(settings)), type: CONTENT_TYPES[".json"]! });
  });

  app.withTypeProvider<ZodTypeProvider>().get("/verify/qr.svg", {
    config: open,
    schema: { hide: true, querystring: QrQuery },
    handler: async (request, reply) => {
      const svg = await QRCode.toString(verificationUrl(request.query.leaf, options.publicUrl()), {
        type: "svg",
        errorCorrectionLevel: "M",
        margin: 2,
      });
      return send(reply, { body: Buffer.from(svg), type: CONTENT_TYPES[".svg"]! });
    },
  });

  app.get<{ Params: { file: string } }>(
    "/verify/:file",
    { config: open, schema: { hide: true } },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (asset === undefined)
        throw options.notFound(`no file ${request.params.file} in the verification page`);
      return send(reply, asset);
    },
  );
}

/** Where the QR code leads: this page at the service's public address (never the request's Host), verifying that leaf. */
export function verificationUrl(leafHash: string, publicUrl: string): string {
  return `${publicUrl}/verify?leaf=${leafHash.toLowerCase()}`;
}
