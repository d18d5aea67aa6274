// The consortium as the console shows it: whether the chain is a development chain (open: the
// login page marks it too) and the members' legal names from the governed directory.
import { ANY_USER, roomRoutes } from "../route.ts";
import { EnvironmentReply, MembersReply } from "../schemas/consortium.ts";

export const consortiumRoutes = roomRoutes("consortium", (routes, consortium) => {
  routes.get(
    "/v1/environment",
    {
      summary:
        "The chain this node writes to: its id, and whether it is a development chain (a test environment)",
      reply: EnvironmentReply,
      auth: "open",
    },
    async () => consortium.environment(),
  );
  routes.get(
    "/v1/members",
    {
      summary:
        "The consortium's members by legal name (Chinese and English) and unified social credit code, from the directory file whose SHA-256 governance set; 409 NODE_ERR_NO_MEMBER_DIRECTORY when none is configured, none governed, or the file is not the governed one",
      reply: MembersReply,
      errors: [409],
      roles: ANY_USER,
    },
    async () => consortium.members(),
  );
});
