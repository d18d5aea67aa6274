// The witness's HTTP API (c2sp.org/tlog-witness), open like the protocol: a request is
// authenticated by the log's signature on its checkpoint, nothing else. Bodies are text.
import { WitnessError } from "../../witness/errors.ts";
import { roomRoutes } from "../route.ts";

export const witnessRoutes = roomRoutes("witness", ({ api }, witness) => {
  api.post(
    "/witness/add-checkpoint",
    { config: { auth: "open" }, schema: { hide: true } },
    async (request, reply) => {
      if (typeof request.body !== "string") {
        throw new WitnessError(
          "NODE_ERR_WITNESS_BAD_REQUEST",
          "the body is text/plain: old size, proof, checkpoint",
        );
      }
      try {
        const lines = await witness.addCheckpoint(request.body);
        return await reply.type("text/plain; charset=utf-8").send(lines);
      } catch (error) {
        // the one refusal the protocol gives a body: the size last cosigned, so the log can retry from it
        if (error instanceof WitnessError && error.code === "NODE_ERR_WITNESS_CONFLICT") {
          return reply
            .code(409)
            .type("text/x.tlog.size")
            .send(`${error.details.size ?? 0}\n`);
        }
        throw error;
      }
    },
  );

  // what a court's policy file lists for this witness
  api.get("/witness/vkey", { config: { auth: "open" }, schema: { hide: true } }, async (_request, reply) =>
    reply.type("text/plain; charset=utf-8").send(`${witness.vkey}\n`),
  );
});
