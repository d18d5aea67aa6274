// Applications and routing: a clerk submits one in its channel's format; the union's node takes
// platforms' applications and forwards each to the borrower's branch (node-to-node, signed).
import { PLATFORM, UNION } from "../../members.ts";
import { STAFF } from "../auth.ts";
import type { RouteFile } from "../deps.ts";
import {
  ApplicationParams,
  ApplicationView,
  ForwardedApplication,
  SubmitApplication,
  SubmittedApplication,
} from "../schemas/applications.ts";
import { fenJson, signedErrors, tokenErrors } from "../schemas/common.ts";

export const applicationRoutes: RouteFile = (api, deps) => {
  api.post("/v1/applications/:channel", {
    schema: {
      summary:
        "Submit an application in its channel's format, credited to this node's member: converted, routed to the borrower's branch (a platform's node submits it to the union's node), stored encrypted",
      ...SubmitApplication,
      response: { 200: SubmittedApplication, ...tokenErrors(409, 422, 502, 503) },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(
        SubmittedApplication,
        await deps.ops.applications.submit(request.actor, request.params.channel, request.body),
      ),
  });
  api.get("/v1/applications/:applicationId", {
    schema: {
      summary: "An application (personal data masked unless the role allows)",
      params: ApplicationParams,
      response: { 200: ApplicationView, ...tokenErrors() },
    },
    config: { roles: STAFF },
    handler: async (request) =>
      fenJson(
        ApplicationView,
        await deps.ops.applications.application(request.actor, request.params.applicationId),
      ),
  });

  // node-to-node: other members' nodes, authenticated by their chain keys rather than a user token
  api.post("/v1/forwarded-applications/:channel", {
    schema: {
      summary: "An application forwarded by the union's node (signed with the union's chain key)",
      ...ForwardedApplication,
      response: { 200: SubmittedApplication, ...signedErrors(409, 422, 502, 503) },
    },
    config: { auth: "signed", signedKind: UNION },
    handler: async (request) =>
      fenJson(
        SubmittedApplication,
        await deps.ops.applications.receiveForwarded(
          request.signedHeaders!,
          request.params.channel,
          request.body,
          request.query.platform,
        ),
      ),
  });
  api.post("/v1/platform-applications/:channel", {
    schema: {
      summary:
        "A platform's application, submitted by the platform's node to the union's (signed with the platform's chain key); credited to that platform",
      ...SubmitApplication,
      response: { 200: SubmittedApplication, ...signedErrors(409, 422, 502, 503) },
    },
    config: { auth: "signed", signedKind: PLATFORM },
    handler: async (request) =>
      fenJson(
        SubmittedApplication,
        await deps.ops.applications.receivePlatformApplication(
          request.signedHeaders!,
          request.params.channel,
          request.body,
        ),
      ),
  });
};
