// Documents (影像平台): one original, decrypted per policy (every access logged), and a loan's records.
import { ANY_USER } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import { fenJson, loanParams, tokenErrors } from "../schemas/common.ts";
import { DocumentBytes, DocumentParams, DocumentQuery, LoanDocuments } from "../schemas/documents.ts";

export const documentRoutes: RouteFile = (api, deps) => {
  api.get("/v1/documents/:documentId", {
    schema: {
      summary:
        "An original document (contract, authorization, voucher): decrypted for authorized roles; every access is logged",
      produces: ["application/octet-stream"],
      params: DocumentParams,
      querystring: DocumentQuery,
      response: { 200: DocumentBytes, ...tokenErrors() },
    },
    config: { roles: ANY_USER },
    handler: async (request, reply) =>
      reply
        .type("application/octet-stream")
        .send(
          Buffer.from(
            await deps.ops.documents.document(
              request.actor,
              request.params.documentId,
              request.query.purpose,
            ),
          ),
        ),
  });
  api.get("/v1/loans/:loanId/documents", {
    schema: {
      summary:
        "The loan's documents this caller may read (records, no bytes; read one with GET /v1/documents/:id)",
      params: loanParams,
      response: { 200: LoanDocuments, ...tokenErrors() },
    },
    config: { roles: ANY_USER },
    handler: async (request) =>
      fenJson(LoanDocuments, {
        documents: await deps.ops.documents.loanDocuments(request.actor, request.params.loanId),
      }),
  });
};
