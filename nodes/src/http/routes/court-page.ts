// The court verification page on the node (the same built files the anchor service serves,
// anchor-service/web/src/serve.ts): a court opens its own node's /verify, and the page runs every
// chain check in the browser against the endpoints this node's configuration names — the court's
// choice, not the log operator's. Open, like the page on the anchor service.
import type { RouteFile } from "../deps.ts";
import { registerCourtPage } from "../../../../anchor-service/web/src/serve.ts";
import { nodeError } from "../../errors.ts";

export const courtPageRoutes: RouteFile = (api, deps) => {
  if (deps.courtPage === undefined) return;
  registerCourtPage(api, {
    ...deps.courtPage,
    notFound: (message) => nodeError("NODE_ERR_NOT_FOUND", message),
  });
};
