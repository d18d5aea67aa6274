// The local consortium's time-stamping authority (时间戳服务, 演示用 / demo only): an RFC 3161 TSA
// run by the launcher itself, its certificate issued by a demo CA of its own whose root is kept in
// <data>/tsa (created on the first start, reused afterwards, so tokens from earlier runs still
// verify). The anchor service is pointed at it (ANCHOR_TSA_URLS) and trusts its root
// (ANCHOR_TSA_TRUST_ANCHOR_FILES); a court verifying a local bundle passes the same root as
// `--tsa-trust`. Production names real TSAs and their roots instead (anchor-service/src/tsa/README.md).
// Also here: the check that the chain's clock is not ahead of this machine's.
import { access } from "node:fs/promises";
import path from "node:path";
import type { JsonRpcProvider } from "ethers";
import { TRUSTED_TIME_TOLERANCE_SECONDS } from "../../../common/formats/bundle/trusted-time.ts";
import { createDemoCa, loadDemoCa, saveDemoCa } from "../../../common/pki/demo-ca.ts";
import { createDemoTsa, serveDemoTsa } from "../../../common/pki/demo-tsa.ts";
import { LocalConsortiumError } from "./errors.ts";
import { HOST } from "./ports.ts";
import type { LocalTls } from "./tls.ts";

export const tsaDir = (dataDir: string) => path.join(path.resolve(dataDir), "tsa");
const ROOT_FILE = "demo-root-ca.pem";

export type LocalTsa = {
  url: string;
  /** The demo TSA root: what the anchor service and a verifier trust. */
  rootFile: string;
  created: boolean;
  /** ANCHOR_TSA_* for the anchor service. */
  env: Record<string, string>;
  close(): Promise<void>;
};

/**
 * Starts the demo TSA on `port` (0: any free port) under the root kept in <data>/tsa, over HTTPS
 * with the local TLS CA's certificate when the consortium runs on TLS (tls.ts).
 */
export async function startLocalTsa(dataDir: string, port: number, tls?: LocalTls): Promise<LocalTsa> {
  const dir = tsaDir(dataDir);
  const rootFile = path.join(dir, ROOT_FILE);
  const created = !(await access(rootFile).then(
    () => true,
    () => false,
  ));
  const ca = created
    ? await createDemoCa({ name: "JointLedger Demo TSA Root CA 演示用" })
    : await loadDemoCa(dir);
  if (created) await saveDemoCa(ca, dir);
  const served = await serveDemoTsa(await createDemoTsa(ca, { name: "JointLedger Local TSA" }), {
    host: HOST,
    port,
    ...(tls === undefined ? {} : { tls: await tls.server("tsa") }),
  });
  return {
    url: served.url,
    rootFile,
    created,
    env: { ANCHOR_TSA_URLS: served.url, ANCHOR_TSA_TRUST_ANCHOR_FILES: rootFile },
    close: () => served.close(),
  };
}

/**
 * Refuses a chain whose latest block is stamped ahead of this machine's clock by more than the
 * trusted-time tolerance: every head it commits would be dated in the future, every bundle's
 * trustedTime would fail, and a certificate would name a day that has not come. Returns the
 * seconds it is ahead (≤ the tolerance) otherwise.
 */
export async function assertChainClockNotAhead(
  provider: JsonRpcProvider,
  dataDir: string,
  now = () => Date.now(),
): Promise<number> {
  const latest = await provider.getBlock("latest");
  if (latest === null) return 0;
  const ahead = latest.timestamp - Math.floor(now() / 1000);
  if (ahead <= TRUSTED_TIME_TOLERANCE_SECONDS) return ahead;
  const at = new Date(latest.timestamp * 1000).toISOString();
  const days = (ahead / 86_400).toFixed(1);
  throw new LocalConsortiumError(
    "LOCAL_CHAIN_CLOCK_AHEAD",
    `the chain's latest block #${latest.number} is stamped ${at}, ${ahead} s (${days} days) ahead of this machine's clock ` +
      `(tolerance ${TRUSTED_TIME_TOLERANCE_SECONDS} s): evidence anchored on it would be certified as anchored in the future, ` +
      `and its TSA tokens would contradict it. Something moved the chain's clock (evm_increaseTime / evm_setTime). To recover: ` +
      `keep this data aside and start a fresh consortium (mv ${path.resolve(dataDir)} ${path.resolve(dataDir)}.clock-ahead && npm start, ` +
      `or JL_DATA_DIR=<another directory> npm start), or wait until ${at} has passed; if it is this machine's clock that is wrong, fix it (NTP).`,
  );
}
