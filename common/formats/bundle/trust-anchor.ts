// The consortium's trust anchor ("jointledger.trust-anchor/1"): the small JSON file a court keeps
// to recognise the consortium's chain and contracts — chain id, genesis block hash and the
// ConsortiumRegistry address. Everything else is read from that registry on chain: the official
// EvidenceLog/EvidenceRegistry pair, the logs opened in it, the members. A bundle only names
// contracts; without a trust anchor a look-alike contract on the same chain cannot be told from
// the consortium's own (BUNDLE.md, "Trust anchor").
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAddress, type Provider } from "ethers";
import { z } from "zod";
import { RegistryReader } from "../../chain/registry.ts";
import { CodedError } from "../../errors.ts";
import { jsonFormat } from "../../json/parse.ts";

export const TRUST_ANCHOR_FORMAT = "jointledger.trust-anchor/1";
/** The name an anchor service and `npm start` give their trust anchor (for people; not fingerprinted). */
export const DEFAULT_TRUST_ANCHOR_NAME = "JointLedger consortium";
/** Where an anchor service publishes its trust anchor. */
export const TRUST_ANCHOR_PATH = "/.well-known/jointledger-trust-anchor.json";

/** An anchor file is a few hundred bytes; more is not one. */
const MAX_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

export type TrustAnchorErrorCode =
  "TRUST_ANCHOR_UNREADABLE" | "TRUST_ANCHOR_NOT_JSON" | "TRUST_ANCHOR_INVALID" | "TRUST_ANCHOR_INSECURE";

/** A trust anchor that cannot be read or does not match the schema; the message says which field. */
export class TrustAnchorError extends CodedError<TrustAnchorErrorCode> {}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (32 bytes)");
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits (20 bytes)")
  .refine((a) => isAddress(a), "bad EIP-55 checksum (use all lowercase or the checksummed form)");

export const TrustAnchorSchema = z.strictObject({
  format: z.literal(TRUST_ANCHOR_FORMAT),
  /** The consortium's name, for people. Not part of the fingerprint. */
  name: z.string().min(1).max(200),
  chainId: z.string().regex(/^[1-9][0-9]{0,77}$/, "must be a decimal chain id without leading zeros"),
  /** Hash of block 0: tells the consortium's chain from another chain with the same id. */
  genesisHash: hex32,
  consortiumRegistry: address,
  /**
   * The official pair as the publisher saw it, for display only: the verifier reads the pair
   * from the registry on chain, so governance can replace it without a new trust anchor.
   */
  evidenceContracts: z.strictObject({ evidenceLog: address, evidenceRegistry: address }).optional(),
});

export type TrustAnchor = z.infer<typeof TrustAnchorSchema>;

const TRUST_ANCHOR_JSON = jsonFormat(TrustAnchorSchema, "trustAnchor", {
  invalid: (issues) => new TrustAnchorError("TRUST_ANCHOR_INVALID", `invalid trust anchor: ${issues}`),
  notJson: (message) =>
    new TrustAnchorError("TRUST_ANCHOR_NOT_JSON", `the trust anchor is not JSON: ${message}`),
});

/** Validates an already-parsed JSON value; throws TrustAnchorError naming every bad field. */
export const parseTrustAnchor: (value: unknown) => TrustAnchor = TRUST_ANCHOR_JSON.parse;

export const parseTrustAnchorJson: (text: string) => TrustAnchor = TRUST_ANCHOR_JSON.parseJson;

/**
 * The fields that bind a verdict, in a fixed order and case: the format, chain id, genesis hash
 * and registry address. The name and the display-only pair are left out, so two files that bind
 * the same chain and registry have the same canonical form (and fingerprint).
 */
export function canonicalTrustAnchor(anchor: TrustAnchor): string {
  return JSON.stringify({
    chainId: anchor.chainId,
    consortiumRegistry: anchor.consortiumRegistry.toLowerCase(),
    format: anchor.format,
    genesisHash: anchor.genesisHash.toLowerCase(),
  });
}

