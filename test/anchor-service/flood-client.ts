// A flooding member for test/anchor-service/quota.test.ts, in its own process (a real member
// calls from another machine; here its clients at least do not share the service's event loop).
// C keep-alive connections POST the given signed requests back to back, each re-sent until
// accepted (a refused request spends no nonce) after `pauseMs`, ignoring Retry-After, until told
// to stop or `maxRequests`. Protocol over IPC: init in, "started", "stop" in, the counts out.
import http from "node:http";

export type FloodInit = {
  url: string;
  clients: number;
  maxRequests: number;
  pauseMs: number;
  refusal?: { status: number; code: string };
  requests: Array<{ body: string; headers: Record<string, string> }>;
};
/** `closed`: the connection ended before an answer was read (the service leaves a refused large body unread). */
export type FloodCounts = {
  sent: number;
  accepted: number;
  quota: number;
  closed: number;
  other: number;
  otherCodes: string[];
};

const counts: FloodCounts = { sent: 0, accepted: 0, quota: 0, closed: 0, other: 0, otherCodes: [] };
let stop = false;

function post(
  agent: http.Agent,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/leaves`, { method: "POST", agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          retryAfter: res.headers["retry-after"],
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function flood(init: FloodInit): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: init.clients });
  // bodies encoded once, before the flood
  const bodies = init.requests.map((r) => Buffer.from(r.body, "utf8"));
  let next = 0;
  const client = async () => {
    let i = next++;
    while (i < bodies.length && !stop && counts.sent < init.maxRequests) {
      counts.sent++;
      let reply;
      try {
        reply = await post(agent, init.url, bodies[i]!, init.requests[i]!.headers);
      } catch {
        counts.closed++;
        continue;
      }
      if (reply.status === 200) {
        counts.accepted++;
        i = next++;
      } else if (
        init.refusal !== undefined
          ? reply.status === init.refusal.status && reply.body.includes(`"${init.refusal.code}"`)
          : reply.status === 429 &&
            reply.retryAfter !== undefined &&
            reply.body.includes('"ANCHOR_ERR_QUOTA_EXCEEDED"')
      ) {
        counts.quota++;
        if (init.pauseMs > 0) await new Promise((r) => setTimeout(r, init.pauseMs));
      } else {
        counts.other++;
        if (counts.otherCodes.length < 5)
          counts.otherCodes.push(`${reply.status} ${reply.body.slice(0, 200)}`);
      }
    }
  };
  process.send!("started");
  await Promise.all(Array.from({ length: init.clients }, client));
  agent.destroy();
  process.send!(counts);
}

process.on("message", (message: FloodInit | "stop") => {
  if (message === "stop") stop = true;
  else
    void flood(message).catch((error: Error) =>
      process.send!({
        ...counts,
        other: counts.other + 1,
        otherCodes: [...counts.otherCodes, error.message],
      }),
    );
});
