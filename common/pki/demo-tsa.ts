// The demo time-stamping authority (时间戳服务, 演示用): an RFC 3161 TSA whose certificate the demo CA
// (demo-ca.ts) issues, for `npm start` and tests. Its certificate says Demo and 演示用 and its
// policy OID is under the example arc, so nothing it stamps passes for a licensed TSA's token;
// production names real TSAs (for example the national time service's) and trusts their roots.
// Requests and tokens are pkijs structures; the one attribute pkijs has no class for
// (RFC 5035 SigningCertificateV2, which RFC 3161 §2.4.2 asks a token to carry so the signer's
// certificate cannot be swapped) is composed of asn1js's types.
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import * as asn1js from "asn1js";
import {
  Accuracy,
  Attribute,
  Certificate,
  ContentInfo,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  PKIStatus,
  PKIStatusInfo,
  SignedAndUnsignedAttributes,
  SignedData,
  SignerInfo,
  TimeStampReq,
  TimeStampResp,
  TSTInfo,
  id_eContentType_TSTInfo,
} from "pkijs";
import type { DemoCa, IssuedCertificate } from "./demo-ca.ts";
import { DEMO_POLICY } from "./policies.ts";
import { TIMESTAMP_QUERY_TYPE, TIMESTAMP_REPLY_TYPE } from "./timestamp.ts";

const SHA256_OID = "2.16.840.1.101.3.4.2.1";
const CONTENT_TYPE_ATTRIBUTE = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST_ATTRIBUTE = "1.2.840.113549.1.9.4";
const SIGNING_CERTIFICATE_V2_ATTRIBUTE = "1.2.840.113549.1.9.16.2.47";
/** RFC 3161 PKIFailureInfo bits the demo TSA reports. */
const FAILURE = { badAlg: 0, badRequest: 2, unacceptedPolicy: 15 } as const;
/** The largest request body accepted: a request for a SHA-256 imprint is ~60 bytes. */
const MAX_REQUEST_BYTES = 4096;

export type DemoTsa = {
  /** The TSA's certificate (PEM); verifiers trust the demo CA's root, not this. */
  certificatePem: string;
  /** The demo root the TSA's certificate chains to: the trust anchor a verifier configures. */
  rootPem: string;
  /** Answers one DER TimeStampReq with a DER TimeStampResp (a refusal is a response too). */
  respond(request: Uint8Array): Promise<Uint8Array>;
};

export type DemoTsaOptions = {
  name?: string;
  /** The TSA's clock (tests move it); default the wall clock. */
  now?: () => Date;
};

/** A demo TSA with a fresh certificate from `ca`. */
export async function createDemoTsa(ca: DemoCa, opts: DemoTsaOptions = {}): Promise<DemoTsa> {
  const now = opts.now ?? (() => new Date());
  const issued = await ca.issueTsaCertificate(opts.name ?? "JointLedger Demo TSA", now());
  return {
    certificatePem: issued.certificatePem,
    rootPem: ca.certificatePem,
    respond: (request) => respond(issued, request, now()),
  };
}

