// An anchor service configured for HTTPS whose data directory cannot be opened yet answers its
// 503 stand-in over HTTPS too, so a probe that trusts the consortium's CA reads "not ready" with
// the reason instead of a failed handshake; once the directory opens, the service takes over.
import { expect } from "chai";
import pino from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import { openWhenStorageAllows } from "../../anchor-service/src/storage-wait.ts";
import { createDemoCa, privateKeyPem } from "../../common/pki/demo-ca.ts";
import { freePort } from "../support/anvil.ts";

describe("anchor service start-up without its data directory, over HTTPS", function () {
  it("answers the stand-in's 503 over HTTPS with the service's certificate", async function () {
    const ca = await createDemoCa({ name: "Storage wait TLS CA" });
    const issued = await ca.issueTlsCertificate(["127.0.0.1"]);
    const https = { cert: issued.certificatePem, key: await privateKeyPem(issued.privateKey) };
    const port = await freePort();
    let writable = false;
    const service = openWhenStorageAllows(
      async () => {
        if (!writable) throw Object.assign(new Error("read-only file system"), { code: "EROFS" });
        return "opened";
      },
      { host: "127.0.0.1", port, logger: pino({ level: "silent" }), retryMs: 50, https },
    );
    const trusting = new Agent({ connect: { ca: ca.certificatePem } });
    try {
      let answer: Awaited<ReturnType<typeof undiciFetch>> | undefined;
      for (let i = 0; i < 100 && answer === undefined; i++)
        answer = await undiciFetch(`https://127.0.0.1:${port}/readyz`, { dispatcher: trusting }).catch(
          async () => (await new Promise((r) => setTimeout(r, 50)), undefined),
        );
      expect(answer?.status).to.equal(503);
      expect(await answer?.json()).to.deep.include({ ready: false });
    } finally {
      writable = true;
      expect(await service).to.equal("opened");
      await trusting.close();
    }
  });
});
