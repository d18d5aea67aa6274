// Applications and routing: a clerk submits one in its channel's format; the union's node takes
// platforms' applications and forwards each to the borrower's branch (node-to-node, signed).
import { PLATFORM, UNION } from "../../members.ts";
import { STAFF, routeFile } from "../route.ts";
import {
  ApplicationParams,
  ApplicationView,
  ForwardedApplication,
  SubmitApplication,
  SubmittedApplication,
} from "../schemas/applications.ts";

/** However an application arrives, the answer is the same: the stored application, or a refusal. */
const SUBMITTED = { reply: SubmittedApplication, errors: [409, 422, 502, 503] } as const;

export const applicationRoutes = routeFile((routes, deps) => {
  routes.post(
    "/v1/applications/:channel",
    {
      summary:
        "Submit an application in its channel's format, credited to this node's member: converted, routed to the borrower's branch (a platform's node submits it to the union's node), stored encrypted",
      ...SubmitApplication,
      ...SUBMITTED,
      roles: STAFF,
    },
    async ({ actor, params, body }) => deps.ops.applications.submit(actor, params.channel, body),
  );
  routes.get(
    "/v1/applications/:applicationId",
    {
      summary: "An application (personal data masked unless the role allows)",
      params: ApplicationParams,
      reply: ApplicationView,
      roles: STAFF,
    },
    async ({ actor, params }) => deps.ops.applications.application(actor, params.applicationId),
  );

  // node-to-node: other members' nodes, authenticated by their chain keys rather than a user token
  routes.post(
    "/v1/forwarded-applications/:channel",
    {
      summary: "An application forwarded by the union's node (signed with the union's chain key)",
      ...ForwardedApplication,
      ...SUBMITTED,
      auth: "signed",
      signedKind: UNION,
    },
    async (request) =>
      deps.ops.applications.receiveForwarded(
        request.signedHeaders!,
        request.params.channel,
        request.body,
        request.query.platform,
      ),
  );
  routes.post(
    "/v1/platform-applications/:channel",
    {
      summary:
        "A platform's application, submitted by the platform's node to the union's (signed with the platform's chain key); credited to that platform",
      ...SubmitApplication,
      ...SUBMITTED,
      auth: "signed",
      signedKind: PLATFORM,
    },
    async (request) =>
      deps.ops.applications.receivePlatformApplication(
        request.signedHeaders!,
        request.params.channel,
        request.body,
      ),
  );
});
