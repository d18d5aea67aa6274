// The test-environment mark: on a court's node, GET /v1/environment (same origin, open) says
// whether the chain it writes to is a development chain; if so the page and the case archive
// screen say plainly that nothing verified here has legal effect. The anchor service serves no
// such route: there, no mark (its answer is asked once and kept).
import { translator } from "./i18n.js";

let environment;

/** The serving node's environment ({ chainId, testEnvironment }), or null where none is served. */
export function servedEnvironment() {
  environment ??= fetch("/v1/environment")
    .then((reply) => (reply.ok ? reply.json() : null))
    .catch(() => null);
  return environment;
}

/** Shows `node` with the mark in `lang` when the serving node's chain is a development chain; hides it otherwise. */
export async function markTestEnvironment(node, lang) {
  const env = await servedEnvironment();
  const test = env !== null && env.testEnvironment === true;
  node.hidden = !test;
  node.dataset.chainId = test ? String(env.chainId) : "";
  node.textContent = test ? translator(lang)("testEnvNotice", { chainId: env.chainId }) : "";
}