async function respond(tsa: IssuedCertificate, requestDer: Uint8Array, at: Date): Promise<Uint8Array> {
  let request: TimeStampReq;
  try {
    request = TimeStampReq.fromBER(requestDer.slice().buffer);
  } catch {
    return refusal(FAILURE.badRequest, "not a TimeStampReq");
  }
  if (request.messageImprint.hashAlgorithm.algorithmId !== SHA256_OID) {
    return refusal(FAILURE.badAlg, "only SHA-256 imprints are stamped");
  }
  if (request.messageImprint.hashedMessage.valueBlock.valueHexView.length !== 32) {
    return refusal(FAILURE.badRequest, "the imprint is not 32 bytes");
  }
  if (request.reqPolicy !== undefined && request.reqPolicy !== DEMO_POLICY.timeStamping) {
    return refusal(FAILURE.unacceptedPolicy, `only policy ${DEMO_POLICY.timeStamping} (demo) is offered`);
  }
  const cert = Certificate.fromBER(tsa.certificate.rawData);
  const serial = globalThis.crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const info = new TSTInfo({
    version: 1,
    policy: DEMO_POLICY.timeStamping,
    messageImprint: request.messageImprint,
    serialNumber: new asn1js.Integer({ valueHex: serial }),
    genTime: at,
    accuracy: new Accuracy({ seconds: 1 }),
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
  });
  const content = new Uint8Array(info.toSchema().toBER(false));
  const digest = async (bytes: ArrayBuffer | Uint8Array) =>
    globalThis.crypto.subtle.digest("SHA-256", bytes instanceof Uint8Array ? bytes.slice() : bytes);
  const signed = new SignedData({
    version: 3,
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_eContentType_TSTInfo,
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    signerInfos: [
      new SignerInfo({
        version: 1,
        sid: new IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new Attribute({
              type: CONTENT_TYPE_ATTRIBUTE,
              values: [new asn1js.ObjectIdentifier({ value: id_eContentType_TSTInfo })],
            }),
            new Attribute({
              type: MESSAGE_DIGEST_ATTRIBUTE,
              values: [new asn1js.OctetString({ valueHex: await digest(content) })],
            }),
            // SigningCertificateV2 { certs: [ ESSCertIDv2 { certHash } ] } (hash algorithm SHA-256 by default)
            new Attribute({
              type: SIGNING_CERTIFICATE_V2_ATTRIBUTE,
              values: [
                new asn1js.Sequence({
                  value: [
                    new asn1js.Sequence({
                      value: [
                        new asn1js.Sequence({
                          value: [
                            new asn1js.OctetString({ valueHex: await digest(tsa.certificate.rawData) }),
                          ],
                        }),
                      ],
                    }),
                  ],
                }),
              ],
            }),
          ],
        }),
      }),
    ],
    ...(request.certReq === true ? { certificates: [cert] } : {}),
  });
  await signed.sign(tsa.privateKey, 0, "SHA-256");
  const response = new TimeStampResp({
    status: new PKIStatusInfo({ status: PKIStatus.granted }),
    timeStampToken: new ContentInfo({ contentType: ContentInfo.SIGNED_DATA, content: signed.toSchema(true) }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

function refusal(failureBit: number, text: string): Uint8Array {
  const bits = new Uint8Array(Math.floor(failureBit / 8) + 1);
  bits[Math.floor(failureBit / 8)] = 0x80 >> (failureBit % 8);
  const response = new TimeStampResp({
    status: new PKIStatusInfo({
      status: PKIStatus.rejection,
      statusStrings: [new asn1js.Utf8String({ value: text })],
      failInfo: new asn1js.BitString({ valueHex: bits, unusedBits: 7 - (failureBit % 8) }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

/**
 * Serves `tsa` over HTTP (RFC 3161 §3.4: POST application/timestamp-query, answered
 * application/timestamp-reply) on `host:port` (0: any free port), over HTTPS with `tls`;
 * resolves once listening.
 */
export async function serveDemoTsa(
  tsa: DemoTsa,
  opts: { host?: string; port?: number; tls?: { cert: string; key: string } } = {},
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const answer: Parameters<typeof createServer>[1] = (req, res) => {
    const refuse = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
    };
    if (req.method !== "POST") return refuse(405, `POST ${TIMESTAMP_QUERY_TYPE} here (RFC 3161)`);
    if (req.headers["content-type"] !== TIMESTAMP_QUERY_TYPE) {
      return refuse(415, `the body must be ${TIMESTAMP_QUERY_TYPE}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_REQUEST_BYTES)
        return refuse(413, `a time-stamp request is at most ${MAX_REQUEST_BYTES} bytes`);
      tsa.respond(new Uint8Array(Buffer.concat(chunks))).then(
        (reply) => res.writeHead(200, { "content-type": TIMESTAMP_REPLY_TYPE }).end(Buffer.from(reply)),
        (e: unknown) => refuse(500, `the demo TSA failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    });
  };
  const server: Server = opts.tls === undefined ? createServer(answer) : createHttpsServer(opts.tls, answer);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;
  return {
    url: `${opts.tls === undefined ? "http" : "https"}://${host}:${port}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