/**
 * SHA-256 of the canonical form, first 16 bytes as eight groups of four hex digits: short enough
 * to read aloud and compare with the fingerprint the consortium publishes.
 */
export function trustAnchorFingerprint(anchor: TrustAnchor): string {
  const hex = createHash("sha256").update(canonicalTrustAnchor(anchor)).digest("hex").slice(0, 32);
  return hex.match(/.{4}/g)!.join(" ");
}

/** The trust anchor as written to a file or served: the schema's fields, two-space JSON. */
export function trustAnchorJson(anchor: TrustAnchor): string {
  return `${JSON.stringify(parseTrustAnchor(anchor), null, 2)}\n`;
}

/** This machine itself: a local consortium's anchor service, where plain HTTP crosses no network. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Reads a trust anchor from a file path, an https URL, or an http URL on this machine (the consortium's published address,
 * e.g. https://evidence.example.org/.well-known/jointledger-trust-anchor.json).
 */
export async function loadTrustAnchor(
  source: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<TrustAnchor> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    // whoever sits on the path of a plain-HTTP answer could hand the court its own consortium
    if (/^http:/i.test(source) && !isLoopback(new URL(source).hostname)) {
      throw new TrustAnchorError(
        "TRUST_ANCHOR_INSECURE",
        `refusing to fetch the trust anchor over plain HTTP from ${source}: use https://, or a file the consortium handed over`,
      );
    }
    const doFetch = options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(source, {
        signal: AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS),
        redirect: "error",
      });
    } catch (e) {
      throw new TrustAnchorError(
        "TRUST_ANCHOR_UNREADABLE",
        `cannot fetch the trust anchor from ${source}: ${(e as Error).message}`,
      );
    }
    if (!response.ok)
      throw new TrustAnchorError(
        "TRUST_ANCHOR_UNREADABLE",
        `cannot fetch the trust anchor from ${source}: HTTP ${response.status}`,
      );
    text = await response.text();
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch (e) {
      throw new TrustAnchorError(
        "TRUST_ANCHOR_UNREADABLE",
        `cannot read the trust anchor file ${source}: ${(e as Error).message}`,
      );
    }
  }
  if (Buffer.byteLength(text) > MAX_BYTES)
    throw new TrustAnchorError(
      "TRUST_ANCHOR_INVALID",
      `the trust anchor from ${source} is larger than ${MAX_BYTES} bytes`,
    );
  return parseTrustAnchorJson(text);
}

/**
 * The trust anchor of the chain `provider` serves and the registry at `consortiumRegistry`, as its
 * operator publishes it: chain id and genesis hash read from the chain, the official pair read
 * from the registry (display only). For whoever deploys or runs the consortium, never for a
 * verifier, which must get its anchor from somewhere it trusts instead of from the endpoint.
 */
export async function readTrustAnchor(
  provider: Provider,
  options: { consortiumRegistry: string; name: string },
): Promise<TrustAnchor> {
  const raw = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  const [chainId, genesis] = await Promise.all([
    typeof raw.send === "function"
      ? raw.send("eth_chainId", []).then((id) => BigInt(String(id)))
      : provider.getNetwork().then((n) => n.chainId),
    provider.getBlock(0),
  ]);
  if (genesis === null || genesis.hash === null) throw new Error("the chain endpoint has no genesis block");
  const { evidenceLog, evidenceRegistry } = await new RegistryReader(
    options.consortiumRegistry,
    provider,
  ).evidenceContracts();
  const named = !/^0x0{40}$/.test(evidenceLog);
  return parseTrustAnchor({
    format: TRUST_ANCHOR_FORMAT,
    name: options.name,
    chainId: chainId.toString(),
    genesisHash: genesis.hash.toLowerCase(),
    consortiumRegistry: options.consortiumRegistry.toLowerCase(),
    ...(named
      ? {
          evidenceContracts: {
            evidenceLog: evidenceLog.toLowerCase(),
            evidenceRegistry: evidenceRegistry.toLowerCase(),
          },
        }
      : {}),
  });
}
