// CPU of the per-request log line: the service shell (common/service/shell.ts) with the node's
// logger (personal-data redaction, PII_LOG_OPTIONS) writing to /dev/null, against the same shell
// with logging off, over N app.inject requests of the kinds a node serves (a staff GET with a
// query string, a signed-looking POST with a JSON body). The difference per request is what the
// request log costs. Rounds alternate the two so that the machine's other load hits both alike.
//   node bench/request-log.ts [requests per round, default 4000] [rounds, default 5]
import pino from "pino";
import { z } from "zod";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { buildServiceShell } from "../common/service/shell.ts";
import { metricsRegistry } from "../common/service/metrics.ts";
import { PII_LOG_OPTIONS } from "../nodes/src/privacy/mask.ts";

const perRound = Number(process.argv[2] ?? 4000);
const rounds = Number(process.argv[3] ?? 5);

async function app(logger: pino.Logger | false) {
  const { app } = await buildServiceShell({
    logger,
    bodyLimit: 1024 * 1024,
    openapi: { title: "request-log bench", version: "1.0.0" },
    errors: {
      validation: "E_VALIDATION",
      notFound: "E_NOT_FOUND",
      internal: "E_INTERNAL",
      render: () => undefined,
    },
    health: { ready: () => ({ ok: true, body: {} }) },
    metrics: { registry: metricsRegistry(), httpPrefix: "bench" },
    ops: { realm: "bench", refuse: () => new Error("refused") },
  });
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    "/v1/loans/:id",
    { schema: { params: z.object({ id: z.string() }), querystring: z.object({ purpose: z.string() }) } },
    async (request) => ({ id: request.params.id }),
  );
  api.post(
    "/v1/applications",
    { schema: { body: z.object({ applicant: z.object({ name: z.string(), idNumber: z.string() }) }) } },
    async () => ({ ok: true }),
  );
  await app.ready();
  return app;
}

const loan = `0x${"ab".repeat(32)}`;
const body = JSON.stringify({ applicant: { name: "张三", idNumber: "110101199003071233" } });

async function round(target: Awaited<ReturnType<typeof app>>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < perRound; i++) {
    const reply =
      i % 2 === 0
        ? await target.inject({
            method: "GET",
            url: `/v1/loans/${loan}?purpose=${encodeURIComponent("贷后复核 13812345678")}`,
          })
        : await target.inject({
            method: "POST",
            url: "/v1/applications",
            headers: { "content-type": "application/json", authorization: "Bearer x" },
            payload: body,
          });
    if (reply.statusCode !== 200) throw new Error(`status ${reply.statusCode}: ${reply.body}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / perRound;
}

const destination = pino.destination({ dest: "/dev/null", sync: false });
const logged = await app(pino({ level: "info", ...PII_LOG_OPTIONS }, destination));
const silent = await app(false);
// warm both up (JIT, schema compilation)
await round(logged);
await round(silent);
const on: number[] = [];
const off: number[] = [];
for (let r = 0; r < rounds; r++) {
  on.push(await round(logged));
  off.push(await round(silent));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const withLog = median(on);
const without = median(off);
console.log(
  JSON.stringify({
    requests: perRound * rounds,
    cpuMicrosPerRequest: { logged: +withLog.toFixed(1), silent: +without.toFixed(1) },
    logMicrosPerRequest: +(withLog - without).toFixed(1),
    logShare: +((withLog - without) / withLog).toFixed(3),
  }),
);
await logged.close();
await silent.close();
destination.flushSync();
