// The TSA worker thread (exchange-worker.ts starts it): each message is one exchangeTimestamp,
// answered with the token and its time, or the reason it failed.
import { parentPort, workerData } from "node:worker_threads";
import { loadTrustAnchors, type TrustAnchors } from "../../../common/pki/trust-anchors.ts";
import { applyClientTls, tlsFromEnv } from "../../../common/service/tls.ts";
import { exchangeTimestamp } from "./client.ts";
import type { TsaAnswer, TsaAsk, TsaThreadSetup } from "./exchange-worker.ts";

const port = parentPort!;
const setup = workerData as TsaThreadSetup;
// a thread's fetch has a dispatcher of its own: it trusts what the process's does
// (ANCHOR_TLS_CA_FILE, common/service/tls.ts), else a TSA behind the consortium's CA is refused
applyClientTls(tlsFromEnv(process.env, "ANCHOR"));
// a root file that does not load fails every exchange with its reason, as it would in-thread
const anchors: Promise<TrustAnchors | undefined> =
  setup.trustAnchorFiles.length === 0 ? Promise.resolve(undefined) : loadTrustAnchors(setup.trustAnchorFiles);
anchors.catch(() => {}); // reported through each exchange below

port.on("message", (ask: TsaAsk) => {
  void (async (): Promise<TsaAnswer> => {
    try {
      const trustAnchors = await anchors;
      const { token, genTime } = await exchangeTimestamp(ask.tsa, ask.message, {
        timeoutMs: setup.timeoutMs,
        ...(trustAnchors === undefined ? {} : { trustAnchors }),
      });
      return { id: ask.id, token, genTime: genTime.toISOString() };
    } catch (error) {
      return { id: ask.id, error: error instanceof Error ? error.message : String(error) };
    }
  })().then((answer) => port.postMessage(answer));
});
