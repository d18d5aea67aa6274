// The launcher's planned ports: free, distinct within a start, and outside the kernel's ephemeral
// range, which outgoing connections draw from while the services are still starting.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { HOST, freePort } from "../../scripts/ops/local/ports.ts";

describe("local consortium: planned ports", function () {
  it("hands out distinct bindable ports below the ephemeral range", async function () {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size, "ports handed out twice").to.equal(ports.length);
    const ephemeralStart = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    for (const port of ports) expect(port).to.be.at.least(20_000).and.below(ephemeralStart);
    // each one can be bound now
    for (const port of ports.slice(0, 5)) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, HOST, resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
